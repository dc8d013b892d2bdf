package clientip_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/chainsync/middleware/internal/clientip"
)

func mustResolver(t testing.TB, o clientip.Options) *clientip.Resolver {
	t.Helper()
	r, err := clientip.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func prefixes(t testing.TB, s string) []netip.Prefix {
	t.Helper()
	p, err := clientip.ParsePrefixes(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestClientIP(t *testing.T) {
	trusted := "10.0.0.0/8, 2001:db8:ffff::/48"
	tests := []struct {
		name    string
		trusted string
		header  string
		remote  string
		headers map[string][]string
		want    string
	}{
		{"no proxies: RemoteAddr", "", "", "203.0.113.7:5000", nil, "203.0.113.7"},
		{"no proxies: XFF ignored", "", "", "203.0.113.7:5000", map[string][]string{"X-Forwarded-For": {"1.2.3.4"}}, "203.0.113.7"},
		{"untrusted peer: XFF ignored", trusted, "", "203.0.113.7:5000", map[string][]string{"X-Forwarded-For": {"1.2.3.4"}}, "203.0.113.7"},
		{"trusted peer: rightmost untrusted", trusted, "", "10.0.0.1:80", map[string][]string{"X-Forwarded-For": {"6.6.6.6, 198.51.100.9"}}, "198.51.100.9"},
		{"spoofed leftmost entries are not read", trusted, "", "10.0.0.1:80", map[string][]string{"X-Forwarded-For": {"127.0.0.1, 1.1.1.1, 198.51.100.9, 10.0.0.2"}}, "198.51.100.9"},
		{"several header lines read in order", trusted, "", "10.0.0.1:80", map[string][]string{"X-Forwarded-For": {"198.51.100.9", "10.0.0.3"}}, "198.51.100.9"},
		{"all hops trusted: leftmost", trusted, "", "10.0.0.1:80", map[string][]string{"X-Forwarded-For": {"10.9.9.9, 10.0.0.2"}}, "10.9.9.9"},
		{"garbage entry stops at the trusted hop", trusted, "", "10.0.0.1:80", map[string][]string{"X-Forwarded-For": {"198.51.100.9, garbage"}}, "10.0.0.1"},
		{"entry with port", trusted, "", "10.0.0.1:80", map[string][]string{"X-Forwarded-For": {"198.51.100.9:4711"}}, "198.51.100.9"},
		{"ipv6 entry with port", trusted, "", "10.0.0.1:80", map[string][]string{"X-Forwarded-For": {"[2001:db8::1]:4711"}}, "2001:db8::1"},
		{"mapped peer unmapped", "", "", "[::ffff:203.0.113.7]:5000", nil, "203.0.113.7"},
		{"mapped entry unmapped", trusted, "", "10.0.0.1:80", map[string][]string{"X-Forwarded-For": {"::ffff:198.51.100.9"}}, "198.51.100.9"},
		{"trusted ipv6 proxy", trusted, "", "[2001:db8:ffff::1]:80", map[string][]string{"X-Forwarded-For": {"2001:db8:1::5"}}, "2001:db8:1::5"},
		{"empty entries skipped", trusted, "", "10.0.0.1:80", map[string][]string{"X-Forwarded-For": {"198.51.100.9,, "}}, "198.51.100.9"},
		{"forwarded", trusted, "Forwarded", "10.0.0.1:80", map[string][]string{"Forwarded": {`for=6.6.6.6, for=198.51.100.9;proto=https`}}, "198.51.100.9"},
		{"forwarded quoted ipv6", trusted, "Forwarded", "10.0.0.1:80", map[string][]string{"Forwarded": {`For="[2001:db8:cafe::17]:4711"`}}, "2001:db8:cafe::17"},
		{"forwarded comma in quotes", trusted, "Forwarded", "10.0.0.1:80", map[string][]string{"Forwarded": {`for=198.51.100.9;by="a,b", for=10.0.0.5`}}, "198.51.100.9"},
		{"forwarded unknown stops", trusted, "Forwarded", "10.0.0.1:80", map[string][]string{"Forwarded": {`for=198.51.100.9, for=unknown`}}, "10.0.0.1"},
		{"forwarded mode ignores XFF", trusted, "Forwarded", "10.0.0.1:80", map[string][]string{"X-Forwarded-For": {"6.6.6.6"}}, "10.0.0.1"},
		{"forwarded empty elements ignored", trusted, "Forwarded", "10.0.0.1:80", map[string][]string{"Forwarded": {`for=198.51.100.9, ,`}}, "198.51.100.9"},
		{"forwarded leading empty element ignored", trusted, "Forwarded", "10.0.0.1:80", map[string][]string{"Forwarded": {`for=6.6.6.6`, `, for=10.0.0.7`}}, "6.6.6.6"},
		{"xff: at most MaxHops read", trusted, "", "10.0.0.1:80", map[string][]string{"X-Forwarded-For": {"198.51.100.9, " + longChain(clientip.MaxHops+6, false)}}, "10.0.0.6"},
		{"forwarded: at most MaxHops read", trusted, "Forwarded", "10.0.0.1:80", map[string][]string{"Forwarded": {"for=198.51.100.9, " + longChain(clientip.MaxHops+6, true)}}, "10.0.0.6"},
		{"forwarded: MaxHops over several lines", trusted, "Forwarded", "10.0.0.1:80", map[string][]string{"Forwarded": {"for=198.51.100.9", longChain(clientip.MaxHops, true)}}, "10.0.0.0"},
		{"single header", trusted, "X-Real-IP", "10.0.0.1:80", map[string][]string{"X-Real-Ip": {"198.51.100.9"}}, "198.51.100.9"},
		{"single header from untrusted peer", trusted, "X-Real-IP", "203.0.113.7:1", map[string][]string{"X-Real-Ip": {"198.51.100.9"}}, "203.0.113.7"},
		{"single header garbage", trusted, "X-Real-IP", "10.0.0.1:80", map[string][]string{"X-Real-Ip": {"nope"}}, "10.0.0.1"},
		{"bad RemoteAddr", "", "", "pipe", nil, "invalid IP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustResolver(t, clientip.Options{TrustedProxies: prefixes(t, tt.trusted), Header: tt.header})
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = tt.remote
			for k, v := range tt.headers {
				req.Header[k] = v
			}
			if got := r.ClientIP(req).String(); got != tt.want {
				t.Fatalf("ClientIP = %s; want %s", got, tt.want)
			}
		})
	}
}

func TestIsHTTPS(t *testing.T) {
	r := mustResolver(t, clientip.Options{TrustedProxies: prefixes(t, "10.0.0.0/8")})
	var none *clientip.Resolver
	tests := []struct {
		name    string
		r       *clientip.Resolver
		remote  string
		tls     bool
		headers map[string]string
		want    bool
	}{
		{"tls connection", none, "203.0.113.7:1", true, nil, true},
		{"plain, no proxies", none, "203.0.113.7:1", false, map[string]string{"X-Forwarded-Proto": "https"}, false},
		{"trusted proxy says https", r, "10.0.0.1:1", false, map[string]string{"X-Forwarded-Proto": "https"}, true},
		{"trusted proxy says http", r, "10.0.0.1:1", false, map[string]string{"X-Forwarded-Proto": "http"}, false},
		{"last proto wins", r, "10.0.0.1:1", false, map[string]string{"X-Forwarded-Proto": "https, http"}, false},
		{"untrusted peer says https", r, "203.0.113.7:1", false, map[string]string{"X-Forwarded-Proto": "https"}, false},
		{"forwarded proto", r, "10.0.0.1:1", false, map[string]string{"Forwarded": "for=1.2.3.4;proto=https"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = tt.remote
			if tt.tls {
				req.TLS = &tls.ConnectionState{}
			}
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			if got := tt.r.IsHTTPS(req); got != tt.want {
				t.Fatalf("IsHTTPS = %v; want %v", got, tt.want)
			}
		})
	}
}

func TestPrefix(t *testing.T) {
	tests := []struct {
		addr string
		bits int
		want string
	}{
		{"203.0.113.7", 0, "203.0.113.7/32"},
		{"::ffff:203.0.113.7", 0, "203.0.113.7/32"},
		{"2001:db8:1:2:3:4:5:6", 0, "2001:db8:1:2::/64"},
		{"2001:db8:1:2:3:4:5:6", 48, "2001:db8:1::/48"},
		{"2001:db8:1:2:3:4:5:6", 200, "2001:db8:1:2:3:4:5:6/128"},
		{"fe80::1%eth0", 128, "fe80::1/128"},
	}
	for _, tt := range tests {
		if got := clientip.Prefix(netip.MustParseAddr(tt.addr), tt.bits).String(); got != tt.want {
			t.Errorf("Prefix(%s, %d) = %s; want %s", tt.addr, tt.bits, got, tt.want)
		}
	}
	if clientip.Prefix(netip.Addr{}, 64).IsValid() {
		t.Error("Prefix of the zero Addr is valid")
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := clientip.New(clientip.Options{TrustedProxies: []netip.Prefix{{}}}); err == nil {
		t.Error("zero prefix accepted")
	}
	if _, err := clientip.New(clientip.Options{Header: "X Bad"}); err == nil {
		t.Error("bad header name accepted")
	}
	if _, err := clientip.ParsePrefixes("10.0.0.0/33"); err == nil {
		t.Error("bad prefix accepted")
	}
	if _, err := clientip.ParsePrefixes("nope"); err == nil {
		t.Error("bad address accepted")
	}
	// A mapped prefix means its IPv4 range.
	r := mustResolver(t, clientip.Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("::ffff:10.0.0.0/104")}})
	if !r.Trusted(netip.MustParseAddr("10.1.2.3")) {
		t.Error("mapped prefix not applied to IPv4")
	}
}

func FuzzForwarded(f *testing.F) {
	for _, s := range []string{`for=192.0.2.60;proto=http;by=203.0.113.43`, `for="[2001:db8:cafe::17]:4711"`, `for=unknown, for=10.0.0.2`, `for="a\",b", for=1.1.1.1`, `,,,;;=`} {
		f.Add(s)
	}
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	fwd, _ := clientip.New(clientip.Options{TrustedProxies: trusted, Header: "Forwarded"})
	xff, _ := clientip.New(clientip.Options{TrustedProxies: trusted})
	f.Fuzz(func(t *testing.T, v string) {
		for _, r := range []*clientip.Resolver{fwd, xff} {
			req := &http.Request{RemoteAddr: "10.0.0.1:80", Header: http.Header{"Forwarded": {v}, "X-Forwarded-For": {v}}}
			got := r.ClientIP(req)
			if !got.IsValid() {
				t.Fatalf("ClientIP(%q) is invalid; want at least the peer", v)
			}
			if got.Is4In6() {
				t.Fatalf("ClientIP(%q) = %s is still mapped", v, got)
			}
			_ = r.IsHTTPS(req)
		}
	})
}

func BenchmarkClientIP(b *testing.B) {
	r := mustResolver(b, clientip.Options{TrustedProxies: prefixes(b, "10.0.0.0/8")})
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "10.0.0.1:80"
	req.Header.Set("X-Forwarded-For", "6.6.6.6, 198.51.100.9, 10.0.0.2")
	b.ReportAllocs()
	for b.Loop() {
		_ = r.ClientIP(req)
	}
}

// longChain is a forwarding header of n hops inside 10.0.0.0/8, as an
// internal client (itself in a trusted range) can send, up to the server's
// header limit.
func longChain(n int, forwarded bool) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		if forwarded {
			b.WriteString("for=")
		}
		b.WriteString("10.0." + strconv.Itoa(i>>8&255) + "." + strconv.Itoa(i&255))
	}
	return b.String()
}

func BenchmarkClientIPLongChain(b *testing.B) {
	for _, fwd := range []bool{false, true} {
		name, header := "X-Forwarded-For", ""
		if fwd {
			name, header = "Forwarded", "Forwarded"
		}
		b.Run(name, func(b *testing.B) {
			r := mustResolver(b, clientip.Options{TrustedProxies: prefixes(b, "10.0.0.0/8"), Header: header})
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = "10.0.0.1:80"
			req.Header.Set(name, longChain(20_000, fwd)) // about 300 KB
			b.ReportAllocs()
			for b.Loop() {
				_ = r.ClientIP(req)
			}
		})
	}
}
