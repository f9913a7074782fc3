package core_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/weixintest"
)

// token asks for the current user's access token in one request of b.
func (b *browser) tokenReq() (*weixin.Token, error) {
	var tok *weixin.Token
	var err error
	b.do(func(ctx context.Context) { tok, err = b.e.auth.Token(ctx) })
	return tok, err
}

func TestTokenNoRefreshWhileValid(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("u1")
	for range 5 {
		tok, err := b.tokenReq()
		if err != nil || !tok.Valid(e.srv.Now()) {
			t.Fatalf("Token = %v, %v", tok, err)
		}
	}
	if n := e.srv.Calls(weixintest.PathRefreshToken); n != 0 {
		t.Errorf("%d refreshes of a valid token", n)
	}
}

func TestTokenRefreshWhenExpired(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("u1")
	before, _ := b.tokenReq()
	e.srv.Advance(2*time.Hour + time.Second)
	tok, err := b.tokenReq()
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == before.AccessToken || !tok.Valid(e.srv.Now()) {
		t.Errorf("refreshed token = %v", tok)
	}
	if !tok.RefreshExpiry.Equal(before.RefreshExpiry) {
		t.Error("refreshing moved the 30-day limit")
	}
	// The new token is in the session: no second refresh, and it works.
	again, err := b.tokenReq()
	if err != nil || again.AccessToken != tok.AccessToken {
		t.Fatalf("second Token = %v, %v", again, err)
	}
	if n := e.srv.Calls(weixintest.PathRefreshToken); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
	cfg := e.srv.Config(weixintest.DefaultAppID, callbackURL, weixin.ScopeLogin)
	if err := cfg.CheckToken(context.Background(), tok); err != nil {
		t.Errorf("the refreshed token does not work: %v", err)
	}
}

func TestTokenRefreshWithinMargin(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("u1")
	e.srv.Advance(2*time.Hour - core.DefaultRefreshMargin + time.Second)
	if _, err := b.tokenReq(); err != nil {
		t.Fatal(err)
	}
	if n := e.srv.Calls(weixintest.PathRefreshToken); n != 1 {
		t.Errorf("%d refreshes of a token about to expire, want 1", n)
	}
}

// A hundred requests of one user with an expired token, at once: one
// upstream refresh, and every request gets the new token.
func TestTokenOneRefreshForConcurrentCallers(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("u1")
	e.srv.Advance(3 * time.Hour)
	e.srv.InjectFault(weixintest.PathRefreshToken, weixintest.Fault{Delay: 100 * time.Millisecond, Times: 1})
	const n = 100
	var wg sync.WaitGroup
	toks := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := b.load() // each request loads its own copy of the session
			tok, err := e.auth.Token(ctx)
			errs[i] = err
			if tok != nil {
				toks[i] = tok.AccessToken
			}
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || toks[i] != toks[0] {
			t.Fatalf("caller %d: %q, %v (caller 0: %q)", i, toks[i], errs[i], toks[0])
		}
	}
	if got := e.srv.Calls(weixintest.PathRefreshToken); got != 1 {
		t.Errorf("%d upstream refreshes for %d callers, want 1", got, n)
	}
}

// The refresh runs detached from the request that started it: cancelling
// that request fails neither the refresh nor the requests waiting for it.
func TestTokenRefreshSurvivesCancelledCaller(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("u1")
	e.srv.Advance(3 * time.Hour)
	e.srv.InjectFault(weixintest.PathRefreshToken, weixintest.Fault{Delay: 200 * time.Millisecond, Times: 1})
	ctx, cancel := context.WithCancel(b.load())
	first := make(chan error, 1)
	go func() {
		_, err := e.auth.Token(ctx)
		first <- err
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	tok, err := e.auth.Token(b.load())
	if err != nil || !tok.Valid(e.srv.Now()) {
		t.Fatalf("waiting caller: %v, %v", tok, err)
	}
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("the cancelled caller: %v, want context.Canceled", err)
	}
	if n := e.srv.Calls(weixintest.PathRefreshToken); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
}

func TestTokenLogInAgain(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(e *env)
		target error
		calls  int
	}{
		{"refresh token invalid (40030)", func(e *env) {
			e.srv.InjectFault(weixintest.PathRefreshToken, weixintest.Fault{Errcode: 40030})
		}, weixin.ErrRefreshTokenInvalid, 1},
		{"refresh token expired (42002)", func(e *env) {
			e.srv.InjectFault(weixintest.PathRefreshToken, weixintest.Fault{Errcode: 42002})
		}, weixin.ErrRefreshTokenExpired, 1},
		{"30 days passed", func(e *env) {
			e.srv.Advance(30*24*time.Hour - 3*time.Hour)
		}, weixin.ErrRefreshTokenExpired, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			b := e.browser()
			b.login("u1")
			e.srv.Advance(3 * time.Hour)
			tt.setup(e)
			_, err := b.tokenReq()
			if !errors.Is(err, core.ErrLoginRequired) || !errors.Is(err, tt.target) || !mustLogIn(err) {
				t.Fatalf("err = %v; want ErrLoginRequired and %v", err, tt.target)
			}
			if core.Classify(err).Status != http.StatusUnauthorized {
				t.Errorf("HTTPStatus = %d", core.Classify(err).Status)
			}
			if _, ok := b.user(); ok {
				t.Error("the login did not end")
			}
			if n := e.srv.Calls(weixintest.PathRefreshToken); n != tt.calls {
				t.Errorf("%d refresh calls, want %d", n, tt.calls)
			}
		})
	}
}

func TestTokenUpstreamFailureKeepsLogin(t *testing.T) {
	for _, f := range []weixintest.Fault{{Status: 502}, {Errcode: 45011}, {Malformed: true}, {Errcode: 40013}} {
		e := newEnv(t)
		b := e.browser()
		b.login("u1")
		e.srv.Advance(3 * time.Hour)
		e.srv.InjectFault(weixintest.PathRefreshToken, f)
		_, err := b.tokenReq()
		if err == nil || mustLogIn(err) || core.Classify(err).Status != http.StatusBadGateway {
			t.Errorf("fault %+v: err = %v (status %d)", f, err, core.Classify(err).Status)
		}
		if _, ok := b.user(); !ok {
			t.Errorf("fault %+v ended the login", f)
		}
		e.srv.ClearFaults()
		if _, err := b.tokenReq(); err != nil {
			t.Errorf("fault %+v: no recovery: %v", f, err)
		}
	}
}

func TestTokenWithoutLogin(t *testing.T) {
	e := newEnv(t)
	if _, err := e.browser().tokenReq(); !errors.Is(err, core.ErrLoginRequired) {
		t.Errorf("err = %v", err)
	}
}
