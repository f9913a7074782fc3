package weixintest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/alexedwards/scs/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/weixintest"
)

// A test logs user u1 in through the fake: the user approves on WeChat's
// page, and the code that comes back to the callback is exchanged.
func Example() {
	srv := weixintest.NewServer()
	defer srv.Close()

	authURL := srv.URL + "/connect/qrconnect?appid=" + weixintest.DefaultAppID +
		"&redirect_uri=" + url.QueryEscape("https://app.example/callback") +
		"&response_type=code&scope=snsapi_login&state=xyz#wechat_redirect"
	callback, err := srv.Authorize(authURL, "u1")
	if err != nil {
		panic(err)
	}
	fmt.Println(callback.Host, callback.Path, callback.Query().Get("state"))

	resp, err := http.Get(srv.URL + weixintest.PathAccessToken + "?" + url.Values{
		"appid":      {weixintest.DefaultAppID},
		"secret":     {weixintest.DefaultAppSecret},
		"code":       {callback.Query().Get("code")},
		"grant_type": {"authorization_code"},
	}.Encode())
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var tok struct {
		OpenID    string `json:"openid"`
		ExpiresIn int    `json:"expires_in"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	fmt.Println(resp.Header.Get("Content-Type"), tok.OpenID == srv.OpenID(weixintest.DefaultAppID, "u1"), tok.ExpiresIn)
	fmt.Println(srv.Calls(weixintest.PathAccessToken), "exchange")
	// Output:
	// app.example /callback xyz
	// text/plain true 7200
	// 1 exchange
}

// An app without WeChat credentials runs against a fake WeChat in
// development: DevMode fills in the fake's application and endpoint and
// logs a warning that it is a fake.
func ExampleDevMode() {
	opts := core.Options{
		Website: &weixin.Config{
			AppID:       os.Getenv("WEIXIN_APPID"), // unset in development
			AppSecret:   os.Getenv("WEIXIN_SECRET"),
			RedirectURL: "http://127.0.0.1:8080/auth/weixin/callback",
			Scopes:      []string{weixin.ScopeLogin},
		},
		Sessions: scs.New(),
		Logger:   slog.New(slog.DiscardHandler), // yours: the loud line shows there
	}
	if opts.Website.AppID == "" { // no credentials: a fake WeChat
		wx, err := weixintest.DevMode(&opts)
		if err != nil {
			panic(err)
		}
		defer wx.Close()
	}
	auth, err := core.New(opts)
	if err != nil {
		panic(err)
	}
	_ = auth // mount it with nethttpmw, ginmw or fibermw
	fmt.Println(opts.Website.AppID == weixintest.DefaultAppID)
	// Output: true
}

// A page embeds WeChat's QR code with wxLogin.js; the test plays the
// phone: user u2 scans and confirms, and the page's long poll, which the
// page follows to the callback by itself, carries the code.
func ExampleServer_ConfirmScan() {
	srv := weixintest.NewServer()
	defer srv.Close()

	// The iframe wxLogin.js creates (redirect_uri encoded once, no response_type).
	page, err := http.Get(srv.URL + "/connect/qrconnect?appid=" + weixintest.DefaultAppID +
		"&scope=snsapi_login&redirect_uri=" + url.QueryEscape("https://app.example/callback") +
		"&state=STATE1&login_type=jssdk&self_redirect=default")
	if err != nil {
		panic(err)
	}
	page.Body.Close()

	uuid, _ := srv.PendingScan("STATE1")
	if err := srv.ConfirmScan(uuid, "u2"); err != nil {
		panic(err)
	}
	poll, err := http.Get(srv.URL + weixintest.PathLongPoll + "?uuid=" + uuid)
	if err != nil {
		panic(err)
	}
	defer poll.Body.Close()
	body, _ := io.ReadAll(poll.Body)
	fmt.Println(strings.HasPrefix(string(body), "window.wx_errcode=405;window.wx_code='"))
	// Output:
	// true
}
