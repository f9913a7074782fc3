package core

import (
	"context"
	"errors"
	"log/slog"
)

// ErrNoSession means a wxlogin handler ran on a request whose context
// holds no scs session: the adapter's Sessions middleware (or scs'
// LoadAndSave) is not mounted around it. Classify maps it to 500.
var ErrNoSession = errors.New("wxlogin: no session in the request's context: " +
	"mount the Sessions middleware around every wxlogin route " +
	"(nethttpmw: http.ListenAndServe(addr, h.Sessions(mux)); ginmw: r.Use(h.Sessions); fibermw: app.Use(h.Sessions); " +
	"core alone: scs' LoadAndSave)")

// scsNoSession is what scs panics with when ctx holds no session.
const scsNoSession = "scs: no session data in context"

// hasSession reports whether ctx holds a session of the Auth's manager.
// scs' Load returns ctx itself when it already holds one, and otherwise a
// new context with an empty session, without touching the store.
func (a *Auth) hasSession(ctx context.Context) bool {
	c, err := a.sessions.Load(ctx, "")
	return err == nil && c == ctx
}

// CheckSession returns nil when ctx holds the request's session, and
// otherwise logs, at level Error, a line that names the fix and returns
// ErrNoSession. The login, callback and logout responses and Token call
// it, so that a forgotten Sessions middleware answers 500 with that log
// line instead of scs' panic "no session data in context"; the adapters'
// RequireWeixinUser calls it when CurrentUser finds no user.
func (a kit) CheckSession(ctx context.Context) error { return a.checkSession(ctx) }

func (a *Auth) checkSession(ctx context.Context) error {
	if a.hasSession(ctx) {
		return nil
	}
	a.opts.Logger.LogAttrs(ctx, slog.LevelError, ErrNoSession.Error())
	return ErrNoSession
}
