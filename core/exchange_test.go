package core_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/weixintest"
)

// sharerFunc is an ExchangeSharer made of a function: here, one that
// stands for another instance's answer.
type sharerFunc func(ctx context.Context, key string, exchange func(context.Context) ([]byte, error)) ([]byte, error)

func (f sharerFunc) Share(ctx context.Context, key string, exchange func(context.Context) ([]byte, error)) ([]byte, error) {
	return f(ctx, key, exchange)
}

// What a callback does with what the sharer answers: its own exchange's
// result, a store failure (503), an unreadable result from another
// instance.
func TestExchangeSharer(t *testing.T) {
	var keys []string
	storeDown := errors.New("redis: connection refused")
	cases := []struct {
		name   string
		sharer sharerFunc
		status int
	}{
		{"this instance exchanges", func(ctx context.Context, key string, ex func(context.Context) ([]byte, error)) ([]byte, error) {
			keys = append(keys, key)
			return ex(ctx)
		}, http.StatusOK},
		{"the store fails", func(context.Context, string, func(context.Context) ([]byte, error)) ([]byte, error) {
			return nil, storeDown
		}, http.StatusServiceUnavailable},
		{"another instance's result is unreadable", func(context.Context, string, func(context.Context) ([]byte, error)) ([]byte, error) {
			return []byte("{not json"), nil
		}, http.StatusInternalServerError},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, func(o *core.Options) { o.Exchanges = c.sharer })
			b := e.browser()
			start := b.begin(core.LoginRequest{})
			res, err := b.callback(e.approve(start, "u1"))
			if got := core.Classify(err).Status; got != c.status {
				t.Fatalf("status %d (%v), want %d", got, err, c.status)
			}
			switch c.status {
			case http.StatusOK:
				if res.User.OpenID != e.srv.OpenID(weixintest.DefaultAppID, "u1") {
					t.Errorf("user %+v", res.User)
				}
				if want := weixintest.DefaultAppID + ":" + start.State; len(keys) != 1 || keys[0] != want {
					t.Errorf("shared under %q, want %q", keys, want)
				}
			case http.StatusServiceUnavailable:
				if !errors.Is(err, core.ErrSessionStore) || !errors.Is(err, storeDown) {
					t.Errorf("%v", err)
				}
			default:
				if !errors.Is(err, core.ErrSharedExchange) {
					t.Errorf("%v", err)
				}
			}
		})
	}
}
