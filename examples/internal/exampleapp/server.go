package exampleapp

import (
	"net/http"
	"time"
)

// The examples' server timeouts. A connection that sends its request
// headers slowly, or never finishes them, is closed after
// ReadHeaderTimeout instead of being held forever; a response (a
// callback's calls to WeChat included, bounded by RequestTimeout) must be
// written within WriteTimeout; an idle keep-alive connection is closed
// after IdleTimeout. Fiber (fasthttp) has no timeout for the headers
// alone: its ReadTimeout is ReadHeaderTimeout, which the examples' bodies
// (none but a logout's) fit in.
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 15 * time.Second
	WriteTimeout      = 3 * RequestTimeout
	IdleTimeout       = 60 * time.Second
)

// Server returns an http.Server for h on the app's address, with the
// timeouts above.
func (a *App) Server(h http.Handler) *http.Server {
	return &http.Server{
		Addr:              a.Addr,
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
	}
}

// SetPageHeaders sets the headers of the examples' HTML pages that hold
// a login (the embedded QR code): not cached, and not to be framed by
// another site (clickjacking: the page starts a login).
func SetPageHeaders(set func(key, value string)) {
	set("Content-Type", "text/html; charset=utf-8")
	set("Cache-Control", "no-store")
	set("X-Frame-Options", "DENY")
	set("Content-Security-Policy", "frame-ancestors 'none'")
}
