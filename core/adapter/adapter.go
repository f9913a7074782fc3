// Package adapter holds what an adapter of wxlogin to a web framework
// needs of a core.Auth, and nothing an app needs: nethttpmw, ginmw and
// fibermw are written with it, and so can an adapter for another
// framework (Echo, Hertz, …) outside this module.
//
// An adapter gets the Kit of an Auth with core.Auth.Adapter and, for each
// request:
//   - in its session middleware, puts the request's language in the
//     context (Kit.WithLanguage), loads the session named by the
//     Authorization: Bearer header (BearerToken, Kit.LoadBearerSession)
//     or else by the session cookie (Kit.SessionCookieName,
//     Kit.LoadSession), and saves it before the response's headers go out
//     (Kit.CommitSession, or Kit.SaveSession for a framework without
//     http.ResponseWriter);
//   - in its handlers, answers with the Response of the matching Kit
//     method (Kit.LoginResponse, Kit.CallbackResponse, …), copied to the
//     framework's response as Response.ServeHTTP does;
//   - in RequireWeixinUser, lets a request with core.Auth.CurrentUser
//     through with Kit.CacheControl set, and answers the others with
//     Kit.LoginRequiredResponse;
//   - logs requests with LogAccess, which applies RedactQuery to their
//     query: no code or state reaches the log.
//
// Everything the flow decides (status codes, pages, cookies, security
// headers, languages) is decided by the Kit, so that every adapter
// behaves identically: internal/conformance runs one suite over all three.
package adapter

import (
	"context"
	"io"
	"net/http"
	"net/url"

	"golang.org/x/text/language"
)

// Response is a framework-independent HTTP answer of the login flow. The
// adapters (nethttpmw, ginmw, fibermw) copy it to their framework, so
// that all three behave identically; it is an http.Handler itself.
type Response struct {
	// Status is the HTTP status code.
	Status int
	// Header holds the headers to set, including Location for redirects.
	Header http.Header
	// Body is the body, possibly empty.
	Body []byte
}

// ServeHTTP writes r to w (without a body for HEAD), so that a Response
// serves as an http.Handler in net/http and Gin.
func (r Response) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	for k, v := range r.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(r.Status)
	if req.Method != http.MethodHead {
		w.Write(r.Body)
	}
}

// RequestInfo is what the login flow needs to know of an HTTP request,
// whatever the framework.
type RequestInfo struct {
	// Method is the request's method.
	Method string
	// Accept is its Accept header.
	Accept string
	// RequestURI is its path and query, as sent.
	RequestURI string
	// AcceptLanguage is its Accept-Language header, for the language of
	// the pages (see Kit.Language).
	AcceptLanguage string
	// UserAgent is its User-Agent header: inside WeChat, the pages are
	// Chinese unless AcceptLanguage says otherwise.
	UserAgent string
	// Bearer says its session came from an Authorization: Bearer
	// header (Kit.IsBearer): it is answered 401 JSON, never redirected.
	Bearer bool
}

// RequestInfoOf returns the RequestInfo of a net/http request (net/http
// and Gin adapters).
func RequestInfoOf(r *http.Request) RequestInfo {
	return RequestInfo{
		Method:         r.Method,
		Accept:         r.Header.Get("Accept"),
		RequestURI:     r.URL.RequestURI(),
		AcceptLanguage: r.Header.Get("Accept-Language"),
		UserAgent:      r.UserAgent(),
	}
}

// maxBearerLength bounds the bearer tokens looked up in the store; scs'
// tokens are 43 characters.
const maxBearerLength = 256

// BearerToken returns the token of an Authorization header value
// "Bearer TOKEN" (the scheme in any case), and whether the value uses
// the Bearer scheme at all. A Bearer value whose token is empty,
// overlong or not of the characters of a session token yields "" and
// true: the request is a bearer request that no session answers. A
// token is only ever read from this header, never from the URL.
func BearerToken(authorization string) (token string, ok bool) {
	const scheme = "bearer "
	if len(authorization) < len(scheme) {
		return "", false
	}
	for i := 0; i < len(scheme); i++ {
		c := authorization[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != scheme[i] {
			return "", false
		}
	}
	token = authorization[len(scheme):]
	for len(token) > 0 && token[0] == ' ' {
		token = token[1:]
	}
	for len(token) > 0 && token[len(token)-1] == ' ' {
		token = token[:len(token)-1]
	}
	if len(token) > maxBearerLength {
		return "", true
	}
	for i := 0; i < len(token); i++ {
		c := token[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || c == '+' || c == '/' || c == '=') {
			return "", true
		}
	}
	return token, true
}

// Kit is the plumbing of one core.Auth for an adapter: get it with
// core.Auth.Adapter. Its methods are safe for concurrent use.
type Kit interface {
	// WithLanguage returns ctx with the language of the pages for the
	// request r (see Language): the error pages, the login-required
	// answer and the app's own pages (core.Auth.LanguageOf) use it.
	WithLanguage(ctx context.Context, r RequestInfo) context.Context
	// Language is the language of the pages for the request r, one the
	// Auth has words for: Accept-Language's best match; with none usable,
	// Simplified Chinese inside WeChat, else core.Options.DefaultLanguage.
	Language(r RequestInfo) language.Tag

	// SessionCookieName is the name of the session cookie.
	SessionCookieName() string
	// LoadSession loads the session the cookie value token names into
	// ctx (scs' Load), treating data that cannot be decoded as no
	// session. Errors wrap core.ErrSessionStore: answer them with
	// ErrorResponse.
	LoadSession(ctx context.Context, token string) (context.Context, error)
	// LoadBearerSession loads the session a bearer token addresses, as
	// LoadSession does for a cookie, and marks ctx as a bearer request
	// (IsBearer): no cookie is ever set for it, the logout answers 204,
	// and a missing login is answered 401 JSON, never a redirect. An
	// empty, unknown, expired or logged-out token loads an empty session
	// that is never saved.
	LoadBearerSession(ctx context.Context, token string) (context.Context, error)
	// IsBearer reports whether the session of ctx was loaded by
	// LoadBearerSession.
	IsBearer(ctx context.Context) bool
	// SaveSession saves the session of ctx, if it changed, and returns
	// the headers to add to the response (Set-Cookie, Vary), for
	// frameworks without an http.ResponseWriter. Errors wrap
	// core.ErrSessionStore: answer ErrorResponse instead of the handler's
	// response.
	SaveSession(ctx context.Context) (http.Header, error)
	// CommitSession is SaveSession for net/http: it adds the headers to w
	// or, when the store fails, writes ErrorResponse's answer, and reports
	// whether the handler's response may go out.
	CommitSession(w http.ResponseWriter, r *http.Request) bool
	// CheckSession reports, as an error matching core.ErrNoSession,
	// that ctx holds no loaded session: the session middleware is not
	// mounted around the handler.
	CheckSession(ctx context.Context) error
	// CacheControl is the Cache-Control header RequireWeixinUser sets on
	// the responses it lets through (core.Options.CacheControl), "" for
	// none.
	CacheControl() string

	// LoginResponse answers the login route: a 302 to WeChat's authorize
	// page (the official account's for a userAgent of WeChat's, when one
	// is configured), the login ending at next when it is a same-site
	// path (core.SafeReturnTo).
	LoginResponse(ctx context.Context, next, userAgent string) Response
	// CallbackResponse answers the callback route, whose query is q: the
	// login completed and a 302 to its return-to path, or an error page.
	CallbackResponse(ctx context.Context, q url.Values) Response
	// LogoutResponse answers the logout route: a POST logs out and
	// redirects to "/" (a bearer request: 204); other methods get 405.
	LogoutResponse(ctx context.Context, method string) Response
	// MiniProgramLoginResponse answers the mini program's login route: a
	// POST with the JSON body {"code":"…"} of wx.login(), answered 200
	// {"token","expires_at","user":{…}} or a JSON error.
	MiniProgramLoginResponse(ctx context.Context, method, contentType string, body io.Reader) Response
	// AppLoginResponse is MiniProgramLoginResponse for the mobile app's
	// SendAuth code.
	AppLoginResponse(ctx context.Context, method, contentType string, body io.Reader) Response
	// MiniProgramPhoneResponse answers the phone route: a POST with the
	// JSON body {"code":"…"} of the getPhoneNumber button, from a mini
	// program login's bearer session, answered 200
	// {"phone":"…","country_code":"…"} or a JSON error.
	MiniProgramPhoneResponse(ctx context.Context, method, contentType string, body io.Reader) Response
	// LoginRequiredResponse answers a request RequireWeixinUser refuses:
	// a browser navigating (GET or HEAD accepting text/html, not a bearer
	// request) is redirected to the login route with next set to
	// r.RequestURI; anything else gets 401 JSON
	// {"error":"login_required","login_url":"…"}.
	LoginRequiredResponse(r RequestInfo) Response
	// ReadyResponse answers a readiness probe (GET /readyz) with
	// core.Auth.Ready: 200 "ok" when the session store answers, else 503
	// "not ready: session store unavailable" (the store's error goes to
	// the log, never to the body). Mount it outside the session
	// middleware.
	ReadyResponse(ctx context.Context) Response
	// ErrorResponse answers err with an HTML error page in the language
	// of ctx, its status as core.Classify says; the page never shows
	// err's text.
	ErrorResponse(ctx context.Context, err error) Response
	// JSONErrorResponse answers err with the JSON body {"error":"CODE"}
	// (core.ErrorClass.Code), its status as core.Classify says.
	JSONErrorResponse(err error) Response
}
