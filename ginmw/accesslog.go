package ginmw

import (
	"log/slog"
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
//	r.Use(ginmw.AccessLog(logger), gin.Recovery())
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
