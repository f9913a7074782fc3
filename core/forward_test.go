package core_test

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/weixintest"
)

// liveLogins counts the sessions of e's store that hold a logged-in user.
func liveLogins(t *testing.T, e *env) int {
	t.Helper()
	n := 0
	err := e.sm.Iterate(context.Background(), func(ctx context.Context) error {
		if _, ok := e.auth.CurrentUser(ctx); ok {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// doubleRedirect is WeChat sending the browser to the callback twice:
// same state, two codes of u1.
func doubleRedirect(e *env, b *browser) (first, second url.Values) {
	start := b.begin(core.LoginRequest{ReturnTo: "/x"})
	first = e.approve(start, "u1")
	second = url.Values{"state": {start.State}, "code": {e.srv.NewCode(weixintest.DefaultAppID, "u1", weixin.ScopeLogin)}}
	return first, second
}

// WeChat redirecting twice, as a browser lives it: whatever the order
// and overlap of the two callbacks, and whichever answer the browser
// keeps (the second navigation supersedes the first, whose Set-Cookie
// is then dropped), the browser ends logged in, on one live session.
func TestDoubleRedirect(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, e *env, b *browser, first, second url.Values) (*core.LoginResult, error)
	}{
		{"second after the first, whose answer is dropped", func(t *testing.T, e *env, b *browser, first, second url.Values) (*core.LoginResult, error) {
			pre := b.token
			if _, err := b.callback(first); err != nil {
				t.Fatal(err)
			}
			b.token = pre // the browser dropped the first answer
			return b.callback(second)
		}},
		{"both loaded before either completes", func(t *testing.T, e *env, b *browser, first, second url.Values) (*core.LoginResult, error) {
			e.srv.InjectFault(weixintest.PathAccessToken, weixintest.Fault{Delay: 100 * time.Millisecond, Times: 1})
			ctx1, ctx2 := b.load(), b.load()
			var wg sync.WaitGroup
			var err1 error
			wg.Add(1)
			go func() { defer wg.Done(); _, err1 = e.auth.CompleteLogin(ctx1, first) }()
			time.Sleep(20 * time.Millisecond) // the second starts while the first exchanges (either order passes)
			res, err := e.auth.CompleteLogin(ctx2, second)
			wg.Wait()
			if err1 != nil {
				t.Fatal(err1)
			}
			b1 := &browser{e: e}
			b1.save(ctx1) // the first answer, dropped by the browser
			b.save(ctx2)
			return res, err
		}},
		{"second loaded the session before the first completed, and ends after", func(t *testing.T, e *env, b *browser, first, second url.Values) (*core.LoginResult, error) {
			ctx2 := b.load()
			ctx1 := b.load()
			if _, err := e.auth.CompleteLogin(ctx1, first); err != nil {
				t.Fatal(err)
			}
			(&browser{e: e}).save(ctx1)
			res, err := e.auth.CompleteLogin(ctx2, second)
			b.save(ctx2)
			return res, err
		}},
		{"the first answer kept, then the second", func(t *testing.T, e *env, b *browser, first, second url.Values) (*core.LoginResult, error) {
			if _, err := b.callback(first); err != nil {
				t.Fatal(err)
			}
			return b.callback(second)
		}},
		{"a reload of the first with the pre-login cookie", func(t *testing.T, e *env, b *browser, first, second url.Values) (*core.LoginResult, error) {
			pre := b.token
			if _, err := b.callback(first); err != nil {
				t.Fatal(err)
			}
			b.token = pre
			before := e.srv.Calls(weixintest.PathAccessToken)
			res, err := b.callback(first)
			if n := e.srv.Calls(weixintest.PathAccessToken) - before; n != 0 {
				t.Errorf("a code exchanged twice: %d more exchanges", n)
			}
			return res, err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			b := e.browser()
			first, second := doubleRedirect(e, b)
			res, err := c.run(t, e, b, first, second)
			if err != nil || res.ReturnTo != "/x" {
				t.Fatalf("second callback: %+v, %v", res, err)
			}
			u, ok := b.user()
			if !ok || u.OpenID != e.srv.OpenID(weixintest.DefaultAppID, "u1") {
				t.Fatalf("the browser is not logged in: %+v", u)
			}
			if n := liveLogins(t, e); n != 1 {
				t.Errorf("%d logged-in sessions, want 1", n)
			}
			// A logout ends it all.
			b.do(func(ctx context.Context) {
				if err := e.auth.Logout(ctx); err != nil {
					t.Fatal(err)
				}
			})
			if n := liveLogins(t, e); n != 0 {
				t.Errorf("after the logout, %d logged-in sessions", n)
			}
		})
	}
}

// Someone holding the pre-login cookie and the state, but no valid code
// of the victim, gets nothing from a login WeChat redirected twice:
// neither with a forged code nor with a code of their own; and the
// victim's own second callback still works afterwards.
func TestDoubleRedirectGivesAttackersNothing(t *testing.T) {
	for _, concurrent := range []bool{false, true} {
		name := "after"
		if concurrent {
			name = "during the exchange"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			victim := e.browser()
			first, second := doubleRedirect(e, victim)
			pre := victim.token
			attacks := []url.Values{
				{"state": first["state"], "code": {"forged-code"}},
				{"state": first["state"], "code": {e.srv.NewCode(weixintest.DefaultAppID, "u2", weixin.ScopeLogin)}},
				{"state": first["state"]},
			}
			attack := func() {
				for _, q := range attacks {
					att := &browser{e: e, token: pre}
					if res, err := att.callback(q); err == nil {
						t.Errorf("attack with %v: %+v", q, res)
					}
					if u, ok := att.user(); ok {
						t.Errorf("attacker logged in as %+v", u)
					}
				}
			}
			if concurrent {
				e.srv.InjectFault(weixintest.PathAccessToken, weixintest.Fault{Delay: 100 * time.Millisecond, Times: 1})
				var wg sync.WaitGroup
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := (&browser{e: e, token: pre}).callback(first); err != nil {
						t.Error(err)
					}
				}()
				time.Sleep(20 * time.Millisecond)
				attack()
				wg.Wait()
			} else {
				if _, err := (&browser{e: e, token: pre}).callback(first); err != nil {
					t.Fatal(err)
				}
				attack()
			}
			if res, err := victim.callback(second); err != nil || res.ReturnTo != "/x" {
				t.Fatalf("the victim's second callback: %+v, %v", res, err)
			}
			if _, ok := victim.user(); !ok {
				t.Error("the victim is not logged in")
			}
			if n := liveLogins(t, e); n != 1 {
				t.Errorf("%d logged-in sessions, want 1", n)
			}
		})
	}
}

// A second callback that follows a login logged out since gets nothing.
func TestDoubleRedirectAfterLogout(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	first, second := doubleRedirect(e, b)
	pre := b.token
	if _, err := b.callback(first); err != nil {
		t.Fatal(err)
	}
	b.do(func(ctx context.Context) { e.auth.Logout(ctx) })
	b.token = pre
	if _, err := b.callback(second); !errors.Is(err, core.ErrStateUsed) {
		t.Fatalf("second callback after the logout: %v, want ErrStateUsed", err)
	}
	if n := liveLogins(t, e); n != 0 {
		t.Errorf("%d logged-in sessions after the logout", n)
	}
}
