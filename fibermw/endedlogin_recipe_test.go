package fibermw_test

// The middleware docs/behaviour.md shows ("What reads the session, what
// calls WeChat", Fiber), word for word between the README markers, and its
// test, the same as nethttpmw's.

import (
	"errors"
	"net"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/gofiber/fiber/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/fibermw"
	"github.com/wxlogin/wxlogin/internal/browsertest"
	"github.com/wxlogin/wxlogin/internal/readmecheck"
	"github.com/wxlogin/wxlogin/internal/recipetest"
	"github.com/wxlogin/wxlogin/weixintest"
)

func TestREADMEEndedLogin(t *testing.T) {
	readmecheck.Mirrored(t, "endedlogin_recipe_test.go", "../docs/behaviour.md")
}

// README begin
// freshLogin, after wl.RequireWeixinUser, refuses a login that has ended at WeChat.
func freshLogin(wl *fibermw.Handlers) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if _, err := wl.Token(c); errors.Is(err, core.ErrLoginRequired) {
			return wl.JSONError(c, err)
		}
		return c.Next()
	}
}

// app.Get("/account", wl.RequireWeixinUser, freshLogin(wl), account)
// README end

func TestFreshLogin(t *testing.T) {
	wx := weixintest.NewServer()
	defer wx.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	web := wx.Config(weixintest.DefaultAppID, base+"/auth/weixin/callback", weixin.ScopeLogin)
	auth, err := core.New(core.Options{Website: &web, Sessions: scs.New()})
	if err != nil {
		t.Fatal(err)
	}
	wl := fibermw.New(auth, fibermw.Options{})
	ok := func(c *fiber.Ctx) error { return c.SendString("ok") }
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Use(wl.Sessions)
	app.Get("/auth/weixin/login", wl.Login)
	app.Get("/auth/weixin/callback", wl.Callback)
	app.Get("/me", wl.RequireWeixinUser, ok)
	app.Get("/account", wl.RequireWeixinUser, freshLogin(wl), ok)
	go app.Listener(ln)
	defer app.Shutdown()
	recipetest.EndedLogin(t, wx, browsertest.New(t, base))
}
