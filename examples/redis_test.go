package examples

import (
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/internal/browsertest"
	"github.com/wxlogin/wxlogin/internal/redistest"
	"github.com/wxlogin/wxlogin/weixintest"
)

// redisURL returns the URL of a Redis for the test: WXLOGIN_TEST_REDIS_URL
// when set, else that of a redis-server started for the test.
func redisURL(t *testing.T) string {
	if u := os.Getenv("WXLOGIN_TEST_REDIS_URL"); u != "" {
		return u
	}
	return redistest.Start(t).URL()
}

// Two instances of an example share sessions in Redis: a login done on
// one is a login on the other, a login begun on one completes on the
// other, a refresh done by one is what the other uses, and a logout on
// one ends the login on both.
func TestContractRedisSessions(t *testing.T) {
	skipIfShort(t, "the Redis tests")
	each(t, func(t *testing.T, name string) {
		redisURL := redisURL(t)
		wx := weixintest.NewServer()
		defer wx.Close()
		env := append(wechatEnv(wx, false), "SESSION_REDIS_URL="+redisURL)
		a := start(t, name, env...)
		b := start(t, name, env...)

		// The cookie jar ignores ports, so one browser talks to both.
		u := browsertest.New(t, a.base)
		u.Get(login(t, wx, u, "", "u1"))
		if r := u.API(b.base + "/api/me"); r.StatusCode != 200 || !strings.Contains(r.Body, "张三") {
			t.Fatalf("logged in on A, /api/me on B: %d %s", r.StatusCode, r.Body)
		}

		v := browsertest.New(t, a.base)
		loc := v.Get(a.base + "/auth/weixin/login").Header.Get("Location")
		cb, err := wx.Authorize(loc, "u2")
		if err != nil {
			t.Fatal(err)
		}
		cb.Host = strings.TrimPrefix(b.base, "http://") // WeChat sends the browser to B
		if r := v.Get(cb.String()); r.StatusCode != 302 || r.Header.Get("Location") != "/me" {
			t.Fatalf("login begun on A, completed on B: %d %s", r.StatusCode, r.Body)
		}
		if r := v.API(a.base + "/api/me"); r.StatusCode != 200 || !strings.Contains(r.Body, "Lily") {
			t.Errorf("completed on B, /api/me on A: %d %s", r.StatusCode, r.Body)
		}

		// A token that both instances consider expired 6 s after login.
		wx.SetAccessTokenTTL(2*time.Minute + 6*time.Second)
		w := browsertest.New(t, a.base)
		w.Get(login(t, wx, w, "", "u3"))
		time.Sleep(6500 * time.Millisecond)
		if r := w.API(b.base + "/api/userinfo"); r.StatusCode != 200 {
			t.Fatalf("/api/userinfo on B: %d %s", r.StatusCode, r.Body)
		}
		if r := w.API(a.base + "/api/userinfo"); r.StatusCode != 200 {
			t.Fatalf("/api/userinfo on A: %d %s", r.StatusCode, r.Body)
		}
		if n := wx.Calls(weixintest.PathRefreshToken); n != 1 {
			t.Errorf("%d refreshes: A did not use the token B refreshed", n)
		}

		// Both instances refreshing one user at once: one refresh per
		// process at most, the user stays logged in, and the token that
		// ends in the session works.
		x := browsertest.New(t, a.base)
		x.Get(login(t, wx, x, "", "u1"))
		before := wx.Calls(weixintest.PathRefreshToken)
		time.Sleep(6500 * time.Millisecond)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var statuses []int
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				base := a.base
				if i%2 == 1 {
					base = b.base
				}
				r := x.API(base + "/api/userinfo")
				mu.Lock()
				statuses = append(statuses, r.StatusCode)
				mu.Unlock()
			}()
		}
		wg.Wait()
		for _, st := range statuses {
			if st != 200 {
				t.Errorf("concurrent refresh on A and B: statuses %v", statuses)
				break
			}
		}
		if n := wx.Calls(weixintest.PathRefreshToken) - before; n < 1 || n > 2 {
			t.Errorf("%d refreshes by two instances, want 1 or 2", n)
		}
		after := wx.Calls(weixintest.PathRefreshToken)
		for _, base := range []string{a.base, b.base} {
			if r := x.API(base + "/api/userinfo"); r.StatusCode != 200 {
				t.Errorf("after the race, %s: %d", base, r.StatusCode)
			}
		}
		if n := wx.Calls(weixintest.PathRefreshToken); n != after {
			t.Errorf("the token in the session after the race was not fresh: %d more refreshes", n-after)
		}

		if r := w.Do("POST", b.base+"/auth/weixin/logout", browsertest.HTMLAccept); r.StatusCode != 302 {
			t.Fatalf("logout on B: %d", r.StatusCode)
		}
		if r := w.API(a.base + "/api/me"); r.StatusCode != 401 {
			t.Errorf("logged out on B, /api/me on A: %d", r.StatusCode)
		}
	})
}

// Redis slow, then down: protected requests get a clear 503 (no crash,
// no logout) once the cache stops vouching for the session, service
// resumes when Redis is back, and a Redis restarted empty is never
// answered for by the cache.
func TestContractRedisOutage(t *testing.T) {
	skipIfShort(t, "the Redis tests")
	each(t, func(t *testing.T, name string) {
		rs := redistest.Start(t)
		wx := weixintest.NewServer()
		defer wx.Close()
		p := start(t, name, append(wechatEnv(wx, false), "SESSION_REDIS_URL="+rs.URL())...)
		b := browsertest.New(t, p.base)
		b.Get(login(t, wx, b, "", "u1"))
		if r := b.API("/api/me"); r.StatusCode != 200 {
			t.Fatalf("/api/me: %d", r.StatusCode)
		}

		rs.Pause()
		// The session is in the example's cache, which answers until
		// Redis has missed its heartbeats (redisstore.Options.MaxStale,
		// 1 s): then Find reads Redis and times out.
		for deadline := time.Now().Add(15 * time.Second); b.API("/api/me").StatusCode != 503; time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("Redis frozen: /api/me never answered 503")
			}
		}
		for _, path := range []string{"/api/me", "/me"} {
			if r := b.Get(path); r.StatusCode != 503 || !strings.Contains(r.Body, "暂时无法使用") { // no Accept-Language: zh-CN
				t.Errorf("Redis frozen, %s: %d %s", path, r.StatusCode, r.Body)
			}
		}
		if r := b.Get("/healthz"); r.StatusCode != 200 {
			t.Errorf("/healthz with Redis frozen: %d", r.StatusCode)
		}
		if r := b.Get("/readyz"); r.StatusCode != 503 || r.Body != "not ready: session store unavailable\n" {
			t.Errorf("/readyz with Redis frozen: %d %q", r.StatusCode, r.Body)
		}
		rs.Resume()
		waitUntil(t, "Redis thawed: /api/me answers 200", func() bool { return b.API("/api/me").StatusCode == 200 })
		if r := b.Get("/readyz"); r.StatusCode != 200 || r.Body != "ok" {
			t.Errorf("/readyz with Redis thawed: %d %q", r.StatusCode, r.Body)
		}
		if r := b.API("/api/me"); r.StatusCode != 200 {
			t.Errorf("Redis back: /api/me %d: the login was lost", r.StatusCode)
		}

		rs.Stop()
		waitUntil(t, "Redis down: /api/me answers 503", func() bool { return b.API("/api/me").StatusCode == 503 })
		if !p.alive() {
			t.Fatal("the example died with Redis")
		}
		if r := b.Get("/readyz"); r.StatusCode != 503 || strings.Contains(r.Body, rs.Addr()) {
			t.Errorf("/readyz with Redis down: %d %q", r.StatusCode, r.Body)
		}
		if r := b.Get("/healthz"); r.StatusCode != 200 {
			t.Errorf("/healthz with Redis down: %d", r.StatusCode)
		}
		rs.Restart() // empty: persistence is off, so the sessions are gone
		waitUntil(t, "Redis restarted: the old session is gone (never served from a cache)", func() bool {
			r := b.API("/api/me")
			if r.StatusCode == 200 {
				t.Fatalf("Redis restarted empty, /api/me served the old session: %s", r.Body)
			}
			return r.StatusCode == 401
		})
		c := browsertest.New(t, p.base)
		c.Get(login(t, wx, c, "", "u2"))
		if r := c.API("/api/me"); r.StatusCode != 200 {
			t.Errorf("Redis restarted, a new login: %d %s", r.StatusCode, r.Body)
		}
	})
}

// waitUntil polls f until it is true; a bound against hanging, not a
// measure of speed.
func waitUntil(t *testing.T, what string, f func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !f(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
	}
}

// WeChat redirecting twice (same state, another code) and a load
// balancer sending the two callbacks to two instances at once: each code
// exchanged once (the second only to prove the same user), and both
// answer the 302 to next with the cookie of one logged-in session.
func TestContractRedisDoubleCallback(t *testing.T) {
	each(t, func(t *testing.T, name string) {
		redisURL := redisURL(t)
		wx := weixintest.NewServer()
		defer wx.Close()
		env := append(wechatEnv(wx, false), "SESSION_REDIS_URL="+redisURL)
		a := start(t, name, env...)
		b := start(t, name, env...)
		for trial := range 5 {
			u := browsertest.New(t, a.base)
			loc := u.Get("/auth/weixin/login?next=%2Fdone").Header.Get("Location")
			cb, err := wx.Authorize(loc, "u1")
			if err != nil {
				t.Fatal(err)
			}
			second := *cb
			q := second.Query()
			q.Set("code", wx.NewCode(weixintest.DefaultAppID, "u1", "snsapi_login"))
			second.RawQuery = q.Encode()
			second.Host = strings.TrimPrefix(b.base, "http://")
			// WeChat's round trip, so that both callbacks are in flight
			// together, as with the real one.
			wx.InjectFault(weixintest.PathAccessToken, weixintest.Fault{Delay: 30 * time.Millisecond, Times: 1})
			before := wx.Calls(weixintest.PathAccessToken)
			var wg sync.WaitGroup
			answers := make([]browsertest.Response, 2)
			for i, target := range []string{cb.String(), second.String()} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					answers[i] = u.Get(target)
				}()
			}
			wg.Wait()
			if n := wx.Calls(weixintest.PathAccessToken) - before; n != 2 {
				t.Errorf("trial %d: %d code exchanges, want 2 (one per code)", trial, n)
			}
			if c0, c1 := answers[0].Header.Get("Set-Cookie"), answers[1].Header.Get("Set-Cookie"); c0 != c1 {
				t.Errorf("trial %d: two sessions:\n%s\n%s", trial, c0, c1)
			}
			for i, r := range answers {
				if r.StatusCode != 302 || r.Header.Get("Location") != "/done" {
					t.Fatalf("trial %d, callback %d: %d %q %s", trial, i, r.StatusCode, r.Header.Get("Location"), r.Body)
				}
			}
			for _, base := range []string{a.base, b.base} {
				if r := u.API(base + "/api/me"); r.StatusCode != 200 {
					t.Errorf("trial %d: after the double callback, /api/me on %s: %d", trial, base, r.StatusCode)
				}
			}
		}
	})
}
