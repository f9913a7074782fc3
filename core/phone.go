package core

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/wxlogin/wxlogin/core/adapter"
	"github.com/wxlogin/wxlogin/core/weixin"
)

// ErrNotMiniProgramUser is returned by BindPhone when the session's user
// did not log in through Options.MiniProgram: it matches
// ErrLoginRequired (401).
var ErrNotMiniProgramUser = fmt.Errorf("%w: a mini program login is required", ErrLoginRequired)

// BindPhone exchanges code, from the getPhoneNumber button of the mini
// program whose user is logged in to the session in ctx, for the user's
// phone number (weixin.AppTokenSource.PhoneNumber with Options.MiniProgram's
// token), and keeps it on the session's user (User.Phone and
// User.CountryCode), after giving it to Options.Accounts.OnPhone, if
// set. It returns the updated user. The session must have been loaded
// from the mini program login's bearer token (the adapters' Sessions
// take it from an "Authorization: Bearer" header).
//
// Errors: nobody logged in, a cookie session, or a user of another door
// than the mini program: ErrLoginRequired (401); a bad, used or foreign code:
// weixin.ErrCodeInvalid or weixin.ErrCodeUsed (400); WeChat failing: 502 or 504 (see
// Classify).
func (a *Auth) BindPhone(ctx context.Context, code string) (*User, error) {
	u, src, err := a.miniProgramUser(ctx)
	if err != nil {
		return nil, err
	}
	p, err := src.PhoneNumber(ctx, code)
	if err != nil {
		return nil, err
	}
	nu := *u
	nu.Phone, nu.CountryCode = p.PhoneNumber, string(p.CountryCode)
	if acc := a.opts.Accounts; acc != nil && acc.OnPhone != nil && nu.AccountID != "" {
		if err := acc.OnPhone(ctx, &nu); err != nil {
			return nil, fmt.Errorf("wxlogin: Accounts.OnPhone: %w", err)
		}
	}
	a.sessions.Put(ctx, keyUser, &nu)
	return &nu, nil
}

// miniProgramUser returns the session's user, a mini program login, and
// the mini program's token source.
func (a *Auth) miniProgramUser(ctx context.Context) (*User, *weixin.AppTokenSource, error) {
	u, ok := a.CurrentUser(ctx)
	if !ok {
		if err := a.checkSession(ctx); err != nil {
			return nil, nil, err
		}
		return nil, nil, ErrLoginRequired
	}
	if !isBearer(ctx) {
		// A mini program keeps no cookies: a cookie session is a
		// browser's, not the mini program's.
		return nil, nil, ErrNotMiniProgramUser
	}
	mp := a.opts.MiniProgram
	if mp == nil || u.AppID != mp.AppID {
		return nil, nil, ErrNotMiniProgramUser
	}
	src, err := a.AppTokenSource(mp.AppID)
	return u, src, err
}

// phoneJSON is the answer of the phone route.
type phoneJSON struct {
	// Phone is User.Phone.
	Phone string `json:"phone"`
	// CountryCode is User.CountryCode, always a string.
	CountryCode string `json:"country_code"`
}

// MiniProgramPhoneResponse answers the phone route of the adapters
// (MiniProgramPhone): a POST with Content-Type application/json and the
// body {"code":"…"} from the getPhoneNumber button. It runs BindPhone and
// answers 200 phoneJSON, or JSONErrorResponse: no mini program login
// 401 (first; the request must carry the mini program login's bearer
// token: a cookie session does not count); a body readLoginCode refuses
// 400 without calling WeChat; a bad, used or foreign code 400; another
// method than POST 405.
func (a kit) MiniProgramPhoneResponse(ctx context.Context, method, contentType string, body io.Reader) adapter.Response {
	if method != http.MethodPost {
		r := a.JSONErrorResponse(ErrMethodNotAllowed)
		r.Header.Set("Allow", http.MethodPost)
		return r
	}
	if _, _, err := a.miniProgramUser(ctx); err != nil {
		return a.JSONErrorResponse(err)
	}
	code, err := readLoginCode(contentType, body)
	if err != nil {
		return a.JSONErrorResponse(err)
	}
	u, err := a.BindPhone(ctx, code)
	if err != nil {
		return a.JSONErrorResponse(err)
	}
	return jsonResponse(http.StatusOK, phoneJSON{Phone: u.Phone, CountryCode: u.CountryCode})
}
