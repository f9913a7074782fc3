package weixintest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/weixintest"
)

// A mini program registered with the fake (issue 15 gives the fake a
// MiniProgram kind; the kind does not matter to the app token).
const (
	mpAppID  = "wx0mini0program0001"
	mpSecret = "weixintest-miniprogram-secret"
)

func newAppTokenServer(t *testing.T) *weixintest.Server {
	t.Helper()
	srv := weixintest.NewServer()
	t.Cleanup(srv.Close)
	srv.AddApp(weixintest.App{AppID: mpAppID, Secret: mpSecret})
	return srv
}

// call sends body (JSON when not a string of form parameters) and
// returns the reply's text and its decoded fields.
func call(t *testing.T, method, target, contentType, body string) (string, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, target, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s %s: %v: %s", method, target, err, b)
	}
	return string(b), m
}

func stable(t *testing.T, srv *weixintest.Server, appID, secret string, force bool) map[string]any {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"grant_type": "client_credential", "appid": appID, "secret": secret, "force_refresh": force})
	_, m := call(t, "POST", srv.URL+weixintest.PathStableToken, "application/json", string(b))
	return m
}

// phone calls getuserphonenumber with token and code.
func phone(t *testing.T, srv *weixintest.Server, token, code string) (string, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"code": code})
	return call(t, "POST", srv.URL+weixintest.PathPhoneNumber+"?access_token="+url.QueryEscape(token), "application/json", string(b))
}

func TestStableTokenNormalModeSharesOneTokenAndRotatesWithOverlap(t *testing.T) {
	srv := newAppTokenServer(t)
	first := stable(t, srv, mpAppID, mpSecret, false)
	tok, _ := first["access_token"].(string)
	if tok == "" || first["expires_in"] != float64(7200) {
		t.Fatalf("first fetch: %v", first)
	}
	srv.Advance(time.Hour)
	again := stable(t, srv, mpAppID, mpSecret, false)
	if left, _ := again["expires_in"].(float64); again["access_token"] != tok || left < 3599 || left > 3600 {
		t.Fatalf("a normal fetch an hour later: %v, want the same token with 3600 s left", again)
	}
	// Within the last 5 minutes: the next token; the old one works on.
	srv.Advance(56 * time.Minute)
	next := stable(t, srv, mpAppID, mpSecret, false)
	if next["access_token"] == tok || next["expires_in"] != float64(7200) {
		t.Fatalf("a fetch 4 minutes before expiry: %v, want a new token", next)
	}
	if _, m := phone(t, srv, tok, srv.PhoneCode(mpAppID, "u1", "13800138000")); errcode(m) != 0 {
		t.Fatalf("the old token during the overlap: %v", m)
	}
	srv.Advance(5 * time.Minute)
	if _, m := phone(t, srv, tok, srv.PhoneCode(mpAppID, "u1", "13800138000")); errcode(m) != 42001 {
		t.Fatalf("the old token after its expiry: %v, want 42001", m)
	}
	if _, m := phone(t, srv, next["access_token"].(string), srv.PhoneCode(mpAppID, "u1", "13800138000")); errcode(m) != 0 {
		t.Fatalf("the new token: %v", m)
	}
	st := srv.AppTokenStats(mpAppID)
	if st.StableFetches != 3 || st.Rotations != 2 || st.ForcedRefreshes != 0 || st.TokenFetches != 0 || st.Rejections != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestStableTokenForcedModeAndItsLimits(t *testing.T) {
	srv := newAppTokenServer(t)
	tok := stable(t, srv, mpAppID, mpSecret, false)["access_token"].(string)
	forced := stable(t, srv, mpAppID, mpSecret, true)["access_token"].(string)
	if forced == tok {
		t.Fatal("a forced refresh gave the same token")
	}
	if _, m := phone(t, srv, tok, srv.PhoneCode(mpAppID, "u1", "13800138000")); errcode(m) != 40001 {
		t.Fatalf("the token before a forced refresh: %v, want 40001", m)
	}
	// Within 30 s: no effect.
	srv.Advance(10 * time.Second)
	if again := stable(t, srv, mpAppID, mpSecret, true)["access_token"]; again != forced {
		t.Fatalf("a second forced refresh within 30 s changed the token")
	}
	for range weixintest.ForcedRefreshDailyLimit - 1 {
		srv.Advance(31 * time.Second)
		if m := stable(t, srv, mpAppID, mpSecret, true); m["access_token"] == nil {
			t.Fatalf("forced refresh within the daily limit: %v", m)
		}
	}
	srv.Advance(31 * time.Second)
	if m := stable(t, srv, mpAppID, mpSecret, true); errcode(m) != 45009 {
		t.Fatalf("the 21st forced refresh of the day: %v, want 45009", m)
	}
	// Normal mode is not limited by it.
	if m := stable(t, srv, mpAppID, mpSecret, false); m["access_token"] == nil {
		t.Fatalf("normal mode after the forced quota: %v", m)
	}
	if st := srv.AppTokenStats(mpAppID); st.ForcedRefreshes != 22 {
		t.Errorf("stats %+v, want 22 forced refreshes", st)
	}
}

func TestStableTokenRefusals(t *testing.T) {
	srv := newAppTokenServer(t)
	for _, c := range []struct {
		name, method, contentType, body string
		want                            int
	}{
		{"GET", "GET", "", "", 43002},
		{"form parameters, not JSON", "POST", "application/x-www-form-urlencoded",
			"grant_type=client_credential&appid=" + mpAppID + "&secret=" + mpSecret, 40002},
		{"no appid", "POST", "application/json", `{"grant_type":"client_credential","secret":"x"}`, 41002},
		{"unknown appid", "POST", "application/json", `{"grant_type":"client_credential","appid":"wxnope","secret":"x"}`, 40013},
		{"wrong secret", "POST", "application/json", `{"grant_type":"client_credential","appid":"` + mpAppID + `","secret":"x"}`, 40125},
	} {
		if _, m := call(t, c.method, srv.URL+weixintest.PathStableToken, c.contentType, c.body); errcode(m) != c.want {
			t.Errorf("%s: %v, want %d", c.name, m, c.want)
		}
	}
	// Query parameters are not the JSON body.
	q := "?grant_type=client_credential&appid=" + mpAppID + "&secret=" + mpSecret
	if _, m := call(t, "POST", srv.URL+weixintest.PathStableToken+q, "application/json", `{}`); errcode(m) != 40002 {
		t.Errorf("parameters in the query: %v", m)
	}
}

func TestClassicTokenInvalidatesThePreviousAfterTheOverlap(t *testing.T) {
	srv := newAppTokenServer(t)
	get := func() string {
		_, m := call(t, "GET", srv.URL+weixintest.PathToken+"?grant_type=client_credential&appid="+mpAppID+"&secret="+mpSecret, "", "")
		tok, _ := m["access_token"].(string)
		if tok == "" || m["expires_in"] != float64(7200) {
			t.Fatalf("/cgi-bin/token: %v", m)
		}
		return tok
	}
	a := get()
	b := get() // another instance fetches: a has 5 minutes left
	if a == b {
		t.Fatal("two fetches gave one token")
	}
	srv.Advance(4 * time.Minute)
	if _, m := phone(t, srv, a, srv.PhoneCode(mpAppID, "u1", "13800138000")); errcode(m) != 0 {
		t.Fatalf("the previous token within the overlap: %v", m)
	}
	srv.Advance(2 * time.Minute)
	if _, m := phone(t, srv, a, srv.PhoneCode(mpAppID, "u1", "13800138000")); errcode(m) != 42001 {
		t.Fatalf("the previous token after the overlap: %v", m)
	}
	if _, m := phone(t, srv, b, srv.PhoneCode(mpAppID, "u1", "13800138000")); errcode(m) != 0 {
		t.Fatalf("the newest token: %v", m)
	}
	if st := srv.AppTokenStats(mpAppID); st.TokenFetches != 2 || srv.Calls(weixintest.PathToken) != 2 {
		t.Errorf("stats %+v, %d calls", st, srv.Calls(weixintest.PathToken))
	}
}

func TestInvalidateAppTokenAndTTL(t *testing.T) {
	srv := newAppTokenServer(t)
	srv.SetAppTokenTTL(20 * time.Minute)
	m := stable(t, srv, mpAppID, mpSecret, false)
	tok := m["access_token"].(string)
	if m["expires_in"] != float64(1200) {
		t.Fatalf("TTL 20 min: %v", m)
	}
	srv.InvalidateAppToken(mpAppID)
	if _, m := phone(t, srv, tok, srv.PhoneCode(mpAppID, "u1", "13800138000")); errcode(m) != 40001 {
		t.Fatalf("an invalidated token: %v, want 40001", m)
	}
	if next := stable(t, srv, mpAppID, mpSecret, false)["access_token"]; next == tok {
		t.Fatal("stable_token handed out the invalidated token")
	}
	// With a 20-minute lifetime the overlap is 5 minutes (a quarter).
	srv.SetAppTokenTTL(8 * time.Minute)
	srv.InvalidateAppToken(mpAppID)
	tok = stable(t, srv, mpAppID, mpSecret, false)["access_token"].(string)
	srv.Advance(5 * time.Minute)
	if again := stable(t, srv, mpAppID, mpSecret, false)["access_token"]; again != tok {
		t.Fatal("with 3 of 8 minutes left (overlap 2), stable_token rotated")
	}
	srv.Advance(time.Minute + 30*time.Second)
	if again := stable(t, srv, mpAppID, mpSecret, false)["access_token"]; again == tok {
		t.Fatal("with 1.5 of 8 minutes left, stable_token did not rotate")
	}
	if st := srv.AppTokenStats(mpAppID); st.Invalidations != 2 || st.Rejections != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestPhoneNumberCodes(t *testing.T) {
	srv := newAppTokenServer(t)
	tok := stable(t, srv, mpAppID, mpSecret, false)["access_token"].(string)
	code := srv.PhoneCode(mpAppID, "u1", "13800138000")
	raw, m := phone(t, srv, tok, code)
	if errcode(m) != 0 || !strings.Contains(raw, `"countryCode":86`) || !strings.Contains(raw, `"phoneNumber":"13800138000"`) {
		t.Fatalf("phone: %s", raw)
	}
	if _, m := phone(t, srv, tok, code); errcode(m) != 40163 {
		t.Errorf("a used code: %v", m)
	}
	raw, _ = phone(t, srv, tok, srv.PhoneCode(mpAppID, "u3", "+1 4155550100"))
	if !strings.Contains(raw, `"countryCode":"1"`) || !strings.Contains(raw, `"purePhoneNumber":"4155550100"`) {
		t.Errorf("a foreign number: %s", raw)
	}
	if _, m := phone(t, srv, tok, "nope"); errcode(m) != 40029 {
		t.Errorf("an unknown code: %v", m)
	}
	foreign := srv.PhoneCode(weixintest.DefaultMPAppID, "u1", "13800138000")
	if _, m := phone(t, srv, tok, foreign); errcode(m) != 40013 {
		t.Errorf("a code of another app: %v", m)
	}
	expiring := srv.PhoneCode(mpAppID, "u1", "13800138000")
	srv.Advance(weixintest.PhoneCodeTTL)
	tok = stable(t, srv, mpAppID, mpSecret, false)["access_token"].(string)
	if _, m := phone(t, srv, tok, expiring); errcode(m) != 40029 {
		t.Errorf("an expired code: %v", m)
	}
	if _, m := call(t, "POST", srv.URL+weixintest.PathPhoneNumber, "application/json", `{"code":"x"}`); errcode(m) != 41001 {
		t.Errorf("no access_token: %v", m)
	}
	if _, m := call(t, "GET", srv.URL+weixintest.PathPhoneNumber+"?access_token="+tok, "", ""); errcode(m) != 43002 {
		t.Errorf("GET: %v", m)
	}
}

// doorSample is one entry of core/testdata/weixin-samples-doors.json.
type doorSample struct {
	Endpoint string `json:"endpoint"`
	Body     string `json:"body"`
	Expect   string `json:"expect"`
}

// rid and hint are WeChat's request ids, in their several forms.
var ridOrHint = regexp.MustCompile(`,? (rid|hint): .*$|,? hint: \[.*$`)
var ipAddr = regexp.MustCompile(`( ipv6 ::ffff:[0-9.]+)|\d+\.\d+\.\d+\.\d+`)
var notWord = regexp.MustCompile(`[^a-z0-9_]+`)

// normalise keeps the words of an errmsg: no request id, no IP address
// (the older 40164 form has no IPv6 one), no punctuation or spacing
// (WeChat's 45011 comes as "must slower" and "mustslower").
func normalise(msg string) string {
	msg = ipAddr.ReplaceAllString(ridOrHint.ReplaceAllString(msg, ""), "")
	return notWord.ReplaceAllString(strings.ToLower(msg), "")
}

// The fake answers the situations of the recorded replies of the app
// token and the phone number with their errcode and the words of their
// errmsg (WeChat has appended hints since: the fake's words are a prefix),
// and its successes have the documented fields and JSON types.
func TestAppTokenMatchesRecordedReplies(t *testing.T) {
	raw, err := os.ReadFile("../core/testdata/weixin-samples-doors.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Samples []doorSample }
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	srv := newAppTokenServer(t)
	// The fake's answer to each recorded situation, by errcode.
	stable(t, srv, mpAppID, mpSecret, false) // a current token: the forced refreshes below replace it
	fakes := map[string]map[int]string{}
	answer := func(endpoint string, raw string) {
		var m struct {
			Errcode int    `json:"errcode"`
			Errmsg  string `json:"errmsg"`
		}
		json.Unmarshal([]byte(raw), &m)
		if fakes[endpoint] == nil {
			fakes[endpoint] = map[int]string{}
		}
		fakes[endpoint][m.Errcode] = m.Errmsg
	}
	// stable_token: daily quota (forced), form parameters, 40164 (injected).
	for range weixintest.ForcedRefreshDailyLimit + 1 {
		srv.Advance(31 * time.Second)
		b, _ := json.Marshal(map[string]any{"grant_type": "client_credential", "appid": mpAppID, "secret": mpSecret, "force_refresh": true})
		r, _ := call(t, "POST", srv.URL+weixintest.PathStableToken, "application/json", string(b))
		answer("stable_token", r)
	}
	r, _ := call(t, "POST", srv.URL+weixintest.PathStableToken, "application/x-www-form-urlencoded", "grant_type=client_credential")
	answer("stable_token", r)
	r, _ = call(t, "POST", srv.URL+weixintest.PathStableToken, "application/x-www-form-urlencoded", "appid="+mpAppID)
	answer("stable_token", r)
	r, _ = call(t, "POST", srv.URL+weixintest.PathStableToken+"?appid="+mpAppID, "application/json", `{"grant_type":"client_credential"}`)
	answer("stable_token", r)
	// /cgi-bin/token: 40164 and 45011 injected, 45009 after the daily quota.
	srv.InjectFault(weixintest.PathToken, weixintest.Fault{Errcode: 40164, Times: 1})
	srv.InjectFault(weixintest.PathToken, weixintest.Fault{Errcode: 45011, Times: 1})
	for range weixintest.TokenDailyLimit + 3 {
		r, _ = call(t, "GET", srv.URL+weixintest.PathToken+"?grant_type=client_credential&appid="+mpAppID+"&secret="+mpSecret, "", "")
		answer("token", r)
	}
	// getuserphonenumber: a revoked token, a code of another app.
	tok := stable(t, srv, mpAppID, mpSecret, false)["access_token"].(string)
	r, _ = phone(t, srv, tok, srv.PhoneCode(weixintest.DefaultMPAppID, "u1", "13800138000"))
	answer("phone", r)
	srv.InvalidateAppToken(mpAppID)
	r, _ = phone(t, srv, tok, srv.PhoneCode(mpAppID, "u1", "13800138000"))
	answer("phone", r)
	answer("any", r)

	checked := 0
	for _, s := range f.Samples {
		var kind string
		switch {
		case strings.HasPrefix(s.Endpoint, "any ") || strings.Contains(s.Endpoint, "/cgi-bin/message/template/send"):
			kind = "any" // an API called with a stale app token
		case strings.Contains(s.Endpoint, "/cgi-bin/stable_token") && !strings.Contains(s.Endpoint, "quota/get"):
			kind = "stable_token"
		case strings.Contains(s.Endpoint, "/cgi-bin/token"):
			kind = "token"
		case strings.Contains(s.Endpoint, "getuserphonenumber"):
			kind = "phone"
		default:
			continue
		}
		// Some were printed by PHP or Python: read errcode and errmsg
		// from any of the three forms.
		code, msg := recordedError(s.Body)
		if code == 0 {
			t.Errorf("%s: no errcode in %q", s.Endpoint, s.Body)
			continue
		}
		fake, ok := fakes[kind][code]
		if !ok {
			t.Errorf("%s: the fake never answers %d (%s)", s.Endpoint, code, s.Expect)
			continue
		}
		want, got := normalise(msg), normalise(fake)
		if !strings.HasPrefix(want, got) {
			t.Errorf("%s %d: fake errmsg %q, recorded %q", kind, code, got, want)
		}
		checked++
	}
	if checked != 13 {
		t.Errorf("%d recorded errors checked, want 13", checked)
	}

	// Successes: the documented fields, with their JSON types.
	srv.ClearFaults()
	srv.Advance(24 * time.Hour)
	b, _ := json.Marshal(map[string]any{"grant_type": "client_credential", "appid": mpAppID, "secret": mpSecret, "force_refresh": false})
	r, _ = call(t, "POST", srv.URL+weixintest.PathStableToken, "application/json", string(b))
	if s := shapeOf(t, []byte(r)); strings.Join(s.keys, ",") != "access_token,expires_in" ||
		s.types["access_token"] != "string" || s.types["expires_in"] != "number" {
		t.Errorf("stable_token success: %s", r)
	}
	var st map[string]any
	json.Unmarshal([]byte(r), &st)
	r, _ = phone(t, srv, st["access_token"].(string), srv.PhoneCode(mpAppID, "u1", "13800138000"))
	var ok struct {
		Errcode   *int                       `json:"errcode"`
		Errmsg    string                     `json:"errmsg"`
		PhoneInfo map[string]json.RawMessage `json:"phone_info"`
	}
	json.Unmarshal([]byte(r), &ok)
	if ok.Errcode == nil || *ok.Errcode != 0 || ok.Errmsg != "ok" {
		t.Errorf("phone success: %s", r)
	}
	info := shapeOf(t, mustMarshal(ok.PhoneInfo))
	for k, typ := range map[string]string{"phoneNumber": "string", "purePhoneNumber": "string", "countryCode": "number", "watermark": "object"} {
		if info.types[k] != typ {
			t.Errorf("phone_info.%s is %s, want %s: %s", k, info.types[k], typ, r)
		}
	}
	wm := shapeOf(t, ok.PhoneInfo["watermark"])
	if wm.types["timestamp"] != "number" || wm.types["appid"] != "string" {
		t.Errorf("watermark: %s", r)
	}
}

func mustMarshal(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// recordedError reads errcode and errmsg from a reply printed as JSON, as
// a PHP array, as a Python dict or wrapped by an SDK's error.
func recordedError(body string) (int, string) {
	var m struct {
		Errcode int    `json:"errcode"`
		Errmsg  string `json:"errmsg"`
	}
	if json.Unmarshal([]byte(body), &m) == nil {
		return m.Errcode, m.Errmsg
	}
	php := regexp.MustCompile(`\[errcode\] => (\d+)\s*\[errmsg\] => (.*)`)
	py := regexp.MustCompile(`'errcode': (\d+), 'errmsg': '([^']*)'`)
	sdk := regexp.MustCompile(`errcode=(\d+) , errmsg=(.*)`) // silenceper/wechat's wrapping
	for _, re := range []*regexp.Regexp{php, py, sdk} {
		if s := re.FindStringSubmatch(body); s != nil {
			n := 0
			for _, c := range s[1] {
				n = n*10 + int(c-'0')
			}
			return n, strings.TrimSpace(s[2])
		}
	}
	return 0, ""
}
