package core_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/weixintest"
)

// Ten instances of the app (ten Auths, each with its own app token
// source, as ten processes would have) share one fake WeChat for three
// token lifetimes (6 hours of the fake's clock, in 7-minute steps), with
// rotations and a token rejected as if another party had force-refreshed
// it. At every step 4 requests per instance at once fetch a phone number.
// No caller sees a 40001; each instance calls stable_token at most once
// per token lifetime plus once per rejection; /cgi-bin/token is never
// called and nothing is force-refreshed.
//
//	go test ./core -run TestAppTokenAtScale -v
func TestAppTokenAtScale(t *testing.T) {
	const (
		instances = 10
		perStep   = 4 // concurrent requests per instance per step
		step      = 7 * time.Minute
		span      = 3 * 2 * time.Hour // three lifetimes of WeChat's 2 h
		rejectAt  = 3 * time.Hour
	)
	srv := weixintest.NewServer()
	t.Cleanup(srv.Close)
	apps := make([]*mpEnv, instances)
	for i := range apps {
		apps[i] = newMPEnv(t, srv)
	}
	var calls, failed, stale atomic.Int64
	rejected := false
	for elapsed := time.Duration(0); elapsed <= span; elapsed += step {
		if !rejected && elapsed >= rejectAt {
			srv.InvalidateAppToken(mpAppID)
			rejected = true
		}
		var wg sync.WaitGroup
		for _, e := range apps {
			for range perStep {
				wg.Add(1)
				go func() {
					defer wg.Done()
					calls.Add(1)
					if _, err := e.phoneCall(context.Background()); err != nil {
						failed.Add(1)
						if errors.Is(err, weixin.ErrAccessTokenInvalid) || errors.Is(err, weixin.ErrAccessTokenExpired) {
							stale.Add(1)
						}
						t.Errorf("at %s: %v", elapsed, err)
					}
				}()
			}
		}
		wg.Wait()
		srv.Advance(step)
	}

	st := srv.AppTokenStats(mpAppID)
	lifetimes := st.Rotations - st.Invalidations // tokens issued by rotation (the first included)
	maxPer, total := 0, 0
	for i, e := range apps {
		n := e.calls.count(weixintest.PathStableToken)
		total += n
		maxPer = max(maxPer, n)
		if n > lifetimes+st.Invalidations {
			t.Errorf("instance %d called stable_token %d times, more than %d lifetimes + %d rejections", i, n, lifetimes, st.Invalidations)
		}
	}
	t.Logf("%d instances, %s of the fake's clock in %s steps, %d requests: %d failed (40001 reaching a caller: %d)",
		instances, span, step, calls.Load(), failed.Load(), stale.Load())
	t.Logf("token lifetimes %d (rotations %d), rejections %d; stable_token fetches: %d in all, at most %d per instance (bound %d)",
		lifetimes, st.Rotations, st.Invalidations, total, maxPer, lifetimes+st.Invalidations)
	t.Logf("40001/42001 answered by WeChat and absorbed by the re-read: %d; /cgi-bin/token calls: %d; forced refreshes: %d",
		st.Rejections, srv.Calls(weixintest.PathToken), st.ForcedRefreshes)
	if failed.Load() != 0 {
		t.Errorf("%d requests failed", failed.Load())
	}
	if st.Invalidations != 1 || lifetimes < 3 {
		t.Errorf("the run saw %d rejections and %d lifetimes, want 1 and at least 3", st.Invalidations, lifetimes)
	}
	if total != int(srv.Calls(weixintest.PathStableToken)) || st.StableFetches != total {
		t.Errorf("stable_token: %d counted by the instances, %d by the fake", total, st.StableFetches)
	}
	if n := srv.Calls(weixintest.PathToken); n != 0 || st.TokenFetches != 0 {
		t.Errorf("/cgi-bin/token called %d times", n)
	}
	if st.ForcedRefreshes != 0 {
		t.Errorf("%d forced refreshes", st.ForcedRefreshes)
	}
	if st.Rejections > instances*perStep {
		t.Errorf("%d rejections answered: more than one per request of the step after the rejection", st.Rejections)
	}
}
