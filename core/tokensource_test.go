package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/weixintest"
)

// getJSON calls target with the Auth's Client in ctx.
func getJSON(t *testing.T, e *env, ctx context.Context, target string) (map[string]any, error) {
	t.Helper()
	resp, err := e.auth.Client(ctx).Get(target)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: %v: %s", target, err, b)
	}
	return out, nil
}

func TestClientCallsWeChatWithTheUsersToken(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("u1")
	var info map[string]any
	var err error
	b.do(func(ctx context.Context) { info, err = getJSON(t, e, ctx, e.srv.URL+"/sns/userinfo?lang=en") })
	if err != nil || info["nickname"] == nil || info["openid"] == "" {
		t.Fatalf("userinfo through Client: %v %v", info, err)
	}
	if got := e.srv.Calls(weixintest.PathRefreshToken); got != 0 {
		t.Errorf("%d refreshes of a valid token", got)
	}
}

// WeChat rejects a token our clock still thinks valid: the client
// refreshes once, repeats the request, and the session keeps the new
// token.
func TestClientRefreshesOnceWhenWeChatRejectsTheToken(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("u1")
	e.srv.ExpireAccessTokens()
	var info map[string]any
	var err error
	b.do(func(ctx context.Context) { info, err = getJSON(t, e, ctx, e.srv.URL+"/sns/userinfo") })
	if err != nil || info["errcode"] != nil || info["nickname"] == nil {
		t.Fatalf("userinfo after an early expiry: %v %v", info, err)
	}
	if got := e.srv.Calls(weixintest.PathRefreshToken); got != 1 {
		t.Errorf("%d refreshes, want 1", got)
	}
	// The refreshed token was written back: the next call needs none.
	b.do(func(ctx context.Context) { info, err = getJSON(t, e, ctx, e.srv.URL+"/sns/userinfo") })
	if err != nil || info["nickname"] == nil || e.srv.Calls(weixintest.PathRefreshToken) != 1 {
		t.Errorf("second call: %v %v, %d refreshes", info, err, e.srv.Calls(weixintest.PathRefreshToken))
	}

	// A rejection that a refresh does not cure is WeChat's answer, once.
	e.srv.InjectFault(weixintest.PathUserInfo, weixintest.Fault{Errcode: 40001})
	b.do(func(ctx context.Context) { info, err = getJSON(t, e, ctx, e.srv.URL+"/sns/userinfo") })
	if err != nil || info["errcode"] != float64(40001) {
		t.Errorf("persistent 40001: %v %v", info, err)
	}
	// The login 1, the first call 2, the second 1, this one 2: one retry.
	if got := e.srv.Calls(weixintest.PathUserInfo); got != 6 {
		t.Errorf("%d userinfo calls, want 6", got)
	}
}

func TestClientSendsTheTokenNowhereElse(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("u1")
	var err error
	b.do(func(ctx context.Context) { _, err = e.auth.Client(ctx).Get("https://evil.example/sns/userinfo") })
	if !errors.Is(err, core.ErrForeignHost) {
		t.Errorf("foreign host: %v", err)
	}
	if err != nil && (strings.Contains(err.Error(), "access_token") || strings.Contains(err.Error(), "openid=")) {
		t.Errorf("error holds the token: %v", err)
	}
}

func TestClientAndTokenSourceWhenTheLoginEnded(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("u1")
	e.srv.Advance(31 * 24 * time.Hour) // the refresh token is gone
	b.do(func(ctx context.Context) {
		if _, err := e.auth.TokenSource(ctx).Token(); !errors.Is(err, core.ErrLoginRequired) {
			t.Errorf("TokenSource: %v", err)
		}
	})
	b.do(func(ctx context.Context) {
		if _, err := e.auth.Client(ctx).Get(e.srv.URL + "/sns/userinfo"); !errors.Is(err, core.ErrLoginRequired) {
			t.Errorf("Client: %v", err)
		}
	})
}

func TestTokenSourceRefreshes(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("u1")
	var first, second *core.Token
	b.do(func(ctx context.Context) { first, _ = e.auth.TokenSource(ctx).Token() })
	e.srv.Advance(3 * time.Hour)
	b.do(func(ctx context.Context) { second, _ = e.auth.TokenSource(ctx).Token() })
	if first == nil || second == nil || !second.Expiry.After(first.Expiry) || e.srv.Calls(weixintest.PathRefreshToken) != 1 {
		t.Errorf("tokens %v then %v, %d refreshes", first, second, e.srv.Calls(weixintest.PathRefreshToken))
	}
}
