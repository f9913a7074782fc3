package examples

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/core/linkstore"
	"github.com/wxlogin/wxlogin/internal/browsertest"
	"github.com/wxlogin/wxlogin/internal/pgtest"
	"github.com/wxlogin/wxlogin/weixintest"
)

const weChatUA = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Mobile Safari/537.36 MicroMessenger/8.0.49.2600(0x28003133) NetType/WIFI"

// The doors of loginAccount.
const (
	doorWebsite     = "website"     // QR code, in a browser
	doorOA          = "oa"          // the official account, inside WeChat
	doorMiniProgram = "miniprogram" // wx.login's code, bearer token
	doorApp         = "app"         // SendAuth's code, bearer token
)

var doors = []string{doorWebsite, doorOA, doorMiniProgram, doorApp}

// accountsEnv is the examples' environment with all four doors.
func accountsEnv(wx *weixintest.Server) []string {
	return append(wechatEnv(wx, true),
		"WEIXIN_MINIPROGRAM_APPID="+weixintest.DefaultMiniProgramAppID, "WEIXIN_MINIPROGRAM_SECRET="+weixintest.DefaultMiniProgramSecret,
		"WEIXIN_APP_APPID="+weixintest.DefaultMobileAppID, "WEIXIN_APP_SECRET="+weixintest.DefaultMobileAppSecret)
}

// doorAppID is the appid of door's application in the fake.
func doorAppID(door string) string {
	switch door {
	case doorOA:
		return weixintest.DefaultMPAppID
	case doorMiniProgram:
		return weixintest.DefaultMiniProgramAppID
	case doorApp:
		return weixintest.DefaultMobileAppID
	}
	return weixintest.DefaultAppID
}

// loginAccount logs user in on the example at base through door, and
// returns /api/me's openid and account_id.
func loginAccount(t *testing.T, wx *weixintest.Server, base, user, door string) (openID, accountID string) {
	t.Helper()
	var status int
	var body string
	switch door {
	case doorMiniProgram, doorApp:
		code := wx.MiniProgramCode(weixintest.DefaultMiniProgramAppID, user)
		if door == doorApp {
			code = wx.SendAuthCode(weixintest.DefaultMobileAppID, user)
		}
		c := &client{t: t, base: base}
		c.login(door, code)
		me := c.do(http.MethodGet, "/api/me", "", "")
		status, body = me.status, me.body
	default:
		b := browsertest.New(t, base)
		if door == doorOA {
			b.UA = weChatUA
		}
		cb, err := wx.Authorize(b.Get("/auth/weixin/login").Header.Get("Location"), user)
		if err != nil {
			t.Error(err)
			return "", ""
		}
		if r := b.Get(cb.String()); r.StatusCode != 302 {
			t.Errorf("callback of %s: %d %s", user, r.StatusCode, r.Body)
			return "", ""
		}
		me := b.API("/api/me")
		status, body = me.StatusCode, me.Body
	}
	var me struct {
		OpenID    string `json:"openid"`
		AccountID string `json:"account_id"`
	}
	if err := json.Unmarshal([]byte(body), &me); err != nil || status != 200 || me.AccountID == "" {
		t.Errorf("/api/me after the %s login: %d %s", door, status, body)
	}
	if me.OpenID != wx.OpenID(doorAppID(door), user) {
		t.Errorf("%s login: openid %q is not the %s app's", door, me.OpenID, door)
	}
	return me.OpenID, me.AccountID
}

// oneAccount checks the contract's "one person, one account" row on the
// instances at bases (logins spread over them): the website and the
// official account answer one account_id per person, another person
// another one, and simultaneous first logins of a person create one
// account; an identity bound later joins the unionid's account; a
// snapshot visitor gets none and a conflicting unionid 409. It returns
// the number of accounts created.
func oneAccount(t *testing.T, wx *weixintest.Server, bases ...string) int {
	// u1 through the four doors, spread over the instances.
	var u1 string
	for i, door := range doors {
		_, id := loginAccount(t, wx, bases[i%len(bases)], "u1", door)
		if i == 0 {
			u1 = id
		}
		if id == "" || id != u1 {
			t.Errorf("u1 through the %s: account_id %q, the website's %q: want one", door, id, u1)
		}
	}
	if _, again := loginAccount(t, wx, bases[0], "u1", doorOA); again != u1 {
		t.Errorf("again: %q, want %q", again, u1)
	}
	if _, other := loginAccount(t, wx, bases[0], "u2", doorWebsite); other == "" || other == u1 {
		t.Errorf("another person: %q", other)
	}
	// u3's first logins, 8 at once through the four doors and every instance.
	ids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() { _, ids[i] = loginAccount(t, wx, bases[i%len(bases)], "u3", doors[i%len(doors)]) })
	}
	wg.Wait()
	for _, id := range ids {
		if id == "" || id != ids[0] || id == u1 {
			t.Errorf("simultaneous first logins: account ids %v, want one new", ids)
			break
		}
	}
	// Bound later: a first login without unionid is its own account; once
	// WeChat gives the unionid, that identity joins the unionid's account.
	late := wx.AddUser(weixintest.User{ID: "late", Nickname: "Late", NoUnionID: true})
	_, lateWeb := loginAccount(t, wx, bases[0], late.ID, doorWebsite)
	late.NoUnionID = false
	wx.AddUser(late)
	_, lateOA := loginAccount(t, wx, bases[len(bases)-1], late.ID, doorOA)
	if lateOA == "" || lateOA == lateWeb {
		t.Errorf("bound later: the unionid's first login %q, the unbound one's %q", lateOA, lateWeb)
	}
	if _, again := loginAccount(t, wx, bases[0], late.ID, doorWebsite); again != lateOA {
		t.Errorf("bound later: the website login bringing the unionid answers %q, want %q", again, lateOA)
	}
	for _, door := range doors {
		if _, again := loginAccount(t, wx, bases[len(bases)-1], late.ID, door); again != lateOA {
			t.Errorf("bound later, then the %s: %q, want %q", door, again, lateOA)
		}
	}
	// An app bound to the open platform later: the mini program gives no
	// unionid until it is bound, so its first login of a new person is an
	// account of its own; once bound, that identity joins the person's.
	wx.AddApp(weixintest.App{AppID: weixintest.DefaultMiniProgramAppID, Secret: weixintest.DefaultMiniProgramSecret,
		Kind: weixintest.MiniProgram, Unbound: true})
	wx.AddUser(weixintest.User{ID: "u4", Nickname: "Four"})
	_, u4Mini := loginAccount(t, wx, bases[0], "u4", doorMiniProgram)
	_, u4 := loginAccount(t, wx, bases[len(bases)-1], "u4", doorApp)
	if u4Mini == "" || u4Mini == u4 {
		t.Errorf("an unbound mini program: its login %q, the app's %q: want two accounts until it is bound", u4Mini, u4)
	}
	if _, again := loginAccount(t, wx, bases[0], "u4", doorMiniProgram); again != u4Mini {
		t.Errorf("an unbound mini program, again: %q, want its own %q", again, u4Mini)
	}
	wx.BindApp(weixintest.DefaultMiniProgramAppID)
	for _, door := range doors {
		if _, again := loginAccount(t, wx, bases[0], "u4", door); again != u4 {
			t.Errorf("the mini program bound later, then the %s: %q, want %q", door, again, u4)
		}
	}

	// A snapshot-page visitor: 403, no session, no account.
	snap := wx.AddUser(weixintest.User{ID: "snap", Nickname: "快照", Snapshot: true})
	b := browsertest.New(t, bases[0])
	b.UA = weChatUA
	cb, err := wx.Authorize(b.Get("/auth/weixin/login").Header.Get("Location"), snap.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r := b.Get(cb.String()); r.StatusCode != 403 || b.API("/api/me").StatusCode != 401 {
		t.Errorf("snapshot visitor: %d", r.StatusCode)
	}
	// u2 arriving with another unionid than its link's: 409, nothing re-pointed.
	for _, u := range wx.Users() {
		if u.ID == "u2" {
			u.UnionID = "o6_bANOTHERUNIONIDOFTHEFAKE"
			wx.AddUser(u)
		}
	}
	c := browsertest.New(t, bases[0])
	cb, err = wx.Authorize(c.Get("/auth/weixin/login").Header.Get("Location"), "u2")
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Get(cb.String()); r.StatusCode != 409 || c.API("/api/me").StatusCode != 401 {
		t.Errorf("conflicting unionid: %d %s", r.StatusCode, r.Body)
	}
	return 7 // accounts created: u1, u2, u3, late's two and u4's two (two merged)
}

// countAccounts returns the rows of the examples' accounts table, and
// those merged into another.
func countAccounts(t *testing.T, driver, dsn string) (n, merged int) {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow(`SELECT count(*), count(NULLIF(merged_into, '')) FROM example_accounts`).Scan(&n, &merged); err != nil {
		t.Fatal(err)
	}
	return n, merged
}

// The embedded default (DATABASE_URL unset): links and accounts in memory.
func TestContractOneAccountEmbedded(t *testing.T) {
	each(t, func(t *testing.T, name string) {
		wx := weixintest.NewServer()
		defer wx.Close()
		p := start(t, name, accountsEnv(wx)...)
		oneAccount(t, wx, p.base)
	})
}

// Two instances share one SQLite file (DATABASE_URL=sqlite:PATH).
func TestContractOneAccountSQLite(t *testing.T) {
	each(t, func(t *testing.T, name string) {
		wx := weixintest.NewServer()
		defer wx.Close()
		path := filepath.Join(t.TempDir(), "app.db")
		env := append(accountsEnv(wx), "DATABASE_URL=sqlite:"+path)
		a, b := start(t, name, env...), start(t, name, env...)
		want := oneAccount(t, wx, a.base, b.base)
		if n, merged := countAccounts(t, "sqlite", linkstore.SQLiteDSN(path)); n != want || merged != 2 {
			t.Errorf("%d accounts created (%d merged), want %d (2)", n, merged, want)
		}
	})
}

// Two instances share one PostgreSQL database (DATABASE_URL=postgres://…).
func TestContractOneAccountPostgres(t *testing.T) {
	skipIfShort(t, "the PostgreSQL tests")
	pg := pgtest.Start(t)
	urls := map[string]string{}
	for _, name := range examples {
		urls[name] = pg.NewDatabase(t)
	}
	each(t, func(t *testing.T, name string) {
		wx := weixintest.NewServer()
		defer wx.Close()
		env := append(accountsEnv(wx), "DATABASE_URL="+urls[name])
		a, b := start(t, name, env...), start(t, name, env...)
		want := oneAccount(t, wx, a.base, b.base)
		if n, merged := countAccounts(t, "pgx", urls[name]); n != want || merged != 2 {
			t.Errorf("%d accounts created (%d merged), want %d (2)", n, merged, want)
		}
	})
}

// A DATABASE_URL the examples cannot use stops them at start, without
// quoting its password.
func TestDatabaseURLErrors(t *testing.T) {
	for _, raw := range []string{"mysql://u:pw@h/db", "postgres://u:s3cretpw@127.0.0.1:1/db?connect_timeout=2"} {
		p := startFails(t, "nethttp", "DATABASE_URL="+raw)
		if !strings.Contains(p, "DATABASE_URL") || strings.Contains(p, "s3cretpw") {
			t.Errorf("%s: %s", raw, p)
		}
	}
}

// startFails runs example name with env (in dev mode), expects it to
// exit with an error within 20 s, and returns its output.
func startFails(t *testing.T, name string, env ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t, name))
	cmd.Env = append(os.Environ(), "ADDR="+freeAddr(t), "WEIXIN_APPID=", "WEIXIN_SECRET=", "DEV_MODE=", "SESSION_REDIS_URL=", "PUBLIC_URL=")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err == nil || ctx.Err() != nil {
		t.Errorf("%s with %v: did not stop with an error (%v)", name, env, err)
	}
	return string(out)
}
