package core_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/adapter"
	"github.com/wxlogin/wxlogin/core/weixin"
)

const wechatUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.49(0x18003137) NetType/WIFI Language/zh_CN"

func TestLanguageNegotiation(t *testing.T) {
	zh, en := newEnv(t), newEnv(t, func(o *core.Options) { o.DefaultLanguage = "en" })
	for _, tt := range []struct {
		accept, ua string
		want       string // with the default zh-CN
		wantEN     string // with DefaultLanguage "en"
	}{
		{"zh-CN,zh;q=0.9", "", "zh-CN", "zh-CN"},
		{"zh", "", "zh-CN", "zh-CN"},
		{"zh-Hans-CN", "", "zh-CN", "zh-CN"},
		{"zh-SG", "", "zh-CN", "zh-CN"},
		{"en", "", "en", "en"},
		{"en-US,en;q=0.9", "", "en", "en"},
		{"en-GB", "", "en", "en"},
		// q-values decide, not the order in the header.
		{"en;q=0.5, zh-CN;q=0.9", "", "zh-CN", "zh-CN"},
		{"zh-CN;q=0.4, en;q=0.8", "", "en", "en"},
		{"zh-CN;q=0, en", "", "en", "en"},
		// An unknown language is skipped for the next one, or gives the default.
		{"fr-FR, en;q=0.3", "", "en", "en"},
		{"fr", "", "zh-CN", "en"},
		{"ja,ko;q=0.9", "", "zh-CN", "en"},
		{"*", "", "zh-CN", "en"},
		{"en;q=0", "", "zh-CN", "en"},
		{"", "", "zh-CN", "en"},
		{"en;q=oops", "", "zh-CN", "en"}, // malformed
		// Inside WeChat without a usable Accept-Language: Chinese.
		{"", wechatUA, "zh-CN", "zh-CN"},
		{"fr", wechatUA, "zh-CN", "zh-CN"},
		{"en-US", wechatUA, "en", "en"},
		{"", "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0", "zh-CN", "en"},
	} {
		r := adapter.RequestInfo{AcceptLanguage: tt.accept, UserAgent: tt.ua}
		if got := zh.auth.Adapter().Language(r).String(); got != tt.want {
			t.Errorf("Accept-Language %q, UA %.20q: %s, want %s", tt.accept, tt.ua, got, tt.want)
		}
		if got := en.auth.Adapter().Language(r).String(); got != tt.wantEN {
			t.Errorf("DefaultLanguage en: Accept-Language %q, UA %.20q: %s, want %s", tt.accept, tt.ua, got, tt.wantEN)
		}
	}
}

func TestLanguageContext(t *testing.T) {
	e := newEnv(t)
	if got := e.auth.LanguageOf(context.Background()).String(); got != "zh-CN" {
		t.Errorf("no language in the context: %s", got)
	}
	ctx := e.auth.Adapter().WithLanguage(context.Background(), adapter.RequestInfo{AcceptLanguage: "en-US"})
	if got := e.auth.LanguageOf(ctx).String(); got != "en" {
		t.Errorf("WithLanguage(en-US): %s", got)
	}
	req := httptest.NewRequest("GET", "/me?x=1", nil)
	req.Header.Set("Accept", "text/html")
	req.Header.Set("Accept-Language", "en")
	req.Header.Set("User-Agent", wechatUA)
	want := adapter.RequestInfo{Method: "GET", Accept: "text/html", RequestURI: "/me?x=1", AcceptLanguage: "en", UserAgent: wechatUA}
	if got := adapter.RequestInfoOf(req); got != want {
		t.Errorf("RequestInfoOf = %+v", got)
	}
}

// Every error page, in both languages: the words of its language and
// the lang attribute.
func TestErrorPagesInBothLanguages(t *testing.T) {
	e := newEnv(t)
	errs := []error{
		core.ErrStateExpired, core.ErrStateInvalid, weixin.ErrCodeInvalid, core.ErrLoginDeclined,
		fmt.Errorf("%w: no", core.ErrLoginRejected), weixin.ErrSnapshotUser, core.ErrLoginRequired,
		core.ErrMethodNotAllowed, core.ErrNoSession, fmt.Errorf("%w: down", core.ErrSessionStore),
		&weixin.UpstreamError{Op: "exchange", Timeout: true, Err: context.DeadlineExceeded},
		&weixin.APIError{Op: "exchange", Code: -1}, errors.New("other"),
	}
	zhTitles := map[string]string{
		"state_expired": "登录失败", "declined": "登录已取消", "login_required": "需要登录",
		"method_not_allowed": "不支持的请求方式", "session_store": "暂时无法使用",
	}
	enTitles := map[string]string{
		"state_expired": "Login failed", "declined": "Login cancelled", "login_required": "Login required",
		"method_not_allowed": "Method not allowed", "session_store": "Temporarily unavailable",
	}
	for _, lang := range []string{"zh-CN", "en"} {
		ctx := e.auth.Adapter().WithLanguage(context.Background(), adapter.RequestInfo{AcceptLanguage: lang})
		tag := e.auth.LanguageOf(ctx)
		seen := map[string]bool{}
		for _, err := range errs {
			r := e.auth.Adapter().ErrorResponse(ctx, err)
			body := string(r.Body)
			c := core.Classify(err)
			c.Title, c.Message = e.auth.Message(tag, c.TitleID), e.auth.Message(tag, c.MessageID)
			if r.Status != core.Classify(err).Status || !strings.Contains(body, `<html lang="`+lang+`">`) ||
				!strings.Contains(body, "<h1>"+c.Title+"</h1>") || !strings.Contains(body, "<p>"+c.Message+"</p>") ||
				r.Header.Get("Content-Language") != lang {
				t.Errorf("%s, %v: %d %v\n%s", lang, err, r.Status, r.Header, body)
			}
			han := strings.ContainsFunc(c.Title+c.Message, isHan)
			if han != (lang == "zh-CN") {
				t.Errorf("%s, %v: words %q %q", lang, err, c.Title, c.Message)
			}
			titles := enTitles
			if lang == "zh-CN" {
				titles = zhTitles
			}
			if want, ok := titles[c.Code]; ok && c.Title != want {
				t.Errorf("%s, %v: title %q, want %q", lang, err, c.Title, want)
			}
			if c.OfferLogin != strings.Contains(body, `href="/auth/weixin/login"`) {
				t.Errorf("%s, %v: login link %v", lang, err, c.OfferLogin)
			}
			if c.OfferLogin && !strings.Contains(body, e.auth.Message(tag, "link.login_again")) {
				t.Errorf("%s, %v: the link's words", lang, err)
			}
			seen[c.MessageID] = true
		}
		if len(seen) != 13 {
			t.Errorf("%d distinct messages, want 13: %v", len(seen), slices.Sorted(maps.Keys(seen)))
		}
	}
	// Classify keeps its English words.
	if c := core.Classify(core.ErrLoginDeclined); c.Title != "Login cancelled" || c.TitleID != "title.login_cancelled" {
		t.Errorf("Classify: %+v", c)
	}
}

func isHan(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }

// Both built-in tables hold the same ids, every one with words.
func TestMessagesTables(t *testing.T) {
	m := core.DefaultMessages()
	if len(m) != 2 {
		t.Fatalf("languages %v", slices.Sorted(maps.Keys(m)))
	}
	zh, en := m["zh-CN"], m["en"]
	if !slices.Equal(slices.Sorted(maps.Keys(zh)), slices.Sorted(maps.Keys(en))) {
		t.Errorf("ids differ:\nzh-CN %v\nen    %v", slices.Sorted(maps.Keys(zh)), slices.Sorted(maps.Keys(en)))
	}
	for id, s := range zh {
		if s == "" || en[id] == "" || !strings.ContainsFunc(s, isHan) || strings.ContainsFunc(en[id], isHan) {
			t.Errorf("%s: %q / %q", id, s, en[id])
		}
	}
	m["en"]["title.login_failed"] = "changed"
	if core.DefaultMessages()["en"]["title.login_failed"] != "Login failed" {
		t.Error("DefaultMessages returns the tables themselves")
	}
}

// An app adds Traditional Chinese and changes a word.
func TestMessagesExtend(t *testing.T) {
	e := newEnv(t, func(o *core.Options) {
		o.Messages = core.Messages{
			"zh-TW": {"title.login_failed": "登入失敗", "shop.cart": "購物車"},
			"en":    {"link.login_again": "Try again"},
			"zh-CN": {"shop.cart": "购物车"},
		}
	})
	tw := e.auth.Adapter().Language(adapter.RequestInfo{AcceptLanguage: "zh-TW,zh;q=0.9"})
	if tw.String() != "zh-TW" {
		t.Fatalf("zh-TW: %s", tw)
	}
	if hk := e.auth.Adapter().Language(adapter.RequestInfo{AcceptLanguage: "zh-HK"}); hk != tw {
		t.Errorf("zh-HK: %s, want zh-TW", hk)
	}
	c := core.Classify(core.ErrStateExpired)
	c.Title, c.Message = e.auth.Message(tw, c.TitleID), e.auth.Message(tw, c.MessageID)
	if c.Title != "登入失敗" || c.Message != "登录用时过长，请重新开始。" { // the rest falls back to the default language
		t.Errorf("zh-TW words: %+v", c)
	}
	ctx := e.auth.Adapter().WithLanguage(context.Background(), adapter.RequestInfo{AcceptLanguage: "zh-TW"})
	if body := string(e.auth.Adapter().ErrorResponse(ctx, core.ErrStateExpired).Body); !strings.Contains(body, `<html lang="zh-TW">`) {
		t.Errorf("zh-TW page: %s", body)
	}
	en := e.auth.Adapter().Language(adapter.RequestInfo{AcceptLanguage: "en"})
	if got := e.auth.Message(en, "link.login_again"); got != "Try again" {
		t.Errorf("en link: %q", got)
	}
	if got := e.auth.Message(en, "title.login_failed"); got != "Login failed" {
		t.Errorf("en title: %q", got)
	}
	if got := e.auth.Message(en, "shop.cart"); got != "购物车" {
		t.Errorf("an id English lacks: %q, want the default language's", got)
	}
	if got := e.auth.Message(en, "no.such.id"); got != "no.such.id" {
		t.Errorf("unknown id: %q", got)
	}
	// Without a zh-TW table, Traditional Chinese readers get Simplified
	// Chinese (x/text: Low confidence), unless they also read English.
	enDefault := newEnv(t, func(o *core.Options) { o.DefaultLanguage = "en" }).auth
	if got := enDefault.Adapter().Language(adapter.RequestInfo{AcceptLanguage: "zh-TW"}); got.String() != "zh-CN" {
		t.Errorf("zh-TW without its words: %s", got)
	}
	if got := enDefault.Adapter().Language(adapter.RequestInfo{AcceptLanguage: "zh-TW,en;q=0.5"}); got.String() != "en" {
		t.Errorf("zh-TW,en;q=0.5 without zh-TW words: %s", got)
	}
}

func TestLanguageOptionsRefused(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts func(*core.Options)
		want string
	}{
		{"bad tag", func(o *core.Options) { o.Messages = core.Messages{"not a tag!": {}} }, "is not a language tag"},
		{"bad default", func(o *core.Options) { o.DefaultLanguage = "??" }, "DefaultLanguage"},
		{"default without words", func(o *core.Options) { o.DefaultLanguage = "fr" }, "has no words"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			opts := core.Options{Website: &weixin.Config{AppID: "wx1", AppSecret: "s", RedirectURL: callbackURL, Scopes: []string{weixin.ScopeLogin}},
				Sessions: e.sm}
			tt.opts(&opts)
			if _, err := core.New(opts); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: %v, want %q", err, tt.want)
			}
		})
	}
	// A language of its own as the default.
	e := newEnv(t, func(o *core.Options) {
		o.DefaultLanguage = "fr"
		o.Messages = core.Messages{"fr": {"title.login_failed": "Échec de la connexion"}}
	})
	if got := e.auth.LanguageOf(context.Background()).String(); got != "fr" {
		t.Errorf("default fr: %s", got)
	}
}

// WeChat's QR-code page follows the language: lang=en for English, none
// for Chinese; the official account's page (inside WeChat) takes none.
func TestLoginResponseQRPageLanguage(t *testing.T) {
	e := newEnv(t)
	for _, tt := range []struct {
		accept, ua string
		lang       string
		appID      string
	}{
		{"en-US,en;q=0.9", "", "en", "wx"},
		{"zh-CN,zh;q=0.9", "", "", "wx"},
		{"", "", "", "wx"},
		{"en", wechatUA, "", "mp"},
	} {
		b := e.browser()
		var loc string
		b.do(func(ctx context.Context) {
			ctx = e.auth.Adapter().WithLanguage(ctx, adapter.RequestInfo{AcceptLanguage: tt.accept, UserAgent: tt.ua})
			r := e.auth.Adapter().LoginResponse(ctx, "", tt.ua)
			if r.Status != http.StatusFound {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			loc = r.Header.Get("Location")
		})
		u, _ := url.Parse(loc)
		q := u.Query()
		if q.Get("lang") != tt.lang || (tt.appID == "mp") != strings.Contains(u.Path, "/connect/oauth2/authorize") {
			t.Errorf("%q %q: %s", tt.accept, tt.ua, loc)
		}
		if _, err := e.srv.Authorize(loc, "u1"); err != nil {
			t.Errorf("the fake refuses %s: %v", loc, err)
		}
	}
}
