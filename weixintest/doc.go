// Package weixintest is a fake WeChat for tests and offline development,
// in the manner of net/http/httptest.
//
// A Server serves, on one loopback URL, both WeChat's authorize pages
// (/connect/qrconnect and /connect/oauth2/authorize, each with a small
// consent page where a person picks a fake user) and the four API calls
// of the login (/sns/oauth2/access_token, /sns/oauth2/refresh_token,
// /sns/auth, /sns/userinfo), the way the real one does: JSON served as
// text/plain with WeChat's field order and escaping ('\/', emoji as \u
// surrogate pairs), errors as {"errcode":…} on HTTP 200 with errmsg in
// WeChat's form, error pages on HTTP 200, single-use codes that expire,
// access tokens that expire after 2 hours and refresh tokens after 30
// days on a clock the test controls. Avatars are qlogo.cn-shaped URLs
// (AvatarURL) that the fake also serves itself (LocalAvatarURL).
//
// The QR code embedded with wxLogin.js (PathWxLoginJS, a stand-in that
// builds the iframe URL as Tencent's script does) is scanned outside the
// page, as on WeChat: the iframe shows a real QR code of a "phone" page
// (PathPhone) and long-polls the login's status (PathLongPoll); once the
// scan is confirmed on the phone page, or by ConfirmScan in a test, the
// iframe navigates to the callback by itself.
//
// The app access token of the server APIs is served as WeChat does
// (apptoken.go): /cgi-bin/token, whose every fetch ends the previous token
// after a 5-minute overlap, and /cgi-bin/stable_token in its normal and
// forced modes, with WeChat's limits; SetAppTokenTTL shortens the tokens'
// lifetime, InvalidateAppToken rejects the current token as another
// party's forced refresh does, and AppTokenStats counts what happened.
// /wxa/business/getuserphonenumber exchanges the codes PhoneCode mints.
//
// Beside the website and the official account, the fake has a mini
// program and a mobile app (DefaultMiniProgramAppID, DefaultMobileAppID),
// each with its own openids for the same users and one unionid per person
// (none from an App marked Unbound, until BindApp): MiniProgramCode and
// SendAuthCode mint the codes their phones would get, exchanged at
// /sns/jscode2session (PathJSCode2Session) and /sns/oauth2/access_token;
// in dev mode PathDevCode hands them out.
//
// Tests can skip the consent page with Authorize, inject faults per path
// (a delay, an HTTP status, a malformed or huge body, an errcode), and
// count and inspect the calls made.
package weixintest
