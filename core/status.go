package core

import (
	"errors"
	"net/http"
	"strings"
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
	// (which may come from WeChat).
	Title, Message string
	// OfferLogin says whether to offer logging in again.
	OfferLogin bool
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
	const failed, again = "Login failed", "Please start again."
	switch {
	case err == nil:
		return ErrorClass{Status: http.StatusOK}
	case errors.Is(err, ErrStateExpired):
		return ErrorClass{http.StatusBadRequest, CodeStateExpired, failed, "The login took too long. " + again, true}
	case errors.Is(err, ErrStateMissing), errors.Is(err, ErrStateInvalid), errors.Is(err, ErrStateUsed):
		return ErrorClass{http.StatusBadRequest, CodeStateInvalid, failed,
			"This login link is not valid in this browser, or was already used. " + again, true}
	case errors.Is(err, ErrBadRequest):
		return ErrorClass{http.StatusBadRequest, CodeBadRequest, failed, "The login request is malformed.", false}
	case errors.Is(err, ErrCodeRejected):
		return ErrorClass{http.StatusUnauthorized, CodeCodeInvalid, failed,
			"WeChat did not accept this login; it may have expired. " + again, true}
	case errors.Is(err, ErrUserBlocked):
		return ErrorClass{http.StatusForbidden, CodeUserBlocked, failed, "WeChat does not allow this account to log in now.", false}
	case errors.Is(err, ErrRateLimited):
		return ErrorClass{http.StatusTooManyRequests, CodeRateLimited, failed, "Too many logins right now. Please try again in a minute.", false}
	case errors.Is(err, ErrNoUserToken):
		return ErrorClass{http.StatusBadRequest, CodeNoUserToken, "No WeChat access token",
			"This login (a mini program's) has no WeChat user access token.", false}
	case errors.Is(err, ErrNotConfigured):
		return ErrorClass{http.StatusNotFound, CodeNotConfigured, "Not found", "This login is not configured here.", false}
	case errors.Is(err, ErrCodeInvalid), errors.Is(err, ErrCodeUsed), errors.Is(err, ErrCodeExpired):
		return ErrorClass{http.StatusBadRequest, CodeCodeInvalid, failed,
			"WeChat did not accept this login; it may have expired. " + again, true}
	case errors.Is(err, ErrLoginDeclined):
		return ErrorClass{http.StatusForbidden, CodeDeclined, "Login cancelled", "You declined the login in WeChat.", true}
	case errors.Is(err, ErrLoginRejected):
		return ErrorClass{http.StatusForbidden, CodeRejected, failed, "This WeChat account may not log in here.", true}
	case errors.Is(err, ErrSnapshotUser):
		return ErrorClass{http.StatusForbidden, CodeSnapshotUser, failed, "Please open the page in WeChat and log in there.", true}
	case errors.Is(err, ErrLoginRequired), errors.Is(err, ErrRefreshTokenInvalid), errors.Is(err, ErrRefreshTokenExpired):
		return ErrorClass{http.StatusUnauthorized, CodeLoginRequired, "Login required", "Please log in with WeChat.", true}
	case errors.Is(err, ErrMethodNotAllowed):
		return ErrorClass{http.StatusMethodNotAllowed, CodeMethodNotAllowed, "Method not allowed", "Log out with the logout button.", false}
	case errors.Is(err, ErrNoSession):
		return ErrorClass{http.StatusInternalServerError, CodeInternal, "Server error",
			"This site is misconfigured; its log says how to fix it.", false}
	case errors.Is(err, ErrIdentityConflict):
		return ErrorClass{http.StatusConflict, CodeIdentityConflict, failed,
			"This WeChat account does not match the account it is linked to here. Please contact the site.", false}
	case errors.Is(err, ErrLinkStore):
		return ErrorClass{http.StatusServiceUnavailable, CodeLinkStore, "Temporarily unavailable",
			"The site cannot reach its account store. Please try again in a moment.", false}
	case errors.Is(err, ErrSessionStore):
		return ErrorClass{http.StatusServiceUnavailable, CodeSessionStore, "Temporarily unavailable",
			"The site cannot reach its session store. Please try again in a moment.", false}
	}
	var ce *ConfigError
	if errors.As(err, &ce) {
		// WeChat refuses the app's credentials or address: the log says
		// what to fix; retrying changes nothing.
		return ErrorClass{http.StatusBadGateway, CodeUpstream, failed,
			"This site's WeChat configuration needs fixing; its log says how. Please try again later.", false}
	}
	var ue *UpstreamError
	if errors.As(err, &ue) && ue.Timeout {
		return ErrorClass{http.StatusGatewayTimeout, CodeUpstream, failed, "WeChat did not answer in time. Please try again.", true}
	}
	var ae *APIError
	if ue != nil || errors.As(err, &ae) || errors.Is(err, ErrOpenIDMismatch) || errors.Is(err, ErrInvalidCredential) {
		return ErrorClass{http.StatusBadGateway, CodeUpstream, failed, "WeChat could not complete the login. Please try again later.", true}
	}
	return ErrorClass{http.StatusInternalServerError, CodeInternal, failed, "Something went wrong while logging you in.", true}
}

// HTTPStatus returns the status an HTTP handler should answer err with:
// Classify(err).Status.
func HTTPStatus(err error) int { return Classify(err).Status }

// IsWeChatBrowser reports whether userAgent is the WeChat app's built-in
// browser, whose visitors log in through the official account.
func IsWeChatBrowser(userAgent string) bool {
	return strings.Contains(userAgent, "MicroMessenger")
}
