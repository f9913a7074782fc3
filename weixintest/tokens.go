package weixintest

import (
	"crypto/rand"
	"encoding/base64"
	"time"
)

// grant is an issued code, access token or refresh token.
type grant struct {
	appID, userID, scope string
	expires              time.Time
	used                 bool   // for a code
	accessToken          string // for a refresh token: its current access token
}

// NewCode issues an authorization code of appID for user userID with
// scope, as if the user had consented, without checking them: a code of
// an unknown application or user fails at the exchange. It lives as
// SetCodeTTL says.
func (s *Server) NewCode(appID, userID, scope string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ttl := s.codeTTL
	if ttl == 0 {
		ttl = websiteCodeTTL
		if s.apps[appID].Kind == OfficialAccount {
			ttl = officialCodeTTL
		}
	}
	code := randomToken(32)
	s.codes[code] = &grant{appID: appID, userID: userID, scope: scope, expires: s.now().Add(ttl)}
	return code
}

// issueTokens starts a login's refresh token and its first access token;
// s.mu must be held.
func (s *Server) issueTokens(code *grant, now time.Time) (refreshToken string, rt *grant) {
	rt = &grant{appID: code.appID, userID: code.userID, scope: code.scope, expires: now.Add(refreshTokenLifetime)}
	refreshToken = randomToken(86)
	s.refresh[refreshToken] = rt
	s.renewAccess(rt, now)
	return refreshToken, rt
}

// renewAccess extends rt's access token when it is still valid, and
// replaces it otherwise; s.mu must be held.
func (s *Server) renewAccess(rt *grant, now time.Time) {
	if at, ok := s.access[rt.accessToken]; ok && now.Before(at.expires) {
		at.expires = now.Add(s.accessTTL)
		return
	}
	delete(s.access, rt.accessToken)
	rt.accessToken = randomToken(96)
	s.access[rt.accessToken] = &grant{appID: rt.appID, userID: rt.userID, scope: rt.scope, expires: now.Add(s.accessTTL)}
}

// randomToken returns n random characters of [A-Za-z0-9_-].
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}
