package nethttpmw_test

// The mini program's login docs/frameworks.md shows ("Mini programs and mobile apps",
// net/http), word for word between the README markers, and its test.

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/internal/readmecheck"
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
	for door, code := range map[string]string{
		"miniprogram": wx.MiniProgramCode(weixintest.DefaultMiniProgramAppID, "u1"),
		"app":         wx.SendAuthCode(weixintest.DefaultMobileAppID, "u1"),
	} {
		resp, err := http.Post(srv.URL+"/auth/weixin/"+door, "application/json", strings.NewReader(`{"code":"`+code+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		var login struct {
			Token string `json:"token"`
		}
		json.NewDecoder(resp.Body).Decode(&login)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || login.Token == "" || resp.Header.Get("Set-Cookie") != "" {
			t.Fatalf("%s login: %d", door, resp.StatusCode)
		}
		call := func(method, path string) int {
			req, _ := http.NewRequest(method, srv.URL+path, nil)
			req.Header.Set("Authorization", "Bearer "+login.Token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if got := call(http.MethodGet, "/api/me"); got != http.StatusOK {
			t.Errorf("%s: /api/me: %d", door, got)
		}
		if got := call(http.MethodPost, "/auth/weixin/logout"); got != http.StatusNoContent {
			t.Errorf("%s: logout: %d", door, got)
		}
		if got := call(http.MethodGet, "/api/me"); got != http.StatusUnauthorized {
			t.Errorf("%s: after logout: %d", door, got)
		}
	}
}
