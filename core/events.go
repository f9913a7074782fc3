package core

import (
	"context"
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
// (Options.OnEvent). It never holds a secret, a code, a token or a state.
type Event struct {
	// Kind is what happened.
	Kind EventKind
	// AppID is the application involved, when known.
	AppID string
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
