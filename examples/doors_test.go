package examples

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/internal/browsertest"
	"github.com/wxlogin/wxlogin/weixintest"
)

// doorsEnv is wechatEnv with the mini program and the mobile app.
func doorsEnv(wx *weixintest.Server) []string {
	return append(wechatEnv(wx, false),
		"WEIXIN_MINIPROGRAM_APPID="+weixintest.DefaultMiniProgramAppID, "WEIXIN_MINIPROGRAM_SECRET="+weixintest.DefaultMiniProgramSecret,
		"WEIXIN_APP_APPID="+weixintest.DefaultMobileAppID, "WEIXIN_APP_SECRET="+weixintest.DefaultMobileAppSecret)
}

// client is a mini program's wx.request or a mobile app's HTTP client:
// no cookie jar; its token, once it has one, in an Authorization header.
type client struct {
	t     *testing.T
	base  string
	token string
}

type reply struct {
	status int
	header http.Header
	body   string
}

func (c *client) do(method, path, contentType, body string) reply {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

func (r reply) errorCode() string {
	var e struct {
		Error *string `json:"error"`
	}
	if json.Unmarshal([]byte(r.body), &e) != nil || e.Error == nil {
		return "<no string error>"
	}
	return *e.Error
}

// login posts code to the door ("miniprogram" or "app") and keeps the
// token; it returns the answer's user.
func (c *client) login(door, code string) map[string]any {
	c.t.Helper()
	r := c.do(http.MethodPost, "/auth/weixin/"+door, "application/json", `{"code":"`+code+`"}`)
	var got struct {
		Token     string         `json:"token"`
		ExpiresAt string         `json:"expires_at"`
		User      map[string]any `json:"user"`
	}
	if r.status != 200 || json.Unmarshal([]byte(r.body), &got) != nil || got.Token == "" {
		c.t.Fatalf("%s login: %d %s", door, r.status, r.body)
	}
	if len(r.header.Values("Set-Cookie")) != 0 {
		c.t.Errorf("%s login set a cookie", door)
	}
	if exp, err := time.Parse(time.RFC3339, got.ExpiresAt); err != nil || !exp.After(time.Now()) {
		c.t.Errorf("%s login: expires_at %q", door, got.ExpiresAt)
	}
	for _, k := range []string{"openid", "unionid", "account_id"} {
		if _, ok := got.User[k].(string); !ok {
			c.t.Errorf("%s login: user.%s is not a string: %s", door, k, r.body)
		}
	}
	if strings.Contains(r.body, "session_key") {
		c.t.Errorf("%s login: %s", door, r.body)
	}
	c.token = got.Token
	return got.User
}

// The section "Every WeChat door, one account" of the contract, the rows
// of issue 15, on every example: a mini program and a mobile app log in
// with their codes and use the bearer token on every route.
func TestContractDoors(t *testing.T) {
	each(t, func(t *testing.T, name string) {
		wx := weixintest.NewServer()
		defer wx.Close()
		p := start(t, name, doorsEnv(wx)...)

		// The mini program.
		mini := &client{t: t, base: p.base}
		user := mini.login("miniprogram", wx.MiniProgramCode(weixintest.DefaultMiniProgramAppID, "u2"))
		if user["openid"] != wx.OpenID(weixintest.DefaultMiniProgramAppID, "u2") || user["unionid"] == "" {
			t.Errorf("mini program user %v", user)
		}
		r := mini.do(http.MethodGet, "/api/me", "", "")
		var me map[string]any
		json.Unmarshal([]byte(r.body), &me)
		if r.status != 200 || me["openid"] != user["openid"] || me["unionid"] != user["unionid"] {
			t.Errorf("mini program /api/me: %d %s", r.status, r.body)
		}
		if _, ok := me["account_id"].(string); !ok {
			t.Errorf("/api/me has no string account_id: %s", r.body)
		}
		if r := mini.do(http.MethodGet, "/api/userinfo", "", ""); r.status != 400 || r.errorCode() != "no_user_token" {
			t.Errorf("mini program /api/userinfo: %d %s", r.status, r.body)
		}
		if r := mini.do(http.MethodGet, "/me", "", ""); r.status != 200 || !strings.Contains(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("mini program /me: %d", r.status)
		}

		// The mobile app: its tokens are kept and refreshed.
		app := &client{t: t, base: p.base}
		wx.SetAccessTokenTTL(time.Second) // within the refresh margin: refreshed at first use
		user = app.login("app", wx.SendAuthCode(weixintest.DefaultMobileAppID, "u2"))
		wx.SetAccessTokenTTL(2 * time.Hour)
		if user["openid"] != wx.OpenID(weixintest.DefaultMobileAppID, "u2") {
			t.Errorf("mobile app user %v", user)
		}
		r = app.do(http.MethodGet, "/api/userinfo", "", "")
		json.Unmarshal([]byte(r.body), &me)
		if r.status != 200 || me["nickname"] != "Lily 🌸✨" || wx.Calls(weixintest.PathRefreshToken) != 1 {
			t.Errorf("mobile app /api/userinfo: %d %s, %d refreshes", r.status, r.body, wx.Calls(weixintest.PathRefreshToken))
		}

		// The bearer wins over a cookie; a token in the query is ignored.
		b := browsertest.New(t, p.base)
		b.Get(login(t, wx, b, "", "u1"))
		req, _ := http.NewRequest(http.MethodGet, p.base+"/api/me", nil)
		req.Header.Set("Authorization", "Bearer "+app.token)
		req.AddCookie(&http.Cookie{Name: "session", Value: b.SessionCookie()})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(resp.Body).Decode(&me)
		resp.Body.Close()
		if me["openid"] != wx.OpenID(weixintest.DefaultMobileAppID, "u2") {
			t.Errorf("bearer and cookie: %v", me)
		}
		anon := &client{t: t, base: p.base}
		if r := anon.do(http.MethodGet, "/api/me?"+url.Values{"token": {app.token}}.Encode(), "", ""); r.status != 401 {
			t.Errorf("a token in the query string: %d", r.status)
		}

		// Logout: 204, then 401 JSON everywhere, never a 302.
		if r := mini.do(http.MethodPost, "/auth/weixin/logout", "", ""); r.status != 204 {
			t.Errorf("mini program logout: %d %s", r.status, r.body)
		}
		for _, path := range []string{"/me", "/api/me", "/api/userinfo"} {
			if r := mini.do(http.MethodGet, path, "", ""); r.status != 401 || r.errorCode() != "login_required" {
				t.Errorf("after logout, %s: %d %s", path, r.status, r.body)
			}
		}
		if r := mini.do(http.MethodPost, "/auth/weixin/logout", "", ""); r.status != 401 || r.errorCode() != "login_required" {
			t.Errorf("logout after logout: %d %s", r.status, r.body)
		}
		if r := app.do(http.MethodGet, "/api/me", "", ""); r.status != 200 {
			t.Errorf("the mobile app's login ended with the mini program's: %d", r.status)
		}
		if r := b.API("/api/me"); r.StatusCode != 200 {
			t.Errorf("the browser's login ended: %d", r.StatusCode)
		}
		// The log never holds a code, a token or a session key.
		if log := p.log.String(); strings.Contains(log, app.token) || strings.Contains(log, mini.token) || strings.Contains(log, "session_key") {
			t.Errorf("a secret in the log:\n%s", log)
		}
	})
}

// The error answers of both doors on every example: JSON with a string
// error, no cookie, no session.
func TestContractDoorErrors(t *testing.T) {
	each(t, func(t *testing.T, name string) {
		wx := weixintest.NewServer()
		defer wx.Close()
		blocked := wx.AddUser(weixintest.User{Nickname: "x", Blocked: true})
		p := start(t, name, doorsEnv(wx)...)
		c := &client{t: t, base: p.base}
		for _, door := range []struct{ name, path string }{
			{"miniprogram", weixintest.PathJSCode2Session}, {"app", weixintest.PathAccessToken},
		} {
			for _, tt := range []struct {
				name, ctype, body string
				errcode           int
				status            int
			}{
				{"text/plain", "text/plain", `{"code":"x"}`, 0, 400},
				{"bad JSON", "application/json", `{"code":"x"`, 0, 400},
				{"no code", "application/json", `{"js_code":"x"}`, 0, 400},
				{"code not a string", "application/json", `{"code":["x"]}`, 0, 400},
				{"code over 128 bytes", "application/json", `{"code":"` + strings.Repeat("x", 129) + `"}`, 0, 400},
				{"body over 4 KiB", "application/json", `{"code":"x","p":"` + strings.Repeat("p", 4096) + `"}`, 0, 400},
				{"40029", "application/json", `{"code":"unknown"}`, 0, 401},
				{"40163", "application/json", `{"code":"x"}`, 40163, 401},
				{"42003", "application/json", `{"code":"x"}`, 42003, 401},
				{"45011", "application/json", `{"code":"x"}`, 45011, 429},
				{"-1", "application/json", `{"code":"x"}`, -1, 502},
				{"40125", "application/json", `{"code":"x"}`, 40125, 502},
			} {
				wx.ResetLog()
				if tt.errcode != 0 {
					wx.InjectFault(door.path, weixintest.Fault{Errcode: tt.errcode, Times: 1})
				}
				r := c.do(http.MethodPost, "/auth/weixin/"+door.name, tt.ctype, tt.body)
				if r.status != tt.status || r.errorCode() == "<no string error>" || len(r.header.Values("Set-Cookie")) != 0 {
					t.Errorf("%s %s: %d %s, want %d JSON", door.name, tt.name, r.status, r.body, tt.status)
				}
				if tt.status == 429 && r.header.Get("Retry-After") == "" {
					t.Errorf("%s 45011: no Retry-After", door.name)
				}
				calls := wx.Calls(door.path)
				if (tt.status == 400 && calls != 0) || (tt.status != 400 && calls != 1) {
					t.Errorf("%s %s: %d calls to WeChat", door.name, tt.name, calls)
				}
			}
		}
		r := c.do(http.MethodPost, "/auth/weixin/miniprogram", "application/json",
			`{"code":"`+wx.MiniProgramCode(weixintest.DefaultMiniProgramAppID, blocked.ID)+`"}`)
		if r.status != 403 || r.errorCode() == "<no string error>" {
			t.Errorf("40226: %d %s", r.status, r.body)
		}
		// Not configured: 404.
		q := start(t, name, wechatEnv(wx, false)...)
		bare := &client{t: t, base: q.base}
		for _, door := range []string{"miniprogram", "app"} {
			if r := bare.do(http.MethodPost, "/auth/weixin/"+door, "application/json", `{"code":"x"}`); r.status != 404 {
				t.Errorf("%s unconfigured: %d %s", door, r.status, r.body)
			}
		}
	})
}

var devCodeURL = regexp.MustCompile(`GET (http://127\.0\.0\.1:\d+/weixintest/code\?appid=\w+&user=u1)`)

// Dev mode: the fake's mini program and mobile app, and the log names the
// fake's URL that hands out their codes.
func TestContractDoorsDevMode(t *testing.T) {
	each(t, func(t *testing.T, name string) {
		p := start(t, name)
		urls := devCodeURL.FindAllStringSubmatch(p.log.String(), -1)
		if len(urls) != 2 {
			t.Fatalf("the log names %d code URLs, want 2:\n%s", len(urls), p.log)
		}
		for _, m := range urls {
			door := "miniprogram"
			if strings.Contains(m[1], weixintest.DefaultMobileAppID) {
				door = "app"
			}
			resp, err := http.Get(m[1])
			if err != nil {
				t.Fatal(err)
			}
			var got struct{ Code string }
			json.NewDecoder(resp.Body).Decode(&got)
			resp.Body.Close()
			c := &client{t: t, base: p.base}
			c.login(door, got.Code)
			if r := c.do(http.MethodGet, "/api/me", "", ""); r.status != 200 {
				t.Errorf("%s: /api/me: %d", door, r.status)
			}
		}
	})
}

// With SESSION_REDIS_URL, two instances: one code posted to both at once
// is exchanged once and both answer its one session; a bearer token from
// one authenticates on the other; its logout on one ends it on both
// within 100 ms.
func TestContractDoorsRedis(t *testing.T) {
	skipIfShort(t, "the Redis tests")
	each(t, func(t *testing.T, name string) {
		redisURL := redisURL(t)
		wx := weixintest.NewServer()
		defer wx.Close()
		env := append(doorsEnv(wx), "SESSION_REDIS_URL="+redisURL)
		a, b := start(t, name, env...), start(t, name, env...)

		code := wx.MiniProgramCode(weixintest.DefaultMiniProgramAppID, "u1")
		wx.InjectFault(weixintest.PathJSCode2Session, weixintest.Fault{Delay: 100 * time.Millisecond, Times: 1})
		ca, cb := &client{t: t, base: a.base}, &client{t: t, base: b.base}
		done := make(chan reply)
		go func() {
			done <- cb.do(http.MethodPost, "/auth/weixin/miniprogram", "application/json", `{"code":"`+code+`"}`)
		}()
		ca.login("miniprogram", code)
		r := <-done
		var onBLogin struct {
			Token string `json:"token"`
		}
		if json.Unmarshal([]byte(r.body), &onBLogin); r.status != 200 || onBLogin.Token == "" {
			t.Fatalf("the same code on B: %d %s", r.status, r.body)
		}
		if onBLogin.Token != ca.token {
			t.Errorf("one code at two instances: two sessions")
		}
		if n := wx.Calls(weixintest.PathJSCode2Session); n != 1 {
			t.Errorf("one code at two instances: %d exchanges", n)
		}

		onB := &client{t: t, base: b.base, token: ca.token}
		if r := onB.do(http.MethodGet, "/api/me", "", ""); r.status != 200 {
			t.Fatalf("A's token on B: %d %s", r.status, r.body)
		}
		if r := ca.do(http.MethodPost, "/auth/weixin/logout", "", ""); r.status != 204 {
			t.Fatalf("logout on A: %d", r.status)
		}
		deadline := time.Now().Add(100 * time.Millisecond)
		for {
			r := onB.do(http.MethodGet, "/api/me", "", "")
			if r.status == 401 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("B still answers %d 100 ms after the logout on A", r.status)
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}
