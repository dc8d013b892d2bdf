package secure_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chainsync/middleware/secure"
)

// benchWriter is a ResponseWriter whose header map is cleared and reused,
// as a server's would be per response, so the benchmarks measure the
// middleware and not map growth.
type benchWriter struct {
	h      http.Header
	status int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *benchWriter) WriteHeader(s int)           { w.status = s }

var noop = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})

func serveParallel(b *testing.B, h http.Handler, newReq func() *http.Request, wantStatus int) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req := newReq()
		w := &benchWriter{h: make(http.Header, 32)}
		for pb.Next() {
			clear(w.h)
			w.status = 200
			h.ServeHTTP(w, req)
			if w.status != wantStatus {
				b.Errorf("status %d", w.status)
				return
			}
		}
	})
}

func BenchmarkHeaders(b *testing.B) {
	b.Run("api", func(b *testing.B) {
		h := secure.MustHeaders(secure.APIHeaders()).Handler(noop)
		serveParallel(b, h, func() *http.Request { return httptest.NewRequest("GET", "https://api.chainsync.example/products", nil) }, 200)
	})
	b.Run("web", func(b *testing.B) {
		o := secure.WebPageHeaders()
		o.AllowedHosts = []string{"pos.chainsync.example"}
		h := secure.MustHeaders(o).Handler(noop)
		serveParallel(b, h, func() *http.Request { return httptest.NewRequest("GET", "https://pos.chainsync.example/", nil) }, 200)
	})
	b.Run("nonce", func(b *testing.B) {
		o := secure.WebPageHeaders()
		o.CSP = o.CSP.Set(secure.ScriptSrc, secure.RequestNonce, secure.StrictDynamic)
		h := secure.MustHeaders(o).Handler(noop)
		serveParallel(b, h, func() *http.Request { return httptest.NewRequest("GET", "https://pos.chainsync.example/", nil) }, 200)
	})
}

func BenchmarkCORS(b *testing.B) {
	c := secure.MustCORS(chainsyncCORS())
	h := c.Handler(noop)
	b.Run("actual", func(b *testing.B) {
		serveParallel(b, h, func() *http.Request {
			r := httptest.NewRequest("POST", "https://api.chainsync.example/transactions", nil)
			r.Header.Set("Origin", "https://pos.chainsync.example")
			return r
		}, 200)
	})
	b.Run("actual-wildcard", func(b *testing.B) {
		serveParallel(b, h, func() *http.Request {
			r := httptest.NewRequest("POST", "https://api.chainsync.example/transactions", nil)
			r.Header.Set("Origin", "https://store-12.shops.chainsync.example")
			return r
		}, 200)
	})
	b.Run("actual-no-origin", func(b *testing.B) {
		serveParallel(b, h, func() *http.Request { return httptest.NewRequest("GET", "https://api.chainsync.example/", nil) }, 200)
	})
	b.Run("preflight", func(b *testing.B) {
		serveParallel(b, h, func() *http.Request {
			r := httptest.NewRequest("OPTIONS", "https://api.chainsync.example/transactions", nil)
			r.Header.Set("Origin", "https://pos.chainsync.example")
			r.Header.Set("Access-Control-Request-Method", "PUT")
			r.Header.Set("Access-Control-Request-Headers", "authorization,content-type,x-csrf-token")
			return r
		}, 204)
	})
}

func BenchmarkCSRF(b *testing.B) {
	b.Run("same-origin", func(b *testing.B) {
		h := secure.MustCSRF(secure.CSRFOptions{TrustCORS: secure.MustCORS(chainsyncCORS())}).Handler(noop)
		serveParallel(b, h, func() *http.Request {
			r := httptest.NewRequest("POST", "https://api.chainsync.example/transactions", nil)
			r.Header.Set("Sec-Fetch-Site", "same-origin")
			r.Header.Set("Origin", "https://api.chainsync.example")
			return r
		}, 200)
	})
	b.Run("trusted-wildcard", func(b *testing.B) {
		h := secure.MustCSRF(secure.CSRFOptions{TrustCORS: secure.MustCORS(chainsyncCORS())}).Handler(noop)
		serveParallel(b, h, func() *http.Request {
			r := httptest.NewRequest("POST", "https://api.chainsync.example/transactions", nil)
			r.Header.Set("Sec-Fetch-Site", "cross-site")
			r.Header.Set("Origin", "https://store-12.shops.chainsync.example")
			return r
		}, 200)
	})
	b.Run("token", func(b *testing.B) {
		c := secure.MustCSRF(secure.CSRFOptions{RequireToken: true, TokenKey: bytes.Repeat([]byte{1}, 32)})
		var token string
		rec := httptest.NewRecorder()
		c.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { token = secure.CSRFToken(r.Context()) })).
			ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		cookie := rec.Result().Cookies()[0]
		h := c.Handler(noop)
		serveParallel(b, h, func() *http.Request {
			r := httptest.NewRequest("POST", "https://api.chainsync.example/transactions", nil)
			r.AddCookie(cookie)
			r.Header.Set("X-CSRF-Token", token)
			return r
		}, 200)
	})
}
