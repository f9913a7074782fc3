package core

import (
	"context"
	"errors"
	"time"

	"github.com/wxlogin/wxlogin/core/weixin"
)

// EventKind names what an Event reports.
type EventKind string

// The kinds of Event.
const (
	// EventLogin: a login completed (not a repeated callback of one).
	EventLogin EventKind = "login"
	// EventLoginFailed: a callback failed; Reason says why.
	EventLoginFailed EventKind = "login_failed"
	// EventRefresh: an access token was refreshed (once per refresh made,
	// however many requests shared it).
	EventRefresh EventKind = "refresh"
	// EventRefreshFailed: a refresh failed and the login stays (WeChat
	// busy or unreachable); Reason says why.
	EventRefreshFailed EventKind = "refresh_failed"
	// EventLoginEnded: a login ended without a logout: its refresh token
	// is invalid or expired, so the user must log in again.
	EventLoginEnded EventKind = "login_ended"
	// EventLogout: a session was logged out.
	EventLogout EventKind = "logout"
	// EventUpstreamCall: one call to WeChat's API (Op), with its Duration
	// and, when it failed, its Reason.
	EventUpstreamCall EventKind = "upstream_call"
)

// Event is something the login flow did, for metrics and audit logs
// (Options.OnEvent). It never holds a secret, a code, a token, a
// session_key or a state.
//
// Events about a user carry the identity, so that an audit log can say
// whose login, refresh or logout it was: AppID, OpenID and AccountID are
// set on EventLogin, EventRefresh, EventRefreshFailed, EventLoginEnded
// and EventLogout, through every door (website, official account, mini
// program, mobile app). An EventLoginFailed carries what was known when
// the login failed: AppID once the application is known (the state
// matched, or a bearer door), OpenID and AccountID when WeChat had
// already said who the user is (a failure after the code exchange: the
// profile, Options.Accounts' ErrIdentityConflict, the LoginHook, the
// session store); an official account's snapshot-page visitor has no
// identity (its openid is virtual), so only AppID. The openid identifies
// a person: treat events as the personal data they are.
type Event struct {
	// Kind is what happened.
	Kind EventKind
	// AppID is the application involved, when known.
	AppID string
	// OpenID is the user's openid in AppID, when known.
	OpenID string
	// AccountID is the user's account (User.AccountID), when known:
	// empty without Options.Accounts.
	AccountID string
	// Reason is Classify(err).Code of a failure (such as "state_invalid",
	// "declined", "upstream"); empty on success.
	Reason string
	// Op is the API call of an EventUpstreamCall: "exchange", "refresh",
	// "auth", "userinfo", "stable_token" (the app access token), or "api"
	// for the requests of Auth.Client and of the app clients.
	Op string
	// Duration is how long an EventUpstreamCall took.
	Duration time.Duration
}

// emit hands e to Options.OnEvent, if set.
func (a *Auth) emit(ctx context.Context, e Event) {
	if a.opts.OnEvent != nil {
		a.opts.OnEvent(ctx, e)
	}
}

// userEvent is an event of kind about the user u.
func userEvent(kind EventKind, u *User) Event {
	return Event{Kind: kind, AppID: u.AppID, OpenID: u.OpenID, AccountID: u.AccountID}
}

// failedLogin is the EventLoginFailed of err, a login of appID ("" when
// unknown) that failed: with the identity err carries, if any.
func failedLogin(appID string, err error) Event {
	e := Event{Kind: EventLoginFailed, AppID: appID, Reason: reason(err)}
	var id *identifiedError
	if errors.As(err, &id) {
		if id.appID != "" {
			e.AppID = id.appID
		}
		e.OpenID, e.AccountID = id.openID, id.accountID
	}
	return e
}

// identifiedError is a login's failure once it is known whose login it
// was: it carries the identity to the EventLoginFailed. Its message and
// chain are those of err.
type identifiedError struct {
	err                      error
	appID, openID, accountID string
}

func (e *identifiedError) Error() string { return e.err.Error() }
func (e *identifiedError) Unwrap() error { return e.err }

// withIdentity returns err carrying the identity of the application
// appID and, when u is not nil, of the user u; err as it is when it is
// nil or carries an identity already (the deepest knows best).
func withIdentity(err error, appID string, u *User) error {
	var id *identifiedError
	if err == nil || errors.As(err, &id) {
		return err
	}
	e := &identifiedError{err: err, appID: appID}
	if u != nil {
		e.appID, e.openID, e.accountID = u.AppID, u.OpenID, u.AccountID
	}
	return e
}

// reason is the Reason of an event about err.
func reason(err error) string {
	if err == nil {
		return ""
	}
	return Classify(err).Code
}

// reportCalls returns a copy of c (nil: nil) whose OnCall also reports
// each call to WeChat's API as an EventUpstreamCall.
func (a *Auth) reportCalls(c *weixin.Config) *weixin.Config {
	if c == nil {
		return nil
	}
	cp := *c
	then := c.OnCall
	cp.OnCall = func(ctx context.Context, op string, d time.Duration, err error) {
		if then != nil {
			then(ctx, op, d, err)
		}
		a.emit(ctx, Event{Kind: EventUpstreamCall, AppID: cp.AppID, Op: op, Duration: d, Reason: reason(err)})
	}
	return &cp
}
