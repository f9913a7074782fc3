package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/adapter"
	"github.com/wxlogin/wxlogin/weixintest"
)

func checkSecurityHeaders(t *testing.T, r adapter.Response) {
	t.Helper()
	for k, v := range map[string]string{"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
		if got := r.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestLoginAndCallbackResponses(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	var r adapter.Response
	b.do(func(ctx context.Context) {
		r = e.auth.Adapter().LoginResponse(ctx, "/orders", "Mozilla/5.0 Chrome/130")
	})
	if r.Status != http.StatusFound || !strings.Contains(r.Header.Get("Location"), "/connect/qrconnect?") {
		t.Fatalf("login: %d %v", r.Status, r.Header)
	}
	checkSecurityHeaders(t, r)
	b.do(func(ctx context.Context) {
		r = e.auth.Adapter().LoginResponse(ctx, "", "Mozilla/5.0 (iPhone) MicroMessenger/8.0.47")
	})
	if !strings.Contains(r.Header.Get("Location"), "/connect/oauth2/authorize?appid="+weixintest.DefaultMPAppID) {
		t.Errorf("in-WeChat login: %v", r.Header.Get("Location"))
	}
	var start string
	b.do(func(ctx context.Context) {
		start = e.auth.Adapter().LoginResponse(ctx, "/orders", "").Header.Get("Location")
	})
	cb, err := e.srv.Authorize(start, "u1")
	if err != nil {
		t.Fatal(err)
	}
	b.do(func(ctx context.Context) { r = e.auth.Adapter().CallbackResponse(ctx, cb.Query()) })
	if r.Status != http.StatusFound || r.Header.Get("Location") != "/orders" {
		t.Fatalf("callback: %d %v", r.Status, r.Header)
	}
	checkSecurityHeaders(t, r)

	// A failed callback: a readable page, no error text, no third party.
	q := cb.Query()
	q.Set("state", "FORGEDSTATE")
	q.Set("code", "code-with-<script>")
	b.do(func(ctx context.Context) { r = e.auth.Adapter().CallbackResponse(ctx, q) })
	body := string(r.Body)
	if r.Status != http.StatusBadRequest || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(body, "此登录链接在当前浏览器中无效") || !strings.Contains(body, `href="/auth/weixin/login"`) { // no language in ctx: zh-CN
		t.Fatalf("error page: %d %v %s", r.Status, r.Header, body)
	}
	for _, leak := range []string{"FORGEDSTATE", "code-with", "wxlogin:", "http://", "https://"} {
		if strings.Contains(body, leak) {
			t.Errorf("error page contains %q", leak)
		}
	}
	checkSecurityHeaders(t, r)
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP = %q", csp)
	}
}

func TestLogoutResponse(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("u1")
	var r adapter.Response
	b.do(func(ctx context.Context) { r = e.auth.Adapter().LogoutResponse(ctx, http.MethodGet) })
	if r.Status != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "POST" {
		t.Errorf("GET logout: %d %v", r.Status, r.Header)
	}
	if _, ok := b.user(); !ok {
		t.Fatal("GET logged out")
	}
	b.do(func(ctx context.Context) { r = e.auth.Adapter().LogoutResponse(ctx, http.MethodPost) })
	if r.Status != http.StatusFound || r.Header.Get("Location") != "/" {
		t.Errorf("POST logout: %d %v", r.Status, r.Header)
	}
	if _, ok := b.user(); ok {
		t.Error("still logged in")
	}
}

func TestLoginRequiredResponse(t *testing.T) {
	e := newEnv(t)
	const html = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	for _, tt := range []struct {
		method, accept, uri string
		status              int
		loginURL            string
	}{
		{"GET", html, "/me?tab=1", 302, "/auth/weixin/login?next=%2Fme%3Ftab%3D1"},
		{"HEAD", "text/html", "/me", 302, "/auth/weixin/login?next=%2Fme"},
		{"GET", "application/json", "/api/me", 401, "/auth/weixin/login?next=%2Fapi%2Fme"},
		{"GET", "*/*", "/api/me", 401, "/auth/weixin/login?next=%2Fapi%2Fme"},
		{"GET", "", "/api/me", 401, "/auth/weixin/login?next=%2Fapi%2Fme"},
		{"POST", html, "/orders", 401, "/auth/weixin/login?next=%2Forders"},
		{"GET", html, "//evil.example/x", 302, "/auth/weixin/login"},
	} {
		r := e.auth.Adapter().LoginRequiredResponse(adapter.RequestInfo{Method: tt.method, Accept: tt.accept, RequestURI: tt.uri})
		if r.Status != tt.status {
			t.Errorf("%s %s (%s): %d, want %d", tt.method, tt.uri, tt.accept, r.Status, tt.status)
			continue
		}
		if r.Status == 302 {
			if r.Header.Get("Location") != tt.loginURL {
				t.Errorf("%s %s: Location %q, want %q", tt.method, tt.uri, r.Header.Get("Location"), tt.loginURL)
			}
			continue
		}
		var body struct{ Error, LoginURL string }
		json.Unmarshal(r.Body, &struct {
			Error    *string `json:"error"`
			LoginURL *string `json:"login_url"`
		}{&body.Error, &body.LoginURL})
		if body.Error != "login_required" || body.LoginURL != tt.loginURL || r.Header.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Errorf("%s %s: %s", tt.method, tt.uri, r.Body)
		}
	}
}

func TestCustomErrorPage(t *testing.T) {
	e := newEnv(t, func(o *core.Options) {
		o.LoginPath = "/login/wx"
		o.DefaultLanguage = "en"
		o.ErrorPage = func(p core.ErrorPageData) []byte {
			if errors.Is(p.Err, core.ErrLoginDeclined) && p.Class.Status == http.StatusForbidden &&
				p.Language.String() == "en" && p.Class.Title == "Login cancelled" && p.LoginPath == "/login/wx" {
				return []byte("declined")
			}
			return []byte("other")
		}
	})
	b := e.browser()
	var start string
	b.do(func(ctx context.Context) { start = e.auth.Adapter().LoginResponse(ctx, "", "").Header.Get("Location") })
	cb, _ := e.srv.Decline(start)
	var r adapter.Response
	b.do(func(ctx context.Context) { r = e.auth.Adapter().CallbackResponse(ctx, cb.Query()) })
	if r.Status != http.StatusForbidden || string(r.Body) != "declined" {
		t.Errorf("custom page: %d %s", r.Status, r.Body)
	}
	if r := e.auth.Adapter().LoginRequiredResponse(adapter.RequestInfo{Method: http.MethodGet, Accept: "text/html", RequestURI: "/x"}); r.Header.Get("Location") != "/login/wx?next=%2Fx" {
		t.Errorf("login URL = %s", r.Header.Get("Location"))
	}
}
