package core_test

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/weixintest"
)

type eventLog struct {
	mu     sync.Mutex
	events []core.Event
}

func (l *eventLog) add(_ context.Context, e core.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

// kinds returns the kinds seen since the last call, leaving out upstream
// calls, and the upstream calls' ops.
func (l *eventLog) take() (kinds []string, ops []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.events {
		if e.Kind == core.EventUpstreamCall {
			if e.Duration <= 0 {
				ops = append(ops, e.Op+":no-duration")
			}
			ops = append(ops, e.Op+":"+e.Reason)
			continue
		}
		k := string(e.Kind)
		if e.Reason != "" {
			k += ":" + e.Reason
		}
		kinds = append(kinds, k)
	}
	l.events = nil
	return kinds, ops
}

func TestEvents(t *testing.T) {
	log := &eventLog{}
	e := newEnv(t, func(o *core.Options) { o.OnEvent = log.add })
	check := func(what string, wantKinds, wantOps []string) {
		t.Helper()
		kinds, ops := log.take()
		if !equal(kinds, wantKinds) || !equal(ops, wantOps) {
			t.Errorf("%s: events %q, upstream calls %q; want %q, %q", what, kinds, ops, wantKinds, wantOps)
		}
	}

	b := e.browser()
	start := b.begin(core.LoginRequest{})
	q := e.approve(start, "u1")
	if _, err := b.callback(q); err != nil {
		t.Fatal(err)
	}
	check("login", []string{"login"}, []string{"exchange:", "userinfo:"})
	b.callback(q) // a reload: no second login
	check("reload", nil, nil)

	forged := e.browser()
	forged.begin(core.LoginRequest{})
	q.Set("state", "FORGED")
	forged.callback(q)
	check("forged state", []string{"login_failed:state_invalid"}, nil)

	e.srv.Advance(3 * time.Hour)
	b.do(func(ctx context.Context) { e.auth.Token(ctx) })
	check("refresh", []string{"refresh"}, []string{"refresh:"})

	e.srv.Advance(3 * time.Hour)
	e.srv.InjectFault(weixintest.PathRefreshToken, weixintest.Fault{Status: 503})
	b.do(func(ctx context.Context) { e.auth.Token(ctx) })
	check("failed refresh", []string{"refresh_failed:upstream"}, []string{"refresh:upstream"})
	e.srv.ClearFaults()

	b.do(func(ctx context.Context) { e.auth.Logout(ctx) })
	check("logout", []string{"logout"}, nil)

	ended := e.browser()
	ended.login("u2")
	log.take()
	e.srv.Advance(31 * 24 * time.Hour)
	ended.do(func(ctx context.Context) { e.auth.Token(ctx) })
	check("login ended", []string{"login_ended"}, nil) // 30 days: no call needed
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// One log line per login, failed login (with its reason class) and
// logout, and none holds the state or the code.
func TestLoginLogLines(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	start := b.begin(core.LoginRequest{})
	q := e.approve(start, "u1")
	forged := url.Values{"state": {start.State + "X"}, "code": q["code"]}
	if _, err := b.callback(forged); err == nil {
		t.Fatal("forged state accepted")
	}
	declined := b.begin(core.LoginRequest{})
	if _, err := b.callback(url.Values{"state": {declined.State}}); err == nil {
		t.Fatal("declined login accepted")
	}
	if _, err := b.callback(q); err != nil {
		t.Fatal(err)
	}
	b.do(func(ctx context.Context) { e.auth.Logout(ctx) })
	logs := e.logs.String()
	for _, want := range []string{
		`msg="wxlogin: login failed" reason=state_invalid`,
		`msg="wxlogin: login failed" reason=declined`,
		`msg="wxlogin: login" appid=` + weixintest.DefaultAppID,
		`msg="wxlogin: logout" appid=` + weixintest.DefaultAppID,
	} {
		if n := strings.Count(logs, want); n != 1 {
			t.Errorf("%d lines %s, want 1:\n%s", n, want, logs)
		}
	}
	for _, secret := range []string{start.State, declined.State, q.Get("code")} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs hold a state or code:\n%s", logs)
		}
	}
}
