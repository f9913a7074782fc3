package weixin

import (
	"log/slog"
	"strings"
	"time"
)

// RefreshTokenLifetime is how long a refresh token lives from the login
// that issued it. Refreshing does not restart this clock.
const RefreshTokenLifetime = 30 * 24 * time.Hour

// Token is what WeChat returns from the code exchange and from a refresh,
// in the vocabulary of golang.org/x/oauth2.Token.
//
// Token's String and LogValue methods redact the access and refresh
// tokens, so a Token printed or logged by mistake leaks nothing.
type Token struct {
	// AccessToken authorises calls such as /sns/userinfo for 2 hours.
	AccessToken string
	// RefreshToken obtains a new access token for 30 days from login.
	RefreshToken string
	// Expiry is when AccessToken expires.
	Expiry time.Time
	// RefreshExpiry is when RefreshToken expires: 30 days after the
	// login, not renewed by refreshing.
	RefreshExpiry time.Time
	// AppID is the application the token was issued to.
	AppID string
	// OpenID identifies the user within AppID.
	OpenID string
	// UnionID links the user's openids across the applications of one
	// open-platform account; empty when WeChat did not send one.
	UnionID string
	// Scopes are the scopes the user granted.
	Scopes []string
	// IsSnapshotUser is set for an official account's virtual "snapshot
	// page" visitor, who is not a real login. Exchange refuses such a
	// visitor with ErrSnapshotUser, so a token it returns never has it set.
	IsSnapshotUser bool
}

// Valid reports whether t holds an access token that is not expired at
// now.
func (t *Token) Valid(now time.Time) bool {
	return t != nil && t.AccessToken != "" && (t.Expiry.IsZero() || now.Before(t.Expiry))
}

// HasScope reports whether the user granted scope.
func (t *Token) HasScope(scope string) bool {
	if t == nil {
		return false
	}
	for _, s := range t.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// String describes t without its secrets.
func (t Token) String() string {
	return "Token{AppID:" + t.AppID + " OpenID:" + t.OpenID +
		" Scopes:" + strings.Join(t.Scopes, ",") +
		" Expiry:" + t.Expiry.Format(time.RFC3339) + " AccessToken:[redacted] RefreshToken:[redacted]}"
}

// LogValue implements slog.LogValuer: the token's identity and expiry,
// never its secrets.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("appid", t.AppID),
		slog.String("openid", t.OpenID),
		slog.Time("expiry", t.Expiry),
	)
}

// tokenJSON is WeChat's reply to the code exchange and to a refresh.
type tokenJSON struct {
	AccessToken    string `json:"access_token"`
	ExpiresIn      int64  `json:"expires_in"`
	RefreshToken   string `json:"refresh_token"`
	OpenID         string `json:"openid"`
	Scope          string `json:"scope"`
	UnionID        string `json:"unionid"`
	IsSnapshotUser int    `json:"is_snapshotuser"`
}

func splitScopes(s string) []string {
	var out []string // nil, not empty, without scopes
	return append(out, strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })...)
}
