// Package linktest is the contract of a core.LinkStore: identity
// scenarios of core.Accounts over the four doors of WeChat (website,
// official account, mini program, mobile app), each asserting the
// account ids, run against every store (memory, SQLite, PostgreSQL).
package linktest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
)

// Doors are the four kinds of WeChat application a person logs in
// through, one appid each.
var Doors = []string{"website", "official", "miniprogram", "mobileapp"}

// Handles returns handles on one store: two or more when the store can
// be reached through several (two *sql.DB on one database), so that the
// scenarios spread their logins over "instances". The store need not be
// empty: every scenario uses ids of its own.
type Handles func(t *testing.T) []core.LinkStore

// World is one scenario's WeChat and app: the accounts it created, the
// merges it was told of, its doors' binding to the open platform.
type World struct {
	t      *testing.T
	stores []core.LinkStore
	prefix string

	mu       sync.Mutex
	bound    map[string]bool // door → gives unionids
	test     map[string]bool // door → a WeChat test account
	accounts []string        // ids created, in order
	merges   [][2]string
	logs     bytes.Buffer
	failNew  int           // NewAccount calls left to fail
	slowNew  time.Duration // NewAccount's duration
	now      time.Time
}

var worldSeq atomic.Int64

// NewWorld returns a scenario's world on stores, every door bound.
func NewWorld(t *testing.T, stores []core.LinkStore) *World {
	w := &World{
		t: t, stores: stores, bound: map[string]bool{}, test: map[string]bool{},
		prefix: fmt.Sprintf("w%d-%d-", time.Now().UnixNano()%1e9, worldSeq.Add(1)),
		now:    time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC),
	}
	for _, d := range Doors {
		w.bound[d] = true
	}
	return w
}

// AppID is door's appid in w.
func (w *World) AppID(door string) string { return w.prefix + "wx-" + door }

// OpenID is person's openid in door.
func (w *World) OpenID(door, person string) string { return w.prefix + "o-" + door + "-" + person }

// UnionID is person's unionid.
func (w *World) UnionID(person string) string { return w.prefix + "u-" + person }

// Bind sets whether door is bound to the open platform (gives unionids).
func (w *World) Bind(door string, bound bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.bound[door] = bound
}

// Accounts returns the accounts created so far.
func (w *World) Accounts() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.accounts...)
}

// Merges returns the merges the app was told of.
func (w *World) Merges() [][2]string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([][2]string(nil), w.merges...)
}

// Instance returns the i-th instance of the app: its own core.Accounts
// on the i-th store handle (modulo their number).
func (w *World) Instance(i int) *core.Accounts {
	var tests []string
	w.mu.Lock()
	for d, ok := range w.test {
		if ok {
			tests = append(tests, w.AppID(d))
		}
	}
	w.mu.Unlock()
	return &core.Accounts{
		Store:      w.stores[i%len(w.stores)],
		TestAppIDs: tests,
		Now:        func() time.Time { return w.now },
		Logger:     slog.New(slog.NewTextHandler(lockedWriter{&w.mu, &w.logs}, nil)),
		NewAccount: func(ctx context.Context, u *core.User) (string, error) {
			if w.slowNew > 0 {
				time.Sleep(w.slowNew)
			}
			w.mu.Lock()
			defer w.mu.Unlock()
			if w.failNew > 0 {
				w.failNew--
				return "", errors.New("the accounts table is down")
			}
			id := fmt.Sprintf("%sacct%d", w.prefix, len(w.accounts)+1)
			w.accounts = append(w.accounts, id)
			return id, nil
		},
		OnMerge: func(ctx context.Context, from, into string) error {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.merges = append(w.merges, [2]string{from, into})
			return nil
		},
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// Login logs person in through door on instance 0.
func (w *World) Login(door, person string) (string, error) { return w.LoginOn(0, door, person, "") }

// LoginOn logs person in through door on instance i; unionID, if not
// empty, replaces the person's unionid (a conflicting one).
func (w *World) LoginOn(i int, door, person, unionID string) (string, error) {
	w.mu.Lock()
	bound := w.bound[door]
	w.mu.Unlock()
	u := &core.User{AppID: w.AppID(door), OpenID: w.OpenID(door, person)}
	if bound {
		u.UnionID = w.UnionID(person)
	}
	if unionID != "" {
		u.UnionID = unionID
	}
	tok := &weixin.Token{OpenID: u.OpenID, UnionID: u.UnionID}
	id, err := w.Instance(i).Resolve(context.Background(), u, tok)
	if err == nil && u.AccountID != id {
		w.t.Errorf("User.AccountID %q, Resolve returned %q", u.AccountID, id)
	}
	return id, err
}

// MustLogin logs person in through door and returns the account id.
func (w *World) MustLogin(door, person string) string {
	w.t.Helper()
	id, err := w.Login(door, person)
	if err != nil {
		w.t.Fatalf("login of %s through %s: %v", person, door, err)
	}
	if id == "" {
		w.t.Fatalf("login of %s through %s: no account id", person, door)
	}
	return id
}

// WantAccounts checks that exactly n accounts were created.
func (w *World) WantAccounts(n int) {
	w.t.Helper()
	if got := w.Accounts(); len(got) != n {
		w.t.Errorf("%d accounts created (%v), want %d", len(got), got, n)
	}
}

// WantNoRecord checks that the store has no record of person through
// door, nor of their unionid.
func (w *World) WantNoRecord(door, person string) {
	w.t.Helper()
	ctx := context.Background()
	for _, k := range []core.LinkKey{core.IdentityKey(w.AppID(door), w.OpenID(door, person)), core.UnionKey(w.UnionID(person))} {
		for _, st := range w.stores {
			if l, err := st.Get(ctx, k); !errors.Is(err, core.ErrNoLink) {
				w.t.Errorf("%+v: a record %+v, %v; want ErrNoLink", k, l, err)
			}
		}
	}
}

// Run runs the contract: at least 40 identity scenarios, each on a fresh
// world of handles.
func Run(t *testing.T, handles Handles) {
	scenario := func(name string, f func(t *testing.T, w *World)) {
		t.Run(name, func(t *testing.T) { f(t, NewWorld(t, handles(t))) })
	}
	for i, door := range Doors {
		other := Doors[(i+1)%len(Doors)]
		scenario(door+"/bound", func(t *testing.T, w *World) {
			a := w.MustLogin(door, "p")
			if again := w.MustLogin(door, "p"); again != a {
				t.Errorf("returning login: %s, first %s", again, a)
			}
			for _, d := range Doors {
				if got := w.MustLogin(d, "p"); got != a {
					t.Errorf("through %s: %s, want %s", d, got, a)
				}
			}
			if b := w.MustLogin(door, "q"); b == a {
				t.Errorf("another person got the same account %s", a)
			}
			w.WantAccounts(2)
			wantLink(t, w, door, "p", w.UnionID("p"), a)
		})
		scenario(door+"/unbound", func(t *testing.T, w *World) {
			w.Bind(door, false)
			a := w.MustLogin(door, "p")
			if again := w.MustLogin(door, "p"); again != a {
				t.Errorf("returning login: %s, first %s", again, a)
			}
			b := w.MustLogin(other, "p")
			if b == a {
				t.Errorf("an unbound door and a bound one share account %s", a)
			}
			if again := w.MustLogin(door, "p"); again != a {
				t.Errorf("unbound door again: %s, want %s", again, a)
			}
			w.WantAccounts(2)
			wantLink(t, w, door, "p", "", a)
			if len(w.Merges()) != 0 {
				t.Errorf("merges %v", w.Merges())
			}
		})
		scenario(door+"/bound later, joins", func(t *testing.T, w *World) {
			w.Bind(door, false)
			a := w.MustLogin(door, "p")
			b := w.MustLogin(other, "p")
			w.Bind(door, true)
			if got := w.MustLogin(door, "p"); got != b {
				t.Errorf("after binding: %s, want the unionid's account %s", got, b)
			}
			for _, d := range Doors {
				if got := w.MustLogin(d, "p"); got != b {
					t.Errorf("through %s: %s, want %s", d, got, b)
				}
			}
			if m := w.Merges(); len(m) != 1 || m[0] != [2]string{a, b} {
				t.Errorf("merges %v, want [[%s %s]]", m, a, b)
			}
			w.WantAccounts(2)
			wantLink(t, w, door, "p", w.UnionID("p"), b)
		})
		scenario(door+"/bound later, keeps", func(t *testing.T, w *World) {
			w.Bind(door, false)
			a := w.MustLogin(door, "p")
			w.Bind(door, true)
			if got := w.MustLogin(door, "p"); got != a {
				t.Errorf("after binding: %s, want its own %s", got, a)
			}
			for _, d := range Doors {
				if got := w.MustLogin(d, "p"); got != a {
					t.Errorf("through %s: %s, want %s", d, got, a)
				}
			}
			w.WantAccounts(1)
			if len(w.Merges()) != 0 {
				t.Errorf("merges %v", w.Merges())
			}
			wantUnion(t, w, "p", a)
		})
		scenario(door+"/conflicting unionid", func(t *testing.T, w *World) {
			a := w.MustLogin(door, "p")
			_, err := w.LoginOn(0, door, "p", w.UnionID("intruder"))
			if !errors.Is(err, core.ErrIdentityConflict) || core.Classify(err).Status != http.StatusConflict || core.Classify(err).Code != "identity_conflict" {
				t.Fatalf("conflict: %v (%+v), want ErrIdentityConflict, 409", err, core.Classify(err))
			}
			w.mu.Lock()
			logs := w.logs.String()
			w.mu.Unlock()
			if !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, w.AppID(door)) ||
				strings.Contains(logs, w.OpenID(door, "p")) || strings.Contains(logs, w.UnionID("p")) || strings.Contains(logs, w.UnionID("intruder")) {
				t.Errorf("log: want a warning with the appid and no openid or unionid: %s", logs)
			}
			wantLink(t, w, door, "p", w.UnionID("p"), a)
			for _, st := range w.stores {
				if _, err := st.Get(context.Background(), core.UnionKey(w.UnionID("intruder"))); !errors.Is(err, core.ErrNoLink) {
					t.Errorf("the conflicting unionid was recorded: %v", err)
				}
			}
			if got := w.MustLogin(door, "p"); got != a {
				t.Errorf("after the conflict: %s, want %s", got, a)
			}
			if got := w.MustLogin(other, "intruder"); got == a {
				t.Errorf("the other unionid's person got %s", a)
			}
			w.WantAccounts(2)
		})
		scenario(door+"/snapshot visitor", func(t *testing.T, w *World) {
			u := &core.User{AppID: w.AppID(door), OpenID: w.OpenID(door, "p"), UnionID: w.UnionID("p")}
			id, err := w.Instance(0).Resolve(context.Background(), u, &weixin.Token{OpenID: u.OpenID, IsSnapshotUser: true})
			if !errors.Is(err, weixin.ErrSnapshotUser) || id != "" || u.AccountID != "" {
				t.Errorf("snapshot visitor: %q %q %v", id, u.AccountID, err)
			}
			w.WantNoRecord(door, "p")
			w.WantAccounts(0)
		})
		scenario(door+"/test account", func(t *testing.T, w *World) {
			w.mu.Lock()
			w.test[door] = true
			w.mu.Unlock()
			for range 2 {
				id, err := w.Login(door, "p")
				if err != nil || id != "" {
					t.Errorf("test account: %q %v, want no account", id, err)
				}
			}
			w.WantNoRecord(door, "p")
			w.WantAccounts(0)
			if got := w.MustLogin(other, "p"); got == "" {
				t.Error("a real app's login got no account")
			}
			w.WantAccounts(1)
		})
	}

	// Every order of the four doors, all bound: one account.
	for _, order := range permutations(Doors) {
		scenario("order/"+strings.Join(order, ","), func(t *testing.T, w *World) {
			a := w.MustLogin(order[0], "p")
			for _, d := range order[1:] {
				if got := w.MustLogin(d, "p"); got != a {
					t.Errorf("through %s: %s, want %s", d, got, a)
				}
			}
			w.WantAccounts(1)
		})
	}

	scenario("order/two unbound doors bound later, one by one", func(t *testing.T, w *World) {
		w.Bind("miniprogram", false)
		w.Bind("mobileapp", false)
		mp := w.MustLogin("miniprogram", "p")
		app := w.MustLogin("mobileapp", "p")
		web := w.MustLogin("website", "p")
		if mp == app || mp == web || app == web {
			t.Fatalf("accounts %s %s %s: want three", mp, app, web)
		}
		w.Bind("miniprogram", true)
		w.Bind("mobileapp", true)
		for _, d := range Doors {
			if got := w.MustLogin(d, "p"); got != web {
				t.Errorf("through %s: %s, want %s", d, got, web)
			}
		}
		w.WantAccounts(3)
		if m := w.Merges(); len(m) != 2 || m[0] != [2]string{mp, web} || m[1] != [2]string{app, web} {
			t.Errorf("merges %v", m)
		}
	})

	scenario("order/snsapi_base login after a unionid one answers the same account", func(t *testing.T, w *World) {
		a := w.MustLogin("official", "p")
		w.Bind("official", false) // snsapi_base: no unionid
		if got := w.MustLogin("official", "p"); got != a {
			t.Errorf("without unionid: %s, want %s", got, a)
		}
		wantLink(t, w, "official", "p", w.UnionID("p"), a)
		w.WantAccounts(1)
	})

	scenario("failed NewAccount leaves no link; the next login creates it", func(t *testing.T, w *World) {
		w.failNew = 1
		if _, err := w.Login("website", "p"); err == nil {
			t.Fatal("login succeeded while NewAccount failed")
		}
		w.WantNoRecord("website", "p")
		a := w.MustLogin("website", "p")
		if got := w.MustLogin("mobileapp", "p"); got != a {
			t.Errorf("%s, want %s", got, a)
		}
		w.WantAccounts(1)
	})

	scenario("a stale claim of a crashed instance is taken over", func(t *testing.T, w *World) {
		ctx := context.Background()
		old := w.now.Add(-time.Hour)
		ok, err := w.stores[0].Insert(ctx, core.Link{UnionID: w.UnionID("p"), Claim: "CRASHED", ClaimedAt: old, Created: old, Seen: old})
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		a := w.MustLogin("website", "p")
		if got := w.MustLogin("official", "p"); got != a {
			t.Errorf("%s, want %s", got, a)
		}
		w.WantAccounts(1)
		wantUnion(t, w, "p", a)
	})

	scenario("returning login touches Seen only when stale", func(t *testing.T, w *World) {
		w.MustLogin("website", "p")
		first := link(t, w, "website", "p").Seen
		w.now = w.now.Add(time.Minute)
		w.MustLogin("website", "p")
		if got := link(t, w, "website", "p").Seen; !got.Equal(first) {
			t.Errorf("Seen %v after a minute, want %v", got, first)
		}
		w.now = w.now.Add(2 * time.Hour)
		w.MustLogin("website", "p")
		if got := link(t, w, "website", "p").Seen; !got.Equal(w.now) {
			t.Errorf("Seen %v, want %v", got, w.now)
		}
	})

	// Concurrency: logins at once, spread over the instances.
	concurrent := func(n int, f func(i int) (string, error)) []string {
		ids := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				ids[i], errs[i] = f(i)
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("login %d: %v", i, err)
			}
		}
		return ids
	}
	same := func(t *testing.T, ids []string) string {
		t.Helper()
		for _, id := range ids {
			if id == "" || id != ids[0] {
				t.Fatalf("account ids %v: want one, the same", ids)
			}
		}
		return ids[0]
	}
	scenario("concurrent/one person, four doors, 32 logins at once", func(t *testing.T, w *World) {
		ids := concurrent(32, func(i int) (string, error) { return w.LoginOn(i, Doors[i%4], "p", "") })
		a := same(t, ids)
		w.WantAccounts(1)
		if got := w.Accounts(); len(got) == 1 && got[0] != a {
			t.Errorf("answered %s, created %s", a, got[0])
		}
	})
	scenario("concurrent/one person, slow account creation", func(t *testing.T, w *World) {
		w.slowNew = 50 * time.Millisecond
		same(t, concurrent(16, func(i int) (string, error) { return w.LoginOn(i, Doors[i%4], "p", "") }))
		w.WantAccounts(1)
	})
	scenario("concurrent/one unbound identity, 16 logins at once", func(t *testing.T, w *World) {
		w.Bind("miniprogram", false)
		same(t, concurrent(16, func(i int) (string, error) { return w.LoginOn(i, "miniprogram", "p", "") }))
		w.WantAccounts(1)
	})
	scenario("concurrent/20 people, four doors each, at once", func(t *testing.T, w *World) {
		ids := concurrent(80, func(i int) (string, error) { return w.LoginOn(i, Doors[i%4], fmt.Sprint("p", i/4), "") })
		seen := map[string]bool{}
		for p := range 20 {
			a := same(t, ids[p*4:p*4+4])
			if seen[a] {
				t.Errorf("two people share account %s", a)
			}
			seen[a] = true
		}
		w.WantAccounts(20)
	})
	scenario("concurrent/bound later, joins from every door at once", func(t *testing.T, w *World) {
		w.Bind("mobileapp", false)
		a := w.MustLogin("mobileapp", "p")
		b := w.MustLogin("website", "p")
		w.Bind("mobileapp", true)
		if got := same(t, concurrent(24, func(i int) (string, error) { return w.LoginOn(i, Doors[i%4], "p", "") })); got != b {
			t.Errorf("answered %s, want %s", got, b)
		}
		for _, m := range w.Merges() {
			if m != [2]string{a, b} {
				t.Errorf("merge %v, want %s into %s", m, a, b)
			}
		}
		if len(w.Merges()) == 0 {
			t.Error("no merge")
		}
		w.WantAccounts(2)
	})
	scenario("concurrent/bound later, keeps, at once", func(t *testing.T, w *World) {
		w.Bind("official", false)
		a := w.MustLogin("official", "p")
		w.Bind("official", true)
		// A new door's login that claims the unionid before the official
		// account's brings it cannot know the person already has an
		// account: then it creates one, and the official account's joins
		// it. Either way, every door answers one account at once.
		got := same(t, concurrent(24, func(i int) (string, error) { return w.LoginOn(i, Doors[i%4], "p", "") }))
		if got == a {
			w.WantAccounts(1)
			if len(w.Merges()) != 0 {
				t.Errorf("merges %v", w.Merges())
			}
		} else {
			w.WantAccounts(2)
			for _, m := range w.Merges() {
				if m != [2]string{a, got} {
					t.Errorf("merge %v, want %s into %s", m, a, got)
				}
			}
		}
		for _, d := range Doors {
			if again := w.MustLogin(d, "p"); again != got {
				t.Errorf("through %s afterwards: %s, want %s", d, again, got)
			}
		}
	})
}

// link returns the record of person's identity through door.
func link(t *testing.T, w *World, door, person string) core.Link {
	t.Helper()
	l, err := w.stores[0].Get(context.Background(), core.IdentityKey(w.AppID(door), w.OpenID(door, person)))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// wantLink checks person's link through door in every handle.
func wantLink(t *testing.T, w *World, door, person, unionID, account string) {
	t.Helper()
	for _, st := range w.stores {
		l, err := st.Get(context.Background(), core.IdentityKey(w.AppID(door), w.OpenID(door, person)))
		if err != nil || l.AppID != w.AppID(door) || l.OpenID != w.OpenID(door, person) || l.UnionID != unionID || l.AccountID != account || l.Claim != "" {
			t.Errorf("link %+v, %v; want unionid %q, account %q", l, err, unionID, account)
		}
		if l.Created.IsZero() || l.Seen.IsZero() {
			t.Errorf("link times %v %v", l.Created, l.Seen)
		}
	}
}

// wantUnion checks that account holds person's unionid.
func wantUnion(t *testing.T, w *World, person, account string) {
	t.Helper()
	for _, st := range w.stores {
		l, err := st.Get(context.Background(), core.UnionKey(w.UnionID(person)))
		if err != nil || l.AccountID != account || l.UnionID != w.UnionID(person) || l.AppID != "" {
			t.Errorf("unionid record %+v, %v; want account %q", l, err, account)
		}
	}
}

func permutations(s []string) [][]string {
	if len(s) <= 1 {
		return [][]string{append([]string(nil), s...)}
	}
	var out [][]string
	for i := range s {
		rest := append(append([]string(nil), s[:i]...), s[i+1:]...)
		for _, p := range permutations(rest) {
			out = append(out, append([]string{s[i]}, p...))
		}
	}
	return out
}
