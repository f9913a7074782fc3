package core

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// MemoryLinkStore is a LinkStore in memory, for tests, development and
// a single instance that may forget its accounts when it stops. It is
// safe for concurrent use. The zero value is not usable: call
// NewMemoryLinkStore.
type MemoryLinkStore struct {
	mu    sync.Mutex
	links map[LinkKey]Link
}

var _ LinkStore = (*MemoryLinkStore)(nil)

// NewMemoryLinkStore returns an empty MemoryLinkStore.
func NewMemoryLinkStore() *MemoryLinkStore {
	return &MemoryLinkStore{links: make(map[LinkKey]Link)}
}

// Len returns the number of records: identities plus unionids.
func (m *MemoryLinkStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.links)
}

// Get implements LinkStore.
func (m *MemoryLinkStore) Get(ctx context.Context, k LinkKey) (Link, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.links[norm(k)]
	if !ok {
		return Link{}, fmt.Errorf("%w: %s", ErrNoLink, describe(k))
	}
	return l, nil
}

// Insert implements LinkStore.
func (m *MemoryLinkStore) Insert(ctx context.Context, l Link) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := l.Key()
	if _, ok := m.links[k]; ok {
		return false, nil
	}
	m.links[k] = l
	return true, nil
}

// Settle implements LinkStore.
func (m *MemoryLinkStore) Settle(ctx context.Context, k LinkKey, claim, accountID string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k = norm(k)
	l, ok := m.links[k]
	if !ok || l.AccountID != "" || l.Claim != claim {
		return false, nil
	}
	l.AccountID, l.Claim, l.ClaimedAt = accountID, "", time.Time{}
	m.links[k] = l
	return true, nil
}

// Release implements LinkStore.
func (m *MemoryLinkStore) Release(ctx context.Context, k LinkKey, claim string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k = norm(k)
	l, ok := m.links[k]
	if !ok || l.AccountID != "" || l.Claim != claim {
		return false, nil
	}
	delete(m.links, k)
	return true, nil
}

// Bind implements LinkStore.
func (m *MemoryLinkStore) Bind(ctx context.Context, appID, openID, accountID, unionID string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := IdentityKey(appID, openID)
	l, ok := m.links[k]
	if !ok || l.UnionID != "" || l.AccountID != accountID || accountID == "" {
		return false, nil
	}
	l.UnionID = unionID
	m.links[k] = l
	return true, nil
}

// Merge implements LinkStore.
func (m *MemoryLinkStore) Merge(ctx context.Context, mg Merge) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := IdentityKey(mg.AppID, mg.OpenID)
	l, ok := m.links[k]
	if !ok || l.UnionID != "" || l.AccountID != mg.From || mg.From == "" || mg.Into == "" {
		return false, nil
	}
	l.UnionID = mg.UnionID
	m.links[k] = l
	for k, l := range m.links {
		if l.AccountID == mg.From {
			l.AccountID = mg.Into
			m.links[k] = l
		}
	}
	return true, nil
}

// Touch implements LinkStore.
func (m *MemoryLinkStore) Touch(ctx context.Context, appID, openID string, seen time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := IdentityKey(appID, openID)
	if l, ok := m.links[k]; ok {
		l.Seen = seen
		m.links[k] = l
	}
	return nil
}

// norm drops the UnionID of an identity's key.
func norm(k LinkKey) LinkKey {
	if !k.IsUnion() {
		k.UnionID = ""
	}
	return k
}

// describe names k without its ids (they are personal data).
func describe(k LinkKey) string {
	if k.IsUnion() {
		return "unionid"
	}
	return "identity of app " + k.AppID
}
