package fibermw

import (
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/wxlogin/wxlogin/core/adapter"
)

// AccessLog returns a middleware that logs every request to logger (nil:
// slog.Default()) once answered: one Info line "request" with method,
// path, query, status, bytes, duration and remote_addr, the same
// attributes as nethttpmw.AccessLog and ginmw.AccessLog. The query is
// redacted (adapter.RedactQuery): the code and state of a callback, and
// any token or ticket, never reach the log — unlike Fiber's logger
// middleware with a format that shows the query. The request itself
// passes through unchanged. Use it first:
//
//	app.Use(fibermw.AccessLog(logger), wl.Sessions)
//
// An error a later handler returns is answered by the app's ErrorHandler
// here, so that the line holds the status the client gets.
func AccessLog(logger *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		if err := c.Next(); err != nil {
			if err := c.App().ErrorHandler(c, err); err != nil {
				c.Status(fiber.StatusInternalServerError)
			}
		}
		resp := c.Response()
		var n int64
		if resp.IsBodyStream() { // Body() would read the stream into memory
			n = int64(max(resp.Header.ContentLength(), 0))
		} else {
			n = int64(len(resp.Body()))
		}
		// string(…) copies: fasthttp reuses its buffers after the request.
		adapter.LogAccess(c.UserContext(), logger, adapter.Access{
			Method: string(c.Request().Header.Method()), Path: string(c.Request().URI().Path()),
			RawQuery: string(c.Request().URI().QueryString()), Status: resp.StatusCode(), Bytes: n,
			Duration: time.Since(start), RemoteAddr: c.Context().RemoteAddr().String(),
		})
		return nil
	}
}
