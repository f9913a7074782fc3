package core

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// Response is a framework-independent HTTP answer of the login flow. The
// adapters (nethttpmw, ginmw, fibermw) copy it to their framework, so
// that all three behave identically.
type Response struct {
	// Status is the HTTP status code.
	Status int
	// Header holds the headers to set, including Location for redirects.
	Header http.Header
	// Body is the body, possibly empty.
	Body []byte
}

// securityHeaders go on every login, callback, logout and error answer.
func securityHeaders() http.Header {
	return http.Header{
		"X-Frame-Options": {"DENY"},
		"Referrer-Policy": {"no-referrer"},
		"Cache-Control":   {"no-store"},
	}
}

func redirect(location string) Response {
	h := securityHeaders()
	h.Set("Location", location)
	return Response{Status: http.StatusFound, Header: h}
}

// LoginResponse answers a request to the login route: a 302 to WeChat's
// authorize page (the official account's when userAgent is WeChat's and
// one is configured), the login ending at next when SafeReturnTo keeps
// it.
func (a *Auth) LoginResponse(ctx context.Context, next, userAgent string) Response {
	if err := a.CheckSession(ctx); err != nil {
		return a.ErrorResponse(err)
	}
	start, err := a.BeginLogin(ctx, LoginRequest{ReturnTo: next, InWeChat: IsWeChatBrowser(userAgent)})
	if err != nil {
		return a.ErrorResponse(err)
	}
	return redirect(start.AuthURL)
}

// CallbackResponse answers WeChat's callback with query q: a 302 to the
// login's return-to path, or an error page with HTTPStatus(err).
func (a *Auth) CallbackResponse(ctx context.Context, q url.Values) Response {
	if err := a.CheckSession(ctx); err != nil {
		return a.ErrorResponse(err)
	}
	res, err := a.CompleteLogin(ctx, q)
	if err != nil {
		return a.ErrorResponse(err)
	}
	return redirect(res.ReturnTo)
}

// LogoutResponse answers the logout route: POST ends the session and
// redirects to "/"; any other method is 405 and ends nothing (a link or
// an image must not log anyone out).
func (a *Auth) LogoutResponse(ctx context.Context, method string) Response {
	if method != http.MethodPost {
		r := a.ErrorResponse(errMethodNotAllowed)
		r.Header.Set("Allow", http.MethodPost)
		return r
	}
	if err := a.CheckSession(ctx); err != nil {
		return a.ErrorResponse(err)
	}
	if err := a.Logout(ctx); err != nil {
		return a.ErrorResponse(err)
	}
	return redirect("/")
}

var errMethodNotAllowed = errors.New("wxlogin: log out with POST")

// LoginRequiredResponse answers a request that needs a login and has
// none: a browser navigating (GET or HEAD accepting text/html) is
// redirected to the login route with next set to requestURI; anything
// else (an API call, XHR, a form POST) gets 401 with the JSON body
// {"error":"login_required","login_url":"…"}.
func (a *Auth) LoginRequiredResponse(method, accept, requestURI string) Response {
	loginURL := a.LoginURL(requestURI)
	if (method == http.MethodGet || method == http.MethodHead) && acceptsHTML(accept) {
		return redirect(loginURL)
	}
	body, _ := json.Marshal(struct {
		Error    string `json:"error"`
		LoginURL string `json:"login_url"`
	}{"login_required", loginURL})
	h := http.Header{"Content-Type": {"application/json; charset=utf-8"}, "Cache-Control": {"no-store"}}
	return Response{Status: http.StatusUnauthorized, Header: h, Body: body}
}

// LoginURL returns the login route with next set to requestURI, when
// SafeReturnTo keeps it.
func (a *Auth) LoginURL(requestURI string) string {
	if next, ok := SafeReturnTo(requestURI); ok {
		return a.opts.LoginPath + "?next=" + url.QueryEscape(next)
	}
	return a.opts.LoginPath
}

// acceptsHTML reports whether an Accept header asks for HTML.
func acceptsHTML(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err == nil && (mt == "text/html" || mt == "application/xhtml+xml") {
			return true
		}
	}
	return false
}

// ErrorResponse is the error page for err, with HTTPStatus(err), or what
// Options.ErrorPage renders. The page says what happened in words for
// people and never shows the error's text, which may come from WeChat.
func (a *Auth) ErrorResponse(err error) Response {
	status := HTTPStatus(err)
	if err == errMethodNotAllowed {
		status = http.StatusMethodNotAllowed
	}
	h := securityHeaders()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	var body []byte
	if a.opts.ErrorPage != nil {
		body = a.opts.ErrorPage(status, err)
	} else {
		body = DefaultErrorPage(status, err, a.opts.LoginPath)
	}
	return Response{Status: status, Header: h, Body: body}
}

var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}a{color:#07c160}</style>
</head><body><h1>{{.Title}}</h1><p>{{.Message}}</p>{{if .LoginPath}}<p><a href="{{.LoginPath}}">Log in with WeChat again</a></p>{{end}}</body></html>
`))

// DefaultErrorPage renders the built-in error page: a self-contained
// HTML page (no third-party resources) that explains err to a person and
// offers to log in again.
func DefaultErrorPage(status int, err error, loginPath string) []byte {
	title, msg := "Login failed", "Something went wrong while logging you in."
	switch {
	case status == http.StatusMethodNotAllowed:
		title, msg, loginPath = "Method not allowed", "Log out with the logout button.", ""
	case errors.Is(err, ErrLoginDeclined):
		title, msg = "Login cancelled", "You declined the login in WeChat."
	case errors.Is(err, ErrStateExpired):
		msg = "The login took too long. Please start again."
	case errors.Is(err, ErrStateMissing), errors.Is(err, ErrStateInvalid), errors.Is(err, ErrStateUsed):
		msg = "This login link is not valid in this browser, or was already used. Please start again."
	case errors.Is(err, ErrCodeInvalid), errors.Is(err, ErrCodeUsed), errors.Is(err, ErrCodeExpired):
		msg = "WeChat did not accept this login; it may have expired. Please start again."
	case errors.Is(err, ErrLoginRejected):
		msg = "This WeChat account may not log in here."
	case errors.Is(err, ErrSnapshotUser):
		msg = "Please open the page in WeChat and log in there."
	case errors.Is(err, ErrNoSession):
		title, msg, loginPath = "Server error", "This site is misconfigured; its log says how to fix it.", ""
	case status == http.StatusServiceUnavailable:
		title, msg, loginPath = "Temporarily unavailable", "The site cannot reach its session store. Please try again in a moment.", ""
	case status == http.StatusGatewayTimeout:
		msg = "WeChat did not answer in time. Please try again."
	case status == http.StatusBadGateway:
		msg = "WeChat could not complete the login. Please try again later."
	}
	var b bytes.Buffer
	errorPage.Execute(&b, struct{ Title, Message, LoginPath string }{title, msg, loginPath})
	return b.Bytes()
}

// JSONErrorResponse answers an API request whose call to WeChat (usually
// through Token) failed: 401 {"error":"login_required","login_url":…}
// when the login has ended, else {"error":"upstream","status":N} with
// N = HTTPStatus(err) (502, or 504 on a timeout), or 503
// {"error":"session_store"} when the session store failed. The body
// never carries the error's text.
func (a *Auth) JSONErrorResponse(err error) Response {
	status := HTTPStatus(err)
	var body any
	switch {
	case errors.Is(err, ErrLoginRequired):
		body = map[string]string{"error": "login_required", "login_url": a.opts.LoginPath}
	case errors.Is(err, ErrSessionStore):
		body = map[string]string{"error": "session_store"}
	case status == http.StatusBadGateway || status == http.StatusGatewayTimeout:
		body = map[string]any{"error": "upstream", "status": status}
	default:
		body = map[string]string{"error": "internal"}
	}
	b, _ := json.Marshal(body)
	h := http.Header{"Content-Type": {"application/json; charset=utf-8"}, "Cache-Control": {"no-store"}}
	return Response{Status: status, Header: h, Body: b}
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
