// Package redisstore is an [auth.SessionStore] on Redis (go-redis v9), for
// fleets of instances sharing sessions. It takes a [redis.UniversalClient],
// so it works with a single server, Sentinel and Redis Cluster.
//
// # Layout
//
// A session lives in two keys sharing the hash tag of its id, so every
// operation on one session is single-slot in a cluster:
//
//	<prefix>s:{<sid>}   hash: user, role, permissions, times, current and previous token hashes
//	<prefix>r:{<sid>}   list: every used token hash of the session, at most auth.UsedHistory (reuse detection)
//	<prefix>u:<user>    set: the user's session ids, for RevokeUser (another slot; off the hot path)
//
// Keys expire with their session (PEXPIREAT at the earlier of the absolute
// and the idle expiry). Refresh tokens are never stored, only their HMACs.
// The user index expires with the user's longest-lived session; until then
// it keeps the ids of sessions that already ended (a few bytes each),
// which DeleteUser skips.
//
// # Round trips
//
// Rotate is one Lua script (one round trip, atomic); Check (the
// per-request session check, [auth.SessionChecker]) is one HMGET of four
// fields; Get one HGETALL; Delete one DEL. Create (a login) writes the
// session, then its index entry: two MULTI round trips, in that order, so a
// login racing DeleteUser is either deleted by it or stays indexed for the
// next one. DeleteUser reads the index, then deletes the sessions it read
// and removes only their ids, in one pipeline.
//
// # Timeouts
//
// go-redis honours context deadlines only when the client is built with
// ContextTimeoutEnabled: true; otherwise a hung server blocks each call for
// the client's ReadTimeout. [New] therefore refuses a *redis.Client or
// *redis.ClusterClient without it (unless [Options.AllowClientTimeouts]),
// and every call also gets [Options.Timeout] as a deadline.
//
// A *redis.ClusterClient loads the server's command table (COMMAND) on
// the first single command it sends, with its own 5-second timeout that
// ignores the context, and while that fails every caller queues behind it.
// The store therefore does not let its calls trigger that load: one
// background goroutine at a time sends COMMAND until it succeeds, and
// calls wait for it only until their own deadline, then fail with
// [auth.ErrStoreUnavailable]. No warm-up call is needed at start-up. Other
// packages sharing the client do not get this protection. Failures wrap
// [auth.ErrStoreUnavailable]; a server out of memory (maxmemory with
// noeviction) makes Create fail with [auth.ErrStoreFull].
package redisstore
