package core_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/weixintest"
)

func TestLoginFlow(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	start := b.begin(core.LoginRequest{ReturnTo: "/orders?page=2"})
	if !strings.HasPrefix(start.AuthURL, e.srv.URL+"/connect/qrconnect?appid="+weixintest.DefaultAppID+"&redirect_uri=") {
		t.Fatalf("AuthURL = %s", start.AuthURL)
	}
	preLogin := b.token
	if preLogin == "" {
		t.Fatal("BeginLogin did not save the state in the session")
	}
	res, err := b.callback(e.approve(start, "u1"))
	if err != nil {
		t.Fatal(err)
	}
	if res.ReturnTo != "/orders?page=2" || res.Repeated {
		t.Errorf("result = %+v", res)
	}
	u, ok := b.user()
	if !ok {
		t.Fatal("no user after login")
	}
	if u.AppID != weixintest.DefaultAppID || u.OpenID != e.srv.OpenID(weixintest.DefaultAppID, "u1") ||
		u.Nickname != "张三" || u.UnionID == "" || u.LoggedInAt.IsZero() {
		t.Errorf("user = %+v", u)
	}
	// Session fixation: the id changes at login and the old one is dead.
	if b.token == preLogin {
		t.Error("session id not renewed at login")
	}
	old := &browser{e: e, token: preLogin}
	if _, ok := old.user(); ok {
		t.Error("the pre-login session id authenticates")
	}
	// Logout destroys the session: the cookie is cleared and dead.
	loggedIn := b.token
	b.do(func(ctx context.Context) {
		if err := e.auth.Logout(ctx); err != nil {
			t.Fatal(err)
		}
	})
	if b.token != "" {
		t.Error("logout kept the session cookie")
	}
	if _, ok := (&browser{e: e, token: loggedIn}).user(); ok {
		t.Error("the logged-out session id still authenticates")
	}
}

func TestStateFormat(t *testing.T) {
	e := newEnv(t)
	seen := map[string]bool{}
	pat := regexp.MustCompile(`^[A-Za-z0-9]{26}$`)
	for range 200 {
		s := e.browser().begin(core.LoginRequest{}).State
		if !pat.MatchString(s) {
			t.Fatalf("state %q: want 26 characters of [A-Za-z0-9] (130 bits)", s)
		}
		if seen[s] {
			t.Fatalf("state %q issued twice", s)
		}
		seen[s] = true
	}
}

func TestCallbackStateAttacks(t *testing.T) {
	tests := []struct {
		name   string
		attack func(e *env, b *browser) url.Values
		want   error
	}{
		{"missing state", func(e *env, b *browser) url.Values {
			q := e.approve(b.begin(core.LoginRequest{}), "u1")
			q.Del("state")
			return q
		}, core.ErrStateMissing},
		{"wrong state", func(e *env, b *browser) url.Values {
			q := e.approve(b.begin(core.LoginRequest{}), "u1")
			q.Set("state", "AAAAAAAAAAAAAAAAAAAAAAAAAA")
			return q
		}, core.ErrStateInvalid},
		{"malformed state", func(e *env, b *browser) url.Values {
			q := e.approve(b.begin(core.LoginRequest{}), "u1")
			q.Set("state", q.Get("state")+"-")
			return q
		}, core.ErrStateInvalid},
		{"overlong state", func(e *env, b *browser) url.Values {
			q := e.approve(b.begin(core.LoginRequest{}), "u1")
			q.Set("state", strings.Repeat("A", 129))
			return q
		}, core.ErrStateInvalid},
		{"state of another browser's session", func(e *env, b *browser) url.Values {
			// The attacker begins a login and makes the victim's browser
			// complete it (login CSRF).
			return e.approve(e.browser().begin(core.LoginRequest{}), "u2")
		}, core.ErrStateInvalid},
		{"no session at all", func(e *env, b *browser) url.Values {
			q := e.approve(e.browser().begin(core.LoginRequest{}), "u1")
			b.token = ""
			return q
		}, core.ErrStateInvalid},
		{"expired state", func(e *env, b *browser) url.Values {
			start := b.begin(core.LoginRequest{})
			e.srv.Advance(core.DefaultStateLifetime + time.Second)
			return url.Values{"state": {start.State}, "code": {e.srv.NewCode(weixintest.DefaultAppID, "u1", weixin.ScopeLogin)}}
		}, core.ErrStateExpired},
		{"state reused after logout", func(e *env, b *browser) url.Values {
			q := e.approve(b.begin(core.LoginRequest{}), "u1")
			if _, err := b.callback(q); err != nil {
				e.t.Fatal(err)
			}
			b.do(func(ctx context.Context) {
				e.sm.Remove(ctx, "wxlogin.user")
			})
			return q
		}, core.ErrStateUsed},
		{"state reused after a failed callback", func(e *env, b *browser) url.Values {
			start := b.begin(core.LoginRequest{})
			bad := url.Values{"state": {start.State}, "code": {"not-a-code"}}
			if _, err := b.callback(bad); !errors.Is(err, weixin.ErrCodeInvalid) {
				e.t.Fatalf("bad code: %v", err)
			}
			return e.approve(start, "u1")
		}, core.ErrStateInvalid},
		{"declined", func(e *env, b *browser) url.Values {
			u, err := e.srv.Decline(b.begin(core.LoginRequest{}).AuthURL)
			if err != nil {
				e.t.Fatal(err)
			}
			return u.Query()
		}, core.ErrLoginDeclined},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			b := e.browser()
			q := tt.attack(e, b)
			before := e.srv.Calls(weixintest.PathAccessToken)
			res, err := b.callback(q)
			if !errors.Is(err, tt.want) || res != nil {
				t.Fatalf("callback = %v, %v; want %v", res, err, tt.want)
			}
			if got := core.Classify(err).Status; got < 400 || got > 499 {
				t.Errorf("HTTPStatus = %d, want 4xx", got)
			}
			if _, ok := b.user(); ok {
				t.Error("logged in despite the error")
			}
			if n := e.srv.Calls(weixintest.PathAccessToken) - before; n != 0 {
				t.Errorf("%d code exchanges for a refused callback", n)
			}
		})
	}
}

func TestTwoTabs(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	tab1 := b.begin(core.LoginRequest{ReturnTo: "/one"})
	tab2 := b.begin(core.LoginRequest{ReturnTo: "/two"})
	q1, q2 := e.approve(tab1, "u1"), e.approve(tab2, "u1")
	res2, err := b.callback(q2)
	if err != nil || res2.ReturnTo != "/two" {
		t.Fatalf("tab 2: %+v, %v", res2, err)
	}
	res1, err := b.callback(q1)
	if err != nil || res1.ReturnTo != "/one" || res1.Repeated {
		t.Fatalf("tab 1: %+v, %v", res1, err)
	}
	if n := e.srv.Calls(weixintest.PathAccessToken); n != 2 {
		t.Errorf("%d exchanges, want 2", n)
	}
}

func TestPendingLoginsAreCapped(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	first := b.begin(core.LoginRequest{})
	var last *core.LoginStart
	for range 8 {
		last = b.begin(core.LoginRequest{})
	}
	if _, err := b.callback(e.approve(first, "u1")); !errors.Is(err, core.ErrStateInvalid) {
		t.Errorf("the oldest of nine pending logins: %v, want ErrStateInvalid", err)
	}
	if _, err := b.callback(e.approve(last, "u1")); err != nil {
		t.Errorf("the newest pending login: %v", err)
	}
}

func TestRepeatedCallback(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	q := e.approve(b.begin(core.LoginRequest{ReturnTo: "/cart"}), "u1")
	if _, err := b.callback(q); err != nil {
		t.Fatal(err)
	}
	token := b.token
	// A reload of the callback page: same state, same code.
	res, err := b.callback(q)
	if err != nil || !res.Repeated || res.ReturnTo != "/cart" {
		t.Fatalf("reload: %+v, %v", res, err)
	}
	if b.token != token {
		t.Error("a repeated callback changed the session")
	}
	if n := e.srv.Calls(weixintest.PathAccessToken); n != 1 {
		t.Errorf("%d code exchanges, want 1", n)
	}
	// The same callback in another browser is refused.
	if _, err := e.browser().callback(q); !errors.Is(err, core.ErrStateInvalid) {
		t.Errorf("replayed in another browser: %v", err)
	}
}

func TestReturnTo(t *testing.T) {
	e := newEnv(t)
	for _, tt := range []struct{ next, want string }{
		{"", "/me"},
		{"/settings?tab=1", "/settings?tab=1"},
		{"//evil.example", "/me"},
		{"https://evil.example/", "/me"},
		{"/%2F%2Fevil.example", "/me"},
		{"/\\evil.example", "/me"},
	} {
		start := e.browser().begin(core.LoginRequest{ReturnTo: tt.next})
		if start.ReturnTo != tt.want {
			t.Errorf("ReturnTo %q kept as %q, want %q", tt.next, start.ReturnTo, tt.want)
		}
	}
}

func TestInWeChatUsesOfficialAccount(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	start := b.begin(core.LoginRequest{InWeChat: true})
	want := e.srv.URL + "/connect/oauth2/authorize?appid=" + weixintest.DefaultMPAppID + "&redirect_uri=" +
		url.QueryEscape(callbackURL) + "&response_type=code&scope=snsapi_userinfo&state=" + start.State + "&connect_redirect=1#wechat_redirect"
	if start.AuthURL != want {
		t.Fatalf("AuthURL =\n%s\nwant\n%s", start.AuthURL, want)
	}
	if _, err := b.callback(e.approve(start, "u2")); err != nil {
		t.Fatal(err)
	}
	u, _ := b.user()
	if u.AppID != weixintest.DefaultMPAppID || u.OpenID != e.srv.OpenID(weixintest.DefaultMPAppID, "u2") || u.Nickname == "" {
		t.Errorf("user = %+v", u)
	}
	if u.OpenID == e.srv.OpenID(weixintest.DefaultAppID, "u2") {
		t.Error("openids of two apps are equal")
	}
}

func TestSnapshotUserIsNotALogin(t *testing.T) {
	e := newEnv(t)
	snap := e.srv.AddUser(weixintest.User{Nickname: "快照", Snapshot: true})
	base := e.srv.Config(weixintest.DefaultMPAppID, callbackURL, weixin.ScopeBase)
	base.Logger = slog.New(slog.DiscardHandler)
	auth, err := core.New(core.Options{OfficialAccount: &base, Sessions: e.sm, Now: e.srv.Now, Logger: base.Logger})
	if err != nil {
		t.Fatal(err)
	}
	e.auth = auth
	b := e.browser()
	_, err = b.callback(e.approve(b.begin(core.LoginRequest{InWeChat: true}), snap.ID))
	if !errors.Is(err, weixin.ErrSnapshotUser) || core.Classify(err).Status != http.StatusForbidden {
		t.Fatalf("snapshot visitor: %v", err)
	}
	if _, ok := b.user(); ok {
		t.Error("snapshot visitor logged in")
	}
	// A real user under snsapi_base: identity only, no profile call.
	if res := b.login("u1"); res.User.OpenID == "" || res.User.Nickname != "" {
		t.Errorf("snsapi_base user = %+v", res.User)
	}
	if n := e.srv.Calls(weixintest.PathUserInfo); n != 0 {
		t.Errorf("%d userinfo calls under snsapi_base", n)
	}
}

func TestLoginHook(t *testing.T) {
	allowed := map[string]string{} // unionid → account
	e := newEnv(t, func(o *core.Options) {
		o.OnLogin = func(ctx context.Context, u *core.User, tok *weixin.Token) error {
			acct, ok := allowed[u.UnionID]
			if !ok {
				return errors.New("not on the allow-list")
			}
			u.AccountID = acct
			return nil
		}
	})
	b := e.browser()
	_, err := b.callback(e.approve(b.begin(core.LoginRequest{}), "u1"))
	if !errors.Is(err, core.ErrLoginRejected) || core.Classify(err).Status != http.StatusForbidden {
		t.Fatalf("rejected login: %v", err)
	}
	if _, ok := b.user(); ok {
		t.Fatal("rejected user logged in")
	}
	// Link by unionid: the same person through the official account maps
	// to the same account.
	allowed[e.srv.Users()[0].UnionID] = "acct-42"
	if res := b.login("u1"); res.User.AccountID != "acct-42" {
		t.Errorf("AccountID = %q", res.User.AccountID)
	}
	mb := e.browser()
	mres, err := mb.callback(e.approve(mb.begin(core.LoginRequest{InWeChat: true}), "u1"))
	if err != nil || mres.User.AccountID != "acct-42" || mres.User.AppID != weixintest.DefaultMPAppID {
		t.Errorf("official-account login: %+v, %v", mres, err)
	}
}

func TestCallbackUpstreamErrors(t *testing.T) {
	tests := []struct {
		name   string
		fault  weixintest.Fault
		status int
		target error
	}{
		{"invalid code", weixintest.Fault{Errcode: 40029}, http.StatusBadRequest, weixin.ErrCodeInvalid},
		{"code used", weixintest.Fault{Errcode: 40163}, http.StatusBadRequest, weixin.ErrCodeUsed},
		{"code expired", weixintest.Fault{Errcode: 42003}, http.StatusBadRequest, weixin.ErrCodeExpired},
		{"bad secret", weixintest.Fault{Errcode: 40125}, http.StatusBadGateway, weixin.ErrInvalidCredential},
		{"busy", weixintest.Fault{Errcode: -1}, http.StatusBadGateway, weixin.ErrSystemBusy},
		{"HTTP 500", weixintest.Fault{Status: 500}, http.StatusBadGateway, weixin.ErrUpstream},
		{"malformed", weixintest.Fault{Malformed: true}, http.StatusBadGateway, weixin.ErrUpstream},
		{"timeout", weixintest.Fault{Delay: 2 * time.Second}, http.StatusGatewayTimeout, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(o *core.Options) { o.Website.Timeout = 200 * time.Millisecond })
			b := e.browser()
			q := e.approve(b.begin(core.LoginRequest{}), "u1")
			e.srv.InjectFault(weixintest.PathAccessToken, tt.fault)
			_, err := b.callback(q)
			if !errors.Is(err, tt.target) || core.Classify(err).Status != tt.status {
				t.Fatalf("err = %v (status %d); want %v, %d", err, core.Classify(err).Status, tt.target, tt.status)
			}
			if _, ok := b.user(); ok {
				t.Error("logged in despite the error")
			}
			if n := e.srv.Calls(weixintest.PathAccessToken); n != 1 {
				t.Errorf("the code exchange was tried %d times, want once", n)
			}
		})
	}
}

// The official account's authorize URL carries connect_redirect=1 by
// default (the known remedy for WeChat's double redirect), once, and
// NoConnectRedirect removes it; the website's QR page has none.
func TestConnectRedirect(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	count := func(s string) int { return strings.Count(s, "connect_redirect=") }
	if u := b.begin(core.LoginRequest{InWeChat: true}).AuthURL; count(u) != 1 || !strings.Contains(u, "&connect_redirect=1#") {
		t.Errorf("official account: %s", u)
	}
	if u := b.begin(core.LoginRequest{InWeChat: true, Options: []weixin.AuthCodeOption{weixin.ConnectRedirect, weixin.ForcePopup}}).AuthURL; count(u) != 1 {
		t.Errorf("with ConnectRedirect given: %s", u)
	}
	start := b.begin(core.LoginRequest{InWeChat: true, Options: []weixin.AuthCodeOption{weixin.NoConnectRedirect}})
	if count(start.AuthURL) != 0 {
		t.Errorf("NoConnectRedirect: %s", start.AuthURL)
	}
	if _, err := b.callback(e.approve(start, "u1")); err != nil {
		t.Errorf("login without connect_redirect: %v", err)
	}
	if u := b.begin(core.LoginRequest{}).AuthURL; count(u) != 0 {
		t.Errorf("website: %s", u)
	}
}
