package linkstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wxlogin/wxlogin/core"
)

// Dialect is the SQL database a Store talks to.
type Dialect int

// The dialects.
const (
	// Postgres is PostgreSQL 9.5 or later, through
	// github.com/jackc/pgx/v5/stdlib (driver name "pgx").
	Postgres Dialect = iota + 1
	// SQLite is SQLite 3.24 or later, through modernc.org/sqlite
	// (driver name "sqlite").
	SQLite
)

// String names the dialect.
func (d Dialect) String() string {
	switch d {
	case Postgres:
		return "postgres"
	case SQLite:
		return "sqlite"
	}
	return "Dialect(" + strconv.Itoa(int(d)) + ")"
}

// Store is a core.LinkStore in a SQL database. It is safe for
// concurrent use, by several goroutines and several processes sharing
// the database.
type Store struct {
	db      *sql.DB
	dialect Dialect
	queries map[string]string

	getLink, getUnion *sql.Stmt
}

var _ core.LinkStore = (*Store)(nil)

// New returns a Store on db, creating its tables and indexes when they
// are missing (see the package documentation for the schema).
func New(ctx context.Context, db *sql.DB, dialect Dialect) (*Store, error) {
	if dialect != Postgres && dialect != SQLite {
		return nil, fmt.Errorf("linkstore: unknown dialect %v", dialect)
	}
	s := &Store{db: db, dialect: dialect, queries: map[string]string{}}
	if err := s.migrate(ctx); err != nil {
		return nil, fmt.Errorf("linkstore: creating the tables: %w", err)
	}
	for name, q := range queries {
		s.queries[name] = s.q(q)
	}
	// The reads are prepared once per connection (database/sql keeps
	// them): a returning login's lookup does not parse its SQL again.
	var err error
	if s.getLink, err = db.PrepareContext(ctx, s.queries["getLink"]); err != nil {
		return nil, fmt.Errorf("linkstore: preparing: %w", err)
	}
	if s.getUnion, err = db.PrepareContext(ctx, s.queries["getUnion"]); err != nil {
		s.getLink.Close()
		return nil, fmt.Errorf("linkstore: preparing: %w", err)
	}
	return s, nil
}

// Close releases the prepared statements of s; it does not close its DB.
func (s *Store) Close() error {
	return errors.Join(s.getLink.Close(), s.getUnion.Close())
}

// DB returns the database of s.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect returns the dialect of s.
func (s *Store) Dialect() Dialect { return s.dialect }

// queries are the statements of the Store, with ? placeholders.
var queries = map[string]string{
	"getLink":      `SELECT unionid, account_id, claim, claimed_at, created_at, seen_at FROM wxlogin_links WHERE appid = ? AND openid = ?`,
	"getUnion":     `SELECT account_id, claim, claimed_at, created_at FROM wxlogin_unionids WHERE unionid = ?`,
	"insertLink":   `INSERT INTO wxlogin_links (appid, openid, unionid, account_id, claim, claimed_at, created_at, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
	"insertUnion":  `INSERT INTO wxlogin_unionids (unionid, account_id, claim, claimed_at, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
	"settleLink":   `UPDATE wxlogin_links SET account_id = ?, claim = '', claimed_at = 0 WHERE appid = ? AND openid = ? AND account_id = '' AND claim = ?`,
	"settleUnion":  `UPDATE wxlogin_unionids SET account_id = ?, claim = '', claimed_at = 0 WHERE unionid = ? AND account_id = '' AND claim = ?`,
	"releaseLink":  `DELETE FROM wxlogin_links WHERE appid = ? AND openid = ? AND account_id = '' AND claim = ?`,
	"releaseUnion": `DELETE FROM wxlogin_unionids WHERE unionid = ? AND account_id = '' AND claim = ?`,
	"bind":         `UPDATE wxlogin_links SET unionid = ? WHERE appid = ? AND openid = ? AND unionid = '' AND account_id = ? AND account_id <> ''`,
	"mergeLink":    `UPDATE wxlogin_links SET unionid = ?, account_id = ? WHERE appid = ? AND openid = ? AND unionid = '' AND account_id = ? AND account_id <> ''`,
	"moveLinks":    `UPDATE wxlogin_links SET account_id = ? WHERE account_id = ?`,
	"moveUnions":   `UPDATE wxlogin_unionids SET account_id = ? WHERE account_id = ?`,
	"touch":        `UPDATE wxlogin_links SET seen_at = ? WHERE appid = ? AND openid = ?`,
}

// q rewrites the ? placeholders of query for s's dialect.
func (s *Store) q(query string) string {
	if s.dialect != Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Get implements core.LinkStore.
func (s *Store) Get(ctx context.Context, k core.LinkKey) (core.Link, error) {
	var l core.Link
	var claimed, created, seen int64
	var err error
	if k.IsUnion() {
		l.UnionID = k.UnionID
		err = s.getUnion.QueryRowContext(ctx, k.UnionID).Scan(&l.AccountID, &l.Claim, &claimed, &created)
		seen = created
	} else {
		l.AppID, l.OpenID = k.AppID, k.OpenID
		err = s.getLink.QueryRowContext(ctx, k.AppID, k.OpenID).Scan(&l.UnionID, &l.AccountID, &l.Claim, &claimed, &created, &seen)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return core.Link{}, core.ErrNoLink
	}
	if err != nil {
		return core.Link{}, s.fail("reading a link", err)
	}
	l.ClaimedAt, l.Created, l.Seen = fromMillis(claimed), fromMillis(created), fromMillis(seen)
	return l, nil
}

// Insert implements core.LinkStore.
func (s *Store) Insert(ctx context.Context, l core.Link) (bool, error) {
	if l.Key().IsUnion() {
		return s.exec(ctx, "insertUnion", l.UnionID, l.AccountID, l.Claim, millis(l.ClaimedAt), millis(l.Created))
	}
	return s.exec(ctx, "insertLink", l.AppID, l.OpenID, l.UnionID, l.AccountID, l.Claim, millis(l.ClaimedAt), millis(l.Created), millis(l.Seen))
}

// Settle implements core.LinkStore.
func (s *Store) Settle(ctx context.Context, k core.LinkKey, claim, accountID string) (bool, error) {
	if k.IsUnion() {
		return s.exec(ctx, "settleUnion", accountID, k.UnionID, claim)
	}
	return s.exec(ctx, "settleLink", accountID, k.AppID, k.OpenID, claim)
}

// Release implements core.LinkStore.
func (s *Store) Release(ctx context.Context, k core.LinkKey, claim string) (bool, error) {
	if k.IsUnion() {
		return s.exec(ctx, "releaseUnion", k.UnionID, claim)
	}
	return s.exec(ctx, "releaseLink", k.AppID, k.OpenID, claim)
}

// Bind implements core.LinkStore.
func (s *Store) Bind(ctx context.Context, appID, openID, accountID, unionID string) (bool, error) {
	return s.exec(ctx, "bind", unionID, appID, openID, accountID)
}

// Merge implements core.LinkStore, in one transaction.
func (s *Store) Merge(ctx context.Context, m core.Merge) (bool, error) {
	if m.From == "" || m.Into == "" {
		return false, nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, s.fail("merging", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, s.queries["mergeLink"], m.UnionID, m.Into, m.AppID, m.OpenID, m.From)
	if err != nil {
		return false, s.fail("merging", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, s.fail("merging", err)
	}
	if _, err := tx.ExecContext(ctx, s.queries["moveLinks"], m.Into, m.From); err != nil {
		return false, s.fail("merging", err)
	}
	if _, err := tx.ExecContext(ctx, s.queries["moveUnions"], m.Into, m.From); err != nil {
		return false, s.fail("merging", err)
	}
	if err := tx.Commit(); err != nil {
		return false, s.fail("merging", err)
	}
	return true, nil
}

// Touch implements core.LinkStore.
func (s *Store) Touch(ctx context.Context, appID, openID string, seen time.Time) error {
	_, err := s.exec(ctx, "touch", millis(seen), appID, openID)
	return err
}

// exec runs the statement name and reports whether it changed a row.
func (s *Store) exec(ctx context.Context, name string, args ...any) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.queries[name], args...)
	if err != nil {
		return false, s.fail(name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.fail(name, err)
	}
	return n > 0, nil
}

// fail wraps err, a database error, with what was being done. The
// driver's errors name no value of the statement: no openid or unionid
// reaches a log through them.
func (s *Store) fail(doing string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("linkstore (%s): %s: %w", s.dialect, doing, err)
}

// busy reports whether err is SQLite's "database is locked".
func (s *Store) busy(err error) bool {
	if s.dialect != SQLite || err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked")
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
