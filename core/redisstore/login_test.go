package redisstore

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/alexedwards/scs/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/weixintest"

	"github.com/wxlogin/wxlogin/internal/redistest"
)

// instance is one app instance: an Auth over its own Redis client.
type instance struct {
	sm   *scs.SessionManager
	auth *core.Auth
}

func newInstance(t *testing.T, redisURL string, wx *weixintest.Server) *instance {
	t.Helper()
	store, err := Open(redisURL, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	sm := scs.New()
	sm.Store = store
	web := wx.Config(weixintest.DefaultAppID, "https://app.example/auth/weixin/callback", weixin.ScopeLogin)
	auth, err := core.New(core.Options{
		Website:   &web,
		Sessions:  sm,
		Exchanges: NewExchanges(store.Client(), ExchangeOptions{}),
		Now:       wx.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &instance{sm: sm, auth: auth}
}

// request runs f as one request with the session token, and returns the
// token the response's cookie holds.
func (in *instance) request(t *testing.T, token string, f func(ctx context.Context)) string {
	t.Helper()
	ctx, err := in.auth.Adapter().LoadSession(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	f(ctx)
	h, err := in.auth.Adapter().SaveSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range (&http.Response{Header: h}).Cookies() {
		token = c.Value
	}
	return token
}

// Two callbacks of one login (same state, different codes, as WeChat
// sends when it redirects twice) reaching two instances at once: each
// code is exchanged once (the second only to prove the same user), and
// both answers set the cookie of one and the same logged-in session.
func TestDoubleCallbackAcrossInstances(t *testing.T) {
	redisURL := redistest.Start(t).URL()
	wx := weixintest.NewServer()
	defer wx.Close()
	a, b := newInstance(t, redisURL, wx), newInstance(t, redisURL, wx)
	for trial := range 10 {
		var start *core.LoginStart
		token := a.request(t, "", func(ctx context.Context) {
			var err error
			if start, err = a.auth.BeginLogin(ctx, core.LoginRequest{ReturnTo: "/next"}); err != nil {
				t.Fatal(err)
			}
		})
		wx.InjectFault(weixintest.PathAccessToken, weixintest.Fault{Delay: 30 * time.Millisecond, Times: 1})
		before := wx.Calls(weixintest.PathAccessToken)
		tokens := make([]string, 2)
		results := make([]*core.LoginResult, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, in := range []*instance{a, b} {
			code := wx.NewCode(weixintest.DefaultAppID, "u1", weixin.ScopeLogin)
			wg.Add(1)
			go func() {
				defer wg.Done()
				tokens[i] = in.request(t, token, func(ctx context.Context) {
					results[i], errs[i] = in.auth.CompleteLogin(ctx, url.Values{"state": {start.State}, "code": {code}})
				})
			}()
		}
		wg.Wait()
		if n := wx.Calls(weixintest.PathAccessToken) - before; n != 2 {
			t.Fatalf("trial %d: %d code exchanges, want 2 (one per code)", trial, n)
		}
		if tokens[0] != tokens[1] {
			t.Errorf("trial %d: two sessions: the browser would leave a logged-in orphan", trial)
		}
		for i := range 2 {
			if errs[i] != nil || results[i].ReturnTo != "/next" || results[i].User.OpenID != wx.OpenID(weixintest.DefaultAppID, "u1") {
				t.Fatalf("trial %d, instance %d: %+v %v", trial, i, results[i], errs[i])
			}
			if tokens[i] == token {
				t.Errorf("trial %d, instance %d: the session id was not renewed", trial, i)
			}
			// The browser keeps whichever cookie came last: each works on
			// both instances.
			for _, in := range []*instance{a, b} {
				in.request(t, tokens[i], func(ctx context.Context) {
					if u, ok := in.auth.CurrentUser(ctx); !ok || u.OpenID != results[i].User.OpenID {
						t.Errorf("trial %d: session of instance %d's answer not logged in", trial, i)
					}
				})
			}
		}
		if !results[0].User.LoggedInAt.Equal(results[1].User.LoggedInAt) {
			t.Errorf("trial %d: two logins, not one shared: %v %v", trial, results[0].User.LoggedInAt, results[1].User.LoggedInAt)
		}
	}
}

// The result an instance shares with the others (Exchanges) holds no
// token: only the new session's id, hashes and the return path.
func TestSharedResultHoldsNoToken(t *testing.T) {
	r := redistest.Start(t)
	wx := weixintest.NewServer()
	defer wx.Close()
	a := newInstance(t, r.URL(), wx)
	var start *core.LoginStart
	token := a.request(t, "", func(ctx context.Context) {
		var err error
		if start, err = a.auth.BeginLogin(ctx, core.LoginRequest{}); err != nil {
			t.Fatal(err)
		}
	})
	code := wx.NewCode(weixintest.DefaultAppID, "u1", weixin.ScopeLogin)
	var tok *weixin.Token
	token = a.request(t, token, func(ctx context.Context) {
		if _, err := a.auth.CompleteLogin(ctx, url.Values{"state": {start.State}, "code": {code}}); err != nil {
			t.Fatal(err)
		}
	})
	a.request(t, token, func(ctx context.Context) {
		var err error
		if tok, err = a.auth.Token(ctx); err != nil {
			t.Fatal(err)
		}
	})
	client, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{r.Addr()}, DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx := context.Background()
	keys, err := client.Do(ctx, client.B().Keys().Pattern(DefaultExchangePrefix+"*").Build()).AsStrSlice()
	if err != nil || len(keys) != 1 {
		t.Fatalf("exchange keys %q, %v", keys, err)
	}
	v, err := client.Do(ctx, client.B().Get().Key(keys[0]).Build()).ToString()
	if err != nil {
		t.Fatal(err)
	}
	for name, secret := range map[string]string{"access token": tok.AccessToken, "refresh token": tok.RefreshToken, "code": code, "openid": tok.OpenID} {
		if strings.Contains(v, secret) {
			t.Errorf("the shared result holds the %s: %s", name, v)
		}
	}
}
