package weixintest

import (
	"html/template"
	"net/http"
	"strings"
	"unicode"
)

// avatarPath prefixes the avatars the fake serves: avatarPath + id/size.
const avatarPath = "/weixintest/avatar/"

// avatarURL is the URL of user id's avatar, at 132 px as WeChat's
// headimgurl usually ends.
func (s *Server) avatarURL(id string) string {
	return s.URL + avatarPath + id + "/132"
}

var avatarSVG = template.Must(template.New("avatar").Parse(`<svg xmlns="http://www.w3.org/2000/svg" width="{{.Size}}" height="{{.Size}}" viewBox="0 0 100 100">` +
	`<rect width="100" height="100" fill="{{.Color}}"/><text x="50" y="66" font-size="48" text-anchor="middle" fill="#fff" font-family="sans-serif">{{.Initial}}</text></svg>`))

// avatarSizes maps WeChat's headimgurl size segments to pixels.
var avatarSizes = map[string]string{"0": "640", "46": "46", "64": "64", "96": "96", "132": "132"}

// handleAvatar serves a user's avatar as a small SVG: the nickname's
// initial on a coloured square. Unknown users and sizes are 404.
func (s *Server) handleAvatar(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	u := s.userLocked(r.PathValue("id"))
	var nick string
	if u != nil {
		nick = u.Nickname
	}
	s.mu.Unlock()
	size, ok := avatarSizes[r.PathValue("size")]
	if u == nil || !ok {
		http.NotFound(w, r)
		return
	}
	initial := "?"
	for _, c := range nick {
		initial = strings.ToUpper(string(c))
		if !unicode.IsSpace(c) {
			break
		}
	}
	colors := []string{"#07c160", "#10aeff", "#fa9d3b", "#fa5151", "#6467f0"}
	w.Header().Set("Content-Type", "image/svg+xml")
	avatarSVG.Execute(w, map[string]string{"Size": size, "Color": colors[len(nick)%len(colors)], "Initial": initial})
}
