package core

import (
	"context"
	"encoding/gob"
	"time"
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
