package nethttpmw_test

// The net/http program docs/frameworks.md shows ("net/http"), word for word
// between the README markers (TestREADME checks it), and its test: the
// README's Gin test, for net/http.

import (
	"cmp"
	"encoding/json"
	"html/template"
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
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/internal/readmecheck"
	"github.com/wxlogin/wxlogin/nethttpmw"
	"github.com/wxlogin/wxlogin/weixintest"
)

func TestREADME(t *testing.T) { readmecheck.Mirrored(t, "recipe_test.go", "../docs/frameworks.md") }

// main is the documents' program: compiled here, built and run by
// internal/readmecheck.
var _ = main

// README begin
var me = template.Must(template.New("me").Parse(`<p>你好, {{.Nickname}} <img src="{{.HeadImgURL}}" width="46"></p>
<form method="post" action="/auth/weixin/logout"><button>Log out</button></form>`))

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
		DefaultReturnTo: "/me",
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
	srv := &http.Server{
		Addr:              addr,
		Handler:           newHandler(auth),
		ReadHeaderTimeout: 5 * time.Second,  // a client that never finishes its headers is cut off
		ReadTimeout:       15 * time.Second, // the whole request
		WriteTimeout:      30 * time.Second, // the answer: above a callback's calls to WeChat (10 s each at most)
		IdleTimeout:       time.Minute,      // an idle keep-alive connection
	}
	log.Fatal(srv.ListenAndServe())
}

// newHandler is the app on top of auth; the test builds it on a fake WeChat.
func newHandler(auth *core.Auth) http.Handler {
	wl := nethttpmw.New(auth, nethttpmw.Options{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /auth/weixin/login", wl.Login)
	mux.HandleFunc("GET /auth/weixin/callback", wl.Callback)
	mux.HandleFunc("/auth/weixin/logout", wl.Logout) // POST only
	mux.Handle("GET /me", wl.RequireWeixinUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := nethttpmw.User(r)
		me.Execute(w, u)
	})))
	mux.Handle("GET /api/userinfo", wl.RequireWeixinUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, err := auth.UserInfo(r.Context(), weixin.LangZhCN) // refreshes the token when needed
		if err != nil {
			wl.JSONError(w, r, err) // 401 login_required, 502 or 504 upstream
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"nickname": info.Nickname, "city": info.City})
	})))
	// Sessions around every wxlogin route; AccessLog around it all: one line
	// per request, the callback's code and state redacted.
	return nethttpmw.AccessLog(slog.Default())(wl.Sessions(mux))
}

// README end

func TestLoginAndRefresh(t *testing.T) {
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
	app.Config.Handler = newHandler(auth)
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
	if resp, body := get(app.URL + "/me"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "张三") {
		t.Fatalf("/me: %d %s", resp.StatusCode, body)
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
