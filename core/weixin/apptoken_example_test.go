package weixin_test

import (
	"context"
	"fmt"

	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/weixintest"
)

// A mini program's access token, from stable_token, fetches a user's
// phone number; here against the fake WeChat.
func ExampleAppTokenSource_PhoneNumber() {
	wx := weixintest.NewServer()
	defer wx.Close()
	wx.AddApp(weixintest.App{AppID: "wx0example0miniprog", Secret: "mini-program-secret"})

	mini := &weixin.Config{AppID: "wx0example0miniprog", AppSecret: "mini-program-secret", Endpoint: wx.Endpoint()}
	src := mini.AppTokenSource() // keep one per application (core.Auth keeps one per Config)

	// The code of the mini program's getPhoneNumber button, as the fake mints it.
	code := wx.PhoneCode("wx0example0miniprog", "u1", "13800138000")
	phone, err := src.PhoneNumber(context.Background(), code)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(phone.PhoneNumber, phone.CountryCode)

	// Any other server API goes through src.Client(), which adds the token.
	st := wx.AppTokenStats("wx0example0miniprog")
	fmt.Println("stable_token:", st.StableFetches, "/cgi-bin/token:", wx.Calls(weixintest.PathToken))
	// Output:
	// 13800138000 86
	// stable_token: 1 /cgi-bin/token: 0
}
