package weixintest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/weixintest"
)

// get calls path on srv with params and decodes the JSON reply.
func get(t *testing.T, srv *weixintest.Server, path string, params url.Values) map[string]any {
	t.Helper()
	resp, err := http.Get(srv.URL + path + "?" + params.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: HTTP %d", path, resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain" {
		t.Errorf("%s: Content-Type %q, want text/plain as WeChat", path, ct)
	}
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

func errcode(m map[string]any) int {
	n, _ := m["errcode"].(float64)
	return int(n)
}

func exchange(t *testing.T, srv *weixintest.Server, appID, secret, code string) map[string]any {
	t.Helper()
	return get(t, srv, weixintest.PathAccessToken, url.Values{
		"appid": {appID}, "secret": {secret}, "code": {code}, "grant_type": {"authorization_code"}})
}

func TestExchange(t *testing.T) {
	srv := weixintest.NewServer()
	defer srv.Close()
	code := srv.NewCode(weixintest.DefaultAppID, "u1", "snsapi_login")
	tests := []struct {
		name          string
		appid, secret string
		code          string
		want          int
	}{
		{"unknown appid", "wxnope", weixintest.DefaultAppSecret, code, 40013},
		{"wrong secret", weixintest.DefaultAppID, "nope", code, 40125},
		{"missing code", weixintest.DefaultAppID, weixintest.DefaultAppSecret, "", 41008},
		{"unknown code", weixintest.DefaultAppID, weixintest.DefaultAppSecret, "nope", 40029},
		{"code of another app", weixintest.DefaultMPAppID, weixintest.DefaultMPAppSecret, code, 40029},
		{"success", weixintest.DefaultAppID, weixintest.DefaultAppSecret, code, 0},
		{"code used", weixintest.DefaultAppID, weixintest.DefaultAppSecret, code, 40163},
	}
	for _, tt := range tests {
		got := exchange(t, srv, tt.appid, tt.secret, tt.code)
		if errcode(got) != tt.want {
			t.Errorf("%s: %v, want errcode %d", tt.name, got, tt.want)
		}
		if tt.want != 0 {
			if msg, _ := got["errmsg"].(string); msg == "" {
				t.Errorf("%s: no errmsg", tt.name)
			}
			continue
		}
		if got["openid"] != srv.OpenID(weixintest.DefaultAppID, "u1") || got["scope"] != "snsapi_login" ||
			got["expires_in"] != float64(7200) || got["unionid"] != srv.Users()[0].UnionID ||
			len(got["access_token"].(string)) < 80 || len(got["refresh_token"].(string)) < 80 {
			t.Errorf("reply = %v", got)
		}
		if _, ok := got["is_snapshotuser"]; ok {
			t.Error("is_snapshotuser on a website reply")
		}
	}
	if r := get(t, srv, weixintest.PathAccessToken, url.Values{"appid": {weixintest.DefaultAppID},
		"secret": {weixintest.DefaultAppSecret}, "code": {"x"}, "grant_type": {"client_credentials"}}); errcode(r) != 40002 {
		t.Errorf("wrong grant_type: %v", r)
	}
	stale := srv.NewCode(weixintest.DefaultAppID, "u1", "snsapi_login")
	srv.Advance(10*time.Minute + time.Second)
	if r := exchange(t, srv, weixintest.DefaultAppID, weixintest.DefaultAppSecret, stale); errcode(r) != 42003 {
		t.Errorf("expired code: %v", r)
	}
}

func TestOfficialAccountReplies(t *testing.T) {
	srv := weixintest.NewServer()
	defer srv.Close()
	snap := srv.AddUser(weixintest.User{Nickname: "snap", Snapshot: true})
	none := srv.AddUser(weixintest.User{Nickname: "no union", NoUnionID: true})
	for _, tt := range []struct {
		user, scope string
		unionid     bool
		snapshot    float64
	}{
		{"u1", "snsapi_userinfo", true, 0},
		{"u1", "snsapi_base", false, 0},
		{snap.ID, "snsapi_base", false, 1},
		{snap.ID, "snsapi_userinfo", true, 1},
		{none.ID, "snsapi_userinfo", false, 0},
	} {
		r := exchange(t, srv, weixintest.DefaultMPAppID, weixintest.DefaultMPAppSecret,
			srv.NewCode(weixintest.DefaultMPAppID, tt.user, tt.scope))
		flag, has := r["is_snapshotuser"]
		if _, union := r["unionid"]; union != tt.unionid || has != (tt.snapshot == 1) || (has && flag != tt.snapshot) {
			t.Errorf("%s %s: %v", tt.user, tt.scope, r)
		}
		// A snapshot visitor's tokens are blank, as in WeChat's recorded reply.
		if blank := r["access_token"] == "" && r["refresh_token"] == ""; blank != has {
			t.Errorf("%s %s: tokens %q %q", tt.user, tt.scope, r["access_token"], r["refresh_token"])
		}
	}
	srv.SetCodeTTL(0)
	code := srv.NewCode(weixintest.DefaultMPAppID, "u1", "snsapi_base")
	srv.Advance(5*time.Minute + time.Second)
	if r := exchange(t, srv, weixintest.DefaultMPAppID, weixintest.DefaultMPAppSecret, code); errcode(r) != 42003 {
		t.Errorf("an official account's code lives 5 minutes: %v", r)
	}
}

func TestTokensAndRefresh(t *testing.T) {
	srv := weixintest.NewServer()
	defer srv.Close()
	tok := exchange(t, srv, weixintest.DefaultAppID, weixintest.DefaultAppSecret, srv.NewCode(weixintest.DefaultAppID, "u2", "snsapi_login"))
	at, rt, openid := tok["access_token"].(string), tok["refresh_token"].(string), tok["openid"].(string)
	auth := func(token, openid string) int {
		return errcode(get(t, srv, weixintest.PathAuth, url.Values{"access_token": {token}, "openid": {openid}}))
	}
	refresh := func(appid, rt string) map[string]any {
		return get(t, srv, weixintest.PathRefreshToken, url.Values{"appid": {appid}, "grant_type": {"refresh_token"}, "refresh_token": {rt}})
	}
	if got := get(t, srv, weixintest.PathAuth, url.Values{"access_token": {at}, "openid": {openid}}); got["errmsg"] != "ok" || errcode(got) != 0 {
		t.Errorf("auth: %v", got)
	}
	if c := auth("nope", openid); c != 40014 {
		t.Errorf("unknown token: %d", c)
	}
	if c := auth(at, "o-someone-else"); c != 40003 {
		t.Errorf("other openid: %d", c)
	}
	// A refresh while the token is valid extends the same token.
	if r := refresh(weixintest.DefaultAppID, rt); r["access_token"] != at || r["refresh_token"] != rt {
		t.Errorf("refresh of a valid token: %v", r)
	}
	srv.Advance(2*time.Hour + time.Second)
	if c := auth(at, openid); c != 42001 {
		t.Errorf("expired token: %d", c)
	}
	r := refresh(weixintest.DefaultAppID, rt)
	if r["access_token"] == at || r["refresh_token"] != rt || r["openid"] != openid {
		t.Errorf("refresh of an expired token: %v", r)
	}
	if c := auth(r["access_token"].(string), openid); c != 0 {
		t.Errorf("new token: %d", c)
	}
	if c := auth(at, openid); c != 40014 {
		t.Errorf("replaced token: %d", c)
	}
	if r := refresh(weixintest.DefaultMPAppID, rt); errcode(r) != 40030 {
		t.Errorf("refresh token of another app: %v", r)
	}
	if r := refresh("wxnope", rt); errcode(r) != 40013 {
		t.Errorf("unknown appid: %v", r)
	}
	if r := refresh(weixintest.DefaultAppID, "nope"); errcode(r) != 40030 {
		t.Errorf("unknown refresh token: %v", r)
	}
	srv.ExpireAccessTokens()
	if c := auth(r["access_token"].(string), openid); c != 42001 {
		t.Errorf("after ExpireAccessTokens: %d", c)
	}
	// 30 days after the login, refreshing in between did not extend it.
	srv.Advance(30 * 24 * time.Hour)
	if r := refresh(weixintest.DefaultAppID, rt); errcode(r) != 42002 {
		t.Errorf("refresh after 30 days: %v", r)
	}
	srv.SetAccessTokenTTL(time.Minute)
	short := exchange(t, srv, weixintest.DefaultAppID, weixintest.DefaultAppSecret, srv.NewCode(weixintest.DefaultAppID, "u1", "snsapi_login"))
	if short["expires_in"] != float64(60) {
		t.Errorf("SetAccessTokenTTL: %v", short)
	}
}

func TestUserInfo(t *testing.T) {
	srv := weixintest.NewServer()
	defer srv.Close()
	userinfo := func(at, openid, lang string) map[string]any {
		return get(t, srv, weixintest.PathUserInfo, url.Values{"access_token": {at}, "openid": {openid}, "lang": {lang}})
	}
	tok := exchange(t, srv, weixintest.DefaultAppID, weixintest.DefaultAppSecret, srv.NewCode(weixintest.DefaultAppID, "u2", "snsapi_login"))
	at, openid := tok["access_token"].(string), tok["openid"].(string)
	u := userinfo(at, openid, "zh_CN")
	if u["nickname"] != "Lily 🌸✨" || u["openid"] != openid || u["sex"] != float64(2) || u["unionid"] != srv.Users()[1].UnionID {
		t.Errorf("userinfo = %v", u)
	}
	if p, ok := u["privilege"].([]any); !ok || len(p) != 0 {
		t.Errorf("privilege = %#v, want []", u["privilege"])
	}
	for _, tt := range []struct {
		at, openid, lang string
		want             int
	}{
		{"nope", openid, "", 40014},
		{at, "o-other", "", 40003},
		{at, openid, "fr", 0}, // WeChat answers an unknown lang in its default
	} {
		if got := userinfo(tt.at, tt.openid, tt.lang); errcode(got) != tt.want {
			t.Errorf("%v: %v, want %d", tt, got, tt.want)
		}
	}
	// The region in lang, as WeChat localises it; without lang (or with
	// one WeChat does not know), English names and the ISO country code.
	for lang, want := range map[string][2]string{
		"zh_CN": {"上海", "中国"}, "zh_TW": {"上海", "中國"}, "en": {"Shanghai", "China"}, "": {"Shanghai", "CN"}, "fr": {"Shanghai", "CN"},
	} {
		if got := userinfo(at, openid, lang); got["province"] != want[0] || got["country"] != want[1] {
			t.Errorf("lang %q: province %v, country %v; want %v", lang, got["province"], got["country"], want)
		}
	}
	base := exchange(t, srv, weixintest.DefaultMPAppID, weixintest.DefaultMPAppSecret, srv.NewCode(weixintest.DefaultMPAppID, "u1", "snsapi_base"))
	if got := userinfo(base["access_token"].(string), base["openid"].(string), ""); errcode(got) != 48001 {
		t.Errorf("userinfo under snsapi_base: %v", got)
	}
	srv.Advance(3 * time.Hour)
	if got := userinfo(at, openid, ""); errcode(got) != 42001 {
		t.Errorf("expired: %v", got)
	}
	avatar := u["headimgurl"].(string)
	if avatar != weixintest.AvatarURL("u2") || !strings.HasPrefix(avatar, "http://thirdwx.qlogo.cn/mmopen/vi_32/") || !strings.HasSuffix(avatar, "/132") {
		t.Errorf("avatar %q is not shaped as WeChat's", avatar)
	}
	if local := srv.LocalAvatarURL("https" + strings.TrimPrefix(avatar, "http")); local != srv.URL+strings.TrimPrefix(avatar, "http://thirdwx.qlogo.cn") {
		t.Errorf("local avatar %q", local)
	}
	if other := "https://thirdwx.qlogo.cn/mmopen/vi_32/someoneelse/132"; srv.LocalAvatarURL(other) != other {
		t.Error("an avatar that is not the fake's was mapped")
	}
	resp, err := http.Get(srv.LocalAvatarURL(avatar))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(string(body), "<svg") {
		t.Errorf("avatar: %s %s", resp.Header.Get("Content-Type"), body)
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name   string
		fault  weixintest.Fault
		check  func(resp *http.Response, body string) bool
		status int
	}{
		{"status", weixintest.Fault{Status: 503, Times: 1}, func(r *http.Response, b string) bool { return r.StatusCode == 503 }, 503},
		{"malformed", weixintest.Fault{Malformed: true, Times: 1}, func(r *http.Response, b string) bool {
			return r.StatusCode == 200 && !json.Valid([]byte(b))
		}, 200},
		{"huge body", weixintest.Fault{BodySize: 3 << 20, Times: 1}, func(r *http.Response, b string) bool {
			return r.StatusCode == 200 && len(b) >= 3<<20-64 && json.Valid([]byte(b))
		}, 200},
		{"errcode", weixintest.Fault{Errcode: -1, Times: 1}, func(r *http.Response, b string) bool {
			return r.StatusCode == 200 && strings.Contains(b, `"errcode":-1`) && r.Header.Get("Content-Type") == "text/plain"
		}, 200},
		{"delay", weixintest.Fault{Delay: 50 * time.Millisecond, Times: 1}, func(r *http.Response, b string) bool {
			return r.StatusCode == 200 && strings.Contains(b, `"errcode":40014`)
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := weixintest.NewServer()
			defer srv.Close()
			srv.InjectFault(weixintest.PathAuth, tt.fault)
			start := time.Now()
			for i := range 2 {
				resp, err := http.Get(srv.URL + weixintest.PathAuth + "?access_token=x&openid=y")
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				faulted := tt.check(resp, string(body))
				if i == 0 && !faulted {
					t.Errorf("first call not faulted: %d %.200s", resp.StatusCode, body)
				}
				if i == 1 && (resp.StatusCode != 200 || !strings.Contains(string(body), `"errcode":40014`)) {
					t.Errorf("Times: 1 faulted the second call too: %d %.200s", resp.StatusCode, body)
				}
			}
			if tt.fault.Delay > 0 && time.Since(start) < tt.fault.Delay {
				t.Error("no delay")
			}
			if n := srv.Calls(weixintest.PathAuth); n != 2 {
				t.Errorf("Calls = %d, want 2", n)
			}
			if log := srv.Log(); len(log) != 2 || log[0].Status != tt.status || log[0].Path != weixintest.PathAuth || log[0].Query.Get("openid") != "y" {
				t.Errorf("Log = %+v", log)
			}
		})
	}
}

func TestFaultsQueueAndPersist(t *testing.T) {
	srv := weixintest.NewServer()
	defer srv.Close()
	srv.InjectFault(weixintest.PathAuth, weixintest.Fault{Errcode: 45011, Times: 1})
	srv.InjectFault(weixintest.PathAuth, weixintest.Fault{Errcode: -1})
	var got []int
	for range 4 {
		got = append(got, errcode(get(t, srv, weixintest.PathAuth, url.Values{"access_token": {"x"}, "openid": {"y"}})))
	}
	if fmt.Sprint(got) != "[45011 -1 -1 -1]" {
		t.Errorf("errcodes %v", got)
	}
	srv.ClearFaults()
	if c := errcode(get(t, srv, weixintest.PathAuth, url.Values{"access_token": {"x"}, "openid": {"y"}})); c != 40014 {
		t.Errorf("after ClearFaults: %d", c)
	}
	if srv.Calls(weixintest.PathUserInfo) != 0 || srv.Calls(weixintest.PathAuth) != 5 {
		t.Error("calls counted on the wrong path")
	}
	srv.ResetLog()
	if srv.Calls(weixintest.PathAuth) != 0 || len(srv.Log()) != 0 {
		t.Error("ResetLog kept something")
	}
}

func TestDelayHonoursCancellation(t *testing.T) {
	srv := weixintest.NewServer()
	defer srv.Close()
	srv.InjectFault(weixintest.PathAuth, weixintest.Fault{Delay: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+weixintest.PathAuth, nil)
	start := time.Now()
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("a one-minute delay answered")
	}
	done := make(chan struct{})
	go func() { srv.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waits for the delayed handler")
	}
	if time.Since(start) > 5*time.Second {
		t.Error("too slow")
	}
}

func TestAuthorizeStrictness(t *testing.T) {
	srv := weixintest.NewServer()
	defer srv.Close()
	srv.AddApp(weixintest.App{AppID: "wxdomain", Secret: "s", Kind: weixintest.Website, CallbackDomain: "www.example.com"})
	cb := url.QueryEscape("https://app.example/cb?x=1")
	good := srv.URL + "/connect/qrconnect?appid=" + weixintest.DefaultAppID + "&redirect_uri=" + cb + "&response_type=code&scope=snsapi_login&state=abc123#wechat_redirect"
	u, err := srv.Authorize(good, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if u.Host != "app.example" || u.Query().Get("x") != "1" || u.Query().Get("state") != "abc123" || u.Query().Get("code") == "" {
		t.Errorf("callback = %s", u)
	}
	// WeChat appends code and state after the app's own query, which
	// stays as it was, in its order.
	zcb := url.QueryEscape("https://app.example/cb?z=2&a=1")
	if u, err := srv.Authorize(strings.Replace(good, cb, zcb, 1), "u1"); err != nil ||
		!strings.HasPrefix(u.RawQuery, "z=2&a=1&code=") || !strings.HasSuffix(u.RawQuery, "&state=abc123") {
		t.Errorf("callback query %v, %v: want z=2&a=1&code=…&state=abc123", u, err)
	}
	// The QR page's URL works without #wechat_redirect (no browser sends
	// fragments); the official account's needs it.
	if _, err := srv.Authorize(strings.TrimSuffix(good, "#wechat_redirect"), "u1"); err != nil {
		t.Errorf("qrconnect without #wechat_redirect: %v", err)
	}
	d, err := srv.Decline(good)
	if err != nil || d.Query().Get("code") != "" || d.Query().Get("state") != "abc123" {
		t.Errorf("decline = %v, %v", d, err)
	}
	for name, bad := range map[string]string{
		"order":            srv.URL + "/connect/qrconnect?redirect_uri=" + cb + "&appid=" + weixintest.DefaultAppID + "&response_type=code&scope=snsapi_login&state=abc#wechat_redirect",
		"missing state":    srv.URL + "/connect/qrconnect?appid=" + weixintest.DefaultAppID + "&redirect_uri=" + cb + "&response_type=code&scope=snsapi_login#wechat_redirect",
		"state control":    strings.Replace(good, "state=abc123", "state=abc%0A123", 1),
		"state 129 bytes":  strings.Replace(good, "state=abc123", "state="+strings.Repeat("a", 129), 1),
		"scope for page":   strings.Replace(good, "scope=snsapi_login", "scope=snsapi_userinfo", 1),
		"official account": strings.Replace(good, weixintest.DefaultAppID, weixintest.DefaultMPAppID, 1),
		"wrong page":       strings.Replace(good, "/connect/qrconnect", "/connect/oauth2/authorize", 1),
		"unknown appid":    strings.Replace(good, weixintest.DefaultAppID, "wxnope", 1),
		"response_type":    strings.Replace(good, "response_type=code", "response_type=token", 1),
		"domain mismatch": srv.URL + "/connect/qrconnect?appid=wxdomain&redirect_uri=" + url.QueryEscape("https://example.com/cb") +
			"&response_type=code&scope=snsapi_login&state=abc#wechat_redirect",
		"relative redirect": strings.Replace(good, cb, url.QueryEscape("/cb"), 1),
		"extra parameter":   strings.Replace(good, "#wechat_redirect", "&foo=1#wechat_redirect", 1),
	} {
		if _, err := srv.Authorize(bad, "u1"); err == nil {
			t.Errorf("%s: Authorize accepted %s", name, bad)
		}
	}
	// Website logins take UUID states; the official account's page only [A-Za-z0-9].
	uuidState := "3f2b6c1e-8d4a-4b7e-9c21-5a6f0e7d8b90"
	if u, err := srv.Authorize(strings.Replace(good, "state=abc123", "state="+uuidState, 1), "u1"); err != nil || u.Query().Get("state") != uuidState {
		t.Errorf("website with a UUID state: %v %v", u, err)
	}
	mp := srv.URL + "/connect/oauth2/authorize?appid=" + weixintest.DefaultMPAppID + "&redirect_uri=" + cb +
		"&response_type=code&scope=snsapi_base&state=s&forcePopup=true&connect_redirect=1#wechat_redirect"
	if _, err := srv.Authorize(mp, "u1"); err != nil {
		t.Errorf("official account: %v", err)
	}
	if _, err := srv.Authorize(strings.TrimSuffix(mp, "#wechat_redirect"), "u1"); err == nil {
		t.Error("official account without #wechat_redirect accepted")
	}
	if _, err := srv.Authorize(strings.Replace(mp, "state=s", "state="+uuidState, 1), "u1"); err == nil {
		t.Error("official account accepted a state with '-'")
	}
	if _, err := srv.Authorize(mp, "nobody"); err == nil {
		t.Error("unknown user accepted")
	}
}

func TestConsentPage(t *testing.T) {
	srv := weixintest.NewServer()
	defer srv.Close()
	srv.AddUser(weixintest.User{ID: "evil", Nickname: "<script>alert(1)</script>"})
	page := srv.URL + "/connect/qrconnect?appid=" + weixintest.DefaultAppID + "&redirect_uri=" +
		url.QueryEscape("https://app.example/cb") + "&response_type=code&scope=snsapi_login&state=st4te"
	resp, err := http.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	html := string(body)
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("consent page: %d %v", resp.StatusCode, resp.Header)
	}
	for _, want := range []string{"张三", "Lily 🌸✨", `id="user-u1"`, `id="decline"`, "&lt;script&gt;alert(1)&lt;/script&gt;"} {
		if !strings.Contains(html, want) {
			t.Errorf("consent page lacks %q", want)
		}
	}
	if strings.Contains(html, "<script>alert(1)") {
		t.Error("nickname not escaped")
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	form := url.Values{"appid": {weixintest.DefaultAppID}, "redirect_uri": {"https://app.example/cb"}, "response_type": {"code"},
		"scope": {"snsapi_login"}, "state": {"st4te"}, "path": {weixintest.PathQRConnect}, "user": {"u3"}}
	resp, err = noRedirect.PostForm(srv.URL+weixintest.PathConfirm, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc.Host != "app.example" || loc.Query().Get("state") != "st4te" {
		t.Fatalf("confirm: %d %s", resp.StatusCode, loc)
	}
	if r := exchange(t, srv, weixintest.DefaultAppID, weixintest.DefaultAppSecret, loc.Query().Get("code")); r["openid"] != srv.OpenID(weixintest.DefaultAppID, "u3") {
		t.Errorf("the consent page's code: %v", r)
	}
	form.Del("user")
	form.Set("decline", "1")
	resp, _ = noRedirect.PostForm(srv.URL+weixintest.PathConfirm, form)
	resp.Body.Close()
	if loc, _ := url.Parse(resp.Header.Get("Location")); loc.Query().Has("code") || loc.Query().Get("state") != "st4te" {
		t.Errorf("decline: %s", loc)
	}
	form.Set("redirect_uri", "javascript:alert(1)")
	resp, _ = noRedirect.PostForm(srv.URL+weixintest.PathConfirm, form)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Location") != "" {
		t.Errorf("confirm with a bad redirect_uri: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// Error pages answer HTTP 200, as WeChat's, naming the bad parameter.
	for param, bad := range map[string]string{
		"state":         strings.Replace(page, "state=st4te", "state="+strings.Repeat("s", 129), 1),
		"redirect_uri":  strings.Replace(page, url.QueryEscape("https://app.example/cb"), url.QueryEscape(url.QueryEscape("https://app.example/cb")), 1),
		"response_type": strings.Replace(page, "&response_type=code", "", 1),
		"appid":         strings.Replace(page, weixintest.DefaultAppID, "wxnope", 1),
	} {
		resp, _ = http.Get(bad)
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "该链接无法访问") || !strings.Contains(string(body), param+" 参数错误") {
			t.Errorf("bad %s page: %d %s", param, resp.StatusCode, body)
		}
	}
}

func TestConcurrentExchanges(t *testing.T) {
	srv := weixintest.NewServer()
	defer srv.Close()
	code := srv.NewCode(weixintest.DefaultAppID, "u1", "snsapi_login")
	var wg sync.WaitGroup
	results := make(chan int, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- errcode(exchange(t, srv, weixintest.DefaultAppID, weixintest.DefaultAppSecret, code))
		}()
	}
	wg.Wait()
	close(results)
	ok := 0
	for c := range results {
		switch c {
		case 0:
			ok++
		case 40163:
		default:
			t.Errorf("errcode %d", c)
		}
	}
	if ok != 1 {
		t.Errorf("a single-use code was exchanged %d times", ok)
	}
}
