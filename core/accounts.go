package core

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/wxlogin/wxlogin/core/weixin"
)

// Errors of account linking.
var (
	// ErrIdentityConflict: an identity (appid, openid) arrived with a
	// unionid other than the one it was linked with. The login is
	// refused (409) and nothing is re-pointed.
	ErrIdentityConflict = errors.New("wxlogin: this WeChat identity arrived with another unionid than the one it is linked with")
	// ErrLinkStore: the LinkStore failed (503).
	ErrLinkStore = errors.New("wxlogin: the account link store failed")
)

// Defaults of Accounts.
const (
	// DefaultClaimTimeout is how long a login may take to create an
	// account before another login of the same person takes over.
	DefaultClaimTimeout = 15 * time.Second
	// DefaultSeenEvery is how stale an identity's Seen may get before a
	// login updates it: a returning login within it costs one read.
	DefaultSeenEvery = time.Hour
)

// Accounts links every WeChat identity that logs in to one of the app's
// accounts (one person, one account), whatever the door: website,
// official account, mini program, mobile app. Set it as
// Options.Accounts: each login's User gets its AccountID before
// Options.OnLogin runs.
//
// The app owns its accounts: Accounts asks NewAccount to create one and
// tells OnMerge when two become one; it keeps only the links (appid,
// openid, unionid, account id, times) in Store. The rules:
//
//   - a known identity (appid, openid) is its account, found with one
//     indexed lookup;
//   - a new identity whose unionid an account already holds joins it;
//   - a new identity with a unionid nobody holds gets a new account,
//     which holds the unionid;
//   - a new identity without a unionid (an app not bound to the open
//     platform, snsapi_base) gets its own account, found again by
//     (appid, openid);
//   - a known identity that now brings a unionid (its app was bound to
//     the open platform later) joins the account holding that unionid,
//     OnMerge(its old account, that account) running first; when nobody
//     holds it, its account keeps it. Every later login of that person,
//     by any door, answers one account;
//   - a known identity bringing another unionid than the one it was
//     linked with is refused with ErrIdentityConflict (409), a warning
//     is logged, nothing changes;
//   - snapshot-page visitors (weixin.ErrSnapshotUser) and the apps listed in
//     TestAppIDs get no link at all (AccountID stays empty);
//   - simultaneous first logins of one person, through several doors or
//     instances, create exactly one account: the first claims the
//     unionid (or identity) in Store, the others wait until it settles.
//
// An Accounts is safe for concurrent use once set up.
type Accounts struct {
	// Store keeps the links. Required. Use one store shared by every
	// instance: core/linkstore.NewMemory only for one instance or tests.
	Store LinkStore
	// NewAccount creates an account for u, the first identity of a
	// person to log in, and returns its id (not empty). Required. It runs
	// once per account: simultaneous logins of the same person wait for
	// it. An error fails the login and leaves no link.
	NewAccount func(ctx context.Context, u *User) (string, error)
	// OnMerge, if set, runs when the account from joins the account
	// into, before the links move: the app moves from's data into into.
	// An error fails the login and moves nothing (the next login tries
	// again). It may run more than once for one pair when logins race:
	// make it idempotent.
	OnMerge func(ctx context.Context, from, into string) error
	// OnPhone, if set, receives the user of a mini program login who
	// shared their phone number (Auth.BindPhone), with AccountID, Phone
	// and CountryCode set, so that the app can keep the phone on the
	// account. An error fails the binding, which the session then does
	// not keep either.
	OnPhone func(ctx context.Context, u *User) error
	// TestAppIDs are the appids of WeChat test accounts (测试号, the
	// sandbox of mp.weixin.qq.com): their openids belong to no
	// open-platform account and are not worth an account; their logins
	// get no link and no AccountID.
	TestAppIDs []string
	// ClaimTimeout is how long a login may take to create an account
	// before another login of the same person takes over (the first one's
	// account is then left unused). Default DefaultClaimTimeout.
	ClaimTimeout time.Duration
	// SeenEvery is how stale an identity's Seen may get before a login
	// updates it. Default DefaultSeenEvery.
	SeenEvery time.Duration
	// Now is the clock of the links' times. Default: Options.Now in an
	// Auth, else time.Now.
	Now func() time.Time
	// Logger receives the warning of an ErrIdentityConflict (the appid,
	// never an openid or unionid). Default: Options.Logger in an Auth,
	// else slog.Default().
	Logger *slog.Logger
}

// maxLinkRounds bounds the rounds of one Resolve: each round that does
// not finish is another login's progress.
const maxLinkRounds = 64

// Resolve links u's identity to an account, sets u.AccountID and
// returns it. tok, if not nil, is the login's token: a snapshot-page
// visitor's is refused with weixin.ErrSnapshotUser. For an app of TestAppIDs it
// returns "" and links nothing. Errors wrap ErrIdentityConflict,
// ErrLinkStore, or NewAccount's and OnMerge's.
func (a *Accounts) Resolve(ctx context.Context, u *User, tok *weixin.Token) (string, error) {
	now, logger := a.Now, a.Logger
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.Default()
	}
	return a.resolve(ctx, u, tok, now, logger)
}

func (a *Accounts) resolve(ctx context.Context, u *User, tok *weixin.Token, now func() time.Time, logger *slog.Logger) (string, error) {
	if tok != nil && tok.IsSnapshotUser {
		return "", weixin.ErrSnapshotUser
	}
	if u.AppID == "" || u.OpenID == "" {
		return "", errors.New("wxlogin: account linking needs the user's AppID and OpenID")
	}
	if a.Store == nil || a.NewAccount == nil {
		return "", errors.New("wxlogin: Accounts needs Store and NewAccount")
	}
	if slices.Contains(a.TestAppIDs, u.AppID) {
		return "", nil
	}
	r := resolver{a: a, u: u, now: now, logger: logger}
	id, err := r.run(ctx)
	if err != nil {
		return "", err
	}
	u.AccountID = id
	return id, nil
}

// resolver is one Resolve.
type resolver struct {
	a       *Accounts
	u       *User
	now     func() time.Time
	logger  *slog.Logger
	waited  time.Duration
	pending bool // the last round waited for a claim
}

func (r *resolver) run(ctx context.Context) (string, error) {
	for range maxLinkRounds {
		id, done, err := r.round(ctx)
		if err != nil || done {
			return id, err
		}
		if r.pending {
			if err := r.wait(ctx); err != nil {
				return "", err
			}
		}
	}
	return "", fmt.Errorf("%w: gave up linking after %d rounds of concurrent changes", ErrLinkStore, maxLinkRounds)
}

// round makes one attempt from a fresh read: done with the account id,
// or not done when another login changed the links meanwhile.
func (r *resolver) round(ctx context.Context) (id string, done bool, err error) {
	r.pending = false
	u, st := r.u, r.a.Store
	l, err := st.Get(ctx, IdentityKey(u.AppID, u.OpenID))
	switch {
	case errors.Is(err, ErrNoLink):
		if u.UnionID == "" {
			return r.create(ctx, IdentityKey(u.AppID, u.OpenID))
		}
		h, err := st.Get(ctx, UnionKey(u.UnionID))
		switch {
		case errors.Is(err, ErrNoLink):
			return r.create(ctx, UnionKey(u.UnionID))
		case err != nil:
			return "", false, storeErr(err)
		case h.AccountID == "":
			return "", false, r.claimed(ctx, h)
		}
		ok, err := st.Insert(ctx, r.link(h.AccountID))
		if err != nil {
			return "", false, storeErr(err)
		}
		return h.AccountID, ok, nil
	case err != nil:
		return "", false, storeErr(err)
	case l.AccountID == "":
		return "", false, r.claimed(ctx, l)
	case u.UnionID == "" || u.UnionID == l.UnionID:
		if r.now().Sub(l.Seen) >= r.seenEvery() {
			if err := st.Touch(ctx, u.AppID, u.OpenID, r.now()); err != nil {
				return "", false, storeErr(err)
			}
		}
		return l.AccountID, true, nil
	case l.UnionID != "":
		r.logger.LogAttrs(ctx, slog.LevelWarn, "wxlogin: login refused: the identity came with another unionid than the one it is linked with; nothing re-pointed",
			slog.String("appid", u.AppID))
		return "", false, ErrIdentityConflict
	}
	// Known, and now bringing a unionid: bound to the open platform later.
	h, err := st.Get(ctx, UnionKey(u.UnionID))
	switch {
	case errors.Is(err, ErrNoLink):
		// Nobody holds it: this account does.
		ok, err := st.Insert(ctx, Link{UnionID: u.UnionID, AccountID: l.AccountID, Created: r.now(), Seen: r.now()})
		if err != nil || !ok {
			return "", false, storeErr(err)
		}
		ok, err = st.Bind(ctx, u.AppID, u.OpenID, l.AccountID, u.UnionID)
		return l.AccountID, ok, storeErr(err)
	case err != nil:
		return "", false, storeErr(err)
	case h.AccountID == "":
		return "", false, r.claimed(ctx, h)
	case h.AccountID == l.AccountID:
		ok, err := st.Bind(ctx, u.AppID, u.OpenID, l.AccountID, u.UnionID)
		return l.AccountID, ok, storeErr(err)
	}
	if r.a.OnMerge != nil {
		if err := r.a.OnMerge(ctx, l.AccountID, h.AccountID); err != nil {
			return "", false, fmt.Errorf("wxlogin: merging two accounts: %w", err)
		}
	}
	ok, err := st.Merge(ctx, Merge{AppID: u.AppID, OpenID: u.OpenID, UnionID: u.UnionID, From: l.AccountID, Into: h.AccountID})
	return h.AccountID, ok, storeErr(err)
}

// create claims k, creates the account and settles the claim.
func (r *resolver) create(ctx context.Context, k LinkKey) (string, bool, error) {
	st, now := r.a.Store, r.now()
	claim := rand.Text()
	rec := Link{AppID: k.AppID, OpenID: k.OpenID, UnionID: k.UnionID, Claim: claim, ClaimedAt: now, Created: now, Seen: now}
	if ok, err := st.Insert(ctx, rec); err != nil || !ok {
		return "", false, storeErr(err)
	}
	u := *r.u
	id, err := r.a.NewAccount(ctx, &u)
	if err == nil && id == "" {
		err = errors.New("NewAccount returned an empty id")
	}
	if err != nil {
		// Detached: the claim must go even when ctx is done.
		if _, rerr := st.Release(context.WithoutCancel(ctx), k, claim); rerr != nil {
			r.logger.LogAttrs(ctx, slog.LevelWarn, "wxlogin: releasing an account claim failed", slog.String("error", rerr.Error()))
		}
		return "", false, fmt.Errorf("wxlogin: creating an account: %w", err)
	}
	ok, err := st.Settle(ctx, k, claim, id)
	if err != nil {
		return "", false, storeErr(err)
	}
	if !ok {
		r.logger.LogAttrs(ctx, slog.LevelWarn, "wxlogin: an account was created too slowly (Accounts.ClaimTimeout); another login took over and this account is left unused",
			slog.String("appid", r.u.AppID))
		return "", false, nil
	}
	if !k.IsUnion() {
		return id, true, nil
	}
	ok, err = st.Insert(ctx, r.link(id))
	return id, ok, storeErr(err)
}

// claimed handles a record being created by another login: wait, or
// drop the claim when it is older than ClaimTimeout.
func (r *resolver) claimed(ctx context.Context, l Link) error {
	if r.now().Sub(l.ClaimedAt) < r.claimTimeout() {
		r.pending = true
		return nil
	}
	_, err := r.a.Store.Release(ctx, l.Key(), l.Claim)
	return storeErr(err)
}

// wait sleeps before the next round, while another login creates the
// account.
func (r *resolver) wait(ctx context.Context) error {
	d := 5*time.Millisecond + r.waited/4
	d = min(d, 100*time.Millisecond)
	if r.waited > 2*r.claimTimeout() {
		return fmt.Errorf("%w: another login of this person is still creating its account", ErrLinkStore)
	}
	r.waited += d
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// link is the link of r's identity to id.
func (r *resolver) link(id string) Link {
	now := r.now()
	return Link{AppID: r.u.AppID, OpenID: r.u.OpenID, UnionID: r.u.UnionID, AccountID: id, Created: now, Seen: now}
}

func (r *resolver) claimTimeout() time.Duration {
	if r.a.ClaimTimeout > 0 {
		return r.a.ClaimTimeout
	}
	return DefaultClaimTimeout
}

func (r *resolver) seenEvery() time.Duration {
	if r.a.SeenEvery > 0 {
		return r.a.SeenEvery
	}
	return DefaultSeenEvery
}

// storeErr wraps a store's error with ErrLinkStore (nil stays nil).
func storeErr(err error) error {
	if err == nil || errors.Is(err, ErrLinkStore) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrLinkStore, err)
}
