package core

import (
	"context"
	"errors"
	"time"
)

// ErrNoLink is returned by a LinkStore's Get when it holds no record of
// the key.
var ErrNoLink = errors.New("wxlogin: no such link")

// A LinkKey names a record of a LinkStore: an identity (AppID and
// OpenID, UnionID empty), or, with AppID and OpenID empty, the record of
// the account that holds UnionID.
type LinkKey struct {
	AppID, OpenID, UnionID string
}

// IdentityKey is the key of the identity (appID, openID).
func IdentityKey(appID, openID string) LinkKey { return LinkKey{AppID: appID, OpenID: openID} }

// UnionKey is the key of the record of the account holding unionID.
func UnionKey(unionID string) LinkKey { return LinkKey{UnionID: unionID} }

// IsUnion reports whether k names a unionid's record.
func (k LinkKey) IsUnion() bool { return k.AppID == "" && k.OpenID == "" }

// Link is a record of a LinkStore: either an identity's link to an
// account (AppID and OpenID set; UnionID the unionid it was linked with,
// empty when WeChat gave none yet), or the record saying which account
// holds a unionid (AppID and OpenID empty).
//
// A record whose AccountID is empty is a claim: the login holding Claim
// is creating the account (Accounts.NewAccount) and will Settle it.
// Other logins of the same person wait for it, so that simultaneous
// first logins create exactly one account.
type Link struct {
	// AppID and OpenID are the identity; empty for a unionid's record.
	AppID, OpenID string
	// UnionID is the identity's unionid, or the unionid held.
	UnionID string
	// AccountID is the app's account; empty while claimed.
	AccountID string
	// Claim is the random token of the login creating the account;
	// empty once settled.
	Claim string
	// ClaimedAt is when the claim was made (zero once settled).
	ClaimedAt time.Time
	// Created is when the record was made.
	Created time.Time
	// Seen is when the identity last logged in, to the hour
	// (Accounts.SeenEvery); Created for a unionid's record.
	Seen time.Time
}

// Key returns the key of l.
func (l Link) Key() LinkKey {
	if l.AppID == "" && l.OpenID == "" {
		return UnionKey(l.UnionID)
	}
	return IdentityKey(l.AppID, l.OpenID)
}

// Merge describes the join of an identity, now bringing UnionID, into
// the account Into that holds that unionid, leaving From.
type Merge struct {
	// AppID and OpenID are the identity.
	AppID, OpenID string
	// UnionID is the unionid it now brings.
	UnionID string
	// From is the account it was linked to; Into the account holding
	// UnionID.
	From, Into string
}

// LinkStore keeps the links of Accounts. Each method is atomic on its
// own: a store is correct under concurrency (several goroutines and
// several instances sharing it) when every method behaves as if it ran
// alone. The methods that change a record are conditional (compare and
// swap): they report false, changing nothing, when the record is not in
// the state they expect, and Accounts starts over from a fresh read.
//
// core/linkstore.Memory keeps links in memory (tests, development, a
// single instance); core/linkstore keeps them in PostgreSQL or SQLite.
// internal/linktest is the contract every LinkStore must pass.
type LinkStore interface {
	// Get returns the record of k, or an error wrapping ErrNoLink. For
	// an identity it is the warm path of every returning login: one
	// lookup by primary key.
	Get(ctx context.Context, k LinkKey) (Link, error)
	// Insert adds l unless a record of l.Key() exists; it reports
	// whether it added it.
	Insert(ctx context.Context, l Link) (bool, error)
	// Settle sets the account of the claimed record k, if it is still
	// claimed with claim, and clears the claim.
	Settle(ctx context.Context, k LinkKey, claim, accountID string) (bool, error)
	// Release deletes the record k if it is still claimed with claim (a
	// failed or abandoned account creation).
	Release(ctx context.Context, k LinkKey, claim string) (bool, error)
	// Bind sets the unionid of the identity (appID, openID) if it has
	// none and is linked to accountID.
	Bind(ctx context.Context, appID, openID, accountID, unionID string) (bool, error)
	// Merge, if the identity (m.AppID, m.OpenID) has no unionid and is
	// linked to m.From, gives it m.UnionID and re-points it, every other
	// identity linked to m.From and every unionid m.From holds to
	// m.Into, all at once.
	Merge(ctx context.Context, m Merge) (bool, error)
	// Touch sets the time the identity (appID, openID) was last seen.
	Touch(ctx context.Context, appID, openID string, seen time.Time) error
}
