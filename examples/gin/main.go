// Command gin is the wxlogin example for Gin. Run it with
//
//	go run ./examples/gin
//
// and open the URL it logs: without WEIXIN_APPID it logs in against a
// fake WeChat started in-process (dev mode). See docs/real-wechat.md for the
// configuration.
package main

import (
	"bytes"
	"log"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/examples/internal/exampleapp"
	"github.com/wxlogin/wxlogin/ginmw"
)

func main() {
	app, err := exampleapp.FromEnv()
	if err != nil {
		log.Fatal(err)
	}
	defer app.Close()
	auth := app.Auth
	wl := ginmw.New(auth, ginmw.Options{})

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	// One log line per request, the callback's code and state redacted.
	r.Use(ginmw.AccessLog(app.Logger), ginmw.Recovery(app.Logger))
	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") }) // liveness; no session
	r.GET("/readyz", wl.Ready)                                                // readiness: the session store answers; no session
	r.GET("/metrics", gin.WrapH(app.Metrics))                                 // no session
	s := r.Group("/", wl.Sessions)
	s.GET("/", func(c *gin.Context) {
		var b bytes.Buffer
		app.IndexPage(c.Request.Context(), &b)
		c.Data(http.StatusOK, "text/html; charset=utf-8", b.Bytes())
	})
	s.GET("/login", func(c *gin.Context) {
		start, err := auth.BeginLogin(c.Request.Context(), core.LoginRequest{ReturnTo: c.Query("next")})
		if err != nil {
			wl.ErrorPage(c, err)
			return
		}
		var b bytes.Buffer
		app.EmbeddedLoginPage(c.Request.Context(), &b, start)
		exampleapp.SetPageHeaders(c.Header)
		c.Data(http.StatusOK, "text/html; charset=utf-8", b.Bytes())
	})
	s.GET("/auth/weixin/login", wl.Login)
	s.GET("/auth/weixin/callback", wl.Callback)
	s.Any("/auth/weixin/logout", wl.Logout)
	s.Any("/auth/weixin/miniprogram", wl.MiniProgramLogin)        // POST; bearer token, no cookie
	s.Any("/auth/weixin/app", wl.AppLogin)                        // POST; bearer token, no cookie
	s.POST("/auth/weixin/miniprogram/phone", wl.MiniProgramPhone) // the getPhoneNumber code of a mini program login
	s.GET("/me", wl.RequireWeixinUser, func(c *gin.Context) {
		u, _ := ginmw.User(c)
		var b bytes.Buffer
		app.MePage(c.Request.Context(), &b, u)
		c.Data(http.StatusOK, "text/html; charset=utf-8", b.Bytes())
	})
	s.GET("/api/me", wl.RequireWeixinUser, func(c *gin.Context) {
		u, _ := ginmw.User(c)
		c.JSON(http.StatusOK, exampleapp.FromUser(u))
	})
	s.GET("/api/userinfo", wl.RequireWeixinUser, func(c *gin.Context) {
		ctx, cancel := exampleapp.WithTimeout(c.Request.Context())
		defer cancel()
		info, err := auth.UserInfo(ctx, "") // refreshes the access token first when needed
		if err != nil {
			wl.JSONError(c, err) // 401 login_required, 502 or 504 upstream
			return
		}
		c.JSON(http.StatusOK, exampleapp.FromUserInfo(info))
	})
	app.Logger.Info("listening", "addr", app.Addr, "url", app.PublicURL)
	log.Fatal(app.Server(r).ListenAndServe())
}
