package redisstore

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/redis/rueidis"
)

// ErrURL is wrapped by Open's errors about the URL. They never contain
// the URL itself, whose userinfo may hold a password.
var ErrURL = errors.New("redisstore: invalid Redis URL")

// Open connects to the Redis of rawURL and returns a Store over it; Close
// closes the connection. It fails when Redis cannot be reached.
//
// The URL is rueidis' (ParseURL):
//
//	redis://[user:password@]host[:port][/db]      one Redis (6379 by default)
//	rediss://...                                  the same over TLS
//	unix://[user:password@]/path/to/redis.sock[?db=N]
//	redis://host1:7000?addr=host2:7001&addr=host3:7002   a Cluster: any of its nodes
//	redis://sentinel1:26379?addr=sentinel2:26379&master_set=NAME   Sentinel
//
// The cache uses Redis' broadcasting tracking mode over the session
// prefix: Redis keeps no per-key table (so that misses, random session
// cookies included, cost it nothing) and tells each instance of every
// session write.
//
// with the query options db, dial_timeout and write_timeout (Go
// durations; they override Options.Timeout), client_cache=0 (no cache:
// every Find reads Redis), protocol=2 (RESP2, which has no cache either),
// client_name, max_retries=0 and, for rediss, skip_verify. A URL with one
// address is a Cluster when that node has cluster mode on.
//
// Errors never contain the URL or its password.
func Open(rawURL string, opts Options) (*Store, error) {
	opts.defaults()
	co, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	co.CacheSizeEachConn = opts.CacheSize
	if opts.CacheSize < 0 {
		co.DisableCache = true
	}
	if co.Dialer.Timeout == 0 {
		co.Dialer.Timeout = opts.Timeout
	}
	if co.ConnWriteTimeout == 0 {
		co.ConnWriteTimeout = opts.Timeout
	}
	co.Dialer.KeepAlive = opts.KeepAlive
	co.PipelineMultiplex = -1 // one connection per node: see Store.write
	if co.AlwaysRESP2 {
		co.DisableCache = true
	}
	if !co.DisableCache {
		// Broadcasting mode: Redis keeps no table of the keys each client
		// read, so that the misses of random session cookies do not fill
		// it (up to tracking-table-max-keys, whose eviction then drops
		// real sessions from every instance's cache); it tells every
		// client of each write under the prefix instead.
		co.ClientTrackingOptions = []string{"PREFIX", opts.Prefix, "BCAST"}
	}
	client, err := rueidis.NewClient(co)
	if err != nil {
		return nil, fmt.Errorf("redisstore: connecting to %s: %w", hostsOf(co), redact(err, co.Password))
	}
	s := New(client, opts)
	s.closeIt = true
	return s, nil
}

// parseURL is rueidis.ParseURL with errors that do not quote the URL.
func parseURL(rawURL string) (rueidis.ClientOption, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error quotes the URL, and its inner errors may quote parts
		// of the userinfo (an invalid escape): say nothing of it.
		return rueidis.ClientOption{}, fmt.Errorf("%w: not a URL (want redis://[user:password@]host:port/db)", ErrURL)
	}
	switch u.Scheme {
	case "redis", "rediss", "unix", "valkey", "valkeys":
	default:
		return rueidis.ClientOption{}, fmt.Errorf("%w: scheme %q: want redis, rediss or unix", ErrURL, u.Scheme)
	}
	co, err := rueidis.ParseURL(rawURL)
	if err != nil {
		pw, _ := u.User.Password()
		return rueidis.ClientOption{}, fmt.Errorf("%w: %w", ErrURL, redact(err, pw))
	}
	return co, nil
}

// redact returns err, or a generic error when its text contains the
// password.
func redact(err error, password string) error {
	if password != "" && strings.Contains(err.Error(), password) {
		return errors.New("(error text withheld: it contains the password)")
	}
	return err
}

// hostsOf names the addresses of co, for errors.
func hostsOf(co rueidis.ClientOption) string {
	return strings.Join(co.InitAddress, ",")
}
