// Package middleware is the root of ChainSync's collection of independent
// net/http middleware packages, and holds [Chain], which composes them.
//
// Every package returns plain func(http.Handler) http.Handler middleware
// (or a value with such a method), so each works with http.ServeMux, chi,
// gorilla/mux and anything else that speaks http.Handler, and each can be
// adopted on its own. Packages never import each other: where one needs
// something another knows (audit wants the user id auth verified), it takes
// a small function such as func(*http.Request) string.
//
// # The collection
//
//	auth                  JWT access + refresh sessions with rotation and reuse
//	                      detection, key rotation, bearer middleware, RBAC,
//	                      password hashing
//	auth/redisstore       session store on Redis (and Redis Cluster)
//	auth/storetest        conformance suite for session stores
//	validate              strict typed JSON decoding, rules in code,
//	                      field-level 400s, HTML sanitising
//	secure                security headers (CSP with nonces, HSTS, ...),
//	                      CORS, CSRF
//	ratelimit             GCRA rate limits per key with RateLimit headers,
//	                      bounded in-memory store
//	ratelimit/redisstore  one-round-trip Redis store, Redis Cluster safe
//	ratelimit/storetest   conformance suite for rate-limit stores
//	health                liveness, readiness and detailed health with
//	                      parallel, time-bounded, cached checks
//	secrets               layered secret loading with redaction and rotation;
//	                      field-level encryption keyring, blind index
//	secrets/awssm         AWS Secrets Manager provider
//
// # Conventions
//
// Configuration is an Options struct whose zero value is the secure
// default; misconfiguration fails at construction with an error, never at
// request time. Rejections are RFC 9457 application/problem+json bodies that
// also carry an "error" member, and each middleware that rejects has an
// ErrorHandler hook. Request-scoped values travel in the context behind typed
// accessors. Anything that does I/O takes a context.Context first.
//
// Each store interface has an in-memory implementation, the default, so
// everything runs on one machine with no server; Redis (and PostgreSQL for
// audit) back fleets of instances.
//
// # Order
//
// Compose with [Chain], outermost first. A sensible order for an API: CORS
// (so that even rejections carry the headers a browser needs to read them),
// security headers, rate limiting, authentication and authorization, then
// the handler with its validation. The package example wires exactly that.
//
// # Trust
//
// Packages that need the client address or "was this HTTPS" (ratelimit,
// secure's HSTS) read forwarding headers only from proxies listed in their
// TrustedProxies option, walking X-Forwarded-For (or Forwarded) from the
// right; by default only the TCP peer counts.
package middleware
