package weixintest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

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
