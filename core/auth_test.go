package core_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/memstore"
	"github.com/wxlogin/wxlogin/core/weixin"
)

func TestNewAdjustsSessions(t *testing.T) {
	web := weixin.Config{AppID: "wx1", AppSecret: "s", RedirectURL: "https://www.example.com/auth/weixin/callback"}
	sm := scs.New()
	if _, err := core.New(core.Options{Website: &web, Sessions: sm}); err != nil {
		t.Fatal(err)
	}
	if !sm.Cookie.Secure || !sm.Cookie.HttpOnly || sm.Cookie.SameSite != http.SameSiteLaxMode {
		t.Errorf("cookie = %+v, want Secure, HttpOnly, Lax", sm.Cookie)
	}
	if _, gob := sm.Codec.(scs.GobCodec); gob || sm.Codec == nil {
		t.Errorf("codec = %T, want wxlogin's", sm.Codec)
	}
	if _, ok := sm.Store.(*memstore.Store); !ok {
		t.Errorf("store = %T, want *memstore.Store", sm.Store)
	}

	// An app's own choices stay.
	sm = scs.New()
	own := ownCodec{}
	sm.Codec = own
	sm.Store = memstore.New()
	store := sm.Store
	errorFunc := func(http.ResponseWriter, *http.Request, error) {}
	sm.ErrorFunc = errorFunc
	if _, err := core.New(core.Options{Website: &web, Sessions: sm}); err != nil {
		t.Fatal(err)
	}
	if sm.Codec != scs.Codec(own) || sm.Store != store || sm.ErrorFunc == nil {
		t.Errorf("New replaced the app's codec (%T) or store (%T)", sm.Codec, sm.Store)
	}

	sm = scs.New()
	if _, err := core.New(core.Options{Website: &web, Sessions: sm, InsecureCookie: true}); err != nil || sm.Cookie.Secure {
		t.Errorf("InsecureCookie: Secure = %v, %v", sm.Cookie.Secure, err)
	}
	plain := web
	plain.RedirectURL = "http://127.0.0.1:8080/auth/weixin/callback"
	sm = scs.New()
	if _, err := core.New(core.Options{Website: &plain, Sessions: sm}); err != nil || sm.Cookie.Secure {
		t.Errorf("http redirect URL: Secure = %v, %v", sm.Cookie.Secure, err)
	}
	sm = scs.New()
	sm.Cookie.Secure = true
	core.New(core.Options{Website: &plain, Sessions: sm})
	if !sm.Cookie.Secure {
		t.Error("an explicit Secure was dropped")
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	web := weixin.Config{AppID: "wx1", AppSecret: "s", RedirectURL: "https://www.example.com/cb"}
	mp := weixin.Config{AppID: "wx2", AppSecret: "s", RedirectURL: "https://www.example.com/cb", Scopes: []string{weixin.ScopeUserInfo}}
	strict := scs.New()
	strict.Cookie.SameSite = http.SameSiteStrictMode
	scriptable := scs.New()
	scriptable.Cookie.HttpOnly = false
	noSecret := web
	noSecret.AppSecret = ""
	sameApp := mp
	sameApp.AppID = "wx1"
	for name, opts := range map[string]core.Options{
		"no sessions":          {Website: &web},
		"no application":       {Sessions: scs.New()},
		"SameSite=Strict":      {Website: &web, Sessions: strict},
		"HttpOnly=false":       {Website: &web, Sessions: scriptable},
		"no secret":            {Website: &noSecret, Sessions: scs.New()},
		"website scope":        {Website: &mp, Sessions: scs.New()},
		"official acct. scope": {OfficialAccount: &web, Sessions: scs.New()},
		"one appid for both":   {Website: &web, OfficialAccount: &sameApp, Sessions: scs.New()},
	} {
		if _, err := core.New(opts); err == nil || !strings.HasPrefix(err.Error(), "wxlogin: ") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

type ownCodec struct{ scs.GobCodec }
