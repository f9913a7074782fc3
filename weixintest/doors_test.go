package weixintest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/wxlogin/wxlogin/weixintest"
)

// loadDoors returns the recorded replies of the mini program's and the
// mobile app's code exchanges in core/testdata/weixin-samples-doors.json
// (a copy of the project's recorded replies of the other doors). The
// app-token and phone entries are left to their own tests.
func loadDoors(t *testing.T) (code2session, accessToken []recorded) {
	t.Helper()
	raw, err := os.ReadFile("../core/testdata/weixin-samples-doors.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Samples []recorded }
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	for _, r := range f.Samples {
		switch {
		case strings.Contains(r.Endpoint, weixintest.PathJSCode2Session):
			code2session = append(code2session, r)
		case strings.Contains(r.Endpoint, weixintest.PathAccessToken):
			accessToken = append(accessToken, r)
		}
	}
	if len(code2session) != 9 || len(accessToken) != 7 {
		t.Fatalf("%d jscode2session and %d access_token samples, want 9 and 7", len(code2session), len(accessToken))
	}
	return code2session, accessToken
}

// errmsgsOf returns the recorded errmsg (without its request id) of each
// errcode among recs, skipping bodies that are not JSON (some were posted
// through a language's printer).
func errmsgsOf(recs []recorded) map[int][]string {
	out := map[int][]string{}
	for _, r := range recs {
		var e struct {
			Errcode int
			Errmsg  string
		}
		if json.Unmarshal([]byte(r.Body), &e) != nil || e.Errcode == 0 {
			continue
		}
		msg := e.Errmsg
		if m := errmsgForm.FindStringSubmatch(msg); m != nil {
			msg = m[1]
		}
		out[e.Errcode] = append(out[e.Errcode], msg)
	}
	return out
}

// The mini program's /sns/jscode2session and the mobile app's code
// exchange answer as the recorded replies: HTTP 200 text/plain, the
// field names in order and their JSON types of a recorded success (no
// errcode), the recorded errmsg of each errcode (40029, 40163, 40226,
// 45011, -1, 40013, 40125) in a recorded request-id form.
func TestDoorRepliesMatchRecorded(t *testing.T) {
	srv := weixintest.NewServer()
	defer srv.Close()
	blocked := srv.AddUser(weixintest.User{Nickname: "风控", Blocked: true})
	srv.AddUser(weixintest.User{ID: "nounion", Nickname: "n", NoUnionID: true})
	c2s, at := loadDoors(t)

	var c2sShapes, atShapes []shape
	for _, r := range c2s {
		var m map[string]any
		if json.Unmarshal([]byte(r.Body), &m) == nil && m["errcode"] == nil {
			c2sShapes = append(c2sShapes, shapeOf(t, []byte(r.Body)))
		}
	}
	for _, r := range at {
		var m map[string]any
		if json.Unmarshal([]byte(r.Body), &m) == nil && m["errcode"] == nil {
			atShapes = append(atShapes, shapeOf(t, []byte(r.Body)))
		}
	}
	if len(c2sShapes) != 2 || len(atShapes) != 2 {
		t.Fatalf("%d and %d recorded successes", len(c2sShapes), len(atShapes))
	}
	like := func(name string, body []byte, recs []shape) {
		t.Helper()
		got := shapeOf(t, body)
		for _, want := range recs {
			if slices.Equal(got.keys, want.keys) && fmt.Sprint(got.types) == fmt.Sprint(want.types) {
				return
			}
		}
		t.Errorf("%s: fields %v %v match no recorded reply: %v", name, got.keys, got.types, recs)
	}
	c2sParams := func(appID, secret, code string) url.Values {
		return url.Values{"appid": {appID}, "secret": {secret}, "js_code": {code}, "grant_type": {"authorization_code"}}
	}
	mp, mpSecret := weixintest.DefaultMiniProgramAppID, weixintest.DefaultMiniProgramSecret

	// Successes, with and without unionid (a user without one, an app
	// not bound to the open platform).
	body := rawGet(t, srv, weixintest.PathJSCode2Session, c2sParams(mp, mpSecret, srv.MiniProgramCode(mp, "u1")))
	like("jscode2session", body, c2sShapes)
	var ok struct {
		SessionKey, OpenID, UnionID string
	}
	json.Unmarshal(body, &struct {
		SessionKey *string `json:"session_key"`
		OpenID     *string `json:"openid"`
		UnionID    *string `json:"unionid"`
	}{&ok.SessionKey, &ok.OpenID, &ok.UnionID})
	if ok.OpenID != srv.OpenID(mp, "u1") || ok.UnionID == "" || len(ok.SessionKey) != 24 {
		t.Errorf("jscode2session: %s", body)
	}
	if ok.OpenID == srv.OpenID(weixintest.DefaultAppID, "u1") {
		t.Error("the mini program's openid is the website's")
	}
	like("jscode2session without unionid", rawGet(t, srv, weixintest.PathJSCode2Session,
		c2sParams(mp, mpSecret, srv.MiniProgramCode(mp, "nounion"))), c2sShapes)
	srv.AddApp(weixintest.App{AppID: "wxunboundmp0000001", Secret: "s", Kind: weixintest.MiniProgram, Unbound: true})
	body = rawGet(t, srv, weixintest.PathJSCode2Session, c2sParams("wxunboundmp0000001", "s", srv.MiniProgramCode("wxunboundmp0000001", "u1")))
	like("jscode2session of an unbound app", body, c2sShapes)
	if strings.Contains(string(body), "unionid") {
		t.Errorf("an unbound mini program gave a unionid: %s", body)
	}
	srv.BindApp("wxunboundmp0000001")
	body = rawGet(t, srv, weixintest.PathJSCode2Session, c2sParams("wxunboundmp0000001", "s", srv.MiniProgramCode("wxunboundmp0000001", "u1")))
	if !strings.Contains(string(body), `"unionid":"`+ok.UnionID+`"`) {
		t.Errorf("a bound mini program gave no unionid, or another: %s", body)
	}

	// The mobile app's exchange: the recorded shape, scope
	// snsapi_userinfo, the person's unionid; its /sns/userinfo too.
	app, appSecret := weixintest.DefaultMobileAppID, weixintest.DefaultMobileAppSecret
	body = rawGet(t, srv, weixintest.PathAccessToken, url.Values{"appid": {app}, "secret": {appSecret},
		"code": {srv.SendAuthCode(app, "u1")}, "grant_type": {"authorization_code"}})
	like("mobile app exchange", body, atShapes)
	var tok struct {
		AccessToken string `json:"access_token"`
		OpenID      string `json:"openid"`
		Scope       string `json:"scope"`
		UnionID     string `json:"unionid"`
	}
	json.Unmarshal(body, &tok)
	if tok.Scope != "snsapi_userinfo" || tok.UnionID != ok.UnionID || tok.OpenID != srv.OpenID(app, "u1") {
		t.Errorf("mobile app exchange: %s", body)
	}
	info := rawGet(t, srv, weixintest.PathUserInfo, url.Values{"access_token": {tok.AccessToken}, "openid": {tok.OpenID}})
	if !strings.Contains(string(info), `"unionid":"`+ok.UnionID+`"`) {
		t.Errorf("mobile app userinfo: %s", info)
	}

	// Errors, each with a recorded errmsg in a recorded form.
	recorded := errmsgsOf(append(slices.Clone(c2s), at...))
	used := srv.MiniProgramCode(mp, "u2")
	rawGet(t, srv, weixintest.PathJSCode2Session, c2sParams(mp, mpSecret, used))
	srv.InjectFault(weixintest.PathJSCode2Session, weixintest.Fault{Errcode: 45011, Times: 1})
	srv.InjectFault(weixintest.PathJSCode2Session, weixintest.Fault{Errcode: -1, Times: 1})
	for _, tt := range []struct {
		name    string
		path    string
		params  url.Values
		errcode int
	}{
		{"quota", weixintest.PathJSCode2Session, c2sParams(mp, mpSecret, "x"), 45011},
		{"busy", weixintest.PathJSCode2Session, c2sParams(mp, mpSecret, "x"), -1},
		{"invalid code", weixintest.PathJSCode2Session, c2sParams(mp, mpSecret, "nope"), 40029},
		{"another app's code", weixintest.PathJSCode2Session, c2sParams(mp, mpSecret, srv.SendAuthCode(app, "u1")), 40029},
		{"used code", weixintest.PathJSCode2Session, c2sParams(mp, mpSecret, used), 40163},
		{"blocked user", weixintest.PathJSCode2Session, c2sParams(mp, mpSecret, srv.MiniProgramCode(mp, blocked.ID)), 40226},
		{"bad appid", weixintest.PathJSCode2Session, c2sParams("wxnope", mpSecret, "x"), 40013},
		{"website appid", weixintest.PathJSCode2Session, c2sParams(weixintest.DefaultAppID, weixintest.DefaultAppSecret, "x"), 40013},
		{"bad secret", weixintest.PathJSCode2Session, c2sParams(mp, "nope", "x"), 40125},
		{"mini program at access_token", weixintest.PathAccessToken, url.Values{"appid": {mp}, "secret": {mpSecret},
			"code": {srv.MiniProgramCode(mp, "u1")}, "grant_type": {"authorization_code"}}, 40013},
		{"mobile app: invalid code", weixintest.PathAccessToken, url.Values{"appid": {app}, "secret": {appSecret},
			"code": {"nope"}, "grant_type": {"authorization_code"}}, 40029},
	} {
		body := rawGet(t, srv, tt.path, tt.params)
		got := shapeOf(t, body)
		var e struct {
			Errcode int
			Errmsg  string
		}
		json.Unmarshal(body, &e)
		if !slices.Equal(got.keys, []string{"errcode", "errmsg"}) || got.types["errcode"] != "number" || e.Errcode != tt.errcode {
			t.Errorf("%s: %s, want errcode %d", tt.name, body, tt.errcode)
			continue
		}
		m := errmsgForm.FindStringSubmatch(e.Errmsg)
		if m == nil {
			t.Errorf("%s: errmsg %q in no recorded form", tt.name, e.Errmsg)
			continue
		}
		if want := recorded[tt.errcode]; len(want) > 0 && !slices.Contains(want, m[1]) {
			t.Errorf("%s: errmsg %q, recorded %q", tt.name, m[1], want)
		}
	}
	for _, code := range []int{40029, 45011, 40226, -1, 40013, 40163} {
		if len(recorded[code]) == 0 && code != 40163 { // 40163's jscode2session body is not JSON
			t.Errorf("no recorded errmsg of %d: the test checks nothing for it", code)
		}
	}
}

// PathDevCode hands out a code of the mini program or the mobile app for
// a user, which the app exchanges as a phone's.
func TestDevCode(t *testing.T) {
	srv := weixintest.NewServer()
	defer srv.Close()
	for _, tt := range []struct {
		appID, path, param string
	}{
		{weixintest.DefaultMiniProgramAppID, weixintest.PathJSCode2Session, "js_code"},
		{weixintest.DefaultMobileAppID, weixintest.PathAccessToken, "code"},
	} {
		resp, err := http.Get(srv.DevCodeURL(tt.appID, "u2"))
		if err != nil {
			t.Fatal(err)
		}
		var got struct{ Code, AppID, User string }
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err := json.Unmarshal(b, &got); err != nil || got.Code == "" || got.User != "u2" {
			t.Fatalf("%s: %d %s", tt.appID, resp.StatusCode, b)
		}
		secret := weixintest.DefaultMiniProgramSecret
		if tt.appID == weixintest.DefaultMobileAppID {
			secret = weixintest.DefaultMobileAppSecret
		}
		body := rawGet(t, srv, tt.path, url.Values{"appid": {tt.appID}, "secret": {secret}, tt.param: {got.Code}, "grant_type": {"authorization_code"}})
		if !strings.Contains(string(body), `"openid":"`+srv.OpenID(tt.appID, "u2")+`"`) {
			t.Errorf("%s: the code exchanges to %s", tt.appID, body)
		}
	}
	resp, err := http.Get(srv.DevCodeURL(weixintest.DefaultAppID, "u1"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a website's code: %d, want 400", resp.StatusCode)
	}
}
