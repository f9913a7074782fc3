package weixintest_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/weixintest"
)

func TestDevMode(t *testing.T) {
	var logs bytes.Buffer
	opts := core.Options{
		Website:         &core.Config{RedirectURL: "http://127.0.0.1:8080/auth/weixin/callback", Scopes: []string{core.ScopeLogin}},
		OfficialAccount: &core.Config{AppID: "wxmine", AppSecret: "mine", RedirectURL: "http://127.0.0.1:8080/auth/weixin/callback", Scopes: []string{core.ScopeUserInfo}},
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
		"relative URL":   {&core.Options{Website: &core.Config{RedirectURL: "/auth/weixin/callback"}}, "not an absolute http(s) URL"},
		"appid only":     {&core.Options{Website: &core.Config{AppID: "wx1", RedirectURL: "https://a.example/cb"}}, "no AppSecret"},
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
