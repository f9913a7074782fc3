package examples

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/wxlogin/wxlogin/internal/browsertest"
	"github.com/wxlogin/wxlogin/weixintest"
)

// GET /metrics counts logins, failures by reason, refreshes, logouts and
// WeChat's latency, in Prometheus' text format.
func TestMetrics(t *testing.T) {
	each(t, func(t *testing.T, name string) {
		wx := weixintest.NewServer()
		defer wx.Close()
		p := start(t, name, wechatEnv(wx, false)...)
		b := browsertest.New(t, p.base)

		b.Get(login(t, wx, b, "", "u1"))
		b.API("/api/userinfo")
		forged := browsertest.New(t, p.base)
		q := strings.Replace(login(t, wx, forged, "", "u2"), "state=", "state=X", 1)
		if r := forged.Get(q); r.StatusCode != http.StatusBadRequest {
			t.Errorf("forged callback: %d", r.StatusCode)
		}
		b.Do(http.MethodPost, "/auth/weixin/logout", browsertest.HTMLAccept)

		r := b.Do(http.MethodGet, "/metrics", "text/plain")
		if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") || r.Header.Get("Set-Cookie") != "" {
			t.Fatalf("/metrics: %d %v", r.StatusCode, r.Header)
		}
		for _, want := range []string{
			`wxlogin_logins_total{result="ok"} 1`,
			`wxlogin_logins_total{result="state_invalid"} 1`,
			`wxlogin_logouts_total 1`,
			`wxlogin_upstream_request_duration_seconds_count{op="exchange",result="ok"} 1`,
			`wxlogin_upstream_request_duration_seconds_count{op="userinfo",result="ok"} 2`,
		} {
			if !strings.Contains(r.Body, want+"\n") {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		if m := regexp.MustCompile(`(?m)^wxlogin_.*(ACCESS|token=|code=).*$`).FindString(r.Body); m != "" {
			t.Errorf("/metrics leaks: %s", m)
		}
	})
}
