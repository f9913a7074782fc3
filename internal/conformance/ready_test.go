package conformance

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2/memstore"
	"github.com/wxlogin/wxlogin/internal/redistest"
	"github.com/wxlogin/wxlogin/weixintest"
)

// checkReady asks GET /readyz of b and checks the answer: 200 "ok", or
// 503 with a short text reason that names no internals; never a cookie,
// never cached.
func checkReady(t *testing.T, b *browser, ready bool) {
	t.Helper()
	r := b.Get("/readyz")
	if r.Header.Get("Set-Cookie") != "" || r.Header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("/readyz headers: %v", r.Header)
	}
	switch {
	case ready && (r.StatusCode != http.StatusOK || r.Body != "ok"):
		t.Errorf("/readyz: %d %q, want 200 ok", r.StatusCode, r.Body)
	case !ready && (r.StatusCode != http.StatusServiceUnavailable || r.Body != "not ready: session store unavailable\n"):
		t.Errorf("/readyz: %d %q, want 503 and the reason", r.StatusCode, r.Body)
	}
}

// readyWithin polls /readyz until it answers want: a bound against
// hanging, not a measure of speed.
func readyWithin(t *testing.T, b *browser, want int) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); b.Get("/readyz").StatusCode != want; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("/readyz never answered %d", want)
		}
	}
}

// With sessions in memory, an app is ready: /readyz answers 200 "ok",
// with or without a session cookie, and sets none.
func TestReadyMemory(t *testing.T) {
	for _, a := range adapters {
		t.Run(a.name, func(t *testing.T) {
			wx := weixintest.NewServer()
			t.Cleanup(wx.Close)
			e := newEnvWith(t, a, wx, memstore.NewWithCleanupInterval(0))
			b := e.browser()
			checkReady(t, b, true)
			b.login("u1", "")
			checkReady(t, b, true)
			if r := b.Get("/me"); r.StatusCode != http.StatusOK {
				t.Errorf("/me after /readyz: %d", r.StatusCode)
			}
		})
	}
}

// With sessions in a real Redis: ready while Redis answers; 503 while it
// is frozen (the store's timeout) or stopped, naming neither Redis'
// address nor its error; ready again once Redis is back.
func TestReadyRedis(t *testing.T) {
	rs := redistest.Start(t)
	for _, a := range adapters {
		t.Run(a.name, func(t *testing.T) {
			wx := weixintest.NewServer()
			t.Cleanup(wx.Close)
			e := newEnvWith(t, a, wx, openRedisStore(t, rs))
			b := e.browser()
			checkReady(t, b, true)

			rs.Pause()
			checkReady(t, b, false)
			rs.Resume()
			readyWithin(t, b, http.StatusOK)

			rs.Stop()
			checkReady(t, b, false)
			r := b.Get("/readyz")
			if host, _, _ := strings.Cut(rs.Addr(), ":"); strings.Contains(r.Body, host) || strings.Contains(strings.ToLower(r.Body), "redis") {
				t.Errorf("/readyz names internals: %q", r.Body)
			}
			rs.Restart()
			readyWithin(t, b, http.StatusOK)
			checkReady(t, b, true)
		})
	}
}
