// Package ginmw mounts WeChat login on a Gin app: a login, a callback and
// a logout handler, the RequireWeixinUser middleware, and User to read
// the logged-in user. It is a thin adapter over core.Auth; nethttpmw and
// fibermw behave identically.
//
//	h := ginmw.New(auth, ginmw.Options{})
//	r := gin.New()
//	r.Use(ginmw.AccessLog(logger), ginmw.Recovery(logger)) // code and state redacted
//	r.Use(h.Sessions)
//	r.GET("/auth/weixin/login", h.Login)
//	r.GET("/auth/weixin/callback", h.Callback)
//	r.Any("/auth/weixin/logout", h.Logout) // POST; other methods are 405
//	r.POST("/auth/weixin/miniprogram", h.MiniProgramLogin)
//	r.POST("/auth/weixin/app", h.AppLogin)
//	r.GET("/me", h.RequireWeixinUser, me)
package ginmw

import (
	"context"

	"github.com/gin-gonic/gin"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/adapter"
	"github.com/wxlogin/wxlogin/core/weixin"
)

// Options customises the Handlers.
type Options struct {
	// LoginRequired, if set, answers the requests RequireWeixinUser
	// refuses (it should abort), instead of the default: 302 to the
	// login route for a browser navigating, 401 JSON
	// {"error":"login_required",…} for anything else.
	LoginRequired gin.HandlerFunc
}

// Handlers are the WeChat login routes and middleware of one core.Auth.
// Every method is a gin.HandlerFunc.
type Handlers struct {
	auth *core.Auth
	kit  adapter.Kit
	opts Options
}

// New returns the Handlers of auth.
func New(auth *core.Auth, opts Options) *Handlers {
	return &Handlers{auth: auth, kit: auth.Adapter(), opts: opts}
}

// Sessions puts the request's language in its context (see
// adapter.Kit.WithLanguage), loads the scs session of the Auth and saves
// it before the response is written, as scs' LoadAndSave does for
// net/http. Every handler below must run after it. The session is the one
// the session cookie names or, when the request has an "Authorization:
// Bearer TOKEN" header (a mini program's or mobile app's, see
// MiniProgramLogin), the one TOKEN names, whatever the cookie says; a
// bearer session never sets a cookie. A token in the URL is never read.
func (h *Handlers) Sessions(c *gin.Context) {
	lctx := h.kit.WithLanguage(c.Request.Context(), adapter.RequestInfo{AcceptLanguage: c.GetHeader("Accept-Language"), UserAgent: c.Request.UserAgent()})
	var ctx context.Context
	var err error
	if bearer, ok := adapter.BearerToken(c.GetHeader("Authorization")); ok {
		ctx, err = h.kit.LoadBearerSession(lctx, bearer) // the bearer wins over a cookie
	} else {
		var token string
		if ck, err := c.Request.Cookie(h.kit.SessionCookieName()); err == nil {
			token = ck.Value
		}
		ctx, err = h.kit.LoadSession(lctx, token)
	}
	if err != nil {
		write(c, h.kit.ErrorResponse(lctx, err))
		c.Abort()
		return
	}
	c.Request = c.Request.WithContext(ctx)
	c.Header("Vary", "Cookie, Authorization")
	sw := &sessionWriter{ResponseWriter: c.Writer, h: h, c: c}
	c.Writer = sw
	c.Next()
	sw.save()
}

// sessionWriter saves the session just before the response's headers go
// out, so that its cookie goes with them.
//
// When the session cannot be saved (the store is down), the response
// becomes the 503 error page and what the handler writes is dropped: a
// login must not look successful without its session.
type sessionWriter struct {
	gin.ResponseWriter
	h      *Handlers
	c      *gin.Context
	saved  bool
	failed bool
}

// save saves the session once; it reports whether the handler's response
// may go out.
func (w *sessionWriter) save() bool {
	if w.saved {
		return !w.failed
	}
	w.saved = true
	w.failed = !w.h.kit.CommitSession(w.ResponseWriter, w.c.Request)
	return !w.failed
}

func (w *sessionWriter) WriteHeader(code int) {
	if w.save() {
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *sessionWriter) WriteHeaderNow() {
	if w.save() {
		w.ResponseWriter.WriteHeaderNow()
	}
}

func (w *sessionWriter) Write(b []byte) (int, error) {
	if !w.save() {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

func (w *sessionWriter) WriteString(s string) (int, error) {
	if !w.save() {
		return len(s), nil
	}
	return w.ResponseWriter.WriteString(s)
}

// Flush sends what was written so far, after saving the session: a
// handler that flushes first (streaming, server-sent events) keeps the
// session's cookie.
func (w *sessionWriter) Flush() {
	if w.save() {
		w.ResponseWriter.Flush()
	}
}

// Login redirects to WeChat's authorize page (the official account's for
// visitors inside WeChat, when configured). The query parameter next is
// where the login ends, when it is a same-site path.
func (h *Handlers) Login(c *gin.Context) {
	write(c, h.kit.LoginResponse(c.Request.Context(), c.Query("next"), c.Request.UserAgent()))
}

// Callback completes the login WeChat redirects back with, then redirects
// to its next path; on failure it answers an error page (4xx for the
// browser's side, 502/504 for WeChat's).
func (h *Handlers) Callback(c *gin.Context) {
	write(c, h.kit.CallbackResponse(c.Request.Context(), c.Request.URL.Query()))
}

// Logout ends the session on POST and redirects to "/" (a bearer
// request: 204); other methods get 405 and end nothing.
func (h *Handlers) Logout(c *gin.Context) {
	write(c, h.kit.LogoutResponse(c.Request.Context(), c.Request.Method))
}

// MiniProgramLogin logs in a mini program user: POST with the JSON body
// {"code":"…"}, the code of wx.login(). It answers 200
// {"token","expires_at","user":{"openid","unionid","account_id"}} and
// sets no cookie: the mini program sends the token back in an
// "Authorization: Bearer TOKEN" header. Errors are JSON
// {"error":"…"}; see adapter.Kit.MiniProgramLoginResponse.
func (h *Handlers) MiniProgramLogin(c *gin.Context) {
	write(c, h.kit.MiniProgramLoginResponse(c.Request.Context(), c.Request.Method, c.GetHeader("Content-Type"), c.Request.Body))
}

// AppLogin logs in a mobile app user with the code of WeChat's SendAuth,
// as MiniProgramLogin does; see adapter.Kit.AppLoginResponse.
func (h *Handlers) AppLogin(c *gin.Context) {
	write(c, h.kit.AppLoginResponse(c.Request.Context(), c.Request.Method, c.GetHeader("Content-Type"), c.Request.Body))
}

// userKey is the gin.Context key of the user.
const userKey = "wxlogin.user"

// MiniProgramPhone binds the phone number of a mini program's user: a
// POST with the JSON body {"code":"…"} (the code of the getPhoneNumber
// button) answers 200 {"phone":"…","country_code":"…"} and keeps the
// phone on the session's user; see adapter.Kit.MiniProgramPhoneResponse
// for the errors (400 for a bad, used or foreign code, 401 without a
// mini program login).
func (h *Handlers) MiniProgramPhone(c *gin.Context) {
	write(c, h.kit.MiniProgramPhoneResponse(c.Request.Context(), c.Request.Method, c.GetHeader("Content-Type"), c.Request.Body))
}

// Ready answers a readiness probe: 200 "ok" when the session store
// answers (core.Auth.Ready), else 503 with a short text reason, never the
// store's error (logged as a warning). Mount it outside Sessions, at GET
// /readyz beside a /healthz that checks nothing: a load balancer stops
// sending requests to an instance whose store is down, and the
// orchestrator does not restart it for that.
func (h *Handlers) Ready(c *gin.Context) {
	write(c, h.kit.ReadyResponse(c.Request.Context()))
}

// RequireWeixinUser lets requests with a logged-in user through, with the
// user in the gin.Context (see User) and Cache-Control set as
// core.Options.CacheControl says ("no-store" by default; the handlers
// may set their own), and aborts the others as Options.LoginRequired
// says; a bearer request without a valid login is always answered 401
// JSON {"error":"login_required",…}, never redirected.
//
// It reads the session only and never calls WeChat: a login that WeChat
// has ended (refresh token expired or refused) passes until a Token call
// finds it out and ends it; see docs/behaviour.md.
func (h *Handlers) RequireWeixinUser(c *gin.Context) {
	u, ok := h.auth.CurrentUser(c.Request.Context())
	if !ok {
		if err := h.kit.CheckSession(c.Request.Context()); err != nil {
			write(c, h.kit.ErrorResponse(c.Request.Context(), err)) // 500: Sessions is not mounted
			c.Abort()
			return
		}
		bearer := h.kit.IsBearer(c.Request.Context())
		if h.opts.LoginRequired != nil && !bearer {
			h.opts.LoginRequired(c)
			c.Abort()
			return
		}
		info := adapter.RequestInfoOf(c.Request)
		info.Bearer = bearer
		write(c, h.kit.LoginRequiredResponse(info))
		c.Abort()
		return
	}
	if cc := h.kit.CacheControl(); cc != "" {
		c.Header("Cache-Control", cc)
	}
	c.Set(userKey, u)
	c.Next()
}

// User returns the user RequireWeixinUser let through. Do not modify it.
func User(c *gin.Context) (*core.User, bool) {
	v, ok := c.Get(userKey)
	if !ok {
		return nil, false
	}
	u, ok := v.(*core.User)
	return u, ok
}

// CurrentUser returns the logged-in user of the request's session, in any
// handler after Sessions (a public page that greets logged-in users).
func (h *Handlers) CurrentUser(c *gin.Context) (*core.User, bool) {
	return h.auth.CurrentUser(c.Request.Context())
}

// Token returns a valid access token of the request's user for calling
// WeChat's APIs, refreshed first when needed; see core.Auth.Token. An
// error matching core.ErrLoginRequired means the login has ended.
func (h *Handlers) Token(c *gin.Context) (*weixin.Token, error) {
	return h.auth.Token(c.Request.Context())
}

// write copies resp to c.
func write(c *gin.Context, resp adapter.Response) { resp.ServeHTTP(c.Writer, c.Request) }

// JSONError answers err, from an app's own API handler, as JSON
// {"error":"CODE"} with the status core.Classify gives it (401
// login_required, 502 or 504 upstream, …), and aborts c; the body never
// holds err's text.
func (h *Handlers) JSONError(c *gin.Context, err error) {
	write(c, h.kit.JSONErrorResponse(err))
	c.Abort()
}

// ErrorPage answers err, from an app's own page handler, with wxlogin's
// HTML error page in the visitor's language (core.Options.ErrorPage, if
// set), with the status core.Classify gives it, and aborts c; the page
// never shows err's text.
func (h *Handlers) ErrorPage(c *gin.Context, err error) {
	write(c, h.kit.ErrorResponse(c.Request.Context(), err))
	c.Abort()
}
