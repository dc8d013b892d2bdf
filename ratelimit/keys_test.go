package ratelimit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/chainsync/middleware/ratelimit"
)

func TestIPKey(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		name   string
		o      ratelimit.IPKeyOptions
		remote string
		xff    string
		want   string
	}{
		{"peer", ratelimit.IPKeyOptions{}, "203.0.113.7:1234", "", "ip:203.0.113.7"},
		{"forwarded header ignored without trusted proxies", ratelimit.IPKeyOptions{}, "203.0.113.7:1234", "198.51.100.1", "ip:203.0.113.7"},
		{"untrusted peer's header ignored", ratelimit.IPKeyOptions{TrustedProxies: trusted}, "203.0.113.7:1", "198.51.100.1", "ip:203.0.113.7"},
		{"trusted proxy: rightmost untrusted hop", ratelimit.IPKeyOptions{TrustedProxies: trusted}, "10.0.0.1:1", "6.6.6.6, 198.51.100.1, 10.0.0.2", "ip:198.51.100.1"},
		{"ipv6 keyed by /64", ratelimit.IPKeyOptions{}, "[2001:db8:1:2:aaaa::1]:1", "", "ip:2001:db8:1:2::/64"},
		{"same /64 same key", ratelimit.IPKeyOptions{}, "[2001:db8:1:2:ffff::9]:1", "", "ip:2001:db8:1:2::/64"},
		{"ipv6 /56", ratelimit.IPKeyOptions{IPv6PrefixBits: 56}, "[2001:db8:1:2ff::1]:1", "", "ip:2001:db8:1:200::/56"},
		{"ipv4-mapped unmapped", ratelimit.IPKeyOptions{}, "[::ffff:203.0.113.7]:1", "", "ip:203.0.113.7"},
		{"no address", ratelimit.IPKeyOptions{}, "pipe", "", "ip:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ratelimit.IPKey(tt.o)
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			if got := k(r); got != tt.want {
				t.Fatalf("key = %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := ratelimit.IPKey(ratelimit.IPKeyOptions{IPv6PrefixBits: -1}); err == nil {
		t.Fatal("IPv6PrefixBits -1 accepted")
	}
}

func TestKeyCombinators(t *testing.T) {
	ip, _ := ratelimit.IPKey(ratelimit.IPKeyOptions{})
	user := ratelimit.UserKey(func(r *http.Request) string { return r.Header.Get("X-User") })
	tests := []struct {
		name string
		key  ratelimit.KeyFunc
		user string
		want string
	}{
		{"user", user, "42", "user:42"},
		{"anonymous user is empty", user, "", ""},
		{"route", ratelimit.RouteKey, "", "route:POST /login"},
		{"join", ratelimit.Join(ratelimit.RouteKey, ip), "", "route:POST /login|ip:203.0.113.7"},
		{"join with an empty part", ratelimit.Join(ratelimit.RouteKey, user), "", ""},
		{"first of: user", ratelimit.FirstOf(user, ip), "42", "user:42"},
		{"first of: falls back", ratelimit.FirstOf(user, ip), "", "ip:203.0.113.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/login", nil)
			r.RemoteAddr = "203.0.113.7:1"
			if tt.user != "" {
				r.Header.Set("X-User", tt.user)
			}
			if got := tt.key(r); got != tt.want {
				t.Fatalf("key = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRouteKeyUsesMuxPattern(t *testing.T) {
	s := newMemory(t, ratelimit.MemoryOptions{})
	l := ratelimit.Must(s, ratelimit.Join(ratelimit.RouteKey), []ratelimit.Policy{{Name: "route", Limit: 1, Period: 3600e9}}, ratelimit.Options{Logger: quiet()})
	mux := http.NewServeMux()
	mux.Handle("GET /items/{id}", l.Handler(ok))
	codes := []int{}
	for _, path := range []string{"/items/1", "/items/2"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		codes = append(codes, rec.Code)
	}
	// One route, one key: the second item is over the route's limit.
	if codes[0] != http.StatusNoContent || codes[1] != http.StatusTooManyRequests {
		t.Fatalf("codes %v", codes)
	}
}

func TestEmptyKeyFallsBackToIP(t *testing.T) {
	user := ratelimit.UserKey(func(r *http.Request) string { return "" })
	f := setup(t, user, []ratelimit.Policy{{Name: "anon", Limit: 1, Period: 3600e9}}, ratelimit.Options{})
	if rec := f.do(t, "GET", "203.0.113.7:1"); rec.Code != http.StatusNoContent {
		t.Fatal(rec.Code)
	}
	// Anonymous requests are limited per client IP, not unlimited and not
	// one shared bucket.
	if rec := f.do(t, "GET", "203.0.113.7:1"); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("second anonymous request from one IP: %d", rec.Code)
	}
	if rec := f.do(t, "GET", "198.51.100.1:1"); rec.Code != http.StatusNoContent {
		t.Fatalf("anonymous request from another IP: %d", rec.Code)
	}
}

func TestTrustedProxiesOption(t *testing.T) {
	f := setup(t, nil, []ratelimit.Policy{{Name: "p", Limit: 1, Period: 3600e9}}, ratelimit.Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	f.do(t, "GET", "10.0.0.1:1", "X-Forwarded-For", "198.51.100.1")
	// Same proxy, another client: its own key.
	if rec := f.do(t, "GET", "10.0.0.1:1", "X-Forwarded-For", "198.51.100.2"); rec.Code != http.StatusNoContent {
		t.Fatalf("second client behind the proxy: %d", rec.Code)
	}
	// Same client via another proxy hop: same key.
	if rec := f.do(t, "GET", "10.0.0.9:1", "X-Forwarded-For", "198.51.100.1"); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("first client again: %d", rec.Code)
	}
	// An untrusted peer cannot choose its key by sending the header.
	f.do(t, "GET", "203.0.113.7:1", "X-Forwarded-For", "192.0.2.1")
	if rec := f.do(t, "GET", "203.0.113.7:1", "X-Forwarded-For", "192.0.2.2"); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("spoofing client escaped its limit: %d", rec.Code)
	}
}

func FuzzIPKey(f *testing.F) {
	for _, s := range []string{"198.51.100.1", "6.6.6.6, 198.51.100.1, 10.0.0.2", "[2001:db8::1]:80", "for=198.51.100.1", "garbage", ",,,", "::ffff:1.2.3.4"} {
		f.Add(s)
	}
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	keys := []ratelimit.KeyFunc{}
	for _, h := range []string{"", "Forwarded", "X-Real-IP"} {
		k, err := ratelimit.IPKey(ratelimit.IPKeyOptions{TrustedProxies: trusted, ForwardedHeader: h})
		if err != nil {
			f.Fatal(err)
		}
		keys = append(keys, k)
	}
	f.Fuzz(func(t *testing.T, v string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "10.0.0.1:80"
		r.Header = http.Header{"X-Forwarded-For": {v}, "Forwarded": {v}, "X-Real-Ip": {v}}
		for _, k := range keys {
			got := k(r)
			// Always a key of one address or /64, never the header's text.
			if !strings.HasPrefix(got, "ip:") || len(got) > len("ip:")+len("ffff:ffff:ffff:ffff::/64") {
				t.Fatalf("key %q for header %q", got, v)
			}
			if _, err := netip.ParseAddr(got[3:]); err != nil {
				if _, err := netip.ParsePrefix(got[3:]); err != nil {
					t.Fatalf("key %q for header %q is neither an address nor a prefix", got, v)
				}
			}
		}
	})
}

func TestLongKeysAreHashed(t *testing.T) {
	long := strings.Repeat("x", 10_000)
	f := setup(t, ratelimit.UserKey(func(r *http.Request) string { return r.Header.Get("X-User") }), []ratelimit.Policy{{Name: "long", Limit: 1, Period: 3600e9}}, ratelimit.Options{})
	f.do(t, "GET", "203.0.113.7:1", "X-User", long)
	if rec := f.do(t, "GET", "198.51.100.1:1", "X-User", long); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("same long key from elsewhere: %d, want 429", rec.Code)
	}
	if rec := f.do(t, "GET", "203.0.113.7:1", "X-User", long+"y"); rec.Code != http.StatusNoContent {
		t.Fatalf("another long key: %d", rec.Code)
	}
	want := "sha256:"
	// What the store holds is the hash, not the 10,000 bytes.
	if r, _ := f.store.Take(context.Background(), "user:"+long, ratelimit.Policy{Name: "long", Limit: 1, Period: 3600e9}, 0); r.Remaining != 1 {
		t.Fatalf("the store holds the long key itself (remaining %d), want it under %q...", r.Remaining, want)
	}
}
