package weixintest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wxlogin/wxlogin/weixintest"
)

// recorded is one reply of core/testdata/weixin-samples.json (a
// byte-for-byte copy of the project's recorded WeChat replies, which
// core's tests feed through the client).
type recorded struct {
	Endpoint string `json:"endpoint"`
	Body     string `json:"body"`
}

func loadRecorded(t *testing.T) []recorded {
	t.Helper()
	raw, err := os.ReadFile("../core/testdata/weixin-samples.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Samples []recorded }
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	return f.Samples
}

// shape is a JSON object's field names in order and their JSON types.
type shape struct {
	keys  []string
	types map[string]string
}

func shapeOf(t *testing.T, body []byte) shape {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	s := shape{types: map[string]string{}}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.Token() // {
	for dec.More() {
		k, _ := dec.Token()
		var v json.RawMessage
		dec.Decode(&v)
		s.keys = append(s.keys, k.(string))
		s.types[k.(string)] = jsonType(v)
	}
	return s
}

func jsonType(v json.RawMessage) string {
	switch v[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// rawGet returns the fake's reply body as sent.
func rawGet(t *testing.T, srv *weixintest.Server, path string, params url.Values) []byte {
	t.Helper()
	resp, err := http.Get(srv.URL + path + "?" + params.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("%s: HTTP %d %q, want 200 text/plain", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return body
}

// The recorded forms of errmsg: a message, then a request id in one of
// WeChat's forms.
var errmsgForm = regexp.MustCompile(`^(.+?),? (rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}|hints: \[ req_id: \S+ \]|hint: \[\S+\])$`)

// Each reply of the fake has the field names (in order), JSON types and
// escaping of a recorded real reply of the same call: '/' as '\/', no
// \u003c-style HTML escapes, emoji as \u surrogate pairs, and errmsg in a
// recorded form.
func TestRepliesMatchRecorded(t *testing.T) {
	srv := weixintest.NewServer()
	defer srv.Close()
	snap := srv.AddUser(weixintest.User{Nickname: "快照", Snapshot: true})
	srv.AddUser(weixintest.User{ID: "nounion", Nickname: "a<b>&c", NoUnionID: true})

	rec := map[string][]shape{} // endpoint → recorded success shapes
	errmsgs := map[int][]string{}
	for _, r := range loadRecorded(t) {
		s := shapeOf(t, []byte(r.Body))
		if s.types["errcode"] == "" || r.Endpoint == weixintest.PathAuth {
			rec[r.Endpoint] = append(rec[r.Endpoint], s)
		}
		var e struct {
			Errcode int
			Errmsg  string
		}
		json.Unmarshal([]byte(r.Body), &e)
		if e.Errcode != 0 {
			msg := e.Errmsg
			if m := errmsgForm.FindStringSubmatch(msg); m != nil {
				msg = m[1]
			}
			errmsgs[e.Errcode] = append(errmsgs[e.Errcode], msg)
		}
	}

	// like checks that body has the shape of one recorded reply of
	// endpoint: same names in the same order, same types.
	like := func(name, endpoint string, body []byte) {
		t.Helper()
		got := shapeOf(t, body)
		for _, want := range rec[endpoint] {
			if slices.Equal(got.keys, want.keys) && fmt.Sprint(got.types) == fmt.Sprint(want.types) {
				return
			}
		}
		t.Errorf("%s: fields %v %v match no recorded reply of %s: %v", name, got.keys, got.types, endpoint, rec[endpoint])
	}
	// escaped checks the escaping of body as WeChat's.
	escaped := func(name string, body []byte) {
		t.Helper()
		for i, c := range body {
			if c == '/' && (i == 0 || body[i-1] != '\\') {
				t.Errorf("%s: '/' not escaped as '\\/': %s", name, body)
				break
			}
		}
		for _, html := range []string{`\u003c`, `\u003e`, `\u0026`} {
			if bytes.Contains(body, []byte(html)) {
				t.Errorf("%s: Go's HTML escape %s, WeChat sends the character: %s", name, html, body)
			}
		}
		for s := string(body); s != ""; {
			r, n := utf8.DecodeRuneInString(s)
			if n == 4 {
				t.Errorf("%s: %q sent as UTF-8, WeChat sends \\u surrogate pairs: %s", name, r, body)
				break
			}
			s = s[n:]
		}
		if bytes.HasSuffix(body, []byte("\n")) {
			t.Errorf("%s: trailing newline", name)
		}
	}
	call := func(name, path string, params url.Values) []byte {
		t.Helper()
		body := rawGet(t, srv, path, params)
		escaped(name, body)
		return body
	}
	exchangeBody := func(name, appID, secret, user, scope string) []byte {
		return call(name, weixintest.PathAccessToken, url.Values{"appid": {appID}, "secret": {secret},
			"code": {srv.NewCode(appID, user, scope)}, "grant_type": {"authorization_code"}})
	}
	var tok struct{ AccessToken, RefreshToken, OpenID string }
	decodeTok := func(body []byte) {
		var m map[string]any
		json.Unmarshal(body, &m)
		tok.AccessToken, _ = m["access_token"].(string)
		tok.RefreshToken, _ = m["refresh_token"].(string)
		tok.OpenID, _ = m["openid"].(string)
	}

	// The code exchange: website with and without unionid, official
	// account, snapshot visitor.
	body := exchangeBody("exchange", weixintest.DefaultAppID, weixintest.DefaultAppSecret, "u2", "snsapi_login")
	like("exchange", weixintest.PathAccessToken, body)
	decodeTok(body)
	like("exchange without unionid", weixintest.PathAccessToken,
		exchangeBody("exchange without unionid", weixintest.DefaultAppID, weixintest.DefaultAppSecret, "nounion", "snsapi_login"))
	like("official account", weixintest.PathAccessToken,
		exchangeBody("official account", weixintest.DefaultMPAppID, weixintest.DefaultMPAppSecret, "u1", "snsapi_userinfo"))
	snapBody := exchangeBody("snapshot", weixintest.DefaultMPAppID, weixintest.DefaultMPAppSecret, snap.ID, "snsapi_userinfo")
	like("snapshot", weixintest.PathAccessToken, snapBody)
	if !bytes.Contains(snapBody, []byte(`"access_token":"",`)) || !bytes.Contains(snapBody, []byte(`"is_snapshotuser":1}`)) {
		t.Errorf("snapshot reply %s", snapBody)
	}

	// userinfo, with an emoji nickname and an avatar URL.
	u2 := call("userinfo", weixintest.PathUserInfo, url.Values{"access_token": {tok.AccessToken}, "openid": {tok.OpenID}, "lang": {"zh_CN"}})
	like("userinfo", weixintest.PathUserInfo, u2)
	for _, want := range []string{`"nickname":"Lily \ud83c\udf38✨"`, `"headimgurl":"http:\/\/thirdwx.qlogo.cn\/mmopen\/vi_32\/`} {
		if !bytes.Contains(u2, []byte(want)) {
			t.Errorf("userinfo lacks %s: %s", want, u2)
		}
	}
	var decoded struct{ Nickname string }
	json.Unmarshal(u2, &decoded)
	if decoded.Nickname != "Lily 🌸✨" {
		t.Errorf("nickname decodes to %q", decoded.Nickname)
	}
	noUnion := exchangeBody("", weixintest.DefaultAppID, weixintest.DefaultAppSecret, "nounion", "snsapi_login")
	decodeTok(noUnion)
	body = call("userinfo without unionid", weixintest.PathUserInfo, url.Values{"access_token": {tok.AccessToken}, "openid": {tok.OpenID}})
	like("userinfo without unionid", weixintest.PathUserInfo, body)
	if !bytes.Contains(body, []byte(`"nickname":"a<b>&c"`)) {
		t.Errorf("'<' and '&' not sent as they are: %s", body)
	}

	// refresh and auth.
	like("refresh", weixintest.PathRefreshToken, call("refresh", weixintest.PathRefreshToken, url.Values{
		"appid": {weixintest.DefaultAppID}, "grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}))
	like("auth", weixintest.PathAuth, call("auth", weixintest.PathAuth, url.Values{"access_token": {tok.AccessToken}, "openid": {tok.OpenID}}))

	// Errors: {"errcode","errmsg"}, errmsg as recorded for that errcode
	// with a request id in a recorded form.
	for _, tt := range []struct {
		name, path string
		params     url.Values
		errcode    int
	}{
		{"invalid code", weixintest.PathAccessToken, url.Values{"appid": {weixintest.DefaultAppID}, "secret": {weixintest.DefaultAppSecret}, "code": {"nope"}, "grant_type": {"authorization_code"}}, 40029},
		{"bad secret", weixintest.PathAccessToken, url.Values{"appid": {weixintest.DefaultAppID}, "secret": {"nope"}, "code": {"x"}, "grant_type": {"authorization_code"}}, 40125},
		{"bad refresh token", weixintest.PathRefreshToken, url.Values{"appid": {weixintest.DefaultAppID}, "grant_type": {"refresh_token"}, "refresh_token": {"nope"}}, 40030},
		{"bad openid", weixintest.PathAuth, url.Values{"access_token": {tok.AccessToken}, "openid": {"o-other"}}, 40003},
	} {
		body := call(tt.name, tt.path, tt.params)
		got := shapeOf(t, body)
		var e struct {
			Errcode int
			Errmsg  string
		}
		json.Unmarshal(body, &e)
		if !slices.Equal(got.keys, []string{"errcode", "errmsg"}) || got.types["errcode"] != "number" || e.Errcode != tt.errcode {
			t.Errorf("%s: %s", tt.name, body)
			continue
		}
		m := errmsgForm.FindStringSubmatch(e.Errmsg)
		if m == nil {
			t.Errorf("%s: errmsg %q in no recorded form", tt.name, e.Errmsg)
			continue
		}
		if want := errmsgs[tt.errcode]; len(want) > 0 && !slices.Contains(want, m[1]) {
			t.Errorf("%s: errmsg %q, recorded %q", tt.name, m[1], want)
		}
	}
	// A code used twice: WeChat's 40163 message.
	code := srv.NewCode(weixintest.DefaultAppID, "u1", "snsapi_login")
	params := url.Values{"appid": {weixintest.DefaultAppID}, "secret": {weixintest.DefaultAppSecret}, "code": {code}, "grant_type": {"authorization_code"}}
	rawGet(t, srv, weixintest.PathAccessToken, params)
	if body := call("code used", weixintest.PathAccessToken, params); !strings.HasPrefix(string(body), `{"errcode":40163,"errmsg":"code been used, rid: `) {
		t.Errorf("code used: %s", body)
	}
}
