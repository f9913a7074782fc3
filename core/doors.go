package core

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"github.com/wxlogin/wxlogin/core/adapter"
	"github.com/wxlogin/wxlogin/core/weixin"
)

// Errors of the bearer logins (MiniProgramLogin, AppLogin). Each is
// returned wrapped; test with errors.Is.
var (
	// ErrBadRequest: the login request is malformed (its body, content
	// type or code); WeChat was not called. Classify: 400.
	ErrBadRequest = errors.New("wxlogin: malformed login request")
	// ErrCodeRejected: WeChat refused a bearer login's code (invalid,
	// used or expired: it also matches weixin.ErrCodeInvalid, weixin.ErrCodeUsed or
	// weixin.ErrCodeExpired). The client must get a new code (wx.login, SendAuth).
	// Classify: 401.
	ErrCodeRejected = errors.New("wxlogin: WeChat refused the login code")
	// ErrRateLimited: WeChat's minute quota is used up (45011) for a
	// bearer login; it also matches weixin.ErrQuota. Classify: 429, and
	// the JSON answer adds Retry-After.
	ErrRateLimited = errors.New("wxlogin: too many logins, retry in a minute")
	// ErrNoUserToken: the login has no WeChat user access token (a mini
	// program login): Token, Client and UserInfo cannot work for it.
	// Classify: 400.
	ErrNoUserToken = errors.New("wxlogin: this login has no WeChat user access token")
)

// maxLoginBody caps the body of a bearer login request.
const maxLoginBody = 4 << 10

// retryAfterQuota is the Retry-After of a 429 answered for WeChat's
// minute quota: the quota is per minute.
const retryAfterQuota = 60 * time.Second

// keySessionKey holds a mini program login's session_key in the session.
const keySessionKey = "wxlogin.sessionkey"

// BearerLogin is a completed mini program or mobile app login: a session
// addressed by its token in an Authorization: Bearer header, for clients
// that keep no cookies (wx.request keeps none).
type BearerLogin struct {
	// Token is the session's token, for "Authorization: Bearer TOKEN".
	// It is the session id (256 random bits): keep it secret.
	Token string
	// Expiry is the session's deadline.
	Expiry time.Time
	// User is the logged-in user.
	User *User
}

// readLoginCode reads a bearer login's request body {"code":"…"} of
// content type contentType (application/json, parameters allowed) from
// body, reading at most maxLoginBody+1 bytes. A body over maxLoginBody,
// another content type, bad JSON, a code missing, empty, not a string or
// over weixin.MaxCodeLength bytes is an error matching ErrBadRequest.
func readLoginCode(contentType string, body io.Reader) (string, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/json" {
		return "", fmt.Errorf("%w: the content type must be application/json", ErrBadRequest)
	}
	if body == nil {
		return "", fmt.Errorf("%w: no body", ErrBadRequest)
	}
	b, err := io.ReadAll(io.LimitReader(body, maxLoginBody+1))
	if err != nil {
		return "", fmt.Errorf("%w: reading the body: %w", ErrBadRequest, err)
	}
	if len(b) > maxLoginBody {
		return "", fmt.Errorf("%w: the body is over %d bytes", ErrBadRequest, maxLoginBody)
	}
	var req struct {
		Code json.RawMessage `json:"code"`
	}
	if err := json.Unmarshal(b, &req); err != nil {
		return "", fmt.Errorf("%w: the body is not a JSON object", ErrBadRequest)
	}
	var code string
	if len(req.Code) == 0 || req.Code[0] != '"' || json.Unmarshal(req.Code, &code) != nil {
		return "", fmt.Errorf("%w: no string \"code\"", ErrBadRequest)
	}
	if err := checkCode(code); err != nil {
		return "", err
	}
	return code, nil
}

// checkCode refuses an empty code or one over weixin.MaxCodeLength bytes.
func checkCode(code string) error {
	switch {
	case code == "":
		return fmt.Errorf("%w: the code is empty", ErrBadRequest)
	case len(code) > weixin.MaxCodeLength:
		return fmt.Errorf("%w: the code is over %d bytes", ErrBadRequest, weixin.MaxCodeLength)
	}
	return nil
}

// MiniProgramLogin logs in the mini program user whose wx.login code is
// code: it exchanges the code at /sns/jscode2session with
// Options.MiniProgram's credentials (once, never retried; the same code
// arriving twice at once, on one instance or, with Options.Exchanges,
// several, is exchanged once), runs the LoginHook (whose Token holds only
// AppID, OpenID and UnionID: a mini program login has no user access
// token), and starts a new session holding the user and the session_key,
// addressed by the returned token. The session_key stays on the server
// (see MiniProgramSessionKey). The session of ctx, if any, is untouched.
//
// Errors: ErrNotConfigured without Options.MiniProgram, ErrBadRequest for
// an empty or overlong code; WeChat's refusal of the code matches
// ErrCodeRejected (401), 40226 weixin.ErrUserBlocked (403), 45011 ErrRateLimited
// (429); other failures are the API's (502, 504 on timeout). No error
// creates a session.
func (a *Auth) MiniProgramLogin(ctx context.Context, code string) (*BearerLogin, error) {
	cfg := a.opts.MiniProgram
	return a.bearerLogin(ctx, cfg, code, func(ctx context.Context) (*identity, error) {
		s, err := cfg.Code2Session(ctx, code)
		if err != nil {
			return nil, err
		}
		u := &User{AppID: cfg.AppID, OpenID: s.OpenID, UnionID: s.UnionID, LoggedInAt: a.opts.Now()}
		if err := a.acceptIdentity(ctx, u, &weixin.Token{AppID: cfg.AppID, OpenID: s.OpenID, UnionID: s.UnionID}); err != nil {
			return nil, withIdentity(err, "", u)
		}
		return &identity{user: u, sessionKey: s.SessionKey}, nil
	})
}

// AppLogin logs in the mobile app user whose SendAuth code is code: it
// exchanges the code at /sns/oauth2/access_token with Options.MobileApp's
// credentials (once, never retried, shared as MiniProgramLogin's), fetches
// the profile (/sns/userinfo), runs the LoginHook and starts a new session
// holding the user and the token, addressed by the returned token. The
// token is kept and refreshed as a website login's: Token, Client,
// TokenSource and UserInfo work in the requests the bearer token
// authenticates. Errors are those of MiniProgramLogin (without 40226).
func (a *Auth) AppLogin(ctx context.Context, code string) (*BearerLogin, error) {
	cfg := a.opts.MobileApp
	return a.bearerLogin(ctx, cfg, code, func(ctx context.Context) (*identity, error) {
		return a.identify(ctx, cfg, code)
	})
}

// bearerLogin exchanges code with run, shared per code, and starts the
// session.
func (a *Auth) bearerLogin(ctx context.Context, cfg *weixin.Config, code string, run func(context.Context) (*identity, error)) (*BearerLogin, error) {
	if cfg == nil {
		return nil, ErrNotConfigured
	}
	if err := checkCode(code); err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(cfg.AppID + "\x00" + code))
	key := "code:" + cfg.AppID + ":" + hex.EncodeToString(sum[:16]) // never the code itself
	v, err, _ := a.callbacks.Do(key, func() (any, error) {
		// Detached from this request: another request with the same
		// code may be waiting for the result. Bounded as one call: the
		// exchange and the profile together take at most the Config's
		// Timeout.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), callTimeout(cfg))
		defer cancel()
		return a.shareBearerLogin(rctx, cfg, key, func(ctx context.Context) (*BearerLogin, error) {
			id, err := run(ctx)
			if err != nil {
				return nil, err
			}
			l, err := a.startBearerSession(ctx, id)
			return l, withIdentity(err, "", id.user)
		})
	})
	var res *BearerLogin
	if err == nil {
		res = v.(*BearerLogin)
	}
	if err != nil {
		err = bearerLoginError(err)
		a.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "wxlogin: login failed",
			slog.String("appid", cfg.AppID), slog.String("error", err.Error()))
		a.emit(ctx, failedLogin(cfg.AppID, err))
		return nil, err
	}
	a.emit(ctx, userEvent(EventLogin, res.User))
	return res, nil
}

// bearerLoginError maps a code refused by WeChat to ErrCodeRejected and
// the minute quota to ErrRateLimited, keeping err in the chain.
func bearerLoginError(err error) error {
	switch {
	case errors.Is(err, weixin.ErrCodeInvalid), errors.Is(err, weixin.ErrCodeUsed), errors.Is(err, weixin.ErrCodeExpired):
		return fmt.Errorf("%w: %w", ErrCodeRejected, err)
	case errors.Is(err, weixin.ErrQuota):
		return fmt.Errorf("%w: %w", ErrRateLimited, err)
	}
	return err
}

// sharedBearer is a bearer login as published for the other instances
// (Options.Exchanges): the session's id and deadline, nothing of WeChat's
// (the session holds the user, the tokens and the session key, in the
// store every instance shares).
type sharedBearer struct {
	Token  string
	Expiry time.Time
}

// shareBearerLogin runs login, shared through Options.Exchanges under key
// when set: the same code arriving at several instances at once is
// exchanged once, and every request gets the one session it started.
func (a *Auth) shareBearerLogin(ctx context.Context, cfg *weixin.Config, key string, login func(context.Context) (*BearerLogin, error)) (*BearerLogin, error) {
	if a.opts.Exchanges == nil {
		return login(ctx)
	}
	var loginErr error
	var ran *BearerLogin
	b, err := a.opts.Exchanges.Share(ctx, key, func(ctx context.Context) ([]byte, error) {
		l, err := login(ctx)
		if err != nil {
			loginErr = err
			return nil, err
		}
		ran = l
		return json.Marshal(sharedBearer{Token: l.Token, Expiry: l.Expiry})
	})
	switch {
	case ran != nil: // this instance logged in: its result, even if publishing failed
		return ran, nil
	case loginErr != nil:
		return nil, loginErr
	case err != nil:
		return nil, fmt.Errorf("%w: sharing the code exchange: %w", ErrSessionStore, err)
	}
	var s sharedBearer
	if json.Unmarshal(b, &s) != nil || s.Token == "" {
		return nil, ErrSharedExchange
	}
	sctx, err := a.sessions.Load(noValues{ctx}, s.Token)
	if err != nil {
		return nil, a.storeFailed(ctx, err)
	}
	u := a.sessionUser(sctx)
	if u == nil || u.AppID != cfg.AppID {
		return nil, ErrSharedExchange
	}
	return &BearerLogin{Token: s.Token, Expiry: s.Expiry, User: u}, nil
}

// startBearerSession stores id in a new session, apart from the request's
// own, and commits it.
func (a *Auth) startBearerSession(ctx context.Context, id *identity) (*BearerLogin, error) {
	sctx, err := a.sessions.Load(noValues{ctx}, "")
	if err != nil {
		return nil, a.storeFailed(ctx, err)
	}
	u := *id.user
	a.sessions.Put(sctx, keyUser, &u)
	if id.token != nil {
		tok := *id.token
		a.sessions.Put(sctx, keyToken, &tok)
	}
	if id.sessionKey != "" {
		a.sessions.Put(sctx, keySessionKey, id.sessionKey)
	}
	token, expiry, err := a.sessions.Commit(sctx)
	if err != nil {
		return nil, a.storeFailed(ctx, err)
	}
	return &BearerLogin{Token: token, Expiry: expiry, User: &u}, nil
}

// noValues is a context with its parent's deadline and cancellation and
// none of its values: scs loads a new session in it, apart from the
// request's.
type noValues struct{ context.Context }

func (noValues) Value(any) any { return nil }

// MiniProgramSessionKey returns the session_key of the mini program login
// of the session in ctx, for checking the signature of the mini program's
// user data or decrypting it; false when the session holds none (no
// login, or one through another door). It never leaves the server.
func (a *Auth) MiniProgramSessionKey(ctx context.Context) (key string, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if r != scsNoSession {
				panic(r)
			}
			key, ok = "", false
		}
	}()
	if _, ok := a.CurrentUser(ctx); !ok {
		return "", false
	}
	key, _ = a.sessions.Get(ctx, keySessionKey).(string)
	return key, key != ""
}

// bearerLoginJSON is the answer of a bearer login.
type bearerLoginJSON struct {
	Token     string           `json:"token"`
	ExpiresAt string           `json:"expires_at"`
	User      bearerLoginUserJ `json:"user"`
}

type bearerLoginUserJ struct {
	OpenID    string `json:"openid"`
	UnionID   string `json:"unionid"`
	AccountID string `json:"account_id"`
}

// MiniProgramLoginResponse answers a mini program's login request: POST
// with the JSON body {"code":"…"} (read with readLoginCode) of content
// type contentType. Success: 200 {"token","expires_at","user":{"openid",
// "unionid","account_id"}}, without a cookie; the client sends the token
// back as "Authorization: Bearer TOKEN". Failure: JSONErrorResponse's
// answer (400 malformed, 401 code refused, 403 blocked, 404 not
// configured, 405 not POST, 429 quota with Retry-After, 502/504 WeChat),
// and no session.
func (a kit) MiniProgramLoginResponse(ctx context.Context, method, contentType string, body io.Reader) adapter.Response {
	return a.bearerLoginResponse(ctx, a.opts.MiniProgram, method, contentType, body, a.MiniProgramLogin)
}

// AppLoginResponse answers a mobile app's login request with a SendAuth
// code, as MiniProgramLoginResponse does.
func (a kit) AppLoginResponse(ctx context.Context, method, contentType string, body io.Reader) adapter.Response {
	return a.bearerLoginResponse(ctx, a.opts.MobileApp, method, contentType, body, a.AppLogin)
}

func (a kit) bearerLoginResponse(ctx context.Context, cfg *weixin.Config, method, contentType string, body io.Reader,
	login func(context.Context, string) (*BearerLogin, error)) adapter.Response {
	if cfg == nil {
		return a.JSONErrorResponse(ErrNotConfigured)
	}
	if method != http.MethodPost {
		r := a.JSONErrorResponse(ErrMethodNotAllowed)
		r.Header.Set("Allow", http.MethodPost)
		return r
	}
	code, err := readLoginCode(contentType, body)
	if err != nil {
		return a.JSONErrorResponse(err)
	}
	res, err := login(ctx, code)
	if err != nil {
		return a.JSONErrorResponse(err)
	}
	return jsonResponse(http.StatusOK, bearerLoginJSON{
		Token:     res.Token,
		ExpiresAt: res.Expiry.UTC().Format(time.RFC3339),
		User:      bearerLoginUserJ{OpenID: res.User.OpenID, UnionID: res.User.UnionID, AccountID: res.User.AccountID},
	})
}

// checkDoors checks the configurations of the bearer doors, and that no
// two applications share an appid.
func checkDoors(opts *Options) error {
	for name, c := range map[string]*weixin.Config{"MiniProgram": opts.MiniProgram, "MobileApp": opts.MobileApp} {
		if c != nil && (c.AppID == "" || c.AppSecret == "") {
			return fmt.Errorf("wxlogin: Options.%s needs AppID and AppSecret "+
				"(without credentials, weixintest.DevMode fills them in with a fake WeChat's, for development)", name)
		}
	}
	seen := map[string]bool{}
	for _, c := range []*weixin.Config{opts.Website, opts.OfficialAccount, opts.MiniProgram, opts.MobileApp} {
		if c == nil || c.AppID == "" {
			continue
		}
		if seen[c.AppID] {
			return fmt.Errorf("wxlogin: two applications of Options have the appid %s: each needs its own", c.AppID)
		}
		seen[c.AppID] = true
	}
	return nil
}

// callTimeout is the bound of one call with cfg (weixin.Config.Timeout).
func callTimeout(cfg *weixin.Config) time.Duration {
	if cfg.Timeout > 0 {
		return cfg.Timeout
	}
	return weixin.DefaultTimeout
}
