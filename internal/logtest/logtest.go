// Package logtest is what the tests need to read what wxlogin logs: a
// buffer that servers' goroutines write to, and the access-log scenario
// that nethttpmw, ginmw and fibermw each run against their AccessLog.
package logtest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/wxlogin/wxlogin/internal/browsertest"
	"github.com/wxlogin/wxlogin/weixintest"
)

// Buffer is a bytes.Buffer safe for concurrent writers.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// accessAttrs are the attributes of every access-log line, in every
// adapter, as slog's JSON handler writes them.
var accessAttrs = []string{"bytes", "duration", "level", "method", "msg", "path", "query", "remote_addr", "status", "time"}

// AccessLines decodes the JSON lines of log, checking that each has
// exactly the attributes every adapter's AccessLog writes.
func AccessLines(t testing.TB, log string) []map[string]any {
	t.Helper()
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
		if !slices.Equal(keys, accessAttrs) {
			t.Errorf("attributes %v, want %v", keys, accessAttrs)
		}
		lines = append(lines, m)
	}
	return lines
}

// AccessLogin runs a whole login through an app at base, whose access log
// (a JSON slog handler) writes to log: GET /auth/weixin/login, the
// callback WeChat redirects to (with "&from=qr" added), GET /api/me
// (which must answer the user's nickname) and GET /empty?token=T0K3N
// (an empty 200). It checks that the login succeeds, that neither the
// code, the state nor the token reaches the log, and that the log has
// those four lines in that order, each with the right method, path,
// redacted query, status and remote address; it returns the lines, for
// checks of the adapter's own.
func AccessLogin(t testing.TB, wx *weixintest.Server, base string, log *Buffer) []map[string]any {
	t.Helper()
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

	out := log.String()
	for _, secret := range []string{code, state, url.QueryEscape(state), "T0K3N"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds %q:\n%s", secret, out)
		}
	}
	lines := AccessLines(t, out)
	if len(lines) < 4 {
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
	return lines
}
