package nethttpmw_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/internal/browsertest"
	"github.com/wxlogin/wxlogin/nethttpmw"
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
// per request.
func TestAccessLog(t *testing.T) {
	wx := weixintest.NewServer()
	defer wx.Close()
	app := httptest.NewUnstartedServer(nil)
	web := wx.Config(weixintest.DefaultAppID, "http://"+app.Listener.Addr().String()+"/auth/weixin/callback", weixin.ScopeLogin)
	auth, err := core.New(core.Options{Website: &web, Sessions: scs.New(), DefaultReturnTo: "/api/me"})
	if err != nil {
		t.Fatal(err)
	}
	var log syncBuffer
	wl := nethttpmw.New(auth, nethttpmw.Options{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /auth/weixin/login", wl.Login)
	mux.HandleFunc("GET /auth/weixin/callback", wl.Callback)
	mux.Handle("GET /api/me", wl.RequireWeixinUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := nethttpmw.User(r)
		w.Write([]byte(u.Nickname))
	})))
	mux.HandleFunc("GET /empty", func(http.ResponseWriter, *http.Request) {})
	app.Config.Handler = nethttpmw.AccessLog(slog.New(slog.NewJSONHandler(&log, nil)))(wl.Sessions(mux))
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

	out := log.String()
	for _, secret := range []string{code, state, url.QueryEscape(state), "T0K3N"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds %q:\n%s", secret, out)
		}
	}
	lines := accessLines(t, out)
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4 (login, callback, /api/me, /empty):\n%s", len(lines), out)
	}
	for i, want := range []map[string]any{
		{"msg": "request", "level": "INFO", "method": "GET", "path": "/auth/weixin/login", "query": "", "status": 302.0},
		{"path": "/auth/weixin/callback", "query": "code=REDACTED&state=REDACTED&from=qr", "status": 302.0},
		{"path": "/api/me", "status": 200.0, "bytes": float64(len("张三"))},
		{"path": "/empty", "query": "token=REDACTED", "status": 200.0, "bytes": 0.0},
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

// The writer AccessLog hands on still flushes (streaming answers) and
// reaches the connection's own writer through Unwrap.
func TestAccessLogKeepsFlusher(t *testing.T) {
	var log syncBuffer
	h := nethttpmw.AccessLog(slog.New(slog.NewJSONHandler(&log, nil)))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		w.Write([]byte("part"))
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("Flush: %v", err)
		}
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/stream?code=x", nil))
	if !rec.Flushed || rec.Code != http.StatusAccepted {
		t.Errorf("flushed %v, status %d", rec.Flushed, rec.Code)
	}
	l := accessLines(t, log.String())[0]
	if l["status"] != 202.0 || l["bytes"] != 4.0 || l["query"] != "code=REDACTED" {
		t.Errorf("line %v", l)
	}
}

// A handler that panics before answering is logged as the 500 the server
// answers, and the panic goes on to the server.
func TestAccessLogPanic(t *testing.T) {
	var log syncBuffer
	h := nethttpmw.AccessLog(slog.New(slog.NewJSONHandler(&log, nil)))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	}))
	func() {
		defer func() {
			if recover() != "boom" {
				t.Error("the panic did not reach the server")
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/x?state=S", nil))
	}()
	l := accessLines(t, log.String())[0]
	if l["status"] != 500.0 || l["method"] != "POST" || l["query"] != "state=REDACTED" {
		t.Errorf("line %v", l)
	}
}

// The cost of AccessLog on a callback's request, as a ratio to the same
// handler without it (compare the two lines of one run).
func BenchmarkAccessLog(b *testing.B) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	logged := nethttpmw.AccessLog(slog.New(slog.NewTextHandler(io.Discard, nil)))(ok)
	req := httptest.NewRequest(http.MethodGet, "/auth/weixin/callback?code=0a1b2c3d4e5f6a7b&state=AbCdEfGhIjKlMnOpQrStUvWx", nil)
	for _, bb := range []struct {
		name string
		h    http.Handler
	}{{"bare", ok}, {"AccessLog", logged}} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			w := httptest.NewRecorder()
			for b.Loop() {
				w.Body.Reset()
				bb.h.ServeHTTP(w, req)
			}
		})
	}
}

// A file served through AccessLog (http.ServeContent, io.Copy: the
// writer's ReadFrom) is counted whole.
func TestAccessLogCountsReadFrom(t *testing.T) {
	var log syncBuffer
	body := strings.Repeat("x", 100_000)
	h := nethttpmw.AccessLog(slog.New(slog.NewJSONHandler(&log, nil)))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(w, strings.NewReader(body))
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/file?ticket=T")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != body {
		t.Fatalf("%d bytes received", len(got))
	}
	l := accessLines(t, log.String())[0]
	if l["status"] != 200.0 || l["bytes"] != float64(len(body)) || l["query"] != "ticket=REDACTED" {
		t.Errorf("line %v", l)
	}
}
