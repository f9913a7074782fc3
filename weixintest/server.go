package weixintest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/wxlogin/wxlogin/core"
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
	// PathAccessToken exchanges a code for tokens.
	PathAccessToken = "/sns/oauth2/access_token"
	// PathRefreshToken renews an access token.
	PathRefreshToken = "/sns/oauth2/refresh_token"
	// PathAuth checks an access token.
	PathAuth = "/sns/auth"
	// PathUserInfo returns the user's profile.
	PathUserInfo = "/sns/userinfo"
	// PathQRConnect is the website applications' authorize page.
	PathQRConnect = "/connect/qrconnect"
	// PathAuthorize is the official accounts' authorize page.
	PathAuthorize = "/connect/oauth2/authorize"
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
	// core.Endpoint's OpenBaseURL and APIBaseURL. It has no trailing
	// slash.
	URL string

	ts        *httptest.Server
	done      chan struct{} // closed by Close: delayed calls stop waiting
	closeOnce sync.Once

	mu        sync.Mutex
	offset    time.Duration // added to the real time by Advance
	apps      map[string]App
	users     []User
	codes     map[string]*grant
	access    map[string]*grant
	refresh   map[string]*grant
	accessTTL time.Duration
	codeTTL   time.Duration // 0: the default of the app's kind
	faults    map[string][]*Fault
	calls     map[string]int
	log       []Call
	logGen    int // incremented by ResetLog
}

// NewServer starts a fake WeChat on 127.0.0.1 with the two default
// applications and three users: "u1" (张三), "u2" (Lily 🌸✨) and "u3"
// (Alice), whose avatars the server itself serves. Close it when done.
func NewServer() *Server {
	s := &Server{
		done:      make(chan struct{}),
		apps:      map[string]App{},
		codes:     map[string]*grant{},
		access:    map[string]*grant{},
		refresh:   map[string]*grant{},
		faults:    map[string][]*Fault{},
		calls:     map[string]int{},
		accessTTL: defaultAccessTTL,
	}
	s.ts = httptest.NewServer(s.routes())
	s.URL = s.ts.URL
	s.AddApp(App{AppID: DefaultAppID, Secret: DefaultAppSecret, Kind: Website})
	s.AddApp(App{AppID: DefaultMPAppID, Secret: DefaultMPAppSecret, Kind: OfficialAccount})
	for _, u := range []User{
		{ID: "u1", Nickname: "张三", Sex: 1, Province: "广东", City: "深圳", Country: "中国"},
		{ID: "u2", Nickname: "Lily 🌸✨", Sex: 2, Province: "上海", City: "上海", Country: "中国"},
		{ID: "u3", Nickname: "Alice", Sex: 0, Province: "California", City: "San Francisco", Country: "US"},
	} {
		u.HeadImgURL = s.avatarURL(u.ID)
		s.AddUser(u)
	}
	return s
}

// Close shuts the server down. Calls held by a Delay fault end at once.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.done) })
	s.ts.Close()
}

// Endpoint returns the endpoint to give a core.Config.
func (s *Server) Endpoint() core.Endpoint {
	return core.Endpoint{OpenBaseURL: s.URL, APIBaseURL: s.URL}
}

// Config returns a core.Config for the registered application appID with
// its secret, redirectURL, scope (none when empty), this server's
// endpoint and its clock. It panics if appID is not registered.
func (s *Server) Config(appID, redirectURL, scope string) core.Config {
	s.mu.Lock()
	app, ok := s.apps[appID]
	s.mu.Unlock()
	if !ok {
		panic(fmt.Sprintf("weixintest: Config: no application %q", appID))
	}
	var scopes []string
	if scope != "" {
		scopes = []string{scope}
	}
	return core.Config{
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
	mux.Handle(PathAccessToken, s.serve(s.api(s.accessToken)))
	mux.Handle(PathRefreshToken, s.serve(s.api(s.refreshToken)))
	mux.Handle(PathAuth, s.serve(s.api(s.auth)))
	mux.Handle(PathUserInfo, s.serve(s.api(s.userInfo)))
	mux.Handle("GET "+PathQRConnect, s.serve(s.authorizePage))
	mux.Handle("GET "+PathAuthorize, s.serve(s.authorizePage))
	mux.Handle("POST "+PathConfirm, s.serve(s.confirm))
	mux.HandleFunc("GET "+avatarPath+"{id}/{size}", s.handleAvatar)
	mux.HandleFunc("GET "+PathWxLoginJS, handleWxLoginJS)
	return mux
}

// A handler answers a call and reports the errcode (API calls) and HTTP
// status it answered, for the log.
type handler func(w http.ResponseWriter, r *http.Request) (errcode, status int)

// serve logs each call of h on arrival, plays the path's next fault if
// any, and otherwise lets h answer.
func (s *Server) serve(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		c := s.begin(r)
		errcode, status, done := s.playFault(w, r)
		if !done {
			errcode, status = h(w, r)
		}
		s.finish(c, errcode, status)
	})
}
