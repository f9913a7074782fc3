package ginmw_test

import (
	"bytes"
	"encoding/json"
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
	"github.com/wxlogin/wxlogin/internal/browsertest"
	"github.com/wxlogin/wxlogin/internal/logtest"
	"github.com/wxlogin/wxlogin/weixintest"
)

// A whole login through AccessLog: the callback's code and state reach
// the handler (the login succeeds) and never the log, which has one line
// per request, with the status of what Recovery answers for a panic.
func TestAccessLog(t *testing.T) {
	gin.SetMode(gin.TestMode)
	wx := weixintest.NewServer()
	defer wx.Close()
	app := httptest.NewUnstartedServer(nil)
	web := wx.Config(weixintest.DefaultAppID, "http://"+app.Listener.Addr().String()+"/auth/weixin/callback", weixin.ScopeLogin)
	auth, err := core.New(core.Options{Website: &web, Sessions: scs.New(), DefaultReturnTo: "/api/me"})
	if err != nil {
		t.Fatal(err)
	}
	var log logtest.Buffer
	wl := ginmw.New(auth, ginmw.Options{})
	r := gin.New()
	r.Use(ginmw.AccessLog(slog.New(slog.NewJSONHandler(&log, nil))), gin.RecoveryWithWriter(&bytes.Buffer{}))
	r.Use(wl.Sessions)
	r.GET("/auth/weixin/login", wl.Login)
	r.GET("/auth/weixin/callback", wl.Callback)
	r.GET("/api/me", wl.RequireWeixinUser, func(c *gin.Context) {
		u, _ := ginmw.User(c)
		c.String(http.StatusOK, u.Nickname)
	})
	r.GET("/empty", func(*gin.Context) {})
	r.GET("/panic", func(*gin.Context) { panic("boom") })
	app.Config.Handler = r
	app.Start()
	defer app.Close()

	logtest.AccessLogin(t, wx, app.URL, &log)
	// A panic (answered by the recovery after AccessLog) is logged with its status.
	browsertest.New(t, app.URL).Get("/panic?access_token=T0K3N")
	lines := logtest.AccessLines(t, log.String())
	if len(lines) != 5 || lines[4]["path"] != "/panic" || lines[4]["query"] != "access_token=REDACTED" || lines[4]["status"] != 500.0 {
		t.Errorf("the panic's line:\n%s", log.String())
	}
}

// TestRecovery: a panic on the callback's path, in gin's debug mode, is
// answered 500 and logged once, without the code, the state or the
// session cookie that gin.Recovery would print there.
func TestRecovery(t *testing.T) {
	gin.SetMode(gin.DebugMode)
	defer gin.SetMode(gin.TestMode)
	var logs logtest.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	r := gin.New()
	r.Use(ginmw.Recovery(logger))
	r.GET("/auth/weixin/callback", func(c *gin.Context) { panic("boom") })
	req := httptest.NewRequest(http.MethodGet, "/auth/weixin/callback?code=0a1b2c-secret-code&state=STATE7SECRET&x=1", nil)
	req.Header.Set("Cookie", "session=the-session-id")
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	if w.Code != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", w.Code)
	}
	var line struct {
		Level, Msg, Path, Query, Panic, Stack string
	}
	if err := json.Unmarshal([]byte(logs.String()), &line); err != nil {
		t.Fatalf("one JSON line: %v\n%s", err, logs.String())
	}
	if line.Level != "ERROR" || line.Path != "/auth/weixin/callback" || line.Query != "code=REDACTED&state=REDACTED&x=1" ||
		line.Panic != "boom" || !strings.Contains(line.Stack, "ginmw_test") {
		t.Errorf("log line %+v", line)
	}
	for _, secret := range []string{"0a1b2c-secret-code", "STATE7SECRET", "the-session-id"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
}
