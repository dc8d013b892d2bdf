// Package auth issues and verifies JWT access tokens with rotating opaque
// refresh tokens, and protects net/http handlers with them.
//
// # Tokens and sessions
//
// An [Authenticator] ([New]) issues a [TokenPair] at login
// ([Authenticator.Issue]): a short-lived access token (a JWT, 15 minutes by
// default, "typ" at+jwt per RFC 9068, signed by the current key of a
// [KeyRing]) and an opaque refresh token "<sid>.<secret>" bound to a
// [Session] (7 days absolute by default). [Authenticator.Refresh] rotates
// the refresh token atomically; presenting a used one is reuse (RFC 9700
// §4.14.2): the whole session is revoked and [ErrTokenReused] returned.
// A session remembers every token it used, so no number of rotations
// hides a stolen one; it allows [UsedHistory] rotations, then ends.
// [Authenticator.Revoke] and [Authenticator.RevokeUser] log out one session
// or every session of a user.
//
// Verification ([Authenticator.Verify]) uses github.com/golang-jwt/jwt/v5
// with issuer, audience, expiry and the key's own algorithm required: alg
// "none", unknown kids, HS/RS confusion and refresh tokens presented as
// access tokens are refused. With [Options.SessionCheck] every request
// also asks the store whether its session is still live, so a logout takes
// effect at once; a store failure is then [ErrStoreUnavailable] (503),
// never a pass.
//
// # Stores
//
// Sessions live in a [SessionStore]: the bounded [MemoryStore] by default
// (one instance), or auth/redisstore for fleets (Redis and Redis Cluster).
// auth/storetest is the conformance suite both pass.
//
// # HTTP
//
// [Authenticator.Middleware] reads a Bearer token (RFC 6750) and puts the
// [Claims] in the context ([ClaimsFrom]); [RequireRole],
// [RequirePermission] and [Require] authorise. Refusals are problem+json
// bodies with WWW-Authenticate challenges ([WriteError]); a custom
// ErrorHandler can replace them.
//
// # Passwords
//
// [PasswordHasher] ([HashPassword], [VerifyPassword], [NeedsRehash])
// hashes with argon2id (OWASP parameters, PHC strings), verifies legacy
// bcrypt hashes, and caps concurrent hashes so a login flood cannot
// exhaust memory.
package auth
