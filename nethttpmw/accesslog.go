package nethttpmw

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/wxlogin/wxlogin/core/adapter"
)

// AccessLog returns a middleware that logs every request to logger (nil:
// slog.Default()) once answered: one Info line "request" with method,
// path, query, status, bytes, duration and remote_addr, the same
// attributes as ginmw.AccessLog and fibermw.AccessLog. The query is
// redacted (adapter.RedactQuery): the code and state of a callback, and
// any token or ticket, never reach the log. The request itself passes
// through unchanged. Put it outermost, around Sessions:
//
//	handler := nethttpmw.AccessLog(logger)(wl.Sessions(mux))
func AccessLog(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rec := &recorder{ResponseWriter: w}
			done := false
			defer func() {
				status := rec.status
				switch {
				case status == 0 && !done:
					status = http.StatusInternalServerError // the handler panicked before answering
				case status == 0:
					status = http.StatusOK
				}
				adapter.LogAccess(r.Context(), logger, adapter.Access{
					Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
					Status: status, Bytes: rec.bytes, Duration: time.Since(start), RemoteAddr: r.RemoteAddr,
				})
			}()
			next.ServeHTTP(rec, r)
			done = true
		})
	}
}

// recorder is an http.ResponseWriter that counts what passes through it.
// Unwrap lets http.ResponseController reach the writer beneath; Flush,
// Hijack and ReadFrom (sendfile) are passed through for code that asserts
// them.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 && code >= 200 { // 1xx are interim answers
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

func (w *recorder) ReadFrom(r io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := io.Copy(w.ResponseWriter, r) // the writer's own ReadFrom, when it has one
	w.bytes += n
	return n, err
}

func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *recorder) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}
