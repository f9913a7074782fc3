package core

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/wxlogin/wxlogin/core/weixin"
)

// WeChat's double redirect.
//
// WeChat sometimes sends the browser to the callback twice in quick
// succession, with the same state and two different codes. A browser
// then starts the second navigation before the first one's answer is
// in: it drops that answer, Set-Cookie included, and sends the second
// callback with the pre-login cookie. Either callback may reach the app
// first, they may overlap, land on two instances, or come one after the
// other; the browser keeps only the answer to the last one.
//
// The design, so that both callbacks end logged in on one session and
// nobody gains a way in:
//
//   - The first callback to get a code exchanged completes the login as
//     any login does: it renews the session id (pre-login id P, new id
//     N), stores the user under N and commits N at once. P is deleted as
//     every renewed id is, but a ForwardingStore keeps a note in P's
//     place for forwardLifetime: the state, N, the hash of the code it
//     exchanged and the hash of the user's (appid, openid). The note is
//     no session: it holds no user and P logs nobody in.
//   - Another callback of the same login — one that shares the first
//     one's flight (same instance, or any instance through
//     Options.Exchanges), one that loaded P before it was deleted and
//     arrives after, or one that loads P's note — follows N only after
//     showing a code of its own: its code is exchanged (never the same
//     code twice: a code equal to the one exchanged needs no second
//     exchange, it is a reload) and must identify the same user. It then
//     takes over N: its response sets the cookie of N (SaveSession does
//     that, through the handover marker this callback puts in its
//     request's session) and nothing creates a second session. N must
//     still be live: after a logout of N the note leads nowhere.
//   - Someone who holds P and the state but no valid code of the victim
//     gets nothing: a forged code fails its exchange, and the code of
//     another user identifies someone else. Someone who holds a valid
//     code of the victim could log in as the victim anyway.
//
// The taking over needs the adapters' Sessions middleware (LoadSession
// and SaveSession): with scs' LoadAndSave, a second callback commits P,
// which stays deleted, and ends on next without a login, as before. A
// store that is no ForwardingStore keeps no note: a second callback that
// comes after the first one's answer was dropped then fails with
// ErrStateUsed (the overlapping ones still share the first's session).

// forwardLifetime is how long the note left in place of a pre-login
// session points to the session its login went to: WeChat's second
// redirect follows the first within a second.
const forwardLifetime = time.Minute

// completion is what the first callback of a login leaves for the other
// callbacks of the same login: in the note in place of the pre-login
// session, and shared through Options.Exchanges. It holds no secret: no
// token, no code, no openid (hashes only).
type completion struct {
	State    string    `json:"state"`
	AppID    string    `json:"appid"`
	Token    string    `json:"session"`  // the new session id
	Expiry   time.Time `json:"expiry"`   // its cookie's expiry
	Who      string    `json:"who"`      // hashed appid and openid
	CodeHash string    `json:"code"`     // hash of the code exchanged
	ReturnTo string    `json:"returnTo"` // where the login ends
}

// flight is the outcome of the flight of one login's callbacks.
type flight struct {
	c    *completion
	id   *identity // set for the callback that exchanged
	code string    // the code the flight used
	err  error
}

func hashOf(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:])
}

func who(appID, openID string) string { return hashOf("who", appID, openID) }
func codeHash(code string) string     { return hashOf("code", code) }

// settle runs or joins the flight of the login (appid, state): it
// returns the login's completion, and the identity when this callback is
// the one that exchanged its code and renewed the session.
func (a *Auth) settle(ctx context.Context, cfg *weixin.Config, p pendingLogin, state, code string) (*completion, *identity, error) {
	var f *flight
	var ran bool
	for range 3 {
		ran = false
		v, _, _ := a.callbacks.Do(cfg.AppID+"\x00"+state, func() (any, error) {
			ran = true
			// Detached from this request: a second callback of the same
			// login may be waiting for the result.
			return a.fly(context.WithoutCancel(ctx), cfg, p, state, code), nil
		})
		f = v.(*flight)
		if f.err != nil && !ran && f.code != code {
			continue // another callback's code failed: try this one's
		}
		break
	}
	if f.err != nil {
		return nil, nil, f.err
	}
	if !ran {
		return f.c, nil, nil // the identity is the runner's
	}
	return f.c, f.id, nil
}

// fly is the flight of one login: unless a callback of the same login
// completed it already, it exchanges code and renews the session,
// through Options.Exchanges when set.
func (a *Auth) fly(ctx context.Context, cfg *weixin.Config, p pendingLogin, state, code string) *flight {
	f := &flight{code: code}
	work := func(ctx context.Context) (*completion, error) {
		// A callback that loaded the session before another one of the
		// same login completed it follows that one.
		if c := a.storedForward(ctx, state); c != nil {
			return c, nil
		}
		id, err := a.identify(ctx, cfg, code)
		if err != nil {
			return nil, err
		}
		c, err := a.renew(ctx, id, p, state, code)
		if err != nil {
			return nil, withIdentity(err, "", id.user)
		}
		f.id = id
		return c, nil
	}
	if a.opts.Exchanges == nil {
		f.c, f.err = work(ctx)
		return f
	}
	var runErr error
	b, err := a.opts.Exchanges.Share(ctx, cfg.AppID+":"+state, func(ctx context.Context) ([]byte, error) {
		c, err := work(ctx)
		if err != nil {
			runErr = err
			return nil, err
		}
		f.c = c
		return json.Marshal(c)
	})
	switch {
	case f.c != nil: // this instance ran it: its result, even if publishing failed
		return f
	case runErr != nil:
		f.err = runErr
		return f
	case err != nil:
		f.err = fmt.Errorf("%w: sharing the code exchange: %w", ErrSessionStore, err)
		return f
	}
	var c completion
	if err := json.Unmarshal(b, &c); err != nil || c.Token == "" || c.AppID != cfg.AppID || c.State != state {
		f.err = ErrSharedExchange
		return f
	}
	f.c = &c
	return f
}

// renew completes the login in the session in ctx: the user and token
// go into it under a new session id, committed at once so that other
// callbacks of the login can take it over, and the pre-login session
// leaves a note pointing to it (see the design above).
func (a *Auth) renew(ctx context.Context, id *identity, p pendingLogin, state, code string) (*completion, error) {
	u := *id.user
	tok := *id.token
	c := &completion{
		State: state, AppID: u.AppID, Who: who(u.AppID, u.OpenID), CodeHash: codeHash(code), ReturnTo: p.ReturnTo,
	}
	old := a.sessions.Token(ctx)
	fs, forwarding := a.sessions.Store.(ForwardingStore)
	forwarding = forwarding && old != ""
	if forwarding {
		// First a note without the new id: a callback of this login
		// loading the session from now on joins this one's flight.
		a.leaveNote(ctx, fs, old, c)
	}
	if err := a.sessions.RenewToken(ctx); err != nil {
		return nil, fmt.Errorf("%w: renewing the session id: %w", ErrSessionStore, err)
	}
	a.sessions.Remove(ctx, keyBrief) // the renewed session has the full lifetime
	a.sessions.Put(ctx, keyUser, &u)
	a.sessions.Put(ctx, keyToken, &tok)
	done := append(slices.Clone(a.done(ctx)), doneLogin{State: state, ReturnTo: p.ReturnTo})
	if len(done) > maxDone {
		done = done[len(done)-maxDone:]
	}
	a.sessions.Put(ctx, keyDone, done)
	token, expiry, err := a.sessions.Commit(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSessionStore, err)
	}
	c.Token, c.Expiry = token, expiry
	if forwarding {
		a.leaveNote(ctx, fs, old, c)
	}
	return c, nil
}

// leaveNote deletes the pre-login session old, leaving c as its note.
func (a *Auth) leaveNote(ctx context.Context, fs ForwardingStore, old string, c *completion) {
	note, err := a.sessions.Codec.Encode(time.Now().Add(forwardLifetime).UTC(), map[string]any{keyForward: encodeCompletion(c)})
	if err == nil {
		err = fs.DeleteWithNote(ctx, old, note, time.Now().Add(forwardLifetime))
	}
	if err != nil {
		// The login holds; only a dropped first answer cannot be
		// recovered from.
		a.storeFailed(ctx, err)
	}
}

func encodeCompletion(c *completion) string {
	b, _ := json.Marshal(c)
	return string(b)
}

// forward returns the completion the note in ctx's session holds for
// state, if any.
func (a *Auth) forward(ctx context.Context, state string) (*completion, bool) {
	s, ok := a.sessions.Get(ctx, keyForward).(string)
	if !ok {
		return nil, false
	}
	return decodeCompletion(s, state)
}

func decodeCompletion(s, state string) (*completion, bool) {
	var c completion
	if json.Unmarshal([]byte(s), &c) != nil ||
		subtle.ConstantTimeCompare([]byte(c.State), []byte(state)) != 1 {
		return nil, false
	}
	return &c, true
}

// storedForward reads the session of ctx again from the store and
// returns its note for state, if a callback of the same login renewed
// it since ctx's request loaded it.
func (a *Auth) storedForward(ctx context.Context, state string) *completion {
	token := a.sessions.Token(ctx)
	if token == "" {
		return nil
	}
	b, found, err := a.find(ctx, token)
	if err != nil || !found {
		return nil
	}
	_, values, err := a.sessions.Codec.Decode(b)
	if err != nil {
		return nil
	}
	s, _ := values[keyForward].(string)
	if c, ok := decodeCompletion(s, state); ok && c.Token != "" {
		return c
	}
	return nil
}

// find reads the session token from the store.
func (a *Auth) find(ctx context.Context, token string) ([]byte, bool, error) {
	if cs, ok := a.sessions.Store.(scs.CtxStore); ok {
		return cs.FindCtx(ctx, token)
	}
	return a.sessions.Store.Find(token)
}

// join completes a callback of a login another callback completed: once
// code proves the same user, the browser takes over that login's
// session.
func (a *Auth) join(ctx context.Context, c *completion, code string) (*LoginResult, error) {
	if code == "" {
		return nil, ErrLoginDeclined
	}
	cfg := a.config(c.AppID)
	if cfg == nil {
		return nil, ErrNotConfigured
	}
	if subtle.ConstantTimeCompare([]byte(codeHash(code)), []byte(c.CodeHash)) != 1 {
		tok, err := cfg.Exchange(ctx, code)
		if err != nil {
			return nil, err
		}
		if tok.IsSnapshotUser || subtle.ConstantTimeCompare([]byte(who(cfg.AppID, tok.OpenID)), []byte(c.Who)) != 1 {
			return nil, ErrStateInvalid
		}
	}
	b, found, err := a.find(ctx, c.Token)
	if err != nil {
		return nil, a.storeFailed(ctx, err)
	}
	if !found {
		return nil, ErrStateUsed // logged out since
	}
	_, values, err := a.sessions.Codec.Decode(b)
	if err != nil {
		return nil, ErrStateUsed
	}
	u, _ := values[keyUser].(*User)
	if u == nil || who(u.AppID, u.OpenID) != c.Who {
		return nil, ErrStateUsed
	}
	a.sessions.Put(ctx, keyHandover, a.sessions.Token(ctx)+"\x00"+c.Token+"\x00"+strconv.FormatInt(c.Expiry.UnixNano(), 10))
	return &LoginResult{User: u, ReturnTo: c.ReturnTo, Repeated: true}, nil
}

// handover returns the session the session in ctx hands the browser
// over to (see join), if any.
func (a *Auth) handover(ctx context.Context) (token string, expiry time.Time, ok bool) {
	s, isString := a.sessions.Get(ctx, keyHandover).(string)
	if !isString {
		return "", time.Time{}, false
	}
	from, rest, _ := strings.Cut(s, "\x00")
	token, ns, _ := strings.Cut(rest, "\x00")
	n, err := strconv.ParseInt(ns, 10, 64)
	if err != nil || token == "" || from != a.sessions.Token(ctx) {
		// The app renewed the session id after the callback: its own
		// session stands.
		a.sessions.Remove(ctx, keyHandover)
		return "", time.Time{}, false
	}
	return token, time.Unix(0, n), true
}
