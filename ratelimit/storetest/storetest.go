// Package storetest is the conformance suite of [ratelimit.Store]. Every
// backend runs it (the memory store and ratelimit/redisstore do); anyone
// writing another backend (memcached, DynamoDB, ...) can run it too:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) storetest.Backend {
//			return storetest.Backend{Store: newMyStore(t)}
//		})
//	}
//
// A backend should decide with [ratelimit.Decide] or the same arithmetic,
// on the parameters of Policy.GCRA([ratelimit.Resolution]), so that it
// rounds as the others do.
//
// It checks that limits hold exactly, burst and cost, that denied requests
// are not charged, state left by a looser policy of the same name,
// replenishment timing, independence of keys and policies,
// awkward keys, very large limits, concurrency over one key, the
// [ratelimit.MultiStore] order when implemented, and — when the backend
// can be stopped and paused — that calls fail within their deadline while
// the server is down or hung, that a [ratelimit.Limiter] then fails open or
// closed as configured, and that the store recovers.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chainsync/middleware/ratelimit"
)

// Backend is one fresh store under test, with the hooks the suite needs.
type Backend struct {
	// Store is the store under test. Each call of the constructor must
	// return a store with no state (a fresh one, or one with a unique key
	// prefix).
	Store ratelimit.Store
	// Advance moves the store's clock forward by d. Nil means the store
	// runs on real time (a server's clock): the suite then sleeps where it
	// must, and compares times with a tolerance.
	Advance func(d time.Duration)
	// Stop and Start stop the backend server (connections refused) and
	// start it again; Pause and Resume freeze it (SIGSTOP: connections stay
	// open and nothing answers) and continue it. The fault tests run only
	// when these are set. Start and Resume should return once the backend
	// serves every key again (a Redis Cluster: once every node reports
	// cluster_state:ok); the suite also polls the keys it uses afterwards
	// before it asserts anything.
	Stop, Start, Pause, Resume func() error
}

// Run runs the suite. newBackend is called once per subtest.
func Run(t *testing.T, newBackend func(t *testing.T) Backend) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, b Backend)
	}{
		{"LimitHoldsExactly", testExact},
		{"Burst", testBurst},
		{"Cost", testCost},
		{"PolicyTightened", testTightened},
		{"Replenish", testReplenish},
		{"ResetAfter", testResetAfter},
		{"KeysAndPoliciesIndependent", testIndependent},
		{"AwkwardKeys", testAwkwardKeys},
		{"LargeLimit", testLargeLimit},
		{"Concurrent", testConcurrent},
		{"TakeAll", testTakeAll},
		{"CanceledContext", testCanceled},
		{"StoppedServer", testStopped},
		{"PausedServer", testPaused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBackend(t)
			if b.Store == nil {
				t.Fatal("storetest: Backend.Store is nil")
			}
			tt.fn(t, b)
		})
	}
}

// stopwatch measures time on the backend's clock as the suite sees it:
// the sum of Advance calls on a virtual clock, real time otherwise. On a
// real clock the time since the watch started bounds the server time that
// passed between the calls made since, so assertions use it as their slack:
// a slow machine loosens them, it never fails them.
type stopwatch struct {
	b        Backend
	start    time.Time
	advanced time.Duration
}

func startWatch(b Backend) *stopwatch { return &stopwatch{b: b, start: time.Now()} }

// elapsed is an upper bound of the backend time since the watch started.
func (w *stopwatch) elapsed() time.Duration {
	if w.b.Advance != nil {
		return w.advanced
	}
	return time.Since(w.start)
}

// slack is how far below its exact value a time reported by the store may
// be: 0 on a virtual clock (nothing passes unless the suite advances it),
// the elapsed time on a real one.
func (w *stopwatch) slack() time.Duration {
	if w.b.Advance != nil {
		return 0
	}
	return time.Since(w.start)
}

// wait lets d pass on the backend's clock.
func (w *stopwatch) wait(d time.Duration) {
	if w.b.Advance != nil {
		w.b.Advance(d)
		w.advanced += d
		return
	}
	time.Sleep(d)
}

func take(t *testing.T, s ratelimit.Store, key string, p ratelimit.Policy, cost int64) ratelimit.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := s.Take(ctx, key, p, cost)
	if err != nil {
		t.Fatalf("Take(%q, %s %s, %d): %v", key, p.Name, p, cost, err)
	}
	if r.Limit != p.Limit {
		t.Fatalf("Take(%q, %s): Limit = %d, want %d", key, p.Name, r.Limit, p.Limit)
	}
	return r
}

func near(t *testing.T, what string, got, want, tol time.Duration) {
	t.Helper()
	if got > want || got < want-tol {
		t.Fatalf("%s = %s, want %s (or up to %s less)", what, got, want, tol)
	}
}

func testExact(t *testing.T, b Backend) {
	p := ratelimit.Policy{Name: "exact", Limit: 5, Period: time.Hour}
	w := startWatch(b)
	for i := int64(1); i <= 5; i++ {
		r := take(t, b.Store, "client", p, 1)
		if !r.Allowed || r.Remaining != 5-i {
			t.Fatalf("request %d: allowed=%v remaining=%d, want allowed with %d remaining", i, r.Allowed, r.Remaining, 5-i)
		}
		if r.RetryAfter != 0 {
			t.Fatalf("request %d: RetryAfter = %s on an allowed request", i, r.RetryAfter)
		}
		near(t, fmt.Sprintf("request %d: ResetAfter", i), r.ResetAfter, time.Duration(i)*12*time.Minute, w.slack())
	}
	for i := 0; i < 3; i++ {
		r := take(t, b.Store, "client", p, 1)
		if r.Allowed || r.Remaining != 0 {
			t.Fatalf("request %d over the limit: allowed=%v remaining=%d", 6+i, r.Allowed, r.Remaining)
		}
		near(t, "RetryAfter", r.RetryAfter, 12*time.Minute, w.slack())
		near(t, "ResetAfter of a denial (not charged)", r.ResetAfter, time.Hour, w.slack())
	}
}

func testBurst(t *testing.T, b Backend) {
	p := ratelimit.Policy{Name: "burst", Limit: 10, Period: time.Hour, Burst: 3}
	w := startWatch(b)
	for i := int64(1); i <= 3; i++ {
		if r := take(t, b.Store, "k", p, 1); !r.Allowed || r.Remaining != 3-i {
			t.Fatalf("burst request %d: allowed=%v remaining=%d", i, r.Allowed, r.Remaining)
		}
	}
	r := take(t, b.Store, "k", p, 1)
	if r.Allowed {
		t.Fatal("request past the burst was allowed")
	}
	near(t, "RetryAfter", r.RetryAfter, 6*time.Minute, w.slack())
}

func testCost(t *testing.T, b Backend) {
	p := ratelimit.Policy{Name: "cost", Limit: 10, Period: time.Hour}
	w := startWatch(b)
	steps := []struct {
		cost      int64
		allowed   bool
		remaining int64
	}{
		{4, true, 6},
		{7, false, 6}, // does not fit: not charged
		{0, true, 6},  // cost 0 peeks
		{6, true, 0},
		{1, false, 0},
		{0, true, 0},
		{11, false, 0}, // above the burst: never admitted
	}
	for i, s := range steps {
		r := take(t, b.Store, "k", p, s.cost)
		if r.Allowed != s.allowed || r.Remaining != s.remaining {
			t.Fatalf("step %d (cost %d): allowed=%v remaining=%d, want allowed=%v remaining=%d", i, s.cost, r.Allowed, r.Remaining, s.allowed, s.remaining)
		}
		if !r.Allowed && r.RetryAfter <= 0 {
			t.Fatalf("step %d: denied with RetryAfter %s", i, r.RetryAfter)
		}
	}
	// A denial for cost 7 after cost 4 waits until 7 units are back: one
	// more unit (6 minutes).
	fresh := ratelimit.Policy{Name: "cost2", Limit: 10, Period: time.Hour}
	take(t, b.Store, "k", fresh, 4)
	r := take(t, b.Store, "k", fresh, 7)
	if r.Allowed {
		t.Fatal("cost 7 with 6 remaining was allowed")
	}
	near(t, "RetryAfter for cost 7 with 6 remaining", r.RetryAfter, 6*time.Minute, w.slack())

	ctx := context.Background()
	if _, err := b.Store.Take(ctx, "k", p, -1); !errors.Is(err, ratelimit.ErrInvalidCost) {
		t.Fatalf("cost -1: err = %v, want ErrInvalidCost", err)
	}
}

// testReplenish checks replenishment on a policy short enough for a real
// clock: 2 per 2s, so a burst of 2 and then one unit a second. Every
// admission is checked against GCRA's bound (at most Burst + d/Interval
// units in any span d, with d the time the suite measured, which is at
// least the server's), so a slow machine can only make the test check
// less, never fail it. On a virtual clock the bound is exact.
func testReplenish(t *testing.T, b Backend) {
	const interval = time.Second
	p := ratelimit.Policy{Name: "replenish", Limit: 2, Period: 2 * interval}
	w := startWatch(b)
	var admitted int64
	step := func(what string) ratelimit.Result {
		t.Helper()
		r := take(t, b.Store, "k", p, 1)
		if r.Allowed {
			admitted++
		}
		bound := p.EffectiveBurst() + int64(w.elapsed()/interval)
		if admitted+r.Remaining > bound {
			t.Fatalf("%s: %d admitted and %d remaining within %s; GCRA allows %d", what, admitted, r.Remaining, w.elapsed(), bound)
		}
		return r
	}
	for i := 1; i <= 2; i++ {
		if r := step("burst"); !r.Allowed {
			t.Fatalf("request %d of a fresh 2/2s denied", i)
		}
	}
	r := step("past the burst")
	for i := 0; r.Allowed && i < 10; i++ { // only on a machine slower than the interval
		r = step("past the burst")
	}
	if r.Allowed {
		t.Fatal("a 2/2s policy never denied")
	}
	if r.RetryAfter <= 0 || r.RetryAfter > interval {
		t.Fatalf("RetryAfter = %s, want within (0, %s]", r.RetryAfter, interval)
	}
	// Waiting exactly RetryAfter (rounded up to the store's resolution)
	// admits, whatever the machine's speed.
	w.wait(r.RetryAfter + time.Microsecond)
	if r := step("after RetryAfter"); !r.Allowed {
		t.Fatalf("denied after waiting RetryAfter: %+v", r)
	}
	step("right after the unit that came back") // the bound denies it unless time passed
	// After a whole period with no request the whole burst is back: the
	// state is the same as none.
	w.wait(p.Period + time.Millisecond)
	if r := step("after a full period"); !r.Allowed || r.Remaining != p.EffectiveBurst()-1 {
		t.Fatalf("after a full period: allowed=%v remaining=%d, want allowed with %d", r.Allowed, r.Remaining, p.EffectiveBurst()-1)
	}
	if r := step("second after a full period"); !r.Allowed {
		t.Fatal("second request of the replenished burst denied")
	}
}

func testResetAfter(t *testing.T, b Backend) {
	p := ratelimit.Policy{Name: "reset", Limit: 100, Period: 15 * time.Minute} // one per 9s
	w := startWatch(b)
	r := take(t, b.Store, "k", p, 0)
	if r.Remaining != 100 || r.ResetAfter != 0 {
		t.Fatalf("fresh key: remaining=%d ResetAfter=%s, want 100 and 0", r.Remaining, r.ResetAfter)
	}
	r = take(t, b.Store, "k", p, 10)
	if r.Remaining != 90 {
		t.Fatalf("after cost 10: remaining %d", r.Remaining)
	}
	near(t, "ResetAfter after 10", r.ResetAfter, 90*time.Second, w.slack())
	if b.Advance != nil {
		w.wait(45 * time.Second)
		r = take(t, b.Store, "k", p, 0)
		if r.Remaining != 95 || r.ResetAfter != 45*time.Second {
			t.Fatalf("45s later: remaining=%d ResetAfter=%s, want 95 and 45s", r.Remaining, r.ResetAfter)
		}
		w.wait(45 * time.Second)
		r = take(t, b.Store, "k", p, 0)
		if r.Remaining != 100 || r.ResetAfter != 0 {
			t.Fatalf("fully replenished: remaining=%d ResetAfter=%s, want 100 and 0", r.Remaining, r.ResetAfter)
		}
	}
}

// testTightened: state written under a looser policy of the same name
// (before a configuration change) is never more than the new burst in
// debt.
func testTightened(t *testing.T, b Backend) {
	loose := ratelimit.Policy{Name: "tightened", Limit: 100, Period: 15 * time.Minute}
	tight := ratelimit.Policy{Name: "tightened", Limit: 10, Period: time.Minute} // one per 6s
	take(t, b.Store, "k", loose, 100)
	r := take(t, b.Store, "k", tight, 1)
	if r.Allowed || r.Remaining != 0 {
		t.Fatalf("tightened policy: allowed=%v remaining=%d, want denied with 0", r.Allowed, r.Remaining)
	}
	if r.RetryAfter > 6*time.Second || r.ResetAfter > time.Minute {
		t.Fatalf("tightened policy: RetryAfter %s ResetAfter %s, want at most one interval (6s) and one period", r.RetryAfter, r.ResetAfter)
	}
}

func testIndependent(t *testing.T, b Backend) {
	p1 := ratelimit.Policy{Name: "one", Limit: 2, Period: time.Hour}
	p2 := ratelimit.Policy{Name: "two", Limit: 2, Period: time.Hour}
	take(t, b.Store, "a", p1, 2)
	if r := take(t, b.Store, "a", p1, 1); r.Allowed {
		t.Fatal("exhausted key allowed")
	}
	if r := take(t, b.Store, "b", p1, 1); !r.Allowed || r.Remaining != 1 {
		t.Fatalf("another key shares state: allowed=%v remaining=%d", r.Allowed, r.Remaining)
	}
	if r := take(t, b.Store, "a", p2, 1); !r.Allowed || r.Remaining != 1 {
		t.Fatalf("another policy shares state: allowed=%v remaining=%d", r.Allowed, r.Remaining)
	}
}

func testAwkwardKeys(t *testing.T, b Backend) {
	p := ratelimit.Policy{Name: "awkward", Limit: 3, Period: time.Hour}
	keys := []string{"", "{}", "}{", "a}b{c", "{a}", "ip:2001:db8::/64", "ключ", "\x00\xff", "x|y", strings.Repeat("k", 2000), "sp ace", "*", "?"}
	for round := int64(1); round <= 2; round++ {
		for _, k := range keys {
			r := take(t, b.Store, k, p, 1)
			if !r.Allowed || r.Remaining != 3-round {
				t.Fatalf("key %q round %d: allowed=%v remaining=%d, want allowed with %d (keys must not share state)", k, round, r.Allowed, r.Remaining, 3-round)
			}
		}
	}
}

func testLargeLimit(t *testing.T, b Backend) {
	p := ratelimit.Policy{Name: "huge", Limit: 1<<63 - 1, Period: time.Second}
	for i := 0; i < 50; i++ {
		r := take(t, b.Store, "k", p, 1)
		if !r.Allowed || r.Remaining < 1_000_000_000 {
			t.Fatalf("request %d of a huge limit: allowed=%v remaining=%d", i, r.Allowed, r.Remaining)
		}
	}
	p = ratelimit.Policy{Name: "large", Limit: 1_000_000_000_000, Period: time.Minute}
	r := take(t, b.Store, "k", p, 1_000_000)
	if !r.Allowed || r.Remaining != 1_000_000_000_000-1_000_000 {
		t.Fatalf("1e12/min with cost 1e6: allowed=%v remaining=%d", r.Allowed, r.Remaining)
	}
}

func testConcurrent(t *testing.T, b Backend) {
	const limit, workers, each = 37, 8, 25
	p := ratelimit.Policy{Name: "concurrent", Limit: limit, Period: time.Hour}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				r, err := b.Store.Take(context.Background(), "shared", p, 1)
				if err != nil {
					errs <- err
					return
				}
				if r.Allowed {
					allowed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := allowed.Load(); got != limit {
		t.Fatalf("%d goroutines x %d requests over one key admitted %d, want exactly %d", workers, each, got, limit)
	}
}

func testTakeAll(t *testing.T, b Backend) {
	m, ok := b.Store.(ratelimit.MultiStore)
	if !ok {
		t.Log("store does not implement MultiStore; the Limiter calls Take per policy")
		return
	}
	a := ratelimit.Policy{Name: "outer", Limit: 3, Period: time.Hour}
	c := ratelimit.Policy{Name: "inner", Limit: 2, Period: time.Hour}
	ps := []ratelimit.Policy{a, c}
	want := []struct {
		n       int
		allowed bool
		remA    int64
	}{{2, true, 2}, {2, true, 1}, {2, false, 0}, {1, false, 0}}
	for i, w := range want {
		rs, err := m.TakeAll(context.Background(), "k", ps, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != w.n || rs[len(rs)-1].Allowed != w.allowed || rs[0].Remaining != w.remA {
			t.Fatalf("TakeAll #%d = %+v; want %d results, last allowed=%v, outer remaining %d", i+1, rs, w.n, w.allowed, w.remA)
		}
	}
	// Later policies were not charged by denials of earlier ones.
	if r := take(t, b.Store, "k", c, 0); r.Remaining != 0 {
		t.Fatalf("inner remaining %d", r.Remaining)
	}
	// dst is appended to.
	rs, err := m.TakeAll(context.Background(), "other", ps, 1, make([]ratelimit.Result, 1, 4))
	if err != nil || len(rs) != 3 || !rs[2].Allowed {
		t.Fatalf("TakeAll with a non-empty dst = %+v, %v", rs, err)
	}
}

func testCanceled(t *testing.T, b Backend) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := ratelimit.Policy{Name: "canceled", Limit: 1, Period: time.Hour}
	if _, err := b.Store.Take(ctx, "k", p, 1); err == nil {
		t.Fatal("Take with a canceled context succeeded")
	}
	// And it charged nothing.
	if r := take(t, b.Store, "k", p, 1); !r.Allowed {
		t.Fatal("a canceled Take was charged")
	}
}

// failing checks that Take fails, and within bound, while the backend is
// down or hung.
func failing(t *testing.T, s ratelimit.Store, p ratelimit.Policy) {
	t.Helper()
	const deadline = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := s.Take(ctx, "fault", p, 1)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Take succeeded against a stopped or paused server")
		}
	case <-time.After(deadline + 10*time.Second): // a hang detector, not a speed test
		t.Fatalf("Take did not return within its %s deadline (is the client honouring context deadlines?)", deadline)
	}
}

// recovers waits until Take succeeds again for every key the suite uses
// after a fault. A sharded backend (a Redis Cluster) may serve one key
// while the shard of another still refuses (CLUSTERDOWN for two seconds
// after a restart), so one key answering is not enough.
func recovers(t *testing.T, s ratelimit.Store, p ratelimit.Policy) {
	t.Helper()
	var err error
	for i := 0; i < 100; i++ {
		err = nil
		for _, key := range []string{"recovery", "limiter", "k", "fault"} {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_, err = s.Take(ctx, key, p, 0)
			cancel()
			if err != nil {
				break
			}
		}
		if err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("store did not recover: %v", err)
}

// limiters checks a fail-open and a fail-closed Limiter over s.
func limiters(t *testing.T, s ratelimit.Store, p ratelimit.Policy, down bool) {
	t.Helper()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	for _, closed := range []bool{false, true} {
		timeout := 300 * time.Millisecond
		if !down {
			timeout = 10 * time.Second // a loaded machine must not make the recovered store look down
		}
		l, err := ratelimit.New(s, func(*http.Request) string { return "limiter" }, []ratelimit.Policy{p},
			ratelimit.Options{FailClosed: closed, Timeout: timeout, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		served := make(chan struct{})
		go func() {
			defer close(served)
			l.Handler(ok).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		}()
		select {
		case <-served:
		case <-time.After(timeout + 10*time.Second): // a hang detector, not a speed test
			t.Fatalf("down=%v FailClosed=%v: the Limiter did not answer within its %s timeout", down, closed, timeout)
		}
		want := http.StatusOK
		if down && closed {
			want = http.StatusServiceUnavailable
		}
		if rec.Code != want {
			t.Fatalf("down=%v FailClosed=%v: status %d, want %d (body %s)", down, closed, rec.Code, want, rec.Body)
		}
		if down {
			if st := l.Stats(); st.StoreErrors != 1 {
				t.Fatalf("down=%v FailClosed=%v: StoreErrors = %d, want 1", down, closed, st.StoreErrors)
			}
			if closed && !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/problem+json") {
				t.Fatalf("fail-closed answer has Content-Type %q", rec.Header().Get("Content-Type"))
			}
		} else if rec.Header().Get(ratelimit.HeaderRateLimit) == "" {
			t.Fatal("no RateLimit header after recovery")
		}
	}
}

func testStopped(t *testing.T, b Backend) {
	if b.Stop == nil || b.Start == nil {
		t.Log("backend cannot be stopped; nothing to check")
		return
	}
	p := ratelimit.Policy{Name: "stopped", Limit: 100, Period: time.Hour}
	take(t, b.Store, "k", p, 1)
	if err := b.Stop(); err != nil {
		t.Fatal(err)
	}
	failing(t, b.Store, p)
	limiters(t, b.Store, p, true)
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	recovers(t, b.Store, p)
	limiters(t, b.Store, p, false)
}

func testPaused(t *testing.T, b Backend) {
	if b.Pause == nil || b.Resume == nil {
		t.Log("backend cannot be paused; nothing to check")
		return
	}
	p := ratelimit.Policy{Name: "paused", Limit: 100, Period: time.Hour}
	take(t, b.Store, "k", p, 1)
	if err := b.Pause(); err != nil {
		t.Fatal(err)
	}
	resumed := false
	defer func() {
		if !resumed {
			_ = b.Resume()
		}
	}()
	failing(t, b.Store, p)
	limiters(t, b.Store, p, true)
	if err := b.Resume(); err != nil {
		t.Fatal(err)
	}
	resumed = true
	recovers(t, b.Store, p)
	limiters(t, b.Store, p, false)
	// State written before the pause is still there.
	if r := take(t, b.Store, "k", p, 0); r.Remaining != 99 {
		t.Fatalf("after resume: remaining %d, want 99", r.Remaining)
	}
}
