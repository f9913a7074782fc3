package weixin_test

import "github.com/wxlogin/wxlogin/core"

// The mini program of the tests, as the fake knows it.
const (
	mpAppID  = "wx0mini0program0001"
	mpSecret = "weixintest-miniprogram-secret"
)

// callbackURL is the tests' redirect URL.
const callbackURL = "https://app.example/auth/weixin/callback"

// mustLogIn reports whether err means the user must log in again, as
// core classifies it: the login ended, or WeChat refused the code.
func mustLogIn(err error) bool {
	c := core.Classify(err)
	return c.Code == "login_required" || c.Code == "code_invalid"
}
