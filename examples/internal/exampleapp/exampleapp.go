// Package exampleapp is what the three examples share: configuration from
// the environment (with an offline dev mode on the fake WeChat), the
// core.Auth it builds, and the pages. Each example adds only its
// framework's routes.
package exampleapp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/metrics"
	"github.com/wxlogin/wxlogin/core/redisstore"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/weixintest"
)

// App is a configured example.
type App struct {
	// Auth is the login flow.
	Auth *core.Auth
	// Addr is the listen address.
	Addr string
	// PublicURL is the app's external base URL, without a trailing slash.
	PublicURL string
	// WxLoginJS is the URL of WeChat's wxLogin.js (the fake's in dev
	// mode), for the embedded QR-code page.
	WxLoginJS string
	// Logger is the app's logger.
	Logger *slog.Logger
	// Metrics serves, for GET /metrics, the login flow's counters
	// (core/metrics) and the Go and process collectors, in Prometheus'
	// text format. In production, serve it only to the scraper (another
	// port, or behind authentication).
	Metrics http.Handler

	closers []func()
}

// Close stops what FromEnv started (the dev-mode fake, the Redis client).
func (a *App) Close() {
	for _, c := range a.closers {
		c()
	}
}

// FromEnv configures the example from the environment (see
// docs/real-wechat.md, "Configuration of the examples"). Without
// WEIXIN_APPID it starts the fake WeChat
// in-process (dev mode) and logs its URL.
func FromEnv() (*App, error) {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	app := &App{Logger: logger, Addr: env("ADDR", "127.0.0.1:8080")}
	if _, _, err := net.SplitHostPort(app.Addr); err != nil {
		return nil, fmt.Errorf("ADDR %q: %w", app.Addr, err)
	}
	app.PublicURL = strings.TrimRight(env("PUBLIC_URL", "http://"+app.Addr), "/")
	if u, err := url.Parse(app.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("PUBLIC_URL %q: want an absolute http(s) URL", app.PublicURL)
	}
	callback := app.PublicURL + "/auth/weixin/callback"

	endpoint := weixin.Endpoint{OpenBaseURL: os.Getenv("WEIXIN_OPEN_BASE_URL"), APIBaseURL: os.Getenv("WEIXIN_API_BASE_URL")}
	appID, secret := os.Getenv("WEIXIN_APPID"), os.Getenv("WEIXIN_SECRET")
	mpID, mpSecret := os.Getenv("WEIXIN_MP_APPID"), os.Getenv("WEIXIN_MP_SECRET")
	app.WxLoginJS = "https://res.wx.qq.com" + weixintest.PathWxLoginJS
	if endpoint.OpenBaseURL != "" {
		app.WxLoginJS = strings.TrimRight(endpoint.OpenBaseURL, "/") + weixintest.PathWxLoginJS
	}
	devMode := appID == ""
	if devMode && !isLoopback(app.PublicURL) && os.Getenv("DEV_MODE") != "true" {
		// Anyone can log in as anyone on the fake: never by accident.
		return nil, fmt.Errorf("no WEIXIN_APPID, and PUBLIC_URL %s is not a loopback address: "+
			"set WEIXIN_APPID and WEIXIN_SECRET, or DEV_MODE=true to run a fake WeChat where anyone logs in as anyone", app.PublicURL)
	}
	// Where the dev-mode fake listens, and the URL browsers reach it at.
	devAddr, devURL := os.Getenv("DEV_WEIXIN_ADDR"), os.Getenv("DEV_WEIXIN_PUBLIC_URL")
	if devMode && !isLoopback(app.PublicURL) && devURL == "" {
		// The fake on loopback would send every visitor to their own
		// 127.0.0.1.
		return nil, fmt.Errorf("dev mode on PUBLIC_URL %s, which is not a loopback address: set DEV_WEIXIN_ADDR "+
			"(where the fake WeChat listens, e.g. 0.0.0.0:8081) and DEV_WEIXIN_PUBLIC_URL (where browsers reach it, e.g. http://%s:8081)",
			app.PublicURL, hostOf(app.PublicURL))
	}
	if devURL != "" && devAddr == "" {
		return nil, errors.New("DEV_WEIXIN_PUBLIC_URL is set but DEV_WEIXIN_ADDR is not: set where the fake WeChat listens")
	}
	if !devMode && secret == "" {
		return nil, errors.New("WEIXIN_APPID is set but WEIXIN_SECRET is not")
	}
	if (mpID == "") != (mpSecret == "") {
		return nil, errors.New("set both WEIXIN_MP_APPID and WEIXIN_MP_SECRET, or neither")
	}
	miniID, miniSecret := os.Getenv("WEIXIN_MINIPROGRAM_APPID"), os.Getenv("WEIXIN_MINIPROGRAM_SECRET")
	if (miniID == "") != (miniSecret == "") {
		return nil, errors.New("set both WEIXIN_MINIPROGRAM_APPID and WEIXIN_MINIPROGRAM_SECRET, or neither")
	}
	mobileID, mobileSecret := os.Getenv("WEIXIN_APP_APPID"), os.Getenv("WEIXIN_APP_SECRET")
	if (mobileID == "") != (mobileSecret == "") {
		return nil, errors.New("set both WEIXIN_APP_APPID and WEIXIN_APP_SECRET, or neither")
	}

	sessions := scs.New()
	sessions.Lifetime = 30 * 24 * time.Hour // as long as a refresh token
	var exchanges core.ExchangeSharer
	if raw := os.Getenv("SESSION_REDIS_URL"); raw != "" {
		// Errors of Open never quote the URL, whose password is secret.
		store, err := redisstore.Open(raw, redisstore.Options{})
		if err != nil {
			app.Close()
			return nil, fmt.Errorf("SESSION_REDIS_URL: %w", err)
		}
		app.closers = append(app.closers, store.Close)
		sessions.Store = store
		exchanges = redisstore.NewExchanges(store.Client(), redisstore.ExchangeOptions{})
	}
	opts := core.Options{
		Website: &weixin.Config{
			AppID: appID, AppSecret: secret, RedirectURL: callback,
			Scopes: []string{weixin.ScopeLogin}, Endpoint: endpoint, Logger: logger,
		},
		Sessions:        sessions,
		Exchanges:       exchanges,
		DefaultReturnTo: "/me",
		Logger:          logger,
		Messages:        Messages,                      // the words of the pages, beside core's
		DefaultLanguage: os.Getenv("DEFAULT_LANGUAGE"), // "" is zh-CN
	}
	accts, closeAccounts, err := accountsFromEnv(context.Background())
	if err != nil {
		app.Close()
		return nil, err
	}
	app.closers = append(app.closers, closeAccounts)
	opts.Accounts = accts // one person, one account: User.AccountID
	// Metrics on a registry of the example's own; with
	// prometheus.DefaultRegisterer, serve promhttp.Handler() instead.
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m, err := metrics.New(reg)
	if err != nil {
		app.Close()
		return nil, err
	}
	opts.OnEvent = m.OnEvent
	app.Metrics = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	if mpID != "" || devMode { // dev mode: the fake's official account when none is set
		opts.OfficialAccount = &weixin.Config{
			AppID: mpID, AppSecret: mpSecret, RedirectURL: callback,
			Scopes: []string{weixin.ScopeUserInfo}, Endpoint: endpoint, Logger: logger,
		}
	}
	// The mini program and the mobile app log in with bearer tokens
	// (POST /auth/weixin/miniprogram, /auth/weixin/app); unset, their
	// routes answer 404. Dev mode: the fake's.
	if miniID != "" || devMode {
		opts.MiniProgram = &weixin.Config{AppID: miniID, AppSecret: miniSecret, Endpoint: endpoint, Logger: logger}
	}
	if mobileID != "" || devMode {
		opts.MobileApp = &weixin.Config{AppID: mobileID, AppSecret: mobileSecret, Endpoint: endpoint, Logger: logger}
	}
	switch v := os.Getenv("COOKIE_SECURE"); v {
	case "":
	case "true":
		sessions.Cookie.Secure = true
	case "false":
		opts.InsecureCookie = true
	default:
		app.Close()
		return nil, fmt.Errorf("COOKIE_SECURE %q: want true or false", v)
	}
	if devMode {
		wx, err := weixintest.DevModeAt(&opts, devAddr, devURL) // points opts at a fake WeChat, and says so in the log
		if err != nil {
			app.Close()
			return nil, err
		}
		app.closers = append(app.closers, wx.Close)
		app.WxLoginJS = wx.URL + weixintest.PathWxLoginJS
		localAvatar = wx.LocalAvatarURL // avatars offline (pages.go)
		logger.Info(fmt.Sprintf("dev mode: fake WeChat at %s — open %s/", wx.URL, app.PublicURL))
	}
	auth, err := core.New(opts)
	if err != nil {
		app.Close()
		return nil, err
	}
	app.Auth = auth
	return app, nil
}

// isLoopback reports whether the host of the URL raw is localhost or a
// loopback address.
func isLoopback(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// hostOf returns the host of the URL raw, without its port.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "HOST"
	}
	return u.Hostname()
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// RequestTimeout bounds the WeChat calls of one request, retries
// included.
const RequestTimeout = 10 * time.Second

// WithTimeout bounds ctx by RequestTimeout.
func WithTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, RequestTimeout)
}
