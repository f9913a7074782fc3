package ginmw_test

import (
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

// A handler that flushes before writing (streaming, server-sent events)
// keeps the session: its cookie goes out with the headers Flush sends.
func TestSessionsSavesOnFlush(t *testing.T) {
	gin.SetMode(gin.TestMode)
	wx := weixintest.NewServer()
	defer wx.Close()
	website := wx.Config(weixintest.DefaultAppID, "http://app.example/auth/weixin/callback", weixin.ScopeLogin)
	sessions := scs.New()
	auth, err := core.New(core.Options{Website: &website, Sessions: sessions})
	if err != nil {
		t.Fatal(err)
	}
	wl := ginmw.New(auth, ginmw.Options{})
	r := gin.New()
	r.Use(wl.Sessions)
	r.GET("/stream", func(c *gin.Context) {
		sessions.Put(c.Request.Context(), "seen", true)
		c.Header("Content-Type", "text/event-stream")
		c.Writer.Flush()
		c.Writer.WriteString("data: hello\n\n")
		c.Writer.Flush()
	})
	srv := httptest.NewServer(r)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if c := resp.Header.Get("Set-Cookie"); !strings.HasPrefix(c, sessions.Cookie.Name+"=") {
		t.Errorf("flushed response without the session cookie: %v", resp.Header)
	}
}
