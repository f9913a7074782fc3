package core

import (
	"context"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
)

// FinalDeleteStore is an scs store whose deletes are final: once a
// token is deleted, Commit never stores it again and Find never finds it.
//
// scs is last-write-wins: a request that loaded a session before a
// logout destroyed it writes the session back when it commits, undoing
// the logout. A FinalDeleteStore refuses that write (Commit of a deleted
// token does nothing and returns nil), so a logout holds however many
// requests race it. MemoryStore and redisstore's store are
// FinalDeleteStores; New warns when Options.Sessions uses a store that
// is not.
type FinalDeleteStore interface {
	scs.Store
	// FinalDeletes marks the store as keeping deletes final.
	FinalDeletes()
}

// MemoryStore is an in-memory scs store, like scs' memstore, whose
// deletes are final (see FinalDeleteStore): Delete leaves a tombstone in
// the session's place until the session would have expired, and Commit
// does not overwrite a tombstone. Expired sessions and tombstones are
// removed at most a minute after they expire, while the store is in use;
// no goroutine runs in the background.
//
// New puts a MemoryStore in place of scs' default memstore.
type MemoryStore struct {
	mu        sync.Mutex
	items     map[string]memItem
	nextSweep time.Time
}

type memItem struct {
	b      []byte // nil for a tombstone
	expiry time.Time
}

// memSweepInterval is how often a MemoryStore forgets what has expired.
const memSweepInterval = time.Minute

var (
	_ FinalDeleteStore = (*MemoryStore)(nil)
	_ scs.CtxStore     = (*MemoryStore)(nil)
)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{items: make(map[string]memItem)}
}

// FinalDeletes implements FinalDeleteStore.
func (m *MemoryStore) FinalDeletes() {}

// Find returns the data of the session token, and whether it exists: a
// deleted or expired session does not.
func (m *MemoryStore) Find(token string) ([]byte, bool, error) {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	it, ok := m.items[token]
	if !ok || it.b == nil || !now.Before(it.expiry) {
		return nil, false, nil
	}
	return it.b, true, nil
}

// Commit stores b as the data of the session token until expiry, unless
// the token was deleted: then it does nothing.
func (m *MemoryStore) Commit(token string, b []byte, expiry time.Time) error {
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
// it would have expired.
func (m *MemoryStore) Delete(token string) error {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	if it, ok := m.items[token]; ok && now.Before(it.expiry) {
		m.items[token] = memItem{expiry: it.expiry}
	}
	return nil
}

// All returns every live session, for scs' Iterate.
func (m *MemoryStore) All() (map[string][]byte, error) {
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
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items)
}

// FindCtx is Find, for scs' CtxStore.
func (m *MemoryStore) FindCtx(_ context.Context, token string) ([]byte, bool, error) {
	return m.Find(token)
}

// CommitCtx is Commit, for scs' CtxStore.
func (m *MemoryStore) CommitCtx(_ context.Context, token string, b []byte, expiry time.Time) error {
	return m.Commit(token, b, expiry)
}

// DeleteCtx is Delete, for scs' CtxStore.
func (m *MemoryStore) DeleteCtx(_ context.Context, token string) error {
	return m.Delete(token)
}

// sweep forgets what has expired, at most once per memSweepInterval.
func (m *MemoryStore) sweep(now time.Time) {
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
