package core

import (
	"context"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/wxlogin/wxlogin/core/memstore"
)

// FinalDeleteStore is an scs store whose deletes are final: once a
// token is deleted, Commit never stores it again and Find never finds it.
//
// scs is last-write-wins: a request that loaded a session before a
// logout destroyed it writes the session back when it commits, undoing
// the logout. A FinalDeleteStore refuses that write (Commit of a deleted
// token does nothing and returns nil), so a logout holds however many
// requests race it. core/memstore and core/redisstore are
// FinalDeleteStores; New warns when Options.Sessions uses a store that
// is not.
type FinalDeleteStore interface {
	scs.Store
	// FinalDeletes marks the store as keeping deletes final.
	FinalDeletes()
}

// MinTombstoneLifetime is the shortest time a FinalDeleteStore of
// wxlogin (core/memstore, core/redisstore) keeps a tombstone: at least
// the deleted session's remaining lifetime, and never less than this. A
// request that loaded the session before the delete commits it before
// its response's headers go out; under an IdleTimeout the session's
// remaining lifetime can be seconds, shorter than such a request may
// take, while no request takes an hour to send its headers.
const MinTombstoneLifetime = memstore.MinTombstoneLifetime

// ForwardingStore is a FinalDeleteStore that can leave a note in a
// deleted session's place for a short while. A login uses it when WeChat
// redirects to the callback twice (see Auth.CompleteLogin): the
// pre-login session is deleted as any renewed session id is, and its
// note tells the second callback, which still carries the pre-login
// cookie, where the login went. The note grants nothing by itself: it
// holds no user, and the second callback must show a code of the same
// user to follow it. core/memstore and core/redisstore are
// ForwardingStores.
type ForwardingStore interface {
	FinalDeleteStore
	// DeleteWithNote deletes token as Delete does (no Commit writes it
	// again) and, until noteExpiry, Find of token answers note as the
	// session's data.
	DeleteWithNote(ctx context.Context, token string, note []byte, noteExpiry time.Time) error
}
