package linkstore_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/linkstore"
	"github.com/wxlogin/wxlogin/internal/linktest"
	"github.com/wxlogin/wxlogin/internal/pgtest"
)

func TestMain(m *testing.M) {
	if path := os.Getenv("LINKSTORE_CHILD"); path != "" {
		child(path)
		return
	}
	os.Exit(m.Run())
}

// openSQLite opens the SQLite file path as a Store, closed when t ends.
func openSQLite(t testing.TB, path string) *linkstore.Store {
	t.Helper()
	s, err := linkstore.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.DB().Close() })
	return s
}

// The contract on one SQLite file reached through two *sql.DB.
func TestSQLiteContract(t *testing.T) {
	path := filepath.Join(t.TempDir(), "links.db")
	a, b := openSQLite(t, path), openSQLite(t, path)
	linktest.Run(t, func(t *testing.T) []core.LinkStore { return []core.LinkStore{a, b} })
}

// The contract on a PostgreSQL database reached through two *sql.DB.
func TestPostgresContract(t *testing.T) {
	pg := pgtest.Start(t)
	url := pg.NewDatabase(t)
	var stores []core.LinkStore
	for range 2 {
		s, err := linkstore.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.DB().Close() })
		stores = append(stores, s)
	}
	linktest.Run(t, func(t *testing.T) []core.LinkStore { return stores })
}

func TestSchemaVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "links.db")
	s := openSQLite(t, path)
	var v int
	if err := s.DB().QueryRow(`SELECT version FROM wxlogin_schema WHERE component = 'links'`).Scan(&v); err != nil || v != linkstore.SchemaVersion {
		t.Fatalf("version %d, %v", v, err)
	}
	// Opening again keeps the tables; a newer schema is refused.
	openSQLite(t, path)
	if _, err := s.DB().Exec(`UPDATE wxlogin_schema SET version = 99 WHERE component = 'links'`); err != nil {
		t.Fatal(err)
	}
	if _, err := linkstore.Open(context.Background(), "sqlite:"+path); err == nil || !strings.Contains(err.Error(), "schema version 99") {
		t.Errorf("newer schema: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, raw := range []string{"", "mysql://x", "sqlite:", "sqlite:a?b"} {
		if _, err := linkstore.Open(ctx, raw); err == nil {
			t.Errorf("Open(%q) succeeded", raw)
		}
	}
	// A password never shows in an error.
	_, err := linkstore.Open(ctx, "postgres://u:s3cretpw@127.0.0.1:1/db?connect_timeout=2")
	if err == nil || strings.Contains(err.Error(), "s3cretpw") {
		t.Errorf("Open: %v", err)
	}
}

// childLogins is what each process of TestSQLiteTwoProcesses does: every
// person through every door, at once.
const childPeople = 12

// child is the re-executed test binary: it logs childPeople people in
// through the four doors at once against the SQLite file path, its
// NewAccount writing the app's accounts to the same file, and prints
// "person door account" lines.
func child(path string) {
	s, err := linkstore.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	db := s.DB()
	acc := &core.Accounts{
		Store: s,
		NewAccount: func(ctx context.Context, u *core.User) (string, error) {
			id := fmt.Sprintf("acct-%d-%s", os.Getpid(), u.OpenID)
			_, err := db.ExecContext(ctx, `INSERT INTO test_accounts (id) VALUES (?)`, id)
			return id, err
		},
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	failed := false
	for p := range childPeople {
		for _, door := range linktest.Doors {
			wg.Go(func() {
				u := &core.User{AppID: "wx-" + door, OpenID: fmt.Sprintf("o-%s-%d", door, p), UnionID: fmt.Sprintf("u-%d", p)}
				id, err := acc.Resolve(context.Background(), u, nil)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					failed = true
					return
				}
				fmt.Fprintf(out, "p%d %s %s\n", p, door, id)
			})
		}
	}
	wg.Wait()
	out.Flush()
	if failed {
		os.Exit(1)
	}
	os.Exit(0)
}

// Two processes share one SQLite file: each logs the same people in
// through the four doors at once; every person ends with one account,
// created once.
func TestSQLiteTwoProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	path := filepath.Join(t.TempDir(), "links.db")
	s := openSQLite(t, path)
	if _, err := s.DB().Exec(`CREATE TABLE test_accounts (id TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var cmds []*exec.Cmd
	var outs []*strings.Builder
	for range 2 {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), "LINKSTORE_CHILD="+path)
		var out, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &stderr
		cmds, outs = append(cmds, cmd), append(outs, &out)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("child's stderr: %s", stderr.String())
			}
		})
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("child: %v", err)
		}
	}
	account := map[string]string{} // person → account
	lines := 0
	for _, out := range outs {
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			f := strings.Fields(line)
			if len(f) != 3 {
				t.Fatalf("child's line %q", line)
			}
			lines++
			if a, ok := account[f[0]]; ok && a != f[2] {
				t.Errorf("%s: accounts %s and %s", f[0], a, f[2])
			}
			account[f[0]] = f[2]
		}
	}
	if lines != 2*childPeople*len(linktest.Doors) || len(account) != childPeople {
		t.Errorf("%d logins of %d people", lines, len(account))
	}
	var n int
	if err := s.DB().QueryRow(`SELECT count(*) FROM test_accounts`).Scan(&n); err != nil || n != childPeople {
		t.Errorf("%d accounts created for %d people (%v)", n, childPeople, err)
	}
}

// A store error is ErrLinkStore to Accounts: 503, not a login.
func TestStoreFailureIs503(t *testing.T) {
	s := openSQLite(t, filepath.Join(t.TempDir(), "links.db"))
	s.DB().Close()
	acc := &core.Accounts{Store: s, NewAccount: func(context.Context, *core.User) (string, error) { return "a", nil }}
	_, err := acc.Resolve(context.Background(), &core.User{AppID: "wx", OpenID: "o"}, nil)
	if !errors.Is(err, core.ErrLinkStore) || core.Classify(err).Status != 503 {
		t.Errorf("closed database: %v", err)
	}
}

// BenchmarkReturningLogin measures a returning login's account lookup
// (Accounts.Resolve of a known identity: one SELECT by primary key) as a
// ratio to a bare SELECT 1 on the same single connection, interleaved in
// one loop: the metric "x-select1".
func BenchmarkReturningLogin(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		s := openSQLite(b, filepath.Join(b.TempDir(), "links.db"))
		benchReturning(b, s)
	})
	b.Run("postgres", func(b *testing.B) {
		pg := pgtest.Start(b)
		s, err := linkstore.Open(context.Background(), pg.NewDatabase(b))
		if err != nil {
			b.Fatal(err)
		}
		defer s.DB().Close()
		benchReturning(b, s)
	})
}

func benchReturning(b *testing.B, s *linkstore.Store) {
	ctx := context.Background()
	db := s.DB()
	db.SetMaxOpenConns(1)
	now := time.Now()
	acc := &core.Accounts{Store: s, Now: func() time.Time { return now },
		NewAccount: func(ctx context.Context, u *core.User) (string, error) { return "acct-" + u.OpenID, nil }}
	// 10 000 identities, so the lookup walks a real index.
	for i := range 10000 {
		u := &core.User{AppID: "wx1234567890abcdef", OpenID: fmt.Sprintf("oAbCdEfGhIjKlMnOpQrStUv%05d", i), UnionID: fmt.Sprintf("o6_bAbCdEfGhIjKlMnOpQrSt%05d", i)}
		if _, err := acc.Resolve(ctx, u, nil); err != nil {
			b.Fatal(err)
		}
	}
	u := core.User{AppID: "wx1234567890abcdef", OpenID: "oAbCdEfGhIjKlMnOpQrStUv04242", UnionID: "o6_bAbCdEfGhIjKlMnOpQrSt04242"}
	var one int
	var tLookup, tSelect time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		v := u
		if _, err := acc.Resolve(ctx, &v, nil); err != nil || v.AccountID != "acct-"+u.OpenID {
			b.Fatal(v.AccountID, err)
		}
		tSelect += t1.Sub(t0)
		tLookup += time.Since(t1)
	}
	b.ReportMetric(float64(tLookup)/float64(tSelect), "x-select1")
	b.ReportMetric(float64(tLookup.Nanoseconds())/float64(b.N), "ns-lookup")
}

// TestPostgresSizes fills wxlogin_links with LINKSTORE_SIZE_ROWS
// identities of real lengths and logs the table's and indexes' bytes per
// identity (docs/accounts.md, "Speed and scale"). Off unless the variable
// is set.
func TestPostgresSizes(t *testing.T) {
	rows := os.Getenv("LINKSTORE_SIZE_ROWS")
	if rows == "" {
		t.Skip("set LINKSTORE_SIZE_ROWS=1000000 to measure the sizes")
	}
	pg := pgtest.Start(t)
	s, err := linkstore.Open(context.Background(), pg.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.DB().Close()
	db := s.DB()
	// appid 18 chars, openid 28, unionid 28, account id 20: WeChat's and
	// a typical app's lengths.
	if _, err := db.Exec(`INSERT INTO wxlogin_links (appid, openid, unionid, account_id, created_at, seen_at)
		SELECT 'wx' || substr(md5(i::text), 1, 16), 'o' || substr(md5('o' || i), 1, 27), 'o6_b' || substr(md5('u' || i), 1, 24),
		       substr(md5('a' || i), 1, 20), 1764400000000 + i, 1764400000000 + i
		FROM generate_series(1, ` + rows + `) AS i`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO wxlogin_unionids (unionid, account_id, created_at)
		SELECT DISTINCT unionid, account_id, created_at FROM wxlogin_links`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`VACUUM ANALYZE`); err != nil {
		t.Fatal(err)
	}
	var n float64
	db.QueryRow(`SELECT count(*) FROM wxlogin_links`).Scan(&n)
	for _, rel := range []string{"wxlogin_links", "wxlogin_links_pkey", "wxlogin_links_account", "wxlogin_unionids", "wxlogin_unionids_pkey", "wxlogin_unionids_account"} {
		var size float64
		if err := db.QueryRow(`SELECT pg_relation_size($1)`, rel).Scan(&size); err != nil {
			t.Fatal(err)
		}
		t.Logf("%-26s %6.1f bytes/identity  %7.2f GB for 10 million", rel, size/n, size/n*1e7/1e9)
	}
}
