package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// ExchangeSharer shares the code exchange of one login between the
// instances of a deployment, so that two callbacks of that login landing
// on two instances at once (WeChat redirecting twice) make one
// /sns/oauth2/access_token call, and both log the browser in. Within one
// instance, concurrent callbacks share one exchange without it.
// github.com/wxlogin/wxlogin/core/redisstore implements it over Redis.
type ExchangeSharer interface {
	// Share returns the result of exchange for key: among the callers
	// of all instances that call Share with key at about the same time,
	// one runs exchange and publishes its result for a short while; the
	// others wait for that result, bounded in time, and return it.
	// When the caller running it fails, or dies, another may run it.
	// The result holds the user's tokens: Share may keep it only
	// briefly, and must never log it.
	Share(ctx context.Context, key string, exchange func(context.Context) ([]byte, error)) ([]byte, error)
}

// ErrSharedExchange: another instance exchanged the code, but its result
// could not be read.
var ErrSharedExchange = errors.New("wxlogin: the login completed on another instance could not be shared")

// sharedIdentity is identity as published for the other instances. It
// holds the tokens (and a mini program's session key), as the session
// does, in the same store.
type sharedIdentity struct {
	User       User
	Token      Token
	SessionKey string `json:",omitempty"`
}

// identifyShared is identify, shared through Options.Exchanges when set,
// keyed by appid and state: the callbacks of one login carry the same
// state (and, when WeChat redirects twice, different codes). Only a
// callback whose session holds the pending state gets here, so the result
// goes to the browser that began the login.
func (a *Auth) identifyShared(ctx context.Context, cfg *Config, state, code string) (*identity, error) {
	return a.shareIdentity(ctx, cfg, cfg.AppID+":"+state, func(ctx context.Context) (*identity, error) {
		return a.identify(ctx, cfg, code)
	})
}

// shareIdentity runs run, shared through Options.Exchanges under key when
// set, else directly.
func (a *Auth) shareIdentity(ctx context.Context, cfg *Config, key string, run func(context.Context) (*identity, error)) (*identity, error) {
	if a.opts.Exchanges == nil {
		return run(ctx)
	}
	var runErr error
	var ran *identity
	b, err := a.opts.Exchanges.Share(ctx, key, func(ctx context.Context) ([]byte, error) {
		id, err := run(ctx)
		if err != nil {
			runErr = err
			return nil, err
		}
		ran = id
		s := sharedIdentity{User: *id.user, SessionKey: id.sessionKey}
		if id.token != nil {
			s.Token = *id.token
		}
		return json.Marshal(s)
	})
	switch {
	case ran != nil: // this instance exchanged: its result, even if publishing failed
		return ran, nil
	case runErr != nil:
		return nil, runErr
	case err != nil:
		return nil, fmt.Errorf("%w: sharing the code exchange: %w", ErrSessionStore, err)
	}
	var s sharedIdentity
	if err := json.Unmarshal(b, &s); err != nil || s.User.OpenID == "" || s.User.AppID != cfg.AppID {
		return nil, ErrSharedExchange
	}
	id := &identity{user: &s.User, sessionKey: s.SessionKey}
	if s.Token.AccessToken != "" { // a mini program login has none
		id.token = &s.Token
	}
	return id, nil
}
