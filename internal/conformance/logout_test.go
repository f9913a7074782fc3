package conformance

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/wxlogin/wxlogin/core/redisstore"
	"github.com/wxlogin/wxlogin/internal/browsertest"
	"github.com/wxlogin/wxlogin/internal/redistest"
	"github.com/wxlogin/wxlogin/weixintest"
)

// TestLogoutIsFinal races a logout against login begins and token
// refreshes sent with the same cookie (someone holding a copy of it),
// many times: once the logout has answered, no request with that cookie
// acts as the login again — not the concurrent ones that load the
// session after the logout, and not any request afterwards (scs writes a
// session back when a request that loaded it before the logout commits;
// the store must refuse that write).
func TestLogoutIsFinal(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		raceLogout(t, e, e, 0, 30)
	})
}

// The same race on Redis sessions (core/redisstore, with its
// client-side cache): on one instance, and across two, where the victim
// logs in and out on A and the loops use the cookie on B. B's cache
// learns of the logout through Redis' invalidation, within the
// revocation delay that examples/loadgen measures (p99 about 1 ms on
// loopback): requests begun on B later than 50 ms after the logout
// answered must not act as the login, and none may write it back.
func TestLogoutIsFinalOnRedis(t *testing.T) {
	rs := redistest.Start(t)
	for _, a := range adapters {
		t.Run(a.name, func(t *testing.T) {
			wx := weixintest.NewServer()
			t.Cleanup(wx.Close)
			open := func() scs.Store { return openRedisStore(t, rs) }
			a1, b1 := newEnvWith(t, a, wx, open()), newEnvWith(t, a, wx, open())
			t.Run("one instance", func(t *testing.T) { raceLogout(t, a1, a1, 0, 30) })
			t.Run("two instances", func(t *testing.T) { raceLogout(t, a1, b1, 50*time.Millisecond, 30) })
		})
	}
}

// raceLogout runs trials of the logout race, the victim on e and the
// loops on other (e again, or another instance of the app), and fails t
// on any request begun later than grace after the logout answered that
// acted as the login, and on any session written back.
func raceLogout(t *testing.T, e, other *env, grace time.Duration, trials int) {
	const loops = 8
	resurrected, late := 0, 0
	for trial := range trials {
		victim := e.browser()
		victim.login("u1", "")
		cookie := victim.SessionCookie()
		// Tokens expire, so that /api/userinfo refreshes and writes the
		// session (after the first refresh, from the shared result).
		e.wx.Advance(3 * time.Hour)

		var loggedOutAt atomic.Int64 // UnixNano when the logout answered
		var stop atomic.Bool
		var lateOK atomic.Int32
		var wg sync.WaitGroup
		for i := range loops {
			wg.Add(1)
			go func() {
				defer wg.Done()
				thief := browsertest.New(t, other.base)
				// Connections of its own: CloseIdleConnections on the shared
				// default transport could break another thief's request
				// ("CloseIdleConnections called").
				thief.Client.Transport = http.DefaultTransport.(*http.Transport).Clone()
				defer thief.Client.CloseIdleConnections()
				for n := 0; !stop.Load(); n++ {
					thief.SetSessionCookie(cookie)
					started := time.Now().UnixNano()
					if (i+n)%2 == 0 {
						thief.Get("/auth/weixin/login")
						continue
					}
					r := thief.API("/api/userinfo")
					if out := loggedOutAt.Load(); out != 0 && started > out && r.StatusCode == http.StatusOK {
						lateOK.Add(1)
					}
				}
			}()
		}
		time.Sleep(time.Duration(2+trial%5) * time.Millisecond)
		r := victim.Do(http.MethodPost, "/auth/weixin/logout", browsertest.HTMLAccept)
		if r.StatusCode != http.StatusFound {
			t.Fatalf("logout: %d %s", r.StatusCode, r.Body)
		}
		loggedOutAt.Store(time.Now().Add(grace).UnixNano())
		time.Sleep(20*time.Millisecond + grace)
		stop.Store(true)
		wg.Wait()

		late += int(lateOK.Load())
		after := browsertest.New(t, other.base)
		after.SetSessionCookie(cookie)
		if r := after.API("/api/me"); r.StatusCode != http.StatusUnauthorized {
			resurrected++
		}
	}
	t.Logf("%d trials, %d loops on the cookie: logged in again after logout in %d; requests begun after the logout answered that acted as the login: %d",
		trials, loops, resurrected, late)
	if resurrected > 0 || late > 0 {
		t.Errorf("logout was undone: %d of %d trials resurrected the session, %d late requests acted as the login", resurrected, trials, late)
	}
}

// openRedisStore opens a redisstore.Store on the test's Redis, closed
// when t ends: one instance's session store.
func openRedisStore(t *testing.T, rs *redistest.Server) *redisstore.Store {
	t.Helper()
	s, err := redisstore.Open(rs.URL(), redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}
