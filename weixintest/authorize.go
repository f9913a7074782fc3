package weixintest

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// authRequest is a validated request for WeChat's authorize page.
type authRequest struct {
	app         App
	redirectURI string
	scope       string
	state       string
}

// errRedirectURI is WeChat's message for a redirect_uri outside the
// callback domain.
var errRedirectURI = errors.New("redirect_uri 参数错误")

// validate checks the parameters of an authorize page at path.
func (s *Server) validate(path string, q url.Values) (*authRequest, error) {
	s.mu.Lock()
	app, ok := s.apps[q.Get("appid")]
	s.mu.Unlock()
	if !ok {
		return nil, errors.New("appid 参数错误 (unknown appid)")
	}
	// wxLogin.js sends no response_type, and WeChat accepts that URL.
	jssdk := path == PathQRConnect && q.Get("login_type") == "jssdk"
	if rt := q.Get("response_type"); rt != "code" && !(jssdk && rt == "") {
		return nil, errors.New("response_type 参数错误: must be code")
	}
	scope := q.Get("scope")
	switch {
	case path == PathQRConnect && app.Kind != Website:
		return nil, errors.New("qrconnect needs a website application (scope 参数错误)")
	case path == PathQRConnect && scope != "snsapi_login":
		return nil, errors.New("scope 参数错误: qrconnect takes snsapi_login")
	case path == PathAuthorize && app.Kind != OfficialAccount:
		return nil, errors.New("oauth2/authorize needs an official account")
	case path == PathAuthorize && scope != "snsapi_base" && scope != "snsapi_userinfo":
		return nil, errors.New("scope 参数错误: oauth2/authorize takes snsapi_base or snsapi_userinfo")
	case path != PathQRConnect && path != PathAuthorize:
		return nil, fmt.Errorf("%s is not an authorize page", path)
	}
	// The query is decoded once, as WeChat decodes it: a redirect_uri
	// encoded twice is no URL, and refused as WeChat refuses it.
	ru, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || (ru.Scheme != "http" && ru.Scheme != "https") || ru.Host == "" {
		return nil, errRedirectURI
	}
	if app.CallbackDomain != "" && ru.Hostname() != app.CallbackDomain {
		return nil, errRedirectURI
	}
	if err := checkState(path, q.Get("state")); err != nil {
		return nil, err
	}
	state := q.Get("state")
	return &authRequest{app: app, redirectURI: q.Get("redirect_uri"), scope: scope, state: state}, nil
}

// checkState checks state as WeChat does: the official account's page
// takes only [A-Za-z0-9]; the website's QR page takes any printable text
// (UUIDs with '-' are common), at most 128 bytes either way.
func checkState(path, state string) error {
	if len(state) > 128 {
		return errors.New("state 参数错误: at most 128 bytes")
	}
	if path == PathQRConnect {
		if strings.IndexFunc(state, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
			return errors.New("state 参数错误: control characters")
		}
		return nil
	}
	if strings.IndexFunc(state, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	}) >= 0 {
		return errors.New("state 参数错误: only [A-Za-z0-9]")
	}
	return nil
}

// validateURL checks a whole authorize URL as the authorize pages do:
// parameters in WeChat's order, and #wechat_redirect at the end of the
// official account's (the QR page's URL works without it: browsers do
// not send fragments, and WeChat documents it for the official
// account's page only).
func (s *Server) validateURL(authURL string) (*authRequest, error) {
	u, err := url.Parse(authURL)
	if err != nil {
		return nil, fmt.Errorf("weixintest: authorize URL: %w", err)
	}
	if u.Fragment != "wechat_redirect" && !(u.Path == PathQRConnect && u.Fragment == "") {
		return nil, errors.New("weixintest: the authorize URL must end with #wechat_redirect")
	}
	var keys []string
	for _, kv := range strings.Split(u.RawQuery, "&") {
		k, _, _ := strings.Cut(kv, "=")
		keys = append(keys, k)
	}
	want := []string{"appid", "redirect_uri", "response_type", "scope", "state"}
	if len(keys) < len(want) || !slices.Equal(keys[:len(want)], want) {
		return nil, fmt.Errorf("weixintest: parameters %v, want %v in that order", keys, want)
	}
	for _, k := range keys[len(want):] {
		if k != "lang" && k != "forcePopup" && k != "connect_redirect" {
			return nil, fmt.Errorf("weixintest: unexpected parameter %q", k)
		}
	}
	req, err := s.validate(u.Path, u.Query())
	if err != nil {
		return nil, fmt.Errorf("weixintest: %w", err)
	}
	return req, nil
}

// Authorize acts as user userID confirming the login on the page at
// authURL, which it checks strictly (parameter order, #wechat_redirect on
// the official account's page, scope, redirect_uri, state). It returns the callback URL WeChat would
// redirect to, redirect_uri?code=CODE&state=STATE; it does not fetch it.
func (s *Server) Authorize(authURL, userID string) (*url.URL, error) {
	req, err := s.validateURL(authURL)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	known := s.userLocked(userID) != nil
	s.mu.Unlock()
	if !known {
		return nil, fmt.Errorf("weixintest: no user %q", userID)
	}
	code := s.NewCode(req.app.AppID, userID, req.scope)
	return appendQuery(req.redirectURI, url.Values{"code": {code}, "state": {req.state}})
}

// Decline acts as the user declining the login at authURL: the callback
// URL carries the state and no code.
func (s *Server) Decline(authURL string) (*url.URL, error) {
	req, err := s.validateURL(authURL)
	if err != nil {
		return nil, err
	}
	return appendQuery(req.redirectURI, url.Values{"state": {req.state}})
}

// NewCode issues an authorization code of appID for user userID with
// scope, as if the user had consented.
func (s *Server) NewCode(appID, userID, scope string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ttl := s.codeTTL
	if ttl == 0 {
		ttl = 10 * time.Minute
		if s.apps[appID].Kind == OfficialAccount {
			ttl = 5 * time.Minute
		}
	}
	code := randomToken(32)
	now := s.now()
	s.codes[code] = &grant{appID: appID, userID: userID, scope: scope, issued: now, expires: now.Add(ttl)}
	return code
}

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>微信登录 (weixintest)</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem;text-align:center;color:#222}
button{display:flex;align-items:center;gap:.75rem;width:100%;margin:.5rem 0;padding:.6rem 1rem;font-size:1rem;border:1px solid #ddd;border-radius:8px;background:#fff;cursor:pointer}
button.user:hover{border-color:#07c160}
img{width:40px;height:40px;border-radius:4px}
#decline{justify-content:center;color:#888}
.note{color:#888;font-size:.85rem}
</style></head><body>
<h1>微信登录</h1>
<p>weixintest — a fake WeChat for development.<br>App <code>{{.AppID}}</code> asks for <code>{{.Scope}}</code>.</p>
<form method="post" action="{{.Confirm}}">
<input type="hidden" name="appid" value="{{.AppID}}">
<input type="hidden" name="redirect_uri" value="{{.RedirectURI}}">
<input type="hidden" name="response_type" value="code">
<input type="hidden" name="scope" value="{{.Scope}}">
<input type="hidden" name="state" value="{{.State}}">
<input type="hidden" name="path" value="{{.Path}}">
{{range .Users}}<button class="user" id="user-{{.ID}}" name="user" value="{{.ID}}"><img src="{{.Avatar}}" alt=""><span>{{.Nickname}}</span></button>
{{end}}<button id="decline" name="decline" value="1">拒绝 Decline</button>
</form>
<p class="note">Pick a user to log in as; nothing leaves this machine.</p>
</body></html>
`))

// ParamUser, added to the query of an authorize page of the fake (and
// of the fake only), confirms the login as that user at once: the page
// redirects to the callback with a code, as the consent page does when
// the person picks the user. A script logs in without reading HTML:
//
//	loc=$(curl -s -c jar -o /dev/null -w '%{redirect_url}' http://127.0.0.1:8080/auth/weixin/login)
//	cb=$(curl -s -o /dev/null -w '%{redirect_url}' "${loc%#*}&user=u1")
//	curl -s -b jar -c jar -o /dev/null "$cb"; curl -s -b jar http://127.0.0.1:8080/api/me
const ParamUser = "user"

// handleAuthorizePage serves the consent page of both authorize pages,
// and the QR page of /connect/qrconnect embedded by wxLogin.js
// (login_type=jssdk); with ParamUser it confirms as that user at once.
func (s *Server) handleAuthorizePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	req, err := s.validate(r.URL.Path, q)
	s.record(r.Method, r.URL.Path, q, 0, http.StatusOK)
	if err != nil {
		pageError(w, err)
		return
	}
	if userID := q.Get(ParamUser); userID != "" {
		s.mu.Lock()
		known := s.userLocked(userID) != nil
		s.mu.Unlock()
		if !known {
			pageError(w, fmt.Errorf("no user %q", userID))
			return
		}
		u, err := appendQuery(req.redirectURI, url.Values{"code": {s.NewCode(req.app.AppID, userID, req.scope)}, "state": {req.state}})
		if err != nil {
			pageError(w, err)
			return
		}
		http.Redirect(w, r, u.String(), http.StatusFound)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if r.URL.Path == PathQRConnect && q.Get("login_type") == "jssdk" {
		// Embedded by wxLogin.js: a QR code scanned elsewhere.
		s.serveQRPage(w, req, q.Get("self_redirect") == "true")
		return
	}
	consentPage.Execute(w, map[string]any{
		"AppID": req.app.AppID, "Scope": req.scope, "State": req.state, "RedirectURI": req.redirectURI,
		"Path": r.URL.Path, "Confirm": PathConfirm, "Users": s.pageUsers(),
	})
}

// handleConfirm receives the consent page's form and redirects to the
// callback, with a code unless the user declined.
func (s *Server) handleConfirm(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	req, err := s.validate(r.PostForm.Get("path"), r.PostForm)
	s.record(r.Method, r.URL.Path, r.PostForm, 0, http.StatusOK)
	if err != nil {
		pageError(w, err)
		return
	}
	params := url.Values{"state": {req.state}}
	if r.PostForm.Get("decline") == "" {
		userID := r.PostForm.Get("user")
		s.mu.Lock()
		known := s.userLocked(userID) != nil
		s.mu.Unlock()
		if !known {
			pageError(w, fmt.Errorf("no user %q", userID))
			return
		}
		params.Set("code", s.NewCode(req.app.AppID, userID, req.scope))
	}
	u, err := appendQuery(req.redirectURI, params)
	if err != nil {
		pageError(w, err)
		return
	}
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// pageError answers WeChat's error page: HTTP 200 (as WeChat's), naming
// the bad parameter.
func pageError(w http.ResponseWriter, err error) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintf(w, "<!doctype html><meta charset=\"utf-8\"><title>微信登录</title><h1>该链接无法访问</h1><p>%s</p>",
		template.HTMLEscapeString(err.Error()))
}

// pageUser is a user as the fake's pages show it.
type pageUser struct{ ID, Nickname, Avatar string }

// pageUsers lists the users with avatars the fake serves itself.
func (s *Server) pageUsers() []pageUser {
	var out []pageUser
	for _, u := range s.Users() {
		out = append(out, pageUser{u.ID, u.Nickname, s.LocalAvatarURL(u.HeadImgURL)})
	}
	return out
}
