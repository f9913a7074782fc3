// Command loadgen measures an example with several instances, on this
// machine only, in one run:
//
//	go run ./examples/loadgen [-example nethttp] [-duration 1s] [-rounds 9] [-workers 16] [-trials 200] [-double 50]
//
// It prints three tables:
//
//   - requests per second on an authenticated protected route (/api/me)
//     with memory sessions, Redis sessions read from Redis on every
//     request (plain), and Redis sessions served from the client-side
//     cache (cached), against /healthz as the baseline, with the ratios;
//   - the revocation delay: with two instances A and B on one Redis, the
//     time from A's answer to a logout until B refuses the session, and
//     from A's answer to a request that refreshed the access token until
//     another instance's store reads the new session, p50/p99 over
//     -trials trials, and whether B ever acted on the old session after;
//   - the cross-instance double callback: -double trials of one login's
//     callback sent to A and B at the same moment, counting the trials
//     where each code was exchanged once, where both answers carried one
//     session, and the answers that were not the 302 to next.
//
// It builds the example, starts a fake WeChat in-process, starts the
// example as processes on loopback ports, logs in, and sends requests
// from -workers goroutines for -duration per row, -rounds times in turn;
// each row is the median of its rounds. The Redis rows and the
// trials need redis-server on the PATH (Debian's package) or -redis with
// a URL; without either they are left out.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wxlogin/wxlogin/weixintest"
)

func main() {
	example := flag.String("example", "nethttp", "the example to load: nethttp, gin or fiber")
	duration := flag.Duration("duration", time.Second, "how long each target is loaded per round (at most 60s)")
	rounds := flag.Int("rounds", 9, "rounds of load (1 to 50); each row is the median")
	workers := flag.Int("workers", 16, "concurrent clients (1 to 256)")
	redisURL := flag.String("redis", "", "a Redis URL for the Redis rows; default: start redis-server on a free port")
	trials := flag.Int("trials", 200, "revocation trials, for logout and for refresh each (0 to 10000)")
	double := flag.Int("double", 50, "cross-instance double-callback trials (0 to 10000)")
	latency := flag.Duration("wechat-latency", 30*time.Millisecond, "how long the fake WeChat takes to answer a code exchange in the double-callback trials")
	flag.Parse()
	if *duration <= 0 || *duration > time.Minute || *workers < 1 || *workers > 256 ||
		*trials < 0 || *trials > 10000 || *double < 0 || *double > 10000 || *rounds < 1 || *rounds > 50 {
		log.Fatal("-duration must be in (0, 60s], -workers in [1, 256], -rounds in [1, 50], -trials and -double in [0, 10000]")
	}
	switch *example {
	case "nethttp", "gin", "fiber":
	default:
		log.Fatalf("-example %q: want nethttp, gin or fiber", *example)
	}

	dir, err := os.MkdirTemp("", "wxlogin-loadgen-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, *example)
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/wxlogin/wxlogin/examples/"+*example).CombinedOutput(); err != nil {
		log.Fatalf("go build: %v\n%s", err, out)
	}
	wx := weixintest.NewServer()
	defer wx.Close()
	env := []string{
		"WEIXIN_APPID=" + weixintest.DefaultAppID, "WEIXIN_SECRET=" + weixintest.DefaultAppSecret,
		"WEIXIN_OPEN_BASE_URL=" + wx.URL, "WEIXIN_API_BASE_URL=" + wx.URL,
	}

	// The targets are loaded in turn, -rounds times, and each row is the
	// median of its rounds: the other processes of a shared machine
	// come and go, and interleaving spreads them over all the rows.
	type target struct {
		name, base, path string
		client           *http.Client
		rps              []float64
	}
	mem, stop := startExample(bin, append(env, "SESSION_REDIS_URL="))
	defer stop()
	memClient := loggedIn(wx, mem)
	targets := []*target{
		{name: "/healthz (baseline)", base: mem, path: "/healthz", client: memClient},
		{name: "/api/me, memory sessions", base: mem, path: "/api/me", client: memClient},
	}

	rurl := *redisURL
	if rurl == "" {
		var stopRedis func()
		rurl, stopRedis = startRedis()
		defer stopRedis()
	}
	var a, b string
	if rurl != "" {
		plain, stopPlain := startExample(bin, append(env, "SESSION_REDIS_URL="+withQuery(rurl, "client_cache", "0")))
		defer stopPlain()
		var stopA, stopB func()
		a, stopA = startExample(bin, append(env, "SESSION_REDIS_URL="+rurl))
		defer stopA()
		targets = append(targets,
			&target{name: "/api/me, Redis sessions, plain (every request reads Redis)", base: plain, path: "/api/me", client: loggedIn(wx, plain)},
			&target{name: "/api/me, Redis sessions, cached (redisstore)", base: a, path: "/api/me", client: loggedIn(wx, a)})
		b, stopB = startExample(bin, append(env, "SESSION_REDIS_URL="+rurl))
		defer stopB()
	} else {
		log.Print("no redis-server on the PATH and no -redis: the Redis rows and the trials are left out")
	}
	for range *rounds {
		for _, t := range targets {
			rps, failed := load(t.client, t.base+t.path, *duration, *workers)
			if failed > 0 {
				log.Printf("%s: %d requests failed", t.name, failed)
			}
			t.rps = append(t.rps, rps)
		}
	}

	fmt.Printf("\nexample %s, %d workers, %s per target and round, median of %d rounds, %d cores\n\n",
		*example, *workers, *duration, *rounds, runtime.NumCPU())
	fmt.Println("| target | requests/s | ÷ /healthz | ÷ memory sessions | rounds (min–max) |")
	fmt.Println("| --- | ---: | ---: | ---: | --- |")
	base, memRPS := median(targets[0].rps), median(targets[1].rps)
	for _, t := range targets {
		fmt.Printf("| %s | %.0f | %.2f | %.2f | %.0f–%.0f |\n", t.name, median(t.rps), median(t.rps)/base, median(t.rps)/memRPS,
			slices.Min(t.rps), slices.Max(t.rps))
	}
	if rurl == "" {
		return
	}
	if *trials > 0 {
		fmt.Printf("\nrevocation delay, instances A and B of %s on one Redis, %d trials each\n\n", *example, *trials)
		fmt.Println("| change on A | p50 | p99 | max | B used the old session afterwards |")
		fmt.Println("| --- | ---: | ---: | ---: | ---: |")
		printDelays("logout (POST /auth/weixin/logout on A; B: GET /api/me with the old cookie until 401)", logoutTrials(wx, a, b, *trials))
		printDelays("refresh (GET /api/userinfo on A refreshes the token; B: its store's Find until the new session)", refreshTrials(wx, a, rurl, *trials))
	}
	if *double > 0 {
		r := doubleCallbackTrials(wx, a, b, *double, *latency)
		fmt.Printf("\ncross-instance double callback, %d trials: one login's callback sent to A and B at the same moment;\n"+
			"the fake WeChat answers the code exchange in %s\n\n", *double, *latency)
		fmt.Println("| trials | each code exchanged once | one session (same cookie in both answers) | both answered 302 to next, each logged in | error answers |")
		fmt.Println("| ---: | ---: | ---: | ---: | ---: |")
		fmt.Printf("| %d | %d | %d | %d | %d |\n", *double, r.oneExchange, r.oneSession, r.bothLoggedIn, r.errors)
	}
}

// median returns the median of v.
func median(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// withQuery returns raw with the query parameter k=v added.
func withQuery(raw, k, v string) string {
	u, err := url.Parse(raw)
	if err != nil {
		log.Fatal("-redis: not a URL")
	}
	q := u.Query()
	q.Set(k, v)
	u.RawQuery = q.Encode()
	return u.String()
}

// load sends GETs to url from workers goroutines for d and returns the
// rate of successful requests and the number of failures.
func load(client *http.Client, url string, d time.Duration, workers int) (float64, int64) {
	var ok, failed atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				req.Header.Set("Accept", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						failed.Add(1)
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					ok.Add(1)
				} else {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return float64(ok.Load()) / time.Since(start).Seconds(), failed.Load()
}

// startExample runs the example binary on a free loopback port and waits
// for /healthz.
func startExample(bin string, env []string) (string, func()) {
	addr := freeAddr()
	cmd := exec.Command(bin)
	cmd.Env = append(append(os.Environ(), env...), "ADDR="+addr)
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
	base := "http://" + addr
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			return base, stop
		}
		if time.Now().After(deadline) {
			stop()
			log.Fatal("the example did not start")
		}
	}
}

// loggedIn returns an HTTP client whose cookie jar holds a login to base.
func loggedIn(wx *weixintest.Server, base string) *http.Client {
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	noFollow := &http.Client{Jar: jar, Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(base + "/auth/weixin/login")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	cb, err := wx.Authorize(resp.Header.Get("Location"), "u1")
	if err != nil {
		log.Fatal(err)
	}
	if resp, err = noFollow.Get(cb.String()); err != nil || resp.StatusCode != http.StatusFound {
		log.Fatalf("login failed: %v", err)
	}
	resp.Body.Close()
	return &http.Client{Jar: jar, Transport: tr, Timeout: 10 * time.Second}
}

// startRedis starts redis-server on a free loopback port, persistence off;
// it returns "" when there is none.
func startRedis() (string, func()) {
	exe, err := exec.LookPath("redis-server")
	if err != nil {
		return "", func() {}
	}
	addr := freeAddr()
	host, port, _ := strings.Cut(addr, ":")
	dir, _ := os.MkdirTemp("", "wxlogin-redis-")
	cmd := exec.Command(exe, "--bind", host, "--port", port, "--save", "", "--appendonly", "no", "--dir", dir)
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			log.Fatal("redis-server did not start")
		}
	}
	return "redis://" + addr + "/0", func() { cmd.Process.Kill(); cmd.Wait(); os.RemoveAll(dir) }
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
