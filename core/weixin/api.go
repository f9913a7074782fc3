package weixin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"
)

// ErrOpenIDMismatch means WeChat answered about another user than the one
// asked for: the openid of a reply differs from the token's.
var ErrOpenIDMismatch = errors.New("wxlogin: openid in reply does not match the token")

// errNoOpenID means a token reply lacked an openid: an empty openid is
// never an identity.
var errNoOpenID = errors.New("reply has no openid")

// Exchange trades an authorization code for a token
// (/sns/oauth2/access_token). A code is single-use, so the call is never
// retried: a failure means starting the login again.
//
// An official account's "snapshot page" visitor (is_snapshotuser 1,
// often with blank tokens) is not a login: Exchange checks that flag
// first and answers an error matching ErrSnapshotUser (core.Classify: 403).
func (c *Config) Exchange(ctx context.Context, code string) (*Token, error) {
	if c.AppID == "" || c.AppSecret == "" {
		return nil, fmt.Errorf("wxlogin: %s: AppID and AppSecret must be set: %w", opExchange, ErrInvalidCredential)
	}
	if code == "" {
		return nil, &APIError{Op: opExchange, Code: 41008, Message: "missing code"}
	}
	q := url.Values{
		"appid":      {c.AppID},
		"secret":     {c.AppSecret},
		"code":       {code},
		"grant_type": {"authorization_code"},
	}
	var tj tokenJSON
	if err := c.get(ctx, opExchange, "/sns/oauth2/access_token", q, false, &tj); err != nil {
		return nil, err
	}
	// Before anything else: a snapshot visitor's reply may have blank
	// tokens, and is not a login whatever else it holds.
	if tj.IsSnapshotUser == 1 {
		return nil, fmt.Errorf("%w (%s)", ErrSnapshotUser, opExchange)
	}
	now := c.now()
	t, err := c.tokenFromJSON(opExchange, &tj, nil)
	if err != nil {
		return nil, err
	}
	t.RefreshExpiry = now.Add(RefreshTokenLifetime)
	return t, nil
}

// Refresh obtains a fresh access token for t (/sns/oauth2/refresh_token).
// If WeChat considers the access token still valid, the same one comes
// back with a later expiry. Fields the reply lacks (refresh token,
// unionid) are kept from t, and so is RefreshExpiry: refreshing does not
// extend the 30 days. A refresh token past RefreshExpiry fails with
// ErrRefreshTokenExpired without a call.
//
// Refresh retries on "system busy", 5xx and network errors: a refresh
// token can be used again.
func (c *Config) Refresh(ctx context.Context, t *Token) (*Token, error) {
	if t == nil || t.RefreshToken == "" {
		return nil, fmt.Errorf("wxlogin: %s: no refresh token: %w", opRefresh, ErrRefreshTokenInvalid)
	}
	if !t.RefreshExpiry.IsZero() && !c.now().Before(t.RefreshExpiry) {
		return nil, fmt.Errorf("wxlogin: %s: 30 days have passed since login: %w", opRefresh, ErrRefreshTokenExpired)
	}
	q := url.Values{
		"appid":         {c.AppID},
		"grant_type":    {"refresh_token"},
		"refresh_token": {t.RefreshToken},
	}
	var tj tokenJSON
	if err := c.get(ctx, opRefresh, "/sns/oauth2/refresh_token", q, true, &tj); err != nil {
		return nil, err
	}
	return c.tokenFromJSON(opRefresh, &tj, t)
}

// tokenFromJSON builds a Token from a reply, keeping from old (a refresh)
// what the reply does not carry.
func (c *Config) tokenFromJSON(op string, tj *tokenJSON, old *Token) (*Token, error) {
	if tj.OpenID == "" {
		return nil, &UpstreamError{Op: op, StatusCode: 200, Err: errNoOpenID}
	}
	if tj.AccessToken == "" {
		return nil, &UpstreamError{Op: op, StatusCode: 200, Err: errors.New("reply has no access_token")}
	}
	t := &Token{
		AccessToken:    tj.AccessToken,
		RefreshToken:   tj.RefreshToken,
		AppID:          c.AppID,
		OpenID:         tj.OpenID,
		UnionID:        tj.UnionID,
		Scopes:         splitScopes(tj.Scope),
		IsSnapshotUser: tj.IsSnapshotUser == 1,
	}
	if tj.ExpiresIn > 0 {
		t.Expiry = c.now().Add(time.Duration(tj.ExpiresIn) * time.Second)
	}
	if old != nil {
		if old.OpenID != "" && old.OpenID != t.OpenID {
			return nil, fmt.Errorf("%w (%s)", ErrOpenIDMismatch, op)
		}
		if t.RefreshToken == "" {
			t.RefreshToken = old.RefreshToken
		}
		if t.UnionID == "" {
			t.UnionID = old.UnionID
		}
		if len(t.Scopes) == 0 {
			t.Scopes = old.Scopes
		}
		t.RefreshExpiry = old.RefreshExpiry
	}
	return t, nil
}

// CheckToken asks WeChat whether t's access token is valid for its
// openid (/sns/auth). It returns nil when it is, an *APIError (matching
// ErrAccessTokenExpired or ErrAccessTokenInvalid) when it is not.
func (c *Config) CheckToken(ctx context.Context, t *Token) error {
	q := url.Values{"access_token": {t.AccessToken}, "openid": {t.OpenID}}
	return c.get(ctx, opAuth, "/sns/auth", q, true, nil)
}

// UserInfo fetches the user's profile (/sns/userinfo) with t, in lang
// (LangZhCN, LangZhTW, LangEN; empty means WeChat's default). It needs
// scope snsapi_login or snsapi_userinfo; under snsapi_base WeChat answers
// ErrScopeNotAuthorized. The reply's openid must be t's, else
// ErrOpenIDMismatch. The avatar URL is rewritten to https.
func (c *Config) UserInfo(ctx context.Context, t *Token, lang string) (*UserInfo, error) {
	if t == nil || t.OpenID == "" {
		return nil, fmt.Errorf("wxlogin: %s: token has no openid: %w", opUserInfo, ErrInvalidOpenID)
	}
	q := url.Values{"access_token": {t.AccessToken}, "openid": {t.OpenID}}
	if lang != "" {
		q.Set("lang", lang)
	}
	var raw json.RawMessage
	if err := c.get(ctx, opUserInfo, "/sns/userinfo", q, true, &raw); err != nil {
		return nil, err
	}
	u := &UserInfo{Raw: raw}
	if err := json.Unmarshal(raw, u); err != nil {
		return nil, &UpstreamError{Op: opUserInfo, StatusCode: 200, Err: errors.New("malformed JSON reply")}
	}
	if u.OpenID != t.OpenID {
		return nil, fmt.Errorf("%w (%s)", ErrOpenIDMismatch, opUserInfo)
	}
	u.HeadImgURL = SecureAvatarURL(u.HeadImgURL)
	if u.UnionID == "" {
		u.UnionID = t.UnionID
	}
	return u, nil
}
