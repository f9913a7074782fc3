package core_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/linkstore"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/weixintest"
)

// userEvents returns the events seen since the last call, leaving out
// upstream calls, with Op and Duration cleared; all keeps every event.
func (l *eventLog) userEvents(all *[]core.Event) []core.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []core.Event
	for _, e := range l.events {
		*all = append(*all, e)
		if e.Kind != core.EventUpstreamCall {
			e.Op, e.Duration = "", 0
			out = append(out, e)
		}
	}
	l.events = nil
	return out
}

// Every event about a user says whose (appid, openid, account id),
// through every door: login, refresh, failed refresh, ended login and
// logout, and a failed login as far as it was known when it failed. No
// event holds a code, a state, a token, a session id, a session_key or
// an app secret.
func TestEventsCarryTheIdentity(t *testing.T) {
	var reject atomic.Bool
	var accounts atomic.Int64
	e, log := doorsEnv(t, func(o *core.Options) {
		o.Accounts = &core.Accounts{
			Store: linkstore.NewMemory(),
			NewAccount: func(context.Context, *core.User) (string, error) {
				return fmt.Sprint("acct", accounts.Add(1)), nil
			},
		}
		o.OnLogin = func(context.Context, *core.User, *weixin.Token) error {
			if reject.Load() {
				return errors.New("banned")
			}
			return nil
		}
	})
	web, oa := weixintest.DefaultAppID, weixintest.DefaultMPAppID
	mini, mobile := weixintest.DefaultMiniProgramAppID, weixintest.DefaultMobileAppID
	secrets := []string{
		e.srv.Config(web, callbackURL, weixin.ScopeLogin).AppSecret,
		e.srv.Config(oa, callbackURL, weixin.ScopeUserInfo).AppSecret,
		weixintest.DefaultMiniProgramSecret, weixintest.DefaultMobileAppSecret,
	}
	keep := func(s ...string) {
		for _, v := range s {
			if v != "" {
				secrets = append(secrets, v)
			}
		}
	}
	var all []core.Event
	expect := func(what string, want ...core.Event) {
		t.Helper()
		got := log.userEvents(&all)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: events\n%+v\nwant\n%+v", what, got, want)
		}
	}
	id := func(kind core.EventKind, appID, user, accountID string) core.Event {
		return core.Event{Kind: kind, AppID: appID, OpenID: e.srv.OpenID(appID, user), AccountID: accountID}
	}
	// tokens keeps the tokens of the session b.
	tokens := func(b *browser) {
		keep(b.token)
		b.do(func(ctx context.Context) {
			if tok, err := e.auth.Token(ctx); err == nil {
				keep(tok.AccessToken, tok.RefreshToken)
			}
		})
		log.userEvents(&all)
	}

	// Logins through the four doors: one person, one account.
	w := e.browser()
	start := w.begin(core.LoginRequest{})
	q := e.approve(start, "u1")
	keep(start.State, q.Get("code"))
	res, err := w.callback(q)
	if err != nil {
		t.Fatal(err)
	}
	acct := res.User.AccountID
	if acct == "" {
		t.Fatal("no account id")
	}
	expect("website login", id(core.EventLogin, web, "u1", acct))
	tokens(w)

	o := e.browser()
	start = o.begin(core.LoginRequest{InWeChat: true})
	q = e.approve(start, "u1")
	keep(start.State, q.Get("code"))
	if _, err := o.callback(q); err != nil {
		t.Fatal(err)
	}
	expect("official account login", id(core.EventLogin, oa, "u1", acct))

	code := e.srv.MiniProgramCode(mini, "u1")
	keep(code)
	ml, err := e.auth.MiniProgramLogin(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	expect("mini program login", id(core.EventLogin, mini, "u1", acct))
	m := &browser{e: e, bearer: true, token: ml.Token}
	keep(ml.Token)
	m.do(func(ctx context.Context) {
		key, _ := e.auth.MiniProgramSessionKey(ctx)
		keep(key)
	})

	code = e.srv.SendAuthCode(mobile, "u1")
	keep(code)
	al, err := e.auth.AppLogin(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	expect("mobile app login", id(core.EventLogin, mobile, "u1", acct))
	a := &browser{e: e, bearer: true, token: al.Token}
	tokens(a)

	// Refreshes, failed refreshes.
	e.srv.Advance(3 * time.Hour)
	w.do(func(ctx context.Context) { e.auth.Token(ctx) })
	a.do(func(ctx context.Context) { e.auth.Token(ctx) })
	expect("refreshes", id(core.EventRefresh, web, "u1", acct), id(core.EventRefresh, mobile, "u1", acct))
	tokens(w)
	tokens(a)

	e.srv.Advance(3 * time.Hour)
	e.srv.InjectFault(weixintest.PathRefreshToken, weixintest.Fault{Status: http.StatusServiceUnavailable})
	w.do(func(ctx context.Context) { e.auth.Token(ctx) })
	a.do(func(ctx context.Context) { e.auth.Token(ctx) })
	e.srv.ClearFaults()
	failed := func(ev core.Event) core.Event { ev.Reason = "upstream"; return ev }
	expect("failed refreshes", failed(id(core.EventRefreshFailed, web, "u1", acct)), failed(id(core.EventRefreshFailed, mobile, "u1", acct)))

	// Logouts.
	o.do(func(ctx context.Context) { e.auth.Logout(ctx) })
	m.do(func(ctx context.Context) { e.auth.Logout(ctx) })
	expect("logouts", id(core.EventLogout, oa, "u1", acct), id(core.EventLogout, mini, "u1", acct))

	// Ended logins: the refresh tokens are 30 days old.
	e.srv.Advance(31 * 24 * time.Hour)
	w.do(func(ctx context.Context) { e.auth.Token(ctx) })
	a.do(func(ctx context.Context) { e.auth.Token(ctx) })
	expect("ended logins", id(core.EventLoginEnded, web, "u1", acct), id(core.EventLoginEnded, mobile, "u1", acct))

	// Failed logins: as much identity as was known.
	f := e.browser()
	start = f.begin(core.LoginRequest{})
	q = e.approve(start, "u2")
	keep(start.State, q.Get("code"))
	f.callback(url.Values{"state": {"FORGED" + start.State[6:]}, "code": q["code"]})
	expect("forged state: nothing known", core.Event{Kind: core.EventLoginFailed, Reason: "state_invalid"})
	f.callback(url.Values{"state": {start.State}})
	expect("declined: the application", core.Event{Kind: core.EventLoginFailed, AppID: web, Reason: "declined"})

	snap := e.srv.AddUser(weixintest.User{Nickname: "快照", Snapshot: true})
	start = f.begin(core.LoginRequest{InWeChat: true})
	q = e.approve(start, snap.ID)
	keep(start.State, q.Get("code"))
	f.callback(q)
	expect("snapshot visitor: the application (its openid is virtual)", core.Event{Kind: core.EventLoginFailed, AppID: oa, Reason: "snapshot_user"})

	code = e.srv.MiniProgramCode(mini, "u2") + "x"
	keep(code)
	e.auth.MiniProgramLogin(context.Background(), code)
	expect("code refused: the application", core.Event{Kind: core.EventLoginFailed, AppID: mini, Reason: "code_invalid"})

	// u2 logs in once, so that the refused logins below find an account.
	u2 := f.login("u2").User
	log.userEvents(&all)
	reject.Store(true)
	start = f.begin(core.LoginRequest{})
	q = e.approve(start, "u2")
	keep(start.State, q.Get("code"))
	f.callback(q)
	code = e.srv.MiniProgramCode(mini, "u2")
	keep(code)
	e.auth.MiniProgramLogin(context.Background(), code)
	code = e.srv.SendAuthCode(mobile, "u2")
	keep(code)
	e.auth.AppLogin(context.Background(), code)
	rejected := func(ev core.Event) core.Event { ev.Kind, ev.Reason = core.EventLoginFailed, "rejected"; return ev }
	expect("refused by the LoginHook: the whole identity",
		rejected(id("", web, "u2", u2.AccountID)), rejected(id("", mini, "u2", u2.AccountID)), rejected(id("", mobile, "u2", u2.AccountID)))
	reject.Store(false)

	u := e.srv.Users()[0]
	u.UnionID = "o6_bANOTHERUNIONIDOFTHEFAKE"
	e.srv.AddUser(u)
	start = f.begin(core.LoginRequest{})
	q = e.approve(start, u.ID)
	keep(start.State, q.Get("code"))
	f.callback(q)
	conflict := id("", web, u.ID, "")
	conflict.Kind, conflict.Reason = core.EventLoginFailed, "identity_conflict"
	expect("identity conflict: appid and openid", conflict)

	log.userEvents(&all)
	if len(all) < 40 {
		t.Fatalf("%d events: the scan below would prove little", len(all))
	}
	for _, ev := range all {
		s := fmt.Sprintf("%+v", ev)
		for _, secret := range secrets {
			if strings.Contains(s, secret) {
				t.Errorf("an event holds a secret (%.6s…): %s", secret, s)
			}
		}
	}
}
