package conformance

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/internal/browsertest"
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
		raceLogout(t, e, 30)
	})
}

// raceLogout runs trials of the logout race on e and fails t on any
// request that acted as the login after the logout answered.
func raceLogout(t *testing.T, e *env, trials int) {
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
				thief := browsertest.New(t, e.base)
				defer thief.Client.CloseIdleConnections()
				for n := 0; !stop.Load(); n++ {
					thief.SetSessionCookie(cookie)
					started := time.Now().UnixNano()
					var r browsertest.Response
					if (i+n)%2 == 0 {
						r = thief.Get("/auth/weixin/login")
						continue
					}
					r = thief.API("/api/userinfo")
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
		loggedOutAt.Store(time.Now().UnixNano())
		time.Sleep(20 * time.Millisecond)
		stop.Store(true)
		wg.Wait()

		late += int(lateOK.Load())
		after := browsertest.New(t, e.base)
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
