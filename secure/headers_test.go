package secure_test

import (
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chainsync/middleware/secure"
)

const absent = "<absent>"

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte("ok"))
})

// apiDefaults are the headers of the zero HeadersOptions over plain HTTP.
var apiDefaults = map[string]string{
	"Content-Security-Policy":           "default-src 'none'; frame-ancestors 'none'",
	"Strict-Transport-Security":         absent,
	"Cross-Origin-Opener-Policy":        "same-origin",
	"Cross-Origin-Resource-Policy":      "same-origin",
	"Cross-Origin-Embedder-Policy":      absent,
	"Origin-Agent-Cluster":              "?1",
	"Permissions-Policy":                "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), hid=(), magnetometer=(), microphone=(), midi=(), payment=(), serial=(), usb=()",
	"Referrer-Policy":                   "no-referrer",
	"X-Content-Type-Options":            "nosniff",
	"X-DNS-Prefetch-Control":            "off",
	"X-Download-Options":                "noopen",
	"X-Frame-Options":                   "DENY",
	"X-Permitted-Cross-Domain-Policies": "none",
	"X-XSS-Protection":                  "0",
}

func proxies(s ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range s {
		out = append(out, netip.MustParsePrefix(p))
	}
	return out
}

func TestHeadersSpec(t *testing.T) {
	tlsReq := func(r *http.Request) { r.TLS = &tls.ConnectionState{} }
	tests := []struct {
		name       string
		opts       secure.HeadersOptions
		req        func(*http.Request)
		wantStatus int
		want       map[string]string
	}{
		{"zero options are the API preset", secure.HeadersOptions{}, nil, 200, apiDefaults},
		{"API preset equals zero options", secure.APIHeaders(), nil, 200, apiDefaults},
		{"web page preset CSP", secure.WebPageHeaders(), nil, 200, map[string]string{
			"Content-Security-Policy": "default-src 'self'; base-uri 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self'; upgrade-insecure-requests",
			"X-Frame-Options":         "DENY"}},
		{"HSTS on a TLS connection", secure.HeadersOptions{}, tlsReq, 200, map[string]string{
			"Strict-Transport-Security": "max-age=31536000; includeSubDomains"}},
		{"no HSTS over plain HTTP", secure.HeadersOptions{}, nil, 200, map[string]string{"Strict-Transport-Security": absent}},
		{"X-Forwarded-Proto from an untrusted peer ignored", secure.HeadersOptions{TrustedProxies: proxies("10.0.0.0/8")},
			func(r *http.Request) { r.RemoteAddr = "203.0.113.9:4000"; r.Header.Set("X-Forwarded-Proto", "https") }, 200,
			map[string]string{"Strict-Transport-Security": absent}},
		{"X-Forwarded-Proto without trusted proxies ignored", secure.HeadersOptions{},
			func(r *http.Request) { r.RemoteAddr = "10.0.0.1:4000"; r.Header.Set("X-Forwarded-Proto", "https") }, 200,
			map[string]string{"Strict-Transport-Security": absent}},
		{"HSTS when a trusted proxy saw HTTPS", secure.HeadersOptions{TrustedProxies: proxies("10.0.0.0/8")},
			func(r *http.Request) { r.RemoteAddr = "10.0.0.1:4000"; r.Header.Set("X-Forwarded-Proto", "https") }, 200,
			map[string]string{"Strict-Transport-Security": "max-age=31536000; includeSubDomains"}},
		{"HSTS via Forwarded proto=https", secure.HeadersOptions{TrustedProxies: proxies("10.0.0.0/8")},
			func(r *http.Request) {
				r.RemoteAddr = "10.0.0.1:4000"
				r.Header.Set("Forwarded", "for=198.51.100.1;proto=https")
			}, 200,
			map[string]string{"Strict-Transport-Security": "max-age=31536000; includeSubDomains"}},
		{"no HSTS when the trusted proxy saw HTTP", secure.HeadersOptions{TrustedProxies: proxies("10.0.0.0/8")},
			func(r *http.Request) { r.RemoteAddr = "10.0.0.1:4000"; r.Header.Set("X-Forwarded-Proto", "http") }, 200,
			map[string]string{"Strict-Transport-Security": absent}},
		{"HSTS preload opt-in", secure.HeadersOptions{HSTSPreload: true, HSTSMaxAge: 2 * 365 * 24 * time.Hour}, tlsReq, 200,
			map[string]string{"Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload"}},
		{"HSTS without subdomains", secure.HeadersOptions{HSTSExcludeSubDomains: true, HSTSMaxAge: time.Hour}, tlsReq, 200,
			map[string]string{"Strict-Transport-Security": "max-age=3600"}},
		{"DisableHSTS", secure.HeadersOptions{DisableHSTS: true}, tlsReq, 200, map[string]string{"Strict-Transport-Security": absent}},
		{"DisableCSP", secure.HeadersOptions{DisableCSP: true}, nil, 200, map[string]string{"Content-Security-Policy": absent, "X-Frame-Options": "DENY"}},
		{"report-only mode", secure.HeadersOptions{CSP: secure.WebPolicy().ReportTo("csp"), CSPReportOnly: true,
			ReportingEndpoints: map[string]string{"csp": "https://reports.chainsync.example/csp", "default": "/reports"}}, nil, 200,
			map[string]string{
				"Content-Security-Policy":             absent,
				"Content-Security-Policy-Report-Only": secure.WebPolicy().ReportTo("csp").String(),
				"Reporting-Endpoints":                 `csp="https://reports.chainsync.example/csp", default="/reports"`,
			}},
		{"enforced and report-only side by side", secure.HeadersOptions{ReportOnlyCSP: secure.WebPolicy().Set(secure.ImgSrc, secure.Self).ReportURI("/csp")}, nil, 200,
			map[string]string{
				"Content-Security-Policy":             "default-src 'none'; frame-ancestors 'none'",
				"Content-Security-Policy-Report-Only": secure.WebPolicy().Set(secure.ImgSrc, secure.Self).ReportURI("/csp").String(),
			}},
		{"SAMEORIGIN framing adds frame-ancestors 'self'", secure.HeadersOptions{FrameOptions: "SAMEORIGIN", CSP: secure.CSP{}.Set(secure.DefaultSrc, secure.Self)}, nil, 200,
			map[string]string{"X-Frame-Options": "SAMEORIGIN", "Content-Security-Policy": "default-src 'self'; frame-ancestors 'self'"}},
		{"explicit frame-ancestors kept", secure.HeadersOptions{CSP: secure.CSP{}.Set(secure.FrameAncestors, "https://pos.chainsync.example")}, nil, 200,
			map[string]string{"Content-Security-Policy": "frame-ancestors https://pos.chainsync.example"}},
		{"COEP opt-in", secure.HeadersOptions{CrossOriginEmbedderPolicy: "require-corp"}, nil, 200, map[string]string{"Cross-Origin-Embedder-Policy": "require-corp"}},
		{"other values", secure.HeadersOptions{ReferrerPolicy: "no-referrer, strict-origin-when-cross-origin", CrossOriginOpenerPolicy: "same-origin-allow-popups", CrossOriginResourcePolicy: "same-site"}, nil, 200,
			map[string]string{"Referrer-Policy": "no-referrer, strict-origin-when-cross-origin", "Cross-Origin-Opener-Policy": "same-origin-allow-popups", "Cross-Origin-Resource-Policy": "same-site"}},
		{"permissions policy builder", secure.HeadersOptions{PermissionsPolicy: secure.PermissionsPolicy{}.Deny("camera").Allow("payment", secure.AllowSelf, "https://pay.chainsync.example").Allow("fullscreen", secure.AllowAll)}, nil, 200,
			map[string]string{"Permissions-Policy": `camera=(), payment=(self "https://pay.chainsync.example"), fullscreen=*`}},
		{"Omit", secure.HeadersOptions{Omit: []string{"x-download-options", "X-XSS-Protection"}}, nil, 200,
			map[string]string{"X-Download-Options": absent, "X-XSS-Protection": absent, "X-Content-Type-Options": "nosniff"}},
		{"allowed host", secure.HeadersOptions{AllowedHosts: []string{"api.chainsync.example"}},
			func(r *http.Request) { r.Host = "API.chainsync.example:8443" }, 200, nil},
		{"allowed host with port must match the port", secure.HeadersOptions{AllowedHosts: []string{"api.chainsync.example:8443"}},
			func(r *http.Request) { r.Host = "api.chainsync.example:9999" }, 400, map[string]string{"Content-Type": "application/problem+json", "X-Frame-Options": "DENY"}},
		{"Host with a port that is not a number gets 400", secure.HeadersOptions{AllowedHosts: []string{"api.chainsync.example"}},
			func(r *http.Request) { r.Host = "api.chainsync.example:]0" }, 400, map[string]string{"Content-Type": "application/problem+json"}},
		{"unknown host gets 400, not 500", secure.HeadersOptions{AllowedHosts: []string{"api.chainsync.example"}},
			func(r *http.Request) { r.Host = "evil.example" }, 400, map[string]string{"Content-Type": "application/problem+json"}},
		{"redirect HTTP to HTTPS with 308", secure.HeadersOptions{RedirectHTTPS: true},
			func(r *http.Request) { r.Host = "api.chainsync.example:8080"; r.URL.RawQuery = "a=1&b=2" }, 308,
			map[string]string{"Location": "https://api.chainsync.example/path?a=1&b=2", "Strict-Transport-Security": absent}},
		{"redirect to a custom port", secure.HeadersOptions{RedirectHTTPS: true, HTTPSPort: 8443},
			func(r *http.Request) { r.Host = "[2001:db8::1]:8080" }, 308, map[string]string{"Location": "https://[2001:db8::1]:8443/path"}},
		{"no redirect over HTTPS", secure.HeadersOptions{RedirectHTTPS: true}, tlsReq, 200,
			map[string]string{"Location": absent, "Strict-Transport-Security": "max-age=31536000; includeSubDomains"}},
		{"no redirect when a trusted proxy saw HTTPS", secure.HeadersOptions{RedirectHTTPS: true, TrustedProxies: proxies("10.0.0.0/8")},
			func(r *http.Request) { r.RemoteAddr = "10.0.0.1:4000"; r.Header.Set("X-Forwarded-Proto", "https") }, 200,
			map[string]string{"Location": absent, "Strict-Transport-Security": "max-age=31536000; includeSubDomains"}},
		{"redirect when an untrusted peer claims HTTPS", secure.HeadersOptions{RedirectHTTPS: true, TrustedProxies: proxies("10.0.0.0/8")},
			func(r *http.Request) { r.RemoteAddr = "203.0.113.9:4000"; r.Header.Set("X-Forwarded-Proto", "https") }, 308,
			map[string]string{"Location": "https://api.chainsync.example/path"}},
		{"redirect of OPTIONS * goes to the root", secure.HeadersOptions{RedirectHTTPS: true},
			func(r *http.Request) { r.Method = "OPTIONS"; r.URL.Path = "*"; r.RequestURI = "*" }, 308,
			map[string]string{"Location": "https://api.chainsync.example/"}},
		{"host checked before redirect", secure.HeadersOptions{RedirectHTTPS: true, AllowedHosts: []string{"api.chainsync.example"}},
			func(r *http.Request) { r.Host = "evil.example" }, 400, map[string]string{"Location": absent}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := secure.NewHeaders(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest("GET", "http://api.chainsync.example/path", nil)
			if tt.req != nil {
				tt.req(req)
			}
			rec := httptest.NewRecorder()
			h.Handler(okHandler).ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			for k, want := range tt.want {
				vs, ok := rec.Header()[http.CanonicalHeaderKey(k)]
				switch {
				case want == absent && ok:
					t.Errorf("%s = %q; want absent", k, vs)
				case want != absent && (len(vs) != 1 || vs[0] != want):
					t.Errorf("%s = %q; want %q", k, vs, want)
				}
			}
		})
	}
}

func TestHeadersNonce(t *testing.T) {
	h := secure.MustHeaders(secure.HeadersOptions{CSP: secure.WebPolicy().
		Set(secure.ScriptSrc, secure.RequestNonce, secure.StrictDynamic).
		Set(secure.StyleSrc, secure.Self, secure.RequestNonce)})
	var seen []string
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, secure.Nonce(r.Context()))
	})
	re := regexp.MustCompile(`script-src 'nonce-([A-Za-z0-9_-]{22})' 'strict-dynamic'; script-src-attr 'none'; style-src 'self' 'nonce-([A-Za-z0-9_-]{22})'`)
	for i := 0; i < 2; i++ {
		rec := httptest.NewRecorder()
		h.Handler(next).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		m := re.FindStringSubmatch(rec.Header().Get("Content-Security-Policy"))
		if m == nil {
			t.Fatalf("CSP %q has no nonce", rec.Header().Get("Content-Security-Policy"))
		}
		if m[1] != seen[i] || m[2] != seen[i] {
			t.Fatalf("header nonces %q %q, Nonce(ctx) %q", m[1], m[2], seen[i])
		}
		if raw, err := base64.RawURLEncoding.DecodeString(seen[i]); err != nil || len(raw) != 16 {
			t.Fatalf("nonce %q is not 128 bits of base64url (%v)", seen[i], err)
		}
	}
	if seen[0] == seen[1] {
		t.Fatal("the same nonce on two requests")
	}
	if got := secure.Nonce(httptest.NewRequest("GET", "/", nil).Context()); got != "" {
		t.Fatalf("Nonce outside the middleware = %q", got)
	}
}

func TestHeadersErrorHandler(t *testing.T) {
	var got error
	h := secure.MustHeaders(secure.HeadersOptions{
		AllowedHosts: []string{"api.chainsync.example"},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) { got = err; w.WriteHeader(421) },
	})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "http://other.example/", nil)
	h.Handler(okHandler).ServeHTTP(rec, req)
	if rec.Code != 421 || !errors.Is(got, secure.ErrHostNotAllowed) {
		t.Fatalf("status %d, err %v", rec.Code, got)
	}

	// Default: RFC 9457 problem with the error member.
	rec = httptest.NewRecorder()
	secure.MustHeaders(secure.HeadersOptions{AllowedHosts: []string{"api.chainsync.example"}}).Handler(okHandler).ServeHTTP(rec, req)
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body["status"] != float64(400) || body["error"] != "Host not allowed" {
		t.Fatalf("body %s (%v)", rec.Body, err)
	}
}

func TestNewHeadersErrors(t *testing.T) {
	tests := []struct {
		name    string
		opts    secure.HeadersOptions
		wantErr string
	}{
		{"preload needs a year", secure.HeadersOptions{HSTSPreload: true, HSTSMaxAge: 180 * 24 * time.Hour}, "HSTSPreload requires"},
		{"preload needs subdomains", secure.HeadersOptions{HSTSPreload: true, HSTSExcludeSubDomains: true}, "HSTSPreload requires"},
		{"preload with HSTS disabled", secure.HeadersOptions{HSTSPreload: true, DisableHSTS: true}, "HSTSPreload"},
		{"preload with HSTS omitted", secure.HeadersOptions{HSTSPreload: true, Omit: []string{"Strict-Transport-Security"}}, "HSTSPreload"},
		{"HSTS max-age below a second", secure.HeadersOptions{HSTSMaxAge: time.Millisecond}, "HSTSMaxAge"},
		{"negative HSTS max-age", secure.HeadersOptions{HSTSMaxAge: -time.Hour}, "HSTSMaxAge"},
		{"bad X-Frame-Options", secure.HeadersOptions{FrameOptions: "ALLOW-FROM https://a.example"}, "FrameOptions"},
		{"bad Referrer-Policy", secure.HeadersOptions{ReferrerPolicy: "never"}, "ReferrerPolicy"},
		{"bad COOP", secure.HeadersOptions{CrossOriginOpenerPolicy: "same"}, "CrossOriginOpenerPolicy"},
		{"bad CORP", secure.HeadersOptions{CrossOriginResourcePolicy: "everyone"}, "CrossOriginResourcePolicy"},
		{"bad COEP", secure.HeadersOptions{CrossOriginEmbedderPolicy: "require"}, "CrossOriginEmbedderPolicy"},
		{"bad CSP", secure.HeadersOptions{CSP: secure.CSP{}.Set(secure.DefaultSrc, "self")}, "must be quoted"},
		{"bad report-only CSP", secure.HeadersOptions{ReportOnlyCSP: secure.CSP{}.Set(secure.DefaultSrc, "none")}, "ReportOnlyCSP"},
		{"nonce in report-only CSP", secure.HeadersOptions{ReportOnlyCSP: secure.CSP{}.Set(secure.ScriptSrc, secure.RequestNonce)}, "RequestNonce"},
		{"both report-only fields", secure.HeadersOptions{CSPReportOnly: true, ReportOnlyCSP: secure.APIPolicy()}, "cannot be combined"},
		{"unknown Omit", secure.HeadersOptions{Omit: []string{"Server"}}, "Omit"},
		{"bad permissions feature", secure.HeadersOptions{PermissionsPolicy: secure.PermissionsPolicy{}.Deny("Camera")}, "invalid feature"},
		{"bad permissions origin", secure.HeadersOptions{PermissionsPolicy: secure.PermissionsPolicy{}.Allow("camera", "https://a.example/path")}, "no path"},
		{"star with others", secure.HeadersOptions{PermissionsPolicy: secure.PermissionsPolicy{}.Allow("camera", secure.AllowSelf, secure.AllowAll)}, "only member"},
		{"reporting endpoint injection", secure.HeadersOptions{ReportingEndpoints: map[string]string{"csp": `/x", y="https://evil.example`}}, "ReportingEndpoints"},
		{"insecure reporting endpoint", secure.HeadersOptions{ReportingEndpoints: map[string]string{"csp": "http://reports.chainsync.example/csp"}}, "ReportingEndpoints"},
		{"scheme-relative reporting endpoint", secure.HeadersOptions{ReportingEndpoints: map[string]string{"csp": "//evil.example/csp"}}, "ReportingEndpoints"},
		{"bad reporting endpoint name", secure.HeadersOptions{ReportingEndpoints: map[string]string{"CSP Reports": "/csp"}}, "ReportingEndpoints"},
		{"bad host", secure.HeadersOptions{AllowedHosts: []string{"https://api.example"}}, "AllowedHosts"},
		{"bad HTTPS port", secure.HeadersOptions{HTTPSPort: 70000}, "HTTPSPort"},
		{"bad trusted proxy", secure.HeadersOptions{TrustedProxies: []netip.Prefix{{}}}, "TrustedProxies"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := secure.NewHeaders(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, secure.ErrInvalidOptions) {
				t.Fatalf("err %v; want ErrInvalidOptions containing %q", err, tt.wantErr)
			}
		})
	}
	defer func() {
		if recover() == nil {
			t.Fatal("MustHeaders did not panic")
		}
	}()
	secure.MustHeaders(secure.HeadersOptions{FrameOptions: "x"})
}

// A handler may add to a shared value without changing other responses.
func TestHeadersSharedValuesNotAliased(t *testing.T) {
	h := secure.MustHeaders(secure.HeadersOptions{})
	appending := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("X-Frame-Options", "SAMEORIGIN")
	})
	rec := httptest.NewRecorder()
	h.Handler(appending).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if got := rec.Header()["X-Frame-Options"]; len(got) != 2 {
		t.Fatalf("first response %q", got)
	}
	rec = httptest.NewRecorder()
	h.Handler(okHandler).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if got := rec.Header()["X-Frame-Options"]; len(got) != 1 || got[0] != "DENY" {
		t.Fatalf("second response %q", got)
	}
}

// FuzzAllowedHosts sends arbitrary Host values: only the configured host,
// in any ASCII case, with or without a (numeric) port, is served; everything else is
// 400 problem+json, never a panic or a 5xx.
func FuzzAllowedHosts(f *testing.F) {
	for _, s := range []string{"api.chainsync.example", "API.chainsync.example:8443", "api.chainsync.example.", "evil.example",
		"api.chainsync.example@evil.example", "[::1]:80", "", ":", "api.chainsync.\u212aexample", "api.chainsync.example:"} {
		f.Add(s)
	}
	h := secure.MustHeaders(secure.HeadersOptions{AllowedHosts: []string{"api.chainsync.example"}}).Handler(okHandler)
	f.Fuzz(func(t *testing.T, host string) {
		req := httptest.NewRequest("GET", "/", nil)
		req.Host = host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		name := host
		if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
			name = host[:i]
			if strings.Trim(host[i+1:], "0123456789") != "" {
				name = "" // not a port
			}
		}
		want := 400
		if asciiLower(name) == "api.chainsync.example" {
			want = 200
		}
		if rec.Code != want {
			t.Fatalf("Host %q: status %d, want %d", host, rec.Code, want)
		}
	})
}

// The web-page preset over HTTPS sends every header helmet v8 sends by
// default, each with helmet's value or a stricter one, and a CSP whose
// every helmet directive is present with a subset of helmet's sources.
func TestHelmetV8Parity(t *testing.T) {
	helmet := map[string]string{
		"Content-Security-Policy": "default-src 'self'; base-uri 'self'; font-src 'self' https: data:; form-action 'self'; " +
			"frame-ancestors 'self'; img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; " +
			"style-src 'self' https: 'unsafe-inline'; upgrade-insecure-requests",
		"Cross-Origin-Opener-Policy":        "same-origin",
		"Cross-Origin-Resource-Policy":      "same-origin",
		"Origin-Agent-Cluster":              "?1",
		"Referrer-Policy":                   "no-referrer",
		"Strict-Transport-Security":         "max-age=31536000; includeSubDomains",
		"X-Content-Type-Options":            "nosniff",
		"X-DNS-Prefetch-Control":            "off",
		"X-Download-Options":                "noopen",
		"X-Frame-Options":                   "SAMEORIGIN",
		"X-Permitted-Cross-Domain-Policies": "none",
		"X-XSS-Protection":                  "0",
	}
	stricter := map[string]string{"X-Frame-Options": "DENY"}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "https://pos.chainsync.example/", nil)
	secure.MustHeaders(secure.WebPageHeaders()).Handler(okHandler).ServeHTTP(rec, req)
	for name, want := range helmet {
		t.Run(name, func(t *testing.T) {
			got := rec.Header().Values(name)
			if len(got) != 1 {
				t.Fatalf("%s = %q, want one line", name, got)
			}
			if name != "Content-Security-Policy" {
				if got[0] != want && got[0] != stricter[name] {
					t.Fatalf("%s = %q, want %q", name, got[0], want)
				}
				return
			}
			ours, err := secure.ParseCSP(got[0])
			if err != nil {
				t.Fatal(err)
			}
			theirs, _ := secure.ParseCSP(want)
			for _, d := range theirs.Directives() {
				allowed, _ := theirs.Sources(d)
				mine, ok := ours.Sources(d)
				if !ok {
					t.Fatalf("directive %s missing", d)
				}
				for _, s := range mine {
					if s != secure.None && !slices.Contains(allowed, s) {
						t.Errorf("%s allows %s, which helmet does not", d, s)
					}
				}
			}
		})
	}
}
