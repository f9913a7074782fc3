package core

import (
	"errors"
	"fmt"

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

// newAppTokenSources makes one source per configured application.
func (a *Auth) newAppTokenSources(cfgs ...*weixin.Config) {
	a.appTokens = make(map[string]*weixin.AppTokenSource)
	for _, c := range cfgs {
		if c != nil && c.AppSecret != "" {
			a.appTokens[c.AppID] = c.AppTokenSource()
		}
	}
}
