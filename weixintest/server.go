package weixintest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/wxlogin/wxlogin/core/weixin"
)

// The applications NewServer registers.
const (
	// DefaultAppID is a website application (scope snsapi_login).
	DefaultAppID = "wxd0e1f2a3b4c5d6e7"
	// DefaultAppSecret is DefaultAppID's secret.
	DefaultAppSecret = "weixintest-website-secret-0123456789"
	// DefaultMPAppID is an official account (snsapi_base, snsapi_userinfo).
	DefaultMPAppID = "wxa1b2c3d4e5f60718"
	// DefaultMPAppSecret is DefaultMPAppID's secret.
	DefaultMPAppSecret = "weixintest-mp-secret-0123456789"
)

// The paths the Server serves, usable with InjectFault and Calls.
const (
	PathAccessToken  = "/sns/oauth2/access_token"
	PathRefreshToken = "/sns/oauth2/refresh_token"
	PathAuth         = "/sns/auth"
	PathUserInfo     = "/sns/userinfo"
	PathQRConnect    = "/connect/qrconnect"
	PathAuthorize    = "/connect/oauth2/authorize"
	// PathConfirm receives the consent page's form.
	PathConfirm = "/connect/weixintest/confirm"
	// PathWxLoginJS serves a stand-in for WeChat's wxLogin.js (served by
	// WeChat at https://res.wx.qq.com + this path), so that a page
	// embedding the QR code works offline.
	PathWxLoginJS = "/connect/zh_CN/htmledition/js/wxLogin.js"
)

// Server is a fake WeChat listening on a loopback address.
type Server struct {
	// URL is the base URL of both the authorize pages and the API, for
	// weixin.Endpoint's OpenBaseURL and APIBaseURL.
	URL string

	ts        *httptest.Server
	closeOnce sync.Once

	mu        sync.Mutex
	offset    time.Duration
	apps      map[string]App
	users     []User
	codes     map[string]*grant
	access    map[string]*grant
	refresh   map[string]*grant
	accessTTL time.Duration
	codeTTL   time.Duration
	faults    map[string][]*Fault
	calls     map[string]int
	log       []Call
	scans     map[string]*scan // QR codes of the embedded page, by uuid
	scanOrder []string
	scanSweep time.Time // when newScan next forgets expired codes
	longPoll  time.Duration
	closing   chan struct{} // closed by Close: long polls end
	appTokens *appTokens    // app access tokens and phone codes (apptoken.go)
}

// grant is an issued code, access token or refresh token.
type grant struct {
	appID, userID, scope string
	issued, expires      time.Time
	used                 bool
	accessToken          string // for a refresh token: its current access token
}

// NewServer starts a fake WeChat with the four default applications
// (website, official account, mini program, mobile app) and
// three users: "u1" (张三), "u2" (an emoji nickname) and "u3" (Alice),
// whose avatars are AvatarURL's.
// Close it when done.
func NewServer() *Server {
	s, err := newServer("", "")
	if err != nil {
		panic(err) // httptest.NewServer panics likewise when it cannot listen
	}
	return s
}

// NewServerAt is NewServer listening on addr (host:port; "" for a free
// loopback port), known to browsers and apps as publicURL ("" for
// http://addr): for dev mode on a devbox, in a container, or for a phone
// on the LAN, whose browser must reach the fake's pages at an address
// that is not its own 127.0.0.1.
func NewServerAt(addr, publicURL string) (*Server, error) {
	return newServer(addr, publicURL)
}

func newServer(addr, publicURL string) (*Server, error) {
	s := &Server{
		apps:      map[string]App{},
		codes:     map[string]*grant{},
		access:    map[string]*grant{},
		refresh:   map[string]*grant{},
		faults:    map[string][]*Fault{},
		calls:     map[string]int{},
		accessTTL: 2 * time.Hour,
		scans:     map[string]*scan{},
		longPoll:  LongPollTimeout,
		closing:   make(chan struct{}),
	}
	if addr == "" {
		s.ts = httptest.NewServer(s.routes())
	} else {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("weixintest: listening on %s: %w", addr, err)
		}
		s.ts = httptest.NewUnstartedServer(s.routes())
		s.ts.Listener.Close()
		s.ts.Listener = ln
		s.ts.Start()
	}
	s.URL = s.ts.URL
	if publicURL != "" {
		u, err := url.Parse(publicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			s.ts.Close()
			return nil, fmt.Errorf("weixintest: public URL %q: want http(s)://host[:port]", publicURL)
		}
		s.URL = strings.TrimRight(publicURL, "/")
	}
	s.AddApp(App{AppID: DefaultAppID, Secret: DefaultAppSecret, Kind: Website})
	s.AddApp(App{AppID: DefaultMPAppID, Secret: DefaultMPAppSecret, Kind: OfficialAccount})
	s.AddApp(App{AppID: DefaultMiniProgramAppID, Secret: DefaultMiniProgramSecret, Kind: MiniProgram})
	s.AddApp(App{AppID: DefaultMobileAppID, Secret: DefaultMobileAppSecret, Kind: MobileApp})
	for _, u := range []User{
		{ID: "u1", Nickname: "张三", Sex: 1, Province: "广东", City: "深圳", Country: "中国"},
		{ID: "u2", Nickname: "Lily 🌸✨", Sex: 2, Province: "上海", City: "上海", Country: "中国"},
		{ID: "u3", Nickname: "Alice", Sex: 0, Province: "California", City: "San Francisco", Country: "US"},
	} {
		u.HeadImgURL = AvatarURL(u.ID)
		s.AddUser(u)
	}
	return s, nil
}

// Close shuts the server down, ending the long polls first.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closing) })
	s.ts.Close()
}

// Endpoint returns the endpoint to give a weixin.Config.
func (s *Server) Endpoint() weixin.Endpoint {
	return weixin.Endpoint{OpenBaseURL: s.URL, APIBaseURL: s.URL}
}

// Config returns a weixin.Config for the registered application appID,
// with its secret, this server's endpoint and clock, and scope. For a
// mini program or a mobile app, redirectURL and scope may be empty.
func (s *Server) Config(appID, redirectURL, scope string) weixin.Config {
	s.mu.Lock()
	app := s.apps[appID]
	s.mu.Unlock()
	var scopes []string
	if scope != "" {
		scopes = []string{scope}
	}
	return weixin.Config{
		AppID:       appID,
		AppSecret:   app.Secret,
		RedirectURL: redirectURL,
		Scopes:      scopes,
		Endpoint:    s.Endpoint(),
		Now:         s.Now,
	}
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(PathAccessToken, s.api(s.handleAccessToken))
	mux.HandleFunc(PathRefreshToken, s.api(s.handleRefreshToken))
	mux.HandleFunc(PathAuth, s.api(s.handleAuth))
	mux.HandleFunc(PathUserInfo, s.api(s.handleUserInfo))
	mux.HandleFunc(PathJSCode2Session, s.api(s.handleCode2Session))
	mux.HandleFunc("GET "+PathDevCode, s.handleDevCode)
	mux.HandleFunc("GET "+PathQRConnect, s.handleAuthorizePage)
	mux.HandleFunc("GET "+PathAuthorize, s.handleAuthorizePage)
	mux.HandleFunc("POST "+PathConfirm, s.handleConfirm)
	mux.HandleFunc("GET "+avatarPath+"{key}/{size}", s.handleAvatar)
	mux.HandleFunc("GET "+PathWxLoginJS, handleWxLoginJS)
	mux.HandleFunc("GET "+PathQRImage+"{uuid}", s.handleQRImage)
	mux.HandleFunc("GET "+PathLongPoll, s.handleLongPoll)
	mux.HandleFunc(PathPhone, s.handlePhone)
	mux.HandleFunc(PathToken, s.api(s.handleToken))
	mux.HandleFunc(PathStableToken, s.jsonAPI(s.handleStableToken))
	mux.HandleFunc(PathPhoneNumber, s.jsonAPI(s.handlePhoneNumber, "access_token"))
	return mux
}

// Now returns the fake's clock: real time plus what Advance added.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

func (s *Server) now() time.Time { return time.Now().Add(s.offset) }

// Advance moves the fake's clock forward by d: codes and tokens expire
// accordingly. Give the app the same clock (Config's Now, as Config does).
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset += d
}

// SetAccessTokenTTL sets the lifetime of the access tokens issued from now
// on. Default 2 hours.
func (s *Server) SetAccessTokenTTL(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accessTTL = max(d, time.Second)
}

// SetCodeTTL sets the lifetime of the codes issued from now on. Default:
// 10 minutes for websites, 5 for official accounts.
func (s *Server) SetCodeTTL(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codeTTL = d
}

// ExpireAccessTokens makes every access token issued so far expired.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for _, g := range s.access {
		g.expires = now
	}
}

// OpenID returns user userID's openid in application appID: stable, and
// distinct per application, as WeChat's.
func (s *Server) OpenID(appID, userID string) string {
	sum := sha256.Sum256([]byte("openid\x00" + appID + "\x00" + userID))
	return "o" + base64.RawURLEncoding.EncodeToString(sum[:])[:27]
}

// randomToken returns n random characters of [A-Za-z0-9_-].
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}

// appendQuery returns raw with params appended to its query, as WeChat
// does: the app's own query stays as it is, in its order, and code (when
// given) then state follow it.
func appendQuery(raw string, params url.Values) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString(u.RawQuery)
	for _, k := range []string{"code", "state"} {
		if vs, ok := params[k]; ok {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(k + "=" + url.QueryEscape(vs[0]))
		}
	}
	u.RawQuery = b.String()
	return u, nil
}
