package core

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// ExchangeSharer shares the code exchange of one login between the
// instances of a deployment, so that two callbacks of that login landing
// on two instances at once (WeChat redirecting twice) make one
// /sns/oauth2/access_token call, and both log the browser in. Within one
// instance, concurrent callbacks share one exchange without it.
// github.com/wxlogin/wxlogin/core/redisstore implements it over Redis.
type ExchangeSharer interface {
	// Share returns the result of exchange for key: among the callers
	// of all instances that call Share with key at about the same time,
	// one runs exchange and publishes its result for a short while; the
	// others wait for that result, bounded in time, and return it.
	// When the caller running it fails, or dies, another may run it.
	// The result holds secrets: Share may keep it only briefly.
	Share(ctx context.Context, key string, exchange func(context.Context) ([]byte, error)) ([]byte, error)
}

// ErrSharedExchange: another instance exchanged the code, but its result
// could not be used (corrupt, or sealed for another code).
var ErrSharedExchange = errors.New("wxlogin: the login completed on another instance could not be shared")

// sharedIdentity is identity as published for the other instances.
type sharedIdentity struct {
	User  User
	Token Token
}

// identifyShared is identify, shared through Options.Exchanges when set.
// The result is sealed (AES-256-GCM) with a key derived from the code,
// which only the callbacks of this login carry, so the store never holds
// a readable token; the shared key names the login by appid, state and a
// hash of the code.
func (a *Auth) identifyShared(ctx context.Context, cfg *Config, state, code string) (*identity, error) {
	if a.opts.Exchanges == nil {
		return a.identify(ctx, cfg, code)
	}
	sum := sha256.Sum256([]byte("wxlogin exchange\x00" + cfg.AppID + "\x00" + state + "\x00" + code))
	aead := newGCM(sum[:])
	name := sha256.Sum256(sum[:])
	key := cfg.AppID + ":" + state + ":" + hex.EncodeToString(name[:8])

	var runErr error
	var ran *identity
	b, err := a.opts.Exchanges.Share(ctx, key, func(ctx context.Context) ([]byte, error) {
		id, err := a.identify(ctx, cfg, code)
		if err != nil {
			runErr = err
			return nil, err
		}
		ran = id
		plain, err := json.Marshal(sharedIdentity{User: *id.user, Token: *id.token})
		if err != nil {
			return nil, err
		}
		nonce := make([]byte, aead.NonceSize())
		rand.Read(nonce)
		return aead.Seal(nonce, nonce, plain, []byte(key)), nil
	})
	switch {
	case ran != nil: // this instance exchanged: its result, even if publishing failed
		return ran, nil
	case runErr != nil:
		return nil, runErr
	case err != nil:
		return nil, fmt.Errorf("%w: sharing the code exchange: %w", ErrSessionStore, err)
	}
	if len(b) < aead.NonceSize() {
		return nil, ErrSharedExchange
	}
	plain, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], []byte(key))
	if err != nil {
		return nil, ErrSharedExchange
	}
	var s sharedIdentity
	if err := json.Unmarshal(plain, &s); err != nil || s.User.OpenID == "" {
		return nil, ErrSharedExchange
	}
	return &identity{user: &s.User, token: &s.Token}, nil
}

func newGCM(key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return aead
}
