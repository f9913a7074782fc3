package weixintest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// errmsgs are WeChat's messages for the errcodes the fake answers.
var errmsgs = map[int]string{
	-1:    "system error",
	40001: "invalid credential, access_token is invalid or not latest",
	40002: "invalid grant_type",
	40003: "invalid openid",
	40005: "invalid lang",
	40013: "invalid appid",
	40014: "invalid access_token",
	40029: "invalid code",
	40030: "invalid refresh_token",
	40125: "invalid appsecret",
	40163: "code been used",
	41008: "missing code",
	42001: "access_token expired",
	42002: "refresh_token expired",
	42003: "code expired",
	45011: "api minute-quota reach limit  mustslower  retry next minute",
	48001: "api unauthorized",
}

// writeErr answers errcode on HTTP 200 as WeChat does, its errmsg ending
// in a request id: "invalid code, rid: 6650a1b2-0c3d4e5f-1a2b3c4d".
func writeErr(w http.ResponseWriter, errcode int) {
	msg, ok := errmsgs[errcode]
	if !ok {
		msg = "unknown error"
	}
	b := make([]byte, 12)
	rand.Read(b)
	h := hex.EncodeToString(b)
	writeJSON(w, map[string]any{"errcode": errcode, "errmsg": fmt.Sprintf("%s, rid: %s-%s-%s", msg, h[:8], h[8:16], h[16:])})
}

// writeJSON answers v as JSON on HTTP 200, served as text/plain and with
// <, > and & unescaped, as WeChat does.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "text/plain")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// apiFunc answers an API call under the server's lock: a reply, or a
// non-zero errcode.
type apiFunc func(q url.Values, now time.Time) (reply map[string]any, errcode int)

// api turns f into a handler. The parameters are the query's and, for a
// POST, the form's.
func (s *Server) api(f apiFunc) handler {
	return func(w http.ResponseWriter, r *http.Request) (int, int) {
		s.mu.Lock()
		reply, errcode := f(r.Form, s.now())
		s.mu.Unlock()
		if errcode != 0 {
			writeErr(w, errcode)
		} else {
			writeJSON(w, reply)
		}
		return errcode, http.StatusOK
	}
}

// accessToken answers /sns/oauth2/access_token.
func (s *Server) accessToken(q url.Values, now time.Time) (map[string]any, int) {
	app, ok := s.apps[q.Get("appid")]
	switch {
	case !ok:
		return nil, 40013
	case q.Get("secret") != app.Secret:
		return nil, 40125
	case q.Get("grant_type") != "authorization_code":
		return nil, 40002
	case q.Get("code") == "":
		return nil, 41008
	}
	c, ok := s.codes[q.Get("code")]
	switch {
	case !ok || c.appID != app.AppID:
		return nil, 40029
	case c.used:
		return nil, 40163
	case !now.Before(c.expires):
		return nil, 42003
	}
	c.used = true
	refreshToken, rt := s.issueTokens(c, now)
	reply := s.tokenReply(app, rt, refreshToken)
	if app.Kind == OfficialAccount {
		snapshot := 0
		if u := s.userLocked(rt.userID); u != nil && u.Snapshot && rt.scope == "snsapi_base" {
			snapshot = 1
		}
		reply["is_snapshotuser"] = snapshot
	}
	return reply, 0
}

// refreshToken answers /sns/oauth2/refresh_token.
func (s *Server) refreshToken(q url.Values, now time.Time) (map[string]any, int) {
	app, ok := s.apps[q.Get("appid")]
	if !ok {
		return nil, 40013
	}
	if q.Get("grant_type") != "refresh_token" {
		return nil, 40002
	}
	rt, ok := s.refresh[q.Get("refresh_token")]
	switch {
	case !ok || rt.appID != app.AppID:
		return nil, 40030
	case !now.Before(rt.expires):
		return nil, 42002
	}
	s.renewAccess(rt, now)
	return s.tokenReply(app, rt, q.Get("refresh_token")), 0
}

// tokenReply describes rt's access token: the fields common to the
// exchange and the refresh.
func (s *Server) tokenReply(app App, rt *grant, refreshToken string) map[string]any {
	reply := map[string]any{
		"access_token":  rt.accessToken,
		"expires_in":    max(1, int(s.accessTTL/time.Second)),
		"refresh_token": refreshToken,
		"openid":        s.OpenID(rt.appID, rt.userID),
		"scope":         rt.scope,
	}
	u := s.userLocked(rt.userID)
	if u != nil && u.UnionID != "" && (app.Kind == Website || rt.scope == "snsapi_userinfo") {
		reply["unionid"] = u.UnionID
	}
	return reply
}

// accessGrant checks an access token and openid: the grant, or an errcode.
func (s *Server) accessGrant(q url.Values, now time.Time) (*grant, int) {
	at, ok := s.access[q.Get("access_token")]
	switch {
	case !ok:
		return nil, 40014
	case !now.Before(at.expires):
		return nil, 42001
	case q.Get("openid") != s.OpenID(at.appID, at.userID):
		return nil, 40003
	}
	return at, 0
}

// auth answers /sns/auth.
func (s *Server) auth(q url.Values, now time.Time) (map[string]any, int) {
	if _, errcode := s.accessGrant(q, now); errcode != 0 {
		return nil, errcode
	}
	return map[string]any{"errcode": 0, "errmsg": "ok"}, 0
}

// userInfo answers /sns/userinfo. A lang other than zh_CN, zh_TW or en
// (or none) is answered 40005 "invalid lang".
func (s *Server) userInfo(q url.Values, now time.Time) (map[string]any, int) {
	at, errcode := s.accessGrant(q, now)
	if errcode != 0 {
		return nil, errcode
	}
	if at.scope != "snsapi_userinfo" && at.scope != "snsapi_login" {
		return nil, 48001
	}
	switch q.Get("lang") {
	case "", "zh_CN", "zh_TW", "en":
	default:
		return nil, 40005
	}
	u := s.userLocked(at.userID)
	if u == nil {
		return nil, 40003
	}
	privilege := u.Privilege
	if privilege == nil {
		privilege = []string{}
	}
	reply := map[string]any{
		"openid":     s.OpenID(at.appID, at.userID),
		"nickname":   u.Nickname,
		"sex":        u.Sex,
		"province":   u.Province,
		"city":       u.City,
		"country":    u.Country,
		"headimgurl": u.HeadImgURL,
		"privilege":  privilege,
	}
	if u.UnionID != "" {
		reply["unionid"] = u.UnionID
	}
	return reply, 0
}
