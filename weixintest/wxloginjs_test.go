package weixintest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/dop251/goja"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/weixintest"
)

// iframe is what the stand-in wxLogin.js put in the container.
type iframe struct {
	Src, Width, Height, FrameBorder, Scrolling string
	Cleared                                    bool
}

// runWxLogin loads the fake's wxLogin.js as if from base (in a JS engine
// with a minimal DOM) and runs new WxLogin(options).
func runWxLogin(t *testing.T, srv *weixintest.Server, base, options string) iframe {
	t.Helper()
	resp, err := http.Get(srv.URL + weixintest.PathWxLoginJS)
	if err != nil {
		t.Fatal(err)
	}
	script, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	vm := goja.New()
	dom := `var appended = null, cleared = false;
var container = {id: "qrcode", appendChild: function (c) { appended = c; }};
Object.defineProperty(container, "innerHTML", {set: function (v) { cleared = (v === ""); }});
var document = {
  currentScript: {src: ` + jsString(base+weixintest.PathWxLoginJS) + `},
  createElement: function (tag) { return {tagName: tag.toUpperCase()}; },
  getElementById: function (id) { return id === "qrcode" ? container : null; }
};
var window = {};`
	if _, err := vm.RunString(dom); err != nil {
		t.Fatal(err)
	}
	if _, err := vm.RunString(string(script)); err != nil {
		t.Fatalf("wxLogin.js: %v", err)
	}
	if _, err := vm.RunString("new window.WxLogin(" + options + ");"); err != nil {
		t.Fatalf("new WxLogin(%s): %v", options, err)
	}
	v, err := vm.RunString(`JSON.stringify({Src: appended.src, Width: appended.width, Height: appended.height,
  FrameBorder: appended.frameBorder, Scrolling: appended.scrolling, Cleared: cleared, Tag: appended.tagName})`)
	if err != nil {
		t.Fatal(err)
	}
	var f iframe
	json.Unmarshal([]byte(v.String()), &f)
	return f
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// The stand-in builds the URL Tencent's script builds, as far as every
// copy of it agrees (the project's reference): values pasted in without
// encoding, no response_type, login_type=jssdk, self_redirect
// true/false/default, in a 300×400 iframe. The optional tail (style,
// href, stylelite, fast_login, lang) is the stand-in's choice, each
// parameter only when set: Tencent's copies differ in its parameters and
// their order (the newest puts others first), so no order is Tencent's.
func TestWxLoginJSBuildsTheQRConnectURL(t *testing.T) {
	srv := weixintest.NewServer()
	defer srv.Close()
	const base = "https://open.weixin.qq.com"
	const head = base + "/connect/qrconnect?appid=wxAPPID&scope=snsapi_login&redirect_uri="
	for _, tt := range []struct{ options, want string }{
		{`{id: "qrcode", appid: "wxAPPID", scope: "snsapi_login", redirect_uri: "https%3A%2F%2Fa.example%2Fcb", state: "S1"}`,
			head + "https%3A%2F%2Fa.example%2Fcb&state=S1&login_type=jssdk&self_redirect=default"},
		{`{self_redirect: true, id: "qrcode", appid: "wxAPPID", scope: "snsapi_login", redirect_uri: "R", state: "S"}`,
			head + "R&state=S&login_type=jssdk&self_redirect=true"},
		{`{self_redirect: false, id: "qrcode", appid: "wxAPPID", scope: "snsapi_login", redirect_uri: "R", state: "S"}`,
			head + "R&state=S&login_type=jssdk&self_redirect=false"},
		{`{self_redirect: "true", id: "qrcode", appid: "wxAPPID", scope: "snsapi_login", redirect_uri: "R", state: "S"}`,
			head + "R&state=S&login_type=jssdk&self_redirect=default"},
		// Raw values are pasted raw: the callback's '&' splits it.
		{`{self_redirect: false, id: "qrcode", appid: "wxAPPID", scope: "snsapi_login", redirect_uri: "https://a.example/cb?x=1&y=2", state: "S"}`,
			head + "https://a.example/cb?x=1&y=2&state=S&login_type=jssdk&self_redirect=false"},
		{`{id: "qrcode", appid: "wxAPPID", scope: "snsapi_login", redirect_uri: "R", state: "S", style: "white", href: "https%3A%2F%2Fa.example%2Fqr.css", stylelite: 1, fast_login: 0, lang: "en"}`,
			head + "R&state=S&login_type=jssdk&self_redirect=default&style=white&href=https%3A%2F%2Fa.example%2Fqr.css&stylelite=1&fast_login=0&lang=en"},
		// Only the number 1, the number 0 and "en" count; empty strings are unset.
		{`{id: "qrcode", appid: "wxAPPID", scope: "snsapi_login", redirect_uri: "R", state: "S", style: "", href: "", stylelite: "1", fast_login: false, lang: "cn"}`,
			head + "R&state=S&login_type=jssdk&self_redirect=default"},
		{`{id: "qrcode", appid: "wxAPPID", scope: "snsapi_login", redirect_uri: "R", state: "S", stylelite: 0, fast_login: 1}`,
			head + "R&state=S&login_type=jssdk&self_redirect=default"},
	} {
		f := runWxLogin(t, srv, base, tt.options)
		if f.Src != tt.want {
			t.Errorf("new WxLogin(%s):\n got %s\nwant %s", tt.options, f.Src, tt.want)
		}
		if f.Width != "300px" || f.Height != "400px" || f.FrameBorder != "0" || f.Scrolling != "no" || !f.Cleared {
			t.Errorf("iframe %+v, want 300×400, no border, no scrolling, container emptied", f)
		}
	}
}

// A page built with core's WxLogin options, through the stand-in, reaches
// the fake's QR page with the callback intact, whatever it holds; a
// double-encoded or raw redirect_uri does not.
func TestWxLoginJSWithCoreOptions(t *testing.T) {
	srv := weixintest.NewServer()
	defer srv.Close()
	for _, callback := range []string{
		"https://app.example/auth/weixin/callback",
		"https://app.example/cb?site=cn&x=1",
		"https://app.example/回调?名=值",
	} {
		start := &core.LoginStart{AppID: weixintest.DefaultAppID, Scope: weixin.ScopeLogin, RedirectURL: callback, State: "3f2b6c1e-8d4a"}
		opts, err := start.WxLogin("qrcode")
		if err != nil {
			t.Fatal(err)
		}
		js, _ := json.Marshal(opts)
		f := runWxLogin(t, srv, srv.URL, string(js))
		page := get200(t, f.Src)
		if !strings.Contains(page, `id="qrcode"`) {
			t.Fatalf("%s: not the QR page: %s", callback, page)
		}
		uuid, ok := srv.PendingScan("3f2b6c1e-8d4a")
		if !ok {
			t.Fatalf("%s: no pending QR code", callback)
		}
		if err := srv.ConfirmScan(uuid, "u1"); err != nil {
			t.Fatal(err)
		}
		status, code := poll(t, srv, uuid, weixintest.ScanWaiting)
		if status != weixintest.ScanConfirmed || code == "" {
			t.Fatalf("poll: %d %q", status, code)
		}
		// The page goes to redirect_uri as the fake decoded it, once.
		if got := pageRedirectURI(t, page); got != callback {
			t.Errorf("the QR page goes to %q, want %q", got, callback)
		}
	}
	for name, ru := range map[string]string{
		"double-encoded": url.QueryEscape(url.QueryEscape("https://app.example/cb")),
		"relative":       url.QueryEscape("/cb"),
	} {
		f := runWxLogin(t, srv, srv.URL, `{id: "qrcode", appid: "`+weixintest.DefaultAppID+`", scope: "snsapi_login", redirect_uri: "`+ru+`", state: "S"}`)
		if page := get200(t, f.Src); !strings.Contains(page, "redirect_uri 参数错误") {
			t.Errorf("%s redirect_uri accepted: %s", name, page)
		}
	}
}

// pageRedirectURI returns the callback the QR page navigates to.
func pageRedirectURI(t *testing.T, page string) string {
	t.Helper()
	m := regexp.MustCompile(`redirectURI = ("(?:[^"\\]|\\.)*")`).FindStringSubmatch(page)
	var s string
	if m == nil || json.Unmarshal([]byte(m[1]), &s) != nil {
		t.Fatalf("no redirectURI in the QR page: %s", page)
	}
	return s
}

func get200(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", u, resp.StatusCode)
	}
	return string(b)
}
