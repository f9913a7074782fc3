package weixin

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
	// Token returns a valid token, refreshing it first when needed
	// (core.Auth.TokenSource: valid for at least core.Options.RefreshMargin).
	Token() (*Token, error)
}

// ErrForeignHost is returned by the clients of Config.Client,
// AppTokenSource.Client and core.Auth.Client for a request to a host other
// than the application's API host: the access token is only ever
// sent to WeChat.
var ErrForeignHost = errors.New("wxlogin: Client calls only WeChat's API host")

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
}

// refuser is a credential told when WeChat rejects the fresh token too.
type refuser interface{ refused(token string) }

// Client returns an *http.Client that calls WeChat's API on behalf of a
// user, with the tokens src yields, as golang.org/x/oauth2's
// Config.Client does with a header: WeChat takes the token in the query,
// so the client adds access_token and openid to each request's query.
//
// When WeChat answers errcode 42001 (expired), 40001 or 40014 (invalid)
// although the token looked valid (clock skew, a token revoked early)
// and src has a method Renew(rejected string) (*Token, error), the
// client asks it for a fresh token and sends the request once more (a
// request with a body only when its GetBody is set); when src also has
// a method Refused(token string), it is told when WeChat rejects the
// fresh token too. core.Auth.Client is this client with the session
// user's tokens.
//
// No response, error or redirect the client returns holds the token:
// resp.Request is the request as given, and a redirect's Location loses
// access_token. Requests go only to c's API host (Config.Endpoint): any
// other host fails with ErrForeignHost. Transport errors are
// *UpstreamError values that hold no URL; errors of src are returned as
// they are, wrapped in the *url.Error that http.Client adds. The
// client's transport is c.HTTPClient's (or http.DefaultTransport) and
// its timeout c.Timeout's.
func (c *Config) Client(ctx context.Context, src TokenSource) *http.Client {
	base := http.DefaultTransport
	if c.HTTPClient != nil && c.HTTPClient.Transport != nil {
		base = c.HTTPClient.Transport
	}
	api, _ := url.Parse(c.endpoint().APIBaseURL)
	return &http.Client{
		Transport: &tokenTransport{cred: userCredential{src}, cfg: c, base: base, api: api},
		Timeout:   c.timeout(),
	}
}

// userCredential puts a user's token from a TokenSource in requests.
type userCredential struct{ src TokenSource }

func (c userCredential) query(_ context.Context, rejected string) (authorization, error) {
	var tok *Token
	var err error
	if rejected == "" {
		tok, err = c.src.Token()
	} else if r, ok := c.src.(interface {
		Renew(rejected string) (*Token, error)
	}); ok {
		tok, err = r.Renew(rejected)
	} else {
		return authorization{}, errNoRenewal
	}
	if err != nil {
		return authorization{}, err
	}
	return authorization{
		params: url.Values{"access_token": {tok.AccessToken}, "openid": {tok.OpenID}},
		token:  tok.AccessToken,
	}, nil
}

func (c userCredential) refused(token string) {
	if r, ok := c.src.(interface{ Refused(token string) }); ok {
		r.Refused(token)
	}
}

var errNoRenewal = errors.New("the token source cannot renew a rejected token")

// tokenTransport adds a token to requests to WeChat's API (Config.Client and core.Auth.Client:
// the session user's; AppTokenSource.Client: the application's).
type tokenTransport struct {
	cred credential
	cfg  *Config // reports each request to its OnCall
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
	if r, ok := t.cred.(refuser); ok && err == nil && tokenRejected(resp) {
		r.refused(fresh.token)
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
	begun := time.Now()
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		err = (&Config{}).upstreamErr(req.Context(), opAPI, 0, err)
		t.cfg.report(req.Context(), opAPI, time.Since(begun), err)
		return nil, err
	}
	t.cfg.report(req.Context(), opAPI, time.Since(begun), nil)
	resp.Request = req
	if loc := resp.Header.Get("Location"); loc != "" {
		resp.Header.Set("Location", withoutToken(loc, auth.token))
	}
	return resp, nil
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
