package examples

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/wxlogin/wxlogin/weixintest"
)

// redisURL returns the URL of a Redis for the test: WXLOGIN_TEST_REDIS_URL
// when set, else a redis-server (Debian's package) started on a free
// loopback port with persistence off. Without one the test skips, except
// in CI (CI=true), where a missing Redis fails.
func redisURL(t *testing.T) string {
	if u := os.Getenv("WXLOGIN_TEST_REDIS_URL"); u != "" {
		return u
	}
	exe, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("no redis-server on this machine: CI must install it (apt-get install -y redis-server)")
		}
		t.Skip("Redis test skipped: no redis-server (on Debian: apt-get install redis-server), and WXLOGIN_TEST_REDIS_URL is not set")
	}
	addr := freeAddr(t)
	host, port, _ := strings.Cut(addr, ":")
	cmd := exec.Command(exe, "--bind", host, "--port", port, "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	log := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url := "redis://" + addr + "/0"
	opts, _ := redis.ParseURL(url)
	client := redis.NewClient(opts)
	defer client.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if client.Ping(context.Background()).Err() == nil {
			return url
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not start:\n%s", log)
		}
	}
}

// Two instances of an example share sessions in Redis: a login done on
// one is a login on the other, a login begun on one completes on the
// other, a refresh done by one is what the other uses, and a logout on
// one ends the login on both.
func TestContractRedisSessions(t *testing.T) {
	each(t, func(t *testing.T, name string) {
		redisURL := redisURL(t)
		wx := weixintest.NewServer()
		defer wx.Close()
		env := append(wechatEnv(wx, false), "SESSION_REDIS_URL="+redisURL)
		a := start(t, name, env...)
		b := start(t, name, env...)

		// The cookie jar ignores ports, so one browser talks to both.
		u := newBrowser(t, a.base)
		u.get(login(t, wx, u, "", "u1"))
		if r := u.api(b.base + "/api/me"); r.StatusCode != 200 || !strings.Contains(r.body, "张三") {
			t.Fatalf("logged in on A, /api/me on B: %d %s", r.StatusCode, r.body)
		}

		v := newBrowser(t, a.base)
		loc := v.get(a.base + "/auth/weixin/login").Header.Get("Location")
		cb, err := wx.Authorize(loc, "u2")
		if err != nil {
			t.Fatal(err)
		}
		cb.Host = strings.TrimPrefix(b.base, "http://") // WeChat sends the browser to B
		if r := v.get(cb.String()); r.StatusCode != 302 || r.Header.Get("Location") != "/me" {
			t.Fatalf("login begun on A, completed on B: %d %s", r.StatusCode, r.body)
		}
		if r := v.api(a.base + "/api/me"); r.StatusCode != 200 || !strings.Contains(r.body, "Lily") {
			t.Errorf("completed on B, /api/me on A: %d %s", r.StatusCode, r.body)
		}

		// A token that both instances consider expired 6 s after login.
		wx.SetAccessTokenTTL(2*time.Minute + 6*time.Second)
		w := newBrowser(t, a.base)
		w.get(login(t, wx, w, "", "u3"))
		time.Sleep(6500 * time.Millisecond)
		if r := w.api(b.base + "/api/userinfo"); r.StatusCode != 200 {
			t.Fatalf("/api/userinfo on B: %d %s", r.StatusCode, r.body)
		}
		if r := w.api(a.base + "/api/userinfo"); r.StatusCode != 200 {
			t.Fatalf("/api/userinfo on A: %d %s", r.StatusCode, r.body)
		}
		if n := wx.Calls(weixintest.PathRefreshToken); n != 1 {
			t.Errorf("%d refreshes: A did not use the token B refreshed", n)
		}

		if r := w.do("POST", b.base+"/auth/weixin/logout", htmlAccept); r.StatusCode != 302 {
			t.Fatalf("logout on B: %d", r.StatusCode)
		}
		if r := w.api(a.base + "/api/me"); r.StatusCode != 401 {
			t.Errorf("logged out on B, /api/me on A: %d", r.StatusCode)
		}
	})
}
