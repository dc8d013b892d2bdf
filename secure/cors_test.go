package secure_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chainsync/middleware/secure"
)

// chainsyncCORS is the configuration of the ChainSync example server.
func chainsyncCORS() secure.CORSOptions {
	return secure.CORSOptions{
		AllowedOrigins:   []string{"https://pos.chainsync.example", "https://*.shops.chainsync.example", "http://localhost:3000"},
		AllowCredentials: true,
		AllowedMethods:   []string{"GET", "POST", "PUT", "DELETE", "PATCH"},
		AllowedHeaders:   []string{"Content-Type", "Authorization", "X-CSRF-Token"},
		ExposedHeaders:   []string{"RateLimit", "RateLimit-Policy", "Retry-After", "X-Request-ID"},
	}
}

const exposed = "RateLimit, RateLimit-Policy, Retry-After, X-Request-ID"

func TestCORSSpec(t *testing.T) {
	type hdrs = map[string][]string
	allowed := func(origin string) map[string]string {
		return map[string]string{
			"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true",
			"Access-Control-Expose-Headers": exposed, "Vary": "Origin",
		}
	}
	refused := map[string]string{"Access-Control-Allow-Origin": absent, "Access-Control-Allow-Credentials": absent,
		"Access-Control-Expose-Headers": absent, "Vary": "Origin"}
	preflightOK := func(origin string) map[string]string {
		return map[string]string{
			"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true",
			"Access-Control-Allow-Methods": "GET, POST, PUT, DELETE, PATCH",
			"Access-Control-Allow-Headers": "Content-Type, Authorization, X-CSRF-Token",
			"Access-Control-Max-Age":       "600", "Access-Control-Expose-Headers": absent,
			"Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
		}
	}
	preflightRefused := map[string]string{"Access-Control-Allow-Origin": absent, "Access-Control-Allow-Methods": absent,
		"Content-Type": "application/problem+json", "Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"}
	pre := func(origin, method string, reqHeaders ...string) hdrs {
		h := hdrs{"Origin": {origin}, "Access-Control-Request-Method": {method}}
		if len(reqHeaders) > 0 {
			h["Access-Control-Request-Headers"] = reqHeaders
		}
		return h
	}
	base := chainsyncCORS()
	with := func(f func(*secure.CORSOptions)) secure.CORSOptions { o := chainsyncCORS(); f(&o); return o }

	tests := []struct {
		name       string
		opts       secure.CORSOptions
		method     string
		headers    hdrs
		next       http.Handler // default okHandler
		wantStatus int
		wantNext   bool
		want       map[string]string
	}{
		// Actual requests.
		{"no Origin: not CORS, but Vary: Origin", base, "GET", nil, nil, 200, true, refused},
		{"exact origin reflected with credentials", base, "GET", hdrs{"Origin": {"https://pos.chainsync.example"}}, nil, 200, true, allowed("https://pos.chainsync.example")},
		{"loopback http origin allowed", base, "POST", hdrs{"Origin": {"http://localhost:3000"}}, nil, 200, true, allowed("http://localhost:3000")},
		{"disallowed origin: served without CORS headers", base, "GET", hdrs{"Origin": {"https://evil.example"}}, nil, 200, true, refused},
		{"wildcard matches a subdomain", base, "GET", hdrs{"Origin": {"https://store-12.shops.chainsync.example"}}, nil, 200, true, allowed("https://store-12.shops.chainsync.example")},
		{"wildcard matches a deeper subdomain", base, "GET", hdrs{"Origin": {"https://a.b.shops.chainsync.example"}}, nil, 200, true, allowed("https://a.b.shops.chainsync.example")},
		{"wildcard does not match a lookalike", base, "GET", hdrs{"Origin": {"https://evil-shops.chainsync.example"}}, nil, 200, true, refused},
		{"wildcard does not match the apex", base, "GET", hdrs{"Origin": {"https://shops.chainsync.example"}}, nil, 200, true, refused},
		{"wildcard does not match another scheme", base, "GET", hdrs{"Origin": {"http://a.shops.chainsync.example"}}, nil, 200, true, refused},
		{"wildcard does not match another port", base, "GET", hdrs{"Origin": {"https://a.shops.chainsync.example:8443"}}, nil, 200, true, refused},
		{"wildcard does not match a suffix attack", base, "GET", hdrs{"Origin": {"https://a.shops.chainsync.example.evil.example"}}, nil, 200, true, refused},
		{"wildcard does not match userinfo", base, "GET", hdrs{"Origin": {"https://evil.example@a.shops.chainsync.example"}}, nil, 200, true, refused},
		{"wildcard does not match an empty label", base, "GET", hdrs{"Origin": {"https://.shops.chainsync.example"}}, nil, 200, true, refused},
		{"origins compare exactly (browsers send lowercase)", base, "GET", hdrs{"Origin": {"HTTPS://POS.CHAINSYNC.EXAMPLE"}}, nil, 200, true, refused},
		{"a default port is never sent, so never matches", base, "GET", hdrs{"Origin": {"https://pos.chainsync.example:443"}}, nil, 200, true, refused},
		{"wildcard matches a punycode (IDN) label", base, "GET", hdrs{"Origin": {"https://xn--bcher-kva.shops.chainsync.example"}}, nil, 200, true, allowed("https://xn--bcher-kva.shops.chainsync.example")},
		{"wildcard does not match a Unicode label (browsers send punycode)", base, "GET", hdrs{"Origin": {"https://b\u00fccher.shops.chainsync.example"}}, nil, 200, true, refused},
		{"wildcard does not match a trailing dot (another origin)", base, "GET", hdrs{"Origin": {"https://a.shops.chainsync.example."}}, nil, 200, true, refused},
		{"exact origin does not match a trailing dot", base, "GET", hdrs{"Origin": {"https://pos.chainsync.example."}}, nil, 200, true, refused},
		{"wildcard does not match an uppercase label", base, "GET", hdrs{"Origin": {"https://A.shops.chainsync.example"}}, nil, 200, true, refused},
		{"wildcard does not match a default port", base, "GET", hdrs{"Origin": {"https://a.shops.chainsync.example:443"}}, nil, 200, true, refused},
		{"exact origin does not match userinfo", base, "GET", hdrs{"Origin": {"https://u@pos.chainsync.example"}}, nil, 200, true, refused},
		{"wildcard does not match a path", base, "GET", hdrs{"Origin": {"https://a.shops.chainsync.example/"}}, nil, 200, true, refused},
		{"several Origin lines refused", base, "GET", hdrs{"Origin": {"https://pos.chainsync.example", "https://evil.example"}}, nil, 200, true, refused},
		{"null origin refused by default", base, "POST", hdrs{"Origin": {"null"}}, nil, 200, true, refused},
		{"null origin with the dangerous opt-in", with(func(o *secure.CORSOptions) {
			o.AllowedOrigins = append(o.AllowedOrigins, "null")
			o.DangerouslyAllowNullOrigin = true
		}), "POST", hdrs{"Origin": {"null"}}, nil, 200, true, allowed("null")},
		{"rejection inside CORS keeps CORS headers", base, "GET", hdrs{"Origin": {"https://pos.chainsync.example"}},
			http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusUnauthorized) }), 401, true, allowed("https://pos.chainsync.example")},
		{"any origin: * without credentials and without Vary", secure.CORSOptions{AllowedOrigins: []string{"*"}}, "GET", hdrs{"Origin": {"https://anyone.example"}}, nil, 200, true,
			map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": absent, "Vary": absent}},
		{"any origin: * also without Origin, so caches need no Vary", secure.CORSOptions{AllowedOrigins: []string{"*"}, ExposedHeaders: []string{"X-Request-ID"}}, "GET", nil, nil, 200, true,
			map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "X-Request-ID", "Vary": absent}},
		{"zero options: nothing allowed", secure.CORSOptions{}, "GET", hdrs{"Origin": {"https://pos.chainsync.example"}}, nil, 200, true,
			map[string]string{"Access-Control-Allow-Origin": absent, "Vary": "Origin"}},
		{"OPTIONS without Access-Control-Request-Method is not a preflight", base, "OPTIONS", hdrs{"Origin": {"https://pos.chainsync.example"}}, nil, 200, true, allowed("https://pos.chainsync.example")},

		// Preflights.
		{"preflight answered 204 here, never passed on", base, "OPTIONS", pre("https://pos.chainsync.example", "PUT", "content-type,x-csrf-token"),
			http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "authentication required", http.StatusUnauthorized)
			}), 204, false, preflightOK("https://pos.chainsync.example")},
		{"preflight from a wildcard origin", base, "OPTIONS", pre("https://s1.shops.chainsync.example", "DELETE"), nil, 204, false,
			map[string]string{"Access-Control-Allow-Origin": "https://s1.shops.chainsync.example", "Access-Control-Allow-Headers": absent}},
		{"preflight header names case-insensitive", base, "OPTIONS", pre("https://pos.chainsync.example", "POST", "Authorization, CONTENT-TYPE"), nil, 204, false, preflightOK("https://pos.chainsync.example")},
		{"preflight with several Access-Control-Request-Headers lines", base, "OPTIONS", pre("https://pos.chainsync.example", "PATCH", "content-type", "x-csrf-token,\tauthorization"), nil, 204, false, preflightOK("https://pos.chainsync.example")},
		{"preflight empty list members ignored", base, "OPTIONS", pre("https://pos.chainsync.example", "PATCH", "content-type,, ", ""), nil, 204, false, preflightOK("https://pos.chainsync.example")},
		{"preflight safelisted method always allowed", with(func(o *secure.CORSOptions) { o.AllowedMethods = []string{"PUT"} }),
			"OPTIONS", pre("https://pos.chainsync.example", "HEAD"), nil, 204, false, map[string]string{"Access-Control-Allow-Methods": "PUT"}},
		{"preflight method compared case-sensitively", base, "OPTIONS", pre("https://pos.chainsync.example", "patch"), nil, 403, false, preflightRefused},
		{"preflight method not allowed", base, "OPTIONS", pre("https://pos.chainsync.example", "PROPFIND"), nil, 403, false, preflightRefused},
		{"preflight header names fold ASCII only", base, "OPTIONS", pre("https://pos.chainsync.example", "POST", "x-csrf-to\u212aen"), nil, 403, false, preflightRefused},
		{"preflight header not allowed", base, "OPTIONS", pre("https://pos.chainsync.example", "POST", "content-type,x-evil"), nil, 403, false, preflightRefused},
		{"preflight from a disallowed origin", base, "OPTIONS", pre("https://evil.example", "POST"), nil, 403, false, preflightRefused},
		{"preflight from a lookalike of the wildcard", base, "OPTIONS", pre("https://evil-shops.chainsync.example", "POST"), nil, 403, false, preflightRefused},
		{"OPTIONS with Access-Control-Request-Method but no Origin is not a preflight", base, "OPTIONS", hdrs{"Access-Control-Request-Method": {"PUT"}}, nil, 200, true, refused},
		{"preflight with an empty Access-Control-Request-Method", base, "OPTIONS", pre("https://pos.chainsync.example", ""), nil, 403, false, preflightRefused},
		{"preflight with two Access-Control-Request-Method lines", base, "OPTIONS", hdrs{"Origin": {"https://pos.chainsync.example"}, "Access-Control-Request-Method": {"PUT", "DELETE"}}, nil, 403, false, preflightRefused},
		{"preflight for safelisted headers lists none and needs no AllowedHeaders", secure.CORSOptions{AllowedOrigins: []string{"https://pos.chainsync.example"}, AllowedMethods: []string{"PUT"}},
			"OPTIONS", pre("https://pos.chainsync.example", "PUT"), nil, 204, false, map[string]string{"Access-Control-Allow-Headers": absent, "Access-Control-Allow-Methods": "PUT"}},
		{"preflight: content-type with a non-safelisted value must be allowed", secure.CORSOptions{AllowedOrigins: []string{"https://pos.chainsync.example"}},
			"OPTIONS", pre("https://pos.chainsync.example", "POST", "content-type"), nil, 403, false, preflightRefused},
		{"preflight Max-Age capped at 86400", with(func(o *secure.CORSOptions) { o.MaxAge = 72 * time.Hour }),
			"OPTIONS", pre("https://pos.chainsync.example", "PUT"), nil, 204, false, map[string]string{"Access-Control-Max-Age": "86400"}},
		{"preflight caching disabled explicitly", with(func(o *secure.CORSOptions) { o.DisablePreflightCache = true }),
			"OPTIONS", pre("https://pos.chainsync.example", "PUT"), nil, 204, false, map[string]string{"Access-Control-Max-Age": "0"}},
		{"preflight with any origin", secure.CORSOptions{AllowedOrigins: []string{"*"}, AllowedHeaders: []string{"Content-Type"}},
			"OPTIONS", pre("https://anyone.example", "POST", "content-type"), nil, 204, false,
			map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": absent, "Access-Control-Allow-Headers": "Content-Type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := secure.NewCORS(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			called := false
			next := tt.next
			if next == nil {
				next = okHandler
			}
			h := c.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called = true; next.ServeHTTP(w, r) }))
			req := httptest.NewRequest(tt.method, "https://api.chainsync.example/transactions", nil)
			for k, vs := range tt.headers {
				req.Header[k] = vs
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus || called != tt.wantNext {
				t.Fatalf("status %d next called %v; want %d %v", rec.Code, called, tt.wantStatus, tt.wantNext)
			}
			for k, want := range tt.want {
				vs, ok := rec.Header()[http.CanonicalHeaderKey(k)]
				switch {
				case want == absent && ok:
					t.Errorf("%s = %q; want absent", k, vs)
				case want != absent && strings.Join(vs, ", ") != want:
					t.Errorf("%s = %q; want %q", k, vs, want)
				}
			}
		})
	}
}

// Every response that depends on the origin carries Vary: Origin, whatever
// the handler inside answers: errors, 304 Not Modified, range errors from
// http.ServeContent; and an allowed origin keeps its CORS headers on all of
// them.
func TestCORSVaryOnEveryResponse(t *testing.T) {
	modified := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	content := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "receipt.txt", modified, strings.NewReader("receipt 42"))
	})
	handlers := []struct {
		name   string
		h      http.Handler
		header map[string]string
		status int
	}{
		{"500 from http.Error", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) }), nil, 500},
		{"429 with headers set by the handler", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusTooManyRequests)
		}), nil, 429},
		{"304 from http.ServeContent", content, map[string]string{"If-Modified-Since": modified.Format(http.TimeFormat)}, 304},
		{"416 from http.ServeContent", content, map[string]string{"Range": "bytes=100-200"}, 416},
		{"200 from http.ServeContent", content, nil, 200},
	}
	c := secure.MustCORS(chainsyncCORS())
	for _, hh := range handlers {
		for _, origin := range []string{"", "https://pos.chainsync.example", "https://s1.shops.chainsync.example", "https://evil.example"} {
			t.Run(hh.name+"/origin="+origin, func(t *testing.T) {
				req := httptest.NewRequest("GET", "https://api.chainsync.example/receipt", nil)
				if origin != "" {
					req.Header.Set("Origin", origin)
				}
				for k, v := range hh.header {
					req.Header.Set(k, v)
				}
				rec := httptest.NewRecorder()
				c.Handler(hh.h).ServeHTTP(rec, req)
				if rec.Code != hh.status {
					t.Fatalf("status %d, want %d", rec.Code, hh.status)
				}
				if got := rec.Header().Values("Vary"); len(got) != 1 || got[0] != "Origin" {
					t.Fatalf("Vary = %q", got)
				}
				wantACAO := ""
				if c.OriginAllowed(origin) {
					wantACAO = origin
				}
				if got := rec.Header().Get("Access-Control-Allow-Origin"); got != wantACAO {
					t.Fatalf("Access-Control-Allow-Origin = %q, want %q", got, wantACAO)
				}
				if wantACAO != "" && rec.Header().Get("Access-Control-Allow-Credentials") != "true" {
					t.Fatal("credentials header lost")
				}
			})
		}
	}
}

func TestCORSVaryAppended(t *testing.T) {
	c := secure.MustCORS(chainsyncCORS())
	outer := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Add("Vary", "Accept-Encoding")
			next.ServeHTTP(w, r)
		})
	}
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Header().Add("Vary", "Accept-Language") })
	for i := 0; i < 2; i++ { // the shared value is not changed by the handler's Add
		rec := httptest.NewRecorder()
		outer(c.Handler(inner)).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if got := strings.Join(rec.Header()["Vary"], ", "); got != "Accept-Encoding, Origin, Accept-Language" {
			t.Fatalf("Vary = %q", got)
		}
	}
}

// An outer middleware may put one shared Vary slice with spare capacity on
// every response; appending Origin must not write into it, or responses
// would change each other's Vary (and race).
func TestCORSVaryDoesNotWriteIntoSharedSlice(t *testing.T) {
	shared := make([]string, 1, 4)
	shared[0] = "Accept-Encoding"
	c := secure.MustCORS(chainsyncCORS())
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Vary"] = shared
		c.Handler(okHandler).ServeHTTP(w, r)
	})
	actual := httptest.NewRecorder()
	h.ServeHTTP(actual, httptest.NewRequest("GET", "/", nil))
	pre := httptest.NewRequest("OPTIONS", "/", nil)
	pre.Header.Set("Origin", "https://pos.chainsync.example")
	pre.Header.Set("Access-Control-Request-Method", "PUT")
	h.ServeHTTP(httptest.NewRecorder(), pre)
	if got := strings.Join(actual.Header()["Vary"], ", "); got != "Accept-Encoding, Origin" {
		t.Fatalf("Vary of the first response became %q", got)
	}
	if len(shared) != 1 || shared[:2][1] != "" {
		t.Fatalf("shared slice written: %q", shared[:2])
	}
}

func TestCORSErrorHandler(t *testing.T) {
	var got []error
	o := chainsyncCORS()
	o.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		got = append(got, err)
		w.WriteHeader(http.StatusForbidden)
	}
	h := secure.MustCORS(o).Handler(okHandler)
	for _, hd := range []map[string]string{
		{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
		{"Origin": "https://pos.chainsync.example", "Access-Control-Request-Method": "TRACE"},
		{"Origin": "https://pos.chainsync.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-evil"},
		{"Origin": "https://pos.chainsync.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": strings.Repeat("content-type,", 100)},
	} {
		req := httptest.NewRequest("OPTIONS", "/", nil)
		for k, v := range hd {
			req.Header.Set(k, v)
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	want := []error{secure.ErrOriginNotAllowed, secure.ErrMethodNotAllowed, secure.ErrHeaderNotAllowed, secure.ErrHeaderNotAllowed}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if !errors.Is(got[i], want[i]) {
			t.Errorf("call %d: %v, want %v", i, got[i], want[i])
		}
	}
}

func TestCORSOriginAllowed(t *testing.T) {
	c := secure.MustCORS(chainsyncCORS())
	for origin, want := range map[string]bool{
		"https://pos.chainsync.example":      true,
		"https://x.shops.chainsync.example":  true,
		"https://x-shops.chainsync.example":  false,
		"http://localhost:3000":              true,
		"http://localhost:3001":              false,
		"null":                               false,
		"":                                   false,
		"https://pos.chainsync.example/path": false,
	} {
		if got := c.OriginAllowed(origin); got != want {
			t.Errorf("OriginAllowed(%q) = %v", origin, got)
		}
	}
}

func TestNewCORSErrors(t *testing.T) {
	tests := []struct {
		name    string
		opts    secure.CORSOptions
		wantErr string
	}{
		{"credentials with *", secure.CORSOptions{AllowedOrigins: []string{"*"}, AllowCredentials: true}, "AllowCredentials cannot be combined"},
		{"* with other origins", secure.CORSOptions{AllowedOrigins: []string{"*", "https://a.example"}}, "list no other"},
		{"null without opt-in", secure.CORSOptions{AllowedOrigins: []string{"null"}}, "DangerouslyAllowNullOrigin"},
		{"insecure origin without opt-in", secure.CORSOptions{AllowedOrigins: []string{"http://pos.chainsync.example"}}, "DangerouslyAllowInsecureOrigins"},
		{"insecure wildcard without opt-in", secure.CORSOptions{AllowedOrigins: []string{"http://*.chainsync.example"}}, "DangerouslyAllowInsecureOrigins"},
		{"trailing slash", secure.CORSOptions{AllowedOrigins: []string{"https://a.example/"}}, "no path"},
		{"path", secure.CORSOptions{AllowedOrigins: []string{"https://a.example/app"}}, "no path"},
		{"no scheme", secure.CORSOptions{AllowedOrigins: []string{"a.example"}}, "scheme://host"},
		{"userinfo", secure.CORSOptions{AllowedOrigins: []string{"https://u:p@a.example"}}, "user info"},
		{"bad port", secure.CORSOptions{AllowedOrigins: []string{"https://a.example:0"}}, "port"},
		{"wildcard in the middle", secure.CORSOptions{AllowedOrigins: []string{"https://a.*.example"}}, "leftmost label"},
		{"partial wildcard", secure.CORSOptions{AllowedOrigins: []string{"https://*a.example"}}, "leftmost label"},
		{"wildcard over a TLD", secure.CORSOptions{AllowedOrigins: []string{"https://*.com"}}, "registrable domain"},
		{"wildcard over an IP", secure.CORSOptions{AllowedOrigins: []string{"https://*.10.0.0.1"}}, "IP address"},
		{"numeric last label", secure.CORSOptions{AllowedOrigins: []string{"https://*.0.0.1"}}, "invalid host"},
		{"bare wildcard host", secure.CORSOptions{AllowedOrigins: []string{"https://*"}}, "leftmost label"},
		{"bad host", secure.CORSOptions{AllowedOrigins: []string{"https://a_b.example"}}, "invalid host"},
		{"bad method", secure.CORSOptions{AllowedMethods: []string{"GET POST"}}, "invalid method"},
		{"lowercase standard method (browsers send it uppercase)", secure.CORSOptions{AllowedMethods: []string{"GET", "delete"}}, `"DELETE"`},
		{"Unicode host (browsers send punycode)", secure.CORSOptions{AllowedOrigins: []string{"https://b\u00fccher.example"}}, "xn--"},
		{"Unicode wildcard host", secure.CORSOptions{AllowedOrigins: []string{"https://*.b\u00fccher.example"}}, "xn--"},
		{"trailing dot", secure.CORSOptions{AllowedOrigins: []string{"https://pos.chainsync.example."}}, "trailing dot"},
		{"wildcard with a trailing dot", secure.CORSOptions{AllowedOrigins: []string{"https://*.chainsync.example."}}, "trailing dot"},
		{"method *", secure.CORSOptions{AllowedMethods: []string{"*"}}, "list the allowed methods"},
		{"header *", secure.CORSOptions{AllowedHeaders: []string{"*"}}, "list the allowed headers"},
		{"bad header", secure.CORSOptions{AllowedHeaders: []string{"X Bad"}}, "invalid header"},
		{"expose * with credentials", secure.CORSOptions{AllowedOrigins: []string{"https://a.example"}, AllowCredentials: true, ExposedHeaders: []string{"*"}}, "ExposedHeaders"},
		{"bad exposed header", secure.CORSOptions{ExposedHeaders: []string{"a:b"}}, "invalid exposed"},
		{"negative max age", secure.CORSOptions{MaxAge: -time.Second}, "DisablePreflightCache"},
		{"sub-second max age", secure.CORSOptions{MaxAge: time.Millisecond}, "below one second"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := secure.NewCORS(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, secure.ErrInvalidOptions) {
				t.Fatalf("err %v; want ErrInvalidOptions containing %q", err, tt.wantErr)
			}
		})
	}
	// Insecure origins are accepted with the explicit opt-in, and IPv6
	// loopback and default ports are normalized.
	c, err := secure.NewCORS(secure.CORSOptions{
		AllowedOrigins: []string{"http://pos.chainsync.example", "http://[::1]:3000", "HTTPS://Shop.Example:443",
			"HTTPS://*.Stores.ChainSync.Example:443", "https://*.tills.chainsync.example:8443", "https://xn--bcher-kva.example"},
		AllowedMethods:                  []string{"patch"}, // not normalized by browsers, so sent as written
		DangerouslyAllowInsecureOrigins: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []string{"http://pos.chainsync.example", "http://[::1]:3000", "https://shop.example",
		"https://a.stores.chainsync.example", "https://a.tills.chainsync.example:8443", "https://xn--bcher-kva.example"} {
		if !c.OriginAllowed(o) {
			t.Errorf("%s not allowed", o)
		}
	}
	for _, o := range []string{"https://a.stores.chainsync.example:443", "https://a.tills.chainsync.example"} {
		if c.OriginAllowed(o) {
			t.Errorf("%s allowed", o)
		}
	}
	defer func() {
		if recover() == nil {
			t.Fatal("MustCORS did not panic")
		}
	}()
	secure.MustCORS(secure.CORSOptions{AllowedOrigins: []string{"*"}, AllowCredentials: true})
}

// FuzzPreflight sends arbitrary Access-Control-Request-Method and
// Access-Control-Request-Headers values: the answer is 204 exactly when the
// method is allowed and every listed name is, and never anything but 204 or
// 403.
func FuzzPreflight(f *testing.F) {
	f.Add("PUT", "content-type,x-csrf-token", "authorization")
	f.Add("patch", "", "")
	f.Add("POST", "Content-Type, , X-Evil", "")
	f.Add("DELETE", ",,,", "\t")
	f.Add("GET", strings.Repeat("authorization,", 70), "")
	c := secure.MustCORS(chainsyncCORS())
	h := c.Handler(okHandler)
	allowedMethod := map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "DELETE": true, "PATCH": true}
	allowedHeader := map[string]bool{"content-type": true, "authorization": true, "x-csrf-token": true}
	f.Fuzz(func(t *testing.T, method, line1, line2 string) {
		req := httptest.NewRequest("OPTIONS", "/", nil)
		req.Header["Origin"] = []string{"https://pos.chainsync.example"}
		req.Header["Access-Control-Request-Method"] = []string{method}
		var lines []string
		for _, l := range []string{line1, line2} {
			if l != "" {
				lines = append(lines, l)
			}
		}
		if lines != nil {
			req.Header["Access-Control-Request-Headers"] = lines
		}
		want := allowedMethod[method]
		n := 0
		for _, l := range lines {
			for _, name := range strings.Split(l, ",") {
				if name = strings.Trim(name, " \t"); name == "" {
					continue
				}
				n++
				if !allowedHeader[asciiLower(name)] {
					want = false
				}
			}
		}
		if n > 64 {
			want = false
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if (rec.Code == 204) != want || (rec.Code != 204 && rec.Code != 403) {
			t.Fatalf("method %q headers %q: status %d, want allowed=%v", method, lines, rec.Code, want)
		}
	})
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
