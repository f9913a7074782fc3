package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
	scsmemstore "github.com/alexedwards/scs/v2/memstore"
	"github.com/wxlogin/wxlogin/core/memstore"
	"github.com/wxlogin/wxlogin/core/weixin"
	"golang.org/x/sync/singleflight"
)

// Defaults of Options.
const (
	DefaultStateLifetime  = 10 * time.Minute
	DefaultReturnTo       = "/"
	DefaultRefreshMargin  = 2 * time.Minute
	DefaultRefreshTimeout = 10 * time.Second
	DefaultLoginPath      = "/auth/weixin/login"
)

// User is the logged-in WeChat user, as kept in the session. An identity
// is (AppID, OpenID); UnionID links one person's openids across the apps
// of one open-platform account when WeChat provides it.
type User struct {
	// AppID is the application the openid belongs to (the website
	// application, or the official account for in-WeChat logins).
	AppID string
	// OpenID identifies the user within AppID. Never empty.
	OpenID string
	// UnionID is the cross-app identifier; empty when WeChat sent none.
	UnionID string
	// AccountID is the application's own account id: set by account
	// linking (Options.Accounts) before the LoginHook runs, or by a
	// LoginHook that maps WeChat users to accounts; empty otherwise.
	AccountID string
	// Nickname, Sex, Province, City, Country and HeadImgURL come from
	// /sns/userinfo; they are empty under scope snsapi_base. Nickname is
	// untrusted text: escape it.
	Nickname string
	// Sex is 0 (unknown), 1 (male) or 2 (female).
	Sex int
	// Province, City and Country are the user's region.
	Province string
	// City: see Province.
	City string
	// Country: see Province.
	Country string
	// HeadImgURL is the avatar, over https for WeChat's hosts.
	HeadImgURL string
	// LoggedInAt is when the login completed.
	LoggedInAt time.Time
	// Phone is the phone number the user shared from a mini program's
	// getPhoneNumber button (Auth.BindPhone), as WeChat gives it
	// (phoneNumber: with the country code for numbers outside mainland
	// China); empty until then.
	Phone string
	// CountryCode is Phone's country calling code, such as "86".
	CountryCode string
}

// LoginHook runs when WeChat has identified the user and before the
// login completes, after Options.Accounts (if set) has linked the
// identity and set u.AccountID. It may modify u (set AccountID, say, when
// the app links accounts itself) and accepts the login by returning nil;
// any error rejects it (the error is wrapped with ErrLoginRejected). tok
// is read-only.
// It runs for every door: for a mini program login, which has no user
// access token, tok holds only AppID, OpenID and UnionID.
type LoginHook func(ctx context.Context, u *User, tok *weixin.Token) error

// Options configures an Auth. Sessions and at least one of Website,
// OfficialAccount, MiniProgram and MobileApp are required.
type Options struct {
	// Website is the website application, for the QR-code login of
	// visitors outside the WeChat app. Its scope is snsapi_login.
	Website *weixin.Config
	// OfficialAccount, when set, logs in visitors inside the WeChat app
	// (snsapi_userinfo or snsapi_base), and everyone when Website is nil.
	OfficialAccount *weixin.Config
	// MiniProgram is the mini program (小程序) whose wx.login codes
	// MiniProgramLogin exchanges.
	//
	// It needs AppID and AppSecret; RedirectURL and Scopes are not used. Its access token
	// (Auth.AppTokenSource) fetches users' phone numbers (BindPhone).
	MiniProgram *weixin.Config
	// MobileApp is the mobile application whose SendAuth codes AppLogin
	// exchanges.
	//
	// It needs AppID and AppSecret (the mobile application's own, on the
	// open platform); RedirectURL and Scopes are not used.
	MobileApp *weixin.Config
	// Sessions keeps the login state and the user. Any scs store works;
	// use a shared one (Redis) when running several instances.
	//
	// New fills in only what the app left at scs' defaults, and refuses
	// settings that break the login, with an error that says why:
	//   - a Codec left at scs' default (gob) becomes SessionCodec, 30
	//     times faster and able to read gob sessions;
	//   - a Store left at scs' default (memstore) becomes a memstore.Store,
	//     whose deletes are final, so that a logout holds against
	//     concurrent requests (New logs a warning for a store that is not
	//     a FinalDeleteStore);
	//   - Cookie.Secure left false becomes true when a RedirectURL is
	//     https, unless InsecureCookie says otherwise;
	//   - Cookie.HttpOnly false is refused: scripts must not read the
	//     session id; Cookie.SameSite Strict is refused: it drops the
	//     cookie on WeChat's redirect back to the callback.
	// ErrorFunc and everything else are left as the app set them.
	Sessions *scs.SessionManager
	// InsecureCookie keeps the session cookie without Secure even though
	// the RedirectURL is https (a TLS-terminating proxy in development).
	InsecureCookie bool
	// StateLifetime is how long a begun login may take. Default 10 min.
	StateLifetime time.Duration
	// DefaultReturnTo is where a login ends when no safe return-to path
	// was asked for. Default "/".
	DefaultReturnTo string
	// Lang is the language of the profile fetched at login (weixin.LangZhCN,
	// weixin.LangZhTW, weixin.LangEN). Default: WeChat's.
	Lang string
	// RefreshMargin refreshes an access token this long before it
	// expires. Default 2 min.
	RefreshMargin time.Duration
	// RefreshTimeout bounds one refresh, which runs detached from the
	// request that started it. Default 10 s.
	RefreshTimeout time.Duration
	// OnLogin, if set, accepts, rejects or maps each login.
	OnLogin LoginHook
	// LoginPath is the login route, where the adapters'
	// RequireWeixinUser sends visitors. Default "/auth/weixin/login".
	LoginPath string
	// ErrorPage, if set, renders the HTML error page of a failed login,
	// callback or logout, in p.Language, instead of DefaultErrorPage.
	// Never show p.Err.Error() to the visitor.
	ErrorPage func(p ErrorPageData) []byte
	// DefaultLanguage is the language of the pages for visitors whose
	// Accept-Language names none the Auth has words for (see
	// adapter.Kit.Language): a language of Messages. Default "zh-CN".
	DefaultLanguage string
	// Messages extends or replaces the built-in words of the pages (see
	// DefaultMessages), to add a language or change a word.
	Messages Messages
	// Logger receives a line per login (Info), logout (Info), failed
	// login (Warn, with its reason class as in Event.Reason) and failed
	// refresh, never a secret. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock that decides on time: state expiry, token refresh,
	// LoggedInAt. Give a test clock once, on either side: when Now is nil
	// New takes the Website's weixin.Config.Now (else the OfficialAccount's), so
	// the Config that weixintest.Server.Config returns brings the fake's
	// clock to everything; when Now is set, a Config whose Now is nil
	// gets it too (New copies that Config). Default time.Now.
	Now func() time.Time
	// OnEvent, if set, receives each login, failed login (with its
	// reason class), refresh, failed refresh, ended login, logout and
	// call to WeChat's API (with its latency), for metrics: see Event.
	// It runs on the request's goroutine and must be quick.
	OnEvent func(ctx context.Context, e Event)
	// CacheControl is the Cache-Control header the adapters'
	// RequireWeixinUser sets on the responses it lets through, before
	// the handler runs (a handler may set its own): a page for one
	// logged-in user must not be kept by a shared cache. Default
	// "no-store"; "-" sets none.
	CacheControl string
	// Accounts, if set, links every login's identity to one of the
	// app's accounts (one person, one account, whatever the door) and
	// sets User.AccountID before OnLogin runs: see Accounts.
	Accounts *Accounts
	// Exchanges, if set, shares each login's code exchange between the
	// instances of a deployment (see ExchangeSharer; redisstore has one).
	// Without it, only callbacks that reach the same instance share one.
	Exchanges ExchangeSharer
}

// Auth is the WeChat login flow on top of scs sessions: it begins logins,
// completes callbacks, reads the current user and keeps the access token
// fresh. It is safe for concurrent use. Every method takes a context that
// holds the request's session (loaded by scs' LoadAndSave or Load).
type Auth struct {
	opts     Options
	sessions *scs.SessionManager
	langs    *languages

	callbacks singleflight.Group // one code exchange per state
	refreshes singleflight.Group // one refresh per (appid, openid)

	mu      sync.Mutex
	recent  map[string]*weixin.Token // newest refreshed token per (appid, openid)
	pruneAt int                      // size of recent that triggers forgetting expired tokens

	appTokens map[string]*weixin.AppTokenSource // per appid; read-only after New
	// futileUntil: access tokens WeChat rejected although just
	// refreshed, until when (Auth.Client).
	futileUntil map[string]time.Time
}

// New returns an Auth for opts.
func New(opts Options) (*Auth, error) {
	if opts.Sessions == nil {
		return nil, errors.New("wxlogin: Options.Sessions is required")
	}
	if opts.Website == nil && opts.OfficialAccount == nil && opts.MiniProgram == nil && opts.MobileApp == nil {
		return nil, errors.New("wxlogin: Options.Website, OfficialAccount, MiniProgram or MobileApp is required")
	}
	for name, c := range map[string]*weixin.Config{"Website": opts.Website, "OfficialAccount": opts.OfficialAccount} {
		if c == nil {
			continue
		}
		if c.AppID == "" || c.AppSecret == "" || c.RedirectURL == "" {
			return nil, fmt.Errorf("wxlogin: Options.%s needs AppID, AppSecret and RedirectURL "+
				"(without credentials, weixintest.DevMode fills them in with a fake WeChat's, for development)", name)
		}
		if u, err := url.Parse(c.RedirectURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("wxlogin: Options.%s.RedirectURL %q is not an absolute http(s) URL", name, c.RedirectURL)
		}
		for field, base := range map[string]string{"OpenBaseURL": c.Endpoint.OpenBaseURL, "APIBaseURL": c.Endpoint.APIBaseURL} {
			if base == "" {
				continue // WeChat's
			}
			if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
				u.RawQuery != "" || u.Fragment != "" || u.User != nil {
				if strings.Contains(base, "@") {
					base = "(withheld: it holds a user)"
				}
				return nil, fmt.Errorf("wxlogin: Options.%s.Endpoint.%s %q is not an absolute http(s) base URL", name, field, base)
			}
		}
		if (name == "Website") != c.IsWebsite() {
			return nil, fmt.Errorf("wxlogin: Options.%s has scope %q", name, c.Scope())
		}
	}
	if opts.Website != nil && opts.OfficialAccount != nil && opts.Website.AppID == opts.OfficialAccount.AppID {
		return nil, errors.New("wxlogin: the website application and the official account need distinct appids")
	}
	if err := checkDoors(&opts); err != nil {
		return nil, err
	}
	if opts.Accounts != nil && (opts.Accounts.Store == nil || opts.Accounts.NewAccount == nil) {
		return nil, errors.New("wxlogin: Options.Accounts needs Store and NewAccount")
	}
	if opts.Sessions.Cookie.SameSite == http.SameSiteStrictMode {
		return nil, errors.New("wxlogin: the session cookie cannot be SameSite=Strict: the callback is a cross-site navigation; use Lax")
	}
	if _, ok := opts.Sessions.Codec.(scs.GobCodec); ok || opts.Sessions.Codec == nil {
		opts.Sessions.Codec = SessionCodec{}
	}
	switch opts.Sessions.Store.(type) {
	case *scsmemstore.MemStore, nil:
		// Its cleanup goroutine, idle over an empty map, is left alone:
		// scs' StopCleanup races with its start.
		opts.Sessions.Store = memstore.New()
	}
	if !opts.Sessions.Cookie.HttpOnly {
		return nil, errors.New("wxlogin: the session cookie must be HttpOnly (scs' default): no script may read the session id")
	}
	for _, c := range []*weixin.Config{opts.Website, opts.OfficialAccount} {
		if c != nil && strings.HasPrefix(c.RedirectURL, "https://") && !opts.InsecureCookie {
			opts.Sessions.Cookie.Secure = true
		}
	}
	switch opts.CacheControl {
	case "":
		opts.CacheControl = "no-store"
	case "-":
		opts.CacheControl = ""
	}
	langs, err := newLanguages(opts.DefaultLanguage, opts.Messages)
	if err != nil {
		return nil, err
	}
	if opts.LoginPath == "" {
		opts.LoginPath = DefaultLoginPath
	}
	if opts.StateLifetime <= 0 {
		opts.StateLifetime = DefaultStateLifetime
	}
	if rt, ok := SafeReturnTo(opts.DefaultReturnTo); ok {
		opts.DefaultReturnTo = rt
	} else {
		opts.DefaultReturnTo = DefaultReturnTo
	}
	if opts.RefreshMargin <= 0 {
		opts.RefreshMargin = DefaultRefreshMargin
	}
	if opts.RefreshTimeout <= 0 {
		opts.RefreshTimeout = DefaultRefreshTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if _, ok := opts.Sessions.Store.(FinalDeleteStore); !ok {
		opts.Logger.Warn("wxlogin: the session store does not keep deletes final: a request racing a logout can write the session back (use core/memstore or core/redisstore)",
			slog.String("store", fmt.Sprintf("%T", opts.Sessions.Store)))
	}
	if opts.Now == nil && (opts.Website == nil || opts.Website.Now == nil) && (opts.OfficialAccount == nil || opts.OfficialAccount.Now == nil) {
		// A deployment of the bearer doors only: their clock.
		for _, c := range []*weixin.Config{opts.MobileApp, opts.MiniProgram} {
			if opts.Now == nil && c != nil && c.Now != nil {
				opts.Now = c.Now
			}
		}
	}
	opts.Now, opts.Website, opts.OfficialAccount = oneClock(opts.Now, opts.Website, opts.OfficialAccount)
	_, opts.MiniProgram, opts.MobileApp = oneClock(opts.Now, opts.MiniProgram, opts.MobileApp)
	a := &Auth{opts: opts, sessions: opts.Sessions, langs: langs, recent: make(map[string]*weixin.Token)}
	if opts.OnEvent != nil {
		for _, c := range []**weixin.Config{&a.opts.Website, &a.opts.OfficialAccount, &a.opts.MiniProgram, &a.opts.MobileApp} {
			*c = a.reportCalls(*c)
		}
	}
	a.newAppTokenSources(opts.Website, opts.OfficialAccount, opts.MiniProgram, opts.MobileApp)
	return a, nil
}

// CacheControl returns the Cache-Control header for the responses
// RequireWeixinUser lets through (Options.CacheControl), "" for none.
func (a kit) CacheControl() string { return a.opts.CacheControl }

// config returns the configuration of appID, or nil.
func (a *Auth) config(appID string) *weixin.Config {
	for _, c := range []*weixin.Config{a.opts.Website, a.opts.OfficialAccount, a.opts.MobileApp, a.opts.MiniProgram} {
		if c != nil && c.AppID == appID {
			return c
		}
	}
	return nil
}

// CurrentUser returns the logged-in user of the session in ctx, or false.
// It reads the session only: no network call. The User is shared with the
// session: do not modify it. It is false also when ctx holds no session
// (no adapter's Sessions middleware around the handler).
func (a *Auth) CurrentUser(ctx context.Context) (u *User, ok bool) {
	defer func() {
		// Recovering costs nothing on this hot path, where asking scs
		// first would cost an allocation.
		if r := recover(); r != nil {
			if r != scsNoSession {
				panic(r)
			}
			u, ok = nil, false
		}
	}()
	u = a.sessionUser(ctx)
	return u, u != nil && u.OpenID != ""
}

// Logout ends the login: the session is destroyed, so its cookie no
// longer authenticates anything, and the response clears it. The
// session's other data goes with it; the user's other sessions (other
// browsers) are untouched.
//
// With a FinalDeleteStore (core/memstore, core/redisstore) the logout is
// final: a request that loaded the session before and commits after it
// does not write the session back. Errors wrap ErrSessionStore.
func (a *Auth) Logout(ctx context.Context) error {
	u, loggedIn := a.CurrentUser(ctx)
	if err := a.sessions.Destroy(ctx); err != nil {
		return a.storeFailed(ctx, err)
	}
	if loggedIn {
		a.opts.Logger.LogAttrs(ctx, slog.LevelInfo, "wxlogin: logout", slog.String("appid", u.AppID))
		a.emit(ctx, userEvent(EventLogout, u))
	}
	return nil
}

// endLogin forgets the user u and the token of the session in ctx and
// renews its id, keeping the app's other session data.
func (a *Auth) endLogin(ctx context.Context, u *User) {
	a.emit(ctx, userEvent(EventLoginEnded, u))
	if isBearer(ctx) {
		// Its client knows no other token: the session goes.
		if err := a.sessions.Destroy(ctx); err != nil {
			a.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "wxlogin: ending a bearer session failed", slog.String("error", err.Error()))
		}
		return
	}
	a.sessions.Remove(ctx, keyUser)
	a.sessions.Remove(ctx, keyToken)
	if err := a.sessions.RenewToken(ctx); err != nil {
		a.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "wxlogin: renewing the session id failed", slog.String("error", err.Error()))
	}
}
