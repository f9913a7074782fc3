package exampleapp

import (
	"context"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/wxlogin/wxlogin/core"
)

// Metrics counts the login flow's events (core.Options.OnEvent) for
// Prometheus. The names are in docs/metrics.md.
type Metrics struct {
	registry  *prometheus.Registry
	logins    *prometheus.CounterVec
	refreshes *prometheus.CounterVec
	logouts   prometheus.Counter
	upstream  *prometheus.HistogramVec
}

// NewMetrics returns the examples' metrics, registered with a registry of
// their own (with the Go and process collectors).
func NewMetrics() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wxlogin_logins_total",
			Help: `Login callbacks by result: "ok", or the failure's class (state_invalid, state_expired, code_invalid, declined, rejected, snapshot_user, identity_conflict, upstream, session_store, link_store, internal).`,
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
			Help:    `Calls to WeChat's API by op (exchange, refresh, auth, userinfo, stable_token, api) and result ("ok" or the failure's class).`,
			Buckets: []float64{.025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"op", "result"}),
	}
	m.registry.MustRegister(m.logins, m.refreshes, m.logouts, m.upstream,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// OnEvent counts e; it is the examples' core.Options.OnEvent.
func (m *Metrics) OnEvent(_ context.Context, e core.Event) {
	result := e.Reason
	if result == "" {
		result = "ok"
	}
	switch e.Kind {
	case core.EventLogin, core.EventLoginFailed:
		m.logins.WithLabelValues(result).Inc()
	case core.EventRefresh:
		m.refreshes.WithLabelValues("ok").Inc()
	case core.EventRefreshFailed:
		m.refreshes.WithLabelValues("failed").Inc()
	case core.EventLoginEnded:
		m.refreshes.WithLabelValues("login_ended").Inc()
	case core.EventLogout:
		m.logouts.Inc()
	case core.EventUpstreamCall:
		m.upstream.WithLabelValues(e.Op, result).Observe(e.Duration.Seconds())
	}
}

// Handler serves the metrics in Prometheus' text format, for GET
// /metrics. In production, serve it only to the scraper (another port,
// or behind authentication).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
