// Package secure holds three independent net/http middlewares that browsers
// rely on: security response headers ([Headers]), cross-origin resource
// sharing ([CORS]) and cross-site request forgery protection ([CSRF]).
// Each is configured with an Options struct whose zero value is the secure
// default, validated once by its constructor (NewHeaders, NewCORS, NewCSRF
// return an error wrapping [ErrInvalidOptions]; the Must variants panic),
// and each has a Handler method usable with middleware.Chain.
//
// # Headers
//
// [NewHeaders] sends, on every response, defaults equal to or stricter than
// helmet v8: a Content-Security-Policy ([APIPolicy] by default,
// [WebPolicy] for pages, or any policy built with the typed [CSP] builder),
// Strict-Transport-Security (one year, includeSubDomains; preload only on
// request, and only on requests that arrived over HTTPS as seen through
// the trusted proxies), X-Content-Type-Options: nosniff, X-Frame-Options:
// DENY with a matching frame-ancestors, Referrer-Policy: no-referrer,
// Cross-Origin-Opener-Policy and Cross-Origin-Resource-Policy: same-origin,
// Origin-Agent-Cluster, X-DNS-Prefetch-Control: off, X-Download-Options:
// noopen, X-Permitted-Cross-Domain-Policies: none, X-XSS-Protection: 0 and
// a restrictive Permissions-Policy ([PermissionsPolicy]). A policy holding
// [RequestNonce] gets a fresh nonce per request, which templates read with
// [Nonce]. Optionally, requests for unknown hosts are refused (400) and
// plain-HTTP requests redirected to HTTPS.
//
// Every header value is computed at construction; a request costs no
// allocation unless the policy uses a nonce.
//
// # CORS
//
// [NewCORS] follows the Fetch standard: exact origins and safe subdomain
// wildcards ("https://*.chainsync.example" never matches
// "https://evil-chainsync.example"), credentials only next to the exact
// origin of the request, Vary: Origin on every response that depends on
// the origin (preflights and requests without Origin included), preflights
// answered 204 here and never passed on (so they never reach
// authentication), Access-Control-Max-Age capped at 24 hours. Dangerous
// combinations ("*" with credentials) are refused; risky ones ("null", plain
// http origins) need a Dangerously... field.
//
// Put CORS outermost, so that rejections by the middleware inside it (401,
// 403, 429) still carry the headers that let the page read them:
//
//	cors := secure.MustCORS(secure.CORSOptions{
//		AllowedOrigins:   secure.ParseOrigins(cmp.Or(os.Getenv("ALLOWED_ORIGINS"), "http://localhost:3000")),
//		AllowCredentials: true,
//		AllowedMethods:   []string{"GET", "POST", "PUT", "DELETE", "PATCH"},
//		AllowedHeaders:   []string{"Content-Type", "Authorization", "X-CSRF-Token"},
//		ExposedHeaders:   []string{"RateLimit", "RateLimit-Policy", "Retry-After", "X-Request-ID"},
//	})
//	handler := middleware.Chain(cors.Handler, headers.Handler, limiter.Handler, auth.Handler)(mux)
//
// # CSRF
//
// [NewCSRF] is [http.CrossOriginProtection] (Sec-Fetch-Site, then Origin
// against Host) with validated trusted origins, the origins of a [CORS]
// configuration trusted in one field (subdomain wildcards included, which
// the standard library cannot express), and 403 problem+json answers
// through an overridable [ErrorHandler].
//
// Every browser released since 2023 sends Sec-Fetch-Site, so that check is
// enough for nearly everyone. The optional token layer (RequireToken) is
// for the rare service that must protect cookie-authenticated forms against
// older browsers, which send neither Sec-Fetch-Site nor Origin: a signed
// double-submit token in an HttpOnly, Secure, SameSite=Strict cookie, sent
// back in the X-CSRF-Token header or a form field, compared in constant
// time, and masked afresh on every response ([CSRFToken]) against BREACH.
// APIs authenticated with bearer tokens need neither the token layer nor,
// strictly, CSRF protection at all: a browser never attaches an
// Authorization header by itself.
//
// # Errors
//
// Rejections go through each middleware's ErrorHandler; the default writes
// an RFC 9457 application/problem+json body with an "error" member. The
// errors passed to it are the sentinels of this package, never a secret.
package secure
