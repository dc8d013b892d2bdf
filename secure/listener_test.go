package secure_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	middleware "github.com/chainsync/middleware"
	"github.com/chainsync/middleware/secure"
)

// newStack is the full chain as the ChainSync server composes it: CORS
// outermost, then headers, CSRF and a stand-in for authentication.
func newStack(t *testing.T, ho secure.HeadersOptions) http.Handler {
	t.Helper()
	cors, err := secure.NewCORS(chainsyncCORS())
	if err != nil {
		t.Fatal(err)
	}
	headers, err := secure.NewHeaders(ho)
	if err != nil {
		t.Fatal(err)
	}
	csrf, err := secure.NewCSRF(secure.CSRFOptions{TrustCORS: cors})
	if err != nil {
		t.Fatal(err)
	}
	auth := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer ok" {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/transactions", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-ID", "req-1")
		w.WriteHeader(http.StatusCreated)
	})
	return middleware.Chain(cors.Handler, headers.Handler, csrf.Handler, auth)(mux)
}

func TestRealListenerTLS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(newStack(t, secure.HeadersOptions{}))
	defer srv.Close()
	client := srv.Client()

	do := func(method string, h map[string]string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+"/transactions", nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range h {
			req.Header.Set(k, v)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}

	t.Run("preflight answered before authentication", func(t *testing.T) {
		res := do("OPTIONS", map[string]string{"Origin": "https://pos.chainsync.example", "Access-Control-Request-Method": "POST",
			"Access-Control-Request-Headers": "authorization,content-type"})
		if res.StatusCode != 204 || res.Header.Get("Access-Control-Allow-Origin") != "https://pos.chainsync.example" ||
			res.Header.Get("Access-Control-Allow-Credentials") != "true" || res.Header.Get("Access-Control-Max-Age") != "600" {
			t.Fatalf("%d %v", res.StatusCode, res.Header)
		}
	})
	t.Run("HSTS and CSP over TLS", func(t *testing.T) {
		res := do("POST", map[string]string{"Authorization": "Bearer ok"})
		if res.StatusCode != 201 || res.Header.Get("Strict-Transport-Security") != "max-age=31536000; includeSubDomains" ||
			res.Header.Get("Content-Security-Policy") != "default-src 'none'; frame-ancestors 'none'" || res.Header.Get("Vary") != "Origin" {
			t.Fatalf("%d %v", res.StatusCode, res.Header)
		}
	})
	t.Run("401 keeps CORS headers", func(t *testing.T) {
		res := do("POST", map[string]string{"Origin": "https://s1.shops.chainsync.example", "Sec-Fetch-Site": "cross-site"})
		if res.StatusCode != 401 || res.Header.Get("Access-Control-Allow-Origin") != "https://s1.shops.chainsync.example" ||
			!strings.Contains(res.Header.Get("Access-Control-Expose-Headers"), "Retry-After") {
			t.Fatalf("%d %v", res.StatusCode, res.Header)
		}
	})
	t.Run("cross-site from a trusted wildcard origin passes CSRF", func(t *testing.T) {
		res := do("POST", map[string]string{"Origin": "https://s1.shops.chainsync.example", "Sec-Fetch-Site": "cross-site", "Authorization": "Bearer ok"})
		if res.StatusCode != 201 {
			t.Fatalf("%d", res.StatusCode)
		}
	})
	t.Run("cross-site forgery rejected with problem+json", func(t *testing.T) {
		req, _ := http.NewRequest("POST", srv.URL+"/transactions", nil)
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Authorization", "Bearer ok")
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != 403 || body["error"] != "Cross-origin request rejected" || res.Header.Get("X-Frame-Options") != "DENY" {
			t.Fatalf("%d %v %v", res.StatusCode, body, res.Header)
		}
	})
}

// Raw HTTP/1.1 over a real socket: several Access-Control-Request-Headers
// lines and odd header-name case reach the middleware as a client sent them.
func TestRealListenerRawPreflight(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(newStack(t, secure.HeadersOptions{}))
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "OPTIONS /transactions HTTP/1.1\r\nHost: api.chainsync.example\r\n"+
		"origin: https://pos.chainsync.example\r\n"+
		"ACCESS-CONTROL-REQUEST-METHOD: PATCH\r\n"+
		"Access-Control-Request-Headers: content-type\r\n"+
		"access-control-request-headers: X-CSRF-Token, Authorization\r\n"+
		"Connection: close\r\n\r\n")
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 204 || res.Header.Get("Access-Control-Allow-Methods") != "GET, POST, PUT, DELETE, PATCH" ||
		res.Header.Get("Access-Control-Allow-Headers") != "Content-Type, Authorization, X-CSRF-Token" {
		t.Fatalf("%d %v", res.StatusCode, res.Header)
	}
	if res.Header.Get("Strict-Transport-Security") != "" {
		t.Fatal("HSTS over plain HTTP")
	}
}

func TestRealListenerRedirect(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(newStack(t, secure.HeadersOptions{RedirectHTTPS: true, AllowedHosts: []string{"127.0.0.1"}}))
	defer srv.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(srv.URL + "/transactions?x=1")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusPermanentRedirect || res.Header.Get("Location") != "https://127.0.0.1/transactions?x=1" {
		t.Fatalf("%d %q", res.StatusCode, res.Header.Get("Location"))
	}

	req, _ := http.NewRequest("GET", srv.URL+"/transactions", nil)
	req.Host = "attacker.example"
	res, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 400 || res.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("%d %v", res.StatusCode, res.Header)
	}
}
