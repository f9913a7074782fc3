package fibermw_test

// The mini program's login docs/frameworks.md shows ("Mini programs and mobile apps",
// Fiber), word for word between the README markers, and its test.

import (
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gofiber/fiber/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/fibermw"
	"github.com/wxlogin/wxlogin/internal/readmecheck"
	"github.com/wxlogin/wxlogin/internal/recipetest"
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
	recipetest.BearerDoors(t, wx, "", func(req *http.Request) (*http.Response, error) { return app.Test(req, -1) })
}
