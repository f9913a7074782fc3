package nethttpmw_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/nethttpmw"
	"github.com/wxlogin/wxlogin/weixintest"
)

// Routes mounted without Sessions answer 500 and log the fix, instead of
// scs' panic "no session data in context".
func TestWithoutSessionsMiddleware(t *testing.T) {
	wx := weixintest.NewServer()
	defer wx.Close()
	var logs bytes.Buffer
	website := wx.Config(weixintest.DefaultAppID, "http://app.example/auth/weixin/callback", weixin.ScopeLogin)
	auth, err := core.New(core.Options{Website: &website, Sessions: scs.New(), Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	wl := nethttpmw.New(auth, nethttpmw.Options{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /auth/weixin/login", wl.Login)
	mux.HandleFunc("GET /auth/weixin/callback", wl.Callback)
	mux.HandleFunc("/auth/weixin/logout", wl.Logout)
	mux.Handle("GET /me", wl.RequireWeixinUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the protected handler ran")
	})))
	for _, req := range []*http.Request{
		httptest.NewRequest("GET", "/auth/weixin/login", nil),
		httptest.NewRequest("GET", "/auth/weixin/callback?code=c&state=s", nil),
		httptest.NewRequest("POST", "/auth/weixin/logout", nil),
		httptest.NewRequest("GET", "/me", nil),
	} {
		logs.Reset()
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req) // no wl.Sessions around mux
		if w.Code != http.StatusInternalServerError {
			t.Errorf("%s %s: %d, want 500", req.Method, req.URL, w.Code)
		}
		if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "nethttpmw: http.ListenAndServe(addr, h.Sessions(mux))") {
			t.Errorf("%s %s: the log does not name the fix: %q", req.Method, req.URL, logs.String())
		}
	}
}
