package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
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
	if !errors.Is(err, weixin.ErrForeignHost) {
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
	var first, second *weixin.Token
	b.do(func(ctx context.Context) { first, _ = e.auth.TokenSource(ctx).Token() })
	e.srv.Advance(3 * time.Hour)
	b.do(func(ctx context.Context) { second, _ = e.auth.TokenSource(ctx).Token() })
	if first == nil || second == nil || !second.Expiry.After(first.Expiry) || e.srv.Calls(weixintest.PathRefreshToken) != 1 {
		t.Errorf("tokens %v then %v, %d refreshes", first, second, e.srv.Calls(weixintest.PathRefreshToken))
	}
}

// redirecting answers requests to /redirect with a 302 to another host
// that echoes the query (token included), as a misbehaving proxy or API
// would; other requests go to next.
type redirecting struct{ next http.RoundTripper }

func (r redirecting) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Path != "/redirect" {
		return r.next.RoundTrip(req)
	}
	h := http.Header{"Location": {"https://elsewhere.example/landing?" + req.URL.RawQuery}}
	return &http.Response{StatusCode: http.StatusFound, Header: h, Body: http.NoBody, Request: req}, nil
}

// No response or error of Client holds the token: not resp.Request.URL,
// not the error of a redirect to another host, not a Location header.
func TestClientLeavesTheTokenNowhere(t *testing.T) {
	e := newEnv(t, func(o *core.Options) {
		o.Website.HTTPClient = &http.Client{Transport: redirecting{http.DefaultTransport}}
	})
	b := e.browser()
	b.login("u1")
	var tok *weixin.Token
	b.do(func(ctx context.Context) {
		var err error
		if tok, err = e.auth.Token(ctx); err != nil {
			t.Fatal(err)
		}
		resp, err := e.auth.Client(ctx).Get(e.srv.URL + "/sns/userinfo?lang=en")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if s := resp.Request.URL.String(); strings.Contains(s, tok.AccessToken) {
			t.Errorf("resp.Request.URL holds the token: %s", s)
		}
		_, err = e.auth.Client(ctx).Get(e.srv.URL + "/redirect")
		if err == nil || !errors.Is(err, weixin.ErrForeignHost) {
			t.Errorf("redirect to another host: %v", err)
		} else if strings.Contains(err.Error(), tok.AccessToken) {
			t.Errorf("the error holds the token: %v", err)
		}
		c := e.auth.Client(ctx)
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err = c.Get(e.srv.URL + "/redirect")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); strings.Contains(loc, tok.AccessToken) || resp.Request.URL.Query().Has("access_token") {
			t.Errorf("the redirect holds the token: %s, %s", loc, resp.Request.URL)
		}
	})
}

// A malformed endpoint is refused by New (Client used to panic on it).
func TestNewRefusesMalformedEndpoints(t *testing.T) {
	for _, bad := range []weixin.Endpoint{
		{APIBaseURL: "http://[::1"},
		{OpenBaseURL: "open.weixin.qq.com"},
		{APIBaseURL: "ftp://api.example"},
		{APIBaseURL: "https://api.example/?x=1"},
	} {
		srv := weixintest.NewServer()
		defer srv.Close()
		web := srv.Config(weixintest.DefaultAppID, callbackURL, weixin.ScopeLogin)
		web.Endpoint = bad
		_, err := core.New(core.Options{Website: &web, Sessions: scs.New()})
		if err == nil || !strings.Contains(err.Error(), "Endpoint") {
			t.Errorf("endpoint %+v: %v", bad, err)
		}
	}
}

// A rejection a refresh does not cure (a persistent 40001) costs one
// refresh, not one per call, until a minute has passed.
func TestClientRemembersAFutileRefresh(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("u1")
	e.srv.InjectFault(weixintest.PathUserInfo, weixintest.Fault{Errcode: 40001})
	before := e.srv.Calls(weixintest.PathUserInfo)
	for range 20 {
		b.do(func(ctx context.Context) {
			if info, err := getJSON(t, e, ctx, e.srv.URL+"/sns/userinfo"); err != nil || info["errcode"] != float64(40001) {
				t.Fatalf("persistent 40001: %v %v", info, err)
			}
		})
	}
	if n := e.srv.Calls(weixintest.PathRefreshToken); n != 1 {
		t.Errorf("%d refreshes for 20 calls, want 1", n)
	}
	if n := e.srv.Calls(weixintest.PathUserInfo) - before; n != 21 {
		t.Errorf("%d userinfo calls for 20, want 21", n)
	}
	e.srv.Advance(2 * time.Minute)
	b.do(func(ctx context.Context) { getJSON(t, e, ctx, e.srv.URL+"/sns/userinfo") })
	if n := e.srv.Calls(weixintest.PathRefreshToken); n != 2 {
		t.Errorf("a minute later: %d refreshes, want 2", n)
	}
}
