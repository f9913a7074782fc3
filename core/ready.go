package core

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/wxlogin/wxlogin/core/adapter"
)

// readyTimeout bounds Ready when its context allows longer.
const readyTimeout = 5 * time.Second

// Ready reports whether the Auth can serve logins now: it pings the
// session store with a Find of a random session id that was never
// issued (through the store's FindCtx when it has one, so the ping obeys
// ctx), bounded by ctx and by 5 seconds. nil means ready; an error wraps
// ErrSessionStore and the store's error, and never holds the id it
// looked up. A store without FindCtx is asked in a goroutine that Ready
// stops waiting for when ctx ends (the goroutine ends when Find does).
//
// Ready is for a readiness probe (GET /readyz: take the instance out of
// the load balancer while its store is down), not for a liveness probe
// (/healthz: restarting the process would not bring Redis back). WeChat
// is not called: its outages fail logins with 502, they do not make an
// instance unready. See the adapters' Ready handlers.
func (a *Auth) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	token := "wxlogin-ready-" + rand.Text() // never issued: scs' ids are base64url
	var err error
	switch st := a.sessions.Store.(type) {
	case scs.CtxStore:
		_, _, err = st.FindCtx(ctx, token)
	default:
		done := make(chan error, 1)
		go func() { _, _, err := st.Find(token); done <- err }()
		select {
		case err = <-done:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	if err == nil {
		return nil
	}
	if msg := err.Error(); strings.Contains(msg, token) {
		// The store quoted its key: its message goes without it, and
		// without the error it came from.
		return fmt.Errorf("%w: %s", ErrSessionStore, strings.ReplaceAll(msg, token, "…"))
	}
	return fmt.Errorf("%w: %w", ErrSessionStore, err)
}

// ReadyResponse answers a readiness probe (GET /readyz) with Ready: 200
// "ok" when ready, else 503 "not ready: session store unavailable" and a
// warning in the log with the error. The body never holds the store's
// error (its addresses are internals). Text, no-store; no session.
func (a kit) ReadyResponse(ctx context.Context) adapter.Response {
	h := http.Header{"Content-Type": {"text/plain; charset=utf-8"}, "Cache-Control": {"no-store"}}
	if err := a.Ready(ctx); err != nil {
		a.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "wxlogin: not ready", slog.String("error", err.Error()))
		return adapter.Response{Status: http.StatusServiceUnavailable, Header: h, Body: []byte("not ready: session store unavailable\n")}
	}
	return adapter.Response{Status: http.StatusOK, Header: h, Body: []byte("ok")}
}
