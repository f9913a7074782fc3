// Package memstore is the in-memory session store of wxlogin: an scs
// store, like scs' own memstore, whose deletes are final (a
// core.FinalDeleteStore) and which can leave a note in a deleted
// session's place (a core.ForwardingStore). core.New puts one in place of
// scs' default memstore; use core/redisstore when the app runs on more
// than one instance.
package memstore

import (
	"context"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
)

// Store is an in-memory scs store, like scs' memstore, whose
// deletes are final (see core.FinalDeleteStore): Delete leaves a tombstone in
// the session's place until the session would have expired, and Commit
// does not overwrite a tombstone, which lasts at least
// MinTombstoneLifetime. It is a core.ForwardingStore. Expired sessions and tombstones are
// removed at most a minute after they expire, while the store is in use;
// no goroutine runs in the background.
//
// core.New puts a Store in place of scs' default memstore.
type Store struct {
	mu        sync.Mutex
	items     map[string]memItem
	nextSweep time.Time
}

type memItem struct {
	b      []byte // nil for a tombstone
	expiry time.Time
	// note is what Find answers for a tombstone until noteExpiry (see
	// ForwardingStore).
	note       []byte
	noteExpiry time.Time
}

// memSweepInterval is how often a Store forgets what has expired.
const memSweepInterval = time.Minute

// New returns an empty Store.
func New() *Store {
	return &Store{items: make(map[string]memItem)}
}

// FinalDeletes marks the store as a core.FinalDeleteStore.
func (m *Store) FinalDeletes() {}

// Find returns the data of the session token, and whether it exists: a
// deleted or expired session does not.
func (m *Store) Find(token string) ([]byte, bool, error) {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	it, ok := m.items[token]
	if !ok || !now.Before(it.expiry) {
		return nil, false, nil
	}
	if it.b == nil {
		if it.note != nil && now.Before(it.noteExpiry) {
			return it.note, true, nil
		}
		return nil, false, nil
	}
	return it.b, true, nil
}

// Commit stores b as the data of the session token until expiry, unless
// the token was deleted: then it does nothing.
func (m *Store) Commit(token string, b []byte, expiry time.Time) error {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	if it, ok := m.items[token]; ok && it.b == nil && now.Before(it.expiry) {
		return nil // deleted: the session is over
	}
	if b == nil {
		b = []byte{}
	}
	m.items[token] = memItem{b: b, expiry: expiry}
	return nil
}

// Delete ends the session token for good: a tombstone replaces it until
// it would have expired, and at least MinTombstoneLifetime.
func (m *Store) Delete(token string) error {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	if it, ok := m.items[token]; ok && it.b != nil && now.Before(it.expiry) {
		m.items[token] = memItem{expiry: tombstoneExpiry(now, it.expiry)}
	}
	return nil
}

// DeleteWithNote implements ForwardingStore.
func (m *Store) DeleteWithNote(_ context.Context, token string, note []byte, noteExpiry time.Time) error {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	it := m.items[token]
	m.items[token] = memItem{expiry: tombstoneExpiry(now, it.expiry), note: append([]byte(nil), note...), noteExpiry: noteExpiry}
	return nil
}

// tombstoneExpiry is when a tombstone put at now in place of a session
// expiring at expiry may go: see MinTombstoneLifetime.
func tombstoneExpiry(now, expiry time.Time) time.Time {
	if min := now.Add(MinTombstoneLifetime); expiry.Before(min) {
		return min
	}
	return expiry
}

// All returns every live session, for scs' Iterate.
func (m *Store) All() (map[string][]byte, error) {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	all := make(map[string][]byte, len(m.items))
	for token, it := range m.items {
		if it.b != nil && now.Before(it.expiry) {
			all[token] = it.b
		}
	}
	return all, nil
}

// Len returns how many sessions and tombstones the store holds, expired
// ones not yet forgotten included.
func (m *Store) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items)
}

// FindCtx is Find, for scs' CtxStore.
func (m *Store) FindCtx(_ context.Context, token string) ([]byte, bool, error) {
	return m.Find(token)
}

// CommitCtx is Commit, for scs' CtxStore.
func (m *Store) CommitCtx(_ context.Context, token string, b []byte, expiry time.Time) error {
	return m.Commit(token, b, expiry)
}

// DeleteCtx is Delete, for scs' CtxStore.
func (m *Store) DeleteCtx(_ context.Context, token string) error {
	return m.Delete(token)
}

// sweep forgets what has expired, at most once per memSweepInterval.
func (m *Store) sweep(now time.Time) {
	if now.Before(m.nextSweep) {
		return
	}
	m.nextSweep = now.Add(memSweepInterval)
	for token, it := range m.items {
		if !now.Before(it.expiry) {
			delete(m.items, token)
		}
	}
}

// MinTombstoneLifetime is the shortest time a final-delete store of
// wxlogin keeps a tombstone: at least the deleted session's remaining
// lifetime, and never less than this. A request that loaded the session
// before the delete commits it before its response's headers go out;
// under an IdleTimeout the session's remaining lifetime can be seconds,
// shorter than such a request may take, while no request takes an hour
// to send its headers.
const MinTombstoneLifetime = time.Hour

var _ scs.CtxStore = (*Store)(nil)
