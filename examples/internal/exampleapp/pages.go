package exampleapp

import (
	"encoding/json"
	"html/template"
	"io"

	"github.com/wxlogin/wxlogin/core"
)

// localAvatar maps an avatar URL to one the page can load: the identity,
// except in dev mode, where the fake WeChat serves its users' qlogo.cn
// avatars itself (weixintest.Server.LocalAvatarURL), so that they show
// offline while the session keeps WeChat's https URL.
var localAvatar = func(u string) string { return u }

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"avatar": func(u string) string { return localAvatar(u) },
}).Parse(`
{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>wxlogin example</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#222}
a.button,button{display:inline-block;padding:.5rem 1rem;border-radius:6px;border:0;background:#07c160;color:#fff;text-decoration:none;font-size:1rem;cursor:pointer}
img.avatar{width:64px;height:64px;border-radius:6px;vertical-align:middle;margin-right:.75rem}</style>
</head><body>{{end}}

{{define "index"}}{{template "head"}}
<h1>wxlogin example</h1>
<p>Log in with WeChat (微信登录).</p>
<p><a class="button" id="login" href="/auth/weixin/login?next=%2Fme">Log in with WeChat</a>
or <a id="embedded" href="/login">scan the QR code on this site</a>.</p>
</body></html>{{end}}

{{define "me"}}{{template "head"}}
<h1><img class="avatar" id="avatar" src="{{avatar .HeadImgURL}}" alt="">Hello, <span id="nickname">{{.Nickname}}</span></h1>
<p>openid <code>{{.OpenID}}</code> of app <code>{{.AppID}}</code>{{if .UnionID}}, unionid <code>{{.UnionID}}</code>{{end}}.</p>
<form method="post" action="/auth/weixin/logout"><button id="logout">Log out</button></form>
</body></html>{{end}}

{{define "embedded"}}{{template "head"}}
<h1>Scan with WeChat</h1>
<div id="qrcode" style="width:300px;height:400px"></div>
<script src="{{.Script}}"></script>
<script>
// The options come from core (LoginStart.WxLogin): redirect_uri is
// URL-encoded once, as wxLogin.js pastes it into a URL as it is.
new WxLogin({{.Options}});
</script>
</body></html>{{end}}
`))

// IndexPage writes the public home page.
func IndexPage(w io.Writer) error { return pages.ExecuteTemplate(w, "index", nil) }

// MePage writes the protected page of u (nickname escaped).
func MePage(w io.Writer, u *core.User) error { return pages.ExecuteTemplate(w, "me", u) }

// EmbeddedLoginPage writes the page that shows WeChat's QR code inside
// the site with wxLogin.js (at script), for the login start (its state
// is issued by the same flow as the redirecting login route). It fails
// with core.ErrNotEmbeddable for an official account's login.
func EmbeddedLoginPage(w io.Writer, script string, start *core.LoginStart) error {
	opts, err := start.WxLogin("qrcode")
	if err != nil {
		return err
	}
	opts.Style = "black"
	return pages.ExecuteTemplate(w, "embedded", map[string]any{"Script": script, "Options": opts})
}

// UserJSON is the body of /api/me and /api/userinfo.
type UserJSON struct {
	OpenID     string `json:"openid"`
	UnionID    string `json:"unionid"`
	Nickname   string `json:"nickname"`
	HeadImgURL string `json:"headimgurl"`
	// AccountID is the app's account of the user (/api/me only).
	AccountID *string `json:"account_id,omitempty"`
}

// FromUser is the JSON of the session's user.
func FromUser(u *core.User) UserJSON {
	return UserJSON{OpenID: u.OpenID, UnionID: u.UnionID, Nickname: u.Nickname, HeadImgURL: u.HeadImgURL, AccountID: &u.AccountID}
}

// FromUserInfo is the JSON of a fresh profile.
func FromUserInfo(u *core.UserInfo) UserJSON {
	return UserJSON{OpenID: u.OpenID, UnionID: u.UnionID, Nickname: u.Nickname, HeadImgURL: u.HeadImgURL}
}

// WriteJSON writes v as JSON.
func WriteJSON(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) }
