package metrics_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/metrics"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/nethttpmw"
	"github.com/wxlogin/wxlogin/weixintest"
)

// value returns the value of the counter, or the sample count of the
// histogram, name{labels} in reg; -1 when reg has no such series.
func value(t *testing.T, reg prometheus.Gatherer, name string, labels ...string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			if len(got) != len(labels)/2 {
				continue
			}
			for i := 0; i < len(labels); i += 2 {
				if got[labels[i]] != labels[i+1] {
					continue next
				}
			}
			switch f.GetType().String() {
			case "COUNTER":
				return m.GetCounter().GetValue()
			case "HISTOGRAM":
				return float64(m.GetHistogram().GetSampleCount())
			}
			t.Fatalf("%s is a %v", name, f.GetType())
		}
	}
	return -1
}

// app is an app built with nethttpmw whose events a Collector counts.
type app struct {
	t    *testing.T
	wx   *weixintest.Server
	reg  *prometheus.Registry
	base string
}

func newApp(t *testing.T) *app {
	t.Helper()
	wx := weixintest.NewServer()
	t.Cleanup(wx.Close)
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	var h *nethttpmw.Handlers
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.Sessions(mux).ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	website := wx.Config(weixintest.DefaultAppID, srv.URL+"/auth/weixin/callback", weixin.ScopeLogin)
	website.RetryBackoff = time.Millisecond
	auth, err := core.New(core.Options{Website: &website, Sessions: scs.New(), Now: wx.Now, OnEvent: m.OnEvent})
	if err != nil {
		t.Fatal(err)
	}
	h = nethttpmw.New(auth, nethttpmw.Options{})
	mux.HandleFunc("GET /auth/weixin/login", h.Login)
	mux.HandleFunc("GET /auth/weixin/callback", h.Callback)
	mux.HandleFunc("/auth/weixin/logout", h.Logout)
	mux.HandleFunc("GET /token", func(w http.ResponseWriter, r *http.Request) {
		if _, err := h.Token(r); err != nil {
			http.Error(w, core.Classify(err).Code, core.Classify(err).Status)
		}
	})
	return &app{t: t, wx: wx, reg: reg, base: srv.URL}
}

// browser returns a client with a cookie jar that does not follow
// redirects.
func (a *app) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (a *app) do(c *http.Client, method, path string) int {
	a.t.Helper()
	req, _ := http.NewRequest(method, path, nil)
	if !strings.HasPrefix(path, "http") {
		req.URL, _ = req.URL.Parse(a.base + path)
	}
	resp, err := c.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// login has the user approve a login in c and returns the callback URL.
func (a *app) callback(c *http.Client, user string) string {
	a.t.Helper()
	resp, err := c.Get(a.base + "/auth/weixin/login")
	if err != nil {
		a.t.Fatal(err)
	}
	resp.Body.Close()
	cb, err := a.wx.Authorize(resp.Header.Get("Location"), user)
	if err != nil {
		a.t.Fatal(err)
	}
	return cb.String()
}

// Real logins, a forged callback, refreshes, a failed refresh, an ended
// login and a logout, against the fake WeChat: each counted once, under
// its result; every call to WeChat observed.
func TestCountsTheFlow(t *testing.T) {
	a := newApp(t)
	want := func(what string, v float64, name string, labels ...string) {
		t.Helper()
		if got := value(t, a.reg, name, labels...); got != v {
			t.Errorf("%s: %s%v = %v, want %v", what, name, labels, got, v)
		}
	}
	want("at start", 0, "wxlogin_logins_total", "result", "ok")
	want("at start", 0, "wxlogin_refreshes_total", "result", "login_ended")
	want("at start", 0, "wxlogin_logouts_total")

	b := a.browser()
	if s := a.do(b, "GET", a.callback(b, "u1")); s != http.StatusFound {
		t.Fatalf("callback: %d", s)
	}
	want("login", 1, "wxlogin_logins_total", "result", "ok")
	want("login", 1, "wxlogin_upstream_request_duration_seconds", "op", "exchange", "result", "ok")
	want("login", 1, "wxlogin_upstream_request_duration_seconds", "op", "userinfo", "result", "ok")

	forged := a.browser()
	q := strings.Replace(a.callback(forged, "u2"), "state=", "state=X", 1)
	if s := a.do(forged, "GET", q); s != http.StatusBadRequest {
		t.Errorf("forged callback: %d", s)
	}
	want("forged state", 1, "wxlogin_logins_total", "result", "state_invalid")
	want("forged state", 1, "wxlogin_logins_total", "result", "ok")

	a.wx.Advance(3 * time.Hour)
	if s := a.do(b, "GET", "/token"); s != http.StatusOK {
		t.Fatalf("token: %d", s)
	}
	want("refresh", 1, "wxlogin_refreshes_total", "result", "ok")
	want("refresh", 1, "wxlogin_upstream_request_duration_seconds", "op", "refresh", "result", "ok")

	a.wx.Advance(3 * time.Hour)
	a.wx.InjectFault(weixintest.PathRefreshToken, weixintest.Fault{Status: http.StatusServiceUnavailable})
	if s := a.do(b, "GET", "/token"); s != http.StatusBadGateway {
		t.Fatalf("token, WeChat down: %d", s)
	}
	a.wx.ClearFaults()
	want("failed refresh", 1, "wxlogin_refreshes_total", "result", "failed")
	want("failed refresh", 1, "wxlogin_upstream_request_duration_seconds", "op", "refresh", "result", "upstream")

	if s := a.do(b, "POST", "/auth/weixin/logout"); s != http.StatusFound {
		t.Fatalf("logout: %d", s)
	}
	want("logout", 1, "wxlogin_logouts_total")

	ended := a.browser()
	a.do(ended, "GET", a.callback(ended, "u2"))
	a.wx.Advance(31 * 24 * time.Hour)
	if s := a.do(ended, "GET", "/token"); s != http.StatusUnauthorized {
		t.Fatalf("token, refresh token expired: %d", s)
	}
	want("ended login", 1, "wxlogin_refreshes_total", "result", "login_ended")
	want("ended login", 2, "wxlogin_logins_total", "result", "ok")
	want("ended login", 1, "wxlogin_logouts_total")

	families, err := a.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if problems, err := promlint.NewWithMetricFamilies(families).Lint(); err != nil || len(problems) != 0 {
		t.Errorf("promlint: %v %v", problems, err)
	}
}

// Events fed directly: the histogram's sum is the calls' durations, and
// the identity of an event never becomes a label (an openid per series
// would grow without bound).
func TestOnEvent(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	id := core.Event{AppID: "wxAPPID", OpenID: "oOPENID", AccountID: "acct-1"}
	for _, e := range []core.Event{
		{Kind: core.EventLogin},
		{Kind: core.EventLoginFailed, Reason: "identity_conflict"},
		{Kind: core.EventRefresh},
		{Kind: core.EventRefreshFailed, Reason: "upstream"},
		{Kind: core.EventLoginEnded},
		{Kind: core.EventLogout},
		{Kind: core.EventUpstreamCall, Op: "jscode2session", Duration: 30 * time.Millisecond},
		{Kind: core.EventUpstreamCall, Op: "jscode2session", Duration: 2 * time.Second, Reason: "upstream"},
		{Kind: core.EventUpstreamCall, Op: "jscode2session", Duration: 70 * time.Millisecond},
		{Kind: "some_later_kind"},
	} {
		e.AppID, e.OpenID, e.AccountID = id.AppID, id.OpenID, id.AccountID
		m.OnEvent(context.Background(), e)
	}
	for _, c := range []struct {
		v      float64
		name   string
		labels []string
	}{
		{1, "wxlogin_logins_total", []string{"result", "ok"}},
		{1, "wxlogin_logins_total", []string{"result", "identity_conflict"}},
		{1, "wxlogin_refreshes_total", []string{"result", "ok"}},
		{1, "wxlogin_refreshes_total", []string{"result", "failed"}},
		{1, "wxlogin_refreshes_total", []string{"result", "login_ended"}},
		{1, "wxlogin_logouts_total", nil},
		{2, "wxlogin_upstream_request_duration_seconds", []string{"op", "jscode2session", "result", "ok"}},
		{1, "wxlogin_upstream_request_duration_seconds", []string{"op", "jscode2session", "result", "upstream"}},
	} {
		if got := value(t, reg, c.name, c.labels...); got != c.v {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.v)
		}
	}
	families, _ := reg.Gather()
	for _, f := range families {
		for _, mm := range f.GetMetric() {
			if f.GetName() == "wxlogin_upstream_request_duration_seconds" && mm.GetLabel()[1].GetValue() == "ok" {
				if sum := mm.GetHistogram().GetSampleSum(); sum < 0.0999 || sum > 0.1001 {
					t.Errorf("histogram sum %v, want 0.1", sum)
				}
			}
			for _, l := range mm.GetLabel() {
				for _, v := range []string{id.AppID, id.OpenID, id.AccountID} {
					if l.GetValue() == v {
						t.Errorf("%s has the label %s=%q", f.GetName(), l.GetName(), v)
					}
				}
			}
		}
	}
}

// New on a registry that has the metrics already fails with the
// registry's error and registers nothing; New(nil) fails.
func TestNewConflicts(t *testing.T) {
	reg := prometheus.NewRegistry()
	taken := prometheus.NewCounter(prometheus.CounterOpts{Name: "wxlogin_logouts_total", Help: "Logouts of logged-in sessions."})
	reg.MustRegister(taken)
	m, err := metrics.New(reg)
	var are prometheus.AlreadyRegisteredError
	if m != nil || !errors.As(err, &are) || are.ExistingCollector != taken {
		t.Fatalf("New on a registry with the name taken: %v, %v", m, err)
	}
	if n := value(t, reg, "wxlogin_logins_total", "result", "ok"); n != -1 {
		t.Errorf("a failed New left wxlogin_logins_total registered")
	}
	if !reg.Unregister(taken) {
		t.Fatal("unregister")
	}
	if _, err := metrics.New(reg); err != nil {
		t.Fatalf("New once the name is free: %v", err)
	}
	if _, err := metrics.New(reg); err == nil {
		t.Error("a second New on one registry: no error")
	}
	if _, err := metrics.New(nil); err == nil {
		t.Error("New(nil): no error")
	}
}
