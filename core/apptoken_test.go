package core_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/internal/logtest"
	"github.com/wxlogin/wxlogin/weixintest"
)

// The mini program of these tests, registered with the fake (issue 15
// gives the fake a MiniProgram kind and a default one).
const (
	mpAppID  = "wx0mini0program0001"
	mpSecret = "weixintest-miniprogram-secret"
)

// countingTransport counts the requests per path that go through it.
type countingTransport struct {
	mu    sync.Mutex
	calls map[string]int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	c.calls[r.URL.Path]++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (c *countingTransport) count(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[path]
}

// mpEnv is newEnv with a mini program (Options.MiniProgram) whose calls
// are counted.
type mpEnv struct {
	*env
	mp    *weixin.Config
	calls *countingTransport
}

// newMPEnv starts an app with the website, the official account and a
// mini program, on srv (a new fake when nil).
func newMPEnv(t testing.TB, srv *weixintest.Server) *mpEnv {
	t.Helper()
	if srv == nil {
		srv = weixintest.NewServer()
		t.Cleanup(srv.Close)
	}
	srv.AddApp(weixintest.App{AppID: mpAppID, Secret: mpSecret, Kind: weixintest.MiniProgram})
	logs := &logtest.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	calls := &countingTransport{}
	web := srv.Config(weixintest.DefaultAppID, callbackURL, weixin.ScopeLogin)
	oa := srv.Config(weixintest.DefaultMPAppID, callbackURL, weixin.ScopeUserInfo)
	mp := &weixin.Config{AppID: mpAppID, AppSecret: mpSecret, Endpoint: srv.Endpoint(),
		HTTPClient: &http.Client{Transport: calls}, RetryBackoff: time.Millisecond, Logger: logger}
	for _, c := range []*weixin.Config{&web, &oa} {
		c.Logger, c.RetryBackoff = logger, time.Millisecond
	}
	sm := scs.New()
	sm.Store = memstore.NewWithCleanupInterval(0)
	auth, err := core.New(core.Options{
		Website: &web, OfficialAccount: &oa, MiniProgram: mp,
		Sessions: sm, Logger: logger, Now: srv.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &mpEnv{env: &env{t: t, srv: srv, sm: sm, auth: auth, logs: logs}, mp: mp, calls: calls}
}

// mpLogin logs userID in to the mini program and makes b the mini
// program: its requests carry the login's bearer token.
func (e *mpEnv) mpLogin(b *browser, userID string) {
	e.t.Helper()
	l, err := e.auth.MiniProgramLogin(context.Background(), e.srv.MiniProgramCode(mpAppID, userID))
	if err != nil {
		e.t.Fatal(err)
	}
	b.token, b.bearer = l.Token, true
}

func (e *mpEnv) source() *weixin.AppTokenSource {
	s, err := e.auth.AppTokenSource(mpAppID)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// phoneCall exchanges a fresh phone code of u1 through the app client.
func (e *mpEnv) phoneCall(ctx context.Context) (*weixin.PhoneNumber, error) {
	return e.source().PhoneNumber(ctx, e.srv.PhoneCode(mpAppID, "u1", "13800138000"))
}

func TestAppTokenStableNormalModeOnceForManyCallers(t *testing.T) {
	e := newMPEnv(t, nil)
	ctx := context.Background()
	var wg sync.WaitGroup
	toks := make([]*weixin.AppToken, 100)
	for i := range toks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := appToken(ctx, e.auth, mpAppID)
			if err != nil {
				t.Error(err)
			}
			toks[i] = tok
		}()
	}
	wg.Wait()
	for _, tok := range toks {
		if tok == nil || tok.AccessToken != toks[0].AccessToken || tok.AppID != mpAppID {
			t.Fatalf("tokens differ: %v %v", tok, toks[0])
		}
	}
	if n := e.calls.count(weixintest.PathStableToken); n != 1 {
		t.Errorf("%d stable_token calls for 100 concurrent callers, want 1", n)
	}
	for _, c := range e.srv.Log() {
		if c.Path == weixintest.PathStableToken && (c.Method != http.MethodPost || c.Query.Get("force_refresh") != "false") {
			t.Errorf("stable_token called %s with force_refresh %q", c.Method, c.Query.Get("force_refresh"))
		}
	}
	if e.srv.Calls(weixintest.PathToken) != 0 {
		t.Error("/cgi-bin/token was called")
	}
	// The token's secret is in neither its String nor its log value.
	if s := toks[0].String() + slog.AnyValue(*toks[0]).String(); strings.Contains(s, toks[0].AccessToken) {
		t.Errorf("token printed: %s", s)
	}
}

func TestAppTokenKeptUntilTheRenewWindow(t *testing.T) {
	for _, c := range []struct {
		ttl, margin time.Duration
	}{
		{2 * time.Hour, 5 * time.Minute},     // WeChat's: 5 minutes
		{8 * time.Minute, 2 * time.Minute},   // a quarter of a short lifetime
		{20 * time.Minute, 5 * time.Minute},  // both
		{40 * time.Second, 10 * time.Second}, // a very short one
	} {
		t.Run(c.ttl.String(), func(t *testing.T) {
			e := newMPEnv(t, nil)
			e.srv.SetAppTokenTTL(c.ttl)
			ctx := context.Background()
			first, err := appToken(ctx, e.auth, mpAppID)
			if err != nil {
				t.Fatal(err)
			}
			// Until less than the margin remains: the same token, no call.
			e.srv.Advance(c.ttl - c.margin - time.Second)
			if tok, _ := appToken(ctx, e.auth, mpAppID); tok != first || e.calls.count(weixintest.PathStableToken) != 1 {
				t.Fatalf("before the window: %v, %d calls", tok, e.calls.count(weixintest.PathStableToken))
			}
			// Within it: the next one, in one call.
			e.srv.Advance(c.margin / 2)
			next, err := appToken(ctx, e.auth, mpAppID)
			if err != nil || next.AccessToken == first.AccessToken || e.calls.count(weixintest.PathStableToken) != 2 {
				t.Fatalf("in the window: %v %v, %d calls", next, err, e.calls.count(weixintest.PathStableToken))
			}
			if again, _ := appToken(ctx, e.auth, mpAppID); again != next || e.calls.count(weixintest.PathStableToken) != 2 {
				t.Fatal("the next token was not kept")
			}
		})
	}
}

func TestAppTokenFailedFetchBacksOff(t *testing.T) {
	e := newMPEnv(t, nil)
	ctx := context.Background()
	e.srv.InjectFault(weixintest.PathStableToken, weixintest.Fault{Status: http.StatusBadGateway})
	_, err := appToken(ctx, e.auth, mpAppID)
	if !errors.Is(err, weixin.ErrUpstream) || core.Classify(err).Status != http.StatusBadGateway {
		t.Fatalf("a fetch WeChat fails: %v", err)
	}
	tried := e.calls.count(weixintest.PathStableToken) // 3: a read is retried within its call
	// Callers within the back-off get the error without a call.
	for range 50 {
		if _, err2 := appToken(ctx, e.auth, mpAppID); err2 == nil {
			t.Fatal("a token during the back-off")
		}
	}
	if n := e.calls.count(weixintest.PathStableToken); n != tried || tried != 3 {
		t.Fatalf("%d calls after 51 callers, want %d (3)", n, tried)
	}
	// The back-off doubles: 1 s, 2 s, 4 s ...
	var waits []int
	for i := 0; i < 4; i++ {
		before := e.calls.count(weixintest.PathStableToken)
		secs := 0
		for e.calls.count(weixintest.PathStableToken) == before && secs < 100 {
			e.srv.Advance(time.Second)
			secs++
			appToken(ctx, e.auth, mpAppID)
		}
		waits = append(waits, secs)
	}
	if waits[0] != 1 || waits[1] != 2 || waits[2] != 4 || waits[3] != 8 {
		t.Errorf("back-off %v s, want [1 2 4 8]", waits)
	}
	e.srv.ClearFaults()
	e.srv.Advance(weixin.AppTokenMaxBackoff)
	tok, err := appToken(ctx, e.auth, mpAppID)
	if err != nil {
		t.Fatal(err)
	}
	// A failure while the token still works: callers keep it.
	e.srv.Advance(2*time.Hour - 4*time.Minute)
	e.srv.InjectFault(weixintest.PathStableToken, weixintest.Fault{Errcode: -1})
	if again, err := appToken(ctx, e.auth, mpAppID); err != nil || again != tok {
		t.Fatalf("a failed renewal with a valid token: %v %v", again, err)
	}
	if s := e.logs.String(); strings.Contains(s, tok.AccessToken) || strings.Contains(s, mpSecret) {
		t.Error("a log line holds the token or the secret")
	}
}

func TestAppClientRereadsOnceOnRejection(t *testing.T) {
	e := newMPEnv(t, nil)
	ctx := context.Background()
	if _, err := e.phoneCall(ctx); err != nil {
		t.Fatal(err)
	}
	// Another party force-refreshes: 20 requests at once see 40001; one
	// re-read serves them all, and no caller sees the 40001.
	e.srv.InvalidateAppToken(mpAppID)
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.phoneCall(ctx); err != nil {
				t.Error(err)
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := e.calls.count(weixintest.PathStableToken); n != 2 || failed.Load() != 0 {
		t.Errorf("%d stable_token calls (want 2: the first and one re-read), %d failures", n, failed.Load())
	}
	for _, c := range e.srv.Log() {
		if c.Path == weixintest.PathStableToken && c.Query.Get("force_refresh") != "false" {
			t.Error("the re-read forced a refresh")
		}
	}

	// A second rejection of the re-read token is an error, not a storm.
	e.srv.InjectFault(weixintest.PathPhoneNumber, weixintest.Fault{Errcode: 40001, Times: 2})
	before, phones := e.calls.count(weixintest.PathStableToken), e.srv.Calls(weixintest.PathPhoneNumber)
	_, err := e.phoneCall(ctx)
	if !errors.Is(err, weixin.ErrAccessTokenInvalid) || core.Classify(err).Status != http.StatusBadGateway || core.Classify(err).Code != "upstream" {
		t.Fatalf("twice 40001: %v (%d)", err, core.Classify(err).Status)
	}
	if n := e.calls.count(weixintest.PathStableToken) - before; n != 1 {
		t.Errorf("%d re-reads after a rejection, want 1", n)
	}
	if n := e.srv.Calls(weixintest.PathPhoneNumber) - phones; n != 2 {
		t.Errorf("%d calls of the API, want 2", n)
	}
	// 42001 too.
	e.srv.InjectFault(weixintest.PathPhoneNumber, weixintest.Fault{Errcode: 42001, Times: 1})
	if _, err := e.phoneCall(ctx); err != nil {
		t.Errorf("after one 42001: %v", err)
	}
}

func TestAppTokenForceRefresh(t *testing.T) {
	e := newMPEnv(t, nil)
	ctx := context.Background()
	src := e.source()
	old, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := src.ForceRefresh(ctx)
	if err != nil || fresh.AccessToken == old.AccessToken {
		t.Fatalf("ForceRefresh: %v %v", fresh, err)
	}
	if tok, _ := src.Token(ctx); tok != fresh {
		t.Error("the source does not hold the forced token")
	}
	if st := e.srv.AppTokenStats(mpAppID); st.ForcedRefreshes != 1 {
		t.Errorf("stats %+v", st)
	}
	// Within 30 s: refused here, WeChat not called.
	e.srv.Advance(20 * time.Second)
	if _, err := src.ForceRefresh(ctx); !errors.Is(err, weixin.ErrForceRefreshLimit) {
		t.Fatalf("a second forced refresh within 30 s: %v", err)
	}
	// 20 a day (this one and 19 more), then refused here.
	for i := range weixin.ForceRefreshDailyLimit - 1 {
		e.srv.Advance(31 * time.Second)
		if _, err := src.ForceRefresh(ctx); err != nil {
			t.Fatalf("forced refresh %d: %v", i+2, err)
		}
	}
	e.srv.Advance(31 * time.Second)
	if _, err := src.ForceRefresh(ctx); !errors.Is(err, weixin.ErrForceRefreshLimit) || !strings.Contains(err.Error(), "20 forced refreshes today") {
		t.Fatalf("the 21st of the day: %v", err)
	}
	if st := e.srv.AppTokenStats(mpAppID); st.ForcedRefreshes != 20 {
		t.Errorf("%d forced refreshes reached WeChat, want 20", st.ForcedRefreshes)
	}
	// The next day, WeChat's own 45009 is reported, not retried.
	e.srv.Advance(24 * time.Hour)
	e.srv.InjectFault(weixintest.PathStableToken, weixintest.Fault{Errcode: 45009, Times: 1})
	before := e.calls.count(weixintest.PathStableToken)
	if _, err := src.ForceRefresh(ctx); !errors.Is(err, weixin.ErrDailyQuota) {
		t.Fatalf("45009: %v", err)
	}
	if n := e.calls.count(weixintest.PathStableToken) - before; n != 1 {
		t.Errorf("45009 called %d times", n)
	}
	// Token never forces.
	forced := 0
	for _, c := range e.srv.Log() {
		if c.Path == weixintest.PathStableToken && c.Query.Get("force_refresh") == "true" {
			forced++
		}
	}
	if forced != 21 {
		t.Errorf("%d forced calls, want the 21 ForceRefresh made", forced)
	}
}

func TestAppTokenConfigErrors(t *testing.T) {
	for _, c := range []struct {
		name    string
		errcode int
		secret  string
		is      error
		fix     string
	}{
		{"wrong secret", 0, "wrong-secret", weixin.ErrInvalidCredential, "AppSecret is wrong"},
		{"invalid appid", 40013, mpSecret, weixin.ErrInvalidCredential, "AppID is not a valid appid"},
		{"IP not whitelisted", 40164, mpSecret, weixin.ErrIPNotWhitelisted, "add the IP address 127.0.0.1 to the application's IP whitelist"},
		{"IP needs confirmation", 89503, mpSecret, weixin.ErrIPNotWhitelisted, "must confirm calls from this server's IP address"},
		{"IP refused twice", 89506, mpSecret, weixin.ErrIPNotWhitelisted, "refused calls from this server's IP address"},
		{"IP refused once", 89507, mpSecret, weixin.ErrIPNotWhitelisted, "refused calls from this server's IP address"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := weixintest.NewServer()
			defer srv.Close()
			srv.AddApp(weixintest.App{AppID: mpAppID, Secret: mpSecret})
			if c.errcode != 0 {
				srv.InjectFault(weixintest.PathStableToken, weixintest.Fault{Errcode: c.errcode})
			}
			cfg := &weixin.Config{AppID: mpAppID, AppSecret: c.secret, Endpoint: srv.Endpoint(), Now: srv.Now,
				Logger: slog.New(slog.DiscardHandler)}
			src := cfg.AppTokenSource()
			_, err := src.Token(context.Background())
			var ce *weixin.ConfigError
			if !errors.As(err, &ce) || !errors.Is(err, c.is) || !strings.Contains(ce.Fix, c.fix) || !strings.Contains(err.Error(), c.fix) {
				t.Fatalf("%v, want a ConfigError matching %v that says %q", err, c.is, c.fix)
			}
			var ae *weixin.APIError
			if !errors.As(err, &ae) || core.Classify(err).Temporary || core.Classify(err).Status != http.StatusBadGateway {
				t.Errorf("%v: APIError %v, temporary %v, status %d", err, ae, core.Classify(err).Temporary, core.Classify(err).Status)
			}
			if strings.Contains(err.Error(), c.secret) {
				t.Error("the error holds the secret")
			}
			// Not retried in a loop: one call, then the back-off.
			for range 10 {
				src.Token(context.Background())
			}
			if n := srv.Calls(weixintest.PathStableToken); n != 1 {
				t.Errorf("%d calls", n)
			}
		})
	}
}

func TestAppClientHygiene(t *testing.T) {
	e := newMPEnv(t, nil)
	ctx := context.Background()
	tok, err := appToken(ctx, e.auth, mpAppID)
	if err != nil {
		t.Fatal(err)
	}
	client := appClient(t, e.auth, mpAppID)
	// Another host: refused, the token stays home.
	_, err = client.Get("https://evil.example/wxa/business/getuserphonenumber")
	if !errors.Is(err, weixin.ErrForeignHost) || strings.Contains(err.Error(), tok.AccessToken) {
		t.Fatalf("foreign host: %v", err)
	}
	// A call: the response's Request holds no token.
	req, _ := http.NewRequest("POST", e.srv.URL+weixintest.PathPhoneNumber, strings.NewReader(`{"code":"x"}`))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"errcode":40029`) {
		t.Fatalf("reply %s", body)
	}
	if strings.Contains(resp.Request.URL.String(), tok.AccessToken) || resp.Request.URL.Query().Has("access_token") {
		t.Errorf("resp.Request holds the token: %s", resp.Request.URL.Redacted())
	}
	// The session user's client is as clean.
	b := e.browser()
	b.login("u1")
	b.do(func(ctx context.Context) {
		resp, err := e.auth.Client(ctx).Get(e.srv.URL + "/sns/userinfo")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Request.URL.Query().Has("access_token") {
			t.Error("Auth.Client's resp.Request holds the token")
		}
	})
	// An unknown app.
	if src, err := e.auth.AppTokenSource("wxnope"); src != nil || !errors.Is(err, core.ErrUnknownApp) {
		t.Errorf("unknown app: %v", err)
	}
	if strings.Contains(e.logs.String(), tok.AccessToken) {
		t.Error("a log line holds the token")
	}
}

func TestConfigErrorClass(t *testing.T) {
	srv := weixintest.NewServer()
	defer srv.Close()
	srv.AddApp(weixintest.App{AppID: mpAppID, Secret: mpSecret})
	srv.InjectFault(weixintest.PathStableToken, weixintest.Fault{Errcode: 40164})
	cfg := &weixin.Config{AppID: mpAppID, AppSecret: mpSecret, Endpoint: srv.Endpoint(), Logger: slog.New(slog.DiscardHandler)}
	_, err := cfg.AppTokenSource().Token(context.Background())
	c := core.Classify(err)
	if c.Status != http.StatusBadGateway || c.Code != "upstream" || c.OfferLogin || !strings.Contains(c.Message, "configuration") {
		t.Errorf("%v: %+v", err, c)
	}
}

// appToken is the access token of the Auth's application appID.
func appToken(ctx context.Context, auth *core.Auth, appID string) (*weixin.AppToken, error) {
	src, err := auth.AppTokenSource(appID)
	if err != nil {
		return nil, err
	}
	return src.Token(ctx)
}

// appClient is the app client of the Auth's application appID.
func appClient(t *testing.T, auth *core.Auth, appID string) *http.Client {
	t.Helper()
	src, err := auth.AppTokenSource(appID)
	if err != nil {
		t.Fatal(err)
	}
	return src.Client()
}
