package linkstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx"
	_ "modernc.org/sqlite"             // driver "sqlite"
)

// SQLiteDSN is the modernc.org/sqlite data source name of the database
// file at path, as the Store needs it: a 10 s busy timeout, WAL, and
// BEGIN IMMEDIATE transactions, so that connections and processes
// sharing the file wait for each other instead of failing.
func SQLiteDSN(path string) string {
	return "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
}

// Open opens the database of rawURL and returns a Store on it:
//
//   - postgres://… or postgresql://… (any URL pgx accepts): PostgreSQL;
//   - sqlite:PATH: the SQLite file PATH, created when missing (see
//     SQLiteDSN).
//
// Close the Store's DB when done. Errors never quote the URL, whose
// password is secret.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	var db *sql.DB
	var dialect Dialect
	switch {
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		if _, err := url.Parse(rawURL); err != nil {
			return nil, errors.New("linkstore: the PostgreSQL URL does not parse")
		}
		var err error
		if db, err = sql.Open("pgx", rawURL); err != nil {
			return nil, errors.New("linkstore: the PostgreSQL URL is not valid")
		}
		dialect = Postgres
	case strings.HasPrefix(rawURL, "sqlite:"):
		path := strings.TrimPrefix(rawURL, "sqlite:")
		if path == "" || strings.ContainsAny(path, "?#") {
			return nil, fmt.Errorf("linkstore: sqlite:PATH wants a file path without ? or #, got %q", rawURL)
		}
		var err error
		if db, err = sql.Open("sqlite", SQLiteDSN(path)); err != nil {
			return nil, fmt.Errorf("linkstore: opening %s: %w", path, err)
		}
		dialect = SQLite
	default:
		return nil, errors.New("linkstore: want a postgres://… or sqlite:PATH URL")
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("linkstore: connecting to the %s database: %w", dialect, redact(err, rawURL))
	}
	s, err := New(ctx, db, dialect)
	if err != nil {
		db.Close()
		return nil, redact(err, rawURL)
	}
	return s, nil
}

// redact replaces the password of rawURL in err's text, if it shows.
func redact(err error, rawURL string) error {
	u, perr := url.Parse(rawURL)
	if perr != nil || u.User == nil {
		return err
	}
	pw, ok := u.User.Password()
	if !ok || pw == "" || !strings.Contains(err.Error(), pw) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), pw, "xxxxx"))
}
