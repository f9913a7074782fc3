package examples

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/redis/rueidis"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/internal/browsertest"
	"github.com/wxlogin/wxlogin/weixintest"
)

// liveRedisLogins counts the sessions in the Redis at redisURL that hold
// a logged-in user (tombstones and their notes hold none).
func liveRedisLogins(t *testing.T, client rueidis.Client) int {
	t.Helper()
	ctx := context.Background()
	n := 0
	var cursor uint64
	for {
		e, err := client.Do(ctx, client.B().Scan().Cursor(cursor).Match("scs:session:*").Count(1000).Build()).AsScanEntry()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range e.Elements {
			b, err := client.Do(ctx, client.B().Get().Key(k).Build()).AsBytes()
			if err != nil || strings.HasPrefix(string(b), "\x00") {
				continue // gone, or a tombstone
			}
			if _, values, err := (core.SessionCodec{}).Decode(b); err == nil {
				if _, ok := values["wxlogin.user"]; ok {
					n++
				}
			}
		}
		if cursor = e.Cursor; cursor == 0 {
			return n
		}
	}
}

// settled waits until the expression cond is true in the page, across
// navigations (an evaluation that a navigation interrupts is tried
// again); a bound against hanging, not a measure of speed.
func settled(cond string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		deadline := time.Now().Add(30 * time.Second)
		for {
			var ok bool
			// Each try bounded: an evaluation a navigation cuts short may
			// never answer.
			tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			err := chromedp.Evaluate(cond, &ok).Do(tctx)
			cancel()
			if err == nil && ok {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("never: %s", cond)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

// metricsLogins reads the count of completed logins off GET /metrics.
func metricsLogins(t *testing.T, base string) int {
	t.Helper()
	r := browsertest.New(t, base).Do("GET", "/metrics", "text/plain")
	for _, line := range strings.Split(r.Body, "\n") {
		if v, ok := strings.CutPrefix(line, `wxlogin_logins_total{result="ok"} `); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return 0
}

// WeChat redirecting twice, in a real browser: on the fake's consent
// page, the page navigates to the callback with one code, then 0–150 ms
// later to the callback with another code of the same user (the second
// navigation supersedes the first, whose answer — Set-Cookie included —
// Chromium drops when it comes too late), while WeChat's code exchange
// takes 1–200 ms. Every trial, on each example, with sessions in memory
// (as in dev mode) and in Redis, ends on next, logged in, with exactly
// one more logged-in session: counted in Redis, and in memory by the
// logins /metrics counts (each login that creates a session counts one).
func TestBrowserDoubleRedirect(t *testing.T) {
	skipIfShort(t, "the browser test")
	exe := chromium(t)
	const trials = 6 // per example and store; the gaps and latencies spread over their ranges
	for _, name := range examples {
		ctx := newBrowserCtxFor(t, exe, 5*time.Minute) // one browser per example, for both stores
		for _, store := range []string{"memory", "redis"} {
			t.Run(name+"/"+store, func(t *testing.T) {
				wx := weixintest.NewServer()
				defer wx.Close()
				env := wechatEnv(wx, false)
				var live func() int
				if store == "redis" {
					rURL := redisURL(t)
					co, err := rueidis.ParseURL(rURL)
					if err != nil {
						t.Fatal(err)
					}
					co.DisableCache = true
					client, err := rueidis.NewClient(co)
					if err != nil {
						t.Fatal(err)
					}
					defer client.Close()
					env = append(env, "SESSION_REDIS_URL="+rURL)
					live = func() int { return liveRedisLogins(t, client) }
				}
				// The app on localhost, the fake WeChat on 127.0.0.1:
				// another site, as open.weixin.qq.com is to a real app.
				addr := freeAddr(t)
				_, port, _ := net.SplitHostPort(addr)
				p := startAt(t, name, addr, append(env, "PUBLIC_URL=http://localhost:"+port)...)
				p.base = "http://localhost:" + port
				if live == nil {
					live = func() int { return metricsLogins(t, p.base) }
				}
				doubleRedirectTrials(t, ctx, wx, p, trials, live)
			})
		}
	}
}

func doubleRedirectTrials(t *testing.T, ctx context.Context, wx *weixintest.Server, p *process, trials int, live func() int) {
	base := live()
	for trial := range trials {
		gap := trial * 150 / (trials - 1)          // ms between the two navigations: 0 to 150
		latency := 1 + (trial*67+13)%200           // ms of each code exchange: 1 to 200
		next := "/me?trial=" + strconv.Itoa(trial) // where the login ends
		wx.InjectFault(weixintest.PathAccessToken, weixintest.Fault{Delay: time.Duration(latency) * time.Millisecond, Times: 2})

		var consent string
		err := chromedp.Run(ctx,
			network.ClearBrowserCookies(),
			chromedp.Navigate(p.base+"/auth/weixin/login?next="+url.QueryEscape(next)),
			chromedp.WaitVisible("#user-u1", chromedp.ByQuery), // the fake's consent page
			chromedp.Location(&consent),
		)
		if err != nil {
			t.Fatalf("trial %d: to the consent page: %v\n%s", trial, err, p.log)
		}
		u, err := url.Parse(consent)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		callback := func() string {
			cb, _ := url.Parse(q.Get("redirect_uri"))
			cq := cb.Query()
			cq.Set("code", wx.NewCode(weixintest.DefaultAppID, "u1", weixin.ScopeLogin))
			cq.Set("state", q.Get("state"))
			cb.RawQuery = cq.Encode()
			return cb.String()
		}
		first, second := callback(), callback()
		// Both navigations start after the evaluation has answered: an
		// evaluation cut short by its own navigation may never answer.
		script := fmt.Sprintf(`setTimeout(function () { location.href = %q; setTimeout(function () { location.href = %q; }, %d); }, 0); true`,
			first, second, gap)
		var ok bool
		var location, nickname, me string
		err = chromedp.Run(ctx,
			chromedp.ActionFunc(func(ctx context.Context) error {
				tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				return chromedp.Evaluate(script, &ok).Do(tctx)
			}),
			// Until the browser shows /me or the callback's error page.
			settled(`(location.pathname === "/me" && !!document.querySelector("#nickname")) ||
				(location.pathname === "/auth/weixin/callback" && document.readyState === "complete")`),
			chromedp.Location(&location),
			// Not chromedp.Text, which would wait for #nickname forever
			// on an error page.
			chromedp.Evaluate(`(document.querySelector("#nickname") || {}).textContent || ""`, &nickname),
			chromedp.Evaluate(`fetch("/api/me").then(r => r.status + " " + r.statusText)`, &me,
				func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }),
		)
		if err != nil {
			var page string
			tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			chromedp.Run(tctx, chromedp.Location(&location), chromedp.Evaluate(`document.body ? document.body.innerText : ""`, &page))
			cancel()
			t.Fatalf("trial %d (gap %d ms, exchange %d ms): ended at %s: %v\n%s\n%s", trial, gap, latency, location, err, page, p.log)
		}
		if location != p.base+next || nickname != "张三" || !strings.HasPrefix(me, "200") {
			t.Errorf("trial %d (gap %d ms, exchange %d ms): at %s, showing %q, /api/me %s", trial, gap, latency, location, nickname, me)
		}
		if n := live() - base; n != trial+1 {
			t.Fatalf("trial %d (gap %d ms, exchange %d ms): %d logged-in sessions after %d logins", trial, gap, latency, n, trial+1)
		}
		wx.ClearFaults()
	}
}
