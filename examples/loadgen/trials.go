package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wxlogin/wxlogin/core/redisstore"
	"github.com/wxlogin/wxlogin/weixintest"
)

// after is how many more times B is asked once it has seen a change, to
// check that it never goes back to the old session.
const after = 20

// delays is the outcome of revocation trials.
type delays struct {
	d       []time.Duration
	relapse int // trials where B used the old session after having seen the change
}

func printDelays(what string, r delays) {
	slices.Sort(r.d)
	q := func(p float64) string {
		return fmt.Sprintf("%.2f ms", float64(r.d[min(len(r.d)-1, int(p*float64(len(r.d))))].Microseconds())/1000)
	}
	fmt.Printf("| %s | %s | %s | %s | %d of %d trials |\n", what, q(0.50), q(0.99), q(1), r.relapse, len(r.d))
}

// sessionCookie returns the session cookie c holds for base.
func sessionCookie(c *http.Client, base string) *http.Cookie {
	u, _ := url.Parse(base)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "session" {
			return ck
		}
	}
	log.Fatal("no session cookie")
	return nil
}

// status sends a GET of base+path with the cookie ck (nil: none) and
// returns the status and body.
func status(base, path string, ck *http.Cookie) (int, string) {
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	req.Header.Set("Accept", "application/json")
	if ck != nil {
		req.AddCookie(ck)
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

var noRedirects = &http.Client{
	Transport:     &http.Transport{MaxIdleConnsPerHost: 16},
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// logoutTrials logs in on A, has B serve the session (so that B caches
// it), logs out on A, then asks B with the old cookie until it answers
// 401: the delay runs from A's answer to B's first 401.
func logoutTrials(wx *weixintest.Server, a, b string, n int) delays {
	var r delays
	for range n {
		c := loggedIn(wx, a)
		c.CloseIdleConnections()
		ck := sessionCookie(c, a)
		for range 2 {
			if st, body := status(b, "/api/me", ck); st != http.StatusOK {
				log.Fatalf("logged in on A, B answers %d %s", st, body)
			}
		}
		req, _ := http.NewRequest(http.MethodPost, a+"/auth/weixin/logout", nil)
		req.AddCookie(ck)
		resp, err := noRedirects.Do(req)
		if err != nil || resp.StatusCode != http.StatusFound {
			log.Fatalf("logout on A: %v", err)
		}
		resp.Body.Close()
		answered := time.Now()
		for {
			st, _ := status(b, "/api/me", ck)
			if st == http.StatusUnauthorized {
				r.d = append(r.d, time.Since(answered))
				break
			}
			if st != http.StatusOK || time.Since(answered) > 10*time.Second {
				log.Fatalf("after logout on A, B answers %d", st)
			}
		}
		for range after {
			if st, _ := status(b, "/api/me", ck); st != http.StatusUnauthorized {
				r.relapse++
				break
			}
		}
	}
	return r
}

// refreshTrials logs in on A with access tokens that always need a
// refresh, so that every /api/userinfo on A refreshes the token and
// writes the session. Another instance, this program's own
// redisstore.Store on the same Redis, reads the session (and caches it)
// before; the delay runs from A's answer until that store reads the new
// session.
func refreshTrials(wx *weixintest.Server, a, redisURL string, n int) delays {
	store, err := redisstore.Open(redisURL, redisstore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	wx.SetAccessTokenTTL(time.Minute) // within core's 2-minute refresh margin
	defer wx.SetAccessTokenTTL(2 * time.Hour)
	c := loggedIn(wx, a)
	token := sessionCookie(c, a).Value
	find := func() []byte {
		v, ok, err := store.FindCtx(context.Background(), token)
		if err != nil || !ok {
			log.Fatalf("B's store: %v %v", ok, err)
		}
		return v
	}
	var r delays
	for range n {
		old := find()
		find() // from the cache now
		before := wx.Calls(weixintest.PathRefreshToken)
		if st, body := status(a, "/api/userinfo", sessionCookie(c, a)); st != http.StatusOK {
			log.Fatalf("/api/userinfo on A: %d %s", st, body)
		}
		answered := time.Now()
		if wx.Calls(weixintest.PathRefreshToken) != before+1 {
			log.Fatal("A did not refresh")
		}
		for bytes.Equal(find(), old) {
			if time.Since(answered) > 10*time.Second {
				log.Fatal("B never saw A's refresh")
			}
			runtime.Gosched() // let the store's connection reader run
		}
		r.d = append(r.d, time.Since(answered))
		for range after {
			if bytes.Equal(find(), old) {
				r.relapse++
				break
			}
		}
	}
	return r
}

// doubleResult counts the outcomes of double-callback trials.
type doubleResult struct {
	oneExchange  int // trials where WeChat saw each code exchanged once (two codes: two exchanges)
	oneSession   int // trials where both answers set the cookie of one and the same session
	bothLoggedIn int // trials where both answers were the 302 to next, each with a working login
	errors       int // answers other than that 302
}

// doubleCallbackTrials begins a login on A and sends its callback to A
// and a second callback (same state, another code) to B at the same
// moment, as a browser does when WeChat redirects it twice and a load
// balancer spreads the two requests. The fake WeChat
// answers the code exchange after latency.
func doubleCallbackTrials(wx *weixintest.Server, a, b string, n int, latency time.Duration) doubleResult {
	var r doubleResult
	if latency > 0 {
		wx.InjectFault(weixintest.PathAccessToken, weixintest.Fault{Delay: latency})
		defer wx.ClearFaults()
	}
	for range n {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, Transport: noRedirects.Transport, Timeout: 10 * time.Second,
			CheckRedirect: noRedirects.CheckRedirect}
		resp, err := c.Get(a + "/auth/weixin/login?next=%2Fme")
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		cb, err := wx.Authorize(resp.Header.Get("Location"), "u1")
		if err != nil {
			log.Fatal(err)
		}
		ck := sessionCookie(c, a)
		// WeChat's second redirect carries the same state and another code.
		second := *cb
		q := second.Query()
		q.Set("code", wx.NewCode(weixintest.DefaultAppID, "u1", "snsapi_login"))
		second.RawQuery = q.Encode()
		before := wx.Calls(weixintest.PathAccessToken)
		type answer struct {
			status   int
			location string
			session  *http.Cookie
		}
		answers := make([]answer, 2)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, target := range []string{a + cb.RequestURI(), b + second.RequestURI()} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest(http.MethodGet, target, nil)
				req.AddCookie(ck)
				<-start
				resp, err := noRedirects.Do(req)
				if err != nil {
					log.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				answers[i] = answer{status: resp.StatusCode, location: resp.Header.Get("Location")}
				for _, sc := range resp.Cookies() {
					if sc.Name == "session" {
						answers[i].session = sc
					}
				}
			}()
		}
		close(start)
		wg.Wait()
		if wx.Calls(weixintest.PathAccessToken)-before == 2 {
			r.oneExchange++
		}
		if answers[0].session != nil && answers[1].session != nil && answers[0].session.Value == answers[1].session.Value {
			r.oneSession++
		}
		both := true
		for _, an := range answers {
			ok := an.status == http.StatusFound && an.location == "/me" && an.session != nil
			if !ok {
				log.Printf("double callback: an answer %d %q (session cookie: %v)", an.status, an.location, an.session != nil)
				r.errors++
				both = false
				continue
			}
			if st, body := status(a, "/api/me", an.session); st != http.StatusOK || !strings.Contains(body, "openid") {
				both = false
			}
		}
		if both {
			r.bothLoggedIn++
		}
	}
	return r
}
