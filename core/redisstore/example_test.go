package redisstore_test

import (
	"log"
	"os"

	"github.com/alexedwards/scs/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/redisstore"
	"github.com/wxlogin/wxlogin/core/weixin"
)

// Sessions in Redis, served from each instance's cache, and one code
// exchange per login across the instances.
func ExampleOpen() {
	store, err := redisstore.Open(os.Getenv("SESSION_REDIS_URL"), redisstore.Options{
		CacheSize: 32 << 20, // bytes per Redis node; default 16 MiB
	})
	if err != nil {
		log.Fatal(err) // never contains the URL's password
	}
	defer store.Close()

	sessions := scs.New()
	sessions.Store = store
	website := &weixin.Config{ /* AppID, AppSecret, RedirectURL, Scopes */ }
	auth, err := core.New(core.Options{
		Website:   website,
		Sessions:  sessions,
		Exchanges: redisstore.NewExchanges(store.Client(), redisstore.ExchangeOptions{}),
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = auth
}
