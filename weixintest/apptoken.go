package weixintest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The paths of the app access token and of the API the fake serves with
// it.
const (
	// PathToken is the classic /cgi-bin/token: each fetch issues a new
	// token and ends the previous one after AppTokenOverlap.
	PathToken = "/cgi-bin/token"
	// PathStableToken is /cgi-bin/stable_token (POST, JSON body).
	PathStableToken = "/cgi-bin/stable_token"
	// PathPhoneNumber is /wxa/business/getuserphonenumber (POST, JSON
	// body, access_token in the query).
	PathPhoneNumber = "/wxa/business/getuserphonenumber"
)

// Limits of the fake's app access tokens, as WeChat's.
const (
	// AppTokenOverlap is how long a token keeps working after the next
	// one was issued (by /cgi-bin/token, or by stable_token's normal
	// mode in the last AppTokenOverlap of its life). With a lifetime set
	// shorter than 20 minutes (SetAppTokenTTL), the overlap is a quarter
	// of the lifetime.
	AppTokenOverlap = 5 * time.Minute
	// TokenDailyLimit is how many /cgi-bin/token fetches an application
	// gets a day (then 45009).
	TokenDailyLimit = 2000
	// ForcedRefreshDailyLimit is how many forced stable_token refreshes
	// an application gets a day (then 45009).
	ForcedRefreshDailyLimit = 20
	// ForcedRefreshInterval: a forced refresh within this time of the
	// last one has no effect (the current token comes back).
	ForcedRefreshInterval = 30 * time.Second
	// PhoneCodeTTL is how long a getPhoneNumber code lives.
	PhoneCodeTTL = 5 * time.Minute
)

// AppTokenStats counts what the fake did with one application's access
// tokens.
type AppTokenStats struct {
	// TokenFetches counts the tokens /cgi-bin/token issued.
	TokenFetches int
	// StableFetches counts the stable_token calls in normal mode that
	// got a token.
	StableFetches int
	// ForcedRefreshes counts the stable_token calls with force_refresh
	// true, whatever their answer.
	ForcedRefreshes int
	// Rotations counts the tokens stable_token issued (a normal fetch in
	// a token's last AppTokenOverlap, or with none valid; a forced
	// refresh).
	Rotations int
	// Invalidations counts InvalidateAppToken calls.
	Invalidations int
	// Rejections counts the API calls answered 40001 or 42001 because
	// of the app access token.
	Rejections int
}

// appTok is an issued app access token.
type appTok struct {
	appID   string
	expires time.Time
	revoked bool
}

// phoneCode is a code of the getPhoneNumber button.
type phoneCode struct {
	appID, userID, phone string
	expires              time.Time
	used                 bool
}

// appTokens is the fake's state of the app access tokens.
type appTokens struct {
	ttl     time.Duration
	tokens  map[string]*appTok // every token issued, by value
	stable  map[string]string  // appid → current stable_token token
	classic map[string]string  // appid → current /cgi-bin/token token
	forced  map[string]time.Time
	daily   map[string]int // "kind\x00appid\x00day" → calls
	stats   map[string]*AppTokenStats
	phones  map[string]*phoneCode
}

func init() {
	for code, msg := range map[int]string{
		40164: "invalid ip 127.0.0.1 ipv6 ::ffff:127.0.0.1, not in whitelist",
		41001: "access_token missing",
		41002: "appid missing",
		41004: "appsecret missing",
		43002: "require POST method",
		45009: "reach max api daily quota limit",
		47001: "data format error",
	} {
		errmsgs[code] = msg
	}
}

// appTokensLocked returns the state, made on first use; s.mu is held.
func (s *Server) appTokensLocked() *appTokens {
	if s.appTokens == nil {
		s.appTokens = &appTokens{
			ttl:     2 * time.Hour,
			tokens:  map[string]*appTok{},
			stable:  map[string]string{},
			classic: map[string]string{},
			forced:  map[string]time.Time{},
			daily:   map[string]int{},
			stats:   map[string]*AppTokenStats{},
			phones:  map[string]*phoneCode{},
		}
	}
	return s.appTokens
}

func (at *appTokens) statsOf(appID string) *AppTokenStats {
	st := at.stats[appID]
	if st == nil {
		st = &AppTokenStats{}
		at.stats[appID] = st
	}
	return st
}

// overlap is how long a replaced token keeps working.
func (at *appTokens) overlap() time.Duration { return min(AppTokenOverlap, at.ttl/4) }

// issue makes a new token of appID.
func (at *appTokens) issue(appID string, now time.Time) string {
	tok := randomToken(136)
	at.tokens[tok] = &appTok{appID: appID, expires: now.Add(at.ttl)}
	return tok
}

// countDaily counts one call of kind for appID today (China time) and
// reports whether it is within limit.
func (at *appTokens) countDaily(kind, appID string, now time.Time, limit int) bool {
	key := kind + "\x00" + appID + "\x00" + now.In(chinaTime).Format(time.DateOnly)
	if at.daily[key] >= limit {
		return false
	}
	at.daily[key]++
	return true
}

var chinaTime = time.FixedZone("CST", 8*60*60)

// SetAppTokenTTL sets the lifetime of the app access tokens issued from
// now on (default 2 hours, WeChat's), so that a test can go through a
// rotation with Advance.
func (s *Server) SetAppTokenTTL(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appTokensLocked().ttl = max(d, 4*time.Second)
}

// InvalidateAppToken makes appID's current access tokens (stable_token's
// and /cgi-bin/token's) stop working at once, as a forced refresh by
// another party does: APIs answer 40001 for them, and stable_token's next
// normal fetch issues a new token.
func (s *Server) InvalidateAppToken(appID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at := s.appTokensLocked()
	for _, cur := range []map[string]string{at.stable, at.classic} {
		if t := at.tokens[cur[appID]]; t != nil {
			t.revoked = true
		}
	}
	at.statsOf(appID).Invalidations++
}

// AppTokenStats returns the counts of appID's access tokens.
func (s *Server) AppTokenStats(appID string) AppTokenStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.appTokensLocked().statsOf(appID)
}

// PhoneCode mints the code a mini program's getPhoneNumber button gives
// when user userID shares phone with application appID: single use,
// PhoneCodeTTL long. phone is a mainland number ("13800138000", whose
// countryCode the fake sends as the number 86, as in WeChat's example) or
// "+<country code> <number>" ("+1 4155550100", countryCode sent as the
// string "1", as in WeChat's table); phoneNumber is phone as given.
func (s *Server) PhoneCode(appID, userID, phone string) string {
	b := make([]byte, 32)
	rand.Read(b)
	code := hex.EncodeToString(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appTokensLocked().phones[code] = &phoneCode{appID: appID, userID: userID, phone: phone, expires: s.now().Add(PhoneCodeTTL)}
	return code
}

// jsonAPI serves an API that takes a JSON body by POST (43002 for any
// other method): the body's fields (strings as they are, other values as
// their JSON text) and the query parameters named in query are what f
// sees. A body that is not a JSON object gives f no fields.
func (s *Server) jsonAPI(f apiFunc, query ...string) http.HandlerFunc {
	inner := s.api(f)
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			s.record(r.Method, r.URL.Path, r.URL.Query(), 43002, http.StatusOK)
			writeErr(w, 43002)
			return
		}
		body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		q := url.Values{}
		for _, k := range query {
			if v, ok := r.URL.Query()[k]; ok {
				q[k] = v
			}
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(body, &m) == nil {
			for k, v := range m {
				var str string
				if json.Unmarshal(v, &str) == nil {
					q.Set(k, str)
				} else {
					q.Set(k, string(v))
				}
			}
		}
		r.Form, r.PostForm = q, url.Values{}
		inner(w, r)
	}
}

// checkApp checks the appid and secret of a token request.
func (s *Server) checkApp(q url.Values) (App, int) {
	switch {
	case q.Get("grant_type") != "client_credential":
		return App{}, 40002
	case q.Get("appid") == "":
		return App{}, 41002
	}
	app, ok := s.apps[q.Get("appid")]
	switch {
	case !ok:
		return App{}, 40013
	case q.Get("secret") == "":
		return App{}, 41004
	case q.Get("secret") != app.Secret:
		return App{}, 40125
	}
	return app, 0
}

func tokenReply(tok string, expires, now time.Time) obj {
	return obj{{"access_token", tok}, {"expires_in", int(expires.Sub(now) / time.Second)}}
}

// handleToken is /cgi-bin/token: a new token on every call, the previous
// one ending AppTokenOverlap later.
func (s *Server) handleToken(q url.Values, now time.Time) (obj, int) {
	app, errcode := s.checkApp(q)
	if errcode != 0 {
		return nil, errcode
	}
	at := s.appTokensLocked()
	if !at.countDaily("token", app.AppID, now, TokenDailyLimit) {
		return nil, 45009
	}
	if old := at.tokens[at.classic[app.AppID]]; old != nil && old.expires.After(now.Add(at.overlap())) {
		old.expires = now.Add(at.overlap())
	}
	tok := at.issue(app.AppID, now)
	at.classic[app.AppID] = tok
	at.statsOf(app.AppID).TokenFetches++
	return tokenReply(tok, at.tokens[tok].expires, now), 0
}

// handleStableToken is /cgi-bin/stable_token. Normal mode: the current
// token, until AppTokenOverlap before it expires; then (or when it was
// invalidated) a new one, the old one working until its expiry. Forced
// mode: a new token, the old one revoked at once; within
// ForcedRefreshInterval of the last forced refresh the current token
// comes back unchanged; ForcedRefreshDailyLimit a day, then 45009.
func (s *Server) handleStableToken(q url.Values, now time.Time) (obj, int) {
	app, errcode := s.checkApp(q)
	if errcode != 0 {
		return nil, errcode
	}
	at := s.appTokensLocked()
	st := at.statsOf(app.AppID)
	cur := at.tokens[at.stable[app.AppID]]
	usable := cur != nil && !cur.revoked && now.Before(cur.expires)
	if q.Get("force_refresh") == "true" {
		st.ForcedRefreshes++
		if last, ok := at.forced[app.AppID]; ok && usable && now.Sub(last) < ForcedRefreshInterval {
			return tokenReply(at.stable[app.AppID], cur.expires, now), 0
		}
		if !at.countDaily("forced", app.AppID, now, ForcedRefreshDailyLimit) {
			return nil, 45009
		}
		at.forced[app.AppID] = now
		if cur != nil {
			cur.revoked = true
		}
		tok := at.issue(app.AppID, now)
		at.stable[app.AppID] = tok
		st.Rotations++
		return tokenReply(tok, at.tokens[tok].expires, now), 0
	}
	if !usable || cur.expires.Sub(now) <= at.overlap() {
		tok := at.issue(app.AppID, now)
		at.stable[app.AppID] = tok
		st.Rotations++
	}
	st.StableFetches++
	tok := at.stable[app.AppID]
	return tokenReply(tok, at.tokens[tok].expires, now), 0
}

// appToken checks the access_token of an API call: its token, or 41001
// (missing), 40001 (unknown or revoked), 42001 (expired).
func (s *Server) appToken(q url.Values, now time.Time) (*appTok, int) {
	at := s.appTokensLocked()
	raw := q.Get("access_token")
	if raw == "" {
		return nil, 41001
	}
	t := at.tokens[raw]
	errcode := 0
	switch {
	case t == nil || t.revoked:
		errcode = 40001
	case !now.Before(t.expires):
		errcode = 42001
	}
	if errcode != 0 {
		if t != nil {
			at.statsOf(t.appID).Rejections++
		}
		return nil, errcode
	}
	return t, 0
}

// handlePhoneNumber is getuserphonenumber: the phone of a PhoneCode code,
// once. A code of another appid than the token's: 40013; unknown or
// expired: 40029; used: 40163.
func (s *Server) handlePhoneNumber(q url.Values, now time.Time) (obj, int) {
	t, errcode := s.appToken(q, now)
	if errcode != 0 {
		return nil, errcode
	}
	if q.Get("code") == "" {
		return nil, 47001
	}
	pc := s.appTokensLocked().phones[q.Get("code")]
	switch {
	case pc == nil || !now.Before(pc.expires):
		return nil, 40029
	case pc.appID != t.appID:
		return nil, 40013
	case pc.used:
		return nil, 40163
	}
	pc.used = true
	pure, cc := pc.phone, any(86)
	if rest, ok := strings.CutPrefix(pc.phone, "+"); ok {
		code, number, _ := strings.Cut(rest, " ")
		pure, cc = number, code
	}
	return obj{
		{"errcode", 0},
		{"errmsg", "ok"},
		{"phone_info", obj{
			{"phoneNumber", pc.phone},
			{"purePhoneNumber", pure},
			{"countryCode", cc},
			{"watermark", obj{{"timestamp", now.Unix()}, {"appid", pc.appID}}},
		}},
	}, 0
}
