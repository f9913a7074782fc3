package nethttpmw_test

// The middleware docs/behaviour.md shows ("What reads the session, what
// calls WeChat", net/http), word for word between the README markers, and
// its test: RequireWeixinUser alone lets a login that WeChat has ended
// through; with freshLogin, the token call ends it.

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/internal/browsertest"
	"github.com/wxlogin/wxlogin/internal/readmecheck"
	"github.com/wxlogin/wxlogin/internal/recipetest"
	"github.com/wxlogin/wxlogin/nethttpmw"
	"github.com/wxlogin/wxlogin/weixintest"
)

func TestREADMEEndedLogin(t *testing.T) {
	readmecheck.Mirrored(t, "endedlogin_recipe_test.go", "../docs/behaviour.md")
}

// README begin
// freshLogin, after RequireWeixinUser, refuses a login that has ended at WeChat:
// wl.Token refreshes an expired access token, and a refresh token WeChat no
// longer accepts (expired, invalid) ends the login: 401 login_required.
func freshLogin(wl *nethttpmw.Handlers, next http.Handler) http.Handler {
	return wl.RequireWeixinUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := wl.Token(r); errors.Is(err, core.ErrLoginRequired) {
			wl.JSONError(w, r, err)
			return
		} // another error (WeChat unreachable) leaves the login intact: serve the request
		next.ServeHTTP(w, r)
	}))
}

// README end

func TestFreshLogin(t *testing.T) {
	wx := weixintest.NewServer()
	defer wx.Close()
	app := httptest.NewUnstartedServer(nil)
	web := wx.Config(weixintest.DefaultAppID, "http://"+app.Listener.Addr().String()+"/auth/weixin/callback", weixin.ScopeLogin)
	auth, err := core.New(core.Options{Website: &web, Sessions: scs.New()})
	if err != nil {
		t.Fatal(err)
	}
	wl := nethttpmw.New(auth, nethttpmw.Options{})
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	mux := http.NewServeMux()
	mux.HandleFunc("GET /auth/weixin/login", wl.Login)
	mux.HandleFunc("GET /auth/weixin/callback", wl.Callback)
	mux.Handle("GET /me", wl.RequireWeixinUser(ok))
	mux.Handle("GET /account", freshLogin(wl, ok))
	app.Config.Handler = wl.Sessions(mux)
	app.Start()
	defer app.Close()
	recipetest.EndedLogin(t, wx, browsertest.New(t, app.URL))
}
