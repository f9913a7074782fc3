package weixin_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/weixintest"
)

// The app token of a request once the source holds one: no call, no
// allocation, no lock. The baseline reads the clock and a token under a
// mutex, the least a shared token with an expiry can cost.
//
//	go test ./core/weixin -run XXX -bench AppToken -benchmem
func BenchmarkAppToken(b *testing.B) {
	wx := weixintest.NewServer()
	defer wx.Close()
	wx.AddApp(weixintest.App{AppID: mpAppID, Secret: mpSecret})
	src := (&weixin.Config{AppID: mpAppID, AppSecret: mpSecret, Endpoint: wx.Endpoint()}).AppTokenSource()
	ctx := context.Background()
	if _, err := src.Token(ctx); err != nil {
		b.Fatal(err)
	}
	b.Run("baseline", func(b *testing.B) {
		var mu sync.Mutex
		tok, expiry := "token", time.Now().Add(time.Hour)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				now := time.Now()
				mu.Lock()
				t, ok := tok, now.Before(expiry)
				mu.Unlock()
				_, _ = t, ok
			}
		})
	})
	b.Run("Token", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := src.Token(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	if n := wx.Calls(weixintest.PathStableToken); n != 1 {
		b.Errorf("%d stable_token calls", n)
	}
}
