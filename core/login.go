package core

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"time"

	"github.com/wxlogin/wxlogin/core/weixin"
)

// Errors of the login flow. Each is returned wrapped; test with errors.Is.
var (
	// ErrStateMissing: the callback carries no state.
	ErrStateMissing = errors.New("wxlogin: the callback has no state")
	// ErrStateInvalid: the state was not issued to this browser's session
	// (forged, from another browser, or forgotten), or is malformed.
	ErrStateInvalid = errors.New("wxlogin: the login state is not valid for this browser")
	// ErrStateExpired: the login was begun too long ago.
	ErrStateExpired = errors.New("wxlogin: the login took too long")
	// ErrStateUsed: the state was already used by a completed login that
	// is no longer this browser's.
	ErrStateUsed = errors.New("wxlogin: the login state was already used")
	// ErrLoginDeclined: the user declined on WeChat's page (no code).
	ErrLoginDeclined = errors.New("wxlogin: the user declined the login")
	// ErrLoginRejected: the LoginHook refused the user.
	ErrLoginRejected = errors.New("wxlogin: login rejected")
	// ErrLoginRequired: nobody is logged in, or the login has ended (its
	// refresh token is invalid or expired): the user must log in again.
	ErrLoginRequired = errors.New("wxlogin: login required")
	// ErrNotConfigured: no application fits the visitor.
	ErrNotConfigured = errors.New("wxlogin: no WeChat application configured for this visitor")
)

// LoginRequest describes a login to begin.
type LoginRequest struct {
	// ReturnTo is where to go after the login; kept only when
	// SafeReturnTo accepts it, else the default applies.
	ReturnTo string
	// InWeChat says the visitor browses inside the WeChat app (its
	// User-Agent holds "MicroMessenger"): the official-account flow is
	// used when configured.
	InWeChat bool
	// Options are extra authorize-URL parameters, such as weixin.ForcePopup.
	Options []weixin.AuthCodeOption
}

// LoginStart is a begun login.
//
// For a QR code embedded in the page with Tencent's wxLogin.js, use
// WxLogin, not these fields: the script pastes its options into a URL
// without encoding them, so redirect_uri must be passed URL-encoded.
type LoginStart struct {
	// AuthURL is WeChat's authorize page, to redirect the browser to.
	AuthURL string
	// State is the login's state.
	State string
	// AppID is the application used.
	AppID string
	// RedirectURL is the callback URL WeChat will send the user to, not
	// encoded: do not give it to wxLogin.js as is (see WxLogin).
	RedirectURL string
	// Scope is the scope requested.
	Scope string
	// ReturnTo is the path the login will end at.
	ReturnTo string
}

// LoginResult is a completed login.
type LoginResult struct {
	// User is the logged-in user.
	User *User
	// ReturnTo is the safe path to send the browser to.
	ReturnTo string
	// Repeated reports a callback of a login already completed (a
	// reload, or WeChat redirecting twice): no new login was made, and
	// the browser continues on the login's session.
	Repeated bool
}

// BeginLogin starts a login in the session in ctx: it issues a fresh
// state (130 bits from crypto/rand, [A-Z2-7]), bound to this session,
// single-use and expiring after Options.StateLifetime, and returns the
// authorize URL to redirect to. Several logins may be in flight in one
// session (tabs); the oldest is forgotten past eight.
//
// A session that holds nothing but pending logins (an anonymous
// visitor's) lives no longer than Options.StateLifetime: logins begun
// and never completed cost the session store nothing after that. The
// completed login renews the session with the manager's full lifetime,
// and so does the app storing data of its own in it (through the
// adapters' Sessions middleware).
func (a *Auth) BeginLogin(ctx context.Context, req LoginRequest) (*LoginStart, error) {
	cfg := a.opts.Website
	if a.opts.OfficialAccount != nil && (req.InWeChat || cfg == nil) {
		cfg = a.opts.OfficialAccount
	}
	if cfg == nil {
		return nil, ErrNotConfigured
	}
	returnTo, ok := SafeReturnTo(req.ReturnTo)
	if !ok {
		returnTo = a.opts.DefaultReturnTo
	}
	state := rand.Text()
	now := a.opts.Now()

	pending := slices.DeleteFunc(slices.Clone(a.pending(ctx)), func(p pendingLogin) bool {
		return !now.Before(p.Expires)
	})
	if len(pending) >= maxPending {
		pending = pending[len(pending)-maxPending+1:]
	}
	pending = append(pending, pendingLogin{
		State: state, AppID: cfg.AppID, ReturnTo: returnTo, Expires: now.Add(a.opts.StateLifetime),
	})
	a.putPending(ctx, pending)
	a.limitAnonymous(ctx)

	return &LoginStart{
		AuthURL:     cfg.AuthCodeURL(state, req.Options...),
		State:       state,
		AppID:       cfg.AppID,
		RedirectURL: cfg.RedirectURL,
		Scope:       cfg.Scope(),
		ReturnTo:    returnTo,
	}, nil
}

// CompleteLogin handles WeChat's callback, whose query is q: it checks the
// state against the session's in constant time and consumes it, exchanges
// the code, fetches the profile when the scope allows, runs the
// LoginHook, renews the session id (against session fixation) and stores
// the user and token in the session.
//
// A callback of a login this session already completed returns the same
// result with Repeated set, without exchanging anything. When WeChat
// redirects twice (same state, two codes), whichever callback comes
// second — overlapping the first, or after it with the pre-login cookie
// because the browser dropped the first answer — ends on the first one's
// session with Repeated set, once its own code proves the same user: one
// login, one session (see forward.go; this needs the adapters' Sessions
// middleware, or adapter.Kit's LoadSession and SaveSession). Errors wrap the sentinels
// above or the API's; Classify maps them to a status code. Each
// failure is logged as one line with its reason class, each login and
// logout as one line; none holds a secret.
func (a *Auth) CompleteLogin(ctx context.Context, q url.Values) (*LoginResult, error) {
	res, err := a.completeLogin(ctx, q)
	switch {
	case err != nil:
		// One line per failed login: its reason class and the error,
		// which never holds the code, the state or a token.
		a.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "wxlogin: login failed",
			slog.String("reason", reason(err)), slog.String("error", err.Error()))
		a.emit(ctx, failedLogin("", err))
	case !res.Repeated:
		a.opts.Logger.LogAttrs(ctx, slog.LevelInfo, "wxlogin: login", slog.String("appid", res.User.AppID))
		a.emit(ctx, userEvent(EventLogin, res.User))
	}
	return res, err
}

func (a *Auth) completeLogin(ctx context.Context, q url.Values) (*LoginResult, error) {
	state := q.Get("state")
	if state == "" {
		return nil, ErrStateMissing
	}
	if !validState(state) {
		return nil, ErrStateInvalid
	}
	pending := a.pending(ctx)
	i := findState(len(pending), func(i int) string { return pending[i].State }, state)
	if i < 0 {
		if c, ok := a.forward(ctx, state); ok {
			// Another callback of this login completed it (WeChat
			// redirecting twice): see the design in forward.go.
			if c.Token != "" {
				return a.join(ctx, c, q.Get("code"))
			}
			return a.completeWith(ctx, q, pendingLogin{State: state, AppID: c.AppID, ReturnTo: c.ReturnTo, Expires: a.opts.Now().Add(forwardLifetime)})
		}
		return a.repeatedCallback(ctx, state)
	}
	p := pending[i]
	a.putPending(ctx, slices.Delete(slices.Clone(pending), i, i+1)) // single use, whatever follows
	return a.completeWith(ctx, q, p)
}

// completeWith completes the callback q of the pending login p.
func (a *Auth) completeWith(ctx context.Context, q url.Values, p pendingLogin) (_ *LoginResult, err error) {
	defer func() { err = withIdentity(err, p.AppID, nil) }() // for the event
	if !a.opts.Now().Before(p.Expires) {
		return nil, ErrStateExpired
	}
	code := q.Get("code")
	if code == "" {
		return nil, ErrLoginDeclined
	}
	cfg := a.config(p.AppID)
	if cfg == nil {
		return nil, ErrNotConfigured
	}
	c, id, err := a.settle(ctx, cfg, p, p.State, code)
	if err != nil {
		return nil, err
	}
	if id == nil {
		// Another callback of this login exchanged its code first.
		return a.join(ctx, c, code)
	}
	return &LoginResult{User: id.user, ReturnTo: p.ReturnTo}, nil
}

// identity is what a code exchange yields.
type identity struct {
	user       *User
	token      *weixin.Token // nil for a mini program login
	sessionKey string        // a mini program login's session_key
}

// identify exchanges code, fetches the profile and runs the hook.
func (a *Auth) identify(ctx context.Context, cfg *weixin.Config, code string) (*identity, error) {
	tok, err := cfg.Exchange(ctx, code)
	if err != nil {
		return nil, err
	}
	if tok.IsSnapshotUser {
		return nil, weixin.ErrSnapshotUser
	}
	u := &User{AppID: cfg.AppID, OpenID: tok.OpenID, UnionID: tok.UnionID, LoggedInAt: a.opts.Now()}
	if tok.HasScope(weixin.ScopeLogin) || tok.HasScope(weixin.ScopeUserInfo) {
		info, err := cfg.UserInfo(ctx, tok, a.opts.Lang)
		if err != nil {
			return nil, withIdentity(err, "", u)
		}
		u.UnionID = info.UnionID
		u.Nickname = info.Nickname
		u.Sex = info.Sex
		u.Province = info.Province
		u.City = info.City
		u.Country = info.Country
		u.HeadImgURL = info.HeadImgURL
	}
	if err := a.acceptIdentity(ctx, u, tok); err != nil {
		return nil, withIdentity(err, "", u)
	}
	return &identity{user: u, token: tok}, nil
}

// acceptIdentity is the last step of every door's login (website,
// official account, mini program, mobile app), run once per code
// exchange just before the session is written: it refuses snapshot
// visitors, links the identity to its account (Options.Accounts), which
// sets u.AccountID, then runs Options.OnLogin, which may refuse the login
// (ErrLoginRejected). tok is the user's token; a mini program login has
// no user access token, and passes a Token that holds only AppID, OpenID
// and UnionID.
func (a *Auth) acceptIdentity(ctx context.Context, u *User, tok *weixin.Token) error {
	if tok != nil && tok.IsSnapshotUser {
		return weixin.ErrSnapshotUser
	}
	if a.opts.Accounts != nil {
		if _, err := a.opts.Accounts.resolve(ctx, u, tok, a.accountsNow(), a.accountsLogger()); err != nil {
			return err
		}
	}
	if a.opts.OnLogin != nil {
		appID, openID := u.AppID, u.OpenID
		if err := a.opts.OnLogin(ctx, u, tok); err != nil {
			return fmt.Errorf("%w: %w", ErrLoginRejected, err)
		}
		if u.OpenID != openID || u.AppID != appID {
			return fmt.Errorf("%w: the hook may not change AppID or OpenID", ErrLoginRejected)
		}
	}
	return nil
}

// accountsNow is the clock of Options.Accounts: its own, else the Auth's.
func (a *Auth) accountsNow() func() time.Time {
	if a.opts.Accounts.Now != nil {
		return a.opts.Accounts.Now
	}
	return a.opts.Now
}

// accountsLogger is the logger of Options.Accounts: its own, else the
// Auth's.
func (a *Auth) accountsLogger() *slog.Logger {
	if a.opts.Accounts.Logger != nil {
		return a.opts.Accounts.Logger
	}
	return a.opts.Logger
}

// repeatedCallback answers a callback whose state is not pending: a
// reload of a login this session completed continues; anything else is
// refused.
func (a *Auth) repeatedCallback(ctx context.Context, state string) (*LoginResult, error) {
	done := a.done(ctx)
	i := findState(len(done), func(i int) string { return done[i].State }, state)
	if i < 0 {
		return nil, ErrStateInvalid
	}
	u, ok := a.CurrentUser(ctx)
	if !ok {
		return nil, ErrStateUsed
	}
	return &LoginResult{User: u, ReturnTo: done[i].ReturnTo, Repeated: true}, nil
}

// findState returns the index of state among n states, comparing every
// one in constant time, or -1.
func findState(n int, at func(int) string, state string) int {
	found := -1
	for i := range n {
		if subtle.ConstantTimeCompare([]byte(at(i)), []byte(state)) == 1 {
			found = i
		}
	}
	return found
}

// validState reports whether s has WeChat's state syntax: 1 to 128 bytes
// of [A-Za-z0-9].
func validState(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
