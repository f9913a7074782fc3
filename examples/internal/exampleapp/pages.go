package exampleapp

import (
	"context"
	"encoding/json"
	"html/template"
	"io"

	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
)

// localAvatar maps an avatar URL to one the page can load: the identity,
// except in dev mode, where the fake WeChat serves its users' qlogo.cn
// avatars itself (weixintest.Server.LocalAvatarURL), so that they show
// offline while the session keeps WeChat's https URL.
var localAvatar = func(u string) string { return u }

// Messages are the words of the examples' pages, added to core's tables
// (core.Options.Messages) under ids of their own: one table per
// language, as core's.
var Messages = core.Messages{
	"zh-CN": {
		"example.title":     "wxlogin 示例",
		"example.intro":     "一个使用微信登录的网站。",
		"example.login":     "微信登录",
		"example.embedded":  "在本站扫描二维码登录",
		"example.hello":     "你好，",
		"example.account":   "你在本站的微信身份：",
		"example.logout":    "退出登录",
		"example.scan":      "使用微信扫一扫登录",
		"example.scan.hint": "用手机打开微信，扫描下方二维码。",
	},
	"en": {
		"example.title":     "wxlogin example",
		"example.intro":     "A site you log in to with WeChat.",
		"example.login":     "Log in with WeChat",
		"example.embedded":  "Scan the QR code on this site",
		"example.hello":     "Hello, ",
		"example.account":   "Your WeChat identity on this site:",
		"example.logout":    "Log out",
		"example.scan":      "Scan with WeChat",
		"example.scan.hint": "Open WeChat on your phone and scan the code below.",
	},
}

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"avatar": func(u string) string { return localAvatar(u) },
}).Parse(`
{{define "head"}}<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{call .T "example.title"}}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#222}
a.button,button{display:inline-block;padding:.5rem 1rem;border-radius:6px;border:0;background:#07c160;color:#fff;text-decoration:none;font-size:1rem;cursor:pointer}
img.avatar{width:64px;height:64px;border-radius:6px;vertical-align:middle;margin-right:.75rem}</style>
</head><body>{{end}}

{{define "index"}}{{template "head" .}}
<h1>{{call .T "example.title"}}</h1>
<p>{{call .T "example.intro"}}</p>
<p><a class="button" id="login" href="/auth/weixin/login?next=%2Fme">{{call .T "example.login"}}</a></p>
<p><a id="embedded" href="/login">{{call .T "example.embedded"}}</a></p>
</body></html>{{end}}

{{define "me"}}{{template "head" .}}
{{with .User}}<h1><img class="avatar" id="avatar" src="{{avatar .HeadImgURL}}" alt="">{{call $.T "example.hello"}}<span id="nickname">{{.Nickname}}</span></h1>
<p>{{call $.T "example.account"}}</p>
<ul><li>openid <code>{{.OpenID}}</code></li><li>appid <code>{{.AppID}}</code></li>{{if .UnionID}}<li>unionid <code>{{.UnionID}}</code></li>{{end}}</ul>{{end}}
<form method="post" action="/auth/weixin/logout"><button id="logout">{{call .T "example.logout"}}</button></form>
</body></html>{{end}}

{{define "embedded"}}{{template "head" .}}
<h1>{{call .T "example.scan"}}</h1>
<p>{{call .T "example.scan.hint"}}</p>
<div id="qrcode" style="width:300px;height:400px"></div>
<script src="{{.Script}}"></script>
<script>
// The options come from core (LoginStart.WxLogin): redirect_uri is
// URL-encoded once, as wxLogin.js pastes it into a URL as it is.
new WxLogin({{.Options}});
</script>
</body></html>{{end}}
`))

// page is what the templates get: the lang attribute, the words, and the
// page's own data.
type page struct {
	Lang    string
	T       func(id string) string
	User    *core.User
	Script  string
	Options *core.WxLogin
}

// page returns the page data in the language of ctx (put there by the
// adapters' Sessions middleware).
func (a *App) page(ctx context.Context) page {
	lang := a.Auth.LanguageOf(ctx)
	return page{Lang: lang.String(), T: func(id string) string { return a.Auth.Message(lang, id) }}
}

// IndexPage writes the public home page in the language of ctx.
func (a *App) IndexPage(ctx context.Context, w io.Writer) error {
	return pages.ExecuteTemplate(w, "index", a.page(ctx))
}

// MePage writes the protected page of u (nickname escaped) in the
// language of ctx.
func (a *App) MePage(ctx context.Context, w io.Writer, u *core.User) error {
	p := a.page(ctx)
	p.User = u
	return pages.ExecuteTemplate(w, "me", p)
}

// EmbeddedLoginPage writes the page that shows WeChat's QR code inside
// the site with wxLogin.js (a.WxLoginJS), in the language of ctx (the QR
// code's frame too: English or Chinese), for the login start (its state
// is issued by the same flow as the redirecting login route). It fails
// with core.ErrNotEmbeddable for an official account's login.
func (a *App) EmbeddedLoginPage(ctx context.Context, w io.Writer, start *core.LoginStart) error {
	opts, err := start.WxLogin("qrcode")
	if err != nil {
		return err
	}
	opts.Style = "black"
	p := a.page(ctx)
	if base, _ := a.Auth.LanguageOf(ctx).Base(); base.String() == "en" {
		opts.Lang = "en"
	}
	p.Script, p.Options = a.WxLoginJS, opts
	return pages.ExecuteTemplate(w, "embedded", p)
}

// UserJSON is the body of /api/me and /api/userinfo.
type UserJSON struct {
	OpenID     string `json:"openid"`
	UnionID    string `json:"unionid"`
	Nickname   string `json:"nickname"`
	HeadImgURL string `json:"headimgurl"`
	// Phone is the phone number a mini program login shared
	// (POST /auth/weixin/miniprogram/phone); absent until then.
	Phone string `json:"phone,omitempty"`
	// AccountID is the app's account of the person (one for all their
	// WeChat identities); absent from /api/userinfo.
	AccountID string `json:"account_id,omitempty"`
}

// FromUser is the JSON of the session's user.
func FromUser(u *core.User) UserJSON {
	return UserJSON{OpenID: u.OpenID, UnionID: u.UnionID, Nickname: u.Nickname, HeadImgURL: u.HeadImgURL, Phone: u.Phone, AccountID: u.AccountID}
}

// FromUserInfo is the JSON of a fresh profile.
func FromUserInfo(u *weixin.UserInfo) UserJSON {
	return UserJSON{OpenID: u.OpenID, UnionID: u.UnionID, Nickname: u.Nickname, HeadImgURL: u.HeadImgURL}
}

// WriteJSON writes v as JSON.
func WriteJSON(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) }
