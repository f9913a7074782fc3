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
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/internal/browsertest"
	"github.com/wxlogin/wxlogin/internal/readmecheck"
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
	endedLoginScenario(t, wx, browsertest.New(t, app.URL))
}

// endedLoginScenario logs u1 in with b, then checks what docs/behaviour.md
// says: RequireWeixinUser (/me) reads the session only, freshLogin
// (/account) calls WeChat when the access token has expired and ends a
// login whose refresh token WeChat refuses, and lets a request through
// when WeChat is unreachable.
func endedLoginScenario(t *testing.T, wx *weixintest.Server, b *browsertest.Browser) {
	t.Helper()
	cb, err := wx.Authorize(b.Get("/auth/weixin/login").Header.Get("Location"), "u1")
	if err != nil {
		t.Fatal(err)
	}
	if r := b.Get(cb.String()); r.StatusCode != http.StatusFound {
		t.Fatalf("callback: %d %s", r.StatusCode, r.Body)
	}
	status := func(path string) int { t.Helper(); return b.API(path).StatusCode }

	// WeChat down, the access token expired: the login stays.
	wx.Advance(3 * time.Hour)
	wx.InjectFault(weixintest.PathRefreshToken, weixintest.Fault{Status: http.StatusServiceUnavailable})
	if got := status("/account"); got != http.StatusOK {
		t.Errorf("/account, WeChat down: %d, want 200", got)
	}
	// WeChat no longer accepts the refresh token (40030, invalid).
	wx.ClearFaults()
	wx.InjectFault(weixintest.PathRefreshToken, weixintest.Fault{Errcode: 40030})
	refreshes := wx.Calls(weixintest.PathRefreshToken)
	if got := status("/me"); got != http.StatusOK {
		t.Errorf("/me before a token call: %d, want 200 (RequireWeixinUser reads the session only)", got)
	}
	if n := wx.Calls(weixintest.PathRefreshToken); n != refreshes {
		t.Errorf("RequireWeixinUser called WeChat: %d refreshes", n-refreshes)
	}
	if got := status("/account"); got != http.StatusUnauthorized {
		t.Errorf("/account, refresh token refused: %d, want 401", got)
	}
	if got := status("/me"); got != http.StatusUnauthorized {
		t.Errorf("/me after the token call ended the login: %d, want 401", got)
	}
}
