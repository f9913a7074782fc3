package conformance

import (
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
)

// TestUnreadableSession: session data that cannot be decoded (cut
// short, or written by another version of the app) counts as no session
// in every adapter: 401 instead of 503, and the browser logs in again.
func TestUnreadableSession(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		b := e.browser()
		b.login("u1", "")
		store := e.auth.Sessions().Store
		token := b.SessionCookie()
		data, ok, err := store.Find(token)
		if err != nil || !ok {
			t.Fatalf("find: %v %v", ok, err)
		}
		if err := store.Commit(token, data[:len(data)-1], time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, status := b.me(); status != http.StatusUnauthorized {
			t.Fatalf("/api/me with a corrupt session: %d, want 401", status)
		}
		if r := b.login("u2", ""); r.StatusCode != http.StatusFound {
			t.Fatalf("login after a corrupt session: %d %s", r.StatusCode, r.Body)
		}
		if u, status := b.me(); status != http.StatusOK || u.OpenID == "" {
			t.Errorf("after logging in again: %d %+v", status, u)
		}
	})
}

// flakyStore fails on demand, as Redis does when it goes away.
type flakyStore struct {
	scs.Store
	failFind, failCommit atomic.Bool
}

var errStoreDown = errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")

func (s *flakyStore) Find(token string) ([]byte, bool, error) {
	if s.failFind.Load() {
		return nil, false, errStoreDown
	}
	return s.Store.Find(token)
}

func (s *flakyStore) Commit(token string, b []byte, expiry time.Time) error {
	if s.failCommit.Load() {
		return errStoreDown
	}
	return s.Store.Commit(token, b, expiry)
}

// TestSessionStoreFailure: a store that fails on load or on commit gets
// the same 503 page from every adapter, never a login shown as
// successful without its session, and service comes back with the store.
func TestSessionStoreFailure(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		store := &flakyStore{Store: e.auth.Sessions().Store}
		e.auth.Sessions().Store = store
		b := e.browser()
		b.login("u1", "")

		store.failFind.Store(true)
		r := b.Get("/me")
		if r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(r.Body, "Temporarily unavailable") {
			t.Errorf("load failure: %d %.80q", r.StatusCode, r.Body)
		}
		checkSecurityHeaders(t, "load failure", r)
		store.failFind.Store(false)
		if _, status := b.me(); status != http.StatusOK {
			t.Errorf("after the store came back: %d", status)
		}

		// A login whose session cannot be saved is not a login.
		other := e.browser()
		loc := other.startLogin("/me")
		cb, err := e.wx.Authorize(loc, "u2")
		if err != nil {
			t.Fatal(err)
		}
		store.failCommit.Store(true)
		r = other.Get(cb.String())
		store.failCommit.Store(false)
		if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Location") != "" {
			t.Errorf("commit failure on the callback: %d, Location %q", r.StatusCode, r.Header.Get("Location"))
		}
		if strings.Contains(strings.Join(r.Header.Values("Set-Cookie"), ";"), "session=") {
			t.Errorf("commit failure set a cookie: %q", r.Header.Values("Set-Cookie"))
		}
		if _, status := other.me(); status != http.StatusUnauthorized {
			t.Errorf("after a failed callback /api/me answers %d, want 401", status)
		}
	})
}

// TestAuthenticatedResponsesAreNotStored: what RequireWeixinUser lets
// through carries Cache-Control: no-store unless the handler sets its own.
func TestAuthenticatedResponsesAreNotStored(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		b := e.browser()
		b.login("u1", "")
		for _, path := range []string{"/me", "/api/me"} {
			if got := b.Get(path).Header.Values("Cache-Control"); len(got) != 1 || got[0] != "no-store" {
				t.Errorf("%s: Cache-Control %q", path, got)
			}
		}
		if got := b.Get("/api/cacheable").Header.Values("Cache-Control"); len(got) != 1 || got[0] != "private, max-age=60" {
			t.Errorf("a handler's own Cache-Control: %q", got)
		}
	})
}
