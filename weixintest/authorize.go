package weixintest

import (
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// authRequest is a validated request for one of WeChat's authorize pages.
type authRequest struct {
	app         App
	redirectURI string
	scope       string
	state       string
}

// validate checks the parameters of the authorize page at path as WeChat
// does, but for their order and the #wechat_redirect fragment, which a
// browser does not send: see validateURL.
func (s *Server) validate(path string, q url.Values) (*authRequest, error) {
	if path != PathQRConnect && path != PathAuthorize {
		return nil, fmt.Errorf("%q is not an authorize page (%s or %s)", path, PathQRConnect, PathAuthorize)
	}
	s.mu.Lock()
	app, ok := s.apps[q.Get("appid")]
	s.mu.Unlock()
	switch {
	case !ok:
		return nil, fmt.Errorf("appid 参数错误: no application %q", q.Get("appid"))
	case path == PathQRConnect && app.Kind != Website:
		return nil, fmt.Errorf("appid 参数错误: %s takes a website application, %s is an official account", path, app.AppID)
	case path == PathAuthorize && app.Kind != OfficialAccount:
		return nil, fmt.Errorf("appid 参数错误: %s takes an official account, %s is a website application", path, app.AppID)
	case q.Get("response_type") != "code":
		return nil, fmt.Errorf("response_type 参数错误: %q, want code", q.Get("response_type"))
	}
	scope := q.Get("scope")
	switch {
	case path == PathQRConnect && scope != "snsapi_login":
		return nil, fmt.Errorf("scope 参数错误: %q, %s takes snsapi_login", scope, path)
	case path == PathAuthorize && scope != "snsapi_base" && scope != "snsapi_userinfo":
		return nil, fmt.Errorf("scope 参数错误: %q, %s takes snsapi_base or snsapi_userinfo", scope, path)
	}
	redirectURI := q.Get("redirect_uri")
	ru, err := url.Parse(redirectURI)
	switch {
	case err != nil || (ru.Scheme != "http" && ru.Scheme != "https") || ru.Host == "":
		return nil, fmt.Errorf("redirect_uri 参数错误: %q is not an absolute http(s) URL", redirectURI)
	case app.CallbackDomain != "" && !hostMatches(ru, app.CallbackDomain):
		return nil, fmt.Errorf("redirect_uri 参数错误: host %q is not the callback domain %q", ru.Host, app.CallbackDomain)
	}
	state := q.Get("state")
	if len(state) > 128 || strings.IndexFunc(state, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	}) >= 0 {
		return nil, errors.New("state 参数错误: only [A-Za-z0-9], at most 128 bytes")
	}
	return &authRequest{app: app, redirectURI: redirectURI, scope: scope, state: state}, nil
}

// hostMatches reports whether u's host is the callback domain: any port
// when domain has none, as the fake runs examples on local ports.
func hostMatches(u *url.URL, domain string) bool {
	if _, _, err := net.SplitHostPort(domain); err == nil {
		return strings.EqualFold(u.Host, domain)
	}
	return strings.EqualFold(u.Hostname(), strings.Trim(domain, "[]"))
}

// validateURL checks a whole authorize URL as strictly as the official
// accounts' page does: this server's address, the parameters appid,
// redirect_uri (URL-encoded), response_type, scope and state in that
// order, followed only by lang (qrconnect), forcePopup or
// connect_redirect, and #wechat_redirect at the end; then validate.
func (s *Server) validateURL(authURL string) (*authRequest, error) {
	u, err := url.Parse(authURL)
	if err != nil {
		return nil, fmt.Errorf("weixintest: authorize URL: %w", err)
	}
	if base, _ := url.Parse(s.URL); u.Scheme != base.Scheme || u.Host != base.Host {
		return nil, fmt.Errorf("weixintest: authorize URL %s is not on this server (%s): check the Endpoint", u.Redacted(), s.URL)
	}
	if !strings.HasSuffix(authURL, "#wechat_redirect") || u.Fragment != "wechat_redirect" {
		return nil, errors.New("weixintest: the authorize URL must end with #wechat_redirect")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("weixintest: authorize URL query: %w", err)
	}
	var keys []string
	for kv := range strings.SplitSeq(u.RawQuery, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if k == "redirect_uri" && strings.ContainsAny(v, ":/?") {
			return nil, fmt.Errorf("weixintest: redirect_uri %q must be URL-encoded", v)
		}
		keys = append(keys, k)
	}
	want := []string{"appid", "redirect_uri", "response_type", "scope", "state"}
	if len(keys) < len(want) || !slices.Equal(keys[:len(want)], want) {
		return nil, fmt.Errorf("weixintest: authorize URL parameters %q, want %q in that order", keys, want)
	}
	extras := []string{"forcePopup", "connect_redirect"}
	if u.Path == PathQRConnect {
		extras = append(extras, "lang")
	}
	for i, k := range keys[len(want):] {
		if !slices.Contains(extras, k) || slices.Contains(keys[len(want):][:i], k) {
			return nil, fmt.Errorf("weixintest: unexpected parameter %q after state (%s allows %q, once each)", k, u.Path, extras)
		}
	}
	req, err := s.validate(u.Path, q)
	if err != nil {
		return nil, fmt.Errorf("weixintest: %w", err)
	}
	return req, nil
}

// Authorize acts as user userID confirming the login on the page at
// authURL, which it checks strictly (see validateURL's rules in the
// package documentation). It issues a code and returns the callback URL
// WeChat would redirect to, redirect_uri?code=CODE&state=STATE; it does
// not fetch it. It makes no HTTP call, so it is neither logged nor
// subject to faults.
func (s *Server) Authorize(authURL, userID string) (*url.URL, error) {
	req, err := s.validateURL(authURL)
	if err != nil {
		return nil, err
	}
	if !s.hasUser(userID) {
		return nil, fmt.Errorf("weixintest: no user %q", userID)
	}
	return appendQuery(req.redirectURI, url.Values{"code": {s.NewCode(req.app.AppID, userID, req.scope)}, "state": {req.state}})
}

// Decline acts as the user declining the login at authURL, checked as
// Authorize does: the callback URL carries the state and no code.
func (s *Server) Decline(authURL string) (*url.URL, error) {
	req, err := s.validateURL(authURL)
	if err != nil {
		return nil, err
	}
	return appendQuery(req.redirectURI, url.Values{"state": {req.state}})
}

func (s *Server) hasUser(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.userLocked(id) != nil
}

// appendQuery returns raw with params added after the query it has.
func appendQuery(raw string, params url.Values) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	u.RawQuery += params.Encode()
	return u, nil
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
<p>weixintest — a fake WeChat for development.<br>{{.Kind}} <code>{{.AppID}}</code> asks for <code>{{.Scope}}</code>.</p>
<form method="post" action="{{.Confirm}}"{{if .Top}} target="_top"{{end}}>
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

// authorizePage serves the consent page of both authorize pages, or an
// error page with status 400.
func (s *Server) authorizePage(w http.ResponseWriter, r *http.Request) (int, int) {
	q := r.URL.Query()
	req, err := s.validate(r.URL.Path, q)
	if err != nil {
		return 0, pageError(w, err)
	}
	type user struct{ ID, Nickname, Avatar string }
	var users []user
	for _, u := range s.Users() {
		avatar := u.HeadImgURL
		if avatar == "" {
			avatar = s.avatarURL(u.ID)
		}
		users = append(users, user{u.ID, u.Nickname, avatar})
	}
	kind := "Website application"
	if req.app.Kind == OfficialAccount {
		kind = "Official account"
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	consentPage.Execute(w, map[string]any{
		"Kind": kind, "AppID": req.app.AppID, "Scope": req.scope, "State": req.state,
		"RedirectURI": req.redirectURI, "Path": r.URL.Path, "Confirm": PathConfirm, "Users": users,
		// Embedded by wxLogin.js, the page redirects the whole window
		// unless self_redirect is true, as WeChat's does.
		"Top": q.Get("login_type") == "jssdk" && q.Get("self_redirect") != "true",
	})
	return 0, http.StatusOK
}

// confirm receives the consent page's form, checks it again, and
// redirects to the callback, with a code unless the user declined.
func (s *Server) confirm(w http.ResponseWriter, r *http.Request) (int, int) {
	req, err := s.validate(r.PostForm.Get("path"), r.PostForm)
	if err != nil {
		return 0, pageError(w, err)
	}
	params := url.Values{"state": {req.state}}
	if r.PostForm.Get("decline") == "" {
		userID := r.PostForm.Get("user")
		if !s.hasUser(userID) {
			return 0, pageError(w, fmt.Errorf("no user %q", userID))
		}
		params.Set("code", s.NewCode(req.app.AppID, userID, req.scope))
	}
	u, err := appendQuery(req.redirectURI, params)
	if err != nil {
		return 0, pageError(w, err)
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusFound)
	return 0, http.StatusFound
}

// pageError answers WeChat's error page with status 400 and the reason.
func pageError(w http.ResponseWriter, err error) int {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, "<!doctype html><meta charset=\"utf-8\"><title>微信登录</title><h1>该链接无法访问</h1><p>%s</p>",
		template.HTMLEscapeString(err.Error()))
	return http.StatusBadRequest
}
