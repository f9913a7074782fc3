package fibermw_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/gofiber/fiber/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/fibermw"
	"github.com/wxlogin/wxlogin/weixintest"
)

// Routes mounted without Sessions answer 500 and log the fix, instead of
// scs' panic "no session data in context".
func TestWithoutSessionsMiddleware(t *testing.T) {
	wx := weixintest.NewServer()
	defer wx.Close()
	var logs bytes.Buffer
	website := wx.Config(weixintest.DefaultAppID, "http://app.example/auth/weixin/callback", weixin.ScopeLogin)
	auth, err := core.New(core.Options{Website: &website, Sessions: scs.New(), Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	wl := fibermw.New(auth, fibermw.Options{})
	app := fiber.New() // no app.Use(wl.Sessions)
	app.Get("/auth/weixin/login", wl.Login)
	app.Get("/auth/weixin/callback", wl.Callback)
	app.All("/auth/weixin/logout", wl.Logout)
	app.Get("/me", wl.RequireWeixinUser, func(c *fiber.Ctx) error {
		t.Error("the protected handler ran")
		return nil
	})
	for _, tt := range []struct{ method, path string }{
		{"GET", "/auth/weixin/login"},
		{"GET", "/auth/weixin/callback?code=c&state=s"},
		{"POST", "/auth/weixin/logout"},
		{"GET", "/me"},
	} {
		logs.Reset()
		resp, err := app.Test(httptest.NewRequest(tt.method, tt.path, nil))
		if err != nil {
			t.Fatalf("%s %s: %v", tt.method, tt.path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusInternalServerError {
			t.Errorf("%s %s: %d, want 500", tt.method, tt.path, resp.StatusCode)
		}
		if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "fibermw: app.Use(h.Sessions)") {
			t.Errorf("%s %s: the log does not name the fix: %q", tt.method, tt.path, logs.String())
		}
	}
}
