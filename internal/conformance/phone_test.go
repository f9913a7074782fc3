package conformance

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wxlogin/wxlogin/weixintest"
)

// The mini program of the conformance apps, and the user who logs in.
const (
	mpAppID  = weixintest.DefaultMiniProgramAppID
	mpUserID = "u1"
)

// post sends body to path with contentType through b's cookie jar.
func (b *browser) post(path, contentType, body string) (int, string) {
	b.e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.Base+path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := b.Client.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// bearerPost sends body to path with the bearer token (and no cookie).
func (e *env) bearerPost(token, path, contentType, body string) (int, string) {
	e.t.Helper()
	r := e.call(http.MethodPost, path, token, "", contentType, body)
	return r.status, r.body
}

const phonePath = "/auth/weixin/miniprogram/phone"

// POST /auth/weixin/miniprogram/phone answers alike on the three
// adapters: the phone of a mini program login (countryCode read as a
// number or a string), kept for /api/me; 400 for a bad body or a bad,
// used or foreign code; 401 without a mini program login's bearer token
// (a website cookie does not count, and a dead token beside a live cookie
// is refused); 405 for GET.
func TestMiniProgramPhone(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		b := e.browser()
		code := func(phone string) string {
			return `{"code":"` + e.wx.PhoneCode(mpAppID, mpUserID, phone) + `"}`
		}
		// No login; a website login.
		if st, body := b.post(phonePath, "application/json", code("13800138000")); st != http.StatusUnauthorized || !strings.Contains(body, `"login_required"`) {
			t.Errorf("no login: %d %s", st, body)
		}
		b.login(mpUserID, "")
		if st, _ := b.post(phonePath, "application/json", code("13800138000")); st != http.StatusUnauthorized {
			t.Errorf("a website login: %d", st)
		}
		if n := e.wx.Calls(weixintest.PathPhoneNumber); n != 0 {
			t.Errorf("WeChat called %d times without a mini program login", n)
		}

		token := e.doorLogin("miniprogram", mpUserID)
		post := func(contentType, body string) (int, string) { return e.bearerPost(token, phonePath, contentType, body) }
		st, body := post("application/json", code("13800138000"))
		var got struct {
			Phone       string `json:"phone"`
			CountryCode any    `json:"country_code"`
		}
		json.Unmarshal([]byte(body), &got)
		if st != http.StatusOK || got.Phone != "13800138000" || got.CountryCode != "86" {
			t.Fatalf("phone: %d %s", st, body)
		}
		if r := e.call(http.MethodGet, "/api/me", token, "", "", ""); r.status != http.StatusOK || !strings.Contains(r.body, `"phone":"13800138000"`) {
			t.Errorf("/api/me after the binding: %d %s", r.status, r.body)
		}
		if st, body := post("application/json; charset=utf-8", code("+1 4155550100")); st != http.StatusOK || !strings.Contains(body, `"country_code":"1"`) {
			t.Errorf("a foreign number: %d %s", st, body)
		}

		calls := e.wx.Calls(weixintest.PathPhoneNumber)
		for _, c := range []struct{ name, contentType, body string }{
			{"form body", "application/x-www-form-urlencoded", "code=abc"},
			{"bad JSON", "application/json", `{"code":`},
			{"no code", "application/json", `{}`},
			{"a number", "application/json", `{"code":123}`},
			{"a long code", "application/json", `{"code":"` + strings.Repeat("a", 129) + `"}`},
			{"a big body", "application/json", `{"code":"abc","pad":"` + strings.Repeat("x", 5000) + `"}`},
		} {
			if st, body := post(c.contentType, c.body); st != http.StatusBadRequest || !strings.Contains(body, `"error"`) {
				t.Errorf("%s: %d %s", c.name, st, body)
			}
		}
		if n := e.wx.Calls(weixintest.PathPhoneNumber); n != calls {
			t.Errorf("bad bodies reached WeChat %d times", n-calls)
		}
		used := e.wx.PhoneCode(mpAppID, mpUserID, "13800138000")
		post("application/json", `{"code":"`+used+`"}`)
		for name, body := range map[string]string{
			"used":          `{"code":"` + used + `"}`,
			"unknown":       `{"code":"0123456789abcdef"}`,
			"another app's": `{"code":"` + e.wx.PhoneCode(weixintest.DefaultMPAppID, mpUserID, "13800138000") + `"}`,
		} {
			if st, resp := post("application/json", body); st != http.StatusBadRequest || !strings.Contains(resp, `"code_invalid"`) {
				t.Errorf("%s code: %d %s", name, st, resp)
			}
		}
		if r := b.Do(http.MethodGet, phonePath, "application/json"); r.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("GET: %d", r.StatusCode)
		}
		// A dead token beside a live website cookie: 401.
		var cookie string
		base, _ := url.Parse(e.base)
		for _, c := range b.Client.Jar.Cookies(base) {
			cookie = c.Value
		}
		if cookie == "" {
			t.Fatal("the browser holds no session cookie")
		}
		if r := e.call(http.MethodPost, phonePath, "no-such-token", cookie, "application/json", code("13800138000")); r.status != http.StatusUnauthorized {
			t.Errorf("a dead token beside a live cookie: %d %s", r.status, r.body)
		}
		if st := e.wx.AppTokenStats(mpAppID); st.StableFetches != 1 || e.wx.Calls(weixintest.PathToken) != 0 || st.ForcedRefreshes != 0 {
			t.Errorf("app token: %+v, %d /cgi-bin/token calls", st, e.wx.Calls(weixintest.PathToken))
		}
	})
}
