package core

import (
	"time"

	"github.com/wxlogin/wxlogin/core/weixin"
)

// oneClock returns the clock of an Auth and its two configurations, so
// that a test clock given once, on Options.Now or on a Config's Now,
// reaches everything that decides on time. The clock is now when set,
// else the website's Now, else the official account's, else time.Now. A
// Config without a clock is replaced by a copy that has the Auth's; a
// Config with a clock of its own keeps it.
func oneClock(now func() time.Time, website, mp *weixin.Config) (func() time.Time, *weixin.Config, *weixin.Config) {
	for _, c := range []*weixin.Config{website, mp} {
		if now == nil && c != nil && c.Now != nil {
			now = c.Now
		}
	}
	if now == nil {
		return time.Now, website, mp
	}
	withClock := func(c *weixin.Config) *weixin.Config {
		if c == nil || c.Now != nil {
			return c
		}
		cp := *c
		cp.Now = now
		return &cp
	}
	return now, withClock(website), withClock(mp)
}
