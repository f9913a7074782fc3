package fibermw_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"

	"github.com/alexedwards/scs/v2"
	"github.com/gofiber/fiber/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/fibermw"
	"github.com/wxlogin/wxlogin/weixintest"
)

// A Fiber app with a login route, a callback route, a logout route and an
// API that needs the user, logging in against the fake WeChat.
func Example() {
	wx := weixintest.NewServer() // in production: no fake, and Endpoint left zero
	defer wx.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	base := "http://" + ln.Addr().String()

	website := wx.Config(weixintest.DefaultAppID, base+"/auth/weixin/callback", weixin.ScopeLogin)
	auth, err := core.New(core.Options{Website: &website, Sessions: scs.New(), DefaultReturnTo: "/api/me"})
	if err != nil {
		panic(err)
	}
	wl := fibermw.New(auth, fibermw.Options{})
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Use(wl.Sessions)
	app.Get("/auth/weixin/login", wl.Login)
	app.Get("/auth/weixin/callback", wl.Callback)
	app.Post("/auth/weixin/logout", wl.Logout)
	app.Get("/api/me", wl.RequireWeixinUser, func(c *fiber.Ctx) error {
		u, _ := fibermw.User(c)
		return c.JSON(fiber.Map{"nickname": u.Nickname})
	})
	go app.Listener(ln)
	defer app.Shutdown()

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	resp, _ := browser.Get(base + "/api/me")
	resp.Body.Close()
	fmt.Println("before login:", resp.StatusCode)

	noFollow := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, _ = noFollow.Get(base + "/auth/weixin/login")
	resp.Body.Close()
	callback, _ := wx.Authorize(resp.Header.Get("Location"), "u3")
	resp, _ = browser.Get(callback.String())
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println("after login:", resp.StatusCode, string(body))
	// Output:
	// before login: 401
	// after login: 200 {"nickname":"Alice"}
}
