package weixintest

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
)

// AppKind is the kind of a WeChat application.
type AppKind int

const (
	// Website is an open-platform website application: QR-code login,
	// scope snsapi_login, /connect/qrconnect.
	Website AppKind = iota
	// OfficialAccount is an official account (公众号): in-WeChat login,
	// scopes snsapi_base and snsapi_userinfo, /connect/oauth2/authorize.
	OfficialAccount
	// MiniProgram is a mini program (小程序): wx.login codes exchanged at
	// /sns/jscode2session (see Server.MiniProgramCode).
	MiniProgram
	// MobileApp is an open-platform mobile application: SendAuth codes
	// (scope snsapi_userinfo) exchanged at /sns/oauth2/access_token (see
	// Server.SendAuthCode).
	MobileApp
)

// App is an application registered with the fake.
type App struct {
	// AppID is the application's appid.
	AppID string
	// Secret is its appsecret.
	Secret string
	// Kind says which authorize page and scopes it takes.
	Kind AppKind
	// CallbackDomain is the bare host redirect_uri must have, as set in
	// WeChat's console; empty accepts any host.
	CallbackDomain string
	// Unbound marks an application not bound to the open-platform
	// account: WeChat gives its users no unionid. The zero value is bound
	// (unionid given as WeChat gives it). See Server.BindApp.
	Unbound bool
}

// User is a WeChat user of the fake.
type User struct {
	// ID is the user's key within the fake ("u1"); assigned when empty.
	ID string
	// UnionID is generated when empty, unless NoUnionID is set.
	UnionID string
	// NoUnionID makes WeChat send no unionid for the user.
	NoUnionID bool
	// Nickname is any Unicode, emoji included.
	Nickname string
	// Sex is 0 (unknown), 1 (male) or 2 (female).
	Sex int
	// Province, City and Country are the user's region.
	Province string
	// City: see Province.
	City string
	// Country: see Province.
	Country string
	// Language is the language of the user's WeChat, sent by
	// /sns/userinfo as "language"; zh_CN when empty.
	Language string
	// HeadImgURL is the avatar URL returned by /sns/userinfo; empty
	// means no avatar. NewServer's users have AvatarURL's.
	HeadImgURL string
	// Privilege is returned as is by /sns/userinfo ([] when nil).
	Privilege []string
	// Snapshot makes the user an official account's "snapshot page"
	// visitor: an official account's code exchange answers as WeChat's
	// recorded reply, blank access and refresh tokens with
	// is_snapshotuser 1 (the field is absent for everyone else).
	Snapshot bool
	// Blocked makes WeChat's risk control block the user from a mini
	// program login: /sns/jscode2session answers 40226.
	Blocked bool
}

// AddApp registers an application, replacing one with the same AppID.
func (s *Server) AddApp(a App) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps[a.AppID] = a
}

// BindApp binds the application appID to the open-platform account (it
// was added Unbound): from now on WeChat gives its users their unionid.
// It does nothing for an unknown appID.
func (s *Server) BindApp(appID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.apps[appID]; ok {
		a.Unbound = false
		s.apps[appID] = a
	}
}

// AddUser adds a user and returns it as stored, ID and UnionID filled in.
func (s *Server) AddUser(u User) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.ID == "" {
		u.ID = fmt.Sprintf("u%d", len(s.users)+1)
		for s.userLocked(u.ID) != nil {
			u.ID += "x"
		}
	}
	if u.UnionID == "" && !u.NoUnionID {
		sum := sha256.Sum256([]byte("unionid\x00" + u.ID))
		u.UnionID = "o6_b" + base64.RawURLEncoding.EncodeToString(sum[:])[:24]
	}
	if u.NoUnionID {
		u.UnionID = ""
	}
	u.Privilege = slices.Clone(u.Privilege)
	s.users = slices.DeleteFunc(s.users, func(x User) bool { return x.ID == u.ID })
	s.users = append(s.users, u)
	return u
}

// Users returns the users, in the order they were added.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.users)
}

func (s *Server) userLocked(id string) *User {
	for i := range s.users {
		if s.users[i].ID == id {
			return &s.users[i]
		}
	}
	return nil
}
