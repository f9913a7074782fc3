package weixin_test

import (
	"context"
	"fmt"
	"net/url"

	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/weixintest"
)

// The API client on its own, without sessions: the authorize URL, the
// code exchange, the profile and a refresh, against the fake WeChat.
func Example() {
	wx := weixintest.NewServer()
	defer wx.Close()
	// The fake's own website application, its clock and its endpoint.
	cfg := wx.Config(weixintest.DefaultAppID, "https://app.example/callback", weixin.ScopeLogin)
	ctx := context.Background()

	authURL := cfg.AuthCodeURL("a-state-bound-to-the-browser")
	// The user scans the QR code and approves; WeChat redirects back.
	cb, err := wx.Authorize(authURL, "u1")
	if err != nil {
		fmt.Println(err)
		return
	}
	q, _ := url.ParseQuery(cb.RawQuery)
	tok, err := cfg.Exchange(ctx, q.Get("code")) // single use: never retried
	if err != nil {
		fmt.Println(err)
		return
	}
	info, err := cfg.UserInfo(ctx, tok, weixin.LangZhCN)
	if err != nil {
		fmt.Println(err)
		return
	}
	fresh, err := cfg.Refresh(ctx, tok)
	fmt.Println(q.Get("state"), info.OpenID == tok.OpenID, tok.HasScope(weixin.ScopeLogin), err == nil && fresh.Valid(wx.Now()))
	// Output: a-state-bound-to-the-browser true true true
}
