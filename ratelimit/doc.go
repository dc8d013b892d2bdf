// Package ratelimit limits requests per key with GCRA (the generic cell
// rate algorithm), answers with the IETF RateLimit header fields, and keeps
// its state in a bounded in-memory store or, for fleets, in Redis
// (ratelimit/redisstore).
//
// # Policies
//
// A [Policy] is Limit requests per Period with a Burst (default: Limit).
// GCRA keeps one timestamp per key (the theoretical arrival time): a rested
// client may send Burst requests at once, then one every Period/Limit.
// There are no windows, so there is no boundary across which a client can
// send twice its limit within moments (as it can with fixed windows), and
// remaining quota and reset times are exact. Precisely: in any span of time
// d a key is admitted at most Burst + d/Interval units (time counted in
// whole microseconds, [Resolution], as every store keeps it), so never more
// than Burst in a short span; over a whole Period a rested client can use
// its burst and then the steady rate (lower Burst to tighten that). [General],
// [Auth], [API] and [Admin] are ChainSync's four policies; [ParsePolicy]
// reads "100/15m"-style strings from configuration. Requests may cost more
// than one unit (Options.Cost).
//
// A [Limiter] checks one or more policies per route, in order, for one key,
// stopping at the first that denies (later policies are neither checked nor
// charged; earlier ones were, as with stacked limiters). Its Retry-After
// covers every checked policy: when an earlier policy ran out too, the
// client is told to wait for that one. Stack two limiters for policies
// keyed differently.
//
// # Keys and the trust model
//
// A [KeyFunc] names what is limited: [IPKey] (the default), [UserKey] (an
// authenticated user id from a function the caller supplies: this package
// does not know about authentication), [RouteKey], and their combinations
// [Join] and [FirstOf]. A request whose key is empty is limited by client
// IP, never left unlimited.
//
// The client IP is the TCP peer (RemoteAddr) unless the peer is inside
// Options.TrustedProxies. Only then is the forwarding header
// (X-Forwarded-For by default, or Forwarded, or a one-address header such
// as X-Real-IP) read, from the right: trusted hops are skipped and the
// first untrusted address is the client. Entries left of it were written by
// the client and are never believed, so a client cannot choose its own key
// by sending X-Forwarded-For. IPv6 clients are counted per /64 (one
// subscriber usually holds a whole /64; Options.IPv6PrefixBits changes it)
// and IPv4-mapped addresses are unmapped first, so IPv4 clients of a
// dual-stack listener do not share one key.
//
// # Headers
//
// Responses carry the fields of draft-ietf-httpapi-ratelimit-headers-11 for
// every checked policy, as structured fields:
//
//	RateLimit-Policy: "general";q=100;w=900, "api";q=60;w=60
//	RateLimit: "general";r=99;t=9, "api";r=59;t=1
//
// q is the quota and w its window in seconds, r the remaining quota and t
// the seconds until more quota is available. Legacy X-RateLimit-* fields are
// off unless Options.LegacyHeaders is set. A request over a limit gets 429,
// Retry-After in whole seconds rounded up (a client that waits exactly that
// long is admitted) and an RFC 9457 problem body that existing ChainSync
// clients can read:
//
//	{"type":"about:blank","title":"Too Many Requests","status":429,
//	 "error":"Too many requests","retryAfter":180,"policies":["auth"]}
//
// # Failures
//
// Store calls are bounded by Options.Timeout. When the store fails or times
// out the Limiter fails open by default: the request is served, the failure
// logged (at most once a second) and counted in [Stats]. With
// Options.FailClosed it answers 503 problem+json instead. It never panics
// at request time, and with a store that honours its context, as the
// [Store] contract requires, never waits longer than the timeout.
//
// # Stores
//
// [MemoryStore] is the embedded default for one instance: sharded maps
// with a lock each, capped at MaxKeys (under 200 bytes per key) with
// expired state swept in the background and, when full, the state closest
// to expiry evicted (and counted). A flood of distinct client addresses
// therefore cannot grow memory without bound. For several instances use
// ratelimit/redisstore, which decides all policies of a request in one
// round trip on Redis's clock. Other backends implement [Store] and run the
// conformance suite in ratelimit/storetest.
package ratelimit
