package examples

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/internal/browsertest"
	"github.com/wxlogin/wxlogin/weixintest"
)

// No example logs a code or a state: after whole logins through the
// callback — with the real WeChat's settings (a fake outside the
// process) and in dev mode (the fake inside it, its own log lines
// included) — and a replayed callback that fails, nothing the example
// wrote to stdout or stderr holds a code or a state, in any encoding;
// the access log did see each callback, redacted.
func TestNoCodeInTheLogs(t *testing.T) {
	each(t, func(t *testing.T, name string) {
		var secrets []string
		check := func(mode string, p *process, callbacks int) {
			t.Helper()
			// The access line is written once the answer is; give the
			// last one a moment to reach the pipe.
			deadline := time.Now().Add(10 * time.Second)
			for strings.Count(p.log.String(), "code=REDACTED&state=REDACTED") < callbacks && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			out := p.log.String()
			if n := strings.Count(out, "code=REDACTED&state=REDACTED"); n < callbacks {
				t.Errorf("%s: %d access log lines of a callback, want %d:\n%s", mode, n, callbacks, out)
			}
			for _, s := range secrets {
				for _, form := range []string{s, url.QueryEscape(s), url.PathEscape(s)} {
					if strings.Contains(out, form) {
						t.Errorf("%s: the log holds %q:\n%s", mode, form, out)
					}
				}
			}
		}
		keep := func(cb *url.URL) {
			t.Helper()
			code, state := cb.Query().Get("code"), cb.Query().Get("state")
			if len(code) < 8 || len(state) < 16 {
				t.Fatalf("callback URL without a code or a state: %s", cb)
			}
			secrets = append(secrets, code, state)
		}

		// The real WeChat's settings, on a fake outside the process.
		wx := weixintest.NewServer()
		defer wx.Close()
		p := start(t, name, wechatEnv(wx, false)...)
		b := browsertest.New(t, p.base)
		cb, err := url.Parse(login(t, wx, b, "/api/me", "u1"))
		if err != nil {
			t.Fatal(err)
		}
		keep(cb)
		if r := b.Get(cb.String()); r.StatusCode != http.StatusFound {
			t.Fatalf("callback: %d %s", r.StatusCode, r.Body)
		}
		if r := b.API("/api/me"); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, "张三") {
			t.Fatalf("/api/me after the login: %d %s", r.StatusCode, r.Body)
		}
		// The same callback in another browser: refused (foreign state),
		// and its code and state still stay out of the log.
		if r := browsertest.New(t, p.base).Get(cb.String()); r.StatusCode < 400 || r.StatusCode >= 500 {
			t.Errorf("replayed callback in another browser: %d, want 4xx", r.StatusCode)
		}
		check("WEIXIN_APPID set", p, 2)

		// Dev mode: the fake runs in the example's process and logs there.
		p = start(t, name)
		b = browsertest.New(t, p.base)
		loc := b.Get("/auth/weixin/login").Header.Get("Location")
		if loc == "" {
			t.Fatal("dev mode: the login route did not redirect")
		}
		// The fake's authorize page confirms at once as the user named by
		// user (see the README's curl login).
		r := b.Get(strings.TrimSuffix(loc, "#wechat_redirect") + "&user=u1")
		cb, err = url.Parse(r.Header.Get("Location"))
		if err != nil || r.StatusCode != http.StatusFound {
			t.Fatalf("dev mode: the fake's authorize page: %d %v %s", r.StatusCode, err, r.Body)
		}
		keep(cb)
		if r := b.Get(cb.String()); r.StatusCode != http.StatusFound {
			t.Fatalf("dev mode: callback: %d %s", r.StatusCode, r.Body)
		}
		if r := b.API("/api/me"); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, "张三") {
			t.Fatalf("dev mode: /api/me after the login: %d %s", r.StatusCode, r.Body)
		}
		check("dev mode", p, 1)
	})
}
