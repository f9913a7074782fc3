package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/core"

	"github.com/wxlogin/wxlogin/internal/storetest"

	"github.com/wxlogin/wxlogin/internal/redistest"
)

// open returns a Store on url for the test. Its cache entries live an
// hour unless invalidated, so that a test seeing a change can only have
// seen it through Redis' invalidation.
func open(t *testing.T, url string) *Store {
	t.Helper()
	s, err := Open(url, Options{CacheTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// cached reports whether token's session is in s' cache.
func cached(s *Store, token string) bool {
	r := s.client.DoCache(context.Background(), s.client.B().Get().Key(s.key(token)).Cache(), time.Hour)
	return r.Error() == nil && r.IsCacheHit()
}

func mustFind(t *testing.T, s *Store, token string) (string, bool) {
	t.Helper()
	b, ok, err := s.Find(token)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), ok
}

// eventually polls f until it is true; a bound against hanging, not a
// measure of speed.
func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !f(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
	}
}

func TestFindCommitDelete(t *testing.T) {
	r := redistest.Start(t)
	s := open(t, r.URL())
	exp := time.Now().Add(time.Hour)

	if _, ok := mustFind(t, s, "t1"); ok {
		t.Fatal("found a session never committed")
	}
	if err := s.Commit("t1", []byte("v1"), exp); err != nil {
		t.Fatal(err)
	}
	if v, ok := mustFind(t, s, "t1"); !ok || v != "v1" {
		t.Fatalf("Find after Commit: %q %v", v, ok)
	}
	if !cached(s, "t1") {
		t.Error("a session just read is not cached")
	}
	if err := s.Commit("t1", []byte("v2"), exp); err != nil {
		t.Fatal(err)
	}
	if v, _ := mustFind(t, s, "t1"); v != "v2" {
		t.Fatalf("Find right after this instance's Commit: %q", v)
	}
	// Read-your-writes, every time: Commit returns once the cache has
	// dropped the old value.
	for i := range 300 {
		want := fmt.Sprint("w", i)
		if err := s.Commit("t1", []byte(want), exp); err != nil {
			t.Fatal(err)
		}
		if v, _ := mustFind(t, s, "t1"); v != want {
			t.Fatalf("write %d: Find right after Commit: %q", i, v)
		}
	}
	// Redis forgot the script (a restart, SCRIPT FLUSH): EVAL again.
	if err := s.client.Do(context.Background(), s.client.B().ScriptFlush().Build()).Error(); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit("t1", []byte("v2"), exp); err != nil {
		t.Fatal(err)
	}
	if v, _ := mustFind(t, s, "t1"); v != "v2" {
		t.Fatalf("Commit after SCRIPT FLUSH: %q", v)
	}

	ttl := pttl(t, s, "t1")
	if err := s.Delete("t1"); err != nil {
		t.Fatal(err)
	}
	if _, ok := mustFind(t, s, "t1"); ok {
		t.Fatal("found right after Delete")
	}
	if got := get(t, s, "t1"); got != Tombstone {
		t.Errorf("deleted key holds %q, want the tombstone", got)
	}
	if after := pttl(t, s, "t1"); after < max(ttl, core.MinTombstoneLifetime)-time.Minute {
		t.Errorf("tombstone TTL %v, want the session's remaining %v and at least %v", after, ttl, core.MinTombstoneLifetime)
	}
	if err := s.Commit("t1", []byte("v3"), exp); err != nil {
		t.Errorf("Commit of a deleted session: %v, want nil", err)
	}
	if got := get(t, s, "t1"); got != Tombstone {
		t.Errorf("Commit after Delete wrote %q", got)
	}
	if _, ok := mustFind(t, s, "t1"); ok {
		t.Error("a deleted session was found again")
	}

	if err := s.Delete("never"); err != nil {
		t.Fatal(err)
	}
	if n, err := s.client.Do(context.Background(), s.client.B().Exists().Key(s.key("never")).Build()).AsInt64(); err != nil || n != 0 {
		t.Errorf("Delete of a missing session created a key: %d %v", n, err)
	}
	if err := s.Commit("never", []byte("fresh"), exp); err != nil {
		t.Fatal(err)
	}
	if v, ok := mustFind(t, s, "never"); !ok || v != "fresh" {
		t.Errorf("a token deleted before it existed is usable: %q %v", v, ok)
	}
	if err := s.Commit("x", []byte(Tombstone), exp); !errors.Is(err, ErrTombstone) {
		t.Errorf("committing the tombstone: %v", err)
	}
	if err := s.Commit("past", []byte("v"), time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "an expired session is not found", func() bool { _, ok := mustFind(t, s, "past"); return !ok })
}

func get(t *testing.T, s *Store, token string) string {
	t.Helper()
	v, err := s.client.Do(context.Background(), s.client.B().Get().Key(s.key(token)).Build()).ToString()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func pttl(t *testing.T, s *Store, token string) time.Duration {
	t.Helper()
	ms, err := s.client.Do(context.Background(), s.client.B().Pttl().Key(s.key(token)).Build()).AsInt64()
	if err != nil {
		t.Fatal(err)
	}
	return time.Duration(ms) * time.Millisecond
}

// A Delete racing many Commits of the same token, from two instances:
// once Delete has returned, no Commit brings the session back, whatever
// the order the others land in.
func TestDeleteIsFinal(t *testing.T) {
	r := redistest.Start(t)
	a, b := open(t, r.URL()), open(t, r.URL())
	exp := time.Now().Add(time.Hour)
	for trial := range 50 {
		token := fmt.Sprint("race", trial)
		if err := a.Commit(token, []byte("logged in"), exp); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		deleted := make(chan struct{})
		var resurrected sync.Once
		for w := range 16 {
			s := []*Store{a, b}[w%2]
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 20 {
					if i == 10 && w == 0 {
						if err := s.Delete(token); err != nil {
							t.Error(err)
						}
						close(deleted)
					}
					if err := s.Commit(token, []byte(fmt.Sprint("stale write ", w, i)), exp); err != nil {
						t.Error(err)
					}
					select {
					case <-deleted:
						if v := get(t, s, token); v != Tombstone {
							resurrected.Do(func() { t.Errorf("trial %d: after Delete the key holds %q", trial, v) })
						}
					default:
					}
				}
			}()
		}
		wg.Wait()
		for _, s := range []*Store{a, b} {
			if v, ok := mustFind(t, s, token); ok {
				t.Fatalf("trial %d: deleted session found: %q", trial, v)
			}
		}
	}
}

// A change or a deletion on one instance reaches the cache of another
// through Redis' invalidation: the entries live an hour, so nothing else
// could drop them.
func TestInvalidationAcrossInstances(t *testing.T) {
	r := redistest.Start(t)
	a, b := open(t, r.URL()), open(t, r.URL())
	exp := time.Now().Add(time.Hour)
	if err := a.Commit("s", []byte("v1"), exp); err != nil {
		t.Fatal(err)
	}
	if v, _ := mustFind(t, b, "s"); v != "v1" {
		t.Fatalf("B: %q", v)
	}
	if !cached(b, "s") {
		t.Fatal("B did not cache the session")
	}
	if err := a.Commit("s", []byte("v2"), exp); err != nil {
		t.Fatal(err)
	}
	eventually(t, "B sees A's change", func() bool { v, _ := mustFind(t, b, "s"); return v == "v2" })
	if err := a.Delete("s"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "B sees A's deletion", func() bool { _, ok := mustFind(t, b, "s"); return !ok })
}

// An instance cut off from Redis answers errors once it notices (a hung
// connection) or at once (a closed one), and after reconnecting never
// serves what was deleted or changed meanwhile: rueidis drops a
// connection's cache with the connection.
func TestOutageDropsTheCache(t *testing.T) {
	r := redistest.Start(t)
	p := newProxy(t, r.Addr())
	a, b := open(t, p.url()), open(t, r.URL())
	exp := time.Now().Add(time.Hour)
	for i, mode := range []string{"frozen network", "closed connections"} {
		del, chg := fmt.Sprint("del", i), fmt.Sprint("chg", i)
		for _, tok := range []string{del, chg} {
			if err := b.Commit(tok, []byte("before"), exp); err != nil {
				t.Fatal(err)
			}
			if v, _ := mustFind(t, a, tok); v != "before" {
				t.Fatalf("%s: A reads %s: %q", mode, tok, v)
			}
			// After the previous outage, A caches again once Redis
			// answered a heartbeat.
			eventually(t, mode+": A caches "+tok, func() bool { mustFind(t, a, tok); return cached(a, tok) })
		}
		if mode == "frozen network" {
			p.freeze()
		} else {
			p.down()
		}
		// Until A notices (at once for a closed connection, within
		// KeepAlive + Timeout for a hung one) it may answer from its
		// cache; from then on, errors.
		eventually(t, mode+": A answers an error", func() bool { _, _, err := a.Find(del); return err != nil })
		if err := b.Delete(del); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(chg, []byte("after"), exp); err != nil {
			t.Fatal(err)
		}
		p.restore()
		eventually(t, mode+": A reconnects", func() bool { _, _, err := a.Find(del); return err == nil })
		if v, ok := mustFind(t, a, del); ok {
			t.Errorf("%s: A serves a session deleted during the outage: %q", mode, v)
		}
		if v, _ := mustFind(t, a, chg); v != "after" {
			t.Errorf("%s: A serves %q, changed during the outage to %q", mode, v, "after")
		}
	}

	// Redis itself stopped, then restarted empty.
	if v, _ := mustFind(t, a, "chg0"); v != "after" {
		t.Fatal(v)
	}
	r.Stop()
	eventually(t, "Redis stopped: A answers an error", func() bool { _, _, err := a.Find("chg0"); return err != nil })
	if err := a.Commit("x", []byte("v"), exp); err == nil {
		t.Error("Commit with Redis stopped: no error")
	}
	r.Restart()
	eventually(t, "Redis restarted: A reconnects", func() bool { _, _, err := a.Find("chg0"); return err == nil })
	if v, ok := mustFind(t, a, "chg0"); ok {
		t.Errorf("Redis restarted empty, A serves %q", v)
	}
}

// A frozen Redis: calls end with an error within the store's bounds
// instead of hanging, and service resumes when it thaws.
func TestFrozenRedis(t *testing.T) {
	r := redistest.Start(t)
	s, err := Open(r.URL(), Options{CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	exp := time.Now().Add(time.Hour)
	if err := s.Commit("f", []byte("v"), exp); err != nil {
		t.Fatal(err)
	}
	r.Pause()
	done := make(chan error, 1)
	go func() { _, _, err := s.Find("f"); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Find on a frozen Redis without cache: no error")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Find on a frozen Redis hangs")
	}
	r.Resume()
	eventually(t, "Redis thawed: Find works", func() bool { v, ok, err := s.Find("f"); return err == nil && ok && string(v) == "v" })
}

func TestOpenErrorsHideTheURL(t *testing.T) {
	for _, raw := range []string{
		"redis://user:s3cr%zzet@host:6379/0", // invalid escape in the password
		"redis://user:s3cret@host:6379/0/1",  // bad path
		"redis://user:s3cret@host:6379/abc",  // bad db
		"redis://user:s3cret@host:6379/0?dial_timeout=s3cret",
		"http://user:s3cret@host/",
		"redis://user:s3cret@ho st:6379",
		"::s3cret",
	} {
		_, err := Open(raw, Options{})
		if !errors.Is(err, ErrURL) {
			t.Errorf("%q: %v, want ErrURL", raw, err)
			continue
		}
		if strings.Contains(err.Error(), "s3cr") {
			t.Errorf("%q: the error shows the password: %v", raw, err)
		}
	}
	// Nothing listens there: a connection error, without the password.
	_, err := Open("redis://user:s3cret@"+redistest.FreeAddr(t)+"/0", Options{Timeout: 200 * time.Millisecond})
	if err == nil || errors.Is(err, ErrURL) || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("unreachable Redis: %v", err)
	}
}

// Sessions scs' goredisstore wrote (same prefix, raw value) are read.
func TestReadsGoredisstoreSessions(t *testing.T) {
	r := redistest.Start(t)
	s := open(t, r.URL())
	c := s.client
	if err := c.Do(context.Background(), c.B().Set().Key("scs:session:old").Value("gob bytes").Px(time.Hour).Build()).Error(); err != nil {
		t.Fatal(err)
	}
	if v, ok := mustFind(t, s, "old"); !ok || v != "gob bytes" {
		t.Errorf("%q %v", v, ok)
	}
}

// Find of a session in the cache, and (plain) with the cache off, read
// from Redis each time: compare the two within one run.
func BenchmarkFind(b *testing.B) {
	r := redistest.Start(b)
	for _, c := range []struct {
		name string
		size int
	}{{"cached", 0}, {"plain", -1}} {
		b.Run(c.name, func(b *testing.B) {
			s, err := Open(r.URL(), Options{CacheSize: c.size})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if err := s.Commit("bench", make([]byte, 600), time.Now().Add(time.Hour)); err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, ok, err := s.FindCtx(ctx, "bench"); !ok || err != nil {
						b.Fatal(ok, err)
					}
				}
			})
		})
	}
}

// The contract every wxlogin store keeps (internal/storetest), the one
// core/memstore is tested against too.
func TestKeepsDeletesFinal(t *testing.T) {
	r := redistest.Start(t)
	storetest.FinalDeletes(t, open(t, r.URL()))
}

// Random session cookies (misses) leave nothing in Redis' tracking
// table, and the cache still works: a hit, then an invalidation.
func TestMissesAreNotTracked(t *testing.T) {
	r := redistest.Start(t)
	s := open(t, r.URL())
	eventually(t, "the cache is on", s.cacheFresh)
	for i := range 300 {
		if _, found, err := s.Find(fmt.Sprint("random-cookie-", i)); err != nil || found {
			t.Fatalf("find: %v %v", found, err)
		}
	}
	info, err := s.client.Do(context.Background(), s.client.B().Info().Section("stats").Build()).ToString()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(info, "tracking_total_keys:0\r\n") {
		t.Errorf("Redis tracks keys for the misses:\n%s", firstLineWith(info, "tracking_total_keys"))
	}
	other := open(t, r.URL())
	exp := time.Now().Add(time.Hour)
	if err := s.Commit("real", []byte("v1"), exp); err != nil {
		t.Fatal(err)
	}
	mustFind(t, s, "real")
	eventually(t, "cached", func() bool { return cached(s, "real") })
	if err := other.Commit("real", []byte("v2"), exp); err != nil {
		t.Fatal(err)
	}
	eventually(t, "another instance's write reaches this cache", func() bool { v, _ := mustFind(t, s, "real"); return v == "v2" })
}

func firstLineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}
