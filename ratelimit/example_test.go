package ratelimit_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"time"

	"github.com/chainsync/middleware/ratelimit"
)

// The four ChainSync policies.
func Example_chainSyncPolicies() {
	for _, p := range []ratelimit.Policy{ratelimit.General(), ratelimit.Auth(), ratelimit.API(), ratelimit.Admin()} {
		fmt.Printf("%-8s %-8s burst %3d, then one every %-5s RateLimit-Policy: %s\n",
			p.Name, p.String(), p.EffectiveBurst(), p.Interval(), ratelimit.PolicyHeader(p))
	}
	// Output:
	// general  100/15m  burst 100, then one every 9s    RateLimit-Policy: "general";q=100;w=900
	// auth     5/15m    burst   5, then one every 3m0s  RateLimit-Policy: "auth";q=5;w=900
	// api      60/1m    burst  60, then one every 1s    RateLimit-Policy: "api";q=60;w=60
	// admin    20/1m    burst  20, then one every 3s    RateLimit-Policy: "admin";q=20;w=60
}

// Each ChainSync policy admits its whole limit at once, then answers 429
// with a Retry-After of one emission interval.
func Example_chainSyncPoliciesInAction() {
	now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	store := ratelimit.MustMemoryStore(ratelimit.MemoryOptions{Now: func() time.Time { return now }})
	defer store.Close()
	for _, p := range []ratelimit.Policy{ratelimit.General(), ratelimit.Auth(), ratelimit.API(), ratelimit.Admin()} {
		h := ratelimit.Must(store, nil, []ratelimit.Policy{p}, ratelimit.Options{}).
			Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		admitted := 0
		for {
			req := httptest.NewRequest("GET", "/", nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code == http.StatusTooManyRequests {
				fmt.Printf("%-7s admitted %3d, then 429 with Retry-After %s\n", p.Name, admitted, rec.Header().Get("Retry-After"))
				break
			}
			admitted++
		}
	}
	// Output:
	// general admitted 100, then 429 with Retry-After 9
	// auth    admitted   5, then 429 with Retry-After 180
	// api     admitted  60, then 429 with Retry-After 1
	// admin   admitted  20, then 429 with Retry-After 3
}

func ExampleNew() {
	// A stopped clock keeps this example's output exact; leave Now unset
	// in real code.
	stopped := func() time.Time { return time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC) }
	store := ratelimit.MustMemoryStore(ratelimit.MemoryOptions{Now: stopped})
	defer store.Close()
	// Login attempts: ChainSync's auth policy, per client IP.
	limiter, err := ratelimit.New(store, nil, []ratelimit.Policy{ratelimit.Auth()}, ratelimit.Options{})
	if err != nil {
		panic(err)
	}
	h := limiter.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	for i := 1; i <= 6; i++ {
		req := httptest.NewRequest("POST", "/auth/login", nil)
		req.RemoteAddr = "203.0.113.7:4711"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println(i, rec.Code, rec.Header().Get("RateLimit"))
		if rec.Code == http.StatusTooManyRequests {
			fmt.Println("Retry-After:", rec.Header().Get("Retry-After"))
			fmt.Println(rec.Body)
		}
	}
	// Output:
	// 1 204 "auth";r=4;t=180
	// 2 204 "auth";r=3;t=180
	// 3 204 "auth";r=2;t=180
	// 4 204 "auth";r=1;t=180
	// 5 204 "auth";r=0;t=180
	// 6 429 "auth";r=0;t=180
	// Retry-After: 180
	// {"type":"about:blank","title":"Too Many Requests","status":429,"error":"Too many requests","retryAfter":180,"policies":["auth"]}
}

// Two policies on one route, checked in order: the general limit and the
// API limit.
func ExampleNew_severalPolicies() {
	store := ratelimit.MustMemoryStore(ratelimit.MemoryOptions{})
	defer store.Close()
	limiter := ratelimit.Must(store, nil, []ratelimit.Policy{ratelimit.General(), ratelimit.API()}, ratelimit.Options{})
	h := limiter.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	req := httptest.NewRequest("GET", "/api/products", nil)
	req.RemoteAddr = "[2001:db8:1:2::99]:4711"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Header().Get("RateLimit-Policy"))
	fmt.Println(rec.Header().Get("RateLimit"))
	// Output:
	// "general";q=100;w=900, "api";q=60;w=60
	// "general";r=99;t=9, "api";r=59;t=1
}

func ExampleParsePolicy() {
	for _, s := range []string{"100/15m", "5/15min", "60/minute", "1000000000/1s", "10/1h;burst=2", "100/fortnight"} {
		p, err := ratelimit.ParsePolicy("env", s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%s: %d per %s, burst %d\n", s, p.Limit, p.Period, p.EffectiveBurst())
	}
	// Output:
	// 100/15m: 100 per 15m0s, burst 100
	// 5/15min: 5 per 15m0s, burst 5
	// 60/minute: 60 per 1m0s, burst 60
	// 1000000000/1s: 1000000000 per 1s, burst 1000000000
	// 10/1h;burst=2: 10 per 1h0m0s, burst 2
	// ratelimit: invalid policy: "100/fortnight": period: unknown unit "fortnight" (use s, m, h, d, w or a Go duration such as 1h30m)
}

func ExampleMustParsePolicy() {
	p := ratelimit.MustParsePolicy("reports", "10/1h")
	fmt.Println(p.Name, p.Interval())
	// Output: reports 6m0s
}

func ExampleNewMemoryStore() {
	store, err := ratelimit.NewMemoryStore(ratelimit.MemoryOptions{MaxKeys: 100_000, SweepInterval: 30 * time.Second})
	if err != nil {
		panic(err)
	}
	defer store.Close()
	r, _ := store.Take(context.Background(), "user:42", ratelimit.Admin(), 1)
	fmt.Println(r.Allowed, r.Remaining, r.ResetAfter)
	// Output: true 19 3s
}

func ExampleIPKey() {
	key, err := ratelimit.IPKey(ratelimit.IPKeyOptions{
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
	})
	if err != nil {
		panic(err)
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "10.0.0.2:80" // the load balancer
	req.Header.Set("X-Forwarded-For", "6.6.6.6, 198.51.100.23")
	fmt.Println(key(req))
	req.RemoteAddr = "[2001:db8:aa:bb:1:2:3:4]:443"
	fmt.Println(key(req))
	// Output:
	// ip:198.51.100.23
	// ip:2001:db8:aa:bb::/64
}

func ExampleUserKey() {
	// userID would come from the authentication middleware's context
	// accessor; here it reads a header for the example.
	userID := func(r *http.Request) string { return r.Header.Get("X-Example-User") }
	ip, _ := ratelimit.IPKey(ratelimit.IPKeyOptions{})
	key := ratelimit.FirstOf(ratelimit.UserKey(userID), ip)
	req := httptest.NewRequest("GET", "/", nil)
	fmt.Println(key(req))
	req.Header.Set("X-Example-User", "42")
	fmt.Println(key(req))
	// Output:
	// ip:192.0.2.1
	// user:42
}

func ExampleJoin() {
	ip, _ := ratelimit.IPKey(ratelimit.IPKeyOptions{})
	key := ratelimit.Join(ratelimit.RouteKey, ip)
	fmt.Println(key(httptest.NewRequest("POST", "/auth/login", nil)))
	// Output: route:POST /auth/login|ip:192.0.2.1
}

func ExampleFirstOf() {
	apiKey := func(r *http.Request) string {
		if k := r.Header.Get("X-Api-Client"); k != "" {
			return "client:" + k
		}
		return ""
	}
	ip, _ := ratelimit.IPKey(ratelimit.IPKeyOptions{})
	key := ratelimit.FirstOf(apiKey, ip)
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("X-Api-Client", "pos-terminal-7")
	fmt.Println(key(req))
	// Output: client:pos-terminal-7
}

func ExamplePolicyHeader() {
	fmt.Println(ratelimit.PolicyHeader(ratelimit.General(), ratelimit.API()))
	// Output: "general";q=100;w=900, "api";q=60;w=60
}

func ExampleMust() {
	store := ratelimit.MustMemoryStore(ratelimit.MemoryOptions{})
	defer store.Close()
	// Constant policies in set-up code: Must panics on a mistake instead of
	// returning an error.
	admin := ratelimit.Must(store, ratelimit.RouteKey, []ratelimit.Policy{ratelimit.Admin()}, ratelimit.Options{})
	fmt.Println(admin.Policies()[0].Name, admin.Policies()[0])
	// Output: admin 20/1m
}

func ExampleMustMemoryStore() {
	store := ratelimit.MustMemoryStore(ratelimit.MemoryOptions{MaxKeys: 1000, DisableSweeper: true})
	defer store.Close()
	for i := 0; i < 3; i++ {
		store.Take(context.Background(), fmt.Sprint("ip:192.0.2.", i), ratelimit.API(), 1)
	}
	fmt.Println(store.Stats().Keys)
	// Output: 3
}

// Deciding without HTTP, such as for a job queue: Take checks the key
// against the policies in order.
func ExampleLimiter_Take() {
	store := ratelimit.MustMemoryStore(ratelimit.MemoryOptions{})
	defer store.Close()
	exports := ratelimit.Must(store, nil, []ratelimit.Policy{ratelimit.MustParsePolicy("exports", "2/1h")}, ratelimit.Options{})
	for i := 0; i < 3; i++ {
		d, err := exports.Take(context.Background(), "user:42", 1)
		if err != nil {
			fmt.Println("store down:", err)
			return
		}
		fmt.Println(d.Allowed, d.Results[0].Remaining, d.RetryAfter().Round(time.Minute))
	}
	// Output:
	// true 1 0s
	// true 0 0s
	// false 0 30m0s
}
