package core

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// TokenSource supplies a valid access token, like golang.org/x/oauth2's
// TokenSource, in WeChat's Token.
type TokenSource interface {
	// Token returns a token valid for at least Options.RefreshMargin,
	// refreshing it first when needed.
	Token() (*Token, error)
}

// TokenSource returns the TokenSource of the user logged in to the
// session in ctx: each Token call is Auth.Token(ctx), so refreshes are
// shared with every other request of that user and written back to the
// session. Use it within the request whose ctx it was given.
func (a *Auth) TokenSource(ctx context.Context) TokenSource {
	return sessionTokenSource{a: a, ctx: ctx}
}

type sessionTokenSource struct {
	a   *Auth
	ctx context.Context
}

func (s sessionTokenSource) Token() (*Token, error) { return s.a.Token(s.ctx) }

// ErrForeignHost is returned by Auth.Client for a request to a host other
// than the user's application's API host: the access token is only ever
// sent to WeChat.
var ErrForeignHost = errors.New("wxlogin: Client calls only WeChat's API host")

// Client returns an *http.Client that calls WeChat's API on behalf of the
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
// the API host of the user's application (Config.Endpoint): any other
// host fails with ErrForeignHost, so the token never leaves for another
// site. Transport errors are *UpstreamError values that hold no URL, and
// the response's Request is the request as it was given, without the
// token. Errors of Token (ErrLoginRequired: the login has ended) are
// returned as they are, wrapped in the *url.Error that http.Client adds;
// test them with errors.Is.
//
// The client's transport is the application's Config.HTTPClient's (or
// http.DefaultTransport) and its timeout is Config.Timeout's. Use the
// client within the request whose ctx it was given.
func (a *Auth) Client(ctx context.Context) *http.Client {
	u, _ := a.CurrentUser(ctx)
	var cfg *Config
	if u != nil {
		cfg = a.config(u.AppID)
	}
	for _, c := range []*Config{a.opts.Website, a.opts.OfficialAccount, a.opts.MobileApp, a.opts.MiniProgram} {
		if cfg == nil {
			cfg = c
		}
	}
	base := http.DefaultTransport
	if cfg.HTTPClient != nil && cfg.HTTPClient.Transport != nil {
		base = cfg.HTTPClient.Transport
	}
	api, _ := url.Parse(cfg.endpoint().APIBaseURL)
	return &http.Client{
		Transport: &tokenTransport{cred: sessionCredential{a: a, ctx: ctx}, a: a, base: base, api: api},
		Timeout:   cfg.timeout(),
	}
}

// credential supplies the query parameters that authorise a request:
// the current ones when rejected is "", else fresh ones replacing the
// token rejected, which WeChat has just refused.
type credential interface {
	query(ctx context.Context, rejected string) (authorization, error)
}

// authorization is what a credential adds to a request.
type authorization struct {
	params url.Values
	token  string // to recognise a refusal of it
	appID  string // for events
}

// sessionCredential is the token of the user logged in to the session
// in ctx.
type sessionCredential struct {
	a   *Auth
	ctx context.Context // holds the session
}

func (c sessionCredential) query(_ context.Context, rejected string) (authorization, error) {
	var tok *Token
	var err error
	if rejected == "" {
		tok, err = c.a.Token(c.ctx)
	} else {
		tok, err = c.a.token(c.ctx, rejected)
	}
	if err != nil {
		return authorization{}, err
	}
	return authorization{
		params: url.Values{"access_token": {tok.AccessToken}, "openid": {tok.OpenID}},
		token:  tok.AccessToken,
		appID:  tok.AppID,
	}, nil
}

// tokenTransport adds a token to requests to WeChat's API (Auth.Client:
// the session user's; AppTokenSource.Client: the application's).
type tokenTransport struct {
	cred credential
	a    *Auth // for events; may be nil
	base http.RoundTripper
	api  *url.URL
}

const opAPI = "api"

func (t *tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		defer req.Body.Close()
	}
	if req.URL.Scheme != t.api.Scheme || req.URL.Host != t.api.Host {
		return nil, fmt.Errorf("%w (%s), not %s", ErrForeignHost, t.api.Host, req.URL.Host)
	}
	auth, err := t.cred.query(req.Context(), "")
	if err != nil {
		return nil, err
	}
	resp, err := t.send(req, auth, req.Body)
	if err != nil || !tokenRejected(resp) {
		return resp, err
	}
	if req.Body != nil && req.GetBody == nil {
		return resp, nil // cannot send the body again
	}
	// A refresh of the user's token that did not help a moment ago is not
	// tried again (the app token's source has its own re-read-once rule).
	_, userToken := t.cred.(sessionCredential)
	if userToken && t.a.futile(auth.token) {
		return resp, nil
	}
	fresh, err := t.cred.query(req.Context(), auth.token)
	if err != nil {
		return resp, nil // WeChat's answer stands
	}
	var body io.ReadCloser
	if req.GetBody != nil {
		if body, err = req.GetBody(); err != nil {
			return resp, nil
		}
	}
	resp.Body.Close()
	resp, err = t.send(req, fresh, body)
	if err == nil && userToken && tokenRejected(resp) {
		t.a.markFutile(fresh.token)
	}
	return resp, err
}

// send sends a copy of req authorised by auth. The response's Request is
// req, which holds no token, and the token is taken out of a redirect's
// Location: http.Client prints that URL in the error of a redirect it
// refuses.
func (t *tokenTransport) send(req *http.Request, auth authorization, body io.ReadCloser) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Body = body
	q := r.URL.Query()
	for k, v := range auth.params {
		q[k] = v
	}
	r.URL.RawQuery = q.Encode()
	return upstream(req.Context(), t.a, opAPI, auth.appID, func() (*http.Response, error) {
		resp, err := t.base.RoundTrip(r)
		if err != nil {
			return nil, (&Config{}).upstreamErr(req.Context(), opAPI, 0, err)
		}
		resp.Request = req
		if loc := resp.Header.Get("Location"); loc != "" {
			resp.Header.Set("Location", withoutToken(loc, auth.token))
		}
		return resp, nil
	})
}

// withoutToken returns the URL loc without access_token parameters, and
// without the token anywhere else.
func withoutToken(loc, token string) string {
	u, err := url.Parse(loc)
	if err != nil {
		return "" // unusable: http.Client reports a redirect without Location
	}
	q := u.Query()
	if q.Has("access_token") {
		q.Del("access_token")
		u.RawQuery = q.Encode()
	}
	s := u.String()
	if token != "" && strings.Contains(s, token) {
		return ""
	}
	return s
}

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

// tokenRejected reports whether resp is WeChat's JSON answer that the
// access token has expired or is invalid. It reads the body of JSON and
// text answers and puts it back.
func tokenRejected(resp *http.Response) bool {
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt != "application/json" && mt != "text/plain" && mt != "" {
		return false // media, files
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	rest := resp.Body
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), rest), rest}
	if err != nil || len(b) > MaxResponseBytes {
		return false
	}
	var e struct {
		ErrCode int `json:"errcode"`
	}
	if json.Unmarshal(b, &e) != nil {
		return false
	}
	return e.ErrCode == 42001 || e.ErrCode == 40001 || e.ErrCode == 40014
}
