package conformance

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/redisstore"
	"github.com/wxlogin/wxlogin/internal/redistest"
	"github.com/wxlogin/wxlogin/weixintest"
)

// answer is a response read whole.
type answer struct {
	status int
	header http.Header
	body   string
}

// client is a mini program or mobile app: no cookie jar, its token (if
// any) in an Authorization header.
func (e *env) call(method, path, token, cookie, contentType, body string) answer {
	e.t.Helper()
	req, err := http.NewRequest(method, e.base+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if cookie != "" {
		req.Header.Set("Cookie", "session="+cookie)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*") // a browser's: a bearer is still never redirected
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

// doorLogin logs user in through door ("miniprogram" or "app") and
// returns the bearer token.
func (e *env) doorLogin(door, user string) string {
	e.t.Helper()
	code := e.wx.MiniProgramCode(weixintest.DefaultMiniProgramAppID, user)
	if door == "app" {
		code = e.wx.SendAuthCode(weixintest.DefaultMobileAppID, user)
	}
	r := e.call(http.MethodPost, "/auth/weixin/"+door, "", "", "application/json", `{"code":"`+code+`"}`)
	var got struct {
		Token     string `json:"token"`
		ExpiresAt string `json:"expires_at"`
		User      map[string]any
	}
	if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &got) != nil || got.Token == "" {
		e.t.Fatalf("%s login: %d %s", door, r.status, r.body)
	}
	if len(r.header.Values("Set-Cookie")) != 0 {
		e.t.Errorf("%s login set a cookie: %v", door, r.header.Values("Set-Cookie"))
	}
	if _, err := time.Parse(time.RFC3339, got.ExpiresAt); err != nil {
		e.t.Errorf("expires_at %q", got.ExpiresAt)
	}
	for _, k := range []string{"openid", "unionid", "account_id"} {
		if _, ok := got.User[k].(string); !ok {
			e.t.Errorf("user.%s missing or not a string: %s", k, r.body)
		}
	}
	return got.Token
}

func jsonError(r answer) string {
	var e struct {
		Error string `json:"error"`
	}
	json.Unmarshal([]byte(r.body), &e)
	return e.Error
}

// Both doors on every adapter: the login answers a token and no cookie;
// the token authenticates /me, /api/me, /api/userinfo (the mobile app's;
// a mini program has no user token) and the logout, wins over a cookie,
// is never read from the query string; a dead token is 401 JSON on every
// route, never a redirect; the logout answers 204 and the token is dead.
func TestDoorsAndBearer(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		for _, door := range []struct{ name, appID string }{
			{"miniprogram", weixintest.DefaultMiniProgramAppID}, {"app", weixintest.DefaultMobileAppID},
		} {
			tok := e.doorLogin(door.name, "u2")
			r := e.call(http.MethodGet, "/api/me", tok, "", "", "")
			var u userJSON
			json.Unmarshal([]byte(r.body), &u)
			if r.status != 200 || u.OpenID != e.wx.OpenID(door.appID, "u2") || u.UnionID == "" || len(r.header.Values("Set-Cookie")) != 0 {
				t.Errorf("%s: /api/me: %d %s %v", door.name, r.status, r.body, r.header)
			}
			if r := e.call(http.MethodGet, "/me", tok, "", "", ""); r.status != 200 || r.header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s: /me: %d", door.name, r.status)
			}
			r = e.call(http.MethodGet, "/api/userinfo", tok, "", "", "")
			if door.name == "miniprogram" {
				if r.status != http.StatusBadRequest || jsonError(r) != "no_user_token" {
					t.Errorf("mini program /api/userinfo: %d %s", r.status, r.body)
				}
			} else if json.Unmarshal([]byte(r.body), &u); r.status != 200 || u.Nickname != "Lily 🌸✨" {
				t.Errorf("app /api/userinfo: %d %s", r.status, r.body)
			}

			// The bearer wins over a cookie, a live one or a dead one.
			b := e.browser()
			b.login("u1", "")
			cookie := b.SessionCookie()
			r = e.call(http.MethodGet, "/api/me", tok, cookie, "", "")
			json.Unmarshal([]byte(r.body), &u)
			if r.status != 200 || u.OpenID != e.wx.OpenID(door.appID, "u2") {
				t.Errorf("%s: bearer and cookie: %d %s", door.name, r.status, r.body)
			}
			for _, path := range []string{"/api/me", "/me", "/api/userinfo"} {
				r := e.call(http.MethodGet, path, "dead"+tok[4:], cookie, "", "")
				if r.status != http.StatusUnauthorized || jsonError(r) != "login_required" || r.header.Get("Location") != "" {
					t.Errorf("%s: dead bearer beside a live cookie on %s: %d %s", door.name, path, r.status, r.body)
				}
			}
			// A token in the query string is ignored.
			for _, q := range []string{"token", "access_token", "session", "bearer", "Authorization"} {
				r := e.call(http.MethodGet, "/api/me?"+url.Values{q: {tok}}.Encode(), "", "", "", "")
				if r.status != http.StatusFound || !strings.HasPrefix(r.header.Get("Location"), "/auth/weixin/login") { // as without any token
					t.Errorf("%s: token in ?%s: %d", door.name, q, r.status)
				}
			}

			// Logout: GET 405, POST 204, then the token is dead everywhere.
			if r := e.call(http.MethodGet, "/auth/weixin/logout", tok, "", "", ""); r.status != http.StatusMethodNotAllowed {
				t.Errorf("%s: GET logout: %d", door.name, r.status)
			}
			r = e.call(http.MethodPost, "/auth/weixin/logout", tok, "", "", "")
			if r.status != http.StatusNoContent || r.header.Get("Location") != "" || len(r.header.Values("Set-Cookie")) != 0 {
				t.Errorf("%s: POST logout: %d %v", door.name, r.status, r.header)
			}
			for _, path := range []string{"/api/me", "/me", "/api/userinfo"} {
				if r := e.call(http.MethodGet, path, tok, "", "", ""); r.status != http.StatusUnauthorized || jsonError(r) != "login_required" {
					t.Errorf("%s: after logout %s: %d %s", door.name, path, r.status, r.body)
				}
			}
			if r := e.call(http.MethodPost, "/auth/weixin/logout", tok, "", "", ""); r.status != http.StatusUnauthorized || jsonError(r) != "login_required" {
				t.Errorf("%s: second logout: %d %s", door.name, r.status, r.body)
			}
			// The browser's login beside it is untouched.
			if _, status := b.me(); status != 200 {
				t.Errorf("%s: the bearer logout ended the cookie login: %d", door.name, status)
			}
		}
	})
}

// The error answers of both doors on every adapter: JSON with a string
// error, the status, no cookie, WeChat not called for a
// malformed request and called once otherwise.
func TestDoorErrors(t *testing.T) {
	forEachTimeout(t, shortTimeout, func(t *testing.T, e *env) {
		for _, door := range []struct{ name, path string }{
			{"miniprogram", weixintest.PathJSCode2Session}, {"app", weixintest.PathAccessToken},
		} {
			for _, tt := range []struct {
				name, ctype, body string
				fault             *weixintest.Fault
				status            int
				calls             int
			}{
				{"form", "application/x-www-form-urlencoded", "code=abc", nil, 400, 0},
				{"bad JSON", "application/json", `{"code"`, nil, 400, 0},
				{"no code", "application/json", `{}`, nil, 400, 0},
				{"number code", "application/json", `{"code":1}`, nil, 400, 0},
				{"long code", "application/json", `{"code":"` + strings.Repeat("c", 129) + `"}`, nil, 400, 0},
				{"big body", "application/json", `{"code":"c","x":"` + strings.Repeat("x", 4<<10) + `"}`, nil, 400, 0},
				{"invalid code", "application/json; charset=utf-8", `{"code":"nope"}`, nil, 401, 1},
				{"used code", "application/json", `{"code":"c"}`, &weixintest.Fault{Errcode: 40163}, 401, 1},
				{"quota", "application/json", `{"code":"c"}`, &weixintest.Fault{Errcode: 45011}, 429, 1},
				{"busy", "application/json", `{"code":"c"}`, &weixintest.Fault{Errcode: -1}, 502, 1},
				{"timeout", "application/json", `{"code":"c"}`, &weixintest.Fault{Delay: time.Minute}, 504, 1},
			} {
				e.wx.ClearFaults()
				e.wx.ResetLog()
				if tt.fault != nil {
					e.wx.InjectFault(door.path, *tt.fault)
				}
				r := e.call(http.MethodPost, "/auth/weixin/"+door.name, "", "", tt.ctype, tt.body)
				if r.status != tt.status || jsonError(r) == "" || len(r.header.Values("Set-Cookie")) != 0 {
					t.Errorf("%s %s: %d %s %v, want %d", door.name, tt.name, r.status, r.body, r.header, tt.status)
				}
				if (tt.status == 429) != (r.header.Get("Retry-After") == "60") {
					t.Errorf("%s %s: Retry-After %q", door.name, tt.name, r.header.Get("Retry-After"))
				}
				if n := e.wx.Calls(door.path); n != tt.calls {
					t.Errorf("%s %s: %d calls to WeChat, want %d", door.name, tt.name, n, tt.calls)
				}
			}
			if r := e.call(http.MethodGet, "/auth/weixin/"+door.name, "", "", "", ""); r.status != http.StatusMethodNotAllowed || jsonError(r) == "" {
				t.Errorf("%s: GET: %d %s", door.name, r.status, r.body)
			}
		}
		e.wx.ClearFaults()
	})
}

// On Redis sessions, with the exchanges shared through Redis: one code
// arriving at two instances at once is exchanged once; a bearer login
// made on one instance authenticates on another, and its logout there
// ends it on both within 100 ms.
func TestBearerOnRedis(t *testing.T) {
	rs := redistest.Start(t)
	for _, a := range adapters {
		t.Run(a.name, func(t *testing.T) {
			wx := weixintest.NewServer()
			t.Cleanup(wx.Close)
			open := func() scs.Store { return openRedisStore(t, rs) }
			s1, s2 := open().(*redisstore.Store), open().(*redisstore.Store)
			share := func(s *redisstore.Store) func(*core.Options) {
				return func(o *core.Options) { o.Exchanges = redisstore.NewExchanges(s.Client(), redisstore.ExchangeOptions{}) }
			}
			e1, e2 := newEnvTweaked(t, a, wx, s1, apiTimeout, share(s1)), newEnvTweaked(t, a, wx, s2, apiTimeout, share(s2))

			// One code arriving at both instances at once is exchanged
			// once, and answers every request its one session.
			for _, door := range []struct{ name, path, code string }{
				{"miniprogram", weixintest.PathJSCode2Session, wx.MiniProgramCode(weixintest.DefaultMiniProgramAppID, "u1")},
				{"app", weixintest.PathAccessToken, wx.SendAuthCode(weixintest.DefaultMobileAppID, "u1")},
			} {
				wx.InjectFault(door.path, weixintest.Fault{Delay: 100 * time.Millisecond, Times: 1})
				wx.ResetLog()
				var wg sync.WaitGroup
				answers := make([]answer, 4)
				for i := range answers {
					e := []*env{e1, e2}[i%2]
					wg.Go(func() {
						answers[i] = e.call(http.MethodPost, "/auth/weixin/"+door.name, "", "", "application/json", `{"code":"`+door.code+`"}`)
					})
				}
				wg.Wait()
				if n := wx.Calls(door.path); n != 1 {
					t.Errorf("%s: %d exchanges of one code on two instances, want 1", door.name, n)
				}
				tokens := map[string]bool{}
				for i, r := range answers {
					var got struct {
						Token string `json:"token"`
					}
					if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &got) != nil || got.Token == "" {
						t.Errorf("%s: arrival %d: %d %s", door.name, i, r.status, r.body)
					}
					tokens[got.Token] = true
				}
				if len(tokens) != 1 {
					t.Errorf("%s: one code on two instances answered %d sessions, want 1", door.name, len(tokens))
				}
			}

			tok := e1.doorLogin("app", "u3")
			if r := e2.call(http.MethodGet, "/api/me", tok, "", "", ""); r.status != 200 {
				t.Fatalf("the other instance: %d %s", r.status, r.body)
			}
			if r := e2.call(http.MethodPost, "/auth/weixin/logout", tok, "", "", ""); r.status != http.StatusNoContent {
				t.Fatalf("logout: %d", r.status)
			}
			deadline := time.Now().Add(100 * time.Millisecond)
			for {
				r := e1.call(http.MethodGet, "/api/me", tok, "", "", "")
				if r.status == http.StatusUnauthorized {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the first instance still answers %d 100 ms after the logout", r.status)
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
}
