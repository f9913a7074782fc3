package ginmw_test

// The middleware docs/behaviour.md shows ("What reads the session, what
// calls WeChat", Gin), word for word between the README markers, and its
// test, the same as nethttpmw's.

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/gin-gonic/gin"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/ginmw"
	"github.com/wxlogin/wxlogin/internal/browsertest"
	"github.com/wxlogin/wxlogin/internal/readmecheck"
	"github.com/wxlogin/wxlogin/internal/recipetest"
	"github.com/wxlogin/wxlogin/weixintest"
)

func TestREADMEEndedLogin(t *testing.T) {
	readmecheck.Mirrored(t, "endedlogin_recipe_test.go", "../docs/behaviour.md")
}

// README begin
// freshLogin, after wl.RequireWeixinUser, refuses a login that has ended at WeChat.
func freshLogin(wl *ginmw.Handlers) gin.HandlerFunc {
	return func(c *gin.Context) {
		if _, err := wl.Token(c); errors.Is(err, core.ErrLoginRequired) {
			wl.JSONError(c, err) // and aborts
		}
	}
}

// r.GET("/account", wl.RequireWeixinUser, freshLogin(wl), account)
// README end

func TestFreshLogin(t *testing.T) {
	gin.SetMode(gin.TestMode)
	wx := weixintest.NewServer()
	defer wx.Close()
	app := httptest.NewUnstartedServer(nil)
	web := wx.Config(weixintest.DefaultAppID, "http://"+app.Listener.Addr().String()+"/auth/weixin/callback", weixin.ScopeLogin)
	auth, err := core.New(core.Options{Website: &web, Sessions: scs.New()})
	if err != nil {
		t.Fatal(err)
	}
	wl := ginmw.New(auth, ginmw.Options{})
	ok := func(c *gin.Context) { c.String(http.StatusOK, "ok") }
	r := gin.New()
	r.Use(wl.Sessions)
	r.GET("/auth/weixin/login", wl.Login)
	r.GET("/auth/weixin/callback", wl.Callback)
	r.GET("/me", wl.RequireWeixinUser, ok)
	r.GET("/account", wl.RequireWeixinUser, freshLogin(wl), ok)
	app.Config.Handler = r
	app.Start()
	defer app.Close()
	recipetest.EndedLogin(t, wx, browsertest.New(t, app.URL))
}
