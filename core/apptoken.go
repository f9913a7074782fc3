package core

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/wxlogin/wxlogin/core/weixin"
)

// ErrUnknownApp is returned for an appid the Auth has no Config for.
var ErrUnknownApp = errors.New("wxlogin: application not configured")

// AppTokenSource returns the Auth's source of the access token of its
// application appID (Website, OfficialAccount or MiniProgram): one per
// application, shared by every caller, or an error matching
// ErrUnknownApp.
func (a *Auth) AppTokenSource(appID string) (*weixin.AppTokenSource, error) {
	if s := a.appTokens[appID]; s != nil {
		return s, nil
	}
	return nil, fmt.Errorf("%w: no Config has appid %q", ErrUnknownApp, appID)
}

// AppToken returns the access token of the application appID: see
// weixin.AppTokenSource.Token.
func (a *Auth) AppToken(ctx context.Context, appID string) (*weixin.AppToken, error) {
	s, err := a.AppTokenSource(appID)
	if err != nil {
		return nil, err
	}
	return s.Token(ctx)
}

// AppClient returns an *http.Client that calls WeChat's API with the
// access token of the application appID: see weixin.AppTokenSource.Client. For
// an appid the Auth has no Config for, its requests fail with
// ErrUnknownApp.
func (a *Auth) AppClient(appID string) *http.Client {
	s, err := a.AppTokenSource(appID)
	if err != nil {
		return &http.Client{Transport: failingTransport{err}}
	}
	return s.Client()
}

// failingTransport fails every request with err.
type failingTransport struct{ err error }

func (t failingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	return nil, t.err
}

// newAppTokenSources makes one source per configured application.
func (a *Auth) newAppTokenSources(cfgs ...*weixin.Config) {
	a.appTokens = make(map[string]*weixin.AppTokenSource)
	for _, c := range cfgs {
		if c != nil && c.AppSecret != "" {
			a.appTokens[c.AppID] = c.AppTokenSource()
		}
	}
}
