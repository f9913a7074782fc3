package weixin

import (
	"encoding/json"
	"net/url"
	"strings"
)

// UserInfo is the profile returned by /sns/userinfo.
//
// Nickname is any Unicode, emoji included, chosen by the user: escape it
// when rendering. HeadImgURL is rewritten to https when WeChat serves it
// over http.
type UserInfo struct {
	// OpenID identifies the user within the application; it equals the
	// token's.
	OpenID string `json:"openid"`
	// UnionID links the user's openids across one open-platform
	// account's applications; empty when WeChat sent none.
	UnionID string `json:"unionid,omitempty"`
	// Nickname is the user's display name.
	Nickname string `json:"nickname"`
	// Sex is 0 (unknown), 1 (male) or 2 (female).
	Sex int `json:"sex"`
	// Province, City and Country are the user's region, in the
	// language asked for.
	Province string `json:"province"`
	// City: see Province.
	City string `json:"city"`
	// Country: see Province.
	Country string `json:"country"`
	// HeadImgURL is the avatar; its last path segment is the size (0 =
	// 640 px, 46, 64, 96, 132). It stops working when the user changes
	// avatar.
	HeadImgURL string `json:"headimgurl"`
	// Privilege lists the user's privileges (e.g. WeChat card holder).
	Privilege []string `json:"privilege"`
	// Raw is the whole reply, for fields this package does not know yet.
	Raw json.RawMessage `json:"-"`
}

// Languages accepted by UserInfo.
const (
	LangZhCN = "zh_CN"
	LangZhTW = "zh_TW"
	LangEN   = "en"
)

// SecureAvatarURL returns raw with its scheme switched to https when it
// is an http URL on WeChat's avatar hosts (*.qlogo.cn), which serve both:
// an http avatar on an https page is mixed content. Other URLs are
// returned unchanged.
func SecureAvatarURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" {
		return raw
	}
	host := strings.ToLower(u.Hostname())
	if host != "qlogo.cn" && !strings.HasSuffix(host, ".qlogo.cn") {
		return raw
	}
	u.Scheme = "https"
	return u.String()
}
