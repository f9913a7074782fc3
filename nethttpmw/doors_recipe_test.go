package nethttpmw_test

// The mini program's login docs/frameworks.md shows ("Mini programs and mobile apps",
// net/http), word for word between the README markers, and its test.

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/internal/readmecheck"
	"github.com/wxlogin/wxlogin/internal/recipetest"
	"github.com/wxlogin/wxlogin/nethttpmw"
	"github.com/wxlogin/wxlogin/weixintest"
)

func TestREADMEDoors(t *testing.T) {
	readmecheck.Mirrored(t, "doors_recipe_test.go", "../docs/frameworks.md")
}

// README begin
// newAPI serves a mini program (and a mobile app): each logs in with its code and
// then sends "Authorization: Bearer <token>", as wx.request keeps no cookies.
func newAPI(auth *core.Auth) http.Handler {
	wl := nethttpmw.New(auth, nethttpmw.Options{})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /auth/weixin/miniprogram", wl.MiniProgramLogin) // {"code"} → {"token","expires_at","user"}
	mux.HandleFunc("POST /auth/weixin/app", wl.AppLogin)                 // a mobile app's SendAuth code
	mux.HandleFunc("POST /auth/weixin/logout", wl.Logout)                // with a bearer token: 204
	mux.Handle("GET /api/me", wl.RequireWeixinUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := nethttpmw.User(r) // a dead token: 401 JSON, never a redirect
		json.NewEncoder(w).Encode(map[string]string{"openid": u.OpenID, "unionid": u.UnionID})
	})))
	return nethttpmw.AccessLog(slog.Default())(wl.Sessions(mux)) // the bearer token, else the session cookie
}

// README end

func TestMiniProgramBearer(t *testing.T) {
	wx := weixintest.NewServer()
	defer wx.Close()
	mini := wx.Config(weixintest.DefaultMiniProgramAppID, "", "")
	app := wx.Config(weixintest.DefaultMobileAppID, "", "")
	auth, err := core.New(core.Options{MiniProgram: &mini, MobileApp: &app, Sessions: scs.New()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newAPI(auth))
	defer srv.Close()
	recipetest.BearerDoors(t, wx, srv.URL, func(req *http.Request) (*http.Response, error) {
		req.RequestURI = "" // a client's request
		return http.DefaultClient.Do(req)
	})
}
