// Package linkstore is a core.LinkStore on database/sql, for PostgreSQL
// (github.com/jackc/pgx/v5/stdlib) and SQLite (modernc.org/sqlite, pure
// Go): the links of core.Accounts in a real database, shared by every
// instance of the app.
//
// New creates its tables and indexes when they are missing and records
// the schema's version (SchemaVersion) in wxlogin_schema, so that a later
// wxlogin can migrate them; a database whose version is newer than this
// package's is refused. The schema (PostgreSQL; SQLite's is the same with
// INTEGER for BIGINT):
//
//	CREATE TABLE wxlogin_links (       -- one row per WeChat identity
//	    appid      TEXT   NOT NULL,
//	    openid     TEXT   NOT NULL,
//	    unionid    TEXT   NOT NULL DEFAULT '', -- '' until WeChat gives one
//	    account_id TEXT   NOT NULL DEFAULT '', -- '' while claimed
//	    claim      TEXT   NOT NULL DEFAULT '', -- the creating login's token
//	    claimed_at BIGINT NOT NULL DEFAULT 0,  -- Unix milliseconds
//	    created_at BIGINT NOT NULL,
//	    seen_at    BIGINT NOT NULL,
//	    PRIMARY KEY (appid, openid)
//	);
//	CREATE INDEX wxlogin_links_account ON wxlogin_links (account_id);
//	CREATE TABLE wxlogin_unionids (    -- which account holds a unionid
//	    unionid    TEXT   NOT NULL PRIMARY KEY,
//	    account_id TEXT   NOT NULL DEFAULT '',
//	    claim      TEXT   NOT NULL DEFAULT '',
//	    claimed_at BIGINT NOT NULL DEFAULT 0,
//	    created_at BIGINT NOT NULL
//	);
//	CREATE INDEX wxlogin_unionids_account ON wxlogin_unionids (account_id);
//	CREATE TABLE wxlogin_schema (component TEXT PRIMARY KEY, version INTEGER NOT NULL);
//
// A returning login reads one row by the primary key of wxlogin_links.
// Concurrency rests on the primary keys: a claim is an INSERT … ON
// CONFLICT DO NOTHING, and every change is a conditional UPDATE or
// DELETE; Merge runs in one transaction.
//
// SQLite: open the database with a busy timeout and WAL, and BEGIN
// IMMEDIATE transactions (Open does; with your own *sql.DB, use
// SQLiteDSN), so that several connections and several processes can
// share the file.
package linkstore
