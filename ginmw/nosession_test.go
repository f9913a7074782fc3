package ginmw_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/gin-gonic/gin"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/ginmw"
	"github.com/wxlogin/wxlogin/weixintest"
)

// Routes mounted without Sessions answer 500 and log the fix; under
// gin.New() (no Recovery) scs' panic used to reach the client as EOF.
func TestWithoutSessionsMiddleware(t *testing.T) {
	gin.SetMode(gin.TestMode)
	wx := weixintest.NewServer()
	defer wx.Close()
	var logs bytes.Buffer
	website := wx.Config(weixintest.DefaultAppID, "http://app.example/auth/weixin/callback", weixin.ScopeLogin)
	auth, err := core.New(core.Options{Website: &website, Sessions: scs.New(), Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	wl := ginmw.New(auth, ginmw.Options{})
	r := gin.New() // no r.Use(wl.Sessions)
	r.GET("/auth/weixin/login", wl.Login)
	r.GET("/auth/weixin/callback", wl.Callback)
	r.Any("/auth/weixin/logout", wl.Logout)
	r.GET("/me", wl.RequireWeixinUser, func(c *gin.Context) { t.Error("the protected handler ran") })
	srv := httptest.NewServer(r)
	defer srv.Close()
	for _, tt := range []struct{ method, path string }{
		{"GET", "/auth/weixin/login"},
		{"GET", "/auth/weixin/callback?code=c&state=s"},
		{"POST", "/auth/weixin/logout"},
		{"GET", "/me"},
	} {
		logs.Reset()
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", tt.method, tt.path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusInternalServerError {
			t.Errorf("%s %s: %d, want 500", tt.method, tt.path, resp.StatusCode)
		}
		if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "ginmw: r.Use(h.Sessions)") {
			t.Errorf("%s %s: the log does not name the fix: %q", tt.method, tt.path, logs.String())
		}
	}
}
