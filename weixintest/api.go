package weixintest

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// refreshTokenLifetime is how long a refresh token lives from the login.
const refreshTokenLifetime = 30 * 24 * time.Hour

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
	40125: "invalid appsecret, view more at http://t.cn/RAEkdVq",
	40163: "code been used",
	41008: "missing code",
	42001: "access_token expired",
	42002: "refresh_token expired",
	42003: "code expired",
	40226: "code blocked",
	45011: "api minute-quota reach limit, must slower, retry next minute",
	48001: "api unauthorized",
}

// apiFunc handles an API call under the server's lock: a reply, or a
// non-zero errcode.
type apiFunc func(q url.Values, now time.Time) (reply obj, errcode int)

// api serves an API path: faults first, then f; every call is recorded.
func (s *Server) api(f apiFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		q := r.Form
		if fault := s.takeFault(r.URL.Path); fault != nil {
			ok, errcode, status := fault.answers()
			if fault.Delay > 0 {
				// Counted on arrival: the client may give up waiting.
				s.record(r.Method, r.URL.Path, q, errcode, status)
				if !fault.wait(r) {
					return
				}
			}
			if ok {
				if fault.Delay == 0 {
					s.record(r.Method, r.URL.Path, q, errcode, status)
				}
				fault.write(w)
				return
			}
			if fault.Delay > 0 {
				s.mu.Lock()
				reply, errcode := f(q, s.now())
				s.mu.Unlock()
				writeReply(w, reply, errcode)
				return
			}
		}
		s.mu.Lock()
		reply, errcode := f(q, s.now())
		s.mu.Unlock()
		s.record(r.Method, r.URL.Path, q, errcode, http.StatusOK)
		writeReply(w, reply, errcode)
	}
}

func writeReply(w http.ResponseWriter, reply obj, errcode int) {
	if errcode != 0 {
		writeErr(w, errcode)
		return
	}
	writeJSON(w, reply)
}

func (s *Server) handleAccessToken(q url.Values, now time.Time) (obj, int) {
	app, ok := s.apps[q.Get("appid")]
	switch {
	case !ok || app.Kind == MiniProgram: // a mini program's codes go to jscode2session
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
	rt := &grant{appID: c.appID, userID: c.userID, scope: c.scope, issued: now, expires: now.Add(refreshTokenLifetime)}
	refreshToken := randomToken(86)
	s.refresh[refreshToken] = rt
	return s.tokenReply(app, rt, refreshToken, now, true), 0
}

func (s *Server) handleRefreshToken(q url.Values, now time.Time) (obj, int) {
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
	return s.tokenReply(app, rt, q.Get("refresh_token"), now, false), 0
}

// tokenReply issues or extends rt's access token and describes it, in
// the fields and order of WeChat's reply. An official account's snapshot
// visitor gets what WeChat sends one: blank tokens and is_snapshotuser 1
// (the field is absent for everyone else).
func (s *Server) tokenReply(app App, rt *grant, refreshToken string, now time.Time, exchange bool) obj {
	u := s.userLocked(rt.userID)
	snapshot := app.Kind == OfficialAccount && exchange && u != nil && u.Snapshot
	accessToken := ""
	if snapshot {
		delete(s.refresh, refreshToken)
		refreshToken = ""
	} else {
		at, ok := s.access[rt.accessToken]
		if ok && now.Before(at.expires) {
			at.expires = now.Add(s.accessTTL) // still valid: same token, later expiry
		} else {
			delete(s.access, rt.accessToken)
			rt.accessToken = randomToken(96)
			at = &grant{appID: rt.appID, userID: rt.userID, scope: rt.scope, issued: now, expires: now.Add(s.accessTTL)}
			s.access[rt.accessToken] = at
		}
		accessToken = rt.accessToken
	}
	reply := obj{
		{"access_token", accessToken},
		{"expires_in", int(s.accessTTL / time.Second)},
		{"refresh_token", refreshToken},
		{"openid", s.OpenID(rt.appID, rt.userID)},
		{"scope", rt.scope},
	}
	// WeChat's refresh reply carries no unionid (core keeps the login's).
	if exchange && u != nil && u.UnionID != "" && !app.Unbound && (app.Kind == Website || rt.scope == "snsapi_userinfo") {
		reply = append(reply, field{"unionid", u.UnionID})
	}
	if snapshot {
		reply = append(reply, field{"is_snapshotuser", 1})
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

func (s *Server) handleAuth(q url.Values, now time.Time) (obj, int) {
	if _, errcode := s.accessGrant(q, now); errcode != 0 {
		return nil, errcode
	}
	return obj{{"errcode", 0}, {"errmsg", "ok"}}, 0
}

func (s *Server) handleUserInfo(q url.Values, now time.Time) (obj, int) {
	at, errcode := s.accessGrant(q, now)
	if errcode != 0 {
		return nil, errcode
	}
	if !strings.Contains(at.scope, "snsapi_userinfo") && !strings.Contains(at.scope, "snsapi_login") {
		return nil, 48001
	}
	// WeChat localises the region in lang, and answers an unknown lang
	// as it answers no lang (40005 is not /sns/userinfo's).
	lang := q.Get("lang")
	switch lang {
	case "zh_CN", "zh_TW", "en":
	default:
		lang = ""
	}
	u := s.userLocked(at.userID)
	if u == nil {
		return nil, 40003
	}
	privilege := u.Privilege
	if privilege == nil {
		privilege = []string{}
	}
	language := u.Language
	if language == "" {
		language = "zh_CN"
	}
	reply := obj{
		{"openid", s.OpenID(at.appID, at.userID)},
		{"nickname", u.Nickname},
		{"sex", u.Sex},
		{"language", language},
		{"city", localise(u.City, lang)},
		{"province", localise(u.Province, lang)},
		{"country", localise(u.Country, lang)},
		{"headimgurl", u.HeadImgURL},
		{"privilege", privilege},
	}
	if u.UnionID != "" && !s.apps[at.appID].Unbound {
		reply = append(reply, field{"unionid", u.UnionID})
	}
	return reply, 0
}
