package weixintest

import (
	"crypto/sha256"
	"encoding/hex"
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

// AvatarURL returns the avatar URL the fake gives user userID by
// default, shaped as WeChat's: http://thirdwx.qlogo.cn/mmopen/vi_32/KEY/132.
// It is served over http, so core's rewrite of qlogo.cn avatars to https
// runs on it. The host is WeChat's: offline, map it to the fake with
// LocalAvatarURL.
func AvatarURL(userID string) string {
	return "http://thirdwx.qlogo.cn" + avatarPath + avatarKey(userID) + "/132"
}

const avatarPath = "/mmopen/vi_32/"

func avatarKey(userID string) string {
	sum := sha256.Sum256([]byte("avatar\x00" + userID))
	return "Q0j4TwGTfT" + hex.EncodeToString(sum[:20])
}

// LocalAvatarURL maps an avatar URL of this fake's users on WeChat's
// qlogo.cn hosts (http or https, any size) to the same image served by
// the fake itself, so that a page shows it with no network: dev mode
// renders avatars through it. Any other URL is returned unchanged.
func (s *Server) LocalAvatarURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return raw
	}
	host := strings.ToLower(u.Hostname())
	if host != "qlogo.cn" && !strings.HasSuffix(host, ".qlogo.cn") || !strings.HasPrefix(u.Path, avatarPath) {
		return raw
	}
	key, size, _ := strings.Cut(strings.TrimPrefix(u.Path, avatarPath), "/")
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, usr := range s.users {
		if avatarKey(usr.ID) == key {
			return s.URL + avatarPath + key + "/" + size
		}
	}
	return raw
}

var avatarSVG = template.Must(template.New("avatar").Parse(`<svg xmlns="http://www.w3.org/2000/svg" width="{{.Size}}" height="{{.Size}}" viewBox="0 0 100 100">` +
	`<rect width="100" height="100" fill="{{.Color}}"/><text x="50" y="66" font-size="48" text-anchor="middle" fill="#fff" font-family="sans-serif">{{.Initial}}</text></svg>`))

// handleAvatar serves a user's avatar at the path of its qlogo URL: an
// initial on a coloured square.
func (s *Server) handleAvatar(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	var u *User
	for i := range s.users {
		if avatarKey(s.users[i].ID) == r.PathValue("key") {
			u = &s.users[i]
		}
	}
	var nick string
	if u != nil {
		nick = u.Nickname
	}
	s.mu.Unlock()
	if u == nil {
		http.NotFound(w, r)
		return
	}
	initial := "?"
	for _, c := range nick {
		initial = string(c)
		break
	}
	colors := []string{"#07c160", "#10aeff", "#fa9d3b", "#fa5151", "#6467f0"}
	size := r.PathValue("size")
	if size == "0" {
		size = "640"
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	avatarSVG.Execute(w, map[string]string{"Size": size, "Color": colors[len(nick)%len(colors)], "Initial": initial})
}
