package exampleapp

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/linkstore"
)

// accounts are the example's own accounts: a table of its own beside
// wxlogin's links (in the same database), or a map for the embedded
// default. A real app keeps its users there.
type accounts struct {
	db *sql.DB // nil: in memory
	q  func(string) string
	mu sync.Mutex
	m  map[string]string // id → merged into ("" if not)
}

// accountsFromEnv returns the core.Accounts of DATABASE_URL: postgres://…
// or sqlite:PATH, else (unset) links and accounts in memory.
func accountsFromEnv(ctx context.Context) (*core.Accounts, func(), error) {
	a := &accounts{m: map[string]string{}}
	var store core.LinkStore
	closeFn := func() {}
	if raw := os.Getenv("DATABASE_URL"); raw != "" {
		// Errors of Open never quote the URL, whose password is secret.
		s, err := linkstore.Open(ctx, raw)
		if err != nil {
			return nil, nil, fmt.Errorf("DATABASE_URL: %w", err)
		}
		a.db, store, closeFn = s.DB(), s, func() { s.DB().Close() }
		a.q = func(q string) string { return q }
		if s.Dialect() == linkstore.Postgres {
			a.q = func(q string) string { return dollars(q) }
		}
		if _, err := a.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS example_accounts (
			id TEXT PRIMARY KEY, created_at BIGINT NOT NULL, merged_into TEXT NOT NULL DEFAULT '')`); err != nil {
			closeFn()
			return nil, nil, fmt.Errorf("DATABASE_URL: creating example_accounts: %w", err)
		}
	} else {
		store = linkstore.NewMemory()
	}
	return &core.Accounts{Store: store, NewAccount: a.create, OnMerge: a.merge}, closeFn, nil
}

// create is core.Accounts.NewAccount: a new row of the app's accounts.
func (a *accounts) create(ctx context.Context, u *core.User) (string, error) {
	id := "acct_" + rand.Text()[:16]
	if a.db == nil {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.m[id] = ""
		return id, nil
	}
	_, err := a.db.ExecContext(ctx, a.q(`INSERT INTO example_accounts (id, created_at) VALUES (?, ?)`), id, time.Now().UnixMilli())
	return id, err
}

// merge is core.Accounts.OnMerge: the app would move from's data into
// into here; the example only records it.
func (a *accounts) merge(ctx context.Context, from, into string) error {
	if a.db == nil {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.m[from] = into
		return nil
	}
	_, err := a.db.ExecContext(ctx, a.q(`UPDATE example_accounts SET merged_into = ? WHERE id = ?`), into, from)
	return err
}

// dollars numbers the ? placeholders of q as PostgreSQL's $1, $2, ….
func dollars(q string) string {
	out, n := make([]byte, 0, len(q)+8), 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			out = fmt.Appendf(out, "$%d", n)
			continue
		}
		out = append(out, q[i])
	}
	return string(out)
}
