package fibermw_test

// The middleware docs/behaviour.md shows ("What reads the session, what
// calls WeChat", Fiber), word for word between the README markers, and its
// test, the same as nethttpmw's.

import (
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gofiber/fiber/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/fibermw"
	"github.com/wxlogin/wxlogin/internal/browsertest"
	"github.com/wxlogin/wxlogin/internal/readmecheck"
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
	endedLoginScenario(t, wx, browsertest.New(t, base))
}

// endedLoginScenario logs u1 in with b, then checks what docs/behaviour.md
// says: RequireWeixinUser (/me) reads the session only, freshLogin
// (/account) calls WeChat when the access token has expired and ends a
// login whose refresh token WeChat refuses, and lets a request through
// when WeChat is unreachable.
func endedLoginScenario(t *testing.T, wx *weixintest.Server, b *browsertest.Browser) {
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
