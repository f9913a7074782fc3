package weixintest

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"

	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
)

// DevMode starts a fake WeChat and points opts at it, so that an app
// without WeChat credentials runs offline for development: a person
// logs in as a fake user on the fake's consent page, and everything else
// runs as with the real WeChat. Close the Server when the app stops.
//
//	if opts.Website.AppID == "" { // no credentials: a fake WeChat
//		wx, err := weixintest.DevMode(&opts)
//		…
//		defer wx.Close()
//	}
//	auth, err := core.New(opts)
//
// Each Config of opts (Website, OfficialAccount, MiniProgram, MobileApp)
// gets the fake's endpoint and clock; one with an empty AppID gets the
// fake's default application of its kind (DefaultAppID, DefaultMPAppID,
// DefaultMiniProgramAppID, DefaultMobileAppID), and one with an AppID of
// its own is registered with the fake under its AppSecret. The
// RedirectURL of Website and OfficialAccount must be the app's absolute
// callback URL. With a MiniProgram or a MobileApp, the log also names
// the fake's URL that hands out their codes (DevCodeURL).
//
// DevMode logs a warning, on opts.Logger (default slog.Default()), that
// logins go to a fake WeChat: anyone can log in as any fake user, so it
// must never run in production.
func DevMode(opts *core.Options) (*Server, error) {
	return DevModeAt(opts, "", "")
}

// DevModeAt is DevMode with the fake listening on addr and known as
// publicURL (see NewServerAt): the browsers of a devbox, a container or
// a phone on the LAN are sent to the fake's pages at publicURL, which the
// app calls too. "" keeps DevMode's loopback address.
func DevModeAt(opts *core.Options, addr, publicURL string) (*Server, error) {
	if opts == nil {
		return nil, errors.New("weixintest: DevMode needs the core.Options to point at the fake")
	}
	if opts.Website == nil && opts.OfficialAccount == nil && opts.MiniProgram == nil && opts.MobileApp == nil {
		return nil, errors.New("weixintest: DevMode: set core.Options.Website (or OfficialAccount, MiniProgram, MobileApp) first")
	}
	for name, c := range map[string]*weixin.Config{"MiniProgram": opts.MiniProgram, "MobileApp": opts.MobileApp} {
		if c != nil && c.AppID != "" && c.AppSecret == "" {
			return nil, fmt.Errorf("weixintest: DevMode: Options.%s has an AppID and no AppSecret: set both, or neither for the fake's default application", name)
		}
	}
	for name, c := range map[string]*weixin.Config{"Website": opts.Website, "OfficialAccount": opts.OfficialAccount} {
		if c == nil {
			continue
		}
		if u, err := url.Parse(c.RedirectURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("weixintest: DevMode: Options.%s.RedirectURL %q is not an absolute http(s) URL: set it to the app's URL + its callback path", name, c.RedirectURL)
		}
		if c.AppID != "" && c.AppSecret == "" {
			return nil, fmt.Errorf("weixintest: DevMode: Options.%s has an AppID and no AppSecret: set both, or neither for the fake's default application", name)
		}
	}
	s, err := NewServerAt(addr, publicURL)
	if err != nil {
		return nil, err
	}
	point := func(c *weixin.Config, id, secret string, kind AppKind) {
		if c == nil {
			return
		}
		if c.AppID == "" {
			c.AppID, c.AppSecret = id, secret
		} else {
			s.AddApp(App{AppID: c.AppID, Secret: c.AppSecret, Kind: kind})
		}
		c.Endpoint = s.Endpoint()
		c.Now = s.Now
	}
	point(opts.Website, DefaultAppID, DefaultAppSecret, Website)
	point(opts.OfficialAccount, DefaultMPAppID, DefaultMPAppSecret, OfficialAccount)
	point(opts.MiniProgram, DefaultMiniProgramAppID, DefaultMiniProgramSecret, MiniProgram)
	point(opts.MobileApp, DefaultMobileAppID, DefaultMobileAppSecret, MobileApp)
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger.Warn("wxlogin DEV MODE: logins go to a FAKE WeChat (weixintest) at " + s.URL +
		", not to WeChat; anyone can log in as a fake user. Never run this in production: set the real AppID and AppSecret.")
	for _, c := range []*weixin.Config{opts.MiniProgram, opts.MobileApp} {
		if c != nil {
			logger.Warn("wxlogin DEV MODE: a code for a fake user, as wx.login or SendAuth would give one: GET " + s.DevCodeURL(c.AppID, "u1"))
		}
	}
	return s, nil
}
