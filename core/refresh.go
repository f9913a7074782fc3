package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/wxlogin/wxlogin/core/weixin"
)

// Token returns a valid access token for the user logged in to the session
// in ctx, for calling WeChat's APIs on their behalf. When the token has
// expired or will within Options.RefreshMargin, it is refreshed first and
// the result written back to the session.
//
// However many requests ask at once, at most one refresh per (appid,
// openid) is in flight in this process; the others wait for it and share
// its result. The refresh runs detached from the request that started it,
// bounded by Options.RefreshTimeout, so a cancelled request does not fail
// the others; a caller whose ctx ends first stops waiting with an
// *weixin.UpstreamError.
//
// When ctx holds no session, the error is ErrNoSession.
// When nobody is logged in, or the refresh token is invalid or expired
// (30 days after login), the login ends and the error matches
// ErrLoginRequired. Other failures (WeChat unreachable, busy) leave the
// login intact.
func (a *Auth) Token(ctx context.Context) (*weixin.Token, error) {
	return a.token(ctx, "")
}

// token is Token; when the session's access token is rejected (WeChat
// refused it before its expiry), it is refreshed whatever its expiry.
func (a *Auth) token(ctx context.Context, rejected string) (*weixin.Token, error) {
	u, ok := a.CurrentUser(ctx)
	if !ok {
		if err := a.checkSession(ctx); err != nil {
			return nil, err
		}
		return nil, ErrLoginRequired
	}
	t := a.sessionToken(ctx)
	if t == nil && a.opts.MiniProgram != nil && u.AppID == a.opts.MiniProgram.AppID {
		return nil, ErrNoUserToken
	}
	if t == nil || t.OpenID != u.OpenID {
		return nil, ErrLoginRequired
	}
	now := a.opts.Now()
	stale := rejected != "" && t.AccessToken == rejected
	if !stale && (t.Expiry.IsZero() || now.Add(a.opts.RefreshMargin).Before(t.Expiry)) {
		return t, nil
	}
	cfg := a.config(t.AppID)
	if cfg == nil {
		a.endLogin(ctx, u)
		return nil, fmt.Errorf("%w: application %s is no longer configured", ErrLoginRequired, t.AppID)
	}
	key := t.AppID + "\x00" + t.OpenID
	var err error
	nt := a.fresher(key, t)
	if nt == nil {
		ch := a.refreshes.DoChan(key, func() (any, error) {
			// Another caller may have refreshed between our look and here.
			if nt := a.fresher(key, t); nt != nil {
				return nt, nil
			}
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.opts.RefreshTimeout)
			defer cancel()
			refresh := func() (*weixin.Token, error) { return cfg.Refresh(rctx, t) }
			var nt *weixin.Token
			var err error
			if t.RefreshToken == "" || !t.RefreshExpiry.IsZero() && !a.opts.Now().Before(t.RefreshExpiry) {
				nt, err = refresh() // fails at once, without calling WeChat
			} else {
				nt, err = refresh()
			}
			if err != nil {
				if !mustLogIn(err) {
					a.emit(rctx, Event{Kind: EventRefreshFailed, AppID: t.AppID, OpenID: t.OpenID, AccountID: u.AccountID, Reason: reason(err)})
				}
				return nil, err
			}
			a.remember(key, nt)
			a.emit(rctx, Event{Kind: EventRefresh, AppID: t.AppID, OpenID: t.OpenID, AccountID: u.AccountID})
			return nt, nil
		})
		select {
		case r := <-ch:
			err = r.Err
			if r.Val != nil {
				nt = r.Val.(*weixin.Token)
			}
		case <-ctx.Done():
			// This caller gives up; the refresh goes on for the others.
			return nil, &weixin.UpstreamError{Op: "refresh", Timeout: errors.Is(ctx.Err(), context.DeadlineExceeded), Err: ctx.Err()}
		}
	}
	if err != nil {
		if mustLogIn(err) {
			a.endLogin(ctx, u)
			return nil, fmt.Errorf("%w: %w", ErrLoginRequired, err)
		}
		a.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "wxlogin: token refresh failed",
			slog.String("appid", t.AppID), slog.String("error", err.Error()))
		return nil, err
	}
	a.sessions.Put(ctx, keyToken, nt)
	return nt, nil
}

// fresher returns the newest token refreshed for key when it is fresher
// than t and valid past the margin, else nil.
func (a *Auth) fresher(key string, t *weixin.Token) *weixin.Token {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.recent[key]
	if r == nil || !r.Expiry.After(t.Expiry) || !a.opts.Now().Add(a.opts.RefreshMargin).Before(r.Expiry) {
		return nil
	}
	return r
}

// remember records t as the newest token of key, and forgets the tokens
// that have expired.
func (a *Auth) remember(key string, t *weixin.Token) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.recent[key] = t
	if len(a.recent) < a.pruneAt {
		return
	}
	now := a.opts.Now()
	for k, r := range a.recent {
		if !now.Before(r.Expiry) {
			delete(a.recent, k)
		}
	}
	a.pruneAt = max(64, 2*len(a.recent))
}

// UserInfo fetches the current user's profile from WeChat now
// (/sns/userinfo), with the access token Token yields, in lang (empty:
// Options.Lang). Errors are those of Token and of weixin.Config.UserInfo.
func (a *Auth) UserInfo(ctx context.Context, lang string) (*weixin.UserInfo, error) {
	tok, err := a.Token(ctx)
	if err != nil {
		return nil, err
	}
	cfg := a.config(tok.AppID)
	if cfg == nil {
		return nil, ErrLoginRequired
	}
	if lang == "" {
		lang = a.opts.Lang
	}
	return cfg.UserInfo(ctx, tok, lang)
}
