package linkstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// SchemaVersion is the version of the tables this package reads and
// writes, recorded in wxlogin_schema under the component "links".
const SchemaVersion = 1

// schema is the DDL of SchemaVersion; BIGINT becomes INTEGER in SQLite.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS wxlogin_links (
	appid      TEXT   NOT NULL,
	openid     TEXT   NOT NULL,
	unionid    TEXT   NOT NULL DEFAULT '',
	account_id TEXT   NOT NULL DEFAULT '',
	claim      TEXT   NOT NULL DEFAULT '',
	claimed_at BIGINT NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,
	seen_at    BIGINT NOT NULL,
	PRIMARY KEY (appid, openid)
)`,
	`CREATE INDEX IF NOT EXISTS wxlogin_links_account ON wxlogin_links (account_id)`,
	`CREATE TABLE IF NOT EXISTS wxlogin_unionids (
	unionid    TEXT   NOT NULL PRIMARY KEY,
	account_id TEXT   NOT NULL DEFAULT '',
	claim      TEXT   NOT NULL DEFAULT '',
	claimed_at BIGINT NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL
)`,
	`CREATE INDEX IF NOT EXISTS wxlogin_unionids_account ON wxlogin_unionids (account_id)`,
}

// migrate creates the tables when missing, or checks their version.
// Concurrent instances starting at once are serialised: by an advisory
// lock in PostgreSQL, by the write lock in SQLite (retried while busy).
func (s *Store) migrate(ctx context.Context) error {
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		if err = s.migrateOnce(ctx); err == nil || !s.busy(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 20 * time.Millisecond):
		}
	}
	return err
}

func (s *Store) migrateOnce(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if s.dialect == Postgres {
		// Any constant: the lock serialises the instances creating the
		// tables at once (CREATE … IF NOT EXISTS races in PostgreSQL).
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7360512816)`); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS wxlogin_schema (component TEXT PRIMARY KEY, version INTEGER NOT NULL)`); err != nil {
		return err
	}
	// A write first, so that SQLite takes its write lock now.
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE wxlogin_schema SET version = version WHERE component = ?`), "links"); err != nil {
		return err
	}
	var version int
	switch err := tx.QueryRowContext(ctx, s.q(`SELECT version FROM wxlogin_schema WHERE component = ?`), "links").Scan(&version); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return err
	case version > SchemaVersion:
		return fmt.Errorf("linkstore: the database's wxlogin_links are at schema version %d, newer than this wxlogin's %d: upgrade wxlogin", version, SchemaVersion)
	case version == SchemaVersion:
		return tx.Commit()
	}
	for _, ddl := range schema {
		if s.dialect == SQLite {
			ddl = strings.ReplaceAll(ddl, "BIGINT", "INTEGER")
		}
		if _, err := tx.ExecContext(ctx, ddl); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO wxlogin_schema (component, version) VALUES (?, ?)`), "links", SchemaVersion); err != nil {
		return err
	}
	return tx.Commit()
}
