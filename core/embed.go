package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/wxlogin/wxlogin/core/weixin"
)

// ErrNotEmbeddable: the login cannot be shown as an embedded QR code
// (only a website application, scope snsapi_login, has one), or the
// options for wxLogin.js are invalid.
var ErrNotEmbeddable = errors.New("wxlogin: no embedded QR code for this login")

// WxLogin holds the options of Tencent's wxLogin.js
// (https://res.wx.qq.com/connect/zh_CN/htmledition/js/wxLogin.js), which
// shows WeChat's QR code in an iframe inside the page:
//
//	new WxLogin(<the JSON of a WxLogin>);
//
// Tencent's script pastes the option values into the iframe's URL with
// no encoding, so a redirect_uri passed as is breaks on the first '&',
// '#' or non-ASCII character (and WeChat's doc requires it URL-encoded).
// The fields hold plain values; MarshalJSON encodes what the script
// pastes (appid, scope, redirect_uri, state, href) exactly once, so a
// page that writes the JSON into new WxLogin(...) is right by
// construction. Do not encode RedirectURI yourself.
type WxLogin struct {
	// ID is the id of the element the iframe replaces the contents of.
	ID string
	// AppID is the website application's appid.
	AppID string
	// Scope is snsapi_login.
	Scope string
	// RedirectURI is the callback URL, not encoded.
	RedirectURI string
	// State is the login's state.
	State string
	// SelfRedirect loads the callback inside the iframe instead of
	// navigating the whole window (WeChat's default).
	SelfRedirect bool
	// Style is the QR page's colour scheme: "black", "white", or "" for
	// WeChat's default.
	Style string
	// Href is an https or data URL of CSS for the QR page (ignored by
	// WeChat with StyleLite).
	Href string
	// StyleLite selects WeChat's newer, smaller page (220×220 px box).
	StyleLite bool
	// DisableFastLogin turns off desktop WeChat's "fast login" without
	// scanning (fast_login: 0).
	DisableFastLogin bool
	// Lang is "en" for an English page, or "" for Chinese.
	Lang string
}

// WxLogin returns the wxLogin.js options of this login, to be shown in
// the element with id containerID. It fails with ErrNotEmbeddable for an
// official account's login (scope snsapi_base or snsapi_userinfo), which
// has no QR code.
func (s *LoginStart) WxLogin(containerID string) (*WxLogin, error) {
	if containerID == "" {
		return nil, fmt.Errorf("%w: the container id is empty", ErrNotEmbeddable)
	}
	cfg := weixin.Config{Scopes: []string{s.Scope}}
	if s.Scope == "" || !cfg.IsWebsite() {
		return nil, fmt.Errorf("%w: scope %q is not %s", ErrNotEmbeddable, s.Scope, weixin.ScopeLogin)
	}
	return &WxLogin{ID: containerID, AppID: s.AppID, Scope: weixin.ScopeLogin, RedirectURI: s.RedirectURL, State: s.State}, nil
}

// MarshalJSON writes the options as Tencent's script reads them:
// redirect_uri (and the other pasted values) URL-encoded once, style,
// href, stylelite, fast_login and lang only when set, stylelite as the
// number 1 and fast_login as the number 0. It fails with
// ErrNotEmbeddable when ID, AppID, RedirectURI or State is empty, or
// Style or Lang has a value WeChat does not know.
func (w WxLogin) MarshalJSON() ([]byte, error) {
	switch {
	case w.ID == "":
		return nil, fmt.Errorf("%w: the container id is empty", ErrNotEmbeddable)
	case w.AppID == "" || w.RedirectURI == "" || w.State == "":
		return nil, fmt.Errorf("%w: appid, redirect_uri and state must be set", ErrNotEmbeddable)
	case w.Style != "" && w.Style != "black" && w.Style != "white":
		return nil, fmt.Errorf("%w: style %q is not black or white", ErrNotEmbeddable, w.Style)
	case w.Lang != "" && w.Lang != "en":
		return nil, fmt.Errorf("%w: lang %q is not en", ErrNotEmbeddable, w.Lang)
	}
	scope := w.Scope
	if scope == "" {
		scope = weixin.ScopeLogin
	}
	var b bytes.Buffer
	field := func(k string, v any) {
		if b.Len() == 0 {
			b.WriteByte('{')
		} else {
			b.WriteByte(',')
		}
		kj, _ := json.Marshal(k)
		vj, _ := json.Marshal(v)
		b.Write(kj)
		b.WriteByte(':')
		b.Write(vj)
	}
	field("self_redirect", w.SelfRedirect)
	field("id", w.ID)
	field("appid", url.QueryEscape(w.AppID))
	field("scope", url.QueryEscape(scope))
	field("redirect_uri", url.QueryEscape(w.RedirectURI))
	field("state", url.QueryEscape(w.State))
	if w.Style != "" {
		field("style", w.Style)
	}
	if w.Href != "" {
		field("href", url.QueryEscape(w.Href))
	}
	if w.StyleLite {
		field("stylelite", 1)
	}
	if w.DisableFastLogin {
		field("fast_login", 0)
	}
	if w.Lang != "" {
		field("lang", w.Lang)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
