package fibermw_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/gofiber/fiber/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/fibermw"
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
// per request, with the status the error handler answers for an error.
func TestAccessLog(t *testing.T) {
	wx := weixintest.NewServer()
	defer wx.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	web := wx.Config(weixintest.DefaultAppID, base+"/auth/weixin/callback", weixin.ScopeLogin)
	auth, err := core.New(core.Options{Website: &web, Sessions: scs.New(), DefaultReturnTo: "/api/me"})
	if err != nil {
		t.Fatal(err)
	}
	var log syncBuffer
	wl := fibermw.New(auth, fibermw.Options{})
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Use(fibermw.AccessLog(slog.New(slog.NewJSONHandler(&log, nil))), wl.Sessions)
	app.Get("/auth/weixin/login", wl.Login)
	app.Get("/auth/weixin/callback", wl.Callback)
	app.Get("/api/me", wl.RequireWeixinUser, func(c *fiber.Ctx) error {
		u, _ := fibermw.User(c)
		return c.SendString(u.Nickname)
	})
	app.Get("/empty", func(*fiber.Ctx) error { return nil })
	app.Get("/teapot", func(*fiber.Ctx) error { return fiber.ErrTeapot })
	go app.Listener(ln)
	defer app.Shutdown()

	b := browsertest.New(t, base)
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
	if r := b.Get("/teapot?ticket=T0K3N"); r.StatusCode != http.StatusTeapot {
		t.Errorf("/teapot: %d", r.StatusCode)
	}

	out := log.String()
	for _, secret := range []string{code, state, url.QueryEscape(state), "T0K3N"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds %q:\n%s", secret, out)
		}
	}
	lines := accessLines(t, out)
	if len(lines) != 5 {
		t.Fatalf("%d lines, want 5 (login, callback, /api/me, /empty, /teapot):\n%s", len(lines), out)
	}
	for i, want := range []map[string]any{
		{"msg": "request", "level": "INFO", "method": "GET", "path": "/auth/weixin/login", "query": "", "status": 302.0},
		{"path": "/auth/weixin/callback", "query": "code=REDACTED&state=REDACTED&from=qr", "status": 302.0},
		{"path": "/api/me", "status": 200.0, "bytes": float64(len("张三"))},
		{"path": "/empty", "query": "token=REDACTED", "status": 200.0, "bytes": 0.0},
		{"path": "/teapot", "query": "ticket=REDACTED", "status": 418.0},
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
