package redisstore

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/internal/redistest"
	"github.com/wxlogin/wxlogin/weixintest"
)

// TestAnonymousCost prints what 10 000 anonymous login begins (each with
// a 1 KB next, no cookie) leave in Redis: keys, bytes and how long they
// last. They live as long as the login may take (core.DefaultStateLifetime),
// not the session manager's 30 days.
func TestAnonymousCost(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: measurement")
	}
	rs := redistest.Start(t)
	wx := weixintest.NewServer()
	defer wx.Close()
	in := newInstance(t, rs.URL(), wx)
	in.sm.Lifetime = 30 * 24 * time.Hour
	next := "/" + strings.Repeat("a", 1023)
	const n = 10000
	for range n {
		in.request(t, "", func(ctx context.Context) {
			if _, err := in.auth.BeginLogin(ctx, core.LoginRequest{ReturnTo: next}); err != nil {
				t.Fatal(err)
			}
		})
	}
	client := in.sm.Store.(*Store).Client()
	ctx := context.Background()
	keys, err := client.Do(ctx, client.B().Dbsize().Build()).AsInt64()
	if err != nil {
		t.Fatal(err)
	}
	info, _ := client.Do(ctx, client.B().Info().Section("memory").Build()).ToString()
	var used int64
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			used, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	key, _ := client.Do(ctx, client.B().Randomkey().Build()).ToString()
	ttl, _ := client.Do(ctx, client.B().Pttl().Key(key).Build()).AsInt64()
	t.Logf("%d anonymous login begins: %d Redis keys, %.1f MB used by Redis, a key's TTL %v (the manager's lifetime is %v)",
		n, keys, float64(used)/1e6, time.Duration(ttl)*time.Millisecond, in.sm.Lifetime)
	if keys != n {
		t.Errorf("%d keys, want %d", keys, n)
	}
	if ttl <= 0 || time.Duration(ttl)*time.Millisecond > core.DefaultStateLifetime {
		t.Errorf("an anonymous session's TTL is %d ms", ttl)
	}
}
