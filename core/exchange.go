package core

import (
	"context"
	"errors"
)

// ExchangeSharer shares the completion of one login between the
// instances of a deployment, so that two callbacks of that login landing
// on two instances at once (WeChat redirecting twice, with two codes)
// end on one session: the first exchanges its code and renews the
// session, the other exchanges its own code only to prove the same user
// and takes that session over. Within one instance, concurrent callbacks
// share the completion without it.
// github.com/wxlogin/wxlogin/core/redisstore implements it over Redis.
type ExchangeSharer interface {
	// Share returns the result of exchange for key: among the callers
	// of all instances that call Share with key at about the same time,
	// one runs exchange and publishes its result for a short while; the
	// others wait for that result, bounded in time, and return it.
	// When the caller running it fails, or dies, another may run it.
	// The result holds no token, code or openid (see Auth.CompleteLogin):
	// the new session's id, hashes and the return path (a mini program's or
	// mobile app's login: its session's id and deadline), as plain JSON.
	// It is as secret as a session id: Share may keep it only briefly,
	// next to the sessions, and must never log it.
	Share(ctx context.Context, key string, exchange func(context.Context) ([]byte, error)) ([]byte, error)
}

// ErrSharedExchange: another instance exchanged the code, but its result
// could not be read.
var ErrSharedExchange = errors.New("wxlogin: the login completed on another instance could not be shared")
