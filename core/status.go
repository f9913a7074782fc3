package core

import (
	"errors"
	"net/http"
	"strings"

	"github.com/wxlogin/wxlogin/core/weixin"
	"golang.org/x/text/language"
)

// ErrorClass is what an error of the login flow or of the API means to
// whoever is on the other end: the HTTP status, a stable code for
// programs (the "error" of JSON answers, the reason of failure events),
// and words for people. Classify is the one place that decides it: the
// error pages, the JSON answers and the events all use it.
type ErrorClass struct {
	// Status is the HTTP status to answer with.
	Status int
	// Code is a stable, machine-readable name of the class:
	//   - "state_invalid": state missing, forged, foreign or used (400);
	//   - "state_expired": the login took too long (400);
	//   - "code_invalid": WeChat refused the code (40029, 40163, 42003:
	//     400; a bearer login's: 401);
	//   - "bad_request": a malformed login request (body, content type,
	//     code) (400);
	//   - "no_user_token": a mini program login has no user access
	//     token (400);
	//   - "login_required": nobody is logged in, or the login ended (401);
	//   - "declined": the user declined (403);
	//   - "rejected": the LoginHook refused the user (403);
	//   - "snapshot_user": an official account's snapshot-page visitor (403);
	//   - "user_blocked": WeChat's risk control blocks the user (40226, 403);
	//   - "not_configured": no application for this login route (404);
	//   - "method_not_allowed": log out with POST (405);
	//   - "identity_conflict": an identity came with another unionid
	//     than its link's (409);
	//   - "rate_limited": WeChat's minute quota (45011) on a bearer
	//     login (429);
	//   - "session_store", "link_store": the session store or the
	//     account link store failed (503);
	//   - "upstream": WeChat failed (502) or timed out (504);
	//   - "internal": anything else (500).
	// Test an error itself with errors.Is and the Err variables.
	Code string
	// Title and Message explain the error to a person, without its text
	// (which may come from WeChat): in English from Classify; the words
	// in another language are Auth.Message(lang, TitleID) and
	// Auth.Message(lang, MessageID).
	Title, Message string
	// OfferLogin says whether to offer logging in again.
	OfferLogin bool
	// Temporary says whether the same call may succeed if retried
	// later: WeChat busy (-1), over its quota (45011), unreachable, timed
	// out or failing with a 5xx or 429.
	Temporary bool
	// TitleID and MessageID are the message ids of Title and Message in
	// the Auth's Messages ("title.login_failed", "message.declined").
	TitleID, MessageID string
}

// The codes of ErrorClass (ErrorClass.Code), documented there.
const (
	codeStateInvalid     = "state_invalid"      // state missing, forged, foreign or used: 400
	codeStateExpired     = "state_expired"      // the login took too long: 400
	codeCodeInvalid      = "code_invalid"       // WeChat refused the code (40029, 40163, 42003): 400
	codeDeclined         = "declined"           // the user declined: 403
	codeRejected         = "rejected"           // the LoginHook refused the user: 403
	codeSnapshotUser     = "snapshot_user"      // an official account's snapshot-page visitor: 403
	codeLoginRequired    = "login_required"     // nobody is logged in, or the login ended: 401
	codeMethodNotAllowed = "method_not_allowed" // log out with POST: 405
	codeSessionStore     = "session_store"      // the session store failed: 503
	codeIdentityConflict = "identity_conflict"  // an identity came with another unionid than its link's: 409
	codeLinkStore        = "link_store"         // the account link store failed: 503
	codeUpstream         = "upstream"           // WeChat failed or timed out: 502 or 504
	codeInternal         = "internal"           // anything else: 500
	codeBadRequest       = "bad_request"        // a malformed login request (body, content type, code): 400
	codeUserBlocked      = "user_blocked"       // WeChat's risk control blocks the user (40226): 403
	codeRateLimited      = "rate_limited"       // WeChat's minute quota (45011) on a bearer login: 429
	codeNoUserToken      = "no_user_token"      // a mini program login has no user access token: 400
	codeNotConfigured    = "not_configured"     // no application for this login route: 404
)

// ErrMethodNotAllowed is returned for a logout that is not a POST: a
// link or an image must not log anyone out.
var ErrMethodNotAllowed = errors.New("wxlogin: log out with POST")

// Classify returns the class of err (nil is 200 with an empty Code):
//
//   - 400 for the browser's side: state missing, invalid, expired or
//     used; an authorization code invalid, used or expired; a malformed
//     bearer login request (ErrBadRequest); a mini program login asked
//     for a user access token (ErrNoUserToken);
//   - 401 for a bearer login's code that WeChat refused (ErrCodeRejected);
//   - 403 for a user WeChat's risk control blocks (weixin.ErrUserBlocked);
//   - 404 when no application serves the login (ErrNotConfigured);
//   - 429 for a bearer login over WeChat's minute quota (ErrRateLimited;
//     the JSON answer adds Retry-After);
//   - 403 when the login was declined, rejected by the LoginHook, or a
//     snapshot-page visit;
//   - 401 when the user must log in (ErrLoginRequired, or the refresh
//     token is invalid or expired);
//   - 405 for ErrMethodNotAllowed;
//   - 409 when an identity came with another unionid than the one it
//     is linked with (ErrIdentityConflict);
//   - 503 when the session store or the account link store failed
//     (ErrSessionStore, ErrLinkStore);
//   - 504 when WeChat did not answer in time, 502 for any other failure
//     of WeChat's (an errcode, a 5xx, a malformed reply, unreachable, a
//     *weixin.ConfigError: the app's credentials or address refused);
//   - 500 for anything else (ErrNoSession, say).
func Classify(err error) ErrorClass {
	c := classify(err)
	c.Temporary = temporary(err)
	return c
}

// temporary reports whether retrying later may succeed.
func temporary(err error) bool {
	if errors.Is(err, weixin.ErrSystemBusy) || errors.Is(err, weixin.ErrQuota) {
		return true
	}
	var ue *weixin.UpstreamError
	if errors.As(err, &ue) {
		return ue.StatusCode == 0 || ue.StatusCode >= 500 || ue.StatusCode == http.StatusTooManyRequests
	}
	return false
}

// mustLogIn reports whether err means the user must log in again: the
// login ended, or WeChat refused the code or the refresh token.
func mustLogIn(err error) bool {
	for _, target := range []error{
		ErrLoginRequired, weixin.ErrCodeInvalid, weixin.ErrCodeUsed, weixin.ErrCodeExpired,
		weixin.ErrRefreshTokenInvalid, weixin.ErrRefreshTokenExpired,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

func classify(err error) ErrorClass {
	const failed = "title.login_failed"
	switch {
	case err == nil:
		return ErrorClass{Status: http.StatusOK}
	case errors.Is(err, ErrStateExpired):
		return class(http.StatusBadRequest, codeStateExpired, failed, "message.state_expired", true)
	case errors.Is(err, ErrStateMissing), errors.Is(err, ErrStateInvalid), errors.Is(err, ErrStateUsed):
		return class(http.StatusBadRequest, codeStateInvalid, failed, "message.state_invalid", true)
	case errors.Is(err, ErrBadRequest):
		return class(http.StatusBadRequest, codeBadRequest, failed, "message.bad_request", false)
	case errors.Is(err, ErrCodeRejected):
		return class(http.StatusUnauthorized, codeCodeInvalid, failed, "message.code_invalid", true)
	case errors.Is(err, weixin.ErrUserBlocked):
		return class(http.StatusForbidden, codeUserBlocked, failed, "message.user_blocked", false)
	case errors.Is(err, ErrRateLimited):
		return class(http.StatusTooManyRequests, codeRateLimited, failed, "message.rate_limited", false)
	case errors.Is(err, ErrNoUserToken):
		return class(http.StatusBadRequest, codeNoUserToken, "title.no_user_token", "message.no_user_token", false)
	case errors.Is(err, ErrNotConfigured):
		return class(http.StatusNotFound, codeNotConfigured, "title.not_found", "message.not_configured", false)
	case errors.Is(err, weixin.ErrCodeInvalid), errors.Is(err, weixin.ErrCodeUsed), errors.Is(err, weixin.ErrCodeExpired):
		return class(http.StatusBadRequest, codeCodeInvalid, failed, "message.code_invalid", true)
	case errors.Is(err, ErrLoginDeclined):
		return class(http.StatusForbidden, codeDeclined, "title.login_cancelled", "message.declined", true)
	case errors.Is(err, ErrLoginRejected):
		return class(http.StatusForbidden, codeRejected, failed, "message.rejected", true)
	case errors.Is(err, weixin.ErrSnapshotUser):
		return class(http.StatusForbidden, codeSnapshotUser, failed, "message.snapshot_user", true)
	case errors.Is(err, ErrLoginRequired), errors.Is(err, weixin.ErrRefreshTokenInvalid), errors.Is(err, weixin.ErrRefreshTokenExpired):
		return class(http.StatusUnauthorized, codeLoginRequired, "title.login_required", "message.login_required", true)
	case errors.Is(err, ErrMethodNotAllowed):
		return class(http.StatusMethodNotAllowed, codeMethodNotAllowed, "title.method_not_allowed", "message.method_not_allowed", false)
	case errors.Is(err, ErrNoSession):
		return class(http.StatusInternalServerError, codeInternal, "title.server_error", "message.no_session", false)
	case errors.Is(err, ErrIdentityConflict):
		return class(http.StatusConflict, codeIdentityConflict, failed, "message.identity_conflict", false)
	case errors.Is(err, ErrLinkStore):
		return class(http.StatusServiceUnavailable, codeLinkStore, "title.unavailable", "message.link_store", false)
	case errors.Is(err, ErrSessionStore):
		return class(http.StatusServiceUnavailable, codeSessionStore, "title.unavailable", "message.session_store", false)
	}
	var ce *weixin.ConfigError
	if errors.As(err, &ce) {
		// WeChat refuses the app's credentials or address: the log says
		// what to fix; retrying changes nothing.
		return class(http.StatusBadGateway, codeUpstream, failed, "message.config", false)
	}
	var ue *weixin.UpstreamError
	if errors.As(err, &ue) && ue.Timeout {
		return class(http.StatusGatewayTimeout, codeUpstream, failed, "message.upstream_timeout", true)
	}
	var ae *weixin.APIError
	if ue != nil || errors.As(err, &ae) || errors.Is(err, weixin.ErrOpenIDMismatch) || errors.Is(err, weixin.ErrInvalidCredential) {
		return class(http.StatusBadGateway, codeUpstream, failed, "message.upstream", true)
	}
	return class(http.StatusInternalServerError, codeInternal, failed, "message.internal", true)
}

// class is an ErrorClass with the English words of its message ids.
func class(status int, code, titleID, messageID string, offerLogin bool) ErrorClass {
	return ErrorClass{
		Status: status, Code: code,
		Title: messagesEN[titleID], Message: messagesEN[messageID],
		OfferLogin: offerLogin,
		TitleID:    titleID, MessageID: messageID,
	}
}

// classifyIn is Classify(err) with Title and Message in lang (see
// Language and Message): the words of the error pages.
func (a *Auth) classifyIn(err error, lang language.Tag) ErrorClass {
	c := Classify(err)
	if c.TitleID != "" {
		c.Title, c.Message = a.Message(lang, c.TitleID), a.Message(lang, c.MessageID)
	}
	return c
}

// isWeChatBrowser reports whether userAgent is the WeChat app's built-in
// browser, whose visitors log in through the official account.
func isWeChatBrowser(userAgent string) bool {
	return strings.Contains(userAgent, "MicroMessenger")
}
