package conformance

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/fibermw"
	"github.com/wxlogin/wxlogin/ginmw"
	"github.com/wxlogin/wxlogin/nethttpmw"
)

// adapter builds the same small app with one framework and serves it on
// ln until the test ends.
type adapter struct {
	name  string
	serve func(t testing.TB, auth *core.Auth, ln net.Listener)
}

var adapters = []adapter{
	{"nethttp", serveNetHTTP},
	{"gin", serveGin},
	{"fiber", serveFiber},
}

// userJSON is the body of /api/me and /api/userinfo.
type userJSON struct {
	OpenID     string `json:"openid"`
	UnionID    string `json:"unionid"`
	Nickname   string `json:"nickname"`
	HeadImgURL string `json:"headimgurl"`
	Phone      string `json:"phone,omitempty"`
}

var mePage = template.Must(template.New("me").Parse(`<!doctype html><title>me</title><h1>{{.Nickname}}</h1><img src="{{.HeadImgURL}}" alt="">`))

func serveNetHTTP(t testing.TB, auth *core.Auth, ln net.Listener) {
	h := nethttpmw.New(auth, nethttpmw.Options{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	mux.HandleFunc("GET /auth/weixin/login", h.Login)
	mux.HandleFunc("GET /auth/weixin/callback", h.Callback)
	mux.HandleFunc("/auth/weixin/logout", h.Logout)
	mux.HandleFunc("/auth/weixin/miniprogram", h.MiniProgramLogin)
	mux.HandleFunc("/auth/weixin/app", h.AppLogin)
	mux.HandleFunc("/auth/weixin/miniprogram/phone", h.MiniProgramPhone)
	mux.Handle("GET /me", h.RequireWeixinUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := nethttpmw.User(r)
		mePage.Execute(w, u)
	})))
	mux.Handle("GET /api/me", h.RequireWeixinUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := nethttpmw.User(r)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(userJSON{u.OpenID, u.UnionID, u.Nickname, u.HeadImgURL, u.Phone})
	})))
	mux.Handle("GET /api/cacheable", h.RequireWeixinUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "private, max-age=60")
		fmt.Fprint(w, "{}")
	})))
	mux.Handle("GET /api/userinfo", h.RequireWeixinUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, err := auth.UserInfo(r.Context(), "")
		if err != nil {
			h.JSONError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(userJSON{info.OpenID, info.UnionID, info.Nickname, info.HeadImgURL, ""})
	})))
	root := http.NewServeMux()
	root.HandleFunc("GET /readyz", h.Ready) // no session
	root.Handle("/", h.Sessions(mux))
	srv := &http.Server{Handler: root}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

func serveGin(t testing.TB, auth *core.Auth, ln net.Listener) {
	gin.SetMode(gin.ReleaseMode)
	h := ginmw.New(auth, ginmw.Options{})
	r := gin.New()
	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	r.GET("/readyz", h.Ready)
	api := r.Group("/", h.Sessions)
	api.GET("/auth/weixin/login", h.Login)
	api.GET("/auth/weixin/callback", h.Callback)
	api.Any("/auth/weixin/logout", h.Logout)
	api.Any("/auth/weixin/miniprogram", h.MiniProgramLogin)
	api.Any("/auth/weixin/app", h.AppLogin)
	api.Any("/auth/weixin/miniprogram/phone", h.MiniProgramPhone)
	api.Match([]string{http.MethodGet, http.MethodHead}, "/me", h.RequireWeixinUser, func(c *gin.Context) {
		u, _ := ginmw.User(c)
		c.Header("Content-Type", "text/html; charset=utf-8")
		c.Status(http.StatusOK)
		mePage.Execute(c.Writer, u)
	})
	api.GET("/api/me", h.RequireWeixinUser, func(c *gin.Context) {
		u, _ := ginmw.User(c)
		c.JSON(http.StatusOK, userJSON{u.OpenID, u.UnionID, u.Nickname, u.HeadImgURL, u.Phone})
	})
	api.GET("/api/cacheable", h.RequireWeixinUser, func(c *gin.Context) {
		c.Header("Cache-Control", "private, max-age=60")
		c.String(http.StatusOK, "{}")
	})
	api.GET("/api/userinfo", h.RequireWeixinUser, func(c *gin.Context) {
		info, err := auth.UserInfo(c.Request.Context(), "")
		if err != nil {
			h.JSONError(c, err)
			return
		}
		c.JSON(http.StatusOK, userJSON{info.OpenID, info.UnionID, info.Nickname, info.HeadImgURL, ""})
	})
	srv := &http.Server{Handler: r}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

func serveFiber(t testing.TB, auth *core.Auth, ln net.Listener) {
	h := fibermw.New(auth, fibermw.Options{})
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	app.Get("/readyz", h.Ready)
	app.Use(h.Sessions)
	app.Get("/auth/weixin/login", h.Login)
	app.Get("/auth/weixin/callback", h.Callback)
	app.All("/auth/weixin/logout", h.Logout)
	app.All("/auth/weixin/miniprogram", h.MiniProgramLogin)
	app.All("/auth/weixin/app", h.AppLogin)
	app.All("/auth/weixin/miniprogram/phone", h.MiniProgramPhone)
	app.Get("/me", h.RequireWeixinUser, func(c *fiber.Ctx) error {
		u, _ := fibermw.User(c)
		c.Type("html", "utf-8")
		return mePage.Execute(c, u)
	})
	app.Get("/api/me", h.RequireWeixinUser, func(c *fiber.Ctx) error {
		u, _ := fibermw.User(c)
		return c.JSON(userJSON{u.OpenID, u.UnionID, u.Nickname, u.HeadImgURL, u.Phone})
	})
	app.Get("/api/cacheable", h.RequireWeixinUser, func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderCacheControl, "private, max-age=60")
		return c.SendString("{}")
	})
	app.Get("/api/userinfo", h.RequireWeixinUser, func(c *fiber.Ctx) error {
		info, err := auth.UserInfo(c.UserContext(), "")
		if err != nil {
			return h.JSONError(c, err)
		}
		return c.JSON(userJSON{info.OpenID, info.UnionID, info.Nickname, info.HeadImgURL, ""})
	})
	go app.Listener(ln)
	// Fiber's Shutdown waits for idle keep-alive connections to close.
	t.Cleanup(func() { app.ShutdownWithTimeout(5 * time.Second) })
}
