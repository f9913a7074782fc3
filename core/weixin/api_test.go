package weixin_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/weixintest"
)

// api returns a fake WeChat and a Config of its website application.
func api(t *testing.T) (*weixintest.Server, *weixin.Config) {
	t.Helper()
	srv := weixintest.NewServer()
	t.Cleanup(srv.Close)
	cfg := srv.Config(weixintest.DefaultAppID, callbackURL, weixin.ScopeLogin)
	cfg.Timeout = 500 * time.Millisecond
	cfg.RetryBackoff = time.Millisecond
	cfg.Logger = slog.New(slog.DiscardHandler)
	return srv, &cfg
}

func exchange(t *testing.T, srv *weixintest.Server, cfg *weixin.Config, userID string) *weixin.Token {
	t.Helper()
	tok, err := cfg.Exchange(context.Background(), srv.NewCode(cfg.AppID, userID, cfg.Scope()))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestAuthCodeURL(t *testing.T) {
	srv, cfg := api(t)
	got := cfg.AuthCodeURL("abcXYZ123")
	want := srv.URL + "/connect/qrconnect?appid=" + weixintest.DefaultAppID +
		"&redirect_uri=https%3A%2F%2Fapp.example%2Fauth%2Fweixin%2Fcallback&response_type=code&scope=snsapi_login&state=abcXYZ123#wechat_redirect"
	if got != want {
		t.Errorf("AuthCodeURL =\n%s\nwant\n%s", got, want)
	}
	if _, err := srv.Authorize(got, "u1"); err != nil {
		t.Errorf("the fake refuses it: %v", err)
	}
	withLang := cfg.AuthCodeURL("s1", weixin.LangParam("en"))
	if !strings.HasSuffix(withLang, "&state=s1&lang=en#wechat_redirect") {
		t.Errorf("with lang: %s", withLang)
	}
	mp := srv.Config(weixintest.DefaultMPAppID, callbackURL, weixin.ScopeBase)
	got = mp.AuthCodeURL("s2", weixin.ForcePopup, weixin.ConnectRedirect)
	if !strings.HasPrefix(got, srv.URL+"/connect/oauth2/authorize?appid="+weixintest.DefaultMPAppID+"&redirect_uri=") ||
		!strings.HasSuffix(got, "&response_type=code&scope=snsapi_base&state=s2&forcePopup=true&connect_redirect=1#wechat_redirect") {
		t.Errorf("official account URL: %s", got)
	}
	if _, err := srv.Authorize(got, "u1"); err != nil {
		t.Errorf("the fake refuses it: %v", err)
	}
	if (&weixin.Config{}).AuthCodeURL("s") != "https://open.weixin.qq.com/connect/qrconnect?appid=&redirect_uri=&response_type=code&scope=snsapi_login&state=s#wechat_redirect" {
		t.Error("zero Config does not default to WeChat's host and snsapi_login")
	}
}

func TestExchangeAndUserInfo(t *testing.T) {
	srv, cfg := api(t)
	emoji := srv.AddUser(weixintest.User{Nickname: "Lily 🌸✨ 李", Sex: 2, Province: "广东", City: "深圳", Country: "中国",
		HeadImgURL: "http://thirdwx.qlogo.cn/mmopen/vi_32/abc/132", Privilege: []string{"chinaunicom"}})
	tok := exchange(t, srv, cfg, emoji.ID)
	now := srv.Now()
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.OpenID != srv.OpenID(cfg.AppID, emoji.ID) ||
		tok.UnionID != emoji.UnionID || !tok.HasScope(weixin.ScopeLogin) || tok.AppID != cfg.AppID || tok.IsSnapshotUser {
		t.Errorf("token = %+v", tok)
	}
	if d := tok.Expiry.Sub(now); d < 2*time.Hour-time.Minute || d > 2*time.Hour {
		t.Errorf("expires in %v", d)
	}
	if d := tok.RefreshExpiry.Sub(now); d < 30*24*time.Hour-time.Minute || d > 30*24*time.Hour {
		t.Errorf("refresh expires in %v", d)
	}
	if err := cfg.CheckToken(context.Background(), tok); err != nil {
		t.Errorf("CheckToken: %v", err)
	}
	u, err := cfg.UserInfo(context.Background(), tok, weixin.LangZhCN)
	if err != nil {
		t.Fatal(err)
	}
	if u.Nickname != emoji.Nickname || u.Sex != 2 || u.City != "深圳" || u.OpenID != tok.OpenID ||
		u.UnionID != emoji.UnionID || len(u.Privilege) != 1 {
		t.Errorf("userinfo = %+v", u)
	}
	if u.HeadImgURL != "https://thirdwx.qlogo.cn/mmopen/vi_32/abc/132" {
		t.Errorf("avatar not served over https: %s", u.HeadImgURL)
	}
	var raw map[string]any
	if err := json.Unmarshal(u.Raw, &raw); err != nil || raw["nickname"] != emoji.Nickname {
		t.Errorf("Raw = %s (%v)", u.Raw, err)
	}
	if got := srv.Log()[len(srv.Log())-1].Query.Get("lang"); got != "zh_CN" {
		t.Errorf("lang sent = %q", got)
	}
}

func TestSecureAvatarURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://thirdwx.qlogo.cn/mmopen/x/0":  "https://thirdwx.qlogo.cn/mmopen/x/0",
		"http://wx.qlogo.cn/mmopen/x/132":     "https://wx.qlogo.cn/mmopen/x/132",
		"https://thirdwx.qlogo.cn/mmopen/x/0": "https://thirdwx.qlogo.cn/mmopen/x/0",
		"http://127.0.0.1:8080/avatar/u1/132": "http://127.0.0.1:8080/avatar/u1/132",
		"http://notqlogo.cn/x":                "http://notqlogo.cn/x",
		"":                                    "",
	} {
		if got := weixin.SecureAvatarURL(in); got != want {
			t.Errorf("SecureAvatarURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every errcode of WeChat's table, on the call where it happens, maps to
// its sentinel and to the right advice.
func TestAPIErrcodes(t *testing.T) {
	tests := []struct {
		code      int
		path      string
		target    error
		mustLogIn bool
		temporary bool
	}{
		{-1, weixintest.PathUserInfo, weixin.ErrSystemBusy, false, true},
		{40001, weixintest.PathAccessToken, weixin.ErrInvalidCredential, false, false},
		{40001, weixintest.PathUserInfo, weixin.ErrAccessTokenInvalid, false, false},
		{40003, weixintest.PathUserInfo, weixin.ErrInvalidOpenID, false, false},
		{40013, weixintest.PathAccessToken, weixin.ErrInvalidCredential, false, false},
		{40014, weixintest.PathAuth, weixin.ErrAccessTokenInvalid, false, false},
		{40029, weixintest.PathAccessToken, weixin.ErrCodeInvalid, true, false},
		{40030, weixintest.PathRefreshToken, weixin.ErrRefreshTokenInvalid, true, false},
		{40125, weixintest.PathAccessToken, weixin.ErrInvalidCredential, false, false},
		{40163, weixintest.PathAccessToken, weixin.ErrCodeUsed, true, false},
		{41008, weixintest.PathAccessToken, weixin.ErrCodeInvalid, true, false},
		{42001, weixintest.PathUserInfo, weixin.ErrAccessTokenExpired, false, false},
		{42002, weixintest.PathRefreshToken, weixin.ErrRefreshTokenExpired, true, false},
		{42003, weixintest.PathAccessToken, weixin.ErrCodeExpired, true, false},
		{45011, weixintest.PathUserInfo, weixin.ErrQuota, false, true},
		{48001, weixintest.PathUserInfo, weixin.ErrScopeNotAuthorized, false, false},
		{99999, weixintest.PathAuth, nil, false, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d%s", tt.code, tt.path), func(t *testing.T) {
			srv, cfg := api(t)
			tok := exchange(t, srv, cfg, "u1")
			srv.InjectFault(tt.path, weixintest.Fault{Errcode: tt.code})
			err := call(cfg, srv, tt.path, tok)
			var ae *weixin.APIError
			if !errors.As(err, &ae) || ae.Code != tt.code || ae.Message == "" {
				t.Fatalf("err = %#v, want an APIError with errcode %d", err, tt.code)
			}
			if tt.target != nil && !errors.Is(err, tt.target) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.target)
			}
			if mustLogIn(err) != tt.mustLogIn || core.Classify(err).Temporary != tt.temporary {
				t.Errorf("MustLogIn = %v, Temporary = %v", mustLogIn(err), core.Classify(err).Temporary)
			}
			if core.Classify(err).Status == http.StatusInternalServerError {
				t.Error("HTTPStatus = 500 for an answer of WeChat's")
			}
		})
	}
}

// call makes the API call of path.
func call(cfg *weixin.Config, srv *weixintest.Server, path string, tok *weixin.Token) error {
	ctx := context.Background()
	var err error
	switch path {
	case weixintest.PathAccessToken:
		_, err = cfg.Exchange(ctx, srv.NewCode(cfg.AppID, "u1", cfg.Scope()))
	case weixintest.PathRefreshToken:
		_, err = cfg.Refresh(ctx, tok)
	case weixintest.PathAuth:
		err = cfg.CheckToken(ctx, tok)
	case weixintest.PathUserInfo:
		_, err = cfg.UserInfo(ctx, tok, "")
	}
	return err
}

// The errors WeChat itself answers with, produced by the fake's rules
// rather than injected.
func TestAPIErrorsFromTheFake(t *testing.T) {
	ctx := context.Background()
	srv, cfg := api(t)
	code := srv.NewCode(cfg.AppID, "u1", weixin.ScopeLogin)
	tok, err := cfg.Exchange(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Exchange(ctx, code); !errors.Is(err, weixin.ErrCodeUsed) {
		t.Errorf("code reused: %v", err)
	}
	if _, err := cfg.Exchange(ctx, "bogus"); !errors.Is(err, weixin.ErrCodeInvalid) {
		t.Errorf("unknown code: %v", err)
	}
	if _, err := cfg.Exchange(ctx, ""); !errors.Is(err, weixin.ErrCodeInvalid) {
		t.Errorf("empty code: %v", err)
	}
	stale := srv.NewCode(cfg.AppID, "u1", weixin.ScopeLogin)
	srv.Advance(11 * time.Minute)
	if _, err := cfg.Exchange(ctx, stale); !errors.Is(err, weixin.ErrCodeExpired) {
		t.Errorf("code expired: %v", err)
	}
	bad := *cfg
	bad.AppSecret = "wrong"
	if _, err := bad.Exchange(ctx, srv.NewCode(cfg.AppID, "u1", weixin.ScopeLogin)); !errors.Is(err, weixin.ErrInvalidCredential) {
		t.Errorf("wrong secret: %v", err)
	}
	bad = *cfg
	bad.AppID = "wx0000000000000000"
	if _, err := bad.Exchange(ctx, "x"); !errors.Is(err, weixin.ErrInvalidCredential) {
		t.Errorf("unknown appid: %v", err)
	}
	// The access token expired 9 minutes ago (2 h minus 11 min ago + ...).
	srv.Advance(2 * time.Hour)
	if _, err := cfg.UserInfo(ctx, tok, ""); !errors.Is(err, weixin.ErrAccessTokenExpired) {
		t.Errorf("expired token: %v", err)
	}
	if err := cfg.CheckToken(ctx, tok); !errors.Is(err, weixin.ErrAccessTokenExpired) {
		t.Errorf("CheckToken of an expired token: %v", err)
	}
	fresh, err := cfg.Refresh(ctx, tok)
	if err != nil || fresh.AccessToken == tok.AccessToken || fresh.RefreshToken != tok.RefreshToken {
		t.Fatalf("refresh: %v, %v", fresh, err)
	}
	if err := cfg.CheckToken(ctx, &weixin.Token{AccessToken: "nope", OpenID: tok.OpenID}); !errors.Is(err, weixin.ErrAccessTokenInvalid) {
		t.Errorf("unknown token: %v", err)
	}
	// Refreshing a valid token extends it and keeps it.
	again, err := cfg.Refresh(ctx, fresh)
	if err != nil || again.AccessToken != fresh.AccessToken {
		t.Errorf("refresh of a valid token: %v, %v", again, err)
	}
	if _, err := cfg.Refresh(ctx, &weixin.Token{RefreshToken: "nope"}); !errors.Is(err, weixin.ErrRefreshTokenInvalid) {
		t.Errorf("unknown refresh token: %v", err)
	}
	// 30 days after login the refresh token is dead, even with the
	// RefreshExpiry forgotten.
	srv.Advance(30 * 24 * time.Hour)
	old := *fresh
	old.RefreshExpiry = time.Time{}
	if _, err := cfg.Refresh(ctx, &old); !errors.Is(err, weixin.ErrRefreshTokenExpired) {
		t.Errorf("refresh after 30 days: %v", err)
	}
	if _, err := cfg.Refresh(ctx, fresh); !errors.Is(err, weixin.ErrRefreshTokenExpired) {
		t.Errorf("refresh past RefreshExpiry: %v", err)
	}
	mp := srv.Config(weixintest.DefaultMPAppID, callbackURL, weixin.ScopeBase)
	btok, err := mp.Exchange(ctx, srv.NewCode(mp.AppID, "u1", weixin.ScopeBase))
	if err != nil {
		t.Fatal(err)
	}
	if btok.UnionID != "" {
		t.Errorf("snsapi_base token has a unionid")
	}
	if _, err := mp.UserInfo(ctx, btok, ""); !errors.Is(err, weixin.ErrScopeNotAuthorized) {
		t.Errorf("userinfo under snsapi_base: %v", err)
	}
}

func TestJSONAsTextPlain(t *testing.T) {
	srv, cfg := api(t)
	tok := exchange(t, srv, cfg, "u1")
	resp, err := http.Get(srv.URL + weixintest.PathAuth + "?access_token=" + tok.AccessToken + "&openid=" + tok.OpenID)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("the fake serves %q; the test needs text/plain", ct)
	}
	if err := cfg.CheckToken(context.Background(), tok); err != nil {
		t.Errorf("JSON served as text/plain not decoded: %v", err)
	}
}

// A reply of a megabyte is refused after MaxResponseBytes, without
// reading, let alone allocating, the rest.
func TestResponseBodyCap(t *testing.T) {
	srv, cfg := api(t)
	tok := exchange(t, srv, cfg, "u1")
	srv.InjectFault(weixintest.PathUserInfo, weixintest.Fault{BodySize: 8 << 20})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := cfg.UserInfo(context.Background(), tok, "")
	runtime.ReadMemStats(&after)
	var ue *weixin.UpstreamError
	if !errors.As(err, &ue) || !errors.Is(err, weixin.ErrUpstream) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("err = %v, want an UpstreamError about the size", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 2<<20 {
		t.Errorf("allocated %d bytes for an 8 MiB reply", alloc)
	}
	if n := srv.Calls(weixintest.PathUserInfo); n != 1 {
		t.Errorf("an oversized reply was retried (%d calls)", n)
	}
}

func TestTimeoutAndCancellation(t *testing.T) {
	srv, cfg := api(t)
	tok := exchange(t, srv, cfg, "u1")
	cfg.Timeout = 100 * time.Millisecond
	srv.InjectFault(weixintest.PathUserInfo, weixintest.Fault{Delay: 5 * time.Second})
	start := time.Now()
	_, err := cfg.UserInfo(context.Background(), tok, "")
	var ue *weixin.UpstreamError
	if !errors.As(err, &ue) || !ue.Timeout || !errors.Is(err, context.DeadlineExceeded) || core.Classify(err).Status != http.StatusGatewayTimeout {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the 100ms timeout took %v", d)
	}
	if n := srv.Calls(weixintest.PathUserInfo); n != 1 {
		t.Errorf("retried after a timeout: %d calls", n)
	}

	cfg.Timeout = 10 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err = cfg.UserInfo(ctx, tok, "")
	if !errors.Is(err, context.Canceled) || !errors.Is(err, weixin.ErrUpstream) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name  string
		path  string
		fault weixintest.Fault
		ok    bool
		calls int
	}{
		{"userinfo busy once", weixintest.PathUserInfo, weixintest.Fault{Errcode: -1, Times: 1}, true, 2},
		{"userinfo 500 once", weixintest.PathUserInfo, weixintest.Fault{Status: 500, Times: 1}, true, 2},
		{"userinfo 503 twice", weixintest.PathUserInfo, weixintest.Fault{Status: 503, Times: 2}, true, 3},
		{"userinfo 500 always", weixintest.PathUserInfo, weixintest.Fault{Status: 500}, false, 3},
		{"auth busy once", weixintest.PathAuth, weixintest.Fault{Errcode: -1, Times: 1}, true, 2},
		{"refresh 502 once", weixintest.PathRefreshToken, weixintest.Fault{Status: 502, Times: 1}, true, 2},
		{"refresh busy once", weixintest.PathRefreshToken, weixintest.Fault{Errcode: -1, Times: 1}, true, 2},
		{"exchange busy: never retried", weixintest.PathAccessToken, weixintest.Fault{Errcode: -1, Times: 1}, false, 1},
		{"exchange 500: never retried", weixintest.PathAccessToken, weixintest.Fault{Status: 500, Times: 1}, false, 1},
		{"userinfo 40001: not retried", weixintest.PathUserInfo, weixintest.Fault{Errcode: 40001, Times: 1}, false, 1},
		{"userinfo quota: not retried", weixintest.PathUserInfo, weixintest.Fault{Errcode: 45011, Times: 1}, false, 1},
		{"userinfo malformed: not retried", weixintest.PathUserInfo, weixintest.Fault{Malformed: true, Times: 1}, false, 1},
		{"userinfo 404: not retried", weixintest.PathUserInfo, weixintest.Fault{Status: 404, Times: 1}, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, cfg := api(t)
			tok := exchange(t, srv, cfg, "u1")
			srv.ResetLog()
			srv.InjectFault(tt.path, tt.fault)
			err := call(cfg, srv, tt.path, tok)
			if (err == nil) != tt.ok {
				t.Errorf("err = %v, want ok = %v", err, tt.ok)
			}
			if n := srv.Calls(tt.path); n != tt.calls {
				t.Errorf("%d calls, want %d", n, tt.calls)
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	srv, cfg := api(t)
	tok := exchange(t, srv, cfg, "u1")
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	cfg.Endpoint.APIBaseURL = dead.URL
	_, err := cfg.Exchange(context.Background(), "thecode")
	var ue *weixin.UpstreamError
	if !errors.As(err, &ue) || ue.StatusCode != 0 || !core.Classify(err).Temporary || core.Classify(err).Status != http.StatusBadGateway {
		t.Fatalf("err = %v", err)
	}
	for _, secret := range []string{cfg.AppSecret, "thecode", dead.URL} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q contains %q", err, secret)
		}
	}
	if _, err := cfg.UserInfo(context.Background(), tok, ""); err == nil || strings.Contains(err.Error(), tok.AccessToken) {
		t.Errorf("userinfo: %v", err)
	}
}

// A reply about another user, or a refresh reply that drops fields, from
// a server that is not the fake (which always behaves).
func TestRepliesThatMisbehave(t *testing.T) {
	var body string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, body)
	}))
	defer ts.Close()
	cfg := &weixin.Config{AppID: "wxapp", AppSecret: "s3cret", Endpoint: weixin.Endpoint{APIBaseURL: ts.URL}}
	ctx := context.Background()
	tok := &weixin.Token{AccessToken: "AT", RefreshToken: "RT", OpenID: "o1", UnionID: "un1", Scopes: []string{"snsapi_login"}}

	body = `{"openid":"o2","nickname":"x"}`
	if _, err := cfg.UserInfo(ctx, tok, ""); !errors.Is(err, weixin.ErrOpenIDMismatch) {
		t.Errorf("userinfo of another openid: %v", err)
	}
	body = `{"access_token":"AT2","expires_in":7200,"openid":"o1","scope":"snsapi_login"}`
	nt, err := cfg.Refresh(ctx, tok)
	if err != nil || nt.RefreshToken != "RT" || nt.UnionID != "un1" || nt.AccessToken != "AT2" {
		t.Errorf("refresh without refresh_token: %+v, %v", nt, err)
	}
	body = `{"access_token":"AT2","expires_in":7200,"openid":"o9"}`
	if _, err := cfg.Refresh(ctx, tok); !errors.Is(err, weixin.ErrOpenIDMismatch) {
		t.Errorf("refresh for another openid: %v", err)
	}
	body = `{"access_token":"AT2","expires_in":7200,"openid":""}`
	if _, err := cfg.Exchange(ctx, "c"); !errors.Is(err, weixin.ErrUpstream) {
		t.Errorf("exchange without openid: %v", err)
	}
	body = `{"errcode":0,"errmsg":"ok"}`
	if err := cfg.CheckToken(ctx, tok); err != nil {
		t.Errorf("errcode 0: %v", err)
	}
}

func TestTokenRedactsSecrets(t *testing.T) {
	tok := weixin.Token{AccessToken: "ACCESS-SECRET", RefreshToken: "REFRESH-SECRET", OpenID: "o1"}
	for _, s := range []string{tok.String(), fmt.Sprint(tok), fmt.Sprintf("%v %+v", &tok, tok), tok.LogValue().String()} {
		if strings.Contains(s, "SECRET") {
			t.Errorf("token printed with a secret: %s", s)
		}
	}
}

// A snapshot-page visitor as WeChat sends one (official account,
// snsapi_userinfo, blank tokens, is_snapshotuser 1) is refused first:
// ErrSnapshotUser, 403, never an upstream failure (502).
func TestExchangeSnapshotVisitor(t *testing.T) {
	srv, _ := api(t)
	snap := srv.AddUser(weixintest.User{Nickname: "快照", Snapshot: true})
	mp := srv.Config(weixintest.DefaultMPAppID, callbackURL, weixin.ScopeUserInfo)
	mp.Logger = slog.New(slog.DiscardHandler)
	tok, err := mp.Exchange(context.Background(), srv.NewCode(mp.AppID, snap.ID, weixin.ScopeUserInfo))
	var ue *weixin.UpstreamError
	if tok != nil || !errors.Is(err, weixin.ErrSnapshotUser) || core.Classify(err).Status != http.StatusForbidden || errors.As(err, &ue) {
		t.Fatalf("snapshot visitor: %v, %v (status %d)", tok, err, core.Classify(err).Status)
	}
	// Everyone else logs in; the field is absent from their replies.
	if tok, err := mp.Exchange(context.Background(), srv.NewCode(mp.AppID, "u1", weixin.ScopeUserInfo)); err != nil || tok.IsSnapshotUser {
		t.Fatalf("u1: %v, %v", tok, err)
	}
}
