package ginmw_test

// The mini program's login docs/frameworks.md shows ("Mini programs and mobile apps", Gin,
// and "Testing your app"), word for word between the README markers.

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/gin-gonic/gin"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/ginmw"
	"github.com/wxlogin/wxlogin/internal/readmecheck"
	"github.com/wxlogin/wxlogin/weixintest"
)

func TestREADMEDoors(t *testing.T) {
	readmecheck.Mirrored(t, "doors_recipe_test.go", "../docs/frameworks.md")
}

// README begin
// newAPI serves a mini program (and a mobile app): each logs in with its code and
// then sends "Authorization: Bearer <token>", as wx.request keeps no cookies.
func newAPI(auth *core.Auth) *gin.Engine {
	wl := ginmw.New(auth, ginmw.Options{})
	r := gin.New()
	r.Use(ginmw.AccessLog(slog.Default()), ginmw.Recovery(slog.Default())) // a line per request: no code, no token
	r.Use(wl.Sessions)                                                     // the bearer token, else the session cookie
	r.POST("/auth/weixin/miniprogram", wl.MiniProgramLogin)                // {"code"} → {"token","expires_at","user"}
	r.POST("/auth/weixin/app", wl.AppLogin)                                // a mobile app's SendAuth code
	r.POST("/auth/weixin/logout", wl.Logout)                               // with a bearer token: 204
	r.GET("/api/me", wl.RequireWeixinUser, func(c *gin.Context) {
		u, _ := ginmw.User(c) // a dead token: 401 JSON, never a redirect
		c.JSON(http.StatusOK, gin.H{"openid": u.OpenID, "unionid": u.UnionID})
	})
	return r
}

// README end

// README begin
func TestMiniProgramLogin(t *testing.T) {
	gin.SetMode(gin.TestMode)
	wx := weixintest.NewServer() // a fake WeChat: its mini program and mobile app too
	defer wx.Close()
	mini := wx.Config(weixintest.DefaultMiniProgramAppID, "", "") // no redirect URL, no scope
	auth, err := core.New(core.Options{MiniProgram: &mini, Sessions: scs.New()})
	if err != nil {
		t.Fatal(err)
	}
	app := httptest.NewServer(newAPI(auth))
	defer app.Close()

	code := wx.MiniProgramCode(weixintest.DefaultMiniProgramAppID, "u1") // what wx.login() gives u1
	resp, err := http.Post(app.URL+"/auth/weixin/miniprogram", "application/json", strings.NewReader(`{"code":"`+code+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	var login struct {
		Token string `json:"token"`
	}
	json.NewDecoder(resp.Body).Decode(&login)
	resp.Body.Close()

	me := func() int { // no cookie jar: the token goes in the header, as wx.request sends it
		req, _ := http.NewRequest(http.MethodGet, app.URL+"/api/me", nil)
		req.Header.Set("Authorization", "Bearer "+login.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := me(); got != http.StatusOK {
		t.Fatalf("/api/me: %d", got)
	}
	req, _ := http.NewRequest(http.MethodPost, app.URL+"/auth/weixin/logout", nil)
	req.Header.Set("Authorization", "Bearer "+login.Token)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: %v %v", resp, err)
	}
	if got := me(); got != http.StatusUnauthorized {
		t.Errorf("after logout: %d", got)
	}
}

// README end
