package linkstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/wxlogin/wxlogin/core"
)

// Memory is a core.LinkStore in memory, for tests, development and
// a single instance that may forget its accounts when it stops. It is
// safe for concurrent use. The zero value is not usable: call
// NewMemory.
type Memory struct {
	mu    sync.Mutex
	links map[core.LinkKey]core.Link
}

var _ core.LinkStore = (*Memory)(nil)

// NewMemory returns an empty Memory.
func NewMemory() *Memory {
	return &Memory{links: make(map[core.LinkKey]core.Link)}
}

// Len returns the number of records: identities plus unionids.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.links)
}

// Get implements core.LinkStore.
func (m *Memory) Get(ctx context.Context, k core.LinkKey) (core.Link, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.links[norm(k)]
	if !ok {
		return core.Link{}, fmt.Errorf("%w: %s", core.ErrNoLink, describe(k))
	}
	return l, nil
}

// Insert implements core.LinkStore.
func (m *Memory) Insert(ctx context.Context, l core.Link) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := l.Key()
	if _, ok := m.links[k]; ok {
		return false, nil
	}
	m.links[k] = l
	return true, nil
}

// Settle implements core.LinkStore.
func (m *Memory) Settle(ctx context.Context, k core.LinkKey, claim, accountID string) (bool, error) {
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

// Release implements core.LinkStore.
func (m *Memory) Release(ctx context.Context, k core.LinkKey, claim string) (bool, error) {
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

// Bind implements core.LinkStore.
func (m *Memory) Bind(ctx context.Context, appID, openID, accountID, unionID string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := core.IdentityKey(appID, openID)
	l, ok := m.links[k]
	if !ok || l.UnionID != "" || l.AccountID != accountID || accountID == "" {
		return false, nil
	}
	l.UnionID = unionID
	m.links[k] = l
	return true, nil
}

// Merge implements core.LinkStore.
func (m *Memory) Merge(ctx context.Context, mg core.Merge) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := core.IdentityKey(mg.AppID, mg.OpenID)
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

// Touch implements core.LinkStore.
func (m *Memory) Touch(ctx context.Context, appID, openID string, seen time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := core.IdentityKey(appID, openID)
	if l, ok := m.links[k]; ok {
		l.Seen = seen
		m.links[k] = l
	}
	return nil
}

// norm drops the UnionID of an identity's key.
func norm(k core.LinkKey) core.LinkKey {
	if !k.IsUnion() {
		k.UnionID = ""
	}
	return k
}

// describe names k without its ids (they are personal data).
func describe(k core.LinkKey) string {
	if k.IsUnion() {
		return "unionid"
	}
	return "identity of app " + k.AppID
}
