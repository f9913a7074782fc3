package core

import (
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/wxlogin/wxlogin/core/weixin"
)

// The session keys wxlogin uses; an app's own keys must not start with
// "wxlogin.".
const (
	keyUser    = "wxlogin.user"
	keyToken   = "wxlogin.token"
	keyPending = "wxlogin.pending"
	keyDone    = "wxlogin.done"
	keyBrief   = "wxlogin.brief"
	// keyForward is the note a pre-login session leaves (forward.go).
	keyForward = "wxlogin.forward"
	// keyHandover marks a request whose browser takes over another
	// session (forward.go); SaveSession reads it.
	keyHandover = "wxlogin.handover"
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
	gob.Register(&weixin.Token{})
	gob.Register([]pendingLogin(nil))
	gob.Register([]doneLogin(nil))
}

func (a *Auth) sessionUser(ctx context.Context) *User {
	u, _ := a.sessions.Get(ctx, keyUser).(*User)
	return u
}

func (a *Auth) sessionToken(ctx context.Context) *weixin.Token {
	t, _ := decodeLazy(a.sessions.Get(ctx, keyToken)).(*weixin.Token)
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

// limitAnonymous shortens the life of a session that holds nothing but
// pending logins to the state lifetime, so that a visitor who begins a
// login and never completes it costs the store nothing after that. It
// marks the session, so that keepAppData can give it back its full
// lifetime when the app stores data of its own in it; a completed login
// renews the session with the full lifetime anyway.
func (a *Auth) limitAnonymous(ctx context.Context) {
	if a.sessions.Exists(ctx, keyUser) {
		return
	}
	for _, k := range a.sessions.Keys(ctx) {
		if !strings.HasPrefix(k, "wxlogin.") {
			return
		}
	}
	// The store's clock, as scs' own deadlines: not Options.Now.
	deadline := time.Now().Add(a.opts.StateLifetime).UTC()
	if deadline.Before(a.sessions.Deadline(ctx)) {
		a.sessions.SetDeadline(ctx, deadline)
		a.sessions.Put(ctx, keyBrief, true)
	}
}

// keepAppData gives a session that limitAnonymous shortened the full
// lifetime again once it holds data that is not wxlogin's (or a login),
// before it is saved.
func (a *Auth) keepAppData(ctx context.Context) {
	if !a.sessions.Exists(ctx, keyBrief) {
		return
	}
	for _, k := range a.sessions.Keys(ctx) {
		if k == keyUser || !strings.HasPrefix(k, "wxlogin.") {
			a.sessions.Remove(ctx, keyBrief)
			a.sessions.SetDeadline(ctx, time.Now().Add(a.sessions.Lifetime).UTC())
			return
		}
	}
}

// ErrSessionStore means the session store failed (Redis down or slow):
// the request cannot be served now, but nobody was logged out.
var ErrSessionStore = errors.New("wxlogin: session store unavailable")

// LoadSession loads the session whose cookie value is token into ctx, as
// scs' LoadAndSave does, for the adapters' Sessions middleware. Session
// data the codec cannot decode (ErrSessionUnreadable) counts as no
// session for this request: a fresh session is loaded, and a warning is
// logged without the data. The data is left alone when another version
// of the app may read it (a gob type or a format this program does not
// know, during a rolling deploy: the instances that know it keep the
// user logged in); it is deleted only when it is corrupt for everyone
// (ErrSessionCorrupt: cut short, garbage), so that the browser is not
// served an unreadable session until it expires. Other errors are the
// store's and wrap ErrSessionStore.
func (a kit) LoadSession(ctx context.Context, token string) (context.Context, error) {
	sctx, err := a.sessions.Load(ctx, token)
	if err == nil {
		return sctx, nil
	}
	if !errors.Is(err, ErrSessionUnreadable) {
		return nil, a.storeFailed(ctx, err)
	}
	if errors.Is(err, ErrSessionCorrupt) {
		a.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "wxlogin: corrupt session data deleted; the visitor starts a new session",
			slog.String("error", err.Error()))
		if err := a.deleteSession(ctx, token); err != nil {
			return nil, a.storeFailed(ctx, err)
		}
	} else {
		a.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "wxlogin: unreadable session data (another version of the app?) left alone; this request has no session",
			slog.String("error", err.Error()))
	}
	sctx, err = a.sessions.Load(ctx, "")
	if err != nil {
		return nil, a.storeFailed(ctx, err)
	}
	return sctx, nil
}

// deleteSession deletes the session token from the store.
func (a *Auth) deleteSession(ctx context.Context, token string) error {
	if cs, ok := a.sessions.Store.(scs.CtxStore); ok {
		return cs.DeleteCtx(ctx, token)
	}
	return a.sessions.Store.Delete(token)
}

// SaveSession commits the session in ctx when it changed and returns the
// headers to add to the response (Set-Cookie and its Cache-Control), nil
// when there are none: the ones scs' LoadAndSave would write. A bearer
// session (LoadBearerSession) is committed without any header. Errors
// wrap ErrSessionStore.
func (a kit) SaveSession(ctx context.Context) (http.Header, error) {
	var token string
	var expiry time.Time
	switch a.sessions.Status(ctx) {
	case scs.Modified:
		if isBearer(ctx) && a.sessions.Token(ctx) == "" {
			return nil, nil // no session answered the bearer token: nobody could address a new one
		}
		if to, exp, ok := a.handover(ctx); ok {
			// A second callback of a login: the browser takes over the
			// login's session, and the pre-login one stays deleted.
			h := headerWriter{}
			a.sessions.WriteSessionCookie(ctx, h, to, exp)
			return http.Header(h), nil
		}
		a.keepAppData(ctx)
		var err error
		if token, expiry, err = a.sessions.Commit(ctx); err != nil {
			return nil, a.storeFailed(ctx, err)
		}
	case scs.Destroyed:
	default:
		return nil, nil
	}
	if isBearer(ctx) {
		return nil, nil // the client holds the token: no cookie
	}
	h := headerWriter{}
	a.sessions.WriteSessionCookie(ctx, h, token, expiry)
	return http.Header(h), nil
}

// CommitSession saves the session of r (loaded by LoadSession) and adds
// its cookie headers to w, for a Sessions middleware to call just before
// the response's headers go out. When the store fails it writes the 503
// error page to w instead, in place of the headers the handler set, and
// returns false: the handler's own response must then be dropped, so
// that no login looks successful without its session.
func (a kit) CommitSession(w http.ResponseWriter, r *http.Request) bool {
	hdr, err := a.SaveSession(r.Context())
	if err != nil {
		clear(w.Header()) // the handler's Location, cookies and type go too
		a.ErrorResponse(r.Context(), err).ServeHTTP(w, r)
		return false
	}
	for k, v := range hdr {
		w.Header()[k] = append(w.Header()[k], v...)
	}
	return true
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
func (a kit) SessionCookieName() string { return a.sessions.Cookie.Name }
