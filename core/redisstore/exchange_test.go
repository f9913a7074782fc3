package redisstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/internal/redistest"
)

// Many callers on several instances share one run, and all get its
// result; the result expires.
func TestShareRunsOnce(t *testing.T) {
	r := redistest.Start(t)
	var xs []*Exchanges
	for range 3 {
		// A ResultTTL far longer than the test: the TTL check below
		// must not depend on how fast the trials run.
		xs = append(xs, NewExchanges(open(t, r.URL()).Client(), ExchangeOptions{ResultTTL: time.Hour}))
	}
	for trial := range 20 {
		key := fmt.Sprint("app:state", trial)
		var runs atomic.Int32
		var wg sync.WaitGroup
		results := make([]string, 12)
		start := make(chan struct{})
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				b, err := xs[i%len(xs)].Share(context.Background(), key, func(context.Context) ([]byte, error) {
					runs.Add(1)
					time.Sleep(20 * time.Millisecond) // the exchange's round trips to WeChat
					return []byte(fmt.Sprint("result of ", trial)), nil
				})
				if err != nil {
					t.Error(err)
				}
				results[i] = string(b)
			}()
		}
		close(start)
		wg.Wait()
		if n := runs.Load(); n != 1 {
			t.Fatalf("trial %d: %d runs", trial, n)
		}
		for i, res := range results {
			if res != fmt.Sprint("result of ", trial) {
				t.Fatalf("trial %d, caller %d: %q", trial, i, res)
			}
		}
	}
	c := xs[0].client
	k := DefaultExchangePrefix + "app:state0"
	if ms, err := c.Do(context.Background(), c.B().Pttl().Key(k).Build()).AsInt64(); err != nil || ms <= 0 || ms > time.Hour.Milliseconds() {
		t.Errorf("result TTL %d ms (%v), want at most ResultTTL", ms, err)
	}
}

// A caller whose run fails releases its claim: a waiting caller runs
// it, and the failure is the failing caller's only.
func TestShareFailureReleases(t *testing.T) {
	r := redistest.Start(t)
	a := NewExchanges(open(t, r.URL()).Client(), ExchangeOptions{})
	b := NewExchanges(open(t, r.URL()).Client(), ExchangeOptions{})
	boom := errors.New("WeChat unreachable")
	running := make(chan struct{})
	fail := make(chan struct{})
	var aErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, aErr = a.Share(context.Background(), "k", func(context.Context) ([]byte, error) {
			close(running)
			<-fail
			return nil, boom
		})
	}()
	<-running
	bDone := make(chan []byte)
	go func() {
		v, err := b.Share(context.Background(), "k", func(context.Context) ([]byte, error) { return []byte("b's"), nil })
		if err != nil {
			t.Error(err)
		}
		bDone <- v
	}()
	close(fail)
	<-done
	if !errors.Is(aErr, boom) {
		t.Errorf("a: %v", aErr)
	}
	if v := <-bDone; string(v) != "b's" {
		t.Errorf("b, after a failed: %q", v)
	}
}

// A claim whose holder died expires; the waiting caller then runs the
// exchange itself. Waiting is bounded.
func TestShareDeadHolder(t *testing.T) {
	r := redistest.Start(t)
	x := NewExchanges(open(t, r.URL()).Client(), ExchangeOptions{ClaimTTL: 300 * time.Millisecond})
	c := x.client
	// A holder that claimed and died.
	if err := c.Do(context.Background(), c.B().Set().Key(DefaultExchangePrefix+"dead").Value(claimTag+"gone").Px(300*time.Millisecond).Build()).Error(); err != nil {
		t.Fatal(err)
	}
	var ran bool
	v, err := x.Share(context.Background(), "dead", func(context.Context) ([]byte, error) { ran = true; return []byte("mine"), nil })
	if err != nil || !ran || string(v) != "mine" {
		t.Errorf("after the dead holder's claim expired: %q %v ran=%v", v, err, ran)
	}

	// A holder that never finishes and keeps its claim alive: the
	// waiter gives up.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			c.Do(context.Background(), c.B().Set().Key(DefaultExchangePrefix+"stuck").Value(claimTag+"slow").Px(300*time.Millisecond).Build())
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	time.Sleep(10 * time.Millisecond)
	_, err = x.Share(context.Background(), "stuck", func(context.Context) ([]byte, error) { return nil, errors.New("must not run") })
	if !errors.Is(err, ErrExchangeWait) {
		t.Errorf("stuck holder: %v, want ErrExchangeWait", err)
	}

	// The waiter's context ends first.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := x.Share(ctx, "stuck", func(context.Context) ([]byte, error) { return nil, nil }); err == nil {
		t.Error("cancelled waiter: no error")
	}
}
