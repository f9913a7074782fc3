package weixintest_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/weixintest"
)

func TestDevMode(t *testing.T) {
	var logs bytes.Buffer
	opts := core.Options{
		Website:         &weixin.Config{RedirectURL: "http://127.0.0.1:8080/auth/weixin/callback", Scopes: []string{weixin.ScopeLogin}},
		OfficialAccount: &weixin.Config{AppID: "wxmine", AppSecret: "mine", RedirectURL: "http://127.0.0.1:8080/auth/weixin/callback", Scopes: []string{weixin.ScopeUserInfo}},
		Sessions:        scs.New(),
		Logger:          slog.New(slog.NewTextHandler(&logs, nil)),
	}
	wx, err := weixintest.DevMode(&opts)
	if err != nil {
		t.Fatal(err)
	}
	defer wx.Close()
	if w := opts.Website; w.AppID != weixintest.DefaultAppID || w.AppSecret != weixintest.DefaultAppSecret || w.Endpoint != wx.Endpoint() || w.Now == nil {
		t.Errorf("Website not pointed at the fake: %+v", w)
	}
	if mp := opts.OfficialAccount; mp.AppID != "wxmine" || mp.AppSecret != "mine" || mp.Endpoint != wx.Endpoint() || mp.Now == nil {
		t.Errorf("OfficialAccount not pointed at the fake: %+v", mp)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "FAKE WeChat (weixintest) at "+wx.URL) {
		t.Errorf("no loud dev-mode line: %q", logs.String())
	}
	if _, err := core.New(opts); err != nil {
		t.Fatalf("core.New after DevMode: %v", err)
	}
	// The official account with its own credentials was registered: a
	// login through it is approved.
	authURL := wx.URL + weixintest.PathAuthorize + "?appid=wxmine&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fauth%2Fweixin%2Fcallback&response_type=code&scope=snsapi_userinfo&state=s#wechat_redirect"
	if _, err := wx.Authorize(authURL, "u1"); err != nil {
		t.Errorf("the official account's own appid is unknown to the fake: %v", err)
	}
}

func TestDevModeRefusesBadOptions(t *testing.T) {
	for name, tt := range map[string]struct {
		opts *core.Options
		want string
	}{
		"nil":            {nil, "needs the core.Options"},
		"no application": {&core.Options{}, "set core.Options.Website"},
		"relative URL":   {&core.Options{Website: &weixin.Config{RedirectURL: "/auth/weixin/callback"}}, "not an absolute http(s) URL"},
		"appid only":     {&core.Options{Website: &weixin.Config{AppID: "wx1", RedirectURL: "https://a.example/cb"}}, "no AppSecret"},
	} {
		wx, err := weixintest.DevMode(tt.opts)
		if wx != nil {
			wx.Close()
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error containing %q", name, err, tt.want)
		}
	}
}

// ParamUser confirms a login without the consent page: a 302 to the
// callback with a code the app can exchange; an unknown user is refused.
func TestAuthorizePageParamUser(t *testing.T) {
	wx := weixintest.NewServer()
	defer wx.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page := wx.URL + weixintest.PathQRConnect + "?appid=" + weixintest.DefaultAppID +
		"&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcb&response_type=code&scope=snsapi_login&state=s1"
	resp, err := client.Get(page + "&" + weixintest.ParamUser + "=u1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc.Host != "127.0.0.1:8080" || loc.Path != "/cb" || loc.Query().Get("state") != "s1" {
		t.Fatalf("%d %s", resp.StatusCode, loc)
	}
	cfg := wx.Config(weixintest.DefaultAppID, "http://127.0.0.1:8080/cb", weixin.ScopeLogin)
	tok, err := cfg.Exchange(context.Background(), loc.Query().Get("code"))
	if err != nil || tok.OpenID != wx.OpenID(weixintest.DefaultAppID, "u1") {
		t.Errorf("exchange: %v %v", tok, err)
	}
	resp, err = client.Get(page + "&" + weixintest.ParamUser + "=nobody")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Location") != "" || !strings.Contains(string(body), "no user") {
		t.Errorf("unknown user: %d %s", resp.StatusCode, body)
	}
}
