package secure_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chainsync/middleware/secure"
)

// Every default rejection is RFC 9457 problem+json with the "error" member,
// and a HEAD request gets the status and no body.
func TestDefaultRejections(t *testing.T) {
	cors := secure.MustCORS(chainsyncCORS()).Handler(okHandler)
	headers := secure.MustHeaders(secure.HeadersOptions{AllowedHosts: []string{"api.chainsync.example"}}).Handler(okHandler)
	csrf := secure.MustCSRF(secure.CSRFOptions{}).Handler(okHandler)
	token := secure.MustCSRF(secure.CSRFOptions{RequireToken: true, TokenKey: bytes.Repeat([]byte{3}, 32)}).Handler(okHandler)
	preflight := func(origin, method, headers string) *http.Request {
		r := httptest.NewRequest("OPTIONS", "https://api.chainsync.example/", nil)
		r.Header.Set("Origin", origin)
		r.Header.Set("Access-Control-Request-Method", method)
		if headers != "" {
			r.Header.Set("Access-Control-Request-Headers", headers)
		}
		return r
	}
	crossSite := httptest.NewRequest("POST", "https://api.chainsync.example/", nil)
	crossSite.Header.Set("Sec-Fetch-Site", "cross-site")
	badToken := httptest.NewRequest("POST", "https://api.chainsync.example/", nil)
	badToken.AddCookie(&http.Cookie{Name: "__Host-csrf", Value: "forged.value"})
	badToken.Header.Set("X-CSRF-Token", "forged")
	tests := []struct {
		name   string
		h      http.Handler
		req    *http.Request
		status int
		msg    string
	}{
		{"host", headers, httptest.NewRequest("GET", "http://evil.example/", nil), 400, "Host not allowed"},
		{"CORS origin", cors, preflight("https://evil.example", "POST", ""), 403, "CORS origin not allowed"},
		{"CORS method", cors, preflight("https://pos.chainsync.example", "TRACE", ""), 403, "CORS method not allowed"},
		{"CORS header", cors, preflight("https://pos.chainsync.example", "POST", "x-evil"), 403, "CORS request header not allowed"},
		{"cross-origin", csrf, crossSite, 403, "Cross-origin request rejected"},
		{"token missing", token, httptest.NewRequest("POST", "https://api.chainsync.example/", nil), 403, "CSRF token missing"},
		{"token with a forged cookie", token, badToken, 403, "CSRF token missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			tt.h.ServeHTTP(rec, tt.req)
			var body map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("%d %q: %v", rec.Code, rec.Body, err)
			}
			if rec.Code != tt.status || body["status"] != float64(tt.status) || body["error"] != tt.msg ||
				rec.Header().Get("Content-Type") != "application/problem+json" {
				t.Fatalf("%d %s %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
		})
	}
	rec := httptest.NewRecorder()
	headers.ServeHTTP(rec, httptest.NewRequest("HEAD", "http://evil.example/", nil))
	if rec.Code != 400 || rec.Body.Len() != 0 {
		t.Fatalf("HEAD: %d %q", rec.Code, rec.Body)
	}
}

// The zero value of each middleware type is its default configuration.
func TestZeroValues(t *testing.T) {
	var headers secure.Headers
	rec := httptest.NewRecorder()
	headers.Handler(okHandler).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Header().Get("Content-Security-Policy") != "default-src 'none'; frame-ancestors 'none'" || rec.Header().Get("X-Frame-Options") != "DENY" {
		t.Fatalf("zero Headers: %v", rec.Header())
	}

	var cors secure.CORS
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Origin", "https://pos.chainsync.example")
	rec = httptest.NewRecorder()
	cors.Handler(okHandler).ServeHTTP(rec, req)
	if rec.Header().Get("Vary") != "Origin" || rec.Header().Get("Access-Control-Allow-Origin") != "" || cors.OriginAllowed("https://pos.chainsync.example") {
		t.Fatalf("zero CORS: %v", rec.Header())
	}

	// A zero CORS trusted by CSRF trusts nothing.
	withZeroCORS := secure.MustCSRF(secure.CSRFOptions{TrustCORS: &secure.CORS{}})
	req = httptest.NewRequest("POST", "https://api.chainsync.example/", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://pos.chainsync.example")
	if withZeroCORS.Check(req) == nil {
		t.Fatal("CSRF trusting a zero CORS let a cross-site request through")
	}

	var csrf secure.CSRF
	req = httptest.NewRequest("POST", "/", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	rec = httptest.NewRecorder()
	csrf.Handler(okHandler).ServeHTTP(rec, req)
	if rec.Code != 403 || csrf.Check(req) == nil {
		t.Fatalf("zero CSRF: %d", rec.Code)
	}
}

// Run under -race: shared precomputed values, pooled HMACs and the lazily
// built zero values are used from many goroutines at once.
func TestConcurrentUse(t *testing.T) {
	var zeroHeaders secure.Headers
	o := secure.WebPageHeaders()
	o.CSP = o.CSP.Set(secure.ScriptSrc, secure.RequestNonce)
	csrf := secure.MustCSRF(secure.CSRFOptions{RequireToken: true, TokenKey: bytes.Repeat([]byte{9}, 32),
		SessionID: func(r *http.Request) string { return r.Header.Get("X-Session") }})
	cors := secure.MustCORS(chainsyncCORS())
	nonces := make(chan string, 400)
	h := cors.Handler(zeroHeaders.Handler(secure.MustHeaders(o).Handler(csrf.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		nonces <- secure.Nonce(r.Context())
		w.Header().Add("Vary", "Accept-Encoding")
		_, _ = w.Write([]byte(secure.CSRFToken(r.Context())))
	})))))
	done := make(chan error)
	for g := 0; g < 8; g++ {
		go func() {
			var err error
			for i := 0; i < 25 && err == nil; i++ {
				req := httptest.NewRequest("GET", "https://pos.chainsync.example/", nil)
				req.Header.Set("Origin", "https://s.shops.chainsync.example")
				req.Header.Set("X-Session", "s")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				post := httptest.NewRequest("POST", "https://pos.chainsync.example/", nil)
				post.Header.Set("X-Session", "s")
				post.Header.Set("X-CSRF-Token", rec.Body.String())
				for _, c := range rec.Result().Cookies() {
					post.AddCookie(c)
				}
				rec2 := httptest.NewRecorder()
				h.ServeHTTP(rec2, post)
				if rec.Code != 200 || rec2.Code != 200 || rec.Header().Get("Access-Control-Allow-Origin") != "https://s.shops.chainsync.example" {
					err = fmt.Errorf("GET %d POST %d %v", rec.Code, rec2.Code, rec.Header())
				}
			}
			done <- err
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	close(nonces)
	seen := map[string]bool{}
	for n := range nonces {
		if n == "" || seen[n] {
			t.Fatalf("nonce %q empty or repeated", n)
		}
		seen[n] = true
	}
	if len(seen) != 400 {
		t.Fatalf("%d nonces", len(seen))
	}
}
