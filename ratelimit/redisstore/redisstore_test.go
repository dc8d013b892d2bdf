package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chainsync/middleware/internal/redistest"
	"github.com/chainsync/middleware/internal/testserver"
	"github.com/chainsync/middleware/ratelimit"
	"github.com/chainsync/middleware/ratelimit/redisstore"
	"github.com/chainsync/middleware/ratelimit/storetest"
)

func TestMain(m *testing.M) { testserver.Main(m) }

var prefixes atomic.Int64

// uniquePrefix keeps tests sharing one server apart.
func uniquePrefix() string { return "rltest" + strconv.FormatInt(prefixes.Add(1), 10) + ":" }

func client(t testing.TB, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true, MaxRetries: 1})
	t.Cleanup(func() { c.Close() })
	return c
}

func newStore(t testing.TB, c redis.UniversalClient, prefix string) *redisstore.Store {
	t.Helper()
	s, err := redisstore.New(c, redisstore.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Backend {
		srv := redistest.Start(t)
		return storetest.Backend{
			Store:  newStore(t, client(t, srv.Addr()), ""),
			Stop:   srv.Stop,
			Start:  srv.StartAgain,
			Pause:  srv.Pause,
			Resume: srv.Resume,
		}
	})
}

func testCluster(t *testing.T, n int) {
	cl := redistest.StartCluster(t, n)
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cl.Addrs(), ContextTimeoutEnabled: true, MaxRetries: 1})
	t.Cleanup(func() { c.Close() })
	all := func(f func(*redistest.Server) error) func() error {
		return func() error {
			for _, node := range cl.Nodes {
				if err := f(node); err != nil {
					return err
				}
			}
			return nil
		}
	}
	// A restarted cluster node refuses commands (CLUSTERDOWN) for two
	// seconds before it serves its slots again, and nodes come back one
	// after another: Start and Resume return once every node is ok, so that
	// the suite does not see one key served and the next refused.
	ready := func(f func() error) func() error {
		return func() error {
			if err := f(); err != nil {
				return err
			}
			return waitClusterOK(cl)
		}
	}
	storetest.Run(t, func(t *testing.T) storetest.Backend {
		return storetest.Backend{
			Store:  newStore(t, c, uniquePrefix()),
			Stop:   all((*redistest.Server).Stop),
			Start:  ready(all((*redistest.Server).StartAgain)),
			Pause:  all((*redistest.Server).Pause),
			Resume: ready(all((*redistest.Server).Resume)),
		}
	})
}

// waitClusterOK waits until every node of cl reports cluster_state:ok.
func waitClusterOK(cl *redistest.Cluster) error {
	deadline := time.Now().Add(30 * time.Second)
	for _, node := range cl.Nodes {
		for {
			info, err := node.Do("CLUSTER", "INFO")
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("cluster node %s not ok: %v %s", node.Addr(), err, info)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

func TestConformanceCluster1(t *testing.T) { testCluster(t, 1) }
func TestConformanceCluster3(t *testing.T) { testCluster(t, 3) }

func TestNew(t *testing.T) {
	srv := redistest.Shared(t)
	noTimeout := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer noTimeout.Close()
	tests := []struct {
		name    string
		client  redis.UniversalClient
		o       redisstore.Options
		wantErr error
	}{
		{"nil client", nil, redisstore.Options{}, nil},
		{"context timeouts disabled", noTimeout, redisstore.Options{}, redisstore.ErrContextTimeoutDisabled},
		{"brace in prefix", client(t, srv.Addr()), redisstore.Options{Prefix: "a{b"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := redisstore.New(tt.client, tt.o)
			if err == nil {
				t.Fatal("New accepted it")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
	cluster := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{srv.Addr()}})
	defer cluster.Close()
	if _, err := redisstore.New(cluster, redisstore.Options{}); !errors.Is(err, redisstore.ErrContextTimeoutDisabled) {
		t.Fatalf("cluster client without context timeouts: err = %v", err)
	}
}

func TestKeyHashTag(t *testing.T) {
	s := newStore(t, client(t, redistest.Shared(t).Addr()), "")
	tests := []struct{ policy, key, want string }{
		{"api", "ip:203.0.113.7", "ratelimit:api:{ip:203.0.113.7}"},
		{"auth", "", `ratelimit:auth:{\}`},
		{"auth", "}x", `ratelimit:auth:{\}x}`},
		{"auth", `\}x`, `ratelimit:auth:{\\}x}`},
		{"auth", "a}b", "ratelimit:auth:{a}b}"},
	}
	for _, tt := range tests {
		if got := s.Key(tt.policy, tt.key); got != tt.want {
			t.Errorf("Key(%q, %q) = %q, want %q", tt.policy, tt.key, got, tt.want)
		}
	}
}

func TestScriptFlushFallsBackToEval(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, client(t, srv.Addr()), "")
	p := ratelimit.Policy{Name: "flush", Limit: 3, Period: time.Hour}
	ctx := context.Background()
	if _, err := s.Take(ctx, "k", p, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Do("SCRIPT", "FLUSH"); err != nil {
		t.Fatal(err)
	}
	r, err := s.Take(ctx, "k", p, 1)
	if err != nil {
		t.Fatalf("Take after SCRIPT FLUSH: %v", err)
	}
	if r.Remaining != 1 {
		t.Fatalf("remaining %d after SCRIPT FLUSH, want 1", r.Remaining)
	}
	// A restart loses the script cache too.
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	var lastErr error
	for i := 0; i < 250; i++ {
		if _, lastErr = s.Take(ctx, "k", p, 1); lastErr == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("Take after restart: %v", lastErr)
}

func TestKeysExpireWhenReplenished(t *testing.T) {
	srv := redistest.Shared(t)
	prefix := uniquePrefix()
	s := newStore(t, client(t, srv.Addr()), prefix)
	p := ratelimit.Policy{Name: "ttl", Limit: 5, Period: time.Hour} // one per 12 minutes
	ctx := context.Background()
	start := time.Now()
	r, err := s.Take(ctx, "k", p, 2)
	if err != nil {
		t.Fatal(err)
	}
	pttl, err := srv.Do("PTTL", s.Key("ttl", "k"))
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start) // bounds the server time between SET and PTTL
	ms, _ := strconv.ParseInt(pttl, 10, 64)
	// The key expires when the state is fully replenished: ResetAfter,
	// rounded up to whole milliseconds, after the SET.
	maxMS := (r.ResetAfter + time.Millisecond - 1).Milliseconds()
	if ms <= 0 || ms > maxMS || ms < maxMS-elapsed.Milliseconds()-1 {
		t.Fatalf("PTTL = %s ms %s after the Take, want %d ms less at most that (the time until fully replenished)", pttl, elapsed, maxMS)
	}
	// A denial or a cost-0 call writes nothing.
	q := ratelimit.Policy{Name: "peek", Limit: 5, Period: time.Hour}
	if _, err := s.Take(ctx, "k", q, 0); err != nil {
		t.Fatal(err)
	}
	if n, _ := srv.Do("EXISTS", s.Key("peek", "k")); n != "0" {
		t.Fatalf("a cost-0 Take created a key (EXISTS = %s)", n)
	}
	// A short policy's key is gone once replenished.
	short := ratelimit.Policy{Name: "short", Limit: 10, Period: 100 * time.Millisecond}
	if _, err := s.Take(ctx, "k", short, 1); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; { // a hang detector, not a speed test
		n, _ := srv.Do("EXISTS", s.Key("short", "k"))
		if n == "0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("key of a replenished state did not expire")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestGarbageInKey(t *testing.T) {
	srv := redistest.Shared(t)
	s := newStore(t, client(t, srv.Addr()), uniquePrefix())
	p := ratelimit.Policy{Name: "garbage", Limit: 2, Period: time.Hour}
	if _, err := srv.Do("SET", s.Key("garbage", "k"), "not a number"); err != nil {
		t.Fatal(err)
	}
	r, err := s.Take(context.Background(), "k", p, 1)
	if err != nil || !r.Allowed || r.Remaining != 1 {
		t.Fatalf("Take over a foreign value = %+v, %v; want a fresh state", r, err)
	}
}

func BenchmarkRedisStore(b *testing.B) {
	srv := redistest.Shared(b)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true})
	defer c.Close()
	s := newStore(b, c, uniquePrefix())
	ctx := context.Background()
	b.Run("one-policy", func(b *testing.B) {
		p := ratelimit.Policy{Name: "bench", Limit: 1 << 40, Period: time.Second}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.Take(ctx, "ip:203.0.113.7", p, 1); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("middleware", func(b *testing.B) {
		ps := []ratelimit.Policy{{Name: "mw", Limit: 1 << 40, Period: time.Minute}}
		h := ratelimit.Must(s, nil, ps, ratelimit.Options{}).Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			req := httptest.NewRequest("GET", "/api/products", nil)
			req.RemoteAddr = "203.0.113.7:4711"
			w := httptest.NewRecorder()
			for pb.Next() {
				clear(w.Header())
				h.ServeHTTP(w, req)
				if w.Header().Get(ratelimit.HeaderRateLimit) == "" {
					b.Error("no RateLimit header: the store failed")
					return
				}
			}
		})
	})
	b.Run("two-policies", func(b *testing.B) {
		ps := []ratelimit.Policy{
			{Name: "general", Limit: 1 << 40, Period: 15 * time.Minute},
			{Name: "api", Limit: 1 << 40, Period: time.Minute},
		}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			var buf [2]ratelimit.Result
			for pb.Next() {
				if _, err := s.TakeAll(ctx, "ip:203.0.113.7", ps, 1, buf[:0]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// calls returns how many times Redis ran cmd, from INFO commandstats.
func calls(t *testing.T, srv *redistest.Server, cmd string) int64 {
	t.Helper()
	info, err := srv.Do("INFO", "commandstats")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if rest, ok := strings.CutPrefix(line, "cmdstat_"+cmd+":calls="); ok {
			n, _ := strconv.ParseInt(rest[:strings.IndexByte(rest, ',')], 10, 64)
			return n
		}
	}
	return 0
}

func TestOneRoundTripPerDecision(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, client(t, srv.Addr()), "")
	ps := []ratelimit.Policy{ratelimit.General(), ratelimit.API(), ratelimit.Admin()}
	ctx := context.Background()
	if _, err := s.TakeAll(ctx, "k", ps, 1, nil); err != nil { // loads the script (EVALSHA fails, EVAL runs)
		t.Fatal(err)
	}
	before := calls(t, srv, "evalsha") + calls(t, srv, "eval")
	const n = 10
	for i := 0; i < n; i++ {
		rs, err := s.TakeAll(ctx, "k", ps, 1, nil)
		if err != nil || len(rs) != 3 {
			t.Fatalf("TakeAll = %v, %v", rs, err)
		}
	}
	if got := calls(t, srv, "evalsha") + calls(t, srv, "eval") - before; got != n {
		t.Fatalf("%d decisions of 3 policies ran %d scripts, want %d", n, got, n)
	}
}

func TestClusterSeveralPoliciesAwkwardKeys(t *testing.T) {
	cl := redistest.StartCluster(t, 3)
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cl.Addrs(), ContextTimeoutEnabled: true})
	t.Cleanup(func() { c.Close() })
	s := newStore(t, c, "")
	ps := []ratelimit.Policy{ratelimit.General(), ratelimit.API(), ratelimit.Auth()}
	// Keys spread over the slots of all three nodes, and keys that would
	// break a naive hash tag: each decision touches three keys, which must
	// share a slot (else CROSSSLOT).
	keys := []string{"", "}", "}x", "{", "{a}", "a}b", `\`, "ip:2001:db8::/64", "user:42"}
	for i := 0; i < 50; i++ {
		keys = append(keys, "ip:198.51.100."+strconv.Itoa(i))
	}
	for _, k := range keys {
		rs, err := s.TakeAll(context.Background(), k, ps, 1, nil)
		if err != nil {
			t.Fatalf("TakeAll(%q): %v", k, err)
		}
		if len(rs) != 3 || rs[2].Remaining != 4 {
			t.Fatalf("TakeAll(%q) = %+v", k, rs)
		}
	}
	// Every node loses its script cache: each falls back to EVAL on its
	// own NOSCRIPT, and the state is intact.
	for _, node := range cl.Nodes {
		if _, err := node.Do("SCRIPT", "FLUSH"); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range keys {
		rs, err := s.TakeAll(context.Background(), k, ps, 1, nil)
		if err != nil {
			t.Fatalf("TakeAll(%q) after SCRIPT FLUSH: %v", k, err)
		}
		if len(rs) != 3 || rs[2].Remaining != 3 {
			t.Fatalf("TakeAll(%q) after SCRIPT FLUSH = %+v", k, rs)
		}
	}
}

func TestMiddlewareOverRedis(t *testing.T) {
	srv := redistest.Shared(t)
	s := newStore(t, client(t, srv.Addr()), uniquePrefix())
	l := ratelimit.Must(s, nil, []ratelimit.Policy{ratelimit.General(), ratelimit.Auth()}, ratelimit.Options{})
	h := l.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	var rec *httptest.ResponseRecorder
	start := time.Now()
	for i := 0; i < 6; i++ {
		rec = httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/auth/login", nil)
		req.RemoteAddr = "203.0.113.7:1"
		h.ServeHTTP(rec, req)
		if i == 0 {
			if got := rec.Header().Get("RateLimit"); got != `"general";r=99;t=9, "auth";r=4;t=180` {
				t.Fatalf("first RateLimit = %q", got)
			}
		}
	}
	// The first login's unit comes back 180s after it, on Redis's clock:
	// Retry-After is that minus the time the six requests took, rounded up.
	elapsed := int64(time.Since(start)/time.Second) + 1
	ra, _ := strconv.ParseInt(rec.Header().Get("Retry-After"), 10, 64)
	if rec.Code != http.StatusTooManyRequests || ra > 180 || ra < 180-elapsed {
		t.Fatalf("6th login: %d Retry-After %q, want 429 and %d..180", rec.Code, rec.Header().Get("Retry-After"), 180-elapsed)
	}
	if !strings.Contains(rec.Body.String(), `"retryAfter":`+strconv.FormatInt(ra, 10)+`,"policies":["auth"]`) {
		t.Fatalf("body %s", rec.Body)
	}
	// The general policy was charged 6 times (the denial by auth came after it).
	r, err := s.Take(context.Background(), "ip:203.0.113.7", ratelimit.General(), 0)
	if err != nil || r.Remaining != 94 {
		t.Fatalf("general remaining %d, %v; want 94", r.Remaining, err)
	}
	if st := l.Stats(); st.Allowed != 5 || st.Limited != 1 || st.StoreErrors != 0 {
		t.Fatalf("Stats %+v", st)
	}
}

// TestRetryAfterCoversEarlierPolicies runs the limiter's multi-policy
// Retry-After over Redis: the second request takes the hourly policy's
// last unit and is denied by the minute policy, so the client must wait
// for hourly's next unit (30 minutes), not just the minute's.
func TestRetryAfterCoversEarlierPolicies(t *testing.T) {
	s := newStore(t, client(t, redistest.Shared(t).Addr()), uniquePrefix())
	hourly := ratelimit.Policy{Name: "hourly", Limit: 2, Period: time.Hour}
	minute := ratelimit.Policy{Name: "minute", Limit: 1, Period: time.Minute}
	l := ratelimit.Must(s, nil, []ratelimit.Policy{hourly, minute}, ratelimit.Options{})
	h := l.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	start := time.Now()
	var rec *httptest.ResponseRecorder
	for i := 0; i < 2; i++ {
		rec = httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = "203.0.113.7:1"
		h.ServeHTTP(rec, req)
	}
	elapsed := int64(time.Since(start)/time.Second) + 1
	ra, _ := strconv.ParseInt(rec.Header().Get("Retry-After"), 10, 64)
	if rec.Code != http.StatusTooManyRequests || ra > 1800 || ra < 1800-elapsed {
		t.Fatalf("second request: %d, Retry-After %q, want 429 and %d..1800", rec.Code, rec.Header().Get("Retry-After"), 1800-elapsed)
	}
	if got := rec.Header().Get("RateLimit"); !strings.HasPrefix(got, `"hourly";r=0;t=`) || !strings.Contains(got, `, "minute";r=0;t=`) {
		t.Fatalf("RateLimit = %q, want both policies reported", got)
	}
}
