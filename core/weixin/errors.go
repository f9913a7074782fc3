package weixin

import (
	"context"
	"errors"
	"fmt"
)

// Sentinel errors for the WeChat errcodes a caller must act on. An
// *APIError matches the sentinel of its errcode with errors.Is:
//
//	if errors.Is(err, weixin.ErrCodeUsed) { … }
var (
	// ErrSystemBusy is errcode -1: retry a read after a short wait.
	ErrSystemBusy = errors.New("wxlogin: system busy")
	// ErrInvalidCredential is errcode 40001 from the code exchange, 40013
	// (invalid appid) or 40125 (invalid appsecret): a configuration error.
	ErrInvalidCredential = errors.New("wxlogin: invalid appid or secret")
	// ErrInvalidOpenID is errcode 40003.
	ErrInvalidOpenID = errors.New("wxlogin: invalid openid")
	// ErrAccessTokenInvalid is errcode 40014, or 40001 from a call made
	// with an access token: refresh, else log in again.
	ErrAccessTokenInvalid = errors.New("wxlogin: access token invalid")
	// ErrAccessTokenExpired is errcode 42001: refresh.
	ErrAccessTokenExpired = errors.New("wxlogin: access token expired")
	// ErrCodeInvalid is errcode 40029 or 41008: start the login again.
	ErrCodeInvalid = errors.New("wxlogin: authorization code invalid")
	// ErrCodeUsed is errcode 40163: the code was already exchanged.
	ErrCodeUsed = errors.New("wxlogin: authorization code already used")
	// ErrCodeExpired is errcode 42003: start the login again.
	ErrCodeExpired = errors.New("wxlogin: authorization code expired")
	// ErrRefreshTokenInvalid is errcode 40030: log in again.
	ErrRefreshTokenInvalid = errors.New("wxlogin: refresh token invalid")
	// ErrRefreshTokenExpired is errcode 42002, or a refresh token older
	// than its 30 days: log in again.
	ErrRefreshTokenExpired = errors.New("wxlogin: refresh token expired")
	// ErrQuota is errcode 45011: the per-minute quota is used up; back off.
	ErrQuota = errors.New("wxlogin: API quota reached")
	// ErrUserBlocked is errcode 40226: WeChat's risk control blocks this
	// user from logging in (answered by /sns/jscode2session).
	ErrUserBlocked = errors.New("wxlogin: WeChat's risk control blocks this user")
	// ErrScopeNotAuthorized is errcode 48001, e.g. /sns/userinfo under
	// snsapi_base.
	ErrScopeNotAuthorized = errors.New("wxlogin: API not authorised for this scope")
	// ErrIPNotWhitelisted is errcode 40164 (this server's IP address is
	// not in the application's IP whitelist), 89503 (an administrator
	// must confirm calls from it), 89506 or 89507 (an administrator
	// refused it): a configuration error, see ConfigError.
	ErrIPNotWhitelisted = errors.New("wxlogin: this server's IP address may not call WeChat's API")
	// ErrDailyQuota is errcode 45009: a daily quota is used up, such as
	// the 20 forced refreshes of the app access token a day. Retrying
	// the same day does not help.
	ErrDailyQuota = errors.New("wxlogin: daily API quota reached")

	// ErrUpstream matches every failure to get a usable answer from
	// WeChat: a transport error, a non-2xx status, a malformed or
	// oversized body. It wraps an *UpstreamError.
	ErrUpstream = errors.New("wxlogin: upstream failure")

	// ErrSnapshotUser: the code exchange's reply is an official account's
	// "snapshot page" visitor (is_snapshotuser 1), who is not a real
	// login.
	ErrSnapshotUser = errors.New("wxlogin: snapshot-page visitor is not a login")
)

// MaxCodeLength caps the length of a code (of a login, of the phone
// number button) sent to WeChat; WeChat's are far shorter.
const MaxCodeLength = 128

var ()

// APIError is a non-zero errcode returned by WeChat (always on HTTP 200).
// Its message never contains the secret, code or tokens of the request.
type APIError struct {
	// Op is the call that failed: "exchange", "refresh", "auth",
	// "userinfo", "jscode2session", "stable_token" or "phonenumber".
	Op string
	// Code is WeChat's errcode.
	Code int
	// Message is WeChat's errmsg.
	Message string
}

// Error describes the errcode, naming the call, never its parameters.
func (e *APIError) Error() string {
	return fmt.Sprintf("wxlogin: %s: errcode %d: %s", e.Op, e.Code, e.Message)
}

// Is reports whether target is the sentinel error of e's errcode.
func (e *APIError) Is(target error) bool {
	return target != nil && target == e.sentinel()
}

func (e *APIError) sentinel() error {
	switch e.Code {
	case -1:
		return ErrSystemBusy
	case 40001:
		if e.Op == opExchange || e.Op == opRefresh || e.Op == opCode2Session || e.Op == opStableToken {
			return ErrInvalidCredential
		}
		return ErrAccessTokenInvalid
	case 40013:
		if e.Op == opPhoneNumber {
			// The phone code belongs to another appid than the token's.
			return ErrCodeInvalid
		}
		return ErrInvalidCredential
	case 40125:
		return ErrInvalidCredential
	case 40164, 89503, 89506, 89507:
		return ErrIPNotWhitelisted
	case 45009:
		return ErrDailyQuota
	case 40003:
		return ErrInvalidOpenID
	case 40014:
		return ErrAccessTokenInvalid
	case 42001:
		return ErrAccessTokenExpired
	case 40029, 41008:
		return ErrCodeInvalid
	case 40163:
		return ErrCodeUsed
	case 42003:
		return ErrCodeExpired
	case 40030:
		return ErrRefreshTokenInvalid
	case 42002:
		return ErrRefreshTokenExpired
	case 40226:
		return ErrUserBlocked
	case 45011:
		return ErrQuota
	case 48001:
		return ErrScopeNotAuthorized
	}
	return nil
}

// UpstreamError is a failure to get a usable answer from WeChat: the
// request could not be sent or completed, the status was not 2xx, or the
// body was malformed or larger than the cap. It never carries the
// request URL (which holds the secret, code or token); Err is the
// underlying cause with any *url.Error unwrapped.
type UpstreamError struct {
	// Op is the call that failed.
	Op string
	// StatusCode is the HTTP status, or 0 when no response arrived.
	StatusCode int
	// Timeout reports whether the call ran out of time.
	Timeout bool
	// Err is the cause, if any.
	Err error
}

// Error describes the failure without the request URL.
func (e *UpstreamError) Error() string {
	msg := "wxlogin: " + e.Op + ": "
	switch {
	case e.Timeout:
		msg += "timed out"
	case e.StatusCode != 0 && (e.StatusCode < 200 || e.StatusCode > 299):
		msg += fmt.Sprintf("HTTP %d", e.StatusCode)
	default:
		msg += "upstream failure"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *UpstreamError) Unwrap() error { return e.Err }

// Is makes every UpstreamError match ErrUpstream, and a timeout match
// context.DeadlineExceeded.
func (e *UpstreamError) Is(target error) bool {
	return target == ErrUpstream || (e.Timeout && target == context.DeadlineExceeded)
}
