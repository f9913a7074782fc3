package fibermw

import (
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/wxlogin/wxlogin/core/adapter"
)

// Send answers c with r: its status, its headers (each replacing a header
// of the same name already set on c; a header with several values gets
// them all, each on its own line, Set-Cookie included) and its body (none
// for a HEAD request). Use it where an adapter.Response (from
// core.Auth.Adapter) is the answer, as net/http's r.ServeHTTP(w, req) is;
// for an app's own errors, Handlers.JSONError and Handlers.ErrorPage
// send the Response wxlogin answers them with:
//
//	info, err := auth.UserInfo(c.UserContext(), "")
//	if err != nil {
//		return wl.JSONError(c, err) // 401, 502 or 504, JSON: Send of the Kit's JSONErrorResponse
//	}
func Send(c *fiber.Ctx, r adapter.Response) error {
	for k, vs := range r.Header {
		for i, v := range vs {
			if i == 0 {
				c.Set(k, v)
			} else {
				c.Response().Header.Add(k, v)
			}
		}
	}
	c.Status(r.Status)
	if c.Method() == http.MethodHead {
		return nil
	}
	return c.Send(r.Body)
}
