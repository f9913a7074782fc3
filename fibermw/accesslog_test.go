package fibermw_test

import (
	"log/slog"
	"net"
	"net/http"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/gofiber/fiber/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/fibermw"
	"github.com/wxlogin/wxlogin/internal/browsertest"
	"github.com/wxlogin/wxlogin/internal/logtest"
	"github.com/wxlogin/wxlogin/weixintest"
)

// A whole login through AccessLog: the callback's code and state reach
// the handler (the login succeeds) and never the log, which has one line
// per request, with the status the error handler answers for an error.
func TestAccessLog(t *testing.T) {
	wx := weixintest.NewServer()
	defer wx.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	web := wx.Config(weixintest.DefaultAppID, base+"/auth/weixin/callback", weixin.ScopeLogin)
	auth, err := core.New(core.Options{Website: &web, Sessions: scs.New(), DefaultReturnTo: "/api/me"})
	if err != nil {
		t.Fatal(err)
	}
	var log logtest.Buffer
	wl := fibermw.New(auth, fibermw.Options{})
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Use(fibermw.AccessLog(slog.New(slog.NewJSONHandler(&log, nil))), wl.Sessions)
	app.Get("/auth/weixin/login", wl.Login)
	app.Get("/auth/weixin/callback", wl.Callback)
	app.Get("/api/me", wl.RequireWeixinUser, func(c *fiber.Ctx) error {
		u, _ := fibermw.User(c)
		return c.SendString(u.Nickname)
	})
	app.Get("/empty", func(*fiber.Ctx) error { return nil })
	app.Get("/teapot", func(*fiber.Ctx) error { return fiber.ErrTeapot })
	go app.Listener(ln)
	defer app.Shutdown()

	logtest.AccessLogin(t, wx, base, &log)
	// An error the handler returns is logged with the status the app's
	// error handler answers it with.
	if r := browsertest.New(t, base).Get("/teapot?ticket=T0K3N"); r.StatusCode != http.StatusTeapot {
		t.Errorf("/teapot: %d", r.StatusCode)
	}
	lines := logtest.AccessLines(t, log.String())
	if len(lines) != 5 || lines[4]["path"] != "/teapot" || lines[4]["query"] != "ticket=REDACTED" || lines[4]["status"] != 418.0 {
		t.Errorf("the error's line:\n%s", log.String())
	}
}
