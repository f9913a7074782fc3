package ginmw_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"

	"github.com/alexedwards/scs/v2"
	"github.com/gin-gonic/gin"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/ginmw"
	"github.com/wxlogin/wxlogin/weixintest"
)

// A Gin app with a login route, a callback route, a logout route and an
// API that needs the user, logging in against the fake WeChat.
func Example() {
	wx := weixintest.NewServer() // in production: no fake, and Endpoint left zero
	defer wx.Close()
	app := httptest.NewServer(nil)
	defer app.Close()

	website := wx.Config(weixintest.DefaultAppID, app.URL+"/auth/weixin/callback", weixin.ScopeLogin)
	auth, err := core.New(core.Options{Website: &website, Sessions: scs.New(), DefaultReturnTo: "/api/me"})
	if err != nil {
		panic(err)
	}
	wl := ginmw.New(auth, ginmw.Options{})
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(wl.Sessions)
	r.GET("/auth/weixin/login", wl.Login)
	r.GET("/auth/weixin/callback", wl.Callback)
	r.POST("/auth/weixin/logout", wl.Logout)
	r.GET("/api/me", wl.RequireWeixinUser, func(c *gin.Context) {
		u, _ := ginmw.User(c)
		c.JSON(http.StatusOK, gin.H{"nickname": u.Nickname})
	})
	app.Config.Handler = r

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	resp, _ := browser.Get(app.URL + "/api/me")
	resp.Body.Close()
	fmt.Println("before login:", resp.StatusCode)

	// The browser starts the login; user u1 approves on WeChat's page.
	noFollow := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, _ = noFollow.Get(app.URL + "/auth/weixin/login")
	resp.Body.Close()
	callback, _ := wx.Authorize(resp.Header.Get("Location"), "u2")
	resp, _ = browser.Get(callback.String())
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println("after login:", resp.StatusCode, string(body))
	// Output:
	// before login: 401
	// after login: 200 {"nickname":"Lily 🌸✨"}
}
