package weixintest_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wxlogin/wxlogin/weixintest"
)

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
	d, err := srv.Decline(good)
	if err != nil || d.Query().Get("code") != "" || d.Query().Get("state") != "abc123" {
		t.Errorf("decline = %v, %v", d, err)
	}
	for name, bad := range map[string]string{
		"no fragment":      strings.TrimSuffix(good, "#wechat_redirect"),
		"order":            srv.URL + "/connect/qrconnect?redirect_uri=" + cb + "&appid=" + weixintest.DefaultAppID + "&response_type=code&scope=snsapi_login&state=abc#wechat_redirect",
		"missing state":    srv.URL + "/connect/qrconnect?appid=" + weixintest.DefaultAppID + "&redirect_uri=" + cb + "&response_type=code&scope=snsapi_login#wechat_redirect",
		"state chars":      strings.Replace(good, "state=abc123", "state=abc-123", 1),
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
	mp := srv.URL + "/connect/oauth2/authorize?appid=" + weixintest.DefaultMPAppID + "&redirect_uri=" + cb +
		"&response_type=code&scope=snsapi_base&state=s&forcePopup=true&connect_redirect=1#wechat_redirect"
	if _, err := srv.Authorize(mp, "u1"); err != nil {
		t.Errorf("official account: %v", err)
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
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("confirm with a bad redirect_uri: %d", resp.StatusCode)
	}
	resp, _ = http.Get(strings.Replace(page, "state=st4te", "state=bad-state", 1))
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "state") {
		t.Errorf("bad state page: %d %s", resp.StatusCode, body)
	}
}
