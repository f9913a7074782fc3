// Package recipetest holds the scenarios that the recipe tests of
// nethttpmw, ginmw and fibermw share: each adapter's test mounts the
// documents' code on its framework and runs the same scenario, so that
// the three recipes are proven to behave alike.
package recipetest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/internal/browsertest"
	"github.com/wxlogin/wxlogin/weixintest"
)

// EndedLogin logs u1 in with b, then checks what docs/behaviour.md
// says: RequireWeixinUser (/me) reads the session only, freshLogin
// (/account) calls WeChat when the access token has expired and ends a
// login whose refresh token WeChat refuses, and lets a request through
// when WeChat is unreachable.
func EndedLogin(t testing.TB, wx *weixintest.Server, b *browsertest.Browser) {
	t.Helper()
	cb, err := wx.Authorize(b.Get("/auth/weixin/login").Header.Get("Location"), "u1")
	if err != nil {
		t.Fatal(err)
	}
	if r := b.Get(cb.String()); r.StatusCode != http.StatusFound {
		t.Fatalf("callback: %d %s", r.StatusCode, r.Body)
	}
	status := func(path string) int { t.Helper(); return b.API(path).StatusCode }

	// WeChat down, the access token expired: the login stays.
	wx.Advance(3 * time.Hour)
	wx.InjectFault(weixintest.PathRefreshToken, weixintest.Fault{Status: http.StatusServiceUnavailable})
	if got := status("/account"); got != http.StatusOK {
		t.Errorf("/account, WeChat down: %d, want 200", got)
	}
	// WeChat no longer accepts the refresh token (40030, invalid).
	wx.ClearFaults()
	wx.InjectFault(weixintest.PathRefreshToken, weixintest.Fault{Errcode: 40030})
	refreshes := wx.Calls(weixintest.PathRefreshToken)
	if got := status("/me"); got != http.StatusOK {
		t.Errorf("/me before a token call: %d, want 200 (RequireWeixinUser reads the session only)", got)
	}
	if n := wx.Calls(weixintest.PathRefreshToken); n != refreshes {
		t.Errorf("RequireWeixinUser called WeChat: %d refreshes", n-refreshes)
	}
	if got := status("/account"); got != http.StatusUnauthorized {
		t.Errorf("/account, refresh token refused: %d, want 401", got)
	}
	if got := status("/me"); got != http.StatusUnauthorized {
		t.Errorf("/me after the token call ended the login: %d, want 401", got)
	}
}

// BearerDoors logs u1 in through the mini program's and the mobile app's
// routes of the documents' API program (POST /auth/weixin/miniprogram
// and /app with {"code"}), as a client without cookies: each login
// answers a token and no cookie, the token reads /api/me, logs out (204),
// and no longer reads /api/me (401). do sends a request made with
// httptest.NewRequest to the app, at base + path.
func BearerDoors(t testing.TB, wx *weixintest.Server, base string, do func(*http.Request) (*http.Response, error)) {
	t.Helper()
	for door, code := range map[string]string{
		"miniprogram": wx.MiniProgramCode(weixintest.DefaultMiniProgramAppID, "u1"),
		"app":         wx.SendAuthCode(weixintest.DefaultMobileAppID, "u1"),
	} {
		req := httptest.NewRequest(http.MethodPost, base+"/auth/weixin/"+door, strings.NewReader(`{"code":"`+code+`"}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := do(req)
		if err != nil {
			t.Fatal(err)
		}
		var login struct {
			Token string `json:"token"`
		}
		json.NewDecoder(resp.Body).Decode(&login)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || login.Token == "" || resp.Header.Get("Set-Cookie") != "" {
			t.Fatalf("%s login: %d", door, resp.StatusCode)
		}
		call := func(method, path string) int {
			req := httptest.NewRequest(method, base+path, nil)
			req.Header.Set("Authorization", "Bearer "+login.Token)
			resp, err := do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if got := call(http.MethodGet, "/api/me"); got != http.StatusOK {
			t.Errorf("%s: /api/me: %d", door, got)
		}
		if got := call(http.MethodPost, "/auth/weixin/logout"); got != http.StatusNoContent {
			t.Errorf("%s: logout: %d", door, got)
		}
		if got := call(http.MethodGet, "/api/me"); got != http.StatusUnauthorized {
			t.Errorf("%s: after logout: %d", door, got)
		}
	}
}
