package ginmw_test

// The Gin program and its test that README.md shows ("Gin" and "Testing
// your app"), word for word between the README markers: TestREADME
// checks it, and go test runs the recipe, so the README cannot rot.

import (
	"cmp"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gin-gonic/gin"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/ginmw"
	"github.com/wxlogin/wxlogin/internal/readmecheck"
	"github.com/wxlogin/wxlogin/weixintest"
)

func TestREADME(t *testing.T) { readmecheck.Mirrored(t, "recipe_test.go", "../README.md") }

// main is the documents' program: compiled here, built and run by
// internal/readmecheck.
var _ = main

// README begin
func main() {
	sessions := scs.New()                   // in memory; several instances: docs/several-instances.md
	sessions.Lifetime = 30 * 24 * time.Hour // a login lasts as long as WeChat's refresh token (scs' default: 24 h)
	sessions.IdleTimeout = 0                // none: with one, scs writes the session to its store on every request
	addr := cmp.Or(os.Getenv("ADDR"), "127.0.0.1:8080")
	publicURL := cmp.Or(os.Getenv("PUBLIC_URL"), "http://"+addr) // e.g. https://www.example.com
	opts := core.Options{
		Website: &weixin.Config{
			AppID:       os.Getenv("WEIXIN_APPID"),
			AppSecret:   os.Getenv("WEIXIN_SECRET"),
			RedirectURL: publicURL + "/auth/weixin/callback",
			Scopes:      []string{weixin.ScopeLogin},
		},
		Sessions:        sessions,
		DefaultReturnTo: "/api/me",
	}
	if opts.Website.AppID == "" { // no credentials: dev mode, on a fake WeChat (it logs a warning)
		wx, err := weixintest.DevMode(&opts)
		if err != nil {
			log.Fatal(err)
		}
		defer wx.Close()
	}
	auth, err := core.New(opts)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Addr: addr, Handler: newRouter(auth), ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout: 15 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute}
	log.Fatal(srv.ListenAndServe()) // the timeouts: no slow or idle client holds a connection forever
}

// newRouter is the app on top of auth; the test builds it on a fake WeChat.
func newRouter(auth *core.Auth) *gin.Engine {
	wl := ginmw.New(auth, ginmw.Options{})
	r := gin.New()
	r.Use(ginmw.AccessLog(slog.Default()), ginmw.Recovery(slog.Default())) // not gin.Default(): its logger writes codes
	r.Use(wl.Sessions)                                                     // before every wxlogin route
	r.GET("/auth/weixin/login", wl.Login)
	r.GET("/auth/weixin/callback", wl.Callback)
	r.Any("/auth/weixin/logout", wl.Logout) // POST only; other methods get 405
	r.GET("/api/me", wl.RequireWeixinUser, func(c *gin.Context) {
		u, _ := ginmw.User(c)
		c.JSON(http.StatusOK, gin.H{"openid": u.OpenID, "unionid": u.UnionID, "nickname": u.Nickname})
	})
	r.GET("/api/userinfo", wl.RequireWeixinUser, func(c *gin.Context) {
		info, err := auth.UserInfo(c.Request.Context(), weixin.LangZhCN) // refreshes the token when needed
		if err != nil {
			wl.JSONError(c, err) // 401 login_required, 502 or 504 upstream
			return
		}
		c.JSON(http.StatusOK, gin.H{"nickname": info.Nickname, "city": info.City})
	})
	return r
}

// README end

// README begin
func TestLoginAndRefresh(t *testing.T) {
	gin.SetMode(gin.TestMode)
	wx := weixintest.NewServer() // a fake WeChat
	defer wx.Close()

	// The callback URL holds the app's address: take one before building the app.
	app := httptest.NewUnstartedServer(nil)
	callback := "http://" + app.Listener.Addr().String() + "/auth/weixin/callback"
	website := wx.Config(weixintest.DefaultAppID, callback, weixin.ScopeLogin) // the fake's endpoint and clock
	auth, err := core.New(core.Options{Website: &website, Sessions: scs.New()})
	if err != nil {
		t.Fatal(err)
	}
	app.Config.Handler = newRouter(auth)
	app.Start()
	defer app.Close()

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse // look at each redirect
	}}
	get := func(url string) (*http.Response, string) {
		t.Helper()
		resp, err := browser.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}

	// Log in: the app redirects to WeChat's authorize page, where user u1
	// approves; WeChat redirects back to the callback with a code.
	resp, _ := get(app.URL + "/auth/weixin/login")
	back, err := wx.Authorize(resp.Header.Get("Location"), "u1") // a *url.URL
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := get(back.String()); resp.StatusCode != http.StatusFound {
		t.Fatalf("callback: %d", resp.StatusCode)
	}
	if resp, body := get(app.URL + "/api/me"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "张三") {
		t.Fatalf("/api/me: %d %s", resp.StatusCode, body)
	}

	// Two hours later the access token has expired: the next call refreshes it, once.
	wx.Advance(2 * time.Hour)
	for range 3 {
		if resp, body := get(app.URL + "/api/userinfo"); resp.StatusCode != http.StatusOK {
			t.Fatalf("/api/userinfo: %d %s", resp.StatusCode, body)
		}
	}
	if n := wx.Calls(weixintest.PathRefreshToken); n != 1 {
		t.Errorf("%d refreshes, want exactly 1", n)
	}
}

// README end
