// Package redisstore is a [ratelimit.Store] on Redis (go-redis v9,
// redis.UniversalClient: a single server, Sentinel failover, Ring or Redis
// Cluster), for fleets of instances that must share their limits.
//
// Each decision is one round trip: one Lua script (EVALSHA, falling back to
// EVAL when the server has lost its script cache, as after a restart or
// SCRIPT FLUSH) that reads Redis's own clock (TIME), so the clocks of the
// instances do not matter, and decides every policy of a route for one
// client key in order. Times are microseconds ([ratelimit.Resolution], as
// in the memory store, so both give identical results) inside Lua, whose
// numbers are doubles and hold them exactly.
//
// # Keys
//
// The state of (policy, key) lives in one string key,
// prefix + policy + ":{" + key + "}", holding the GCRA theoretical arrival
// time. The client key is the hash tag, so the keys of all policies of one
// client hash to one Redis Cluster slot and one script may touch them all
// without CROSSSLOT errors. A key expires exactly when its state has fully
// replenished, so idle clients cost no memory. Every key has a TTL, so
// under maxmemory pressure a volatile-ttl policy evicts the state closest
// to replenished first (losing the least); with noeviction a full Redis
// fails the script, which the Limiter treats as a store failure.
//
// # Timeouts and failures
//
// Build the client with ContextTimeoutEnabled: true. Without it go-redis
// ignores context deadlines, and a hung (not down, hung) Redis would hang
// every request; [New] refuses clients it can see lack it. The
// ratelimit.Limiter bounds every decision with Options.Timeout and, by
// default, fails open when Redis errors or times out (the request is
// served, the failure logged and counted); set FailClosed to answer 503
// instead. Errors never contain credentials: go-redis does not put the
// password in them and this package adds none.
package redisstore
