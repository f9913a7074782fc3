// Package redisstore keeps scs sessions in Redis and serves the ones an
// instance reads often from its own memory, with Redis keeping that copy
// honest: server-assisted client-side caching (RESP3 client tracking,
// through github.com/redis/rueidis). When a session changes or is deleted
// anywhere, Redis tells every instance that cached it, which drops it at
// once; a logout on one instance is seen by the others within a
// millisecond on a local network, not at a cache expiry.
//
// It also shares the code exchange of one login between instances
// (Exchanges, for core.Options.Exchanges): two callbacks of one login that
// land on two instances at once make one /sns/oauth2/access_token call.
//
// Store meets the contract wxlogin asks of session stores: a deleted
// session is never written again. Delete leaves a tombstone for the rest
// of the session's lifetime, Commit does not overwrite a tombstone, and
// Find reports a tombstone as not found, so a request that loaded a
// session before a logout cannot bring it back by committing it.
//
// What stays true when Redis fails: an instance that loses its connection
// drops its whole cache (rueidis gives each connection its own cache and
// discards it with the connection), answers errors until it reconnects,
// and after reconnecting reads everything from Redis again, so it never
// serves a session deleted or changed while it was cut off. A connection
// that hangs without breaking (a frozen Redis, a network that drops
// packets) cannot deliver invalidations either: the store PINGs Redis on
// the connection that carries them and stops answering from the cache
// when no PING sent in the last Options.MaxStale (1 s) was answered; Find
// then reads Redis, and fails within Options.Timeout (1 s) when it does
// not answer. A session deleted or changed elsewhere is thus never served
// more than MaxStale after the change, whatever the network does.
package redisstore
