package core_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/weixintest"
)

// The README's wiring: the Config from weixintest.Server.Config and no
// Options.Now. Advancing the fake's clock must make the app refresh and
// expire its states: the fake's clock reached core.Auth.
func TestOneClockFromTheFakesConfig(t *testing.T) {
	e := newEnv(t, func(o *core.Options) { o.Now = nil })
	b := e.browser()
	b.login("u1")
	var first *weixin.Token
	b.do(func(ctx context.Context) {
		var err error
		if first, err = e.auth.Token(ctx); err != nil {
			t.Fatal(err)
		}
	})
	if n := e.srv.Calls(weixintest.PathRefreshToken); n != 0 {
		t.Fatalf("%d refreshes before the clock moved", n)
	}

	e.srv.Advance(2 * time.Hour) // the access token expires
	for range 2 {
		b.do(func(ctx context.Context) {
			tok, err := e.auth.Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if tok.AccessToken == first.AccessToken {
				t.Error("Token returned the expired access token")
			}
		})
	}
	if n := e.srv.Calls(weixintest.PathRefreshToken); n != 1 {
		t.Errorf("%d refreshes after Advance, want exactly 1", n)
	}

	start := b.begin(core.LoginRequest{})
	q := e.approve(start, "u1")
	e.srv.Advance(core.DefaultStateLifetime + time.Second)
	if _, err := b.callback(q); !errors.Is(err, core.ErrStateExpired) {
		t.Errorf("callback after the state's lifetime on the fake's clock: %v, want ErrStateExpired", err)
	}
}

// A clock given on Options.Now only reaches the Configs: the tokens they
// receive are dated by it.
func TestOneClockFromOptions(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	e := newEnv(t, func(o *core.Options) {
		o.Website.Now, o.OfficialAccount.Now = nil, nil
		o.Now = func() time.Time { return at }
	})
	b := e.browser()
	b.login("u1")
	b.do(func(ctx context.Context) {
		tok, err := e.auth.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := at.Add(2 * time.Hour); !tok.Expiry.Equal(want) {
			t.Errorf("token expiry %v, want %v (Options.Now + expires_in)", tok.Expiry, want)
		}
		if u, _ := e.auth.CurrentUser(ctx); !u.LoggedInAt.Equal(at) {
			t.Errorf("LoggedInAt %v, want %v", u.LoggedInAt, at)
		}
	})
}

// New copies a Config it gives a clock to: the caller's Config is left as
// it was.
func TestOneClockLeavesTheCallersConfig(t *testing.T) {
	web := weixin.Config{AppID: "wx1", AppSecret: "s", RedirectURL: "https://www.example.com/cb"}
	now := func() time.Time { return time.Unix(0, 0) }
	if _, err := core.New(core.Options{Website: &web, Sessions: scs.New(), Now: now}); err != nil {
		t.Fatal(err)
	}
	if web.Now != nil {
		t.Error("core.New modified the caller's Config")
	}
}
