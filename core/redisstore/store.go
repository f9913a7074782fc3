package redisstore

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/redis/rueidis"
	"github.com/wxlogin/wxlogin/core"
)

// Defaults of Options.
const (
	// DefaultPrefix is scs' goredisstore's, so that sessions it wrote
	// are read: switching stores logs nobody out.
	DefaultPrefix = "scs:session:"
	// DefaultCacheSize is the memory of the cache of each connection:
	// about 16,000 sessions of 1 KiB.
	DefaultCacheSize = 16 << 20
	// DefaultCacheTTL bounds how long a session stays cached when
	// nothing invalidates it.
	DefaultCacheTTL = 10 * time.Minute
	// DefaultTimeout bounds each store call.
	DefaultTimeout = time.Second
	// DefaultKeepAlive is the interval at which an idle connection is
	// checked.
	DefaultKeepAlive = 500 * time.Millisecond
	// DefaultMaxStale is how long the cache may answer without news
	// from Redis.
	DefaultMaxStale = time.Second
)

// Options configures a Store. The zero value is the defaults.
type Options struct {
	// Prefix starts every session key. Default DefaultPrefix.
	Prefix string
	// CacheSize is the memory, in bytes, of the in-process cache of each
	// connection to Redis; the least recently used sessions leave it
	// first. Open makes one connection per Redis node (one for a single
	// Redis or a Sentinel group), so the cache takes at most CacheSize
	// per node. Default DefaultCacheSize; negative: no cache, every Find
	// reads Redis. Used by Open only: a client passed to New has its own
	// (rueidis.ClientOption's CacheSizeEachConn and DisableCache).
	CacheSize int
	// CacheTTL bounds how long a session stays in the cache when nothing
	// invalidates it; Redis invalidates it when it changes. Default
	// DefaultCacheTTL. Never longer than the session's own expiry.
	CacheTTL time.Duration
	// Timeout bounds each store call, reconnecting and retrying
	// included; for Open it is also the dial timeout and the time a
	// command may wait for its answer before the connection is given up
	// (rueidis' ConnWriteTimeout). A frozen Redis turns every Find into
	// an error after at most MaxStale + Timeout. Default DefaultTimeout.
	Timeout time.Duration
	// KeepAlive is how often rueidis checks Open's idle connections (a
	// PING when nothing else was received; the connection is closed, and
	// its cache dropped, when none is answered within Timeout). Default
	// DefaultKeepAlive.
	KeepAlive time.Duration
	// MaxStale bounds how old the cache's view may be when something
	// keeps invalidations from arriving (a frozen Redis, a network that
	// drops packets without closing the connection). The store PINGs
	// every node that carries the cache (not a Cluster's replicas) every
	// MaxStale/4 on the connection that carries the invalidations, which Redis answers after any invalidation it sent
	// before; the cache answers only while the last PING answered was
	// sent less than MaxStale ago, and Find reads Redis otherwise (and
	// fails within Timeout when it does not answer). So a session deleted
	// or changed elsewhere is never served from the cache more than
	// MaxStale after the change, whatever the network does. Default
	// DefaultMaxStale.
	MaxStale time.Duration
	// Logger receives a warning when the cache turns off (a node did
	// not answer the heartbeat), every minute while it stays off, and a
	// line when it is back. Default slog.Default().
	Logger *slog.Logger
}

func (o *Options) defaults() {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.CacheSize == 0 {
		o.CacheSize = DefaultCacheSize
	}
	if o.CacheTTL <= 0 {
		o.CacheTTL = DefaultCacheTTL
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.KeepAlive <= 0 {
		o.KeepAlive = DefaultKeepAlive
	}
	if o.MaxStale <= 0 {
		o.MaxStale = DefaultMaxStale
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Tombstone is the value a deleted session's key holds until the session
// would have expired, and at least core.MinTombstoneLifetime. No scs codec
// produces it (gob's and wxlogin's encodings never start with a NUL
// byte). A tombstone that carries a note (DeleteWithNote) is Tombstone,
// a NUL, the note's expiry in Unix milliseconds, a NUL and the note.
const Tombstone = "\x00scs:deleted"

// ErrTombstone is returned by Commit when asked to store Tombstone itself.
var ErrTombstone = errors.New("redisstore: a session cannot be the tombstone value")

// commitScript writes a session unless its key holds a tombstone.
// KEYS[1] the key; ARGV[1] the session, ARGV[2] its lifetime in ms,
// ARGV[3] the tombstone.
const commitScript = `
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, #ARGV[3]) == ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`

// deleteScript puts a tombstone in place of a session, for the
// session's remaining lifetime and at least ARGV[2] ms; an existing
// tombstone (with its note) stays. With ARGV[3] set, it puts that value
// (a tombstone with a note) whether or not the key exists. KEYS[1] the
// key; ARGV[1] the tombstone.
const deleteScript = `
local v = redis.call('GET', KEYS[1])
local keep = v and string.sub(v, 1, #ARGV[1]) == ARGV[1]
if ARGV[3] == '' and (not v or keep) then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < tonumber(ARGV[2]) then ttl = tonumber(ARGV[2]) end
local value = ARGV[1]
if ARGV[3] ~= '' then value = ARGV[3] end
redis.call('SET', KEYS[1], value, 'PX', ttl)
return 1`

var (
	commitSHA = func() string { h := sha1.Sum([]byte(commitScript)); return hex.EncodeToString(h[:]) }()
	deleteSHA = func() string { h := sha1.Sum([]byte(deleteScript)); return hex.EncodeToString(h[:]) }()
)

// Store is an scs.Store and scs.CtxStore over Redis with client-side
// caching. It is safe for concurrent use.
type Store struct {
	client  rueidis.Client
	opts    Options
	closeIt bool

	epoch time.Time    // the origin of fresh, on the monotonic clock
	fresh atomic.Int64 // when the last answered heartbeat was sent, in ns since epoch
	// offSince and loggedOff: since when the cache is off and when that
	// was last logged, in ns since epoch (0: on).
	offSince, loggedOff atomic.Int64
	primariesMu         sync.Mutex
	primaries           map[string]bool // a Cluster's primaries, by address
	primariesAt         time.Time
	stop                chan struct{}
	stopOnce            sync.Once
	stopped             chan struct{}
}

var (
	_ scs.Store             = (*Store)(nil)
	_ scs.CtxStore          = (*Store)(nil)
	_ core.FinalDeleteStore = (*Store)(nil)
	_ core.ForwardingStore  = (*Store)(nil)
)

// FinalDeletes marks the Store as a core.FinalDeleteStore: a deleted
// token is never written again (see Delete and Commit), so a logout
// holds against requests that loaded the session before it.
func (s *Store) FinalDeletes() {}

// New returns a Store over client, which must speak RESP3 for the cache
// (Redis 6 or later; with rueidis' DisableCache, every Find reads Redis).
// Give client the tracking options Open uses, ClientTrackingOptions
// []string{"PREFIX", prefix, "BCAST"}: in rueidis' default mode Redis
// tracks every key read, misses included, so random session cookies
// fill its tracking table.
// The caller closes client; Options.CacheSize and KeepAlive are client
// settings and do not apply. Give client one connection per node
// (rueidis.ClientOption.PipelineMultiplex -1), as Open does: an instance
// then reads its own writes at once; with several, a Find right after
// this instance's Commit may, for microseconds, see the previous value.
func New(client rueidis.Client, opts Options) *Store {
	opts.defaults()
	s := &Store{client: client, opts: opts, epoch: time.Now(), stop: make(chan struct{}), stopped: make(chan struct{})}
	s.fresh.Store(-int64(opts.MaxStale)) // not fresh until a heartbeat is answered
	s.beat()
	go s.heartbeat()
	return s
}

// heartbeat beats every MaxStale/4.
func (s *Store) heartbeat() {
	defer close(s.stopped)
	t := time.NewTicker(s.opts.MaxStale / 4)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.beat()
		}
	}
}

// beat PINGs every node that carries the cache (a Cluster's primaries,
// not its replicas, which Find never reads) and, when all answer,
// records when it started. It logs when the cache turns off (a node did
// not answer), every minute while it stays off, and when it is back.
func (s *Store) beat() bool {
	sent := time.Since(s.epoch)
	for addr, node := range s.cacheNodes() {
		ctx, cancel := context.WithTimeout(context.Background(), s.opts.Timeout)
		err := node.Do(ctx, node.B().Ping().Build()).Error()
		cancel()
		if err != nil {
			s.cacheOff(addr, err)
			return false
		}
	}
	s.fresh.Store(int64(sent))
	if s.offSince.Swap(0) != 0 {
		s.opts.Logger.Info("redisstore: the session cache is on again")
	}
	return true
}

// cacheOff logs that the cache is off because node addr failed.
func (s *Store) cacheOff(addr string, err error) {
	now := time.Since(s.epoch)
	if s.cacheFresh() {
		return // not off yet: MaxStale has not passed since the last answer
	}
	since := s.offSince.Load()
	if since == 0 {
		s.offSince.Store(int64(now))
		s.loggedOff.Store(int64(now))
	} else if now-time.Duration(s.loggedOff.Load()) < time.Minute {
		return
	} else {
		s.loggedOff.Store(int64(now))
	}
	s.opts.Logger.Warn("redisstore: the session cache is off: a Redis node did not answer the heartbeat; every Find reads Redis",
		"node", addr, "error", err.Error())
}

// cacheNodes returns the nodes whose connections carry the cache: every
// node, except in a Cluster, whose replicas it leaves out (rueidis reads
// cached keys from the primaries). The Cluster's primaries are asked for
// at most every few seconds.
func (s *Store) cacheNodes() map[string]rueidis.Client {
	nodes := s.client.Nodes()
	if len(nodes) <= 1 || s.client.Mode() != rueidis.ClientModeCluster {
		return nodes
	}
	s.primariesMu.Lock()
	defer s.primariesMu.Unlock()
	if time.Since(s.primariesAt) > 5*time.Second || s.primaries == nil {
		if p := clusterPrimaries(nodes, s.opts.Timeout); len(p) > 0 {
			s.primaries, s.primariesAt = p, time.Now()
		}
	}
	out := make(map[string]rueidis.Client, len(s.primaries))
	for addr, node := range nodes {
		if s.primaries == nil || s.primaries[addr] {
			out[addr] = node
		}
	}
	if len(out) == 0 {
		return nodes
	}
	return out
}

// clusterPrimaries asks the nodes, one after the other until one
// answers, for the Cluster's primaries (CLUSTER SLOTS).
func clusterPrimaries(nodes map[string]rueidis.Client, timeout time.Duration) map[string]bool {
	for addr, node := range nodes {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		slots, err := node.Do(ctx, node.B().ClusterSlots().Build()).ToArray()
		cancel()
		if err != nil {
			continue
		}
		primaries := map[string]bool{}
		for _, sl := range slots {
			v, err := sl.ToArray()
			if err != nil || len(v) < 3 {
				continue
			}
			m, err := v[2].ToArray()
			if err != nil || len(m) < 2 {
				continue
			}
			host, _ := m[0].ToString()
			port, _ := m[1].AsInt64()
			if host == "" || host == "?" {
				host, _, _ = net.SplitHostPort(addr)
			}
			primaries[net.JoinHostPort(host, strconv.FormatInt(port, 10))] = true
		}
		return primaries
	}
	return nil
}

// cacheFresh reports whether Redis answered a heartbeat sent less than
// MaxStale ago.
func (s *Store) cacheFresh() bool {
	return time.Since(s.epoch)-time.Duration(s.fresh.Load()) < s.opts.MaxStale
}

// Client returns the Redis client of the store, for Exchanges.
func (s *Store) Client() rueidis.Client { return s.client }

// Close stops the store's heartbeat, and closes the client when Open
// created it.
func (s *Store) Close() {
	s.stopOnce.Do(func() { close(s.stop) })
	<-s.stopped
	if s.closeIt {
		s.client.Close()
	}
}

func (s *Store) key(token string) string { return s.opts.Prefix + token }

func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.opts.Timeout)
}

// FindCtx returns the session of token: from the cache when this
// instance read it since it last changed, else from Redis. A deleted
// session (tombstone) is not found.
func (s *Store) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var r rueidis.RedisResult
	if s.cacheFresh() {
		r = s.client.DoCache(ctx, s.client.B().Get().Key(s.key(token)).Cache(), s.opts.CacheTTL)
	} else {
		r = s.client.Do(ctx, s.client.B().Get().Key(s.key(token)).Build())
	}
	b, err := r.AsBytes()
	switch {
	case rueidis.IsRedisNil(err):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("redisstore: find: %w", err)
	case bytes.HasPrefix(b, []byte(Tombstone)):
		return noteOf(b)
	}
	return b, true, nil
}

// noteOf returns the note a tombstone carries while it is current.
func noteOf(b []byte) ([]byte, bool, error) {
	rest, ok := bytes.CutPrefix(b, []byte(Tombstone+"\x00"))
	if !ok {
		return nil, false, nil
	}
	ms, note, ok := bytes.Cut(rest, []byte{0})
	n, err := strconv.ParseInt(string(ms), 10, 64)
	if !ok || err != nil || time.Now().UnixMilli() >= n {
		return nil, false, nil
	}
	return note, true, nil
}

// CommitCtx stores the session b of token until expiry, unless token was
// deleted: then it does nothing and returns nil (the session is over;
// the browser's next request finds none).
func (s *Store) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	if bytes.HasPrefix(b, []byte(Tombstone)) {
		return ErrTombstone
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	ms := strconv.FormatInt(max(time.Until(expiry).Milliseconds(), 1), 10)
	if err := s.script(ctx, token, commitSHA, commitScript, string(b), ms, Tombstone); err != nil {
		return fmt.Errorf("redisstore: commit: %w", err)
	}
	return nil
}

// script runs a script of this file on token's key, as a write.
func (s *Store) script(ctx context.Context, token, sha, script string, args ...string) error {
	k, c := s.key(token), s.client.B()
	err := s.write(ctx, token, c.Evalsha().Sha1(sha).Numkeys(1).Key(k).Arg(args...).Build())
	if err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
		err = s.write(ctx, token, c.Eval().Script(script).Numkeys(1).Key(k).Arg(args...).Build())
	}
	return err
}

// write runs cmd, a write of token's key, and returns once this
// instance's cache has dropped what it held of the key. Redis sends the
// invalidation on the connection that cached the key, which for Open's
// client (one connection per node) is the one cmd runs on. In the
// default tracking mode it comes before the answer to the PTTL that
// follows in the same pipeline; in broadcasting mode (Open's) Redis
// sends it once it has served the pipeline, so a second PTTL, sent after
// the first one's answer, is answered after it. Either way the next Find
// of this instance reads the new value.
func (s *Store) write(ctx context.Context, token string, cmd rueidis.Completed) error {
	pttl := s.client.B().Pttl().Key(s.key(token)).Build()
	r := s.client.DoMulti(ctx, cmd, pttl)
	if err := r[0].Error(); err != nil && !rueidis.IsRedisNil(err) {
		return err
	}
	if err := r[1].Error(); err != nil {
		return err
	}
	return s.client.Do(ctx, s.client.B().Pttl().Key(s.key(token)).Build()).Error()
}

// DeleteCtx deletes the session of token: its value becomes a tombstone
// that lasts the session's remaining lifetime, and at least
// core.MinTombstoneLifetime, so that no later Commit of token writes it
// again, even one of a request that loaded the session before and
// commits after the session's idle time ran out. A token that does not
// exist is left alone.
func (s *Store) DeleteCtx(ctx context.Context, token string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if err := s.script(ctx, token, deleteSHA, deleteScript, Tombstone, minTombstoneMS, ""); err != nil {
		return fmt.Errorf("redisstore: delete: %w", err)
	}
	return nil
}

var minTombstoneMS = strconv.FormatInt(core.MinTombstoneLifetime.Milliseconds(), 10)

// DeleteWithNote implements core.ForwardingStore: it deletes token as
// DeleteCtx does, and until noteExpiry FindCtx answers note.
func (s *Store) DeleteWithNote(ctx context.Context, token string, note []byte, noteExpiry time.Time) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	v := Tombstone + "\x00" + strconv.FormatInt(noteExpiry.UnixMilli(), 10) + "\x00" + string(note)
	if err := s.script(ctx, token, deleteSHA, deleteScript, Tombstone, minTombstoneMS, v); err != nil {
		return fmt.Errorf("redisstore: delete: %w", err)
	}
	return nil
}

// Find is FindCtx without a request context.
func (s *Store) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// Commit is CommitCtx without a request context.
func (s *Store) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// Delete is DeleteCtx without a request context.
func (s *Store) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}
