// Package weixin is a client of WeChat's API for "Log in with WeChat"
// (微信登录), shaped like golang.org/x/oauth2 and usable on its own,
// without sessions: core builds the login flow on top of it.
//
// Config is one WeChat application. AuthCodeURL builds the QR-code page
// (/connect/qrconnect, snsapi_login) or the official-account page
// (/connect/oauth2/authorize, snsapi_base / snsapi_userinfo) with the
// parameters in the order WeChat checks and #wechat_redirect at the end;
// Exchange, Refresh, CheckToken and UserInfo call the user's side of the
// API, Code2Session a mini program's, and Client makes an *http.Client
// that adds a user's token to each request. AppTokenSource keeps the
// application's own access token (/cgi-bin/stable_token), one fetch per
// lifetime, and fetches phone numbers.
//
// WeChat's errcodes become *APIError values that match sentinels such as
// ErrCodeUsed with errors.Is; transport failures are *UpstreamError
// values, and refused credentials or addresses *ConfigError values that
// say what to fix. Replies are decoded whatever their Content-Type,
// capped at MaxResponseBytes, bounded in time, and reads are retried on
// "system busy", 5xx and network errors; a code's exchange never is. No
// error or log line carries the secret, a code or a token.
//
// Config.OnCall observes every call (its op, latency and error), for
// metrics; core.New sets it to report core.EventUpstreamCall events.
package weixin
