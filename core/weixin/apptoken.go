package weixin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"sync/atomic"
	"time"
)

// The operations of the app access token and of the APIs called with it.
const (
	opStableToken = "stable_token"
	opPhoneNumber = "phonenumber"
)

// Limits of the app access token (WeChat's, and wxlogin's own).
const (
	// AppTokenRenewMargin is the longest time before its expiry at which
	// an AppTokenSource fetches the next app access token: WeChat's
	// stable_token hands out the next token only in the last 5 minutes
	// of the current one (both work during those 5 minutes). A token
	// shorter-lived than 20 minutes is renewed when a quarter of its
	// lifetime remains. (The source waits a few seconds more, up to 10,
	// so that its fetch falls within WeChat's window.)
	AppTokenRenewMargin = 5 * time.Minute
	// ForceRefreshInterval is how long ForceRefresh waits between two
	// forced refreshes: WeChat ignores a second one within 30 seconds.
	ForceRefreshInterval = 30 * time.Second
	// ForceRefreshDailyLimit is how many forced refreshes WeChat allows
	// an application a day (then errcode 45009).
	ForceRefreshDailyLimit = 20
	// AppTokenMaxBackoff is the longest an AppTokenSource waits, after
	// failed fetches, before it calls stable_token again. The first wait
	// is a second; each failure in a row doubles it.
	AppTokenMaxBackoff = time.Minute
)

// ErrForceRefreshLimit is returned by ForceRefresh, without calling
// WeChat, within ForceRefreshInterval of the last forced refresh or after
// ForceRefreshDailyLimit of them this day (China Standard Time).
var ErrForceRefreshLimit = errors.New("wxlogin: forced refresh of the app access token refused")

// chinaTime is the zone of WeChat's daily quotas.
var chinaTime = time.FixedZone("CST", 8*60*60)

// AppToken is an application's access token (接口调用凭据), for WeChat's
// server APIs (getuserphonenumber, QR codes, messages), as opposed to a
// user's Token. Its String and LogValue methods redact AccessToken.
type AppToken struct {
	// AccessToken is the token.
	AccessToken string
	// Expiry is when it expires.
	Expiry time.Time
	// AppID is the application it belongs to.
	AppID string

	renewAt time.Time // when the source fetches the next one
}

// Valid reports whether t holds a token not expired at now.
func (t *AppToken) Valid(now time.Time) bool {
	return t != nil && t.AccessToken != "" && now.Before(t.Expiry)
}

// String describes t without its secret.
func (t AppToken) String() string {
	return "AppToken{AppID:" + t.AppID + " Expiry:" + t.Expiry.Format(time.RFC3339) + " AccessToken:[redacted]}"
}

// LogValue implements slog.LogValuer: the appid and expiry, never the
// token.
func (t AppToken) LogValue() slog.Value {
	return slog.GroupValue(slog.String("appid", t.AppID), slog.Time("expiry", t.Expiry))
}

// ConfigError is WeChat's refusal of an application's credentials or of
// the address this server calls from: nothing but a change of
// configuration (the app's, or in WeChat's console) cures it. Fix says
// what to change. It wraps WeChat's *APIError, so errors.Is matches
// ErrInvalidCredential (40013, 40125) or ErrIPNotWhitelisted (40164,
// 89503, 89506, 89507).
type ConfigError struct {
	// AppID is the application concerned.
	AppID string
	// Fix says what to change, and where.
	Fix string
	// Err is WeChat's answer.
	Err *APIError
}

// Error names the application, the errcode and the fix.
func (e *ConfigError) Error() string {
	return fmt.Sprintf("wxlogin: %s: application %s is misconfigured (errcode %d: %s): %s",
		e.Err.Op, e.AppID, e.Err.Code, e.Err.Message, e.Fix)
}

// Unwrap returns WeChat's answer.
func (e *ConfigError) Unwrap() error { return e.Err }

var ipInMessage = regexp.MustCompile(`invalid ip ([0-9A-Fa-f.:]+)`)

// configError returns err as a *ConfigError when it is one of the
// errcodes only a change of configuration cures, else err.
func configError(appID string, err error) error {
	var ae *APIError
	if !errors.As(err, &ae) {
		return err
	}
	const console = "WeChat's console (mp.weixin.qq.com → 开发 → 开发管理 → 开发设置, or the application's page on open.weixin.qq.com)"
	var fix string
	switch ae.Code {
	case 40013:
		fix = "the AppID is not a valid appid: copy it from " + console
	case 40001, 40125:
		fix = "the AppSecret is wrong, or was reset: copy the current AppSecret from " + console +
			" (resetting it there makes the old one stop working at once)"
	case 40164:
		ip := "this server's IP address"
		if m := ipInMessage.FindStringSubmatch(ae.Message); m != nil {
			ip = "the IP address " + m[1]
		}
		fix = "add " + ip + " to the application's IP whitelist (IP白名单) in " + console
	case 89503:
		fix = "an administrator of the application must confirm calls from this server's IP address (WeChat sends the request to the administrator); add the address to the IP whitelist (IP白名单) in " + console + " to call without confirmation"
	case 89506, 89507:
		fix = "an administrator of the application refused calls from this server's IP address, which is blocked for a while (1 hour after one refusal, 24 hours after two); add the address to the IP whitelist (IP白名单) in " + console
	default:
		return err
	}
	return &ConfigError{AppID: appID, Fix: fix, Err: ae}
}

// AppTokenSource supplies an application's access token from WeChat's
// /cgi-bin/stable_token, in its normal mode, where every caller of the
// application gets the same token: instances that each keep their own
// source never invalidate each other's token, as /cgi-bin/token's
// fetches do (this package never calls /cgi-bin/token).
//
// A source keeps its token until less than min(AppTokenRenewMargin, a
// quarter of the lifetime WeChat gave) remains, and then fetches the next
// one: one fetch per token lifetime, however many callers need a token
// at once (they wait for that one fetch). A failed fetch is retried by
// the next caller after a back-off (a second, doubling up to
// AppTokenMaxBackoff); until then callers get the token still valid, if
// any, else the fetch's error. It never forces a refresh on its own: see
// ForceRefresh.
//
// Keep one source per application and share it (core.Auth does): each source
// fetches its own tokens. It is safe for concurrent use.
type AppTokenSource struct {
	cfg *Config

	cur atomic.Pointer[AppToken] // tok, read without the lock

	mu       sync.Mutex
	tok      *AppToken // written with cur
	gen      uint64    // bumped by each forced refresh: older fetches are stale
	inflight *appFetch
	failures int       // failed fetches in a row
	retryAt  time.Time // no fetch before this, after a failure
	lastErr  error

	forceMu   sync.Mutex // one forced refresh at a time
	forcedAt  time.Time
	forcedDay string
	forcedN   int
}

// appFetch is one call to stable_token that callers wait for.
type appFetch struct {
	done     chan struct{}
	rejected string // the token WeChat rejected, when that caused the fetch
	tok      *AppToken
	err      error
}

// AppTokenSource returns a new source of c's application access token.
// Each source fetches its own: keep one per application (core.Auth keeps
// one per Config; use core.Auth.AppTokenSource there).
func (c *Config) AppTokenSource() *AppTokenSource {
	return &AppTokenSource{cfg: c}
}

// Token returns the application's access token, fetching it first when
// the source has none or it is about to expire. Errors are those of the
// fetch (an *UpstreamError, an *APIError, a *ConfigError), returned
// without a new call during the back-off that follows a failure.
func (s *AppTokenSource) Token(ctx context.Context) (*AppToken, error) {
	return s.token(ctx, "")
}

// token is Token; rejected, when set, is a token WeChat refused: if the
// source still holds it, it reads stable_token again (once for all the
// callers that saw the refusal).
func (s *AppTokenSource) token(ctx context.Context, rejected string) (*AppToken, error) {
	now := s.cfg.now()
	if t := s.cur.Load(); t != nil && rejected == "" && now.Before(t.renewAt) {
		return t, nil // the common case: no lock
	}
	s.mu.Lock()
	t := s.tok
	stale := t != nil && rejected != "" && t.AccessToken == rejected
	if t != nil && !stale && now.Before(t.renewAt) {
		s.mu.Unlock()
		return t, nil
	}
	usable := t != nil && !stale && t.Valid(now)
	f := s.inflight
	if f == nil {
		if now.Before(s.retryAt) {
			err := s.lastErr
			s.mu.Unlock()
			if usable || (stale && err == nil && t.Valid(now)) {
				// A valid token, or the one stable_token has just handed
				// back although WeChat refused it: the caller's request
				// is repeated once with it, and WeChat's answer stands.
				return t, nil
			}
			if err == nil {
				err = fmt.Errorf("wxlogin: %s: %w: stable_token hands back the token WeChat refuses", opStableToken, ErrAccessTokenInvalid)
			}
			return nil, err
		}
		f = &appFetch{done: make(chan struct{})}
		if stale {
			f.rejected = rejected
		}
		s.inflight = f
		go s.fetchFor(ctx, f, s.gen)
	}
	s.mu.Unlock()

	select {
	case <-f.done:
	case <-ctx.Done():
		if usable {
			return t, nil
		}
		return nil, &UpstreamError{Op: opStableToken, Timeout: errors.Is(ctx.Err(), context.DeadlineExceeded), Err: ctx.Err()}
	}
	switch {
	case f.err == nil:
		return f.tok, nil
	case usable && t.Valid(s.cfg.now()):
		return t, nil
	}
	return nil, f.err
}

// fetchFor runs f, detached from the caller that started it (others
// wait for it too), and keeps its result unless a forced refresh came
// in between.
func (s *AppTokenSource) fetchFor(ctx context.Context, f *appFetch, gen uint64) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.timeout())
	defer cancel()
	tok, err := s.fetch(fctx, false)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight = nil
	switch {
	case err != nil:
		s.backOff(err)
		f.err = err
	case gen != s.gen && s.tok != nil:
		f.tok = s.tok // a forced refresh got a newer token meanwhile
	default:
		s.setToken(tok)
		f.tok = tok
		if f.rejected != "" && tok.AccessToken == f.rejected {
			// stable_token hands back the token WeChat refused: asking
			// again at once would give the same, so back off.
			s.backOff(nil)
		}
	}
	close(f.done)
}

// setToken keeps tok, a fetch's success; s.mu is held.
func (s *AppTokenSource) setToken(tok *AppToken) {
	s.tok, s.failures, s.retryAt, s.lastErr = tok, 0, time.Time{}, nil
	s.cur.Store(tok)
}

// backOff delays the next fetch after a failed one (err), or after a
// re-read that gave the refused token back (err nil); s.mu is held.
func (s *AppTokenSource) backOff(err error) {
	s.failures++
	s.retryAt = s.cfg.now().Add(min(time.Second<<min(s.failures-1, 10), AppTokenMaxBackoff))
	s.lastErr = err
}

// ForceRefresh asks stable_token for a new token in its forced mode
// (force_refresh true), which invalidates the application's current token
// for every holder at once, on every server: for an operator who knows
// the token leaked, never for routine use (Token never forces).
// WeChat allows ForceRefreshDailyLimit forced refreshes a day and ignores
// one within ForceRefreshInterval of the last; this source refuses such a
// call itself, with ErrForceRefreshLimit, without calling WeChat. When
// WeChat answers 45009 (ErrDailyQuota) the error is returned, not
// retried. The new token becomes the source's.
func (s *AppTokenSource) ForceRefresh(ctx context.Context) (*AppToken, error) {
	s.forceMu.Lock()
	defer s.forceMu.Unlock()
	s.mu.Lock()
	now := s.cfg.now()
	if !s.forcedAt.IsZero() && now.Sub(s.forcedAt) < ForceRefreshInterval {
		wait := ForceRefreshInterval - now.Sub(s.forcedAt)
		s.mu.Unlock()
		return nil, fmt.Errorf("%w: the last one was less than %s ago (try again in %s)",
			ErrForceRefreshLimit, ForceRefreshInterval, wait.Round(time.Second))
	}
	if day := now.In(chinaTime).Format(time.DateOnly); day != s.forcedDay {
		s.forcedDay, s.forcedN = day, 0
	}
	if s.forcedN >= ForceRefreshDailyLimit {
		s.mu.Unlock()
		return nil, fmt.Errorf("%w: %d forced refreshes today (China Standard Time), WeChat's limit",
			ErrForceRefreshLimit, ForceRefreshDailyLimit)
	}
	s.forcedAt = now
	s.forcedN++
	s.mu.Unlock()

	tok, err := s.fetch(ctx, true)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.setToken(tok)
	s.gen++
	s.mu.Unlock()
	s.cfg.logger().LogAttrs(ctx, slog.LevelWarn, "wxlogin: app access token force-refreshed: the previous one no longer works anywhere",
		slog.String("appid", s.cfg.AppID))
	return tok, nil
}

// stableTokenJSON is stable_token's reply.
type stableTokenJSON struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

// fetch calls stable_token once (its normal mode is retried on "system
// busy", 5xx and network errors; the forced mode is not).
func (s *AppTokenSource) fetch(ctx context.Context, force bool) (*AppToken, error) {
	c := s.cfg
	if c.AppID == "" || c.AppSecret == "" {
		return nil, fmt.Errorf("wxlogin: %s: AppID and AppSecret must be set: %w", opStableToken, ErrInvalidCredential)
	}
	body := struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}{"client_credential", c.AppID, c.AppSecret, force}
	var out stableTokenJSON
	err := c.postJSON(ctx, opStableToken, "/cgi-bin/stable_token", body, !force, &out)
	if err != nil {
		err = configError(c.AppID, err)
		var ce *ConfigError
		if errors.As(err, &ce) {
			c.logger().LogAttrs(ctx, slog.LevelError, "wxlogin: WeChat refuses the application's configuration",
				slog.String("appid", c.AppID), slog.Int("errcode", ce.Err.Code), slog.String("fix", ce.Fix))
		}
		return nil, err
	}
	if out.AccessToken == "" || out.ExpiresIn <= 0 {
		return nil, &UpstreamError{Op: opStableToken, StatusCode: http.StatusOK, Err: errors.New("reply has no access_token or expires_in")}
	}
	now := c.now()
	life := time.Duration(out.ExpiresIn) * time.Second
	t := &AppToken{AccessToken: out.AccessToken, AppID: c.AppID, Expiry: now.Add(life)}
	margin := min(AppTokenRenewMargin, life/4)
	// A little later than the margin: expires_in is rounded down and was
	// counted before the reply travelled, and a fetch a second before
	// WeChat's window would only get the same token back.
	t.renewAt = t.Expiry.Add(-margin + min(margin/4, 10*time.Second))
	return t, nil
}

// Client returns an *http.Client that calls WeChat's API with the
// application's access token: it adds access_token to each request's
// query, only for WeChat's API host (Config.Endpoint; any other host
// fails with ErrForeignHost). When WeChat answers 40001 or 42001 (the
// token is stale: another party force-refreshed it, say), the client
// reads stable_token again, once for all the requests that saw it, and
// sends the request once more (a request with a body only when its
// GetBody is set, as http.NewRequest sets for in-memory bodies); a second
// refusal is returned as WeChat's answer. The token appears neither in
// errors nor in the response's Request. The client's transport is
// Config.HTTPClient's (or http.DefaultTransport), its timeout
// Config.Timeout.
func (s *AppTokenSource) Client() *http.Client {
	base := http.DefaultTransport
	if s.cfg.HTTPClient != nil && s.cfg.HTTPClient.Transport != nil {
		base = s.cfg.HTTPClient.Transport
	}
	api, _ := url.Parse(s.cfg.endpoint().APIBaseURL)
	return &http.Client{
		Transport: &tokenTransport{cred: appCredential{s}, cfg: s.cfg, base: base, api: api},
		Timeout:   s.cfg.timeout(),
	}
}

// appCredential puts an AppTokenSource's token in requests.
type appCredential struct{ s *AppTokenSource }

func (c appCredential) query(ctx context.Context, rejected string) (authorization, error) {
	t, err := c.s.token(ctx, rejected)
	if err != nil {
		return authorization{}, err
	}
	return authorization{params: url.Values{"access_token": {t.AccessToken}}, token: t.AccessToken}, nil
}
