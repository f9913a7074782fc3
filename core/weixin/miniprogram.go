package weixin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
)

// opCode2Session names the mini program's code exchange in errors, log
// lines and events.
const opCode2Session = "jscode2session"

// MiniProgramSession is WeChat's answer to a mini program's wx.login code
// (/sns/jscode2session).
//
// Its String and LogValue methods redact SessionKey, so a value printed
// or logged by mistake leaks nothing.
type MiniProgramSession struct {
	// OpenID identifies the user within the mini program. Never empty.
	OpenID string
	// UnionID links the user's openids across the applications of one
	// open-platform account; empty when the mini program is not bound to
	// one.
	UnionID string
	// SessionKey signs and decrypts the mini program's user data
	// (wx.getUserInfo's signature, encryptedData). It must stay on the
	// server: never send it to the client, log it or put it in a URL.
	SessionKey string
}

// String describes s without its session key.
func (s MiniProgramSession) String() string {
	return "MiniProgramSession{OpenID:" + s.OpenID + " UnionID:" + s.UnionID + " SessionKey:[redacted]}"
}

// LogValue implements slog.LogValuer: the identity, never the session
// key.
func (s MiniProgramSession) LogValue() slog.Value {
	return slog.GroupValue(slog.String("openid", s.OpenID), slog.String("unionid", s.UnionID))
}

// code2SessionJSON is WeChat's reply to /sns/jscode2session. Old replies
// also carry expires_in, which means nothing today.
type code2SessionJSON struct {
	SessionKey string `json:"session_key"`
	OpenID     string `json:"openid"`
	UnionID    string `json:"unionid"`
}

// Code2Session trades a mini program's wx.login code for the user's
// identity and session key (/sns/jscode2session), with c's AppID and
// AppSecret (the mini program's). A code is single-use, so the call is
// never retried, not even on "system busy" (-1): a failure means calling
// wx.login again.
//
// WeChat's errcodes come back as an *APIError matching ErrCodeInvalid
// (40029), ErrCodeUsed (40163), ErrUserBlocked (40226), ErrQuota
// (45011), ErrSystemBusy (-1) or ErrInvalidCredential (40013, 40125).
func (c *Config) Code2Session(ctx context.Context, code string) (*MiniProgramSession, error) {
	if c.AppID == "" || c.AppSecret == "" {
		return nil, fmt.Errorf("wxlogin: %s: AppID and AppSecret must be set: %w", opCode2Session, ErrInvalidCredential)
	}
	if code == "" {
		return nil, &APIError{Op: opCode2Session, Code: 41008, Message: "missing code"}
	}
	q := url.Values{
		"appid":      {c.AppID},
		"secret":     {c.AppSecret},
		"js_code":    {code},
		"grant_type": {"authorization_code"},
	}
	var sj code2SessionJSON
	if err := c.get(ctx, opCode2Session, "/sns/jscode2session", q, false, &sj); err != nil {
		return nil, err
	}
	if sj.OpenID == "" {
		return nil, &UpstreamError{Op: opCode2Session, StatusCode: 200, Err: errNoOpenID}
	}
	if sj.SessionKey == "" {
		return nil, &UpstreamError{Op: opCode2Session, StatusCode: 200, Err: errors.New("reply has no session_key")}
	}
	return &MiniProgramSession{OpenID: sj.OpenID, UnionID: sj.UnionID, SessionKey: sj.SessionKey}, nil
}
