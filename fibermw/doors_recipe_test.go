package fibermw_test

// The mini program's login docs/frameworks.md shows ("Mini programs and mobile apps",
// Fiber), word for word between the README markers, and its test.

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gofiber/fiber/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/fibermw"
	"github.com/wxlogin/wxlogin/internal/readmecheck"
	"github.com/wxlogin/wxlogin/weixintest"
)

func TestREADMEDoors(t *testing.T) {
	readmecheck.Mirrored(t, "doors_recipe_test.go", "../docs/frameworks.md")
}

// README begin
// newAPI serves a mini program (and a mobile app): each logs in with its code and
// then sends "Authorization: Bearer <token>", as wx.request keeps no cookies.
func newAPI(auth *core.Auth) *fiber.App {
	wl := fibermw.New(auth, fibermw.Options{})
	app := fiber.New(fiber.Config{ReadTimeout: 15 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute})
	app.Use(fibermw.AccessLog(slog.Default()))                // a line per request: no code, no token
	app.Use(wl.Sessions)                                      // the bearer token, else the session cookie
	app.Post("/auth/weixin/miniprogram", wl.MiniProgramLogin) // {"code"} → {"token","expires_at","user"}
	app.Post("/auth/weixin/app", wl.AppLogin)                 // a mobile app's SendAuth code
	app.Post("/auth/weixin/logout", wl.Logout)                // with a bearer token: 204
	app.Get("/api/me", wl.RequireWeixinUser, func(c *fiber.Ctx) error {
		u, _ := fibermw.User(c) // a dead token: 401 JSON, never a redirect
		return c.JSON(fiber.Map{"openid": u.OpenID, "unionid": u.UnionID})
	})
	return app
}

// README end

func TestMiniProgramBearer(t *testing.T) {
	wx := weixintest.NewServer()
	defer wx.Close()
	mini := wx.Config(weixintest.DefaultMiniProgramAppID, "", "")
	mobile := wx.Config(weixintest.DefaultMobileAppID, "", "")
	auth, err := core.New(core.Options{MiniProgram: &mini, MobileApp: &mobile, Sessions: scs.New()})
	if err != nil {
		t.Fatal(err)
	}
	app := newAPI(auth)
	for door, code := range map[string]string{
		"miniprogram": wx.MiniProgramCode(weixintest.DefaultMiniProgramAppID, "u1"),
		"app":         wx.SendAuthCode(weixintest.DefaultMobileAppID, "u1"),
	} {
		req := httptest.NewRequest(http.MethodPost, "/auth/weixin/"+door, strings.NewReader(`{"code":"`+code+`"}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := app.Test(req, -1)
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
			req := httptest.NewRequest(method, path, nil)
			req.Header.Set("Authorization", "Bearer "+login.Token)
			resp, err := app.Test(req, -1)
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
