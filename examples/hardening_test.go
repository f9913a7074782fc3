package examples

import (
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/examples/internal/exampleapp"
	"github.com/wxlogin/wxlogin/internal/browsertest"
	"github.com/wxlogin/wxlogin/weixintest"
)

// A connection that never finishes its request headers is closed after
// the read timeout instead of being held forever.
func TestSlowHeadersAreCut(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the servers' read timeout")
	}
	each(t, func(t *testing.T, name string) {
		p := start(t, name)
		conn, err := net.Dial("tcp", p.base[len("http://"):])
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: example\r\nX-Slow: "); err != nil {
			t.Fatal(err)
		}
		begun := time.Now()
		conn.SetReadDeadline(begun.Add(exampleapp.ReadHeaderTimeout + 10*time.Second))
		_, err = io.ReadAll(conn) // a 408 or nothing, then the close
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("connection still open after %v", time.Since(begun).Round(time.Second))
		}
		t.Logf("closed after %v (read-header timeout %v)", time.Since(begun).Round(100*time.Millisecond), exampleapp.ReadHeaderTimeout)
		if !p.alive() {
			t.Fatal("the example died")
		}
	})
}

// The embedded QR page cannot be framed by another site; what
// RequireWeixinUser lets through is not stored by caches.
func TestContractHeaders(t *testing.T) {
	each(t, func(t *testing.T, name string) {
		wx := weixintest.NewServer()
		defer wx.Close()
		p := start(t, name, wechatEnv(wx, false)...)
		b := browsertest.New(t, p.base)
		r := b.Get("/login")
		for k, want := range map[string]string{
			"X-Frame-Options":         "DENY",
			"Content-Security-Policy": "frame-ancestors 'none'",
			"Cache-Control":           "no-store",
		} {
			if got := r.Header.Get(k); got != want {
				t.Errorf("/login: %s = %q, want %q", k, got, want)
			}
		}
		b.Get(login(t, wx, b, "", "u1"))
		for _, path := range []string{"/me", "/api/me", "/api/userinfo"} {
			r := b.Get(path)
			if r.StatusCode != 200 || r.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s: %d, Cache-Control %q", path, r.StatusCode, r.Header.Get("Cache-Control"))
			}
		}
	})
}

// Dev mode (a fake WeChat where anyone logs in as anyone) never starts by
// accident on a public address: without credentials and with a
// non-loopback PUBLIC_URL an example refuses to start unless DEV_MODE=true.
func TestDevModeNeverByAccident(t *testing.T) {
	each(t, func(t *testing.T, name string) {
		cmd := exec.Command(binary(t, name))
		cmd.Env = append(os.Environ(), "ADDR="+freeAddr(t), "PUBLIC_URL=https://www.example.com",
			"WEIXIN_APPID=", "WEIXIN_SECRET=", "DEV_MODE=", "SESSION_REDIS_URL=")
		done := make(chan struct{})
		var out []byte
		var err error
		go func() { out, err = cmd.CombinedOutput(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Fatal("the example started dev mode on a public address")
		}
		if err == nil || !strings.Contains(string(out), "DEV_MODE=true") || strings.Contains(string(out), "FAKE WeChat") {
			t.Fatalf("exit %v, output:\n%s", err, out)
		}
		wxAddr := freeAddr(t)
		p := start(t, name, "PUBLIC_URL=https://www.example.com", "DEV_MODE=true",
			"DEV_WEIXIN_ADDR="+wxAddr, "DEV_WEIXIN_PUBLIC_URL=http://"+wxAddr)
		if !strings.Contains(p.log.String(), "FAKE WeChat") {
			t.Errorf("DEV_MODE=true: no dev-mode warning in\n%s", p.log)
		}
	})
}

// lanIP returns a non-loopback IPv4 address of this machine, or skips.
func lanIP(t *testing.T) string {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			return n.IP.String()
		}
	}
	t.Skip("no non-loopback IPv4 address on this machine")
	return ""
}

// Dev mode on a LAN address (a devbox, a container, a phone): with
// DEV_WEIXIN_ADDR and DEV_WEIXIN_PUBLIC_URL the fake WeChat listens there
// and the browser is sent to it, not to its own 127.0.0.1, and a login
// completes; without them the example refuses to start and says what to
// set.
func TestDevModeOnTheLAN(t *testing.T) {
	ip := lanIP(t)
	free := func() string {
		ln, err := net.Listen("tcp", ip+":0")
		if err != nil {
			t.Skipf("cannot listen on %s: %v", ip, err)
		}
		defer ln.Close()
		return ln.Addr().String()
	}
	each(t, func(t *testing.T, name string) {
		addr := free()
		cmd := exec.Command(binary(t, name))
		cmd.Env = append(os.Environ(), "ADDR="+addr, "PUBLIC_URL=http://"+addr, "DEV_MODE=true",
			"WEIXIN_APPID=", "WEIXIN_SECRET=", "SESSION_REDIS_URL=", "DEV_WEIXIN_ADDR=", "DEV_WEIXIN_PUBLIC_URL=")
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "DEV_WEIXIN_PUBLIC_URL") {
			t.Fatalf("dev mode on %s without the fake's address: exit %v\n%s", addr, err, out)
		}

		wxAddr := free()
		p := startAt(t, name, addr, "PUBLIC_URL=http://"+addr, "DEV_MODE=true",
			"DEV_WEIXIN_ADDR="+wxAddr, "DEV_WEIXIN_PUBLIC_URL=http://"+wxAddr)
		b := browsertest.New(t, p.base)
		loc := b.Get("/auth/weixin/login").Header.Get("Location")
		if !strings.HasPrefix(loc, "http://"+wxAddr+"/connect/") {
			t.Fatalf("sent to %q, want the fake at http://%s", loc, wxAddr)
		}
		page := b.Get(strings.TrimSuffix(loc, "#wechat_redirect"))
		if page.StatusCode != 200 || !strings.Contains(page.Body, `id="user-u1"`) {
			t.Fatalf("the fake's page at %s: %d\n%s", loc, page.StatusCode, page.Body)
		}
		u, _ := url.Parse(loc)
		form := url.Values{"user": {"u1"}, "path": {u.Path}}
		for _, k := range []string{"appid", "redirect_uri", "response_type", "scope", "state"} {
			form.Set(k, u.Query().Get(k))
		}
		resp, err := b.Client.PostForm("http://"+wxAddr+weixintest.PathConfirm, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		cb := resp.Header.Get("Location")
		if r := b.Get(cb); r.StatusCode != 302 || r.Header.Get("Location") != "/me" {
			t.Fatalf("callback %s: %d %s", cb, r.StatusCode, r.Body)
		}
		if r := b.API("/api/me"); r.StatusCode != 200 || !strings.Contains(r.Body, "张三") {
			t.Errorf("/api/me after the login: %d %s", r.StatusCode, r.Body)
		}
	})
}
