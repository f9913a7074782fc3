package weixin

import (
	"net/url"
	"strings"
)

// AuthCodeOption adds an optional parameter to the authorize URL.
type AuthCodeOption struct {
	key, value string
	omit       bool // remove the parameter AuthCodeURL adds by default
}

// SetAuthURLParam adds key=value after WeChat's required parameters.
func SetAuthURLParam(key, value string) AuthCodeOption {
	return AuthCodeOption{key: key, value: value}
}

var (
	// ForcePopup asks the official-account page to show the consent
	// dialog even when the user has consented before.
	ForcePopup = SetAuthURLParam("forcePopup", "true")
	// ConnectRedirect adds connect_redirect=1, the known remedy for
	// WeChat redirecting to the callback twice. The official account's
	// authorize URL has it by default; NoConnectRedirect removes it.
	ConnectRedirect = SetAuthURLParam("connect_redirect", "1")
	// NoConnectRedirect removes the connect_redirect=1 that AuthCodeURL
	// adds to the official account's authorize URL by default.
	NoConnectRedirect = AuthCodeOption{key: "connect_redirect", omit: true}
)

// LangParam sets the QR page's language: "cn" or "en".
func LangParam(lang string) AuthCodeOption { return SetAuthURLParam("lang", lang) }

// Scope returns the scope requested, as WeChat expects it: the Scopes
// joined by commas, snsapi_login when none is set.
func (c *Config) Scope() string {
	if len(c.Scopes) == 0 {
		return ScopeLogin
	}
	return strings.Join(c.Scopes, ",")
}

// IsWebsite reports whether c is a website application's QR-code login
// (scope snsapi_login) rather than an official account's.
func (c *Config) IsWebsite() bool {
	for _, s := range strings.Split(c.Scope(), ",") {
		if s == ScopeLogin {
			return true
		}
	}
	return false
}

// AuthCodeURL returns the URL of WeChat's authorize page: the QR-code page
// /connect/qrconnect for scope snsapi_login, else the official-account
// page /connect/oauth2/authorize. The parameters come in the order WeChat
// checks (appid, redirect_uri, response_type, scope, state), then opts,
// and the URL ends with #wechat_redirect. The official account's URL gets
// connect_redirect=1 (the known remedy for WeChat redirecting to the
// callback twice) unless opts hold NoConnectRedirect or a
// connect_redirect of their own.
//
// state must be only [A-Za-z0-9], at most 128 bytes; use the login flow
// (core.Auth.BeginLogin) rather than calling this directly, so that state is
// generated, bound to the browser and checked for you.
func (c *Config) AuthCodeURL(state string, opts ...AuthCodeOption) string {
	path := "/connect/oauth2/authorize"
	if c.IsWebsite() {
		path = "/connect/qrconnect"
	}
	var b strings.Builder
	b.WriteString(c.endpoint().OpenBaseURL)
	b.WriteString(path)
	b.WriteString("?appid=")
	b.WriteString(url.QueryEscape(c.AppID))
	b.WriteString("&redirect_uri=")
	b.WriteString(url.QueryEscape(c.RedirectURL))
	b.WriteString("&response_type=code&scope=")
	b.WriteString(url.QueryEscape(c.Scope()))
	b.WriteString("&state=")
	b.WriteString(url.QueryEscape(state))
	connect := !c.IsWebsite()
	for _, o := range opts {
		if o.key == "connect_redirect" {
			connect = false
		}
	}
	if connect {
		opts = append([]AuthCodeOption{ConnectRedirect}, opts...)
	}
	for _, o := range opts {
		if o.omit {
			continue
		}
		b.WriteString("&")
		b.WriteString(url.QueryEscape(o.key))
		b.WriteString("=")
		b.WriteString(url.QueryEscape(o.value))
	}
	b.WriteString("#wechat_redirect")
	return b.String()
}
