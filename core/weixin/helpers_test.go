package weixin_test

// The mini program of the tests, as the fake knows it.
const (
	mpAppID  = "wx0mini0program0001"
	mpSecret = "weixintest-miniprogram-secret"
)
