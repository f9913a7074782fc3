package core

import (
	"bytes"
	"context"
	"encoding/json"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wxlogin/wxlogin/core/adapter"
	"github.com/wxlogin/wxlogin/core/weixin"
	"golang.org/x/text/language"
)

// securityHeaders go on every login, callback, logout and error answer.
func securityHeaders() http.Header {
	return http.Header{
		"X-Frame-Options": {"DENY"},
		"Referrer-Policy": {"no-referrer"},
		"Cache-Control":   {"no-store"},
	}
}

func redirect(location string) adapter.Response {
	h := securityHeaders()
	h.Set("Location", location)
	return adapter.Response{Status: http.StatusFound, Header: h}
}

// LoginResponse answers a request to the login route: a 302 to WeChat's
// authorize page (the official account's when userAgent is WeChat's and
// one is configured), the login ending at next when SafeReturnTo keeps
// it. WeChat's QR-code page is in English (lang=en) when the language
// of ctx (see WithLanguage) is English, in Chinese otherwise.
func (a kit) LoginResponse(ctx context.Context, next, userAgent string) adapter.Response {
	if err := a.CheckSession(ctx); err != nil {
		return a.ErrorResponse(ctx, err)
	}
	req := LoginRequest{ReturnTo: next, InWeChat: isWeChatBrowser(userAgent)}
	if a.qrPageInEnglish(ctx, req.InWeChat) {
		req.Options = append(req.Options, weixin.LangParam("en"))
	}
	start, err := a.BeginLogin(ctx, req)
	if err != nil {
		return a.ErrorResponse(ctx, err)
	}
	return redirect(start.AuthURL)
}

// CallbackResponse answers WeChat's callback with query q: a 302 to the
// login's return-to path, or an error page with Classify(err).Status.
func (a kit) CallbackResponse(ctx context.Context, q url.Values) adapter.Response {
	if err := a.CheckSession(ctx); err != nil {
		return a.ErrorResponse(ctx, err)
	}
	res, err := a.CompleteLogin(ctx, q)
	if err != nil {
		return a.ErrorResponse(ctx, err)
	}
	return redirect(res.ReturnTo)
}

// LogoutResponse answers the logout route: POST ends the session and
// redirects to "/"; any other method is 405 (ErrMethodNotAllowed) and
// ends nothing (a link or an image must not log anyone out). A bearer
// request (IsBearer) is answered 204 without a redirect, or 401 JSON
// when its token authenticates nobody.
func (a kit) LogoutResponse(ctx context.Context, method string) adapter.Response {
	bearer := isBearer(ctx)
	if method != http.MethodPost {
		r := a.ErrorResponse(ctx, ErrMethodNotAllowed)
		if bearer {
			r = a.JSONErrorResponse(ErrMethodNotAllowed)
		}
		r.Header.Set("Allow", http.MethodPost)
		return r
	}
	if bearer {
		return a.bearerLogout(ctx)
	}
	if err := a.CheckSession(ctx); err != nil {
		return a.ErrorResponse(ctx, err)
	}
	if err := a.Logout(ctx); err != nil {
		return a.ErrorResponse(ctx, err)
	}
	return redirect("/")
}

// bearerLogout ends the login of a bearer request: 204, or 401 JSON when
// the token authenticates nobody.
func (a kit) bearerLogout(ctx context.Context) adapter.Response {
	if _, ok := a.CurrentUser(ctx); !ok {
		return a.JSONErrorResponse(ErrLoginRequired)
	}
	if err := a.Logout(ctx); err != nil {
		return a.JSONErrorResponse(err)
	}
	return adapter.Response{Status: http.StatusNoContent, Header: securityHeaders()}
}

// LoginRequiredResponse answers a request that needs a login and has
// none: a browser navigating (GET or HEAD accepting text/html) is
// redirected to the login route with next set to r.RequestURI; anything
// else (an API call, XHR, a form POST, any bearer request) gets 401 with
// the JSON body {"error":"login_required","login_url":"…"}.
func (a kit) LoginRequiredResponse(r adapter.RequestInfo) adapter.Response {
	loginURL := a.loginURL(r.RequestURI)
	if !r.Bearer && (r.Method == http.MethodGet || r.Method == http.MethodHead) && acceptsHTML(r.Accept) {
		return redirect(loginURL)
	}
	return jsonResponse(http.StatusUnauthorized, errorJSON{Error: codeLoginRequired, LoginURL: loginURL})
}

// loginURL returns the login route with next set to requestURI, when
// SafeReturnTo keeps it.
func (a *Auth) loginURL(requestURI string) string {
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

// ErrorResponse is the HTML error page for err, in the language of ctx
// (see WithLanguage): Classify(err) decides the status, ClassifyIn the
// words, Options.ErrorPage (when set) renders it, else DefaultErrorPage.
// The page never shows the error's text, which may come from WeChat.
func (a kit) ErrorResponse(ctx context.Context, err error) adapter.Response {
	lang := a.LanguageOf(ctx)
	p := ErrorPageData{Err: err, Class: a.classifyIn(err, lang), Language: lang}
	if p.Class.OfferLogin {
		p.LoginPath, p.LoginText = a.opts.LoginPath, a.Message(lang, "link.login_again")
	}
	h := securityHeaders()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	h.Set("Content-Language", lang.String())
	var body []byte
	if a.opts.ErrorPage != nil {
		body = a.opts.ErrorPage(p)
	} else {
		body = DefaultErrorPage(p)
	}
	return adapter.Response{Status: p.Class.Status, Header: h, Body: body}
}

// ErrorPageData is what an error page shows: Options.ErrorPage and
// DefaultErrorPage render it.
type ErrorPageData struct {
	// Err is the error. Never show err.Error() to the visitor: it may
	// come from WeChat.
	Err error
	// Class is Classify(Err) with Title and Message in Language; answer
	// with Class.Status.
	Class ErrorClass
	// Language is the visitor's language (see adapter.Kit.Language); its String
	// is the lang attribute of the page ("zh-CN", "en").
	Language language.Tag
	// LoginPath is the login route when logging in again helps
	// (Class.OfferLogin), else empty; LoginText is the words of the link
	// to it ("link.login_again").
	LoginPath, LoginText string
}

var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="{{.Language}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Class.Title}}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}a{color:#07c160}</style>
</head><body><h1>{{.Class.Title}}</h1><p>{{.Class.Message}}</p>{{if .LoginPath}}<p><a href="{{.LoginPath}}">{{.LoginText}}</a></p>{{end}}</body></html>
`))

// DefaultErrorPage renders the built-in error page of p: a
// self-contained HTML page (no third-party resources) with lang
// p.Language, the words of p.Class, and a link to p.LoginPath when set.
func DefaultErrorPage(p ErrorPageData) []byte {
	var b bytes.Buffer
	errorPage.Execute(&b, p)
	return b.Bytes()
}

// qrPageInEnglish reports whether a login begun now goes to the website
// application's QR-code page and the language of ctx is English.
func (a *Auth) qrPageInEnglish(ctx context.Context, inWeChat bool) bool {
	if a.opts.Website == nil || (inWeChat && a.opts.OfficialAccount != nil) {
		return false
	}
	base, _ := a.LanguageOf(ctx).Base()
	return base.String() == "en"
}

// errorJSON is the body of JSON error answers.
type errorJSON struct {
	Error    string `json:"error"`
	LoginURL string `json:"login_url,omitempty"`
	Status   int    `json:"status,omitempty"`
}

// JSONErrorResponse answers an API request that failed with err (usually
// from Token or Client): the status of Classify(err) and the body
// {"error":CODE}, with "login_url" when the login has ended
// (login_required, 401) and the status again for WeChat's failures
// ({"error":"upstream","status":502 or 504}). The session store's
// failure is 503 {"error":"session_store"}; WeChat's minute quota on a
// bearer login is 429 {"error":"rate_limited"} with Retry-After. The body
// never carries the error's text.
func (a kit) JSONErrorResponse(err error) adapter.Response {
	c := Classify(err)
	body := errorJSON{Error: c.Code}
	switch c.Code {
	case codeLoginRequired:
		body.LoginURL = a.opts.LoginPath
	case codeUpstream:
		body.Status = c.Status
	}
	r := jsonResponse(c.Status, body)
	if c.Status == http.StatusTooManyRequests {
		r.Header.Set("Retry-After", strconv.Itoa(int(retryAfterQuota/time.Second)))
	}
	return r
}

func jsonResponse(status int, body any) adapter.Response {
	b, _ := json.Marshal(body)
	h := http.Header{"Content-Type": {"application/json; charset=utf-8"}, "Cache-Control": {"no-store"}}
	return adapter.Response{Status: status, Header: h, Body: b}
}
