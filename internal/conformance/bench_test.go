package conformance

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"
	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/fibermw"
	"github.com/wxlogin/wxlogin/ginmw"
	"github.com/wxlogin/wxlogin/nethttpmw"
	"github.com/wxlogin/wxlogin/weixintest"
)

// The cost of one authenticated request, per adapter, three ways:
//
//   - wxlogin: session load (memory store) + RequireWeixinUser + a handler
//     that reads the user;
//   - scs-default: what a user would write by hand: scs with its default
//     settings (gob codec, memory store) + a handler that reads the user
//     id from the session, which holds what a WeChat login needs;
//   - wxlogin-bearer: the same as wxlogin, the same session addressed by
//     an Authorization: Bearer header (as a mini program or a mobile app
//     sends it) instead of the cookie;
//   - bare: the handler alone.
//
// Run with
//
//	go test -run XXX -bench Authenticated -benchmem ./internal/conformance/
func BenchmarkAuthenticated(b *testing.B) {
	for _, s := range benchSetups {
		for _, variant := range []string{"wxlogin", "wxlogin-bearer", "scs-default", "bare"} {
			b.Run(s.name+"/"+variant, func(b *testing.B) {
				run := s.build(b, variant)
				b.ReportAllocs()
				for b.Loop() {
					run()
				}
			})
		}
	}
}

// serveLoop returns a function that serves one GET /me with the session
// cookie token to h, through a ResponseWriter reused from call to call,
// so that the figures are h's and not the harness's.
func serveLoop(b *testing.B, h http.Handler, token string) func() {
	req := httptest.NewRequest(http.MethodGet, "/me", nil)
	if bearer, ok := strings.CutPrefix(token, bearerPrefix); ok {
		req.Header.Set("Authorization", "Bearer "+bearer)
	} else {
		req.AddCookie(&http.Cookie{Name: "session", Value: token})
	}
	w := &reusedWriter{h: http.Header{}}
	return func() {
		clear(w.h)
		w.code = 0
		h.ServeHTTP(w, req)
		if w.code != http.StatusOK && w.code != 0 {
			b.Fatalf("status %d", w.code)
		}
	}
}

// reusedWriter is a ResponseWriter that discards the body.
type reusedWriter struct {
	h    http.Header
	code int
}

func (w *reusedWriter) Header() http.Header { return w.h }
func (w *reusedWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}
func (w *reusedWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(p), nil
}

// benchSetup builds, for one framework, a function that serves one
// authenticated GET /me.
type benchSetup struct {
	name  string
	build func(b *testing.B, variant string) func()
}

var benchSetups = []benchSetup{
	{"nethttp", buildNetHTTP},
	{"gin", buildGin},
	{"fiber", buildFiber},
}

// handWritten is what a hand-written WeChat login keeps in an scs session.
func handWritten(ctx context.Context, sm *scs.SessionManager) {
	sm.Put(ctx, "userID", "oWz3a5F4d0X9gYc1bQ2rT7uV8w")
	sm.Put(ctx, "unionID", "o6_bmasdasdsad6_2sgVt7hMZOPfL")
	sm.Put(ctx, "nickname", "张三")
	sm.Put(ctx, "headimgurl", "https://thirdwx.qlogo.cn/mmopen/vi_32/abc/132")
	sm.Put(ctx, "accessToken", "ACCESS_TOKEN_ACCESS_TOKEN_ACCESS_TOKEN_ACCESS_TOKEN_ACCESS_TOKEN_ACCESS_TOKEN_AC")
	sm.Put(ctx, "refreshToken", "REFRESH_TOKEN_REFRESH_TOKEN_REFRESH_TOKEN_REFRESH_TOKEN_REFRESH_TOKEN_REFRESH_TOKEN")
	sm.Put(ctx, "expiry", time.Now().Add(2*time.Hour).Unix())
}

// bearerPrefix marks the token session returns for wxlogin-bearer.
const bearerPrefix = "bearer:"

// session returns a session manager and the cookie of a logged-in
// session in it: through wxlogin (a real login against the fake), or
// by hand with scs' defaults. For wxlogin-bearer, it is the same
// session's token, prefixed with bearerPrefix: sent as a bearer token.
func session(b *testing.B, variant string) (*core.Auth, *scs.SessionManager, string) {
	b.Helper()
	sm := scs.New()
	sm.Store = memstore.NewWithCleanupInterval(0)
	if variant == "wxlogin-bearer" {
		auth, sm, token := session(b, "wxlogin")
		return auth, sm, bearerPrefix + token
	}
	if variant != "wxlogin" {
		ctx, _ := sm.Load(context.Background(), "")
		handWritten(ctx, sm)
		token, _, err := sm.Commit(ctx)
		if err != nil {
			b.Fatal(err)
		}
		return nil, sm, token
	}
	wx := weixintest.NewServer()
	b.Cleanup(wx.Close)
	cfg := wx.Config(weixintest.DefaultAppID, "http://app.example/auth/weixin/callback", weixin.ScopeLogin)
	cfg.Logger = slog.New(slog.DiscardHandler)
	auth, err := core.New(core.Options{Website: &cfg, Sessions: sm, Logger: cfg.Logger})
	if err != nil {
		b.Fatal(err)
	}
	ctx, _ := sm.Load(context.Background(), "")
	start, err := auth.BeginLogin(ctx, core.LoginRequest{})
	if err != nil {
		b.Fatal(err)
	}
	cb, err := wx.Authorize(start.AuthURL, "u1")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := auth.CompleteLogin(ctx, cb.Query()); err != nil {
		b.Fatal(err)
	}
	token, _, err := sm.Commit(ctx)
	if err != nil {
		b.Fatal(err)
	}
	return auth, sm, token
}

func buildNetHTTP(b *testing.B, variant string) func() {
	auth, sm, token := session(b, variant)
	var h http.Handler
	switch variant {
	case "wxlogin", "wxlogin-bearer":
		mw := nethttpmw.New(auth, nethttpmw.Options{})
		h = mw.Sessions(mw.RequireWeixinUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, _ := nethttpmw.User(r)
			io.WriteString(w, u.OpenID)
		})))
	case "scs-default":
		h = sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := sm.GetString(r.Context(), "userID")
			if id == "" {
				http.Error(w, "login required", http.StatusUnauthorized)
				return
			}
			io.WriteString(w, id)
		}))
	default:
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "oWz3a5F4d0X9gYc1bQ2rT7uV8w") })
	}
	return serveLoop(b, h, token)
}

func buildGin(b *testing.B, variant string) func() {
	gin.SetMode(gin.ReleaseMode)
	auth, sm, token := session(b, variant)
	r := gin.New()
	var h http.Handler = r
	switch variant {
	case "wxlogin", "wxlogin-bearer":
		mw := ginmw.New(auth, ginmw.Options{})
		r.GET("/me", mw.Sessions, mw.RequireWeixinUser, func(c *gin.Context) {
			u, _ := ginmw.User(c)
			c.String(http.StatusOK, u.OpenID)
		})
	case "scs-default":
		r.GET("/me", func(c *gin.Context) {
			id := sm.GetString(c.Request.Context(), "userID")
			if id == "" {
				c.AbortWithStatus(http.StatusUnauthorized)
				return
			}
			c.String(http.StatusOK, id)
		})
		h = sm.LoadAndSave(r)
	default:
		r.GET("/me", func(c *gin.Context) { c.String(http.StatusOK, "oWz3a5F4d0X9gYc1bQ2rT7uV8w") })
	}
	return serveLoop(b, h, token)
}

func buildFiber(b *testing.B, variant string) func() {
	auth, sm, token := session(b, variant)
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	switch variant {
	case "wxlogin", "wxlogin-bearer":
		mw := fibermw.New(auth, fibermw.Options{})
		app.Get("/me", mw.Sessions, mw.RequireWeixinUser, func(c *fiber.Ctx) error {
			u, _ := fibermw.User(c)
			return c.SendString(u.OpenID)
		})
	case "scs-default":
		// scs' middleware is net/http only: by hand, as a Fiber user would.
		app.Get("/me", func(c *fiber.Ctx) error {
			ctx, err := sm.Load(c.UserContext(), string(c.Request().Header.Cookie("session")))
			if err != nil {
				return err
			}
			c.SetUserContext(ctx)
			return c.Next()
		}, func(c *fiber.Ctx) error {
			id := sm.GetString(c.UserContext(), "userID")
			if id == "" {
				return c.SendStatus(http.StatusUnauthorized)
			}
			return c.SendString(id)
		})
	default:
		app.Get("/me", func(c *fiber.Ctx) error { return c.SendString("oWz3a5F4d0X9gYc1bQ2rT7uV8w") })
	}
	handler := app.Handler()
	fctx := &fasthttp.RequestCtx{}
	bearer, isBearer := strings.CutPrefix(token, bearerPrefix)
	authorization := "Bearer " + bearer
	return func() {
		// A fresh request on a reused RequestCtx: reset the user values,
		// or scs' Load would find the last request's session in them.
		fctx.Request.Reset()
		fctx.Response.Reset()
		fctx.ResetUserValues()
		fctx.Request.Header.SetMethod(http.MethodGet)
		fctx.Request.SetRequestURI("/me")
		if isBearer {
			fctx.Request.Header.Set("Authorization", authorization)
		} else {
			fctx.Request.Header.SetCookie("session", token)
		}
		handler(fctx)
		if fctx.Response.StatusCode() != http.StatusOK {
			b.Fatalf("status %d", fctx.Response.StatusCode())
		}
	}
}
