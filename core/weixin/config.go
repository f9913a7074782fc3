package weixin

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// The scopes WeChat knows.
const (
	// ScopeLogin is the website (open platform) QR-code login scope, used
	// with the /connect/qrconnect page.
	ScopeLogin = "snsapi_login"
	// ScopeBase is the silent official-account scope: openid only, no
	// consent page, no /sns/userinfo.
	ScopeBase = "snsapi_base"
	// ScopeUserInfo is the official-account scope that asks the user's
	// consent and allows /sns/userinfo.
	ScopeUserInfo = "snsapi_userinfo"
)

// Endpoint holds WeChat's base URLs. The zero value means the real hosts;
// tests and offline development point it at a fake such as
// weixintest.Server.
type Endpoint struct {
	// OpenBaseURL is the base of the authorize pages /connect/qrconnect
	// and /connect/oauth2/authorize. Default: https://open.weixin.qq.com.
	OpenBaseURL string
	// APIBaseURL is the base of /sns/oauth2/access_token,
	// /sns/oauth2/refresh_token, /sns/auth and /sns/userinfo.
	// Default: https://api.weixin.qq.com.
	APIBaseURL string
}

// DefaultEndpoint is WeChat's production endpoint.
var DefaultEndpoint = Endpoint{
	OpenBaseURL: "https://open.weixin.qq.com",
	APIBaseURL:  "https://api.weixin.qq.com",
}

// Config describes one WeChat application: a website application on the
// open platform (scope snsapi_login) or an official account (scope
// snsapi_base or snsapi_userinfo). It mirrors golang.org/x/oauth2.Config.
//
// A Config is safe for concurrent use once it is no longer modified.
type Config struct {
	// AppID is the application's appid.
	AppID string
	// AppSecret is the application's secret. It is sent only to the
	// code exchange and never logged.
	AppSecret string
	// RedirectURL is the absolute callback URL. Its host must equal the
	// callback domain configured in WeChat's console.
	RedirectURL string
	// Scopes are the scopes requested; WeChat accepts one. Default:
	// snsapi_login.
	Scopes []string
	// Endpoint holds the base URLs; the zero value means WeChat's.
	Endpoint Endpoint
	// HTTPClient makes the API calls. Default: a client with no timeout
	// of its own (each call is bounded by Timeout).
	HTTPClient *http.Client
	// Timeout bounds each API call, retries included. Default: 10s.
	Timeout time.Duration
	// RetryBackoff is the wait before the first retry of a read; it
	// doubles for the second, with jitter. Default: 200ms.
	RetryBackoff time.Duration
	// Logger receives one line per failed call, without secrets.
	// Default: slog.Default().
	Logger *slog.Logger
	// Now is the clock that dates the tokens (their Expiry), for tests.
	// core.New shares one clock between the core.Auth and its Configs: a
	// Now set here becomes core.Options.Now when that is nil, and a nil
	// Now here gets core.Options.Now. weixintest.Server.Config sets it to the fake's
	// clock, so that Server.Advance expires the app's tokens too.
	// Default: time.Now.
	Now func() time.Time
	// OnCall, if set, is told of each call to WeChat's API made with this
	// Config: its op ("exchange", "refresh", "auth", "userinfo",
	// "jscode2session", "stable_token", or "api" for the requests of the
	// clients of Config.Client and AppTokenSource.Client), how long it
	// took, retries included, and its error (nil on success). It runs on
	// the caller's goroutine and must be quick; it never sees a secret,
	// code or token. core.New sets it, on its own copy of the Config, to
	// report core.EventUpstreamCall events.
	OnCall func(ctx context.Context, op string, d time.Duration, err error)
}
