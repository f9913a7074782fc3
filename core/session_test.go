package core_test

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/memstore"
)

func (b *browser) deadline() time.Time {
	return b.e.sm.Deadline(b.load())
}

// An anonymous visitor's session lives as long as its pending login, not
// the manager's lifetime; the completed login gets the full lifetime.
func TestAnonymousSessionIsShortLived(t *testing.T) {
	e := newEnv(t, func(o *core.Options) { o.Sessions.Lifetime = 30 * 24 * time.Hour })
	b := e.browser()
	start := b.begin(core.LoginRequest{})
	if left := time.Until(b.deadline()); left > core.DefaultStateLifetime || left < core.DefaultStateLifetime-time.Minute {
		t.Errorf("anonymous session lives %v, want about %v", left, core.DefaultStateLifetime)
	}
	if _, err := b.callback(e.approve(start, "u1")); err != nil {
		t.Fatal(err)
	}
	if left := time.Until(b.deadline()); left < 29*24*time.Hour {
		t.Errorf("logged-in session lives %v, want 30 days", left)
	}
	// A new login begun while logged in does not shorten the session.
	b.begin(core.LoginRequest{})
	if left := time.Until(b.deadline()); left < 29*24*time.Hour {
		t.Errorf("logged-in session after a new login begin lives %v", left)
	}
}

// The app's own data keeps the full lifetime, whether it was there
// before the login began or came after.
func TestAnonymousSessionWithAppDataKeepsItsLifetime(t *testing.T) {
	e := newEnv(t, func(o *core.Options) { o.Sessions.Lifetime = 30 * 24 * time.Hour })
	before := e.browser()
	before.do(func(ctx context.Context) { e.sm.Put(ctx, "cart", "apple") })
	before.begin(core.LoginRequest{})
	if left := time.Until(before.deadline()); left < 29*24*time.Hour {
		t.Errorf("session with a cart lives %v after a login begin", left)
	}

	after := e.browser()
	after.begin(core.LoginRequest{})
	ctx := after.load()
	e.sm.Put(ctx, "cart", "pear")
	if _, err := e.auth.Adapter().SaveSession(ctx); err != nil { // as the adapters' Sessions middleware does
		t.Fatal(err)
	}
	if left := time.Until(after.deadline()); left < 29*24*time.Hour {
		t.Errorf("session that got a cart after a login begin lives %v", left)
	}
	if got := e.sm.GetString(after.load(), "cart"); got != "pear" {
		t.Errorf("cart %q", got)
	}
}

// TestAnonymousCost prints what 10 000 anonymous login begins (each with
// a 1 KB next, no cookie) leave in the memory store and for how long.
func TestAnonymousCost(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement")
	}
	e := newEnv(t, func(o *core.Options) { o.Sessions.Lifetime = 30 * 24 * time.Hour })
	store := e.sm.Store.(*memstore.Store)
	next := "/" + strings.Repeat("a", 1023)
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	const n = 10000
	var last time.Time
	for range n {
		b := e.browser()
		b.begin(core.LoginRequest{ReturnTo: next})
		if n == store.Len() {
			last = b.deadline()
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	if store.Len() != n {
		t.Fatalf("%d sessions stored, want %d", store.Len(), n)
	}
	ttl := time.Until(last).Round(time.Second)
	t.Logf("%d anonymous login begins: %d sessions, %.1f MB of heap, each kept %v (the manager's lifetime is %v)",
		n, store.Len(), float64(m1.HeapAlloc-m0.HeapAlloc)/1e6, ttl, e.sm.Lifetime)
	if ttl > core.DefaultStateLifetime {
		t.Errorf("anonymous sessions kept %v", ttl)
	}
}

// damage rewrites the stored data of token with f.
func damage(t *testing.T, e *env, token string, f func([]byte) []byte) {
	t.Helper()
	b, ok, err := e.sm.Store.Find(token)
	if err != nil || !ok {
		t.Fatalf("find: %v %v", ok, err)
	}
	if err := e.sm.Store.Commit(token, f(append([]byte(nil), b...)), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
}

// Session data that cannot be decoded counts as no session for the
// request: the browser can log in again, and one warning is logged per
// request. Data another version of the app may read (an unknown gob
// type, a later format) is left alone, so that one request to an old
// instance during a rolling deploy logs nobody out; data corrupt for
// everyone is deleted.
func TestUnreadableSessionIsNoSession(t *testing.T) {
	for name, c := range map[string]struct {
		f       func([]byte) []byte
		deleted bool
	}{
		"cut short":                {func(b []byte) []byte { return b[:len(b)-1] }, true},
		"garbage":                  {func([]byte) []byte { return []byte("\x00\x01not a session") }, true},
		"header only":              {func(b []byte) []byte { return b[:4] }, true},
		"unknown gob type":         {func([]byte) []byte { return gobWithUnknownType(t) }, false},
		"unknown type in a value":  {func([]byte) []byte { return codecWithUnknownType(t) }, false},
		"a later format's version": {func(b []byte) []byte { return append([]byte("wxs\x02"), b[4:]...) }, false},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			b := e.browser()
			b.login("u1")
			token := b.token
			damage(t, e, token, c.f)
			stored, _, _ := e.sm.Store.Find(token)
			stored = append([]byte(nil), stored...)
			ctx, err := e.auth.Adapter().LoadSession(context.Background(), token)
			if err != nil {
				t.Fatalf("LoadSession: %v (want a fresh session)", err)
			}
			if _, ok := e.auth.CurrentUser(ctx); ok {
				t.Fatal("an unreadable session is logged in")
			}
			if n := strings.Count(e.logs.String(), "level=WARN"); n != 1 {
				t.Errorf("%d warnings, want 1:\n%s", n, e.logs)
			}
			after, found, _ := e.sm.Store.Find(token)
			switch {
			case c.deleted && found:
				t.Error("the corrupt data is still stored")
			case !c.deleted && !bytes.Equal(after, stored):
				t.Errorf("data another version can read was not left alone: found %v", found)
			}
			// The next request with the same cookie is anonymous too.
			if _, err := e.auth.Adapter().LoadSession(context.Background(), token); err != nil {
				t.Fatal(err)
			}
			want := 1
			if !c.deleted {
				want = 2
			}
			if n := strings.Count(e.logs.String(), "level=WARN"); n != want {
				t.Errorf("%d warnings after a second request, want %d", n, want)
			}
			b.token = ""
			b.login("u2")
			if u, ok := b.user(); !ok || u.OpenID == "" {
				t.Error("cannot log in again")
			}
		})
	}
}

// codecWithUnknownType returns a SessionCodec session holding a value of
// a gob type this program does not know.
func codecWithUnknownType(t *testing.T) []byte {
	t.Helper()
	b, err := core.SessionCodec{}.Encode(time.Now().Add(time.Hour), map[string]any{"cart": cartV1{Items: 2}})
	if err != nil {
		t.Fatal(err)
	}
	renamed := bytes.Replace(b, []byte("wxlogin.test.CartV1"), []byte("wxlogin.test.CartV2"), 1)
	if bytes.Equal(renamed, b) {
		t.Fatal("type name not found in the session")
	}
	return renamed
}

// gobWithUnknownType returns a gob session holding a type this program
// does not know, as another version of the app writes during a rolling
// deploy: a registered type's name is renamed in the stream.
func gobWithUnknownType(t *testing.T) []byte {
	t.Helper()
	b, err := scs.GobCodec{}.Encode(time.Now().Add(time.Hour), map[string]any{"cart": cartV1{Items: 2}})
	if err != nil {
		t.Fatal(err)
	}
	renamed := bytes.Replace(b, []byte("wxlogin.test.CartV1"), []byte("wxlogin.test.CartV2"), 1)
	if bytes.Equal(renamed, b) {
		t.Fatal("type name not found in the gob stream")
	}
	return renamed
}

type cartV1 struct{ Items int }

func init() { gob.RegisterName("wxlogin.test.CartV1", cartV1{}) }

func TestLoadSessionStoreFailureIs503(t *testing.T) {
	e := newEnv(t)
	e.sm.Store = failingStore{}
	_, err := e.auth.Adapter().LoadSession(context.Background(), "sometoken")
	if !errors.Is(err, core.ErrSessionStore) || core.Classify(err).Status != 503 {
		t.Fatalf("err %v, status %d", err, core.Classify(err).Status)
	}
}

type failingStore struct{}

func (failingStore) Find(string) ([]byte, bool, error) {
	return nil, false, fmt.Errorf("dial tcp: refused")
}
func (failingStore) Commit(string, []byte, time.Time) error {
	return fmt.Errorf("dial tcp: refused")
}
func (failingStore) Delete(string) error { return fmt.Errorf("dial tcp: refused") }
