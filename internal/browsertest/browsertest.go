// Package browsertest is an HTTP client that behaves like a browser for
// the tests of the adapters and of the examples: it keeps cookies, sends
// an Accept header, and does not follow redirects by itself, so that
// every 302 can be checked.
package browsertest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// HTMLAccept is the Accept header of a browser navigating.
const HTMLAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

// Browser is one browser: one cookie jar.
type Browser struct {
	t testing.TB
	// Base is the app's URL, prefixed to paths that start with "/".
	Base string
	// Client is the HTTP client, with the jar and no redirects.
	Client *http.Client
	// UA, when set, is the User-Agent sent.
	UA string
	// AcceptLanguage, when set, is the Accept-Language sent.
	AcceptLanguage string
	jar            *cookiejar.Jar
}

// New returns a browser with an empty cookie jar for the app at base.
func New(t testing.TB, base string) *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{t: t, Base: base, jar: jar, Client: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Response is a response with its body read.
type Response struct {
	*http.Response
	Body string
}

// Do sends a request; target is a path of the app or an absolute URL.
func (b *Browser) Do(method, target, accept string) Response {
	b.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = b.Base + target
	}
	req, err := http.NewRequest(method, target, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if b.UA != "" {
		req.Header.Set("User-Agent", b.UA)
	}
	if b.AcceptLanguage != "" {
		req.Header.Set("Accept-Language", b.AcceptLanguage)
	}
	resp, err := b.Client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return Response{resp, string(body)}
}

// Get navigates to target, as a browser does.
func (b *Browser) Get(target string) Response { return b.Do(http.MethodGet, target, HTMLAccept) }

// API calls target as a script does, accepting JSON.
func (b *Browser) API(target string) Response {
	return b.Do(http.MethodGet, target, "application/json")
}

// SessionCookie returns the value of the session cookie for the app.
func (b *Browser) SessionCookie() string {
	u, _ := url.Parse(b.Base)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == "session" {
			return c.Value
		}
	}
	return ""
}

// SetSessionCookie replaces the session cookie, as an attacker or an old
// tab would.
func (b *Browser) SetSessionCookie(v string) {
	u, _ := url.Parse(b.Base)
	b.jar.SetCookies(u, []*http.Cookie{{Name: "session", Value: v, Path: "/"}})
}

// CheckSessionCookie reports an error on t unless the Set-Cookie value
// setCookie is HttpOnly, SameSite=Lax and Path=/, and Secure exactly when
// secure is true.
func CheckSessionCookie(t testing.TB, setCookie string, secure bool) {
	t.Helper()
	for _, attr := range []string{"HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(setCookie, attr) {
			t.Errorf("session cookie %q lacks %s", setCookie, attr)
		}
	}
	if strings.Contains(setCookie, "Secure") != secure {
		t.Errorf("session cookie %q: Secure should be %v", setCookie, secure)
	}
}
