package core_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/adapter"
	"github.com/wxlogin/wxlogin/core/weixin"
)

// Without the Sessions middleware every entry point answers 500 (or
// returns ErrNoSession) and logs the fix, instead of scs' panic.
func TestNoSessionMiddleware(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background() // no session loaded
	for name, resp := range map[string]adapter.Response{
		"login":    e.auth.Adapter().LoginResponse(ctx, "/me", ""),
		"callback": e.auth.Adapter().CallbackResponse(ctx, url.Values{"code": {"c"}, "state": {"s"}}),
		"logout":   e.auth.Adapter().LogoutResponse(ctx, "POST"),
	} {
		if resp.Status != 500 || strings.Contains(string(resp.Body), "Sessions") {
			t.Errorf("%s: %d %s, want 500 with a page that does not explain the server's configuration", name, resp.Status, resp.Body)
		}
	}
	if _, ok := e.auth.CurrentUser(ctx); ok {
		t.Error("CurrentUser without a session: ok")
	}
	if _, err := e.auth.Token(ctx); !errors.Is(err, core.ErrNoSession) {
		t.Errorf("Token without a session: %v, want ErrNoSession", err)
	}
	if got := e.auth.Adapter().JSONErrorResponse(core.ErrNoSession).Status; got != 500 {
		t.Errorf("JSONErrorResponse(ErrNoSession): %d, want 500", got)
	}
	logs := e.logs.String()
	if n := strings.Count(logs, "no session in the request's context"); n != 4 {
		t.Errorf("%d log lines about the missing session, want 4 (login, callback, logout, Token):\n%s", n, logs)
	}
	for _, fix := range []string{"h.Sessions(mux)", "r.Use(h.Sessions)", "app.Use(h.Sessions)", "LoadAndSave"} {
		if !strings.Contains(logs, fix) {
			t.Errorf("the log line does not name the fix %q:\n%s", fix, logs)
		}
	}

	// With the session loaded, CheckSession is silent.
	b := e.browser()
	b.do(func(ctx context.Context) {
		if err := e.auth.Adapter().CheckSession(ctx); err != nil {
			t.Errorf("CheckSession with a session: %v", err)
		}
	})
}

func TestNewRefusesARelativeRedirectURL(t *testing.T) {
	for _, redirect := range []string{"/auth/weixin/callback", "www.example.com/cb", "ftp://www.example.com/cb", "http:///cb"} {
		web := weixin.Config{AppID: "wx1", AppSecret: "s", RedirectURL: redirect}
		_, err := core.New(core.Options{Website: &web, Sessions: scs.New()})
		if err == nil || !strings.Contains(err.Error(), "absolute http(s) URL") {
			t.Errorf("RedirectURL %q: %v", redirect, err)
		}
	}
}
