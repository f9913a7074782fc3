package ginmw

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/wxlogin/wxlogin/core/adapter"
)

// AccessLog returns a middleware that logs every request to logger (nil:
// slog.Default()) once answered: one Info line "request" with method,
// path, query, status, bytes, duration and remote_addr, the same
// attributes as nethttpmw.AccessLog and fibermw.AccessLog. The query is
// redacted (adapter.RedactQuery): the code and state of a callback, and
// any token or ticket, never reach the log — unlike gin.Logger, which
// gin.Default installs. The request itself passes through unchanged. Use
// gin.New, then AccessLog first:
//
//	r := gin.New()
//	r.Use(ginmw.AccessLog(logger), ginmw.Recovery(logger))
func AccessLog(logger *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		adapter.LogAccess(c.Request.Context(), logger, adapter.Access{
			Method: c.Request.Method, Path: c.Request.URL.Path, RawQuery: c.Request.URL.RawQuery,
			Status: c.Writer.Status(), Bytes: int64(max(c.Writer.Size(), 0)),
			Duration: time.Since(start), RemoteAddr: c.Request.RemoteAddr,
		})
	}
}

// Recovery returns a middleware that recovers from a panic in a later
// handler as gin.Recovery does — the request is answered 500, the server
// goes on — but logs it to logger (nil: slog.Default()) as one Error line
// "wxlogin: panic recovered" with method, path, the redacted query
// (adapter.RedactQuery), the panic and the stack, and never the request's
// headers. gin.Recovery prints the whole request in debug mode and on a
// broken connection: a callback's code and state, the session cookie. A
// broken connection (the client went away) is not logged, as gin does
// not answer it either.
//
//	r := gin.New()
//	r.Use(ginmw.AccessLog(logger), ginmw.Recovery(logger))
func Recovery(logger *slog.Logger) gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(nil, func(c *gin.Context, rec any) {
		l := logger
		if l == nil {
			l = slog.Default()
		}
		l.LogAttrs(c.Request.Context(), slog.LevelError, "wxlogin: panic recovered",
			slog.String("method", c.Request.Method), slog.String("path", c.Request.URL.Path),
			slog.String("query", adapter.RedactQuery(c.Request.URL.RawQuery)),
			slog.String("panic", fmt.Sprint(rec)), slog.String("stack", string(debug.Stack())))
		c.AbortWithStatus(http.StatusInternalServerError)
	})
}
