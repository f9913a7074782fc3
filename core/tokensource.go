package core

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/wxlogin/wxlogin/core/weixin"
)

// TokenSource returns the TokenSource of the user logged in to the
// session in ctx: each Token call is Auth.Token(ctx), so refreshes are
// shared with every other request of that user and written back to the
// session. Use it within the request whose ctx it was given.
func (a *Auth) TokenSource(ctx context.Context) weixin.TokenSource {
	return sessionTokenSource{a: a, ctx: ctx}
}

type sessionTokenSource struct {
	a   *Auth
	ctx context.Context
}

func (s sessionTokenSource) Token() (*weixin.Token, error) { return s.a.Token(s.ctx) }

// Client returns an *http.Client (weixin.Config.Client) that calls WeChat's API on behalf of the
// user logged in to the session in ctx, as golang.org/x/oauth2's
// Config.Client does with a header: WeChat takes the token in the query,
// so the client adds access_token and openid to each request's query,
// with the token Auth.Token yields (refreshed first when needed).
//
// When WeChat answers errcode 42001 (expired), 40001 or 40014 (invalid)
// although the token looked valid (clock skew, a token revoked early),
// the token is refreshed once and the request sent again; a request with
// a body is repeated only when its GetBody is set. When WeChat rejects
// the refreshed token too, that is remembered for a minute: calls with
// it get WeChat's answer without another refresh. No response, error or
// redirect the client returns holds the token: resp.Request is the
// request as given, and a redirect's Location loses access_token. Requests go only to
// the API host of the user's application (weixin.Config.Endpoint): any other
// host fails with weixin.ErrForeignHost, so the token never leaves for another
// site. Transport errors are *weixin.UpstreamError values that hold no URL, and
// the response's Request is the request as it was given, without the
// token. Errors of Token (ErrLoginRequired: the login has ended) are
// returned as they are, wrapped in the *url.Error that http.Client adds;
// test them with errors.Is.
//
// The client's transport is the application's weixin.Config.HTTPClient's (or
// http.DefaultTransport) and its timeout is weixin.Config.Timeout's. Use the
// client within the request whose ctx it was given.
func (a *Auth) Client(ctx context.Context) *http.Client {
	u, _ := a.CurrentUser(ctx)
	var cfg *weixin.Config
	if u != nil {
		cfg = a.config(u.AppID)
	}
	for _, c := range []*weixin.Config{a.opts.Website, a.opts.OfficialAccount, a.opts.MobileApp, a.opts.MiniProgram} {
		if cfg == nil {
			cfg = c
		}
	}
	return cfg.Client(ctx, sessionTokenSource{a: a, ctx: ctx})
}

// Renew is the fresh token after WeChat rejected the token rejected
// (weixin.Config.Client calls it), unless a refresh did not help with
// that token a moment ago.
func (s sessionTokenSource) Renew(rejected string) (*weixin.Token, error) {
	if s.a.futile(rejected) {
		return nil, errFutile
	}
	return s.a.token(s.ctx, rejected)
}

// Refused remembers that WeChat rejected token, a refreshed one.
func (s sessionTokenSource) Refused(token string) { s.a.markFutile(token) }

var errFutile = errors.New("wxlogin: refreshing did not cure the rejection a moment ago")

// futileFor is how long Auth.Client remembers that refreshing did not
// cure WeChat's rejection of a token (a persistent 40001, say): calls
// with that token then get WeChat's answer without a refresh each.
const futileFor = time.Minute

// futile reports whether refreshing token was found not to help less
// than futileFor ago.
func (a *Auth) futile(token string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	until, ok := a.futileUntil[token]
	return ok && a.opts.Now().Before(until)
}

// markFutile remembers that a refresh did not cure the rejection of
// token, the refreshed one.
func (a *Auth) markFutile(token string) {
	now := a.opts.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.futileUntil == nil {
		a.futileUntil = make(map[string]time.Time)
	}
	if len(a.futileUntil) >= 1024 {
		for k, until := range a.futileUntil {
			if !now.Before(until) {
				delete(a.futileUntil, k)
			}
		}
	}
	if len(a.futileUntil) < 4096 {
		a.futileUntil[token] = now.Add(futileFor)
	}
}
