package core_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
)

// tencentURL builds the iframe URL from wxLogin.js options the way
// Tencent's script does: values pasted in as given, no encoding.
func tencentURL(o map[string]any) string {
	sr := "default"
	if b, ok := o["self_redirect"].(bool); ok {
		sr = fmt.Sprint(b)
	}
	u := "https://open.weixin.qq.com/connect/qrconnect?appid=" + fmt.Sprint(o["appid"]) +
		"&scope=" + fmt.Sprint(o["scope"]) + "&redirect_uri=" + fmt.Sprint(o["redirect_uri"]) +
		"&state=" + fmt.Sprint(o["state"]) + "&login_type=jssdk&self_redirect=" + sr
	if v, ok := o["style"]; ok {
		u += "&style=" + fmt.Sprint(v)
	}
	if v, ok := o["href"]; ok {
		u += "&href=" + fmt.Sprint(v)
	}
	if o["stylelite"] == 1.0 {
		u += "&stylelite=1"
	}
	if o["fast_login"] == 0.0 {
		u += "&fast_login=0"
	}
	if o["lang"] == "en" {
		u += "&lang=en"
	}
	return u
}

// Whatever the callback URL holds, the URL Tencent's script builds from
// the options carries it intact, as one parameter.
func TestWxLoginRedirectURIEncodedOnce(t *testing.T) {
	for _, callback := range []string{
		"https://app.example/auth/weixin/callback",
		"https://app.example/cb?a=1&b=2",
		"https://app.example/cb?x=1#frag",
		"https://例子.example/回调?名=值 空格+plus%41",
	} {
		start := &core.LoginStart{AppID: "wxappid", Scope: weixin.ScopeLogin, RedirectURL: callback, State: "STATE7"}
		w, err := start.WxLogin("qrcode")
		if err != nil {
			t.Fatal(err)
		}
		raw, err := json.Marshal(w)
		if err != nil {
			t.Fatal(err)
		}
		var o map[string]any
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(o["redirect_uri"].(string), "&#?/: ") {
			t.Errorf("redirect_uri not encoded: %s", raw)
		}
		u, err := url.Parse(tencentURL(o))
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if q.Get("redirect_uri") != callback || q.Get("state") != "STATE7" || q.Get("appid") != "wxappid" ||
			q.Get("scope") != weixin.ScopeLogin || q.Get("self_redirect") != "false" || len(q) != 6 {
			t.Errorf("%s: the iframe URL %s carries %v", callback, u, q)
		}
	}
}

func TestWxLoginOptionalFields(t *testing.T) {
	start := &core.LoginStart{AppID: "wxappid", Scope: weixin.ScopeLogin, RedirectURL: "https://app.example/cb", State: "S"}
	w, err := start.WxLogin("box")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(w)
	want := `{"self_redirect":false,"id":"box","appid":"wxappid","scope":"snsapi_login","redirect_uri":"https%3A%2F%2Fapp.example%2Fcb","state":"S"}`
	if string(raw) != want {
		t.Errorf("defaults:\n%s\nwant\n%s", raw, want)
	}
	w.SelfRedirect, w.Style, w.Href, w.StyleLite, w.DisableFastLogin, w.Lang = true, "white", "https://app.example/qr.css", true, true, "en"
	raw, _ = json.Marshal(w)
	want = `{"self_redirect":true,"id":"box","appid":"wxappid","scope":"snsapi_login","redirect_uri":"https%3A%2F%2Fapp.example%2Fcb","state":"S",` +
		`"style":"white","href":"https%3A%2F%2Fapp.example%2Fqr.css","stylelite":1,"fast_login":0,"lang":"en"}`
	if string(raw) != want {
		t.Errorf("all set:\n%s\nwant\n%s", raw, want)
	}
}

func TestWxLoginRefusals(t *testing.T) {
	mp := &core.LoginStart{AppID: "wxmp", Scope: weixin.ScopeUserInfo, RedirectURL: "https://app.example/cb", State: "S"}
	if _, err := mp.WxLogin("qrcode"); !errors.Is(err, core.ErrNotEmbeddable) {
		t.Errorf("official account: %v", err)
	}
	web := &core.LoginStart{AppID: "wx", Scope: weixin.ScopeLogin, RedirectURL: "https://app.example/cb", State: "S"}
	if _, err := web.WxLogin(""); !errors.Is(err, core.ErrNotEmbeddable) {
		t.Errorf("no container id: %v", err)
	}
	for name, tweak := range map[string]func(*core.WxLogin){
		"style":    func(w *core.WxLogin) { w.Style = "red" },
		"lang":     func(w *core.WxLogin) { w.Lang = "fr" },
		"no state": func(w *core.WxLogin) { w.State = "" },
		"no id":    func(w *core.WxLogin) { w.ID = "" },
	} {
		w, err := web.WxLogin("qrcode")
		if err != nil {
			t.Fatal(err)
		}
		tweak(w)
		if _, err := json.Marshal(w); !errors.Is(err, core.ErrNotEmbeddable) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// A page shows WeChat's QR code for a login with Tencent's wxLogin.js:
// the options' JSON goes into new WxLogin(...) as it is; redirect_uri is
// already encoded, once.
func ExampleLoginStart_WxLogin() {
	start := &core.LoginStart{ // from Auth.BeginLogin
		AppID: "wxd0e1f2a3b4c5d6e7", Scope: weixin.ScopeLogin, State: "Q2ZKXJ7T",
		RedirectURL: "https://www.example.com/auth/weixin/callback?site=cn",
	}
	opts, err := start.WxLogin("qrcode")
	if err != nil {
		panic(err) // an official account's login has no QR code
	}
	opts.Style = "black"
	js, _ := json.Marshal(opts)
	fmt.Printf("new WxLogin(%s);\n", js)
	// Output:
	// new WxLogin({"self_redirect":false,"id":"qrcode","appid":"wxd0e1f2a3b4c5d6e7","scope":"snsapi_login","redirect_uri":"https%3A%2F%2Fwww.example.com%2Fauth%2Fweixin%2Fcallback%3Fsite%3Dcn","state":"Q2ZKXJ7T","style":"black"});
}
