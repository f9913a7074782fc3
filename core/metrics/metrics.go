// Package metrics counts the login flow's events for Prometheus: logins
// and failed logins by reason, refreshes, ended logins, logouts, and the
// latency of every call to WeChat's API. An app mounts it in two lines
// and serves it with promhttp:
//
//	m, err := metrics.New(prometheus.DefaultRegisterer)
//	if err != nil { … }
//	opts.OnEvent = m.OnEvent // core.Options
//	mux.Handle("GET /metrics", promhttp.Handler())
//
// The metrics (names, labels and values are listed in docs/metrics.md):
//
//   - wxlogin_logins_total{result}: login callbacks and bearer logins,
//     result "ok" or the failure's class (core.Classify(err).Code:
//     "state_invalid", "declined", "snapshot_user", "upstream", …);
//   - wxlogin_refreshes_total{result}: access-token refreshes made,
//     result "ok", "failed" (the login stays) or "login_ended" (the
//     refresh token is gone: the user must log in again);
//   - wxlogin_logouts_total: logouts of logged-in sessions;
//   - wxlogin_upstream_request_duration_seconds{op,result}: a histogram
//     of the calls to WeChat's API by op ("exchange", "refresh", "auth",
//     "userinfo", "jscode2session", "stable_token", "phonenumber", "api")
//     and result ("ok" or the failure's class).
//
// No label holds an identity (appid, openid, account id): their number
// has no bound, which a time series must have. Events carry them for
// audit logs (core.Event); a Collector ignores them.
//
// New registers no Go or process collector: register those yourself
// (prometheus.DefaultRegisterer already has them; with a registry of your
// own, add collectors.NewGoCollector and collectors.NewProcessCollector
// from github.com/prometheus/client_golang/prometheus/collectors).
package metrics

import (
	"context"
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/wxlogin/wxlogin/core"
)

// The results that are not a failure's class.
const (
	resultOK         = "ok"          // a login, refresh or call that succeeded
	resultFailed     = "failed"      // a refresh that failed, the login staying
	resultLoginEnded = "login_ended" // a login that ended without a logout
)

// buckets are the upper bounds, in seconds, of the histogram of calls to
// WeChat: from 25 ms to 10 s, the longest a call takes by default
// (weixin.Config.Timeout).
var buckets = []float64{.025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Collector counts the events of a core.Auth (see OnEvent). Its methods
// are safe for concurrent use.
type Collector struct {
	logins    *prometheus.CounterVec
	refreshes *prometheus.CounterVec
	logouts   prometheus.Counter
	upstream  *prometheus.HistogramVec
}

// New returns a Collector whose metrics are registered with reg
// (prometheus.DefaultRegisterer, or a registry of the app's). The error
// wraps the registry's, for instance a prometheus.AlreadyRegisteredError
// when reg holds metrics of these names already (a second New on one
// registry); nothing is left registered then.
func New(reg prometheus.Registerer) (*Collector, error) {
	if reg == nil {
		return nil, errors.New("metrics: New needs a prometheus.Registerer (prometheus.DefaultRegisterer, or a registry of your own)")
	}
	c := &Collector{
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wxlogin_logins_total",
			Help: `Login callbacks and bearer logins by result: "ok", or the failure's class (state_invalid, state_expired, code_invalid, declined, rejected, snapshot_user, identity_conflict, upstream, session_store, link_store, internal, …).`,
		}, []string{"result"}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wxlogin_refreshes_total",
			Help: `Access-token refreshes by result: "ok", "failed" (the login stays), or "login_ended" (the refresh token is gone; the user must log in again).`,
		}, []string{"result"}),
		logouts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wxlogin_logouts_total",
			Help: "Logouts of logged-in sessions.",
		}),
		upstream: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wxlogin_upstream_request_duration_seconds",
			Help:    `Calls to WeChat's API by op (exchange, refresh, auth, userinfo, jscode2session, stable_token, phonenumber, api) and result ("ok" or the failure's class).`,
			Buckets: buckets,
		}, []string{"op", "result"}),
	}
	var done []prometheus.Collector
	for _, m := range []prometheus.Collector{c.logins, c.refreshes, c.logouts, c.upstream} {
		if err := reg.Register(m); err != nil {
			for _, d := range done {
				reg.Unregister(d)
			}
			return nil, fmt.Errorf("metrics: registering the wxlogin metrics: %w", err)
		}
		done = append(done, m)
	}
	// The usual series exist from the start, at 0: a rate or an alert
	// on them works before the first event.
	c.logins.WithLabelValues(resultOK)
	for _, r := range []string{resultOK, resultFailed, resultLoginEnded} {
		c.refreshes.WithLabelValues(r)
	}
	return c, nil
}

// OnEvent counts e. It is a core.Options.OnEvent:
//
//	opts.OnEvent = m.OnEvent
//
// To count and do something else, call it from your own OnEvent. It
// never blocks and ignores the events it does not count (and the
// identity every event carries).
func (c *Collector) OnEvent(_ context.Context, e core.Event) {
	result := e.Reason
	if result == "" {
		result = resultOK
	}
	switch e.Kind {
	case core.EventLogin, core.EventLoginFailed:
		c.logins.WithLabelValues(result).Inc()
	case core.EventRefresh:
		c.refreshes.WithLabelValues(resultOK).Inc()
	case core.EventRefreshFailed:
		c.refreshes.WithLabelValues(resultFailed).Inc()
	case core.EventLoginEnded:
		c.refreshes.WithLabelValues(resultLoginEnded).Inc()
	case core.EventLogout:
		c.logouts.Inc()
	case core.EventUpstreamCall:
		c.upstream.WithLabelValues(e.Op, result).Observe(e.Duration.Seconds())
	}
}
