package weixintest_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/weixintest"
)

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
		{snap.ID, "snsapi_userinfo", true, 0},
		{none.ID, "snsapi_userinfo", false, 0},
	} {
		r := exchange(t, srv, weixintest.DefaultMPAppID, weixintest.DefaultMPAppSecret,
			srv.NewCode(weixintest.DefaultMPAppID, tt.user, tt.scope))
		if _, has := r["unionid"]; has != tt.unionid || r["is_snapshotuser"] != tt.snapshot {
			t.Errorf("%s %s: %v", tt.user, tt.scope, r)
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
		{at, openid, "fr", 40005},
	} {
		if got := userinfo(tt.at, tt.openid, tt.lang); errcode(got) != tt.want {
			t.Errorf("%v: %v, want %d", tt, got, tt.want)
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
	resp, err := http.Get(u["headimgurl"].(string))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(string(body), "<svg") {
		t.Errorf("avatar: %s %s", resp.Header.Get("Content-Type"), body)
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
