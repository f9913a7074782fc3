package core

import (
	"errors"
	"net/http"
	"strings"

	"golang.org/x/text/language"
)

// ErrorClass is what an error of the login flow or of the API means to
// whoever is on the other end: the HTTP status, a stable code for
// programs (the "error" of JSON answers, the reason of failure events),
// and words for people. Classify is the one place that decides it: the
// error pages, the JSON answers, HTTPStatus and the events all use it.
type ErrorClass struct {
	// Status is the HTTP status to answer with.
	Status int
	// Code is a stable, machine-readable name of the class, such as
	// "state_invalid", "login_required" or "upstream".
	Code string
	// Title and Message explain the error to a person, without its text
	// (which may come from WeChat): in English from Classify, in the
	// visitor's language from Auth.ClassifyIn.
	Title, Message string
	// OfferLogin says whether to offer logging in again.
	OfferLogin bool
	// TitleID and MessageID are the message ids of Title and Message in
	// the Auth's Messages ("title.login_failed", "message.declined").
	TitleID, MessageID string
}

// The codes of ErrorClass.
const (
	CodeStateInvalid     = "state_invalid"      // state missing, forged, foreign or used: 400
	CodeStateExpired     = "state_expired"      // the login took too long: 400
	CodeCodeInvalid      = "code_invalid"       // WeChat refused the code (40029, 40163, 42003): 400
	CodeDeclined         = "declined"           // the user declined: 403
	CodeRejected         = "rejected"           // the LoginHook refused the user: 403
	CodeSnapshotUser     = "snapshot_user"      // an official account's snapshot-page visitor: 403
	CodeLoginRequired    = "login_required"     // nobody is logged in, or the login ended: 401
	CodeMethodNotAllowed = "method_not_allowed" // log out with POST: 405
	CodeSessionStore     = "session_store"      // the session store failed: 503
	CodeIdentityConflict = "identity_conflict"  // an identity came with another unionid than its link's: 409
	CodeLinkStore        = "link_store"         // the account link store failed: 503
	CodeUpstream         = "upstream"           // WeChat failed or timed out: 502 or 504
	CodeInternal         = "internal"           // anything else: 500
	CodeBadRequest       = "bad_request"        // a malformed login request (body, content type, code): 400
	CodeUserBlocked      = "user_blocked"       // WeChat's risk control blocks the user (40226): 403
	CodeRateLimited      = "rate_limited"       // WeChat's minute quota (45011) on a bearer login: 429
	CodeNoUserToken      = "no_user_token"      // a mini program login has no user access token: 400
	CodeNotConfigured    = "not_configured"     // no application for this login route: 404
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
//   - 403 for a user WeChat's risk control blocks (ErrUserBlocked);
//   - 404 when no application serves the login (ErrNotConfigured);
//   - 429 for a bearer login over WeChat's minute quota (ErrRateLimited;
//     JSONErrorResponse adds Retry-After);
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
//     *ConfigError: the app's credentials or address refused);
//   - 500 for anything else (ErrNoSession, say).
func Classify(err error) ErrorClass {
	const failed = "title.login_failed"
	switch {
	case err == nil:
		return ErrorClass{Status: http.StatusOK}
	case errors.Is(err, ErrStateExpired):
		return class(http.StatusBadRequest, CodeStateExpired, failed, "message.state_expired", true)
	case errors.Is(err, ErrStateMissing), errors.Is(err, ErrStateInvalid), errors.Is(err, ErrStateUsed):
		return class(http.StatusBadRequest, CodeStateInvalid, failed, "message.state_invalid", true)
	case errors.Is(err, ErrBadRequest):
		return class(http.StatusBadRequest, CodeBadRequest, failed, "message.bad_request", false)
	case errors.Is(err, ErrCodeRejected):
		return class(http.StatusUnauthorized, CodeCodeInvalid, failed, "message.code_invalid", true)
	case errors.Is(err, ErrUserBlocked):
		return class(http.StatusForbidden, CodeUserBlocked, failed, "message.user_blocked", false)
	case errors.Is(err, ErrRateLimited):
		return class(http.StatusTooManyRequests, CodeRateLimited, failed, "message.rate_limited", false)
	case errors.Is(err, ErrNoUserToken):
		return class(http.StatusBadRequest, CodeNoUserToken, "title.no_user_token", "message.no_user_token", false)
	case errors.Is(err, ErrNotConfigured):
		return class(http.StatusNotFound, CodeNotConfigured, "title.not_found", "message.not_configured", false)
	case errors.Is(err, ErrCodeInvalid), errors.Is(err, ErrCodeUsed), errors.Is(err, ErrCodeExpired):
		return class(http.StatusBadRequest, CodeCodeInvalid, failed, "message.code_invalid", true)
	case errors.Is(err, ErrLoginDeclined):
		return class(http.StatusForbidden, CodeDeclined, "title.login_cancelled", "message.declined", true)
	case errors.Is(err, ErrLoginRejected):
		return class(http.StatusForbidden, CodeRejected, failed, "message.rejected", true)
	case errors.Is(err, ErrSnapshotUser):
		return class(http.StatusForbidden, CodeSnapshotUser, failed, "message.snapshot_user", true)
	case errors.Is(err, ErrLoginRequired), errors.Is(err, ErrRefreshTokenInvalid), errors.Is(err, ErrRefreshTokenExpired):
		return class(http.StatusUnauthorized, CodeLoginRequired, "title.login_required", "message.login_required", true)
	case errors.Is(err, ErrMethodNotAllowed):
		return class(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "title.method_not_allowed", "message.method_not_allowed", false)
	case errors.Is(err, ErrNoSession):
		return class(http.StatusInternalServerError, CodeInternal, "title.server_error", "message.no_session", false)
	case errors.Is(err, ErrIdentityConflict):
		return class(http.StatusConflict, CodeIdentityConflict, failed, "message.identity_conflict", false)
	case errors.Is(err, ErrLinkStore):
		return class(http.StatusServiceUnavailable, CodeLinkStore, "title.unavailable", "message.link_store", false)
	case errors.Is(err, ErrSessionStore):
		return class(http.StatusServiceUnavailable, CodeSessionStore, "title.unavailable", "message.session_store", false)
	}
	var ce *ConfigError
	if errors.As(err, &ce) {
		// WeChat refuses the app's credentials or address: the log says
		// what to fix; retrying changes nothing.
		return class(http.StatusBadGateway, CodeUpstream, failed, "message.config", false)
	}
	var ue *UpstreamError
	if errors.As(err, &ue) && ue.Timeout {
		return class(http.StatusGatewayTimeout, CodeUpstream, failed, "message.upstream_timeout", true)
	}
	var ae *APIError
	if ue != nil || errors.As(err, &ae) || errors.Is(err, ErrOpenIDMismatch) || errors.Is(err, ErrInvalidCredential) {
		return class(http.StatusBadGateway, CodeUpstream, failed, "message.upstream", true)
	}
	return class(http.StatusInternalServerError, CodeInternal, failed, "message.internal", true)
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

// ClassifyIn is Classify(err) with Title and Message in lang (see
// Language and Message): the words of the error pages.
func (a *Auth) ClassifyIn(err error, lang language.Tag) ErrorClass {
	c := Classify(err)
	if c.TitleID != "" {
		c.Title, c.Message = a.Message(lang, c.TitleID), a.Message(lang, c.MessageID)
	}
	return c
}

// HTTPStatus returns the status an HTTP handler should answer err with:
// Classify(err).Status.
func HTTPStatus(err error) int { return Classify(err).Status }

// IsWeChatBrowser reports whether userAgent is the WeChat app's built-in
// browser, whose visitors log in through the official account.
func IsWeChatBrowser(userAgent string) bool {
	return strings.Contains(userAgent, "MicroMessenger")
}
