package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/alexedwards/scs/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/weixintest"
)

// The whole flow in a plain net/http app, against the fake WeChat: a login
// route, a callback route and a page that needs the user. (The adapter
// packages nethttpmw, ginmw and fibermw provide these handlers ready-made.)
func Example() {
	wx := weixintest.NewServer() // in production: leave Endpoint zero
	defer wx.Close()

	sessions := scs.New()
	mux := http.NewServeMux()
	app := httptest.NewServer(sessions.LoadAndSave(mux))
	defer app.Close()

	website := wx.Config(weixintest.DefaultAppID, app.URL+"/auth/weixin/callback", weixin.ScopeLogin)
	auth, err := core.New(core.Options{Website: &website, Sessions: sessions, DefaultReturnTo: "/me"})
	if err != nil {
		log.Fatal(err)
	}

	mux.HandleFunc("GET /auth/weixin/login", func(w http.ResponseWriter, r *http.Request) {
		start, err := auth.BeginLogin(r.Context(), core.LoginRequest{
			ReturnTo: r.URL.Query().Get("next"),
			InWeChat: strings.Contains(r.UserAgent(), "MicroMessenger"),
		})
		if err != nil {
			http.Error(w, "login unavailable", core.Classify(err).Status)
			return
		}
		http.Redirect(w, r, start.AuthURL, http.StatusFound)
	})
	mux.HandleFunc("GET /auth/weixin/callback", func(w http.ResponseWriter, r *http.Request) {
		res, err := auth.CompleteLogin(r.Context(), r.URL.Query())
		if err != nil {
			http.Error(w, "login failed", core.Classify(err).Status)
			return
		}
		http.Redirect(w, r, res.ReturnTo, http.StatusFound)
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		u, ok := auth.CurrentUser(r.Context())
		if !ok {
			http.Redirect(w, r, "/auth/weixin/login?next=%2Fme", http.StatusFound)
			return
		}
		tok, err := auth.Token(r.Context()) // refreshed when needed
		if errors.Is(err, core.ErrLoginRequired) {
			http.Redirect(w, r, "/auth/weixin/login?next=%2Fme", http.StatusFound)
			return
		}
		fmt.Fprintf(w, "hello %s (%s), token valid: %v", u.Nickname, u.AppID, tok.Valid(wx.Now()))
	})

	// A browser: it follows the app's redirect to WeChat, where the user
	// "u1" approves, and WeChat redirects back to the callback.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Host == mustHost(wx.URL) { // WeChat's page: the user approves
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := browser.Get(app.URL + "/me")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	callback, err := wx.Authorize(resp.Header.Get("Location"), "u1")
	if err != nil {
		log.Fatal(err)
	}
	resp, err = browser.Get(callback.String())
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Request.URL.Path, string(body))
	// Output: /me hello 张三 (wxd0e1f2a3b4c5d6e7), token valid: true
}

func mustHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	return u.Host
}

// The errors of the API and of the flow say what to do.
func ExampleClassify() {
	err := fmt.Errorf("refreshing: %w", &weixin.APIError{Op: "refresh", Code: 42002, Message: "refresh_token expired"})
	c := core.Classify(err)
	fmt.Println(c.Status, c.Code, c.Temporary, errors.Is(err, weixin.ErrRefreshTokenExpired))
	// Output: 401 login_required false true
}

// A return-to path is kept only when it stays on the site.
func ExampleSafeReturnTo() {
	for _, next := range []string{"/orders?page=2", "//evil.example", "/%2F%2Fevil.example", "https://evil.example"} {
		p, ok := core.SafeReturnTo(next)
		fmt.Printf("%q %v\n", p, ok)
	}
	// Output:
	// "/orders?page=2" true
	// "" false
	// "" false
	// "" false
}

// Call any WeChat API that takes the user's access_token and openid, from
// a handler whose request holds the session: the client adds both, with
// a token refreshed when needed.
func ExampleAuth_Client() {
	wx := weixintest.NewServer()
	defer wx.Close()
	sessions := scs.New()
	website := wx.Config(weixintest.DefaultAppID, "https://app.example/auth/weixin/callback", weixin.ScopeLogin)
	auth, err := core.New(core.Options{Website: &website, Sessions: sessions})
	if err != nil {
		log.Fatal(err)
	}

	// A logged-in session (the adapters' Sessions middleware loads it
	// into each request's context).
	ctx, _ := sessions.Load(context.Background(), "")
	start, _ := auth.BeginLogin(ctx, core.LoginRequest{})
	callback, _ := wx.Authorize(start.AuthURL, "u1")
	if _, err := auth.CompleteLogin(ctx, callback.Query()); err != nil {
		log.Fatal(err)
	}

	// In a handler: r.Context() in place of ctx.
	resp, err := auth.Client(ctx).Get(website.Endpoint.APIBaseURL + "/sns/userinfo?lang=zh_CN")
	if errors.Is(err, core.ErrLoginRequired) {
		return // redirect to the login
	} else if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var info struct {
		Nickname string `json:"nickname"`
	}
	json.NewDecoder(resp.Body).Decode(&info)
	fmt.Println(resp.StatusCode, info.Nickname)
	// Output: 200 张三
}
