package fibermw_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/gofiber/fiber/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/adapter"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/fibermw"
	"github.com/wxlogin/wxlogin/weixintest"
)

// Send answers with the Response's status, every header value and the
// body; a HEAD gets no body.
func TestSend(t *testing.T) {
	resp := adapter.Response{
		Status: http.StatusFound,
		Header: http.Header{
			"Location":      {"/me"},
			"Cache-Control": {"no-store"},
			"Set-Cookie":    {"a=1; Path=/; HttpOnly", "b=2; Path=/"},
			"Vary":          {"Cookie", "Authorization"},
			"Content-Type":  {"text/plain; charset=utf-8"},
		},
		Body: []byte("see /me"),
	}
	app := fiber.New()
	app.All("/", func(c *fiber.Ctx) error {
		c.Set("Cache-Control", "public, max-age=600") // replaced by the Response's
		c.Set("X-Kept", "yes")                        // not in the Response: kept
		return fibermw.Send(c, resp)
	})
	for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodHead} {
		r, err := app.Test(httptest.NewRequest(method, "/", nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(r.Body)
		r.Body.Close()
		wantBody := "see /me"
		if method == http.MethodHead {
			wantBody = ""
		}
		if r.StatusCode != http.StatusFound || string(body) != wantBody {
			t.Errorf("%s: %d %q", method, r.StatusCode, body)
		}
		for k, want := range map[string][]string{
			"Location":      {"/me"},
			"Cache-Control": {"no-store"},
			"Set-Cookie":    {"a=1; Path=/; HttpOnly", "b=2; Path=/"},
			"Vary":          {"Authorization", "Cookie"}, // sorted
			"Content-Type":  {"text/plain; charset=utf-8"},
			"X-Kept":        {"yes"},
		} {
			got := slices.Clone(r.Header.Values(k))
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s: %s = %q, want %q", method, k, got, want)
			}
		}
	}
}

// What the Fiber program of docs/frameworks.md does with an error of
// UserInfo: Send answers the JSON error as nethttpmw's ServeHTTP would.
func TestSendJSONError(t *testing.T) {
	wx := weixintest.NewServer()
	defer wx.Close()
	web := wx.Config(weixintest.DefaultAppID, "http://127.0.0.1/auth/weixin/callback", weixin.ScopeLogin)
	auth, err := core.New(core.Options{Website: &web, Sessions: scs.New()})
	if err != nil {
		t.Fatal(err)
	}
	want := auth.Adapter().JSONErrorResponse(core.ErrLoginRequired)
	app := fiber.New()
	app.Get("/", func(c *fiber.Ctx) error { return fibermw.Send(c, want) })
	r, err := app.Test(httptest.NewRequest(http.MethodGet, "/", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	body, _ := io.ReadAll(r.Body)
	if r.StatusCode != want.Status || string(body) != string(want.Body) || r.Header.Get("Content-Type") != want.Header.Get("Content-Type") {
		t.Errorf("%d %s %q, want %d %s %q", r.StatusCode, r.Header.Get("Content-Type"), body, want.Status, want.Header.Get("Content-Type"), want.Body)
	}
}
