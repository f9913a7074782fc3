package ginmw_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/gin-gonic/gin"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/ginmw"
	"github.com/wxlogin/wxlogin/internal/browsertest"
	"github.com/wxlogin/wxlogin/weixintest"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// accessLines decodes the JSON lines of log, checking each has exactly
// the attributes every adapter's AccessLog writes.
func accessLines(t *testing.T, log string) []map[string]any {
	t.Helper()
	want := []string{"bytes", "duration", "level", "method", "msg", "path", "query", "remote_addr", "status", "time"}
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(log), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		var keys []string
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, want) {
			t.Errorf("attributes %v, want %v", keys, want)
		}
		lines = append(lines, m)
	}
	return lines
}

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
	var log syncBuffer
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

	b := browsertest.New(t, app.URL)
	cb, err := wx.Authorize(b.Get("/auth/weixin/login").Header.Get("Location"), "u1")
	if err != nil {
		t.Fatal(err)
	}
	code, state := cb.Query().Get("code"), cb.Query().Get("state")
	if code == "" || state == "" {
		t.Fatalf("callback URL without code or state: %s", cb)
	}
	cb.RawQuery += "&from=qr"
	if r := b.Get(cb.String()); r.StatusCode != http.StatusFound || r.Header.Get("Location") != "/api/me" {
		t.Fatalf("callback: %d %s", r.StatusCode, r.Body)
	}
	if r := b.Get("/api/me"); r.StatusCode != http.StatusOK || r.Body != "张三" {
		t.Fatalf("/api/me: %d %s", r.StatusCode, r.Body)
	}
	b.Get("/empty?token=T0K3N")
	b.Get("/panic?access_token=T0K3N")

	out := log.String()
	for _, secret := range []string{code, state, url.QueryEscape(state), "T0K3N"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds %q:\n%s", secret, out)
		}
	}
	lines := accessLines(t, out)
	if len(lines) != 5 {
		t.Fatalf("%d lines, want 5 (login, callback, /api/me, /empty, /panic):\n%s", len(lines), out)
	}
	for i, want := range []map[string]any{
		{"msg": "request", "level": "INFO", "method": "GET", "path": "/auth/weixin/login", "query": "", "status": 302.0},
		{"path": "/auth/weixin/callback", "query": "code=REDACTED&state=REDACTED&from=qr", "status": 302.0},
		{"path": "/api/me", "status": 200.0, "bytes": float64(len("张三"))},
		{"path": "/empty", "query": "token=REDACTED", "status": 200.0, "bytes": 0.0},
		{"path": "/panic", "query": "access_token=REDACTED", "status": 500.0},
	} {
		for k, v := range want {
			if lines[i][k] != v {
				t.Errorf("line %d: %s = %v, want %v", i+1, k, lines[i][k], v)
			}
		}
		if ra, _ := lines[i]["remote_addr"].(string); !strings.HasPrefix(ra, "127.0.0.1:") {
			t.Errorf("line %d: remote_addr %q", i+1, ra)
		}
	}
}

// TestRecovery: a panic on the callback's path, in gin's debug mode, is
// answered 500 and logged once, without the code, the state or the
// session cookie that gin.Recovery would print there.
func TestRecovery(t *testing.T) {
	gin.SetMode(gin.DebugMode)
	defer gin.SetMode(gin.TestMode)
	var logs syncBuffer
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
