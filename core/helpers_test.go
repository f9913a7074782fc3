package core_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/internal/logtest"
	"github.com/wxlogin/wxlogin/weixintest"
)

const callbackURL = "https://app.example/auth/weixin/callback"

// env is one app (an Auth on a memory session store) and the fake WeChat
// it talks to. Every log line goes to logs, so tests can check that no
// secret reaches them.
type env struct {
	t    testing.TB
	srv  *weixintest.Server
	sm   *scs.SessionManager
	auth *core.Auth
	logs *logtest.Buffer
}

// newEnv starts a fake WeChat and an Auth with the website application and
// the official account; tweak adjusts the options before New.
func newEnv(t testing.TB, tweak ...func(*core.Options)) *env {
	t.Helper()
	srv := weixintest.NewServer()
	t.Cleanup(srv.Close)
	logs := &logtest.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	web := srv.Config(weixintest.DefaultAppID, callbackURL, weixin.ScopeLogin)
	web.Logger = logger
	web.RetryBackoff = time.Millisecond
	mp := srv.Config(weixintest.DefaultMPAppID, callbackURL, weixin.ScopeUserInfo)
	mp.Logger = logger
	mp.RetryBackoff = time.Millisecond
	sm := scs.New()
	sm.Store = memstore.NewWithCleanupInterval(0)
	opts := core.Options{
		Website:         &web,
		OfficialAccount: &mp,
		Sessions:        sm,
		DefaultReturnTo: "/me",
		Logger:          logger,
		Now:             srv.Now,
	}
	for _, f := range tweak {
		f(&opts)
	}
	auth, err := core.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, srv: srv, sm: sm, auth: auth, logs: logs}
}

// browser is a cookie jar of one: the session token a browser would send.
type browser struct {
	e     *env
	token string
	// bearer makes the browser a client that sends its token in an
	// Authorization: Bearer header (a mini program, a mobile app).
	bearer bool
}

func (e *env) browser() *browser { return &browser{e: e} }

// load is the start of a request: the session as the adapters' Sessions
// middleware loads it.
func (b *browser) load() context.Context {
	b.e.t.Helper()
	load := b.e.auth.Adapter().LoadSession
	if b.bearer {
		load = b.e.auth.Adapter().LoadBearerSession
	}
	ctx, err := load(context.Background(), b.token)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return ctx
}

// save is the end of a request: the session committed and the cookie
// updated, as the adapters' Sessions middleware does.
func (b *browser) save(ctx context.Context) {
	b.e.t.Helper()
	h, err := b.e.auth.Adapter().SaveSession(ctx)
	if err != nil {
		b.e.t.Fatal(err)
	}
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == b.e.sm.Cookie.Name {
			b.token = c.Value
		}
	}
}

// do runs f as one request of this browser.
func (b *browser) do(f func(ctx context.Context)) {
	ctx := b.load()
	f(ctx)
	b.save(ctx)
}

// begin starts a login and returns its authorize URL.
func (b *browser) begin(req core.LoginRequest) *core.LoginStart {
	b.e.t.Helper()
	var start *core.LoginStart
	b.do(func(ctx context.Context) {
		var err error
		if start, err = b.e.auth.BeginLogin(ctx, req); err != nil {
			b.e.t.Fatal(err)
		}
	})
	return start
}

// callback sends WeChat's callback query to the app.
func (b *browser) callback(q url.Values) (*core.LoginResult, error) {
	var res *core.LoginResult
	var err error
	b.do(func(ctx context.Context) { res, err = b.e.auth.CompleteLogin(ctx, q) })
	return res, err
}

// approve has the user approve start on the fake and returns the
// callback query.
func (e *env) approve(start *core.LoginStart, userID string) url.Values {
	e.t.Helper()
	u, err := e.srv.Authorize(start.AuthURL, userID)
	if err != nil {
		e.t.Fatal(err)
	}
	return u.Query()
}

// login runs a whole login of user in b.
func (b *browser) login(userID string) *core.LoginResult {
	b.e.t.Helper()
	res, err := b.callback(b.e.approve(b.begin(core.LoginRequest{}), userID))
	if err != nil {
		b.e.t.Fatalf("login: %v", err)
	}
	return res
}

// user returns the current user of b's session.
func (b *browser) user() (*core.User, bool) {
	ctx := b.load()
	return b.e.auth.CurrentUser(ctx)
}

// mustLogIn reports whether err means the user must log in again: the
// login ended, or WeChat refused the code.
func mustLogIn(err error) bool {
	c := core.Classify(err)
	return c.Code == "login_required" || c.Code == "code_invalid"
}
