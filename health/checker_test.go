package health_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chainsync/middleware/health"
	"github.com/chainsync/middleware/internal/testclock"
	"github.com/chainsync/middleware/internal/testserver"
)

func TestMain(m *testing.M) { testserver.Main(m) }

// clock is a manual clock for Options.Now.
type clock = testclock.Clock

func newClock() *clock { return testclock.New(time.Date(2026, 12, 4, 15, 4, 5, 0, time.UTC)) }

var quiet = slog.New(slog.DiscardHandler)

func newChecker(t testing.TB, opts health.Options, checks ...health.Check) *health.Checker {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	c, err := health.New(opts, checks...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return c
}

func ok(context.Context) error { return nil }

func TestNewRejectsMisconfiguration(t *testing.T) {
	tests := []struct {
		name   string
		opts   health.Options
		checks []health.Check
	}{
		{"no name", health.Options{}, []health.Check{{Check: ok}}},
		{"duplicate name", health.Options{}, []health.Check{{Name: "db", Check: ok}, {Name: "db", Check: ok}}},
		{"colon in name", health.Options{}, []health.Check{{Name: "db:primary", Check: ok}}},
		{"no function", health.Options{}, []health.Check{{Name: "db"}}},
		{"nil SQL db", health.Options{}, []health.Check{{Name: "db", Check: health.SQL(nil)}}},
		{"empty SQL query", health.Options{}, []health.Check{{Name: "db", Check: health.SQLQuery(nil, "")}}},
		{"typed nil SQL db", health.Options{}, []health.Check{{Name: "db", Check: health.SQL((*sql.DB)(nil))}}},
		{"typed nil SQL query db", health.Options{}, []health.Check{{Name: "db", Check: health.SQLQuery((*sql.DB)(nil), "SELECT 1")}}},
		{"negative check timeout", health.Options{}, []health.Check{{Name: "db", Check: ok, Timeout: -1}}},
		{"negative interval", health.Options{}, []health.Check{{Name: "db", Check: ok, Interval: -1}}},
		{"negative slow", health.Options{}, []health.Check{{Name: "db", Check: ok, Slow: -1}}},
		{"negative threshold", health.Options{}, []health.Check{{Name: "db", Check: ok, FailureThreshold: -1}}},
		{"negative deadline", health.Options{Deadline: -time.Second}, nil},
		{"negative TTL", health.Options{TTL: -time.Second}, nil},
		{"negative timeout", health.Options{Timeout: -time.Second}, nil},
		{"unknown format", health.Options{Format: 7}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := health.New(tt.opts, tt.checks...)
			if !errors.Is(err, health.ErrConfig) || c != nil {
				t.Fatalf("New = %v, %v; want nil, ErrConfig", c, err)
			}
		})
	}
	t.Run("MustNew panics", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Fatal("MustNew did not panic")
			}
		}()
		health.MustNew(health.Options{}, health.Check{})
	})
}

// TestChecksRunInParallel proves the checks overlap: each one waits until
// all ten have started, which only happens if they run at the same time.
// Run one after another, the first would wait forever (until its timeout).
func TestChecksRunInParallel(t *testing.T) {
	const n = 10
	var started atomic.Int32
	all := make(chan struct{})
	var checks []health.Check
	for i := range n {
		checks = append(checks, health.Check{Name: fmt.Sprint("dep", i), Critical: true, Timeout: time.Minute,
			Check: func(ctx context.Context) error {
				if started.Add(1) == n {
					close(all)
				}
				select {
				case <-all:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			}})
	}
	c := newChecker(t, health.Options{Deadline: 2 * time.Minute}, checks...)
	rep := c.Report(context.Background())
	if rep.Status != health.Healthy || len(rep.Checks) != n {
		t.Fatalf("report = %+v; want %d healthy checks", rep, n)
	}
	for i, res := range rep.Checks {
		if res.Name != fmt.Sprint("dep", i) || res.Status != health.Healthy {
			t.Errorf("check %d = %+v; want dep%d healthy, in the order given", i, res, i)
		}
	}
}

func waitGoroutines(t *testing.T, atMost int) int {
	t.Helper()
	var n int
	for range 500 {
		if n = runtime.NumGoroutine(); n <= atMost {
			return n
		}
		time.Sleep(10 * time.Millisecond)
	}
	return n
}

// TestTimeoutDoesNotPileUpGoroutines: a check that ignores its context is
// reported on time, and repeated probes do not start a goroutine each
// while it hangs.
func TestTimeoutDoesNotPileUpGoroutines(t *testing.T) {
	release := make(chan struct{})
	var runs atomic.Int32
	clk := newClock()
	c := newChecker(t, health.Options{Now: clk.Now, ExposeErrors: true}, health.Check{
		Name: "stuck", Critical: true, Timeout: 20 * time.Millisecond,
		Check: func(context.Context) error {
			runs.Add(1)
			<-release // ignores its context
			return nil
		}})
	base := settledGoroutines()
	rep := c.Report(context.Background())
	if res := rep.Checks[0]; !errors.Is(res.Err, health.ErrTimeout) || res.Status != health.Unhealthy || rep.Status != health.Unhealthy {
		t.Fatalf("first probe = %+v; want unhealthy with ErrTimeout", rep)
	}
	for i := range 50 {
		clk.Advance(2 * time.Second) // every probe finds the result stale
		res := c.Report(context.Background()).Checks[0]
		if !errors.Is(res.Err, health.ErrStillRunning) || res.Status != health.Unhealthy || res.Failures != i+2 {
			t.Fatalf("probe %d = %+v; want ErrStillRunning, unhealthy, %d failures", i, res, i+2)
		}
	}
	if n := runs.Load(); n != 1 {
		t.Fatalf("check started %d times while the first run hung; want 1", n)
	}
	if n := waitGoroutines(t, base+1); n > base+1 {
		t.Fatalf("%d goroutines after 51 probes of a hung check; want at most %d (one hung run)", n, base+1)
	}
	close(release)
	var rep2 health.Report
	for range 500 { // until the released run has returned
		clk.Advance(2 * time.Second)
		if rep2 = c.Report(context.Background()); rep2.Status == health.Healthy {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if rep2.Status != health.Healthy || runs.Load() != 2 {
		t.Fatalf("after release = %+v, %d runs; want healthy after a second run", rep2, runs.Load())
	}
	if n := waitGoroutines(t, base); n > base {
		t.Fatalf("%d goroutines after the hung check returned; want %d", n, base)
	}
}

// settledGoroutines waits until the number of goroutines stops changing
// (goroutines of earlier tests may still be exiting) and returns it.
func settledGoroutines() int {
	n := runtime.NumGoroutine()
	for stable := 0; stable < 3; {
		time.Sleep(5 * time.Millisecond)
		if m := runtime.NumGoroutine(); m == n {
			stable++
		} else {
			n, stable = m, 0
		}
	}
	return n
}

// TestContextAwareTimeout: a check that honours its context ends with it
// and is reported as a timeout wrapping the context's error.
func TestContextAwareTimeout(t *testing.T) {
	c := newChecker(t, health.Options{}, health.Check{Name: "slow", Timeout: 10 * time.Millisecond,
		Check: func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		}})
	res := c.Report(context.Background()).Checks[0]
	if !errors.Is(res.Err, health.ErrTimeout) || res.Duration != 10*time.Millisecond {
		t.Fatalf("result = %+v; want ErrTimeout after the 10ms timeout", res)
	}
}

func TestPanicIsRecovered(t *testing.T) {
	var calls atomic.Int32
	c := newChecker(t, health.Options{TTL: time.Nanosecond}, health.Check{Name: "boom", Critical: true,
		Check: func(context.Context) error {
			if calls.Add(1) == 1 {
				panic("nil map write in card reader")
			}
			return nil
		}})
	rep := c.Report(context.Background())
	if res := rep.Checks[0]; !errors.Is(res.Err, health.ErrPanic) || res.Status != health.Unhealthy || rep.Status != health.Unhealthy {
		t.Fatalf("report after panic = %+v; want unhealthy with ErrPanic", rep)
	}
	if rep := c.Report(context.Background()); rep.Status != health.Healthy {
		t.Fatalf("report after the panicking check recovered = %+v; want healthy", rep)
	}
}

// TestConcurrentProbesShareOneRun: however many probes arrive together,
// the check runs once per TTL.
func TestConcurrentProbesShareOneRun(t *testing.T) {
	var runs atomic.Int32
	gate := make(chan struct{})
	clk := newClock()
	c := newChecker(t, health.Options{Now: clk.Now}, health.Check{Name: "db", Critical: true, Timeout: time.Minute,
		Check: func(ctx context.Context) error {
			runs.Add(1)
			<-gate
			return nil
		}})
	const probes = 100
	var wg sync.WaitGroup
	reports := make(chan health.Report, probes)
	for range probes {
		wg.Go(func() { reports <- c.Report(context.Background()) })
	}
	for runs.Load() == 0 {
		runtime.Gosched()
	}
	close(gate)
	wg.Wait()
	close(reports)
	for rep := range reports {
		if rep.Status != health.Healthy {
			t.Fatalf("probe got %+v; want healthy", rep)
		}
	}
	if n := runs.Load(); n != 1 {
		t.Fatalf("%d concurrent probes ran the check %d times; want 1", probes, n)
	}
	clk.Advance(999 * time.Millisecond)
	c.Report(context.Background())
	if n := runs.Load(); n != 1 {
		t.Fatalf("probe within the TTL ran the check again (%d runs)", n)
	}
	clk.Advance(time.Millisecond)
	c.Report(context.Background())
	if n := runs.Load(); n != 2 {
		t.Fatalf("probe after the TTL: %d runs; want 2", n)
	}
}

// TestPerCheckInterval: each check is cached for its own interval.
func TestPerCheckInterval(t *testing.T) {
	var fast, slow atomic.Int32
	clk := newClock()
	c := newChecker(t, health.Options{Now: clk.Now},
		health.Check{Name: "fast", Interval: time.Second, Check: func(context.Context) error { fast.Add(1); return nil }},
		health.Check{Name: "slow", Interval: time.Minute, Check: func(context.Context) error { slow.Add(1); return nil }},
	)
	for range 10 {
		c.Report(context.Background())
		clk.Advance(time.Second)
	}
	if fast.Load() != 10 || slow.Load() != 1 {
		t.Fatalf("runs fast=%d slow=%d; want 10 and 1", fast.Load(), slow.Load())
	}
}

// TestBackgroundProbesOnlyRead: after Start, probes never run a check,
// however stale its result; after Stop they do again.
func TestBackgroundProbesOnlyRead(t *testing.T) {
	var runs atomic.Int32
	clk := newClock()
	c := newChecker(t, health.Options{Now: clk.Now}, health.Check{Name: "db", Interval: time.Hour,
		Check: func(context.Context) error { runs.Add(1); return nil }})
	c.Start()
	c.Start() // no second loop
	if rep := c.Report(context.Background()); rep.Status != health.Healthy {
		t.Fatalf("first report = %+v; want healthy (it waits for the first background run)", rep)
	}
	for range 100 {
		clk.Advance(time.Hour)
		c.Report(context.Background())
	}
	if n := runs.Load(); n != 1 {
		t.Fatalf("probes in background mode ran the check: %d runs; want 1", n)
	}
	c.Stop()
	c.Stop()
	clk.Advance(2 * time.Hour)
	c.Report(context.Background())
	if n := runs.Load(); n != 2 {
		t.Fatalf("probe after Stop: %d runs; want 2 (on demand again)", n)
	}
}

// TestBackgroundRefreshes: the background loop runs the check at its
// interval and a probe sees the new result without running anything.
func TestBackgroundRefreshes(t *testing.T) {
	var fail atomic.Bool
	changes := make(chan string, 16)
	c := newChecker(t, health.Options{OnChange: func(name string, from, to health.Status) {
		if name == "db" {
			changes <- from.String() + "->" + to.String()
		}
	}}, health.Check{Name: "db", Critical: true, Interval: 5 * time.Millisecond, Check: func(context.Context) error {
		if fail.Load() {
			return errors.New("connection refused")
		}
		return nil
	}})
	c.Start()
	if got := <-changes; got != "unknown->healthy" {
		t.Fatalf("first change %q", got)
	}
	fail.Store(true)
	if got := <-changes; got != "healthy->unhealthy" {
		t.Fatalf("change after failure %q", got)
	}
	if rep := c.Report(context.Background()); rep.Status != health.Unhealthy {
		t.Fatalf("report = %v; want unhealthy", rep.Status)
	}
	fail.Store(false)
	if got := <-changes; got != "unhealthy->healthy" {
		t.Fatalf("change after recovery %q", got)
	}
}

func TestStatusRules(t *testing.T) {
	failing := func(context.Context) error { return errors.New("down") }
	tests := []struct {
		name   string
		checks []health.Check
		want   health.Status
		each   []health.Status
	}{
		{"no checks", nil, health.Healthy, nil},
		{"all healthy", []health.Check{{Name: "a", Check: ok, Critical: true}, {Name: "b", Check: ok}}, health.Healthy,
			[]health.Status{health.Healthy, health.Healthy}},
		{"critical fails", []health.Check{{Name: "a", Check: failing, Critical: true}, {Name: "b", Check: ok}}, health.Unhealthy,
			[]health.Status{health.Unhealthy, health.Healthy}},
		{"non-critical fails", []health.Check{{Name: "a", Check: ok, Critical: true}, {Name: "b", Check: failing}}, health.Degraded,
			[]health.Status{health.Healthy, health.Unhealthy}},
		// Until its first success the threshold does not apply: an
		// instance whose database never answered is not ready.
		{"critical failing from the start, threshold 3", []health.Check{{Name: "a", Check: failing, Critical: true, FailureThreshold: 3}}, health.Unhealthy,
			[]health.Status{health.Unhealthy}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newChecker(t, health.Options{}, tt.checks...)
			rep := c.Report(context.Background())
			if rep.Status != tt.want {
				t.Fatalf("overall %v; want %v", rep.Status, tt.want)
			}
			for i, res := range rep.Checks {
				if res.Status != tt.each[i] {
					t.Errorf("check %s %v; want %v", res.Name, res.Status, tt.each[i])
				}
			}
			if rep.Ready() != (tt.want != health.Unhealthy) {
				t.Errorf("Ready() = %v with status %v", rep.Ready(), tt.want)
			}
		})
	}
}

// TestSlowIsDegraded uses the injected clock: the check "takes" 300ms.
func TestSlowIsDegraded(t *testing.T) {
	clk := newClock()
	c := newChecker(t, health.Options{Now: clk.Now}, health.Check{Name: "db", Critical: true, Slow: 250 * time.Millisecond,
		Check: func(context.Context) error { clk.Advance(300 * time.Millisecond); return nil }})
	rep := c.Report(context.Background())
	if res := rep.Checks[0]; res.Status != health.Degraded || res.Err != nil || res.Duration != 300*time.Millisecond || rep.Status != health.Degraded {
		t.Fatalf("report = %+v; want degraded with a 300ms success", rep)
	}
}

// TestFailureThreshold: with FailureThreshold 3 a critical check that has
// succeeded is degraded on the first two failures, unhealthy on the third,
// healthy again (and the count reset) after one success. Before its first
// success every failure is unhealthy.
func TestFailureThreshold(t *testing.T) {
	type step struct {
		fail     bool
		want     health.Status
		failures int
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"after a success", []step{
			{false, health.Healthy, 0},
			{true, health.Degraded, 1},
			{true, health.Degraded, 2},
			{true, health.Unhealthy, 3},
			{true, health.Unhealthy, 4},
			{false, health.Healthy, 0},
			{true, health.Degraded, 1},
		}},
		{"failing from the start", []step{
			{true, health.Unhealthy, 1},
			{true, health.Unhealthy, 2},
			{false, health.Healthy, 0},
			{true, health.Degraded, 1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			var fail atomic.Bool
			c := newChecker(t, health.Options{Now: clk.Now}, health.Check{Name: "db", Critical: true, FailureThreshold: 3,
				Check: func(context.Context) error {
					if fail.Load() {
						return errors.New("down")
					}
					return nil
				}})
			for i, s := range tt.steps {
				fail.Store(s.fail)
				rep := c.Report(context.Background())
				if res := rep.Checks[0]; rep.Status != s.want || res.Failures != s.failures {
					t.Fatalf("step %d: %v with %d failures; want %v with %d", i, rep.Status, res.Failures, s.want, s.failures)
				}
				clk.Advance(time.Second)
			}
		})
	}
}

// TestDeadlineRespectsFailureThreshold: a result that misses the probe
// deadline counts like one more failure: a check that has succeeded and
// may fail 3 times is degraded, not unhealthy.
func TestDeadlineRespectsFailureThreshold(t *testing.T) {
	clk := newClock()
	block := make(chan struct{})
	defer close(block)
	var runs atomic.Int32
	c := newChecker(t, health.Options{Now: clk.Now, Deadline: 10 * time.Millisecond}, health.Check{Name: "db", Critical: true,
		FailureThreshold: 3, Timeout: time.Minute, Check: func(context.Context) error {
			if runs.Add(1) > 1 {
				<-block
			}
			return nil
		}})
	if rep := c.Report(context.Background()); rep.Status != health.Healthy {
		t.Fatalf("first report = %+v", rep)
	}
	clk.Advance(time.Second)
	rep := c.Report(context.Background())
	if res := rep.Checks[0]; !errors.Is(res.Err, health.ErrDeadline) || res.Status != health.Degraded || rep.Status != health.Degraded {
		t.Fatalf("report past the deadline = %+v; want degraded with ErrDeadline", rep)
	}
}

// TestDeadline: a probe does not wait past Options.Deadline (or its
// context); the run goes on and its result serves the next probe.
func TestDeadline(t *testing.T) {
	release := make(chan struct{})
	var runs atomic.Int32
	clk := newClock()
	c := newChecker(t, health.Options{Now: clk.Now, Deadline: 10 * time.Millisecond}, health.Check{Name: "db", Critical: true, Timeout: time.Minute,
		Check: func(ctx context.Context) error {
			runs.Add(1)
			select {
			case <-release:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}})
	rep := c.Report(context.Background())
	if res := rep.Checks[0]; !errors.Is(res.Err, health.ErrDeadline) || rep.Status != health.Unhealthy {
		t.Fatalf("report = %+v; want unhealthy with ErrDeadline", rep)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if res := c.Report(ctx).Checks[0]; !errors.Is(res.Err, health.ErrDeadline) {
		t.Fatalf("report with a cancelled context = %+v; want ErrDeadline", res)
	}
	close(release)
	for {
		rep = c.Report(context.Background())
		if !errors.Is(rep.Checks[0].Err, health.ErrDeadline) {
			break
		}
		runtime.Gosched()
	}
	if rep.Status != health.Healthy || runs.Load() != 1 {
		t.Fatalf("report after the run finished = %+v (%d runs); want healthy from the same run", rep, runs.Load())
	}
}

func TestDraining(t *testing.T) {
	c := newChecker(t, health.Options{}, health.Func("db", ok))
	if rep := c.Report(context.Background()); !rep.Ready() || rep.Draining {
		t.Fatalf("before draining: %+v", rep)
	}
	c.SetDraining(true)
	if rep := c.Report(context.Background()); rep.Ready() || !rep.Draining || rep.Status != health.Healthy || !c.Draining() {
		t.Fatalf("draining: %+v; want not ready, draining, checks still healthy", rep)
	}
	c.SetDraining(false)
	if rep := c.Report(context.Background()); !rep.Ready() {
		t.Fatalf("after draining: %+v", rep)
	}
}

// TestOnChange: the listener hears each check's changes and the overall
// status's (name ""), in order, and a panicking listener does not break
// the checker.
func TestOnChange(t *testing.T) {
	clk := newClock()
	var mu sync.Mutex
	var got []string
	var fail atomic.Bool
	c := newChecker(t, health.Options{Now: clk.Now, OnChange: func(name string, from, to health.Status) {
		mu.Lock()
		got = append(got, fmt.Sprintf("%s:%v->%v", name, from, to))
		mu.Unlock()
		if name == "db" && to == health.Unhealthy {
			panic("listener bug")
		}
	}}, health.Check{Name: "db", Critical: true, Check: func(context.Context) error {
		if fail.Load() {
			return errors.New("down")
		}
		return nil
	}}, health.Check{Name: "search", Check: ok})
	for _, f := range []bool{false, true, true, false} {
		fail.Store(f)
		c.Report(context.Background())
		clk.Advance(time.Second)
	}
	// Changes are delivered on a goroutine of the Checker: wait for them.
	for range 500 {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 7 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 7 {
		t.Fatalf("changes %q; want 7", got)
	}
	// The order of the two first results depends on which check ends
	// first; compare them as a set.
	first := map[string]bool{}
	for _, s := range got[:3] {
		first[s] = true
	}
	if !first["db:unknown->healthy"] || !first["search:unknown->healthy"] || got[2] != ":unknown->healthy" {
		t.Fatalf("first changes %q", got[:3])
	}
	want := []string{"db:healthy->unhealthy", ":healthy->unhealthy", "db:unhealthy->healthy", ":unhealthy->healthy"}
	rest := got[len(got)-len(want):]
	for i := range want {
		if rest[i] != want[i] {
			t.Fatalf("changes %q; want them to end with %q", got, want)
		}
	}
}

func TestStatusString(t *testing.T) {
	for s, want := range map[health.Status]string{health.Unknown: "unknown", health.Healthy: "healthy",
		health.Degraded: "degraded", health.Unhealthy: "unhealthy", 42: "unknown"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q; want %q", s, s.String(), want)
		}
		if b, _ := s.MarshalText(); string(b) != want {
			t.Errorf("%d.MarshalText() = %q; want %q", s, b, want)
		}
	}
}

// stuckCheck is a critical check that succeeds once, then ignores its
// context until the returned release func is called (at cleanup at the
// latest): degraded at its first timeout, unhealthy at the next failure.
func stuckCheck(t *testing.T) (health.Check, func()) {
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(free)
	var runs atomic.Int32
	return health.Check{Name: "stuck", Critical: true, FailureThreshold: 2, Timeout: time.Millisecond, Interval: 5 * time.Millisecond,
		Check: func(context.Context) error {
			if runs.Add(1) > 1 {
				<-release
			}
			return nil
		}}, free
}

// TestListenerDoesNotDelayProbes: a probe that records a change (here the
// ErrStillRunning that makes a hung check unhealthy) returns while the
// listener is still busy with it: listeners never run on a probe.
func TestListenerDoesNotDelayProbes(t *testing.T) {
	clk := newClock()
	check, _ := stuckCheck(t)
	unblock := make(chan struct{})
	defer close(unblock)
	degraded, entered := make(chan struct{}, 1), make(chan struct{}, 1)
	c := newChecker(t, health.Options{Now: clk.Now, OnChange: func(name string, from, to health.Status) {
		switch {
		case name == "stuck" && to == health.Degraded:
			degraded <- struct{}{}
		case name == "stuck" && to == health.Unhealthy:
			entered <- struct{}{}
			<-unblock
		}
	}}, check)
	if rep := c.Report(context.Background()); rep.Status != health.Healthy {
		t.Fatalf("first probe = %+v; want healthy", rep)
	}
	clk.Advance(time.Hour)
	if res := c.Report(context.Background()).Checks[0]; !errors.Is(res.Err, health.ErrTimeout) || res.Status != health.Degraded {
		t.Fatalf("second probe = %+v; want degraded with ErrTimeout", res)
	}
	<-degraded
	clk.Advance(time.Hour)
	done := make(chan health.Report, 1)
	go func() { done <- c.Report(context.Background()) }()
	select {
	case rep := <-done:
		if res := rep.Checks[0]; !errors.Is(res.Err, health.ErrStillRunning) || res.Status != health.Unhealthy {
			t.Fatalf("third probe = %+v; want unhealthy with ErrStillRunning", res)
		}
	case <-time.After(30 * time.Second): // a hang guard, not a time limit
		t.Fatal("the probe waited for the OnChange listener")
	}
	<-entered // the listener does hear the change, on another goroutine
}

// TestStopFromListener: a listener may call Stop (say, on a fatal status)
// even when the change was recorded by a background loop.
func TestStopFromListener(t *testing.T) {
	check, _ := stuckCheck(t)
	stopped := make(chan struct{})
	var c *health.Checker
	c = newChecker(t, health.Options{OnChange: func(name string, from, to health.Status) {
		if name == "stuck" && to == health.Unhealthy {
			c.Stop()
			close(stopped)
		}
	}}, check)
	c.Start()
	select {
	case <-stopped:
	case <-time.After(30 * time.Second): // a hang guard, not a time limit
		t.Fatal("Stop called from OnChange did not return")
	}
}

// TestOnChangeOverallFollowsChecks: with many checks flapping under
// concurrent probes, each check's changes chain (from = the previous to)
// and every overall change agrees with the check changes delivered before
// it, by the documented rules.
func TestOnChangeOverallFollowsChecks(t *testing.T) {
	const n = 6
	var mu sync.Mutex
	seen := map[string]health.Status{}
	critical := map[string]bool{}
	overall := health.Unknown
	var bad []string
	var delivered atomic.Int64
	var checks []health.Check
	var calls atomic.Uint64
	for i := range n {
		name := fmt.Sprint("dep", i)
		critical[name] = i%2 == 0
		checks = append(checks, health.Check{Name: name, Critical: critical[name], Check: func(context.Context) error {
			if x := calls.Add(1); (x*2654435761)>>7%3 == 0 { // a cheap deterministic shuffle
				return errors.New("flap")
			}
			return nil
		}})
	}
	c := newChecker(t, health.Options{TTL: time.Nanosecond, OnChange: func(name string, from, to health.Status) {
		mu.Lock()
		defer mu.Unlock()
		defer delivered.Add(1)
		if name != "" {
			if seen[name] != from {
				bad = append(bad, fmt.Sprintf("%s: %v->%v after %v", name, from, to, seen[name]))
			}
			seen[name] = to
			return
		}
		if from != overall {
			bad = append(bad, fmt.Sprintf("overall %v->%v after %v", from, to, overall))
		}
		overall = to
		want := health.Healthy
		for name := range critical {
			s, ok := seen[name]
			switch {
			case ok && s == health.Unhealthy && critical[name]:
				want = health.Unhealthy
			case !ok && want != health.Unhealthy:
				want = health.Unknown
			case (s == health.Degraded || s == health.Unhealthy) && want == health.Healthy:
				want = health.Degraded
			}
		}
		if to != want {
			bad = append(bad, fmt.Sprintf("overall ->%v with checks %v; want %v", to, seen, want))
		}
	}}, checks...)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				c.Report(context.Background())
			}
		})
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if delivered.Load() == 0 || len(bad) > 0 {
		t.Fatalf("%d changes delivered; inconsistencies: %q", delivered.Load(), bad)
	}
}

// TestProbesShareTheRunAtExpiry: when a cached result expires under a
// storm of probes, the check runs once more, not once per probe.
func TestProbesShareTheRunAtExpiry(t *testing.T) {
	var runs atomic.Int32
	gate := make(chan struct{})
	clk := newClock()
	c := newChecker(t, health.Options{Now: clk.Now}, health.Check{Name: "db", Critical: true, Timeout: time.Minute,
		Check: func(context.Context) error {
			if runs.Add(1) > 1 {
				<-gate
			}
			return nil
		}})
	if rep := c.Report(context.Background()); rep.Status != health.Healthy {
		t.Fatalf("first report = %+v", rep)
	}
	clk.Advance(time.Second) // the cached result has just expired
	const probes = 200
	var wg sync.WaitGroup
	var healthy atomic.Int32
	for range probes {
		wg.Go(func() {
			if c.Report(context.Background()).Status == health.Healthy {
				healthy.Add(1)
			}
		})
	}
	for runs.Load() < 2 {
		runtime.Gosched()
	}
	close(gate)
	wg.Wait()
	if n := runs.Load(); n != 2 || healthy.Load() != probes {
		t.Fatalf("%d probes at expiry: %d runs, %d healthy; want 2 runs (the first and one shared), all healthy", probes, n, healthy.Load())
	}
}

// TestCancelledProbeLeavesNoGoroutine: a probe whose request context ends
// while the check runs returns ErrDeadline at once; the run goes on, its
// result is cached for the next probe, and nothing is left behind.
func TestCancelledProbeLeavesNoGoroutine(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	var runs atomic.Int32
	clk := newClock()
	c := newChecker(t, health.Options{Now: clk.Now}, health.Check{Name: "db", Critical: true, Timeout: time.Minute,
		Check: func(ctx context.Context) error {
			runs.Add(1)
			close(started)
			<-release
			return nil
		}})
	base := settledGoroutines()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	if res := c.Report(ctx).Checks[0]; !errors.Is(res.Err, health.ErrDeadline) {
		t.Fatalf("cancelled probe = %+v; want ErrDeadline", res)
	}
	close(release)
	var rep health.Report
	for range 3000 {
		if rep = c.Report(context.Background()); rep.Status == health.Healthy {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if rep.Status != health.Healthy || runs.Load() != 1 {
		t.Fatalf("after the run = %+v, %d runs; want healthy from the one run", rep, runs.Load())
	}
	if n := waitGoroutines(t, base); n > base {
		t.Fatalf("%d goroutines after the run; want %d", n, base)
	}
}

// TestStopEndsBackgroundGoroutines: Stop leaves no goroutine of the
// background loops behind, and Start after Stop works again.
func TestStopEndsBackgroundGoroutines(t *testing.T) {
	var checks []health.Check
	var runs atomic.Int32
	for i := range 5 {
		checks = append(checks, health.Check{Name: fmt.Sprint("dep", i), Interval: time.Millisecond,
			Check: func(context.Context) error { runs.Add(1); return nil }})
	}
	c := newChecker(t, health.Options{}, checks...)
	base := settledGoroutines()
	for round := range 2 {
		c.Start()
		if rep := c.Report(context.Background()); rep.Status != health.Healthy {
			t.Fatalf("round %d: report = %+v", round, rep)
		}
		for before := runs.Load(); runs.Load() < before+10; {
			runtime.Gosched()
		}
		c.Stop()
		if n := waitGoroutines(t, base); n > base {
			t.Fatalf("round %d: %d goroutines after Stop; want %d", round, n, base)
		}
	}
}
