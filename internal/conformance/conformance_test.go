package conformance

import (
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/internal/browsertest"
	"github.com/wxlogin/wxlogin/weixintest"
)

const (
	wechatUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN"
)

// env is one app, built with one adapter, and the fake WeChat it uses.
type env struct {
	t    *testing.T
	wx   *weixintest.Server
	auth *core.Auth
	sm   *scs.SessionManager // the Auth's
	base string              // the app's URL
}

// apiTimeout bounds each call to the fake WeChat: far above what a call
// takes on a loaded machine, so that no test depends on its speed.
// shortTimeout is for the tests of a WeChat that does not answer: their
// fault delays the answer for a minute, the client gives up after
// shortTimeout.
const (
	apiTimeout   = 10 * time.Second
	shortTimeout = time.Second
)

// newEnvTimeout starts an app built with a, each call to WeChat bounded
// by timeout.
func newEnvTimeout(t *testing.T, a adapter, timeout time.Duration) *env {
	t.Helper()
	wx := weixintest.NewServer()
	t.Cleanup(wx.Close)
	return newEnvWithTimeout(t, a, wx, memstore.NewWithCleanupInterval(0), timeout)
}

// newEnvWith is newEnvTimeout on the fake wx and the session store store: two
// envs on one fake and one shared store are two instances of one app.
func newEnvWith(t *testing.T, a adapter, wx *weixintest.Server, store scs.Store) *env {
	t.Helper()
	return newEnvTweaked(t, a, wx, store, apiTimeout, nil)
}

// newEnvWithTimeout is newEnvWith with each call to WeChat bounded by
// timeout.
func newEnvWithTimeout(t *testing.T, a adapter, wx *weixintest.Server, store scs.Store, timeout time.Duration) *env {
	t.Helper()
	return newEnvTweaked(t, a, wx, store, timeout, nil)
}

// newEnvTweaked is newEnvWithTimeout with the options adjusted by tweak,
// if set.
func newEnvTweaked(t *testing.T, a adapter, wx *weixintest.Server, store scs.Store, timeout time.Duration, tweak func(*core.Options)) *env {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	logger := slog.New(slog.DiscardHandler)
	web := wx.Config(weixintest.DefaultAppID, base+"/auth/weixin/callback", weixin.ScopeLogin)
	mp := wx.Config(weixintest.DefaultMPAppID, base+"/auth/weixin/callback", weixin.ScopeUserInfo)
	mini := wx.Config(weixintest.DefaultMiniProgramAppID, "", "")
	app := wx.Config(weixintest.DefaultMobileAppID, "", "")
	for _, c := range []*weixin.Config{&web, &mp, &mini, &app} {
		c.Timeout = timeout
		c.RetryBackoff = time.Millisecond
		c.Logger = logger
	}
	sm := scs.New()
	sm.Store = store
	opts := core.Options{
		Website: &web, OfficialAccount: &mp, MiniProgram: &mini, MobileApp: &app, Sessions: sm, DefaultReturnTo: "/me",
		Logger: logger, Now: wx.Now,
	}
	if tweak != nil {
		tweak(&opts)
	}
	auth, err := core.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	a.serve(t, auth, ln)
	return &env{t: t, wx: wx, auth: auth, sm: opts.Sessions, base: base}
}

// browser is a browsertest.Browser on the env's app.
type browser struct {
	*browsertest.Browser
	e *env
}

func (e *env) browser() *browser { return &browser{browsertest.New(e.t, e.base), e} }

// startLogin asks the app to log in and returns WeChat's authorize URL.
func (b *browser) startLogin(next string) string {
	b.e.t.Helper()
	path := "/auth/weixin/login"
	if next != "" {
		path += "?next=" + url.QueryEscape(next)
	}
	r := b.Get(path)
	if r.StatusCode != http.StatusFound {
		b.e.t.Fatalf("login: %d %s", r.StatusCode, r.Body)
	}
	return r.Header.Get("Location")
}

// login logs user in and returns the callback's response.
func (b *browser) login(user, next string) browsertest.Response {
	b.e.t.Helper()
	cb, err := b.e.wx.Authorize(b.startLogin(next), user)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return b.Get(cb.String())
}

func (b *browser) me() (userJSON, int) {
	r := b.Do(http.MethodGet, "/api/me", "application/json")
	var u userJSON
	json.Unmarshal([]byte(r.Body), &u)
	return u, r.StatusCode
}

// forEach runs scenario against every adapter.
func forEach(t *testing.T, scenario func(t *testing.T, e *env)) {
	forEachTimeout(t, apiTimeout, scenario)
}

// forEachTimeout is forEach with each call to WeChat bounded by timeout.
func forEachTimeout(t *testing.T, timeout time.Duration, scenario func(t *testing.T, e *env)) {
	for _, a := range adapters {
		t.Run(a.name, func(t *testing.T) {
			scenario(t, newEnvTimeout(t, a, timeout))
		})
	}
}

func checkSecurityHeaders(t *testing.T, what string, r browsertest.Response) {
	t.Helper()
	for k, v := range map[string]string{"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
		if got := r.Header.Values(k); len(got) == 0 || got[0] != v {
			t.Errorf("%s: %s = %q, want %q", what, k, got, v)
		}
	}
}

func TestLoginFlow(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		b := e.browser()
		if r := b.Get("/healthz"); r.StatusCode != 200 || r.Body != "ok" || len(r.Cookies()) != 0 {
			t.Errorf("healthz: %d %q cookies %v", r.StatusCode, r.Body, r.Cookies())
		}
		// Unauthenticated page → login with next.
		r := b.Get("/me")
		if r.StatusCode != http.StatusFound || r.Header.Get("Location") != "/auth/weixin/login?next=%2Fme" {
			t.Fatalf("GET /me: %d %v", r.StatusCode, r.Header)
		}
		r = b.Get("/auth/weixin/login?next=%2Fme")
		checkSecurityHeaders(t, "login", r)
		loc := r.Header.Get("Location")
		wantPrefix := e.wx.URL + "/connect/qrconnect?appid=" + weixintest.DefaultAppID + "&redirect_uri=" +
			url.QueryEscape(e.base+"/auth/weixin/callback") + "&response_type=code&scope=snsapi_login&state="
		if !strings.HasPrefix(loc, wantPrefix) || !strings.HasSuffix(loc, "#wechat_redirect") {
			t.Fatalf("authorize URL %s", loc)
		}
		browsertest.CheckSessionCookie(t, r.Header.Get("Set-Cookie"), false)
		preLogin := b.SessionCookie()
		cb, err := e.wx.Authorize(loc, "u2")
		if err != nil {
			t.Fatal(err)
		}
		r = b.Get(cb.String())
		checkSecurityHeaders(t, "callback", r)
		if r.StatusCode != http.StatusFound || r.Header.Get("Location") != "/me" {
			t.Fatalf("callback: %d %v %s", r.StatusCode, r.Header, r.Body)
		}
		// Session fixation: a new id at login, the old one dead.
		loggedIn := b.SessionCookie()
		if loggedIn == "" || loggedIn == preLogin {
			t.Error("session id not renewed at login")
		}
		r = b.Get("/me")
		if r.StatusCode != 200 || !strings.Contains(r.Body, "Lily 🌸✨") {
			t.Errorf("/me: %d %s", r.StatusCode, r.Body)
		}
		u, status := b.me()
		if status != 200 || u.OpenID != e.wx.OpenID(weixintest.DefaultAppID, "u2") || u.Nickname != "Lily 🌸✨" || u.UnionID == "" {
			t.Errorf("/api/me: %d %+v", status, u)
		}
		old := e.browser()
		old.SetSessionCookie(preLogin)
		if _, status := old.me(); status != http.StatusUnauthorized {
			t.Errorf("pre-login cookie: %d", status)
		}
		// Logout: GET is refused, POST ends the session for good.
		if r := b.Get("/auth/weixin/logout"); r.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("GET logout: %d", r.StatusCode)
		}
		if _, status := b.me(); status != 200 {
			t.Errorf("GET logout logged out: %d", status)
		}
		r = b.Do(http.MethodPost, "/auth/weixin/logout", browsertest.HTMLAccept)
		if r.StatusCode != http.StatusFound || r.Header.Get("Location") != "/" {
			t.Errorf("POST logout: %d %v", r.StatusCode, r.Header)
		}
		if _, status := b.me(); status != http.StatusUnauthorized {
			t.Errorf("after logout: %d", status)
		}
		replay := e.browser()
		replay.SetSessionCookie(loggedIn)
		if _, status := replay.me(); status != http.StatusUnauthorized {
			t.Errorf("the logged-out cookie still works: %d", status)
		}
	})
}

func TestUnauthenticated(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		b := e.browser()
		for _, tt := range []struct {
			method, path, accept string
			status               int
			login                string
		}{
			{"GET", "/me?tab=a%2Cb", browsertest.HTMLAccept, 302, "/auth/weixin/login?next=%2Fme%3Ftab%3Da%252Cb"},
			{"GET", "/me?tab=a%20b", browsertest.HTMLAccept, 302, "/auth/weixin/login"}, // white space once decoded: next dropped
			{"HEAD", "/me", "text/html", 302, "/auth/weixin/login?next=%2Fme"},
			{"GET", "/api/me", "application/json", 401, "/auth/weixin/login?next=%2Fapi%2Fme"},
			{"GET", "/api/me", "", 401, "/auth/weixin/login?next=%2Fapi%2Fme"},
			{"GET", "/me", "*/*", 401, "/auth/weixin/login?next=%2Fme"},
		} {
			r := b.Do(tt.method, tt.path, tt.accept)
			if r.StatusCode != tt.status {
				t.Errorf("%s %s (%s): %d, want %d", tt.method, tt.path, tt.accept, r.StatusCode, tt.status)
				continue
			}
			if tt.status == 302 {
				if got := r.Header.Get("Location"); got != tt.login {
					t.Errorf("%s %s: Location %q, want %q", tt.method, tt.path, got, tt.login)
				}
				continue
			}
			var body struct {
				Error    string `json:"error"`
				LoginURL string `json:"login_url"`
			}
			if err := json.Unmarshal([]byte(r.Body), &body); err != nil || body.Error != "login_required" || body.LoginURL != tt.login ||
				!strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				t.Errorf("%s %s: %s %v", tt.method, tt.path, r.Body, r.Header)
			}
		}
	})
}

var hostileNext = []string{
	"//evil.example", "https://evil.example/", "/\\evil.example", "/%2F%2Fevil.example", "javascript:alert(1)",
	"/%0d%0aSet-Cookie:x=1", "\\\\evil.example", "/" + strings.Repeat("a", 1100),
}

func TestHostileNext(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		for _, next := range hostileNext {
			b := e.browser()
			r := b.login("u1", next)
			if r.StatusCode != http.StatusFound || r.Header.Get("Location") != "/me" {
				t.Errorf("next=%q: %d → %q, want /me", next, r.StatusCode, r.Header.Get("Location"))
			}
		}
		if r := e.browser().login("u1", "/orders?id=7"); r.Header.Get("Location") != "/orders?id=7" {
			t.Errorf("a safe next was not kept: %q", r.Header.Get("Location"))
		}
	})
}

func TestStateAttacks(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		victim := e.browser()
		attacker := e.browser()
		cases := map[string]func() string{
			"forged state": func() string {
				cb, _ := e.wx.Authorize(victim.startLogin(""), "u1")
				q := cb.Query()
				q.Set("state", "FORGED0STATE0FORGED0STATE0")
				cb.RawQuery = q.Encode()
				return cb.String()
			},
			"missing state": func() string {
				cb, _ := e.wx.Authorize(victim.startLogin(""), "u1")
				q := cb.Query()
				q.Del("state")
				cb.RawQuery = q.Encode()
				return cb.String()
			},
			"another browser's state": func() string {
				cb, _ := e.wx.Authorize(attacker.startLogin(""), "u3")
				return cb.String()
			},
			"declined": func() string {
				cb, _ := e.wx.Decline(victim.startLogin(""))
				return cb.String()
			},
			"expired": func() string {
				cb, _ := e.wx.Authorize(victim.startLogin(""), "u1")
				e.wx.Advance(11 * time.Minute)
				return cb.String()
			},
		}
		for name, makeURL := range cases {
			r := victim.Get(makeURL())
			if r.StatusCode < 400 || r.StatusCode > 499 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
				t.Errorf("%s: %d %v", name, r.StatusCode, r.Header)
			}
			checkSecurityHeaders(t, name, r)
			if strings.Contains(r.Body, "<script") || strings.Contains(r.Body, "https://") {
				t.Errorf("%s: the error page loads something: %s", name, r.Body)
			}
			if _, status := victim.me(); status != http.StatusUnauthorized {
				t.Fatalf("%s: logged in", name)
			}
		}
		// Reused: a state that served a login in another browser.
		b := e.browser()
		cb, _ := e.wx.Authorize(b.startLogin(""), "u1")
		if r := b.Get(cb.String()); r.StatusCode != http.StatusFound {
			t.Fatalf("login: %d", r.StatusCode)
		}
		if r := b.Get(cb.String()); r.StatusCode != http.StatusFound || r.Header.Get("Location") != "/me" {
			t.Errorf("reload of the callback in the same browser: %d %v", r.StatusCode, r.Header.Get("Location"))
		}
		if r := victim.Get(cb.String()); r.StatusCode != http.StatusBadRequest {
			t.Errorf("replay in another browser: %d", r.StatusCode)
		}
		if n := e.wx.Calls(weixintest.PathAccessToken); n != 1 {
			t.Errorf("%d code exchanges, want 1", n)
		}
	})
}

func TestWeChatErrors(t *testing.T) {
	forEachTimeout(t, shortTimeout, func(t *testing.T, e *env) {
		for _, tt := range []struct {
			fault  weixintest.Fault
			status int
		}{
			{weixintest.Fault{Errcode: 40029, Times: 1}, 400},
			{weixintest.Fault{Errcode: 40163, Times: 1}, 400},
			{weixintest.Fault{Errcode: 42003, Times: 1}, 400},
			{weixintest.Fault{Errcode: 40125, Times: 1}, 502},
			{weixintest.Fault{Errcode: -1, Times: 1}, 502},
			{weixintest.Fault{Status: 500, Times: 1}, 502},
			{weixintest.Fault{Malformed: true, Times: 1}, 502},
			{weixintest.Fault{Delay: time.Minute, Times: 1}, 504},
		} {
			b := e.browser()
			cb, _ := e.wx.Authorize(b.startLogin(""), "u1")
			e.wx.InjectFault(weixintest.PathAccessToken, tt.fault)
			r := b.Get(cb.String())
			if r.StatusCode != tt.status || !strings.Contains(r.Body, "<h1>") {
				t.Errorf("%+v: %d, want %d", tt.fault, r.StatusCode, tt.status)
			}
			if _, status := b.me(); status != http.StatusUnauthorized {
				t.Errorf("%+v: logged in", tt.fault)
			}
		}
	})
}

func TestConcurrentRefresh(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		b := e.browser()
		b.login("u1", "")
		e.wx.Advance(3 * time.Hour)
		e.wx.InjectFault(weixintest.PathRefreshToken, weixintest.Fault{Delay: 50 * time.Millisecond, Times: 1})
		const n = 50
		var wg sync.WaitGroup
		statuses := make([]int, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = b.Do(http.MethodGet, "/api/userinfo", "application/json").StatusCode
			}()
		}
		wg.Wait()
		for i, s := range statuses {
			if s != 200 {
				t.Fatalf("request %d: %d", i, s)
			}
		}
		if got := e.wx.Calls(weixintest.PathRefreshToken); got != 1 {
			t.Errorf("%d upstream refreshes for %d requests, want 1", got, n)
		}
		if got := e.wx.Calls(weixintest.PathUserInfo); got != n+1 {
			t.Errorf("%d userinfo calls, want %d", got, n+1)
		}
	})
}

func TestUserInfoFailures(t *testing.T) {
	forEachTimeout(t, shortTimeout, func(t *testing.T, e *env) {
		b := e.browser()
		b.login("u1", "")
		e.wx.Advance(3 * time.Hour)
		e.wx.InjectFault(weixintest.PathRefreshToken, weixintest.Fault{Status: 502})
		if r := b.Do(http.MethodGet, "/api/userinfo", "application/json"); r.StatusCode != 502 || !strings.Contains(r.Body, `"upstream"`) {
			t.Errorf("WeChat down: %d %s", r.StatusCode, r.Body)
		}
		e.wx.ClearFaults()
		e.wx.InjectFault(weixintest.PathRefreshToken, weixintest.Fault{Delay: time.Minute, Times: 1})
		if r := b.Do(http.MethodGet, "/api/userinfo", "application/json"); r.StatusCode != 504 {
			t.Errorf("WeChat slow: %d %s", r.StatusCode, r.Body)
		}
		if _, status := b.me(); status != 200 {
			t.Fatalf("a WeChat failure ended the login: %d", status)
		}
		e.wx.InjectFault(weixintest.PathRefreshToken, weixintest.Fault{Errcode: 42002})
		if r := b.Do(http.MethodGet, "/api/userinfo", "application/json"); r.StatusCode != 401 || !strings.Contains(r.Body, "login_required") {
			t.Errorf("refresh token expired: %d %s", r.StatusCode, r.Body)
		}
		if _, status := b.me(); status != 401 {
			t.Errorf("the login did not end: %d", status)
		}
	})
}

func TestInWeChatVisitor(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		b := e.browser()
		b.UA = wechatUA
		loc := b.startLogin("/api/me")
		want := e.wx.URL + "/connect/oauth2/authorize?appid=" + weixintest.DefaultMPAppID + "&redirect_uri=" +
			url.QueryEscape(e.base+"/auth/weixin/callback") + "&response_type=code&scope=snsapi_userinfo&state="
		if !strings.HasPrefix(loc, want) {
			t.Fatalf("in-WeChat login: %s", loc)
		}
		cb, err := e.wx.Authorize(loc, "u1")
		if err != nil {
			t.Fatal(err)
		}
		if r := b.Get(cb.String()); r.Header.Get("Location") != "/api/me" {
			t.Fatalf("callback: %d %v", r.StatusCode, r.Header)
		}
		if u, _ := b.me(); u.OpenID != e.wx.OpenID(weixintest.DefaultMPAppID, "u1") {
			t.Errorf("openid %q is not the official account's", u.OpenID)
		}
	})
}

// The redirect URI comes from the configuration, whatever Host and
// X-Forwarded-* say.
func TestRedirectURIIgnoresHostHeaders(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		req, _ := http.NewRequest(http.MethodGet, e.base+"/auth/weixin/login", nil)
		req.Host = "evil.example"
		req.Header.Set("X-Forwarded-Host", "evil.example")
		req.Header.Set("X-Forwarded-Proto", "https")
		resp, err := e.browser().Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, err := url.Parse(resp.Header.Get("Location"))
		if err != nil || resp.StatusCode != http.StatusFound {
			t.Fatalf("login: %d %v", resp.StatusCode, err)
		}
		if got := loc.Query().Get("redirect_uri"); got != e.base+"/auth/weixin/callback" {
			t.Errorf("redirect_uri = %q", got)
		}
	})
}
