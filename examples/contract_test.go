package examples

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/internal/browsertest"
	"github.com/wxlogin/wxlogin/weixintest"
)

// wechatEnv points an example at wx as if it were the real WeChat.
func wechatEnv(wx *weixintest.Server, mp bool) []string {
	env := []string{
		"WEIXIN_APPID=" + weixintest.DefaultAppID, "WEIXIN_SECRET=" + weixintest.DefaultAppSecret,
		"WEIXIN_OPEN_BASE_URL=" + wx.URL, "WEIXIN_API_BASE_URL=" + wx.URL,
	}
	if mp {
		env = append(env, "WEIXIN_MP_APPID="+weixintest.DefaultMPAppID, "WEIXIN_MP_SECRET="+weixintest.DefaultMPAppSecret)
	}
	return env
}

// each runs f for every example, in parallel.
func each(t *testing.T, f func(t *testing.T, name string)) {
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f(t, name)
		})
	}
}

var statePattern = regexp.MustCompile(`^[A-Za-z0-9]{16,128}$`)

// login runs a login of user in b and returns the callback URL used.
func login(t *testing.T, wx *weixintest.Server, b *browsertest.Browser, next, user string) string {
	t.Helper()
	path := "/auth/weixin/login"
	if next != "" {
		path += "?next=" + url.QueryEscape(next)
	}
	r := b.Get(path)
	cb, err := wx.Authorize(r.Header.Get("Location"), user)
	if err != nil {
		t.Fatalf("login %d: %v", r.StatusCode, err)
	}
	return cb.String()
}

func TestContractLoginFlow(t *testing.T) {
	each(t, func(t *testing.T, name string) {
		wx := weixintest.NewServer()
		defer wx.Close()
		p := start(t, name, wechatEnv(wx, false)...)
		b := browsertest.New(t, p.base)

		if r := b.Get("/healthz"); r.StatusCode != 200 || r.Body != "ok" || r.Header.Get("Set-Cookie") != "" {
			t.Errorf("/healthz: %d %q %q", r.StatusCode, r.Body, r.Header.Get("Set-Cookie"))
		}
		if r := b.Get("/readyz"); r.StatusCode != 200 || r.Body != "ok" || r.Header.Get("Set-Cookie") != "" {
			t.Errorf("/readyz: %d %q %q", r.StatusCode, r.Body, r.Header.Get("Set-Cookie"))
		}
		if r := b.Get("/"); r.StatusCode != 200 || !strings.Contains(r.Body, `href="/auth/weixin/login`) {
			t.Errorf("/: %d %s", r.StatusCode, r.Body)
		}
		if r := b.Get("/me"); r.StatusCode != 302 || r.Header.Get("Location") != "/auth/weixin/login?next=%2Fme" {
			t.Errorf("/me logged out: %d %q", r.StatusCode, r.Header.Get("Location"))
		}
		r := b.API("/api/me")
		var lr struct{ Error, Login_URL string }
		json.Unmarshal([]byte(r.Body), &lr)
		if r.StatusCode != 401 || lr.Error != "login_required" || lr.Login_URL == "" {
			t.Errorf("/api/me logged out: %d %s", r.StatusCode, r.Body)
		}

		r = b.Get("/auth/weixin/login?next=%2Fdone%3Fa%3D1")
		loc := r.Header.Get("Location")
		want := wx.URL + "/connect/qrconnect?appid=" + weixintest.DefaultAppID + "&redirect_uri=" +
			url.QueryEscape(p.base+"/auth/weixin/callback") + "&response_type=code&scope=snsapi_login&state="
		if r.StatusCode != 302 || !strings.HasPrefix(loc, want) || !strings.HasSuffix(loc, "#wechat_redirect") {
			t.Fatalf("login: %d %s", r.StatusCode, loc)
		}
		u, _ := url.Parse(loc)
		if s := u.Query().Get("state"); !statePattern.MatchString(s) {
			t.Errorf("state %q", s)
		}
		browsertest.CheckSessionCookie(t, r.Header.Get("Set-Cookie"), false)
		before := b.SessionCookie()
		cb, err := wx.Authorize(loc, "u2")
		if err != nil {
			t.Fatal(err)
		}
		r = b.Get(cb.String())
		if r.StatusCode != 302 || r.Header.Get("Location") != "/done?a=1" {
			t.Fatalf("callback: %d %q %s", r.StatusCode, r.Header.Get("Location"), r.Body)
		}
		after := b.SessionCookie()
		if after == "" || after == before {
			t.Error("session id not renewed at login")
		}
		// A reload of the callback, or WeChat redirecting twice: same next, no second exchange.
		if r := b.Get(cb.String()); r.StatusCode != 302 || r.Header.Get("Location") != "/done?a=1" {
			t.Errorf("repeated callback: %d %q", r.StatusCode, r.Header.Get("Location"))
		}
		if n := wx.Calls(weixintest.PathAccessToken); n != 1 {
			t.Errorf("%d code exchanges", n)
		}
		// WeChat's http avatar, rewritten to https by core.
		avatar := "https" + strings.TrimPrefix(weixintest.AvatarURL("u2"), "http")
		if r := b.Get("/me"); r.StatusCode != 200 || !strings.Contains(r.Body, "Lily 🌸✨") || !strings.Contains(r.Body, `src="`+avatar+`"`) {
			t.Errorf("/me: %d %s", r.StatusCode, r.Body)
		}
		var me struct{ OpenID, UnionID, Nickname, HeadImgURL string }
		r = b.API("/api/me")
		json.Unmarshal([]byte(r.Body), &me)
		if r.StatusCode != 200 || me.OpenID != wx.OpenID(weixintest.DefaultAppID, "u2") || me.Nickname != "Lily 🌸✨" || me.UnionID == "" || me.HeadImgURL != avatar {
			t.Errorf("/api/me: %d %s", r.StatusCode, r.Body)
		}
		calls := wx.Calls(weixintest.PathUserInfo)
		r = b.API("/api/userinfo")
		if r.StatusCode != 200 || !strings.Contains(r.Body, `"nickname":"Lily 🌸✨"`) || wx.Calls(weixintest.PathUserInfo) != calls+1 {
			t.Errorf("/api/userinfo: %d %s", r.StatusCode, r.Body)
		}
		if r := b.Get("/auth/weixin/logout"); r.StatusCode != 405 {
			t.Errorf("GET logout: %d", r.StatusCode)
		}
		if r := b.API("/api/me"); r.StatusCode != 200 {
			t.Errorf("GET logout ended the login: %d", r.StatusCode)
		}
		if r := b.Do(http.MethodPost, "/auth/weixin/logout", browsertest.HTMLAccept); r.StatusCode != 302 || r.Header.Get("Location") != "/" {
			t.Errorf("POST logout: %d %q", r.StatusCode, r.Header.Get("Location"))
		}
		old := browsertest.New(t, p.base)
		old.SetSessionCookie(after)
		if r := old.API("/api/me"); r.StatusCode != 401 {
			t.Errorf("the logged-out cookie: %d", r.StatusCode)
		}
	})
}

func TestContractNextAndState(t *testing.T) {
	each(t, func(t *testing.T, name string) {
		wx := weixintest.NewServer()
		defer wx.Close()
		p := start(t, name, wechatEnv(wx, false)...)
		for _, next := range []string{"//evil.example", "https://evil.example/x", "/\\evil.example", "/%2F%2Fevil.example",
			"/a%20b", "/%0d%0aX:1", "javascript:alert(1)", "/" + strings.Repeat("x", 1024)} {
			b := browsertest.New(t, p.base)
			if r := b.Get(login(t, wx, b, next, "u1")); r.Header.Get("Location") != "/me" {
				t.Errorf("next %q: went to %q", next, r.Header.Get("Location"))
			}
		}
		b := browsertest.New(t, p.base)
		if r := b.Get(login(t, wx, b, "/x?y=1", "u1")); r.Header.Get("Location") != "/x?y=1" {
			t.Errorf("safe next: %q", r.Header.Get("Location"))
		}

		victim, attacker := browsertest.New(t, p.base), browsertest.New(t, p.base)
		attacks := map[string]string{}
		cb, _ := url.Parse(login(t, wx, victim, "", "u1"))
		q := cb.Query()
		q.Set("state", "FORGEDFORGEDFORGEDFORGED")
		attacks["forged"] = p.base + "/auth/weixin/callback?" + q.Encode()
		q.Del("state")
		attacks["missing"] = p.base + "/auth/weixin/callback?" + q.Encode()
		attacks["foreign"] = login(t, wx, attacker, "", "u3")
		d, _ := wx.Decline(victim.Get("/auth/weixin/login").Header.Get("Location"))
		attacks["declined"] = d.String()
		used := browsertest.New(t, p.base)
		usedURL := login(t, wx, used, "", "u1")
		used.Get(usedURL)
		attacks["reused elsewhere"] = usedURL
		for what, u := range attacks {
			r := victim.Get(u)
			if r.StatusCode < 400 || r.StatusCode > 499 || !strings.Contains(r.Body, "<h1>") {
				t.Errorf("%s: %d %s", what, r.StatusCode, r.Body)
			}
			for _, h := range []string{"X-Frame-Options", "Referrer-Policy", "Cache-Control"} {
				if r.Header.Get(h) == "" {
					t.Errorf("%s: no %s", what, h)
				}
			}
		}
		if r := victim.API("/api/me"); r.StatusCode != 401 {
			t.Errorf("victim logged in: %d", r.StatusCode)
		}
	})
}

func TestContractWeChatErrors(t *testing.T) {
	each(t, func(t *testing.T, name string) {
		wx := weixintest.NewServer()
		defer wx.Close()
		p := start(t, name, wechatEnv(wx, false)...)
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
			{weixintest.Fault{Delay: 11 * time.Second, Times: 1}, 504},
		} {
			if tt.fault.Delay > 0 && skipIfShort(nil, "the 10 s timeouts of WeChat calls") {
				continue
			}
			b := browsertest.New(t, p.base)
			cb := login(t, wx, b, "", "u1")
			wx.InjectFault(weixintest.PathAccessToken, tt.fault)
			if r := b.Get(cb); r.StatusCode != tt.status || !strings.Contains(r.Body, "<h1>") {
				t.Errorf("%+v: %d, want %d", tt.fault, r.StatusCode, tt.status)
			}
			if r := b.API("/api/me"); r.StatusCode != 401 {
				t.Errorf("%+v: logged in", tt.fault)
			}
		}
		// WeChat unreachable.
		dead := "http://" + freeAddr(t)
		q := start(t, name, append(wechatEnv(wx, false), "WEIXIN_API_BASE_URL="+dead)...)
		b := browsertest.New(t, q.base)
		if r := b.Get(login(t, wx, b, "", "u1")); r.StatusCode != 502 {
			t.Errorf("WeChat unreachable: %d", r.StatusCode)
		}
	})
}

func TestContractUserInfo(t *testing.T) {
	each(t, func(t *testing.T, name string) {
		wx := weixintest.NewServer()
		defer wx.Close()
		p := start(t, name, wechatEnv(wx, false)...)
		// A token that lives 1 s is due at once (the app refreshes 2 min
		// early); the refreshed one lives 2 h, so one refresh serves all.
		wx.SetAccessTokenTTL(time.Second)
		b := browsertest.New(t, p.base)
		b.Get(login(t, wx, b, "", "u1"))
		wx.SetAccessTokenTTL(2 * time.Hour)
		const n = 30
		var wg sync.WaitGroup
		statuses := make([]int, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = b.API("/api/userinfo").StatusCode
			}()
		}
		wg.Wait()
		for i, s := range statuses {
			if s != 200 {
				t.Errorf("request %d: %d", i, s)
			}
		}
		if got := wx.Calls(weixintest.PathRefreshToken); got != 1 {
			t.Errorf("%d refreshes for %d concurrent requests, want 1", got, n)
		}

		wx.InjectFault(weixintest.PathUserInfo, weixintest.Fault{Status: 500})
		if r := b.API("/api/userinfo"); r.StatusCode != 502 || !strings.Contains(r.Body, `"upstream"`) {
			t.Errorf("WeChat fault: %d %s", r.StatusCode, r.Body)
		}
		wx.ClearFaults()
		if !skipIfShort(nil, "the 10 s timeouts of WeChat calls") {
			wx.InjectFault(weixintest.PathUserInfo, weixintest.Fault{Delay: 11 * time.Second, Times: 1})
			if r := b.API("/api/userinfo"); r.StatusCode != 504 {
				t.Errorf("WeChat slow: %d %s", r.StatusCode, r.Body)
			}
		}
		if r := b.API("/api/me"); r.StatusCode != 200 {
			t.Fatalf("a WeChat failure ended the login: %d", r.StatusCode)
		}
		// A token the app must refresh, and WeChat says the refresh token
		// has expired: the login ends.
		wx.SetAccessTokenTTL(time.Second)
		d := browsertest.New(t, p.base)
		d.Get(login(t, wx, d, "", "u2")) // not u1, whose token b refreshed: the app would reuse that one
		wx.InjectFault(weixintest.PathRefreshToken, weixintest.Fault{Errcode: 42002})
		if r := d.API("/api/userinfo"); r.StatusCode != 401 || !strings.Contains(r.Body, "login_required") {
			t.Errorf("refresh token expired: %d %s", r.StatusCode, r.Body)
		}
		if r := d.API("/api/me"); r.StatusCode != 401 {
			t.Errorf("the login did not end: %d", r.StatusCode)
		}
	})
}

func TestContractInWeChatAndCookies(t *testing.T) {
	each(t, func(t *testing.T, name string) {
		wx := weixintest.NewServer()
		defer wx.Close()
		p := start(t, name, wechatEnv(wx, true)...)
		b := browsertest.New(t, p.base)
		b.UA = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Mobile Safari/537.36 MicroMessenger/8.0.49.2600(0x28003133) NetType/WIFI"
		loc := b.Get("/auth/weixin/login").Header.Get("Location")
		want := wx.URL + "/connect/oauth2/authorize?appid=" + weixintest.DefaultMPAppID + "&redirect_uri=" +
			url.QueryEscape(p.base+"/auth/weixin/callback") + "&response_type=code&scope=snsapi_userinfo&state="
		if !strings.HasPrefix(loc, want) || !strings.HasSuffix(loc, "#wechat_redirect") {
			t.Fatalf("in-WeChat login: %s", loc)
		}
		cb, err := wx.Authorize(loc, "u3")
		if err != nil {
			t.Fatal(err)
		}
		b.Get(cb.String())
		var me struct{ OpenID string }
		json.Unmarshal([]byte(b.API("/api/me").Body), &me)
		if me.OpenID != wx.OpenID(weixintest.DefaultMPAppID, "u3") {
			t.Errorf("openid %q is not the official account's", me.OpenID)
		}

		// The embedded QR page: a state of the same flow.
		e := browsertest.New(t, p.base)
		r := e.Get("/login?next=%2Fapi%2Fme")
		m := regexp.MustCompile(`"state":"([A-Za-z0-9]+)"`).FindStringSubmatch(r.Body)
		if r.StatusCode != 200 || m == nil || !strings.Contains(r.Body, wx.URL+weixintest.PathWxLoginJS) ||
			!strings.Contains(r.Body, `"redirect_uri":"`+url.QueryEscape(p.base+"/auth/weixin/callback")+`"`) {
			t.Fatalf("/login: %d %s", r.StatusCode, r.Body)
		}
		code := wx.NewCode(weixintest.DefaultAppID, "u1", "snsapi_login")
		if r := e.Get("/auth/weixin/callback?code=" + code + "&state=" + m[1]); r.StatusCode != 302 || r.Header.Get("Location") != "/api/me" {
			t.Errorf("embedded login: %d %q", r.StatusCode, r.Header.Get("Location"))
		}

		// Secure cookies: by COOKIE_SECURE, and by default on an https PUBLIC_URL.
		for _, env := range [][]string{{"COOKIE_SECURE=true"}, {"PUBLIC_URL=https://app.example"}} {
			q := start(t, name, append(wechatEnv(wx, false), env...)...)
			sc := browsertest.New(t, q.base).Get("/auth/weixin/login").Header.Get("Set-Cookie")
			if !strings.Contains(sc, "Secure") {
				t.Errorf("%v: cookie %q not Secure", env, sc)
			}
		}
		q := start(t, name, append(wechatEnv(wx, false), "PUBLIC_URL=https://app.example", "COOKIE_SECURE=false")...)
		if sc := browsertest.New(t, q.base).Get("/auth/weixin/login").Header.Get("Set-Cookie"); strings.Contains(sc, "Secure") {
			t.Errorf("COOKIE_SECURE=false: cookie %q", sc)
		}
	})
}

func TestDevModeLogLine(t *testing.T) {
	each(t, func(t *testing.T, name string) {
		p := start(t, name)
		line := firstLine(p.log.String(), "dev mode: fake WeChat at http://127.0.0.1:")
		if line == "" || !strings.Contains(line, "open "+p.base+"/") {
			t.Fatalf("no dev-mode line in:\n%s", p.log)
		}
		// The whole login works against the embedded fake.
		b := browsertest.New(t, p.base)
		loc := b.Get("/auth/weixin/login").Header.Get("Location")
		page, err := http.Get(strings.TrimSuffix(loc, "#wechat_redirect"))
		if err != nil {
			t.Fatal(err)
		}
		page.Body.Close()
		if page.StatusCode != 200 {
			t.Errorf("the fake's consent page: %d", page.StatusCode)
		}
	})
}

// The contract's rows "phone" and "the app access token", on every
// example: POST /auth/weixin/miniprogram/phone takes a mini program
// login's bearer token (a website cookie alone, or a dead token, is 401,
// and calls WeChat for neither the phone nor the app token), answers the
// phone with country_code a string, and /api/me shows it; the app token
// comes from stable_token once, is read again once when WeChat rejects it,
// and a second rejection is 502 upstream with no further call;
// /cgi-bin/token is never called.
func TestContractPhone(t *testing.T) {
	each(t, func(t *testing.T, name string) {
		wx := weixintest.NewServer()
		defer wx.Close()
		p := start(t, name, doorsEnv(wx)...)
		mp := weixintest.DefaultMiniProgramAppID
		code := func(phone string) string { return `{"code":"` + wx.PhoneCode(mp, "u1", phone) + `"}` }
		const path = "/auth/weixin/miniprogram/phone"

		// No login; a website login's cookie.
		b := browsertest.New(t, p.base)
		post := func(body string) (int, string) {
			req, _ := http.NewRequest(http.MethodPost, p.base+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := b.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e struct {
				Error string `json:"error"`
			}
			json.NewDecoder(resp.Body).Decode(&e)
			return resp.StatusCode, e.Error
		}
		if st, e := post(code("13800138000")); st != http.StatusUnauthorized || e != "login_required" {
			t.Errorf("no login: %d %q", st, e)
		}
		b.Get(login(t, wx, b, "", "u1"))
		if st, e := post(code("13800138000")); st != http.StatusUnauthorized || e != "login_required" {
			t.Errorf("a website login's cookie: %d %q", st, e)
		}
		dead := &client{t: t, base: p.base, token: "no-such-token"}
		if r := dead.do(http.MethodPost, path, "application/json", code("13800138000")); r.status != http.StatusUnauthorized {
			t.Errorf("a dead token: %d %s", r.status, r.body)
		}
		for _, path := range []string{weixintest.PathPhoneNumber, weixintest.PathStableToken, weixintest.PathToken} {
			if n := wx.Calls(path); n != 0 {
				t.Errorf("%s called %d times without a mini program login", path, n)
			}
		}

		// The mini program's login and its phone.
		c := &client{t: t, base: p.base}
		c.login("miniprogram", wx.MiniProgramCode(mp, "u1"))
		r := c.do(http.MethodPost, path, "application/json", code("13800138000"))
		if r.status != http.StatusOK || !strings.Contains(r.body, `"phone":"13800138000"`) || !strings.Contains(r.body, `"country_code":"86"`) {
			t.Fatalf("phone: %d %s", r.status, r.body)
		}
		if me := c.do(http.MethodGet, "/api/me", "", ""); me.status != http.StatusOK || !strings.Contains(me.body, `"phone":"13800138000"`) {
			t.Errorf("/api/me: %d %s", me.status, me.body)
		}
		if r := c.do(http.MethodPost, path, "application/json", `{"code":"0123456789abcdef"}`); r.status != http.StatusBadRequest {
			t.Errorf("a bad code: %d %s", r.status, r.body)
		}
		// Many requests, one token.
		for range 3 {
			c.do(http.MethodPost, path, "application/json", code("13800138000"))
		}
		if st := wx.AppTokenStats(mp); st.StableFetches != 1 || st.ForcedRefreshes != 0 {
			t.Errorf("app token after 5 calls: %+v", st)
		}
		// WeChat rejects the token (another party forced a refresh):
		// read again once, repeat once.
		wx.InvalidateAppToken(mp)
		if r := c.do(http.MethodPost, path, "application/json", code("13800138000")); r.status != http.StatusOK {
			t.Errorf("after a rejected token: %d %s", r.status, r.body)
		}
		if st := wx.AppTokenStats(mp); st.StableFetches != 2 || st.ForcedRefreshes != 0 {
			t.Errorf("app token after a rejection: %+v", st)
		}
		// Rejected twice: 502 upstream, and no third call.
		calls := wx.Calls(weixintest.PathPhoneNumber)
		wx.InjectFault(weixintest.PathPhoneNumber, weixintest.Fault{Errcode: 40001, Times: 2})
		if r := c.do(http.MethodPost, path, "application/json", code("13800138000")); r.status != http.StatusBadGateway || r.errorCode() != "upstream" {
			t.Errorf("rejected twice: %d %s", r.status, r.body)
		}
		if n := wx.Calls(weixintest.PathPhoneNumber) - calls; n != 2 {
			t.Errorf("rejected twice: %d calls, want 2", n)
		}
		if n := wx.Calls(weixintest.PathToken); n != 0 {
			t.Errorf("/cgi-bin/token called %d times", n)
		}
	})
}
