package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
)

// DefaultRealm is the realm of the middleware's challenges when
// [MiddlewareOptions.Realm] is empty.
const DefaultRealm = "api"

// DefaultMaxHeaderLength caps the Authorization header (and the cookie) the
// middleware looks at.
const DefaultMaxHeaderLength = 4096

// MiddlewareOptions configure [Authenticator.Middleware]. The zero value
// requires a Bearer token in the Authorization header.
type MiddlewareOptions struct {
	// Realm names the protection space in WWW-Authenticate challenges.
	// Default [DefaultRealm]. It may not contain '"', '\' or control
	// characters.
	Realm string
	// Cookie, when set, is the name of a cookie read for the access token
	// when the request has no Authorization header (the header wins).
	// Cookies are sent by browsers automatically: protect such routes
	// against CSRF (the secure package). Default "": cookies are ignored.
	Cookie string
	// Optional lets requests without any credentials through anonymously
	// (ClaimsFrom returns nil). Requests with bad credentials are still
	// refused. Default false: credentials are required.
	Optional bool
	// MaxHeaderLength caps the length of the Authorization header value
	// (and of the cookie value); longer ones get 400 invalid_request
	// before any parsing (the CVE-2025-30204 class of excessive-allocation
	// bugs). Default [DefaultMaxHeaderLength].
	MaxHeaderLength int
	// ErrorHandler writes the response for a refused request; err wraps
	// one of the package's errors. It is also used by [RequireRole] and
	// friends further down the chain. Default: [WriteError] with Realm.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)
	// OnSuccess, when set, is called with every verified request and its
	// claims, before the next handler (for example to annotate an audit
	// record or a log line with the subject).
	OnSuccess func(r *http.Request, c *Claims)
	// Logger receives refused requests at debug level (never the token).
	// Default: the Authenticator's logger.
	Logger *slog.Logger
}

// requestAuth is what the middleware puts in the context: the claims (nil
// for an anonymous request) and the error handler for later checks.
type requestAuth struct {
	claims *Claims
	onErr  func(w http.ResponseWriter, r *http.Request, err error)
}

// Middleware returns HTTP middleware that authenticates requests with a
// Bearer access token (RFC 6750 §2.1; optionally a cookie), verifies it
// with [Authenticator.Verify], and puts the claims in the request context
// ([ClaimsFrom]). Refused requests get [MiddlewareOptions.ErrorHandler]; by
// default [WriteError]: 401 without credentials, 400 invalid_request for
// malformed ones, 401 invalid_token for bad, expired or revoked tokens,
// 503 when the session store is unavailable (never a pass, never a 401).
// It returns an error for invalid options.
func (a *Authenticator) Middleware(opts MiddlewareOptions) (func(http.Handler) http.Handler, error) {
	if opts.Realm == "" {
		opts.Realm = DefaultRealm
	}
	for i := 0; i < len(opts.Realm); i++ {
		if c := opts.Realm[i]; c < 0x20 || c == 0x7f || c == '"' || c == '\\' {
			return nil, errors.New("auth: MiddlewareOptions.Realm may not contain quotes, backslashes or control characters")
		}
	}
	if opts.MaxHeaderLength < 0 {
		return nil, errors.New("auth: MiddlewareOptions.MaxHeaderLength must not be negative")
	}
	if opts.MaxHeaderLength == 0 {
		opts.MaxHeaderLength = DefaultMaxHeaderLength
	}
	if opts.Cookie != "" && !validCookieName(opts.Cookie) {
		return nil, fmt.Errorf("auth: MiddlewareOptions.Cookie %q is not a valid cookie name", opts.Cookie)
	}
	if opts.Logger == nil {
		opts.Logger = a.log
	}
	onErr := opts.ErrorHandler
	if onErr == nil {
		c := challenges(opts.Realm)
		onErr = func(w http.ResponseWriter, r *http.Request, err error) { writeError(w, r, c, err) }
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tok, err := extract(r, opts.Cookie, opts.MaxHeaderLength)
			if errors.Is(err, ErrNoToken) && opts.Optional {
				next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, &requestAuth{onErr: onErr})))
				return
			}
			var c *Claims
			if err == nil {
				c, err = a.Verify(r.Context(), tok)
			}
			if err != nil {
				if opts.Logger.Enabled(r.Context(), slog.LevelDebug) {
					opts.Logger.DebugContext(r.Context(), "auth: request refused", "error", err, "path", r.URL.Path)
				}
				onErr(w, r, err)
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), claimsKey{}, &requestAuth{claims: c, onErr: onErr}))
			if opts.OnSuccess != nil {
				opts.OnSuccess(r, c)
			}
			next.ServeHTTP(w, r)
		})
	}, nil
}

// MustMiddleware is like [Authenticator.Middleware] but panics on invalid
// options. Use it only with constant options.
func (a *Authenticator) MustMiddleware(opts MiddlewareOptions) func(http.Handler) http.Handler {
	mw, err := a.Middleware(opts)
	if err != nil {
		panic(err)
	}
	return mw
}

func extract(r *http.Request, cookie string, maxLen int) (string, error) {
	h, ok := r.Header["Authorization"]
	if ok {
		if len(h) != 1 {
			return "", fmt.Errorf("%w: several Authorization headers", ErrInvalidRequest)
		}
		if len(h[0]) > maxLen {
			return "", fmt.Errorf("%w: Authorization header too long", ErrInvalidRequest)
		}
		return ParseAuthorization(h[0])
	}
	if cookie != "" {
		if ck, err := r.Cookie(cookie); err == nil {
			if len(ck.Value) > maxLen {
				return "", fmt.Errorf("%w: cookie too long", ErrInvalidRequest)
			}
			if ck.Value == "" || !isB64Token(ck.Value) {
				return "", fmt.Errorf("%w: malformed token cookie", ErrInvalidRequest)
			}
			return ck.Value, nil
		}
	}
	return "", ErrNoToken
}

// ParseAuthorization returns the token of an Authorization header value
// of the form "Bearer <token>" (RFC 6750 §2.1; the scheme is
// case-insensitive, the token a b64token). An empty value or another
// scheme is [ErrNoToken] (no Bearer credentials: a bare challenge); a
// Bearer scheme without a well-formed token is [ErrInvalidRequest].
func ParseAuthorization(h string) (string, error) {
	h = strings.TrimLeft(h, " \t")
	if h == "" {
		return "", ErrNoToken
	}
	scheme, rest, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", ErrNoToken
	}
	tok := strings.Trim(rest, " \t")
	if tok == "" {
		return "", fmt.Errorf("%w: Bearer without a token", ErrInvalidRequest)
	}
	if !isB64Token(tok) {
		return "", fmt.Errorf("%w: malformed Bearer token", ErrInvalidRequest)
	}
	return tok, nil
}

// isB64Token reports whether s is an RFC 6750 b64token:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/') {
			break
		}
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}

func validCookieName(n string) bool {
	for i := 0; i < len(n); i++ {
		c := n[i]
		if c <= 0x20 || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return false
		}
	}
	return n != ""
}
