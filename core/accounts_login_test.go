package core_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/linkstore"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/weixintest"
)

// accountsEnv is an env whose Auth links accounts in a memory store.
func accountsEnv(t *testing.T) (*env, *linkstore.Memory, *[]string) {
	// created lists the accounts created and the merges, in order.
	st := linkstore.NewMemory()
	var mu sync.Mutex
	var created []string
	e := newEnv(t, func(o *core.Options) {
		o.Accounts = &core.Accounts{
			Store: st,
			NewAccount: func(ctx context.Context, u *core.User) (string, error) {
				mu.Lock()
				defer mu.Unlock()
				created = append(created, fmt.Sprint("acct", len(created)+1))
				return created[len(created)-1], nil
			},
			OnMerge: func(ctx context.Context, from, into string) error {
				mu.Lock()
				defer mu.Unlock()
				created = append(created, "merged "+from+" into "+into)
				return nil
			},
		}
		o.OnLogin = func(ctx context.Context, u *core.User, tok *weixin.Token) error {
			if u.AccountID == "" {
				return errors.New("OnLogin ran before the account was linked")
			}
			return nil
		}
	})
	return e, st, &created
}

func TestAccountsWebsiteAndOfficialAccountShareOneAccount(t *testing.T) {
	e, _, created := accountsEnv(t)
	web := e.browser().login("u1").User
	b := e.browser()
	if _, err := b.callback(e.approve(b.begin(core.LoginRequest{InWeChat: true}), "u1")); err != nil {
		t.Fatal(err)
	}
	oa, _ := b.user()
	if oa.AppID != weixintest.DefaultMPAppID || web.AppID != weixintest.DefaultAppID {
		t.Fatalf("doors %s %s", web.AppID, oa.AppID)
	}
	if web.AccountID != "acct1" || oa.AccountID != "acct1" || len(*created) != 1 {
		t.Errorf("website %q, official account %q, created %v: want one account", web.AccountID, oa.AccountID, *created)
	}
	if other := e.browser().login("u2").User; other.AccountID != "acct2" {
		t.Errorf("another person: %q", other.AccountID)
	}
}

func TestAccountsConflictingUnionIDIs409(t *testing.T) {
	e, st, _ := accountsEnv(t)
	first := e.browser().login("u1").User
	u := e.srv.Users()[0]
	u.UnionID = "o6_bANOTHERUNIONIDOFTHEFAKE"
	e.srv.AddUser(u)
	b := e.browser()
	_, err := b.callback(e.approve(b.begin(core.LoginRequest{}), "u1"))
	if !errors.Is(err, core.ErrIdentityConflict) || core.Classify(err).Status != http.StatusConflict || core.Classify(err).Code != "identity_conflict" {
		t.Fatalf("conflict: %v", err)
	}
	if _, ok := b.user(); ok {
		t.Error("the refused login has a session")
	}
	l, err := st.Get(context.Background(), core.IdentityKey(first.AppID, first.OpenID))
	if err != nil || l.UnionID != first.UnionID || l.AccountID != first.AccountID {
		t.Errorf("link re-pointed: %+v %v", l, err)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "level=WARN") || strings.Contains(logs, first.OpenID) || strings.Contains(logs, u.UnionID) {
		t.Errorf("log: %s", logs)
	}
}

func TestAccountsSnapshotVisitorGetsNoLink(t *testing.T) {
	e, st, created := accountsEnv(t)
	snap := e.srv.AddUser(weixintest.User{Nickname: "快照", Snapshot: true})
	base := e.srv.Config(weixintest.DefaultMPAppID, callbackURL, weixin.ScopeBase)
	base.Logger = slog.New(slog.DiscardHandler)
	auth, err := core.New(core.Options{OfficialAccount: &base, Sessions: e.sm, Now: e.srv.Now, Logger: base.Logger,
		Accounts: &core.Accounts{Store: st, NewAccount: func(context.Context, *core.User) (string, error) { return "x", nil }}})
	if err != nil {
		t.Fatal(err)
	}
	e.auth = auth
	b := e.browser()
	if _, err = b.callback(e.approve(b.begin(core.LoginRequest{InWeChat: true}), snap.ID)); !errors.Is(err, weixin.ErrSnapshotUser) {
		t.Fatalf("snapshot visitor: %v", err)
	}
	if st.Len() != 0 || len(*created) != 0 {
		t.Errorf("%d records, %v accounts after a snapshot visit", st.Len(), *created)
	}
}

func TestAccountsNeedStoreAndNewAccount(t *testing.T) {
	e := newEnv(t)
	web := e.srv.Config(weixintest.DefaultAppID, callbackURL, weixin.ScopeLogin)
	_, err := core.New(core.Options{Website: &web, Sessions: e.sm, Accounts: &core.Accounts{Store: linkstore.NewMemory()}})
	if err == nil || !strings.Contains(err.Error(), "NewAccount") {
		t.Errorf("New: %v", err)
	}
}

// A person whose first login brought no unionid (an app bound to the
// open platform later) joins the unionid's account on the login that
// brings it, through the whole login flow.
func TestAccountsBoundLaterJoins(t *testing.T) {
	e, _, created := accountsEnv(t)
	late := e.srv.AddUser(weixintest.User{ID: "late", Nickname: "Late", NoUnionID: true})
	first := e.browser().login(late.ID).User
	if first.UnionID != "" || first.AccountID == "" {
		t.Fatalf("unbound login: %+v", first)
	}
	late.NoUnionID, late.UnionID = false, ""
	late = e.srv.AddUser(late) // now bound: WeChat gives a unionid
	b := e.browser()
	if _, err := b.callback(e.approve(b.begin(core.LoginRequest{InWeChat: true}), late.ID)); err != nil {
		t.Fatal(err)
	}
	oa, _ := b.user()
	if oa.AccountID == first.AccountID || oa.UnionID != late.UnionID {
		t.Fatalf("official account's first login: %+v", oa)
	}
	again := e.browser().login(late.ID).User
	if again.AccountID != oa.AccountID {
		t.Errorf("website login bringing the unionid: %q, want the unionid's account %q", again.AccountID, oa.AccountID)
	}
	if len(*created) != 3 || (*created)[2] != "merged "+first.AccountID+" into "+oa.AccountID {
		t.Errorf("accounts and merges %v", *created)
	}
}
