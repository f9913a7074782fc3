// Command loadgen measures an example under load, on this machine only:
// requests per second on an authenticated protected route (/api/me) with
// memory sessions and with Redis sessions, and on /healthz as the
// baseline, in one run, with the ratios.
//
//	go run ./examples/loadgen [-example nethttp] [-duration 5s] [-workers 16]
//
// It builds the example, starts a fake WeChat in-process, starts the
// example as a process (twice: memory, then Redis) on loopback ports, logs
// in, and sends requests from -workers goroutines for -duration each. The
// Redis row needs redis-server on the PATH (Debian's package) or -redis
// with a URL; without either it is left out.
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
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wxlogin/wxlogin/weixintest"
)

func main() {
	example := flag.String("example", "nethttp", "the example to load: nethttp, gin or fiber")
	duration := flag.Duration("duration", 5*time.Second, "how long each target is loaded (at most 60s)")
	workers := flag.Int("workers", 16, "concurrent clients (1 to 256)")
	redisURL := flag.String("redis", "", "a Redis URL for the Redis row; default: start redis-server on a free port")
	flag.Parse()
	if *duration <= 0 || *duration > time.Minute || *workers < 1 || *workers > 256 {
		log.Fatal("-duration must be in (0, 60s] and -workers in [1, 256]")
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

	type row struct {
		name string
		rps  float64
	}
	var rows []row
	measure := func(name, base, path string, client *http.Client) {
		rps, failed := load(client, base+path, *duration, *workers)
		if failed > 0 {
			log.Printf("%s: %d requests failed", name, failed)
		}
		rows = append(rows, row{name, rps})
	}

	mem, stop := startExample(bin, append(env, "SESSION_REDIS_URL="))
	defer stop()
	memClient := loggedIn(wx, mem)
	measure("/healthz (baseline)", mem, "/healthz", memClient)
	measure("/api/me, memory sessions", mem, "/api/me", memClient)

	url := *redisURL
	if url == "" {
		var stopRedis func()
		url, stopRedis = startRedis()
		defer stopRedis()
	}
	if url != "" {
		red, stop := startExample(bin, append(env, "SESSION_REDIS_URL="+url))
		defer stop()
		measure("/api/me, Redis sessions", red, "/api/me", loggedIn(wx, red))
	} else {
		log.Print("no redis-server on the PATH and no -redis: the Redis row is left out")
	}

	fmt.Printf("\nexample %s, %d workers, %s per target, %d cores\n\n", *example, *workers, *duration, runtime.NumCPU())
	fmt.Println("| target | requests/s | ÷ /healthz |")
	fmt.Println("| --- | ---: | ---: |")
	for _, r := range rows {
		fmt.Printf("| %s | %.0f | %.2f |\n", r.name, r.rps, r.rps/rows[0].rps)
	}
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
