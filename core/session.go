package core

import (
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"
)

// The session keys wxlogin uses; an app's own keys must not start with
// "wxlogin.".
const (
	keyUser    = "wxlogin.user"
	keyToken   = "wxlogin.token"
	keyPending = "wxlogin.pending"
	keyDone    = "wxlogin.done"
)

// maxPending is how many logins may be in flight in one browser (tabs);
// beginning one more forgets the oldest.
const maxPending = 8

// maxDone is how many completed logins a session remembers, so that a
// repeated callback (a reload, a double redirect) continues instead of
// failing.
const maxDone = 4

// pendingLogin is a login begun in this browser and not yet called back.
type pendingLogin struct {
	State    string
	AppID    string
	ReturnTo string
	Expires  time.Time
}

// doneLogin is a login completed in this session.
type doneLogin struct {
	State    string
	ReturnTo string
}

func init() {
	// scs' default codec is encoding/gob: it must know the concrete
	// types stored behind interface values.
	gob.Register(&User{})
	gob.Register(&Token{})
	gob.Register([]pendingLogin(nil))
	gob.Register([]doneLogin(nil))
}

func (a *Auth) sessionUser(ctx context.Context) *User {
	u, _ := a.sessions.Get(ctx, keyUser).(*User)
	return u
}

func (a *Auth) sessionToken(ctx context.Context) *Token {
	t, _ := decodeLazy(a.sessions.Get(ctx, keyToken)).(*Token)
	return t
}

func (a *Auth) pending(ctx context.Context) []pendingLogin {
	p, _ := decodeLazy(a.sessions.Get(ctx, keyPending)).([]pendingLogin)
	return p
}

func (a *Auth) done(ctx context.Context) []doneLogin {
	d, _ := decodeLazy(a.sessions.Get(ctx, keyDone)).([]doneLogin)
	return d
}

// putPending stores p, or removes the key when p is empty.
func (a *Auth) putPending(ctx context.Context, p []pendingLogin) {
	if len(p) == 0 {
		a.sessions.Remove(ctx, keyPending)
		return
	}
	a.sessions.Put(ctx, keyPending, p)
}

// ErrSessionStore means the session store failed (Redis down or slow):
// the request cannot be served now, but nobody was logged out.
var ErrSessionStore = errors.New("wxlogin: session store unavailable")

// LoadSession loads the session whose cookie value is token into ctx, as
// scs' LoadAndSave does, for adapters that cannot use that middleware as
// it is (Gin writes through its own ResponseWriter; Fiber is not
// net/http). Errors wrap ErrSessionStore.
func (a *Auth) LoadSession(ctx context.Context, token string) (context.Context, error) {
	sctx, err := a.sessions.Load(ctx, token)
	if err != nil {
		return nil, a.storeFailed(ctx, err)
	}
	return sctx, nil
}

// SaveSession commits the session in ctx when it changed and returns the
// headers to add to the response (Set-Cookie and its Cache-Control), nil
// when there are none: the ones scs' LoadAndSave would write. Errors wrap
// ErrSessionStore.
func (a *Auth) SaveSession(ctx context.Context) (http.Header, error) {
	var token string
	var expiry time.Time
	switch a.sessions.Status(ctx) {
	case scs.Modified:
		var err error
		if token, expiry, err = a.sessions.Commit(ctx); err != nil {
			return nil, a.storeFailed(ctx, err)
		}
	case scs.Destroyed:
	default:
		return nil, nil
	}
	h := headerWriter{}
	a.sessions.WriteSessionCookie(ctx, h, token, expiry)
	return http.Header(h), nil
}

// storeFailed logs a failure of the session store and wraps it with
// ErrSessionStore.
func (a *Auth) storeFailed(ctx context.Context, err error) error {
	err = fmt.Errorf("%w: %w", ErrSessionStore, err)
	a.opts.Logger.LogAttrs(ctx, slog.LevelError, "wxlogin: session store failed", slog.String("error", err.Error()))
	return err
}

// headerWriter is an http.ResponseWriter that keeps only headers: it
// lets scs write the session cookie exactly as it does for net/http.
type headerWriter http.Header

func (h headerWriter) Header() http.Header         { return http.Header(h) }
func (h headerWriter) Write(b []byte) (int, error) { return len(b), nil }
func (h headerWriter) WriteHeader(int)             {}

// SessionCookieName returns the name of the session cookie.
func (a *Auth) SessionCookieName() string { return a.sessions.Cookie.Name }
