// Command fiber is the wxlogin example for Fiber. Run it with
//
//	go run ./examples/fiber
//
// and open the URL it logs: without WEIXIN_APPID it logs in against a
// fake WeChat started in-process (dev mode). See docs/real-wechat.md for the
// configuration.
package main

import (
	"log"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/examples/internal/exampleapp"
	"github.com/wxlogin/wxlogin/fibermw"
)

func main() {
	app, err := exampleapp.FromEnv()
	if err != nil {
		log.Fatal(err)
	}
	defer app.Close()
	auth := app.Auth
	wl := fibermw.New(auth, fibermw.Options{})

	f := fiber.New(fiber.Config{
		DisableStartupMessage: true,
		ReadTimeout:           exampleapp.ReadHeaderTimeout,
		WriteTimeout:          exampleapp.WriteTimeout,
		IdleTimeout:           exampleapp.IdleTimeout,
	})
	// One log line per request, the callback's code and state redacted.
	f.Use(fibermw.AccessLog(app.Logger))
	f.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") }) // liveness; no session
	f.Get("/readyz", wl.Ready)                                                // readiness: the session store answers; no session
	f.Get("/metrics", adaptor.HTTPHandler(app.Metrics))                       // no session
	f.Use(wl.Sessions)
	f.Get("/", func(c *fiber.Ctx) error {
		c.Type("html", "utf-8")
		return app.IndexPage(c.UserContext(), c)
	})
	f.Get("/login", func(c *fiber.Ctx) error {
		start, err := auth.BeginLogin(c.UserContext(), core.LoginRequest{ReturnTo: c.Query("next")})
		if err != nil {
			return wl.ErrorPage(c, err)
		}
		exampleapp.SetPageHeaders(c.Set)
		return app.EmbeddedLoginPage(c.UserContext(), c, start)
	})
	f.Get("/auth/weixin/login", wl.Login)
	f.Get("/auth/weixin/callback", wl.Callback)
	f.All("/auth/weixin/logout", wl.Logout)
	f.All("/auth/weixin/miniprogram", wl.MiniProgramLogin)        // POST; bearer token, no cookie
	f.All("/auth/weixin/app", wl.AppLogin)                        // POST; bearer token, no cookie
	f.Post("/auth/weixin/miniprogram/phone", wl.MiniProgramPhone) // the getPhoneNumber code of a mini program login
	f.Get("/me", wl.RequireWeixinUser, func(c *fiber.Ctx) error {
		u, _ := fibermw.User(c)
		c.Type("html", "utf-8")
		return app.MePage(c.UserContext(), c, u)
	})
	f.Get("/api/me", wl.RequireWeixinUser, func(c *fiber.Ctx) error {
		u, _ := fibermw.User(c)
		return c.JSON(exampleapp.FromUser(u))
	})
	f.Get("/api/userinfo", wl.RequireWeixinUser, func(c *fiber.Ctx) error {
		ctx, cancel := exampleapp.WithTimeout(c.UserContext())
		defer cancel()
		info, err := auth.UserInfo(ctx, "") // refreshes the access token first when needed
		if err != nil {
			return wl.JSONError(c, err) // 401 login_required, 502 or 504 upstream
		}
		return c.JSON(exampleapp.FromUserInfo(info))
	})
	app.Logger.Info("listening", "addr", app.Addr, "url", app.PublicURL)
	log.Fatal(f.Listen(app.Addr))
}
