// Package fibermw mounts WeChat login on a Fiber (v2) app: a login, a
// callback and a logout handler, the RequireWeixinUser middleware, and
// User to read the logged-in user. It is a thin adapter over core.Auth;
// nethttpmw and ginmw behave identically.
//
// Fiber runs on fasthttp, so scs' net/http middleware does not apply:
// Sessions drives scs directly (cookie → Load → handlers → Commit →
// cookie) with the same cookie settings. Send answers an adapter.Response.
//
//	h := fibermw.New(auth, fibermw.Options{})
//	app := fiber.New(fiber.Config{ReadTimeout: 15 * time.Second, …})
//	app.Use(fibermw.AccessLog(logger)) // logs requests, code and state redacted
//	app.Use(h.Sessions)
//	app.Get("/auth/weixin/login", h.Login)
//	app.Get("/auth/weixin/callback", h.Callback)
//	app.All("/auth/weixin/logout", h.Logout) // POST; other methods are 405
//	app.Post("/auth/weixin/miniprogram", h.MiniProgramLogin)
//	app.Post("/auth/weixin/app", h.AppLogin)
//	app.Get("/me", h.RequireWeixinUser, me)
package fibermw

import (
	"bytes"
	"context"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
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
	LoginRequired fiber.Handler
}

// Handlers are the WeChat login routes and middleware of one core.Auth.
// Every method is a fiber.Handler.
type Handlers struct {
	auth *core.Auth
	kit  adapter.Kit
	opts Options
}

// New returns the Handlers of auth.
func New(auth *core.Auth, opts Options) *Handlers {
	return &Handlers{auth: auth, kit: auth.Adapter(), opts: opts}
}

// Sessions puts the request's language (see adapter.Kit.WithLanguage) and
// the scs session of the Auth into the request's user context
// (c.UserContext()) and, after the handlers, saves it and sets the
// session cookie. Every handler below must run after it. The session
// is the one the session cookie names or, when the request has an
// "Authorization: Bearer TOKEN" header (a mini program's or mobile
// app's, see MiniProgramLogin), the one TOKEN names, whatever the cookie
// says; a bearer session never sets a cookie. A token in the URL is
// never read.
func (h *Handlers) Sessions(c *fiber.Ctx) error {
	lctx := h.kit.WithLanguage(c.UserContext(), adapter.RequestInfo{
		AcceptLanguage: c.Get(fiber.HeaderAcceptLanguage), UserAgent: c.Get(fiber.HeaderUserAgent),
	})
	var ctx context.Context
	var err error
	// Header and cookie values live only as long as the request: copy.
	if bearer, ok := adapter.BearerToken(c.Get(fiber.HeaderAuthorization)); ok {
		ctx, err = h.kit.LoadBearerSession(lctx, utils.CopyString(bearer)) // the bearer wins over a cookie
	} else {
		ctx, err = h.kit.LoadSession(lctx, utils.CopyString(c.Cookies(h.kit.SessionCookieName())))
	}
	if err != nil {
		return Send(c, h.kit.ErrorResponse(lctx, err))
	}
	c.SetUserContext(ctx)
	c.Vary("Cookie", "Authorization")
	herr := c.Next()
	if herr != nil {
		// Let Fiber's error handler write the response now, so that the
		// session is saved with it.
		if err := c.App().ErrorHandler(c, herr); err != nil {
			c.Status(fiber.StatusInternalServerError)
		}
	}
	hdr, err := h.kit.SaveSession(ctx)
	if err != nil {
		// Not a login without its session: the handler's response goes.
		c.Response().Reset()
		return Send(c, h.kit.ErrorResponse(ctx, err))
	}
	for k, vs := range hdr {
		for _, v := range vs {
			c.Response().Header.Add(k, v)
		}
	}
	return nil
}

// Login redirects to WeChat's authorize page (the official account's for
// visitors inside WeChat, when configured). The query parameter next is
// where the login ends, when it is a same-site path.
func (h *Handlers) Login(c *fiber.Ctx) error {
	return Send(c, h.kit.LoginResponse(c.UserContext(), c.Query("next"), c.Get(fiber.HeaderUserAgent)))
}

// Callback completes the login WeChat redirects back with, then redirects
// to its next path; on failure it answers an error page (4xx for the
// browser's side, 502/504 for WeChat's).
func (h *Handlers) Callback(c *fiber.Ctx) error {
	q := make(map[string][]string)
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		q[string(k)] = append(q[string(k)], string(v))
	})
	return Send(c, h.kit.CallbackResponse(c.UserContext(), q))
}

// Logout ends the session on POST and redirects to "/" (a bearer
// request: 204); other methods get 405 and end nothing.
func (h *Handlers) Logout(c *fiber.Ctx) error {
	return Send(c, h.kit.LogoutResponse(c.UserContext(), c.Method()))
}

// MiniProgramPhone binds the phone number of a mini program's user: a
// POST with the JSON body {"code":"…"} (the code of the getPhoneNumber
// button) answers 200 {"phone":"…","country_code":"…"} and keeps the
// phone on the session's user; see adapter.Kit.MiniProgramPhoneResponse
// for the errors (400 for a bad, used or foreign code, 401 without a
// mini program login).
func (h *Handlers) MiniProgramPhone(c *fiber.Ctx) error {
	return Send(c, h.kit.MiniProgramPhoneResponse(c.UserContext(), c.Method(), c.Get(fiber.HeaderContentType), bytes.NewReader(c.Body())))
}

// MiniProgramLogin logs in a mini program user: POST with the JSON body
// {"code":"…"}, the code of wx.login(). It answers 200
// {"token","expires_at","user":{"openid","unionid","account_id"}} and
// sets no cookie: the mini program sends the token back in an
// "Authorization: Bearer TOKEN" header. Errors are JSON
// {"error":"…"}; see adapter.Kit.MiniProgramLoginResponse.
func (h *Handlers) MiniProgramLogin(c *fiber.Ctx) error {
	return Send(c, h.kit.MiniProgramLoginResponse(c.UserContext(), c.Method(), c.Get(fiber.HeaderContentType), bytes.NewReader(c.Body())))
}

// AppLogin logs in a mobile app user with the code of WeChat's SendAuth,
// as MiniProgramLogin does; see adapter.Kit.AppLoginResponse.
func (h *Handlers) AppLogin(c *fiber.Ctx) error {
	return Send(c, h.kit.AppLoginResponse(c.UserContext(), c.Method(), c.Get(fiber.HeaderContentType), bytes.NewReader(c.Body())))
}

// Ready answers a readiness probe: 200 "ok" when the session store
// answers (core.Auth.Ready), else 503 with a short text reason, never the
// store's error (logged as a warning). Mount it outside Sessions, at GET
// /readyz beside a /healthz that checks nothing: a load balancer stops
// sending requests to an instance whose store is down, and the
// orchestrator does not restart it for that.
func (h *Handlers) Ready(c *fiber.Ctx) error {
	return Send(c, h.kit.ReadyResponse(c.UserContext()))
}

// userKey is the c.Locals key of the user.
const userKey = "wxlogin.user"

// RequireWeixinUser lets requests with a logged-in user through, with the
// user in c.Locals (see User) and Cache-Control set as
// core.Options.CacheControl says ("no-store" by default; the handlers
// may set their own), and answers the others as Options.LoginRequired
// says; a bearer request without a valid login is always answered 401
// JSON {"error":"login_required",…}, never redirected.
//
// It reads the session only and never calls WeChat: a login that WeChat
// has ended (refresh token expired or refused) passes until a Token call
// finds it out and ends it; see docs/behaviour.md.
func (h *Handlers) RequireWeixinUser(c *fiber.Ctx) error {
	u, ok := h.auth.CurrentUser(c.UserContext())
	if !ok {
		if err := h.kit.CheckSession(c.UserContext()); err != nil {
			return Send(c, h.kit.ErrorResponse(c.UserContext(), err)) // 500: Sessions is not mounted
		}
		bearer := h.kit.IsBearer(c.UserContext())
		if h.opts.LoginRequired != nil && !bearer {
			return h.opts.LoginRequired(c)
		}
		return Send(c, h.kit.LoginRequiredResponse(adapter.RequestInfo{
			Method: c.Method(), Accept: c.Get(fiber.HeaderAccept), RequestURI: c.OriginalURL(), Bearer: bearer,
			AcceptLanguage: c.Get(fiber.HeaderAcceptLanguage), UserAgent: c.Get(fiber.HeaderUserAgent),
		}))
	}
	if cc := h.kit.CacheControl(); cc != "" {
		c.Set(fiber.HeaderCacheControl, cc)
	}
	c.Locals(userKey, u)
	return c.Next()
}

// User returns the user RequireWeixinUser let through. Do not modify it.
func User(c *fiber.Ctx) (*core.User, bool) {
	u, ok := c.Locals(userKey).(*core.User)
	return u, ok
}

// CurrentUser returns the logged-in user of the request's session, in any
// handler after Sessions (a public page that greets logged-in users).
func (h *Handlers) CurrentUser(c *fiber.Ctx) (*core.User, bool) {
	return h.auth.CurrentUser(c.UserContext())
}

// Token returns a valid access token of the request's user for calling
// WeChat's APIs, refreshed first when needed; see core.Auth.Token. An
// error matching core.ErrLoginRequired means the login has ended.
func (h *Handlers) Token(c *fiber.Ctx) (*weixin.Token, error) {
	return h.auth.Token(c.UserContext())
}

// JSONError answers err, from an app's own API handler, as JSON
// {"error":"CODE"} with the status core.Classify gives it (401
// login_required, 502 or 504 upstream, …); the body never holds err's
// text.
func (h *Handlers) JSONError(c *fiber.Ctx, err error) error {
	return Send(c, h.kit.JSONErrorResponse(err))
}

// ErrorPage answers err, from an app's own page handler, with wxlogin's
// HTML error page in the visitor's language (core.Options.ErrorPage, if
// set), with the status core.Classify gives it; the page never shows
// err's text.
func (h *Handlers) ErrorPage(c *fiber.Ctx, err error) error {
	return Send(c, h.kit.ErrorResponse(c.UserContext(), err))
}
