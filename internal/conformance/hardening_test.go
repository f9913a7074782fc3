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
		store := e.sm.Store
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
		store := &flakyStore{Store: e.sm.Store}
		e.sm.Store = store
		b := e.browser()
		b.login("u1", "")

		store.failFind.Store(true)
		r := b.Get("/me")
		if r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(r.Body, "暂时无法使用") { // no Accept-Language: zh-CN
			t.Errorf("load failure: %d %.80q", r.StatusCode, r.Body)
		}
		checkSecurityHeaders(t, "load failure", r)
		b.AcceptLanguage = "en-US,en;q=0.9"
		if r := b.Get("/me"); r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(r.Body, "Temporarily unavailable") ||
			!strings.Contains(r.Body, `<html lang="en">`) {
			t.Errorf("load failure, in English: %d %.80q", r.StatusCode, r.Body)
		}
		b.AcceptLanguage = ""
		store.failFind.Store(false)
		if _, status := b.me(); status != http.StatusOK {
			t.Errorf("after the store came back: %d", status)
		}

		// A login whose session cannot be saved is not a login.
		other := e.browser()
		other.AcceptLanguage = "en"
		loc := other.startLogin("/me")
		cb, err := e.wx.Authorize(loc, "u2")
		if err != nil {
			t.Fatal(err)
		}
		store.failCommit.Store(true)
		r = other.Get(cb.String())
		store.failCommit.Store(false)
		if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Location") != "" ||
			!strings.Contains(r.Body, `<html lang="en">`) || !strings.Contains(r.Body, "Temporarily unavailable") {
			t.Errorf("commit failure on the callback: %d, Location %q\n%s", r.StatusCode, r.Header.Get("Location"), r.Body)
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

// TestLanguages: every adapter gives core the request's Accept-Language
// and User-Agent, so the pages are in the visitor's language.
func TestLanguages(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		for _, tt := range []struct{ acceptLanguage, ua, lang, words string }{
			{"zh-CN,zh;q=0.9", "", "zh-CN", "不支持的请求方式"},
			{"en", "", "en", "Method not allowed"},
			{"zh;q=0.1, en-GB;q=0.7", "", "en", "Method not allowed"},
			{"", wechatUA, "zh-CN", "不支持的请求方式"},
			{"xx", "", "zh-CN", "不支持的请求方式"},
		} {
			b := e.browser()
			b.AcceptLanguage, b.UA = tt.acceptLanguage, tt.ua
			r := b.Get("/auth/weixin/logout")
			if r.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(r.Body, `<html lang="`+tt.lang+`">`) ||
				!strings.Contains(r.Body, tt.words) || r.Header.Get("Content-Language") != tt.lang {
				t.Errorf("%q %q: %d %s", tt.acceptLanguage, tt.ua, r.StatusCode, r.Body)
			}
		}
	})
}
