package nethttpmw_test

import (
	"net/http"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/nethttpmw"
	"github.com/wxlogin/wxlogin/weixintest"
)

// New leaves the app's ErrorFunc alone: Sessions answers store failures
// itself (the conformance suite checks the 503).
func TestNewKeepsTheAppsErrorFunc(t *testing.T) {
	wx := weixintest.NewServer()
	defer wx.Close()
	sm := scs.New()
	called := false
	sm.ErrorFunc = func(http.ResponseWriter, *http.Request, error) { called = true }
	web := wx.Config(weixintest.DefaultAppID, "http://127.0.0.1/auth/weixin/callback", weixin.ScopeLogin)
	auth, err := core.New(core.Options{Website: &web, Sessions: sm})
	if err != nil {
		t.Fatal(err)
	}
	nethttpmw.New(auth, nethttpmw.Options{})
	sm.ErrorFunc(nil, nil, nil)
	if !called {
		t.Error("nethttpmw.New replaced the session manager's ErrorFunc")
	}
}
