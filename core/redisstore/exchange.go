package redisstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/rueidis"
	"github.com/wxlogin/wxlogin/core"
)

// Defaults of ExchangeOptions.
const (
	DefaultExchangePrefix = "wxlogin:exchange:"
	// DefaultClaimTTL is how long a claim on an exchange lasts: longer
	// than an exchange takes (the code exchange, the profile and the
	// LoginHook), short enough that a claim whose holder died does not
	// keep the login waiting long.
	DefaultClaimTTL = 15 * time.Second
	// DefaultResultTTL is how long a result stays for late callbacks.
	// It is plain JSON, not sealed: it holds no token, code or openid,
	// but the login's new session id, as secret as the sessions stored
	// next to it. Keep it short.
	DefaultResultTTL = 30 * time.Second
	// DefaultPoll is the interval at which a waiting callback looks for
	// the result.
	DefaultPoll = 5 * time.Millisecond
)

// ErrExchangeWait: the instance that claimed the exchange neither
// published a result nor gave up in time.
var ErrExchangeWait = errors.New("redisstore: no result from the instance exchanging the code")

// ExchangeOptions configures Exchanges. The zero value is the defaults.
type ExchangeOptions struct {
	// Prefix starts every key. Default DefaultExchangePrefix.
	Prefix string
	// ClaimTTL is how long a claim lasts. Default DefaultClaimTTL.
	ClaimTTL time.Duration
	// ResultTTL is how long a result is kept. Default DefaultResultTTL.
	ResultTTL time.Duration
	// Poll is how often a waiting caller looks for the result. Default
	// DefaultPoll.
	Poll time.Duration
	// Timeout bounds each Redis command. Default DefaultTimeout.
	Timeout time.Duration
}

// Exchanges is a core.ExchangeSharer over Redis: the first caller claims
// the key (SET NX PX ClaimTTL), runs the exchange and replaces its claim
// by the result (for ResultTTL); the others, on any instance, find the
// claim and poll until the result is there. A claim whose holder fails is
// released; one whose holder died expires, and a waiting caller then
// claims the key itself. Waiting is bounded by ClaimTTL plus the time the
// waiter's own exchange takes.
type Exchanges struct {
	client rueidis.Client
	opts   ExchangeOptions
}

var _ core.ExchangeSharer = (*Exchanges)(nil)

// NewExchanges returns an Exchanges over client (Store.Client, say).
func NewExchanges(client rueidis.Client, opts ExchangeOptions) *Exchanges {
	if opts.Prefix == "" {
		opts.Prefix = DefaultExchangePrefix
	}
	if opts.ClaimTTL <= 0 {
		opts.ClaimTTL = DefaultClaimTTL
	}
	if opts.ResultTTL <= 0 {
		opts.ResultTTL = DefaultResultTTL
	}
	if opts.Poll <= 0 {
		opts.Poll = DefaultPoll
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	return &Exchanges{client: client, opts: opts}
}

// The value of a key: a claim, "c:" and the claimer's random id, or a
// result, "r:" and the result.
const (
	claimTag  = "c:"
	resultTag = "r:"
)

// publishScript replaces the caller's claim by its result; releaseScript
// removes the caller's claim. KEYS[1] the key; ARGV[1] the claim.
var (
	publishScript = rueidis.NewLuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`)
	releaseScript = rueidis.NewLuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1`)
)

// Share implements core.ExchangeSharer.
func (x *Exchanges) Share(ctx context.Context, key string, exchange func(context.Context) ([]byte, error)) ([]byte, error) {
	k := x.opts.Prefix + key
	claim := claimTag + rand.Text()
	deadline := time.Now().Add(x.opts.ClaimTTL + x.opts.Timeout)
	for {
		won, v, err := x.claimOrRead(ctx, k, claim)
		if err != nil {
			return nil, err
		}
		if won {
			b, err := exchange(ctx)
			if err != nil {
				x.run(ctx, func(ctx context.Context) error {
					return releaseScript.Exec(ctx, x.client, []string{k}, []string{claim}).Error()
				})
				return nil, err
			}
			// Publishing may fail (Redis down, the claim expired): this
			// caller has its result all the same.
			x.run(ctx, func(ctx context.Context) error {
				return publishScript.Exec(ctx, x.client, []string{k},
					[]string{claim, resultTag + string(b), fmt.Sprint(x.opts.ResultTTL.Milliseconds())}).Error()
			})
			return b, nil
		}
		if r, ok := strings.CutPrefix(v, resultTag); ok {
			return []byte(r), nil
		}
		if time.Now().After(deadline) {
			return nil, ErrExchangeWait
		}
		t := time.NewTimer(x.opts.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// claimOrRead claims k, or returns its value when it is taken ("" when it
// vanished in between).
func (x *Exchanges) claimOrRead(ctx context.Context, k, claim string) (won bool, v string, err error) {
	err = x.run(ctx, func(ctx context.Context) error {
		r := x.client.DoMulti(ctx,
			x.client.B().Set().Key(k).Value(claim).Nx().Px(x.opts.ClaimTTL).Build(),
			x.client.B().Get().Key(k).Build())
		if err := r[0].Error(); err == nil {
			won = true
			return nil
		} else if !rueidis.IsRedisNil(err) {
			return err
		}
		v, err = r[1].ToString()
		if rueidis.IsRedisNil(err) {
			return nil
		}
		return err
	})
	if err != nil {
		return false, "", fmt.Errorf("redisstore: exchange claim: %w", err)
	}
	return won, v, nil
}

// run runs f bounded by the command timeout.
func (x *Exchanges) run(ctx context.Context, f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, x.opts.Timeout)
	defer cancel()
	return f(ctx)
}
