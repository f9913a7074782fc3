package weixintest

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"time"
)

// The mini program and the mobile application NewServer registers, beside
// DefaultAppID and DefaultMPAppID: the same users, each with its own
// openid in each, and the same unionid (all four are bound to one
// open-platform account).
const (
	// DefaultMiniProgramAppID is a mini program (wx.login codes,
	// /sns/jscode2session).
	DefaultMiniProgramAppID = "wx5b6c7d8e9f0a1b2c"
	// DefaultMiniProgramSecret is DefaultMiniProgramAppID's secret.
	DefaultMiniProgramSecret = "weixintest-miniprogram-secret-0123456789"
	// DefaultMobileAppID is a mobile application (SendAuth codes,
	// /sns/oauth2/access_token).
	DefaultMobileAppID = "wx9c8d7e6f5a4b3c2d"
	// DefaultMobileAppSecret is DefaultMobileAppID's secret.
	DefaultMobileAppSecret = "weixintest-mobileapp-secret-0123456789"
)

// The paths of the mini program's code exchange and of the fake's code
// dispenser.
const (
	// PathJSCode2Session is the mini program's code exchange.
	PathJSCode2Session = "/sns/jscode2session"
	// PathDevCode hands out, on GET with appid and user (default "u1"),
	// a code as the mini program's wx.login() or the mobile app's
	// SendAuth would get for that user: {"code","appid","user"}. It
	// stands in for the phone in development; WeChat has no such page.
	PathDevCode = "/weixintest/code"
)

// DevCodeURL returns the URL of the fake that hands out a code of the
// mini program or mobile application appID for user userID (PathDevCode).
func (s *Server) DevCodeURL(appID, userID string) string {
	return s.URL + PathDevCode + "?" + url.Values{"appid": {appID}, "user": {userID}}.Encode()
}

// miniProgramCodeTTL is how long a wx.login code lives.
const miniProgramCodeTTL = 5 * time.Minute

// MiniProgramCode mints the code wx.login() would give user userID in
// the mini program appID: single use, valid 5 minutes (SetCodeTTL
// overrides), exchanged at /sns/jscode2session.
func (s *Server) MiniProgramCode(appID, userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ttl := s.codeTTL
	if ttl == 0 {
		ttl = miniProgramCodeTTL
	}
	code := randomToken(32)
	now := s.now()
	s.codes[code] = &grant{appID: appID, userID: userID, scope: "", issued: now, expires: now.Add(ttl)}
	return code
}

// SendAuthCode mints the code WeChat's SendAuth would give the mobile
// application appID for user userID (scope snsapi_userinfo): single use,
// valid 10 minutes (SetCodeTTL overrides), exchanged at
// /sns/oauth2/access_token.
func (s *Server) SendAuthCode(appID, userID string) string {
	return s.NewCode(appID, userID, "snsapi_userinfo")
}

// handleCode2Session answers /sns/jscode2session as WeChat does: on
// success {"session_key","expires_in","openid"[,"unionid"]} with no
// errcode (unionid only when the mini program is bound and the user has
// one); 40013/40125 for bad credentials, 41008 without a code, 40029 for
// a code that is unknown, another app's or expired, 40163 for a used one,
// 40226 for a Blocked user.
func (s *Server) handleCode2Session(q url.Values, now time.Time) (obj, int) {
	app, ok := s.apps[q.Get("appid")]
	switch {
	case !ok || app.Kind != MiniProgram:
		return nil, 40013
	case q.Get("secret") != app.Secret:
		return nil, 40125
	case q.Get("grant_type") != "authorization_code":
		return nil, 40002
	case q.Get("js_code") == "":
		return nil, 41008
	}
	c, ok := s.codes[q.Get("js_code")]
	switch {
	case !ok || c.appID != app.AppID || !now.Before(c.expires):
		return nil, 40029
	case c.used:
		return nil, 40163
	}
	c.used = true
	u := s.userLocked(c.userID)
	if u == nil {
		return nil, 40029
	}
	if u.Blocked {
		return nil, 40226
	}
	var key [16]byte
	rand.Read(key[:])
	reply := obj{
		{"session_key", base64.StdEncoding.EncodeToString(key[:])},
		{"expires_in", 7200},
		{"openid", s.OpenID(app.AppID, c.userID)},
	}
	if u.UnionID != "" && !app.Unbound {
		reply = append(reply, field{"unionid", u.UnionID})
	}
	return reply, 0
}

// handleDevCode hands out a wx.login or SendAuth code (PathDevCode).
func (s *Server) handleDevCode(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	appID, userID := q.Get("appid"), q.Get("user")
	if appID == "" {
		appID = DefaultMiniProgramAppID
	}
	if userID == "" {
		userID = "u1"
	}
	s.mu.Lock()
	app, ok := s.apps[appID]
	known := s.userLocked(userID) != nil
	s.mu.Unlock()
	var code string
	switch {
	case !ok || !known:
		http.Error(w, "weixintest: unknown appid or user", http.StatusNotFound)
		return
	case app.Kind == MiniProgram:
		code = s.MiniProgramCode(appID, userID)
	case app.Kind == MobileApp:
		code = s.SendAuthCode(appID, userID)
	default:
		http.Error(w, "weixintest: codes are handed out for mini programs and mobile apps only", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(wechatJSON(obj{{"code", code}, {"appid", appID}, {"user", userID}}))
}
