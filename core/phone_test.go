package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/weixintest"
)

func TestBindPhone(t *testing.T) {
	e := newMPEnv(t, nil)
	b := e.browser()
	e.mpLogin(b, "u1")
	var u *core.User
	var err error
	b.do(func(ctx context.Context) {
		u, err = e.auth.BindPhone(ctx, e.srv.PhoneCode(mpAppID, "u1", "13800138000"))
	})
	if err != nil || u.Phone != "13800138000" || u.CountryCode != "86" {
		t.Fatalf("BindPhone: %+v %v", u, err)
	}
	// Kept in the session, through the codec.
	if got, ok := b.user(); !ok || got.Phone != "13800138000" || got.CountryCode != "86" || got.OpenID != e.srv.OpenID(mpAppID, "u1") {
		t.Fatalf("session user %+v", got)
	}
	// countryCode as a string (WeChat's table) reads as well.
	b.do(func(ctx context.Context) {
		u, err = e.auth.BindPhone(ctx, e.srv.PhoneCode(mpAppID, "u1", "+1 4155550100"))
	})
	if err != nil || u.Phone != "+1 4155550100" || u.CountryCode != "1" {
		t.Fatalf("a foreign number: %+v %v", u, err)
	}

	for _, c := range []struct {
		name string
		code func() string
		is   error
	}{
		{"used", func() string {
			code := e.srv.PhoneCode(mpAppID, "u1", "+1 4155550100")
			b.do(func(ctx context.Context) { e.auth.BindPhone(ctx, code) })
			return code
		}, weixin.ErrCodeUsed},
		{"unknown", func() string { return "0123456789abcdef" }, weixin.ErrCodeInvalid},
		{"another app's", func() string { return e.srv.PhoneCode(weixintest.DefaultMPAppID, "u1", "13800138000") }, weixin.ErrCodeInvalid},
		{"empty", func() string { return "" }, weixin.ErrCodeInvalid},
		{"too long", func() string { return strings.Repeat("a", weixin.MaxCodeLength+1) }, weixin.ErrCodeInvalid},
	} {
		code := c.code()
		calls := e.srv.Calls(weixintest.PathPhoneNumber)
		b.do(func(ctx context.Context) { _, err = e.auth.BindPhone(ctx, code) })
		if !errors.Is(err, c.is) || core.Classify(err).Status != http.StatusBadRequest {
			t.Errorf("%s code: %v (%d), want %v and 400", c.name, err, core.Classify(err).Status, c.is)
		}
		if n := e.srv.Calls(weixintest.PathPhoneNumber) - calls; n > 1 {
			t.Errorf("%s code: sent %d times", c.name, n)
		}
	}
	if got, _ := b.user(); got.Phone != "+1 4155550100" {
		t.Errorf("a failed binding changed the phone: %+v", got)
	}
	if strings.Contains(e.logs.String(), "4155550100") || strings.Contains(e.logs.String(), "13800138000") {
		t.Error("a log line holds a phone number")
	}
}

func TestBindPhoneNeedsAMiniProgramLogin(t *testing.T) {
	e := newMPEnv(t, nil)
	// Nobody logged in.
	b := e.browser()
	var err error
	b.do(func(ctx context.Context) {
		_, err = e.auth.BindPhone(ctx, e.srv.PhoneCode(mpAppID, "u1", "13800138000"))
	})
	if !errors.Is(err, core.ErrLoginRequired) || core.Classify(err).Status != http.StatusUnauthorized {
		t.Errorf("no login: %v", err)
	}
	// A website login.
	b.login("u1")
	b.do(func(ctx context.Context) {
		_, err = e.auth.BindPhone(ctx, e.srv.PhoneCode(mpAppID, "u1", "13800138000"))
	})
	if !errors.Is(err, core.ErrNotMiniProgramUser) || core.Classify(err).Status != http.StatusUnauthorized {
		t.Errorf("a website login: %v", err)
	}
	if e.srv.Calls(weixintest.PathPhoneNumber) != 0 {
		t.Error("WeChat was called without a mini program login")
	}
	// An Auth without a mini program.
	plain := newEnv(t)
	pb := plain.browser()
	pb.login("u1")
	pb.do(func(ctx context.Context) { _, err = plain.auth.BindPhone(ctx, "code") })
	if !errors.Is(err, core.ErrLoginRequired) {
		t.Errorf("no mini program configured: %v", err)
	}
}

func TestPhoneNumberCountryCodeNumberOrString(t *testing.T) {
	for body, want := range map[string]string{
		`{"phoneNumber":"13800138000","purePhoneNumber":"13800138000","countryCode":86}`:   "86",
		`{"phoneNumber":"13800138000","purePhoneNumber":"13800138000","countryCode":"86"}`: "86",
		`{"phoneNumber":"13800138000","purePhoneNumber":"13800138000","countryCode":null}`: "",
		`{"phoneNumber":"13800138000","purePhoneNumber":"13800138000"}`:                    "",
	} {
		var p weixin.PhoneNumber
		if err := json.Unmarshal([]byte(body), &p); err != nil || string(p.CountryCode) != want {
			t.Errorf("%s: %q %v, want %q", body, p.CountryCode, err, want)
		}
	}
	var p weixin.PhoneNumber
	if err := json.Unmarshal([]byte(`{"countryCode":{}}`), &p); err == nil {
		t.Error("an object as countryCode was accepted")
	}
	if b, _ := json.Marshal(weixin.FlexString("86")); string(b) != `"86"` {
		t.Errorf("FlexString marshals as %s", b)
	}
}
