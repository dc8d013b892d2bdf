package middleware

import "net/http"

// Chain composes middleware into one, applied in the order written: the
// first is the outermost, so it sees the request first and the response
// last.
//
//	Chain(a, b, c)(h) == a(b(c(h)))
//
// Nil entries are skipped. Chain with no middleware returns the handler
// unchanged.
func Chain(mw ...func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	mw = append([]func(http.Handler) http.Handler(nil), mw...) // later changes to the caller's slice do not leak in
	return func(h http.Handler) http.Handler {
		for i := len(mw) - 1; i >= 0; i-- {
			if mw[i] != nil {
				h = mw[i](h)
			}
		}
		return h
	}
}
