// Package nethttpmw mounts WeChat login on a net/http app: a login, a
// callback and a logout handler, the RequireWeixinUser middleware, and
// User to read the logged-in user. It is a thin adapter over core.Auth;
// ginmw and fibermw behave identically.
//
//	h := nethttpmw.New(auth, nethttpmw.Options{})
//	mux.HandleFunc("GET /auth/weixin/login", h.Login)
//	mux.HandleFunc("GET /auth/weixin/callback", h.Callback)
//	mux.HandleFunc("/auth/weixin/logout", h.Logout) // POST; GET is 405
//	mux.HandleFunc("POST /auth/weixin/miniprogram", h.MiniProgramLogin)
//	mux.HandleFunc("POST /auth/weixin/app", h.AppLogin)
//	mux.Handle("GET /me", h.RequireWeixinUser(me))
//	handler := nethttpmw.AccessLog(logger)(h.Sessions(mux)) // logs requests, code and state redacted
//	srv := &http.Server{Addr: addr, Handler: handler, ReadHeaderTimeout: 5 * time.Second, …}
package nethttpmw

import (
	"context"
	"net/http"

	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/adapter"
	"github.com/wxlogin/wxlogin/core/weixin"
)

// Options customises the Handlers.
type Options struct {
	// LoginRequired, if set, answers the requests RequireWeixinUser
	// refuses, instead of the default: 302 to the login route for a
	// browser navigating, 401 JSON {"error":"login_required",…} for
	// anything else.
	LoginRequired http.Handler
}

// Handlers are the WeChat login routes and middleware of one core.Auth.
type Handlers struct {
	auth *core.Auth
	kit  adapter.Kit
	opts Options
}

// New returns the Handlers of auth. It changes nothing in the session
// manager: the Sessions middleware answers store failures itself, so an
// ErrorFunc the app set on the manager stays as it is (for the app's
// own uses of scs' LoadAndSave).
func New(auth *core.Auth, opts Options) *Handlers {
	return &Handlers{auth: auth, kit: auth.Adapter(), opts: opts}
}

// Sessions puts the request's language in its context (see
// adapter.Kit.WithLanguage), loads the session of the Auth and saves it
// just before the response's headers go out, as scs' LoadAndSave does:
// every handler below must run inside it. The session is the one the
// session cookie names or, when the request has an "Authorization:
// Bearer TOKEN" header (a mini program's or mobile app's, see
// MiniProgramLogin), the one TOKEN names, whatever the cookie says; a
// bearer session never sets a cookie. A token in the URL is never read. Unlike LoadAndSave it answers
// 503 with the error page (and logs) when the session store fails, on
// load or on save — the handler's response is then dropped, so that no
// login looks successful without its session — and it treats session
// data that cannot be decoded as no session (see adapter.Kit.LoadSession).
func (h *Handlers) Sessions(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Cookie, Authorization")
		lctx := h.kit.WithLanguage(r.Context(), adapter.RequestInfo{AcceptLanguage: r.Header.Get("Accept-Language"), UserAgent: r.UserAgent()})
		var ctx context.Context
		var err error
		if bearer, ok := adapter.BearerToken(r.Header.Get("Authorization")); ok {
			ctx, err = h.kit.LoadBearerSession(lctx, bearer) // the bearer wins over a cookie
		} else {
			var token string
			if c, err := r.Cookie(h.kit.SessionCookieName()); err == nil {
				token = c.Value
			}
			ctx, err = h.kit.LoadSession(lctx, token)
		}
		if err != nil {
			h.kit.ErrorResponse(lctx, err).ServeHTTP(w, r)
			return
		}
		r = r.WithContext(ctx)
		sw := &sessionWriter{ResponseWriter: w, kit: h.kit, r: r}
		next.ServeHTTP(sw, r)
		sw.save()
	})
}

// sessionWriter saves the session once, just before the first byte of
// the response, so that its cookie goes with the headers.
type sessionWriter struct {
	http.ResponseWriter
	kit    adapter.Kit
	r      *http.Request
	saved  bool
	failed bool
}

// save saves the session once; it reports whether the handler's response
// may go out.
func (w *sessionWriter) save() bool {
	if !w.saved {
		w.saved = true
		w.failed = !w.kit.CommitSession(w.ResponseWriter, w.r)
	}
	return !w.failed
}

func (w *sessionWriter) WriteHeader(code int) {
	if w.save() {
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *sessionWriter) Write(b []byte) (int, error) {
	if !w.save() {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// Flush sends what was written so far, after saving the session.
func (w *sessionWriter) Flush() {
	if w.save() {
		http.NewResponseController(w.ResponseWriter).Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *sessionWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Login redirects to WeChat's authorize page (the official account's for
// visitors inside WeChat, when configured). The query parameter next is
// where the login ends, when it is a same-site path.
func (h *Handlers) Login(w http.ResponseWriter, r *http.Request) {
	h.kit.LoginResponse(r.Context(), r.URL.Query().Get("next"), r.UserAgent()).ServeHTTP(w, r)
}

// Callback completes the login WeChat redirects back with, then redirects
// to its next path; on failure it answers an error page (4xx for the
// browser's side, 502/504 for WeChat's).
func (h *Handlers) Callback(w http.ResponseWriter, r *http.Request) {
	h.kit.CallbackResponse(r.Context(), r.URL.Query()).ServeHTTP(w, r)
}

// Logout ends the session on POST and redirects to "/" (a bearer
// request: 204); other methods get 405 and end nothing.
func (h *Handlers) Logout(w http.ResponseWriter, r *http.Request) {
	h.kit.LogoutResponse(r.Context(), r.Method).ServeHTTP(w, r)
}

// MiniProgramPhone binds the phone number of a mini program's user: a
// POST with the JSON body {"code":"…"} (the code of the getPhoneNumber
// button) answers 200 {"phone":"…","country_code":"…"} and keeps the
// phone on the session's user; see adapter.Kit.MiniProgramPhoneResponse
// for the errors (400 for a bad, used or foreign code, 401 without a
// mini program login).
func (h *Handlers) MiniProgramPhone(w http.ResponseWriter, r *http.Request) {
	h.kit.MiniProgramPhoneResponse(r.Context(), r.Method, r.Header.Get("Content-Type"), r.Body).ServeHTTP(w, r)
}

// MiniProgramLogin logs in a mini program user: POST with the JSON body
// {"code":"…"}, the code of wx.login(). It answers 200
// {"token","expires_at","user":{"openid","unionid","account_id"}} and
// sets no cookie: the mini program sends the token back in an
// "Authorization: Bearer TOKEN" header. Errors are JSON
// {"error":"…"}; see adapter.Kit.MiniProgramLoginResponse.
func (h *Handlers) MiniProgramLogin(w http.ResponseWriter, r *http.Request) {
	h.kit.MiniProgramLoginResponse(r.Context(), r.Method, r.Header.Get("Content-Type"), r.Body).ServeHTTP(w, r)
}

// AppLogin logs in a mobile app user with the code of WeChat's SendAuth,
// as MiniProgramLogin does; see adapter.Kit.AppLoginResponse.
func (h *Handlers) AppLogin(w http.ResponseWriter, r *http.Request) {
	h.kit.AppLoginResponse(r.Context(), r.Method, r.Header.Get("Content-Type"), r.Body).ServeHTTP(w, r)
}

// Ready answers a readiness probe: 200 "ok" when the session store
// answers (core.Auth.Ready), else 503 with a short text reason, never the
// store's error (logged as a warning). Mount it outside Sessions, at GET
// /readyz beside a /healthz that checks nothing: a load balancer stops
// sending requests to an instance whose store is down, and the
// orchestrator does not restart it for that.
func (h *Handlers) Ready(w http.ResponseWriter, r *http.Request) {
	h.kit.ReadyResponse(r.Context()).ServeHTTP(w, r)
}

type userKey struct{}

// RequireWeixinUser lets requests with a logged-in user through to next,
// with the user in the context (see User) and Cache-Control set as
// core.Options.CacheControl says ("no-store" by default; next may set
// its own), and answers the others as Options.LoginRequired says; a
// bearer request without a valid login is always answered 401 JSON
// {"error":"login_required",…}, never redirected.
//
// It reads the session only and never calls WeChat: a login that WeChat
// has ended (refresh token expired or refused) passes until a Token call
// finds it out and ends it; see docs/behaviour.md.
func (h *Handlers) RequireWeixinUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := h.auth.CurrentUser(r.Context())
		if !ok {
			if err := h.kit.CheckSession(r.Context()); err != nil {
				h.kit.ErrorResponse(r.Context(), err).ServeHTTP(w, r) // 500: Sessions is not mounted
				return
			}
			bearer := h.kit.IsBearer(r.Context())
			if h.opts.LoginRequired != nil && !bearer {
				h.opts.LoginRequired.ServeHTTP(w, r)
				return
			}
			info := adapter.RequestInfoOf(r)
			info.Bearer = bearer
			h.kit.LoginRequiredResponse(info).ServeHTTP(w, r)
			return
		}
		if cc := h.kit.CacheControl(); cc != "" {
			w.Header().Set("Cache-Control", cc)
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, u)))
	})
}

// User returns the user RequireWeixinUser let through to r. Do not
// modify it. Like ginmw.User and fibermw.User it takes the request, and
// like them it reads what RequireWeixinUser stored: the session only,
// no call to WeChat.
func User(r *http.Request) (*core.User, bool) {
	u, ok := r.Context().Value(userKey{}).(*core.User)
	return u, ok
}

// CurrentUser returns the logged-in user of r's session, in any handler
// inside Sessions (a public page that greets logged-in users, say).
func (h *Handlers) CurrentUser(r *http.Request) (*core.User, bool) {
	return h.auth.CurrentUser(r.Context())
}

// Token returns a valid access token of r's user for calling WeChat's
// APIs, refreshed first when needed; see core.Auth.Token. An error
// matching core.ErrLoginRequired means the login has ended.
func (h *Handlers) Token(r *http.Request) (*weixin.Token, error) {
	return h.auth.Token(r.Context())
}

// JSONError answers err, from an app's own API handler, as JSON
// {"error":"CODE"} with the status core.Classify gives it (401
// login_required, 502 or 504 upstream, …); the body never holds err's
// text.
func (h *Handlers) JSONError(w http.ResponseWriter, r *http.Request, err error) {
	h.kit.JSONErrorResponse(err).ServeHTTP(w, r)
}

// ErrorPage answers err, from an app's own page handler, with wxlogin's
// HTML error page in the visitor's language (core.Options.ErrorPage, if
// set), with the status core.Classify gives it; the page never shows
// err's text.
func (h *Handlers) ErrorPage(w http.ResponseWriter, r *http.Request, err error) {
	h.kit.ErrorResponse(r.Context(), err).ServeHTTP(w, r)
}
