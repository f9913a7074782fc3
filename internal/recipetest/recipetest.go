// Package recipetest holds the scenarios that the recipe tests of
// nethttpmw, ginmw and fibermw share: each adapter's test mounts the
// documents' code on its framework and runs the same scenario, so that
// the three recipes are proven to behave alike.
package recipetest

import (
	"net/http"
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
