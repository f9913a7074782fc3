package nethttpmw_test

import (
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"

	"github.com/alexedwards/scs/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/nethttpmw"
	"github.com/wxlogin/wxlogin/weixintest"
)

// An app with a login route, a callback route, a logout route and a page
// that needs the user, logging in against the fake WeChat.
func Example() {
	wx := weixintest.NewServer() // in production: no fake, and Endpoint left zero
	defer wx.Close()

	mux := http.NewServeMux()
	app := httptest.NewServer(nil)
	defer app.Close()

	sessions := scs.New()
	website := wx.Config(weixintest.DefaultAppID, app.URL+"/auth/weixin/callback", weixin.ScopeLogin)
	auth, err := core.New(core.Options{Website: &website, Sessions: sessions, DefaultReturnTo: "/me"})
	if err != nil {
		panic(err)
	}
	wl := nethttpmw.New(auth, nethttpmw.Options{})
	mux.HandleFunc("GET /auth/weixin/login", wl.Login)
	mux.HandleFunc("GET /auth/weixin/callback", wl.Callback)
	mux.HandleFunc("/auth/weixin/logout", wl.Logout)
	me := template.Must(template.New("me").Parse(`<p>Hello, {{.Nickname}}</p>`))
	mux.Handle("GET /me", wl.RequireWeixinUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := nethttpmw.User(r)
		me.Execute(w, u)
	})))
	app.Config.Handler = wl.Sessions(mux)

	// A browser asks for /me, is sent to WeChat, where user u1 approves.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Path == weixintest.PathQRConnect {
			return http.ErrUseLastResponse // stop at WeChat's page
		}
		return nil
	}}
	req, _ := http.NewRequest(http.MethodGet, app.URL+"/me", nil)
	req.Header.Set("Accept", "text/html") // a browser navigating: redirected to log in
	resp, _ := browser.Do(req)
	resp.Body.Close()
	callback, err := wx.Authorize(resp.Header.Get("Location"), "u1")
	if err != nil {
		panic(err)
	}
	resp, _ = browser.Get(callback.String())
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.Request.URL.Path, string(body))
	// Output: /me <p>Hello, 张三</p>
}
