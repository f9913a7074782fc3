// Package weixintest is a fake WeChat for tests and offline development,
// in the manner of net/http/httptest.
//
// A Server serves, on one loopback URL, both WeChat's authorize pages
// (/connect/qrconnect and /connect/oauth2/authorize, each with a small
// consent page where a person picks a fake user) and the four API calls
// of the login (/sns/oauth2/access_token, /sns/oauth2/refresh_token,
// /sns/auth, /sns/userinfo), the way the real one does: JSON served as
// text/plain, errors as {"errcode":…} on HTTP 200, single-use codes that
// expire, access tokens that expire after 2 hours and refresh tokens
// after 30 days on a clock the test controls.
//
// Tests can skip the consent page with Authorize, inject faults per path
// (a delay, an HTTP status, a malformed or huge body, an errcode), and
// count and inspect the calls made.
package weixintest
