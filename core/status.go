package core

import (
	"errors"
	"net/http"
	"strings"
)

// HTTPStatus maps an error of the login flow or of the API to the status
// an HTTP handler should answer with:
//
//   - 400 for the browser's side: state missing, invalid, expired or
//     used; an authorization code invalid, used or expired;
//   - 403 when the login was declined, rejected by the LoginHook, or a
//     snapshot-page visit;
//   - 401 when the user must log in (ErrLoginRequired);
//   - 503 when the session store failed (ErrSessionStore);
//   - 504 when WeChat did not answer in time, 502 for any other failure
//     of WeChat's (an errcode, a 5xx, a malformed reply, unreachable);
//   - 500 for anything else (ErrNoSession, say); 200 for nil.
func HTTPStatus(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, ErrStateMissing), errors.Is(err, ErrStateInvalid),
		errors.Is(err, ErrStateExpired), errors.Is(err, ErrStateUsed),
		errors.Is(err, ErrCodeInvalid), errors.Is(err, ErrCodeUsed), errors.Is(err, ErrCodeExpired):
		return http.StatusBadRequest
	case errors.Is(err, ErrLoginDeclined), errors.Is(err, ErrLoginRejected), errors.Is(err, ErrSnapshotUser):
		return http.StatusForbidden
	case errors.Is(err, ErrLoginRequired):
		return http.StatusUnauthorized
	case errors.Is(err, ErrSessionStore):
		return http.StatusServiceUnavailable
	}
	var ue *UpstreamError
	if errors.As(err, &ue) {
		if ue.Timeout {
			return http.StatusGatewayTimeout
		}
		return http.StatusBadGateway
	}
	var ae *APIError
	if errors.As(err, &ae) || errors.Is(err, ErrOpenIDMismatch) || errors.Is(err, ErrInvalidCredential) {
		return http.StatusBadGateway
	}
	return http.StatusInternalServerError
}

// IsWeChatBrowser reports whether userAgent is the WeChat app's built-in
// browser, whose visitors log in through the official account.
func IsWeChatBrowser(userAgent string) bool {
	return strings.Contains(userAgent, "MicroMessenger")
}
