package metrics_test

import (
	"bufio"
	"fmt"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"

	"github.com/alexedwards/scs/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/metrics"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/nethttpmw"
	"github.com/wxlogin/wxlogin/weixintest"
)

// An app counts its logins for Prometheus: metrics.New on a registry,
// OnEvent as the Options' OnEvent, and GET /metrics served by promhttp.
// With prometheus.DefaultRegisterer (which has the Go and process
// collectors already), serve promhttp.Handler() instead.
func Example() {
	wx := weixintest.NewServer() // in production: leave Endpoint zero
	defer wx.Close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m, err := metrics.New(reg)
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	app := httptest.NewServer(mux)
	defer app.Close()
	website := wx.Config(weixintest.DefaultAppID, app.URL+"/auth/weixin/callback", weixin.ScopeLogin)
	auth, err := core.New(core.Options{
		Website:  &website,
		Sessions: scs.New(),
		OnEvent:  m.OnEvent, // the two lines: New, and this
	})
	if err != nil {
		log.Fatal(err)
	}
	h := nethttpmw.New(auth, nethttpmw.Options{})
	routes := http.NewServeMux()
	routes.HandleFunc("GET /auth/weixin/login", h.Login)
	routes.HandleFunc("GET /auth/weixin/callback", h.Callback)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{})) // no session; serve it to the scraper only
	mux.Handle("/", h.Sessions(routes))

	// A user logs in: the app sends the browser to WeChat, where "u1"
	// approves, and WeChat sends it back to the callback.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(app.URL + "/auth/weixin/login")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	callback, err := wx.Authorize(resp.Header.Get("Location"), "u1")
	if err != nil {
		log.Fatal(err)
	}
	if resp, err = browser.Get(callback.String()); err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()

	// What the scraper reads.
	resp, err = http.Get(app.URL + "/metrics")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	for s := bufio.NewScanner(resp.Body); s.Scan(); {
		if strings.HasPrefix(s.Text(), "wxlogin_logins_total") || strings.HasPrefix(s.Text(), "wxlogin_upstream_request_duration_seconds_count") {
			fmt.Println(s.Text())
		}
	}
	// Output:
	// wxlogin_logins_total{result="ok"} 1
	// wxlogin_upstream_request_duration_seconds_count{op="exchange",result="ok"} 1
	// wxlogin_upstream_request_duration_seconds_count{op="userinfo",result="ok"} 1
}
