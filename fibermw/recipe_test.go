package fibermw_test

// The Fiber program docs/frameworks.md shows ("Fiber"), word for word between the
// README markers (TestREADME checks it), and its test: the README's Gin
// test, for Fiber, which serves on a net.Listener instead of httptest.

import (
	"cmp"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gofiber/fiber/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/fibermw"
	"github.com/wxlogin/wxlogin/internal/readmecheck"
	"github.com/wxlogin/wxlogin/weixintest"
)

func TestREADME(t *testing.T) { readmecheck.Mirrored(t, "recipe_test.go", "../docs/frameworks.md") }

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
	log.Fatal(newApp(auth).Listen(addr))
}

// newApp is the app on top of auth; the test builds it on a fake WeChat.
func newApp(auth *core.Auth) *fiber.App {
	wl := fibermw.New(auth, fibermw.Options{})
	app := fiber.New(fiber.Config{
		ReadTimeout:  15 * time.Second, // the request, headers included (fasthttp has no separate header timeout)
		WriteTimeout: 30 * time.Second, // the answer: above a callback's calls to WeChat (10 s each at most)
		IdleTimeout:  time.Minute,      // an idle keep-alive connection
	})
	app.Use(fibermw.AccessLog(slog.Default())) // one line per request, the callback's code and state redacted
	app.Use(wl.Sessions)                       // before every wxlogin route
	app.Get("/auth/weixin/login", wl.Login)
	app.Get("/auth/weixin/callback", wl.Callback)
	app.All("/auth/weixin/logout", wl.Logout) // POST only; other methods get 405
	app.Get("/api/me", wl.RequireWeixinUser, func(c *fiber.Ctx) error {
		u, _ := fibermw.User(c)
		return c.JSON(fiber.Map{"openid": u.OpenID, "unionid": u.UnionID, "nickname": u.Nickname})
	})
	app.Get("/api/userinfo", wl.RequireWeixinUser, func(c *fiber.Ctx) error {
		info, err := auth.UserInfo(c.UserContext(), weixin.LangZhCN) // refreshes the token when needed
		if err != nil {
			return wl.JSONError(c, err) // 401 login_required, 502 or 504 upstream
		}
		return c.JSON(fiber.Map{"nickname": info.Nickname, "city": info.City})
	})
	return app
}

// README end

func TestLoginAndRefresh(t *testing.T) {
	wx := weixintest.NewServer() // a fake WeChat
	defer wx.Close()

	// The callback URL holds the app's address: take one before building the app.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	website := wx.Config(weixintest.DefaultAppID, base+"/auth/weixin/callback", weixin.ScopeLogin) // the fake's endpoint and clock
	auth, err := core.New(core.Options{Website: &website, Sessions: scs.New()})
	if err != nil {
		t.Fatal(err)
	}
	app := newApp(auth)
	go app.Listener(ln)
	defer app.Shutdown()

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
	resp, _ := get(base + "/auth/weixin/login")
	back, err := wx.Authorize(resp.Header.Get("Location"), "u1") // a *url.URL
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := get(back.String()); resp.StatusCode != http.StatusFound {
		t.Fatalf("callback: %d", resp.StatusCode)
	}
	if resp, body := get(base + "/api/me"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "张三") {
		t.Fatalf("/api/me: %d %s", resp.StatusCode, body)
	}

	// Two hours later the access token has expired: the next call refreshes it, once.
	wx.Advance(2 * time.Hour)
	for range 3 {
		if resp, body := get(base + "/api/userinfo"); resp.StatusCode != http.StatusOK {
			t.Fatalf("/api/userinfo: %d %s", resp.StatusCode, body)
		}
	}
	if n := wx.Calls(weixintest.PathRefreshToken); n != 1 {
		t.Errorf("%d refreshes, want exactly 1", n)
	}
}
