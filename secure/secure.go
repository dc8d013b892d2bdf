package secure

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/chainsync/middleware/internal/problem"
)

// Errors reported to ErrorHandler hooks, usable with [errors.Is].
var (
	// ErrInvalidOptions wraps every configuration error returned by a
	// constructor of this package.
	ErrInvalidOptions = errors.New("secure: invalid options")
	// ErrHostNotAllowed: the Host of a request is not one of
	// [HeadersOptions.AllowedHosts]. Answered 400 by default.
	ErrHostNotAllowed = errors.New("secure: host not allowed")
	// ErrOriginNotAllowed: a CORS preflight came from an origin that is not
	// allowed. Answered 403 by default.
	ErrOriginNotAllowed = errors.New("secure: origin not allowed")
	// ErrMethodNotAllowed: a CORS preflight asked for a method that is not
	// allowed. Answered 403 by default.
	ErrMethodNotAllowed = errors.New("secure: method not allowed by CORS policy")
	// ErrHeaderNotAllowed: a CORS preflight asked for a request header that
	// is not allowed. Answered 403 by default.
	ErrHeaderNotAllowed = errors.New("secure: header not allowed by CORS policy")
	// ErrCrossOriginRequest: [http.CrossOriginProtection] rejected an unsafe
	// cross-origin request. Answered 403 by default.
	ErrCrossOriginRequest = errors.New("secure: cross-origin request rejected")
	// ErrCSRFTokenMissing: the token layer of [CSRF] found no cookie or no
	// submitted token. Answered 403 by default.
	ErrCSRFTokenMissing = errors.New("secure: CSRF token missing")
	// ErrCSRFTokenInvalid: the submitted CSRF token or the cookie does not
	// verify. Answered 403 by default.
	ErrCSRFTokenInvalid = errors.New("secure: CSRF token invalid")
)

// ErrorHandler answers a request that a middleware of this package
// rejected. err is one of the package's sentinel errors (possibly wrapped);
// it never contains a secret.
type ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)

func optionsError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidOptions}, args...)...)
}

// defaultError writes the problem+json answer for err.
func defaultError(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := http.StatusForbidden, "Forbidden"
	switch {
	case errors.Is(err, ErrHostNotAllowed):
		status, msg = http.StatusBadRequest, "Host not allowed"
	case errors.Is(err, ErrOriginNotAllowed):
		msg = "CORS origin not allowed"
	case errors.Is(err, ErrMethodNotAllowed):
		msg = "CORS method not allowed"
	case errors.Is(err, ErrHeaderNotAllowed):
		msg = "CORS request header not allowed"
	case errors.Is(err, ErrCrossOriginRequest):
		msg = "Cross-origin request rejected"
	case errors.Is(err, ErrCSRFTokenMissing):
		msg = "CSRF token missing"
	case errors.Is(err, ErrCSRFTokenInvalid):
		msg = "CSRF token invalid"
	}
	problem.Status(w, r, status, msg)
}

func loggerOr(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}

func handlerOr(h ErrorHandler) ErrorHandler {
	if h == nil {
		return defaultError
	}
	return h
}

// one returns a header value slice of length and capacity 1, so that a
// handler that appends to it (Header.Add) gets a fresh array instead of
// writing into the value shared by every response.
func one(v string) []string { return []string{v}[:1:1] }

// isToken reports whether s is a non-empty RFC 9110 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTchar(s[i]) {
			return false
		}
	}
	return true
}

func isTchar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// asciiEqualFold is strings.EqualFold for ASCII only: header names and
// hosts are ASCII, and Unicode folding would let "\u212a" (Kelvin sign)
// stand for "k".
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// lazy holds a value built on first use, so that the zero value of a
// middleware type can stand for its defaults.
type lazy[T any] struct {
	once sync.Once
	v    *T
}

func (l *lazy[T]) get(build func() *T) *T {
	l.once.Do(func() { l.v = build() })
	return l.v
}

// putEntry returns a copy of entries in which the entry that is same is
// replaced by e, in place, or e appended when there is none. Policies are
// built by copying, so that presets can be shared and extended.
func putEntry[T any](entries []T, e T, same func(T) bool) []T {
	out := make([]T, 0, len(entries)+1)
	replaced := false
	for _, x := range entries {
		if same(x) {
			x, replaced = e, true
		}
		out = append(out, x)
	}
	if !replaced {
		out = append(out, e)
	}
	return out
}

// removeEntry returns a copy of entries without those that are drop.
func removeEntry[T any](entries []T, drop func(T) bool) []T {
	out := make([]T, 0, len(entries))
	for _, x := range entries {
		if !drop(x) {
			out = append(out, x)
		}
	}
	return out
}
