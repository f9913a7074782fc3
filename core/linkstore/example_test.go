package linkstore_test

import (
	"context"
	"database/sql"
	"log"
	"os"

	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/linkstore"
)

// newAccount would insert a row into the app's own users table.
func newAccount(ctx context.Context, u *core.User) (string, error) { return "", nil }

// moveData would move the app's data of one account into another.
func moveData(ctx context.Context, from, into string) error { return nil }

// PostgreSQL, or SQLite, from a URL: postgres://… or sqlite:PATH.
func ExampleOpen() {
	ctx := context.Background()
	store, err := linkstore.Open(ctx, os.Getenv("DATABASE_URL")) // creates wxlogin_links if missing
	if err != nil {
		log.Fatal(err) // never quotes the URL's password
	}
	defer store.DB().Close()
	opts := core.Options{ /* Website, OfficialAccount, Sessions, … */ }
	opts.Accounts = &core.Accounts{
		Store:      store,
		NewAccount: newAccount, // INSERT INTO users … RETURNING id
		OnMerge:    moveData,   // UPDATE orders SET user_id = into WHERE user_id = from …
	}
	_ = opts
}

// Your own *sql.DB: PostgreSQL through pgx's database/sql driver.
func ExampleNew_postgres() {
	ctx := context.Background()
	db, err := sql.Open("pgx", "postgres://app@db.internal:5432/app")
	if err != nil {
		log.Fatal(err)
	}
	store, err := linkstore.New(ctx, db, linkstore.Postgres)
	if err != nil {
		log.Fatal(err)
	}
	_ = &core.Accounts{Store: store, NewAccount: newAccount, OnMerge: moveData}
}

// Your own *sql.DB: SQLite (modernc.org/sqlite), opened with the busy
// timeout, WAL and BEGIN IMMEDIATE that several processes sharing the
// file need.
func ExampleNew_sqlite() {
	ctx := context.Background()
	db, err := sql.Open("sqlite", linkstore.SQLiteDSN("/var/lib/app/app.db"))
	if err != nil {
		log.Fatal(err)
	}
	store, err := linkstore.New(ctx, db, linkstore.SQLite)
	if err != nil {
		log.Fatal(err)
	}
	_ = &core.Accounts{Store: store, NewAccount: newAccount, OnMerge: moveData}
}

// Tests and a single instance in development: links in memory.
func ExampleNew_memory() {
	_ = &core.Accounts{Store: linkstore.NewMemory(), NewAccount: newAccount, OnMerge: moveData}
}
