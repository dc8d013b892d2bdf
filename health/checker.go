package health

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of [Options] and [Check].
const (
	// DefaultTimeout is the default time one check may take.
	DefaultTimeout = 800 * time.Millisecond
	// DefaultDeadline is the default time one probe may take in total.
	DefaultDeadline = 900 * time.Millisecond
	// DefaultTTL is the default time a result stays fresh.
	DefaultTTL = time.Second
)

// Errors reported in [Result.Err], and configuration errors.
var (
	// ErrTimeout is the error of a check that did not return within its
	// timeout.
	ErrTimeout = errors.New("health: check timed out")
	// ErrStillRunning is the error of a check whose previous run timed out
	// and has still not returned (its function ignores its context); no
	// second run is started while it hangs.
	ErrStillRunning = errors.New("health: check still running after its timeout")
	// ErrPanic is the error of a check that panicked.
	ErrPanic = errors.New("health: check panicked")
	// ErrDeadline is the error of a check whose result did not arrive
	// within the probe's deadline ([Options.Deadline] or the request's
	// context); its run goes on and its result is cached for later probes.
	// It counts like one more failure for [Check.FailureThreshold].
	ErrDeadline = errors.New("health: no result within the probe deadline")
	// ErrMethodNotAllowed is passed to [Options.ErrorHandler] for a request
	// that is neither GET nor HEAD.
	ErrMethodNotAllowed = errors.New("health: method not allowed")
	// ErrConfig wraps every error of [New] about its arguments.
	ErrConfig = errors.New("health: invalid configuration")
)

// Check is one named dependency check.
type Check struct {
	// Name identifies the check in reports ("postgres", "redis",
	// "payments"). Required, unique within a [Checker], and without a
	// colon (draft-inadarei-api-health-check forbids one in the component
	// name of its "name:responseTime" keys).
	Name string
	// Check reports the dependency's health: nil when healthy. It must
	// honour ctx, which carries the timeout; one that does not is still
	// reported failed on time, but its goroutine lingers until it
	// returns (and no other run of it starts meanwhile). Required.
	Check func(ctx context.Context) error
	// Critical makes the overall status unhealthy (readiness 503) while
	// this check is unhealthy. Default false: a failure only degrades the
	// overall status.
	Critical bool
	// Timeout bounds one run. Default [Options.Timeout] (800 ms).
	Timeout time.Duration
	// Interval is how long a result stays fresh, and how often the check
	// runs in the background after [Checker.Start] (a run never overlaps
	// the previous one: a tick while it is in flight is skipped). Default
	// [Options.TTL] (1 s).
	Interval time.Duration
	// Slow, when positive, reports a successful run that took longer as
	// degraded. Default 0: latency never degrades a success.
	Slow time.Duration
	// FailureThreshold is how many consecutive failures make the check
	// unhealthy; fewer report it degraded, to ride out a single blip. It
	// applies once the check has succeeded: before that every failure is
	// unhealthy, so an instance is not ready until its dependencies have
	// answered. A result missing the probe deadline counts as one more
	// failure. Default 1: the first failure is unhealthy.
	FailureThreshold int
}

// Func returns a [Check] named name running fn, with every other field at
// its default.
func Func(name string, fn func(ctx context.Context) error) Check {
	return Check{Name: name, Check: fn}
}

// Result is the outcome of one run of one check.
type Result struct {
	// Name is the check's name.
	Name string
	// Status is the check's own status (see [Check.FailureThreshold] and
	// [Check.Slow]).
	Status Status
	// Critical is the check's [Check.Critical].
	Critical bool
	// Err is the check's error, nil when it succeeded.
	Err error
	// Duration is how long the run took (the timeout, for a timed-out one).
	Duration time.Duration
	// Time is when the result was recorded.
	Time time.Time
	// Failures counts consecutive failed runs up to this one (0 after a
	// success).
	Failures int
}

// Report is the health of a [Checker] at one moment.
type Report struct {
	// Status is the overall status (see the package documentation).
	Status Status
	// Draining reports that [Checker.SetDraining] is on: readiness answers
	// 503 whatever Status says.
	Draining bool
	// Time is when the report was assembled.
	Time time.Time
	// Checks holds one result per check, in the order given to [New].
	Checks []Result
}

// Ready reports whether the instance should receive traffic: not draining
// and healthy or degraded.
func (r Report) Ready() bool { return !r.Draining && r.Status.serving() }

// Format is a response body format.
type Format uint8

const (
	// FormatChainSync is ChainSync's JSON ({"status":"healthy", ...}).
	FormatChainSync Format = iota
	// FormatHealthJSON is application/health+json of
	// draft-inadarei-api-health-check.
	FormatHealthJSON
)

// Options configure a [Checker]. The zero value is usable: 800 ms per
// check, 900 ms per probe, results fresh for 1 s, error messages hidden,
// ChainSync's body format.
type Options struct {
	// Timeout is the default [Check.Timeout]. Default 800 ms.
	Timeout time.Duration
	// Deadline bounds one probe: results not in by then are reported with
	// [ErrDeadline]. A request context that ends sooner ends the wait
	// sooner. Default 900 ms.
	Deadline time.Duration
	// TTL is the default [Check.Interval]. Default 1 s.
	TTL time.Duration
	// ExposeErrors puts the checks' error messages in the details of
	// [Checker.HealthHandler]'s body. Default false: only the kind of
	// failure is shown ("timed out", "check failed"), because messages
	// name hosts, users and databases.
	ExposeErrors bool
	// Format is the body format when the request's Accept header does not
	// prefer one. Default [FormatChainSync].
	Format Format
	// ServiceID, Version, ReleaseID and Description fill the members of
	// the same names in application/health+json bodies. Default empty
	// (omitted).
	ServiceID, Version, ReleaseID, Description string
	// OnChange is called on every status change of a check (with its name)
	// and of the overall status (with name ""), including the first result
	// (from [Unknown]). Calls are made one at a time, in the order the
	// changes were recorded, on a goroutine of the Checker (never on a
	// probe's), with no lock held, so a slow listener delays later calls,
	// never a probe, and it may call [Checker.Stop]. A change of a check is
	// delivered before the overall change it causes. Default nil.
	OnChange func(name string, from, to Status)
	// ErrorHandler answers requests the handlers reject (a method other
	// than GET or HEAD, with [ErrMethodNotAllowed]). Default: a 405
	// problem+json response with an Allow header.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)
	// Logger receives status changes (Info for recoveries, Warn for
	// failures) and recovered panics (Error). Default slog.Default().
	Logger *slog.Logger
	// Now is the clock of results, caching and timestamps. Default
	// time.Now.
	Now func() time.Time
}

// Checker runs checks and serves their results. Build it with [New]; it is
// safe for concurrent use.
type Checker struct {
	opts     Options
	now      func() time.Time
	log      *slog.Logger
	deadline time.Duration
	runners  []*runner
	draining atomic.Bool

	gen  atomic.Uint64 // incremented by every recorded result
	snap atomic.Pointer[snapshot]

	events notifier

	bgMu    sync.Mutex
	bg      atomic.Bool
	bgStop  chan struct{}
	bgWG    sync.WaitGroup
	headers headerValues
}

// New returns a Checker running checks. It fails with an error wrapping
// [ErrConfig] when a check has no name, a duplicate name, a name with a
// colon or no function, or a duration or threshold is negative.
func New(opts Options, checks ...Check) (*Checker, error) {
	if opts.Timeout < 0 || opts.Deadline < 0 || opts.TTL < 0 {
		return nil, fmt.Errorf("%w: negative Timeout, Deadline or TTL", ErrConfig)
	}
	if opts.Format > FormatHealthJSON {
		return nil, fmt.Errorf("%w: unknown Format %d", ErrConfig, opts.Format)
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Deadline == 0 {
		opts.Deadline = DefaultDeadline
	}
	if opts.TTL == 0 {
		opts.TTL = DefaultTTL
	}
	c := &Checker{opts: opts, now: opts.Now, log: opts.Logger, deadline: opts.Deadline}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	c.headers = newHeaderValues()
	c.headers.live[FormatHealthJSON] = c.liveBody(FormatHealthJSON)
	seen := make(map[string]bool, len(checks))
	for i, ch := range checks {
		switch {
		case ch.Name == "":
			return nil, fmt.Errorf("%w: check %d has no Name", ErrConfig, i)
		case seen[ch.Name]:
			return nil, fmt.Errorf("%w: two checks named %q", ErrConfig, ch.Name)
		case strings.Contains(ch.Name, ":"):
			return nil, fmt.Errorf("%w: check name %q contains a colon (application/health+json keys are name:responseTime)", ErrConfig, ch.Name)
		case ch.Check == nil:
			return nil, fmt.Errorf("%w: check %q has no Check function", ErrConfig, ch.Name)
		case ch.Timeout < 0 || ch.Interval < 0 || ch.Slow < 0 || ch.FailureThreshold < 0:
			return nil, fmt.Errorf("%w: check %q has a negative Timeout, Interval, Slow or FailureThreshold", ErrConfig, ch.Name)
		}
		seen[ch.Name] = true
		if ch.Timeout == 0 {
			ch.Timeout = opts.Timeout
		}
		if ch.Interval == 0 {
			ch.Interval = opts.TTL
		}
		if ch.FailureThreshold == 0 {
			ch.FailureThreshold = 1
		}
		c.runners = append(c.runners, &runner{c: c, check: ch})
	}
	return c, nil
}

// MustNew is like [New] but panics on error; for package-level set-up.
func MustNew(opts Options, checks ...Check) *Checker {
	c, err := New(opts, checks...)
	if err != nil {
		panic(err)
	}
	return c
}

// SetDraining turns draining on or off. While on, readiness and health
// answer 503 (liveness stays 200), so load balancers stop sending traffic
// before the server shuts down.
func (c *Checker) SetDraining(on bool) { c.draining.Store(on) }

// Draining reports whether [Checker.SetDraining] is on.
func (c *Checker) Draining() bool { return c.draining.Load() }

// Report returns the current health, running the checks whose results are
// stale (see the package documentation) and waiting for them at most
// [Options.Deadline] or until ctx ends. The checks themselves run under
// their own timeouts, not under ctx: a run is shared by every probe that
// arrives meanwhile and outlives the one that started it. The returned
// Checks slice is the caller's.
func (c *Checker) Report(ctx context.Context) Report {
	s := c.snapshot(ctx)
	rep := s.report
	rep.Checks = append([]Result(nil), rep.Checks...)
	rep.Draining = c.draining.Load()
	return rep
}

// Start runs every check in the background at its interval, starting now,
// until [Checker.Stop]; probes then only read the latest results (waiting
// only for a check's first result). Calling Start on a started Checker does
// nothing.
func (c *Checker) Start() {
	c.bgMu.Lock()
	defer c.bgMu.Unlock()
	if c.bg.Load() {
		return
	}
	c.bgStop = make(chan struct{})
	c.bg.Store(true)
	now := c.now()
	for _, r := range c.runners {
		_, wait := r.poll(now, true) // the first run starts now, before Start returns
		c.bgWG.Add(1)
		go r.loop(c.bgStop, wait)
	}
}

// Stop ends the background runs of [Checker.Start] and waits for their
// loops (not for a check function that ignores its context); probes then
// run stale checks on demand again. Calling Stop on a stopped Checker does
// nothing.
func (c *Checker) Stop() {
	c.bgMu.Lock()
	defer c.bgMu.Unlock()
	if !c.bg.Load() {
		return
	}
	close(c.bgStop)
	c.bgWG.Wait()
	c.bg.Store(false)
}

// snapshot is one assembled report with its lazily encoded bodies.
type snapshot struct {
	report  Report
	gen     uint64
	expires time.Time
	bodies  [2][2]atomic.Pointer[body] // [kind][Format]
}

// snapshot returns a current snapshot: the cached one while no result was
// recorded since and none of its results is stale, a new one otherwise.
func (c *Checker) snapshot(ctx context.Context) *snapshot {
	now := c.now()
	if s := c.snap.Load(); s != nil && s.gen == c.gen.Load() && (c.bg.Load() || now.Before(s.expires)) {
		return s
	}
	gen := c.gen.Load()
	results := make([]Result, len(c.runners))
	var waits []chan struct{}
	for i, r := range c.runners {
		res, wait := r.poll(now, false)
		results[i] = res
		if wait != nil {
			if waits == nil {
				waits = make([]chan struct{}, len(c.runners))
			}
			waits[i] = wait
		}
	}
	complete := true
	if waits != nil {
		ctx, cancel := context.WithTimeout(ctx, c.deadline)
		for i, wait := range waits {
			if wait == nil {
				continue
			}
			r := c.runners[i]
			select {
			case <-wait:
				results[i] = r.latest()
			case <-ctx.Done():
				complete = false
				t := c.now()
				results[i] = r.missed(t, t.Sub(now))
			}
		}
		cancel()
	}
	s := &snapshot{gen: gen, report: Report{Status: overall(results), Time: now, Checks: results}}
	if !complete {
		return s // never cached: it holds no-result placeholders
	}
	for i, res := range results {
		exp := res.Time.Add(c.runners[i].check.Interval)
		if i == 0 || exp.Before(s.expires) {
			s.expires = exp
		}
	}
	if len(results) == 0 {
		s.expires = now.Add(c.opts.TTL)
	}
	c.snap.Store(s)
	return s
}

// overall aggregates check results into the overall status.
func overall(results []Result) Status {
	st := Healthy
	for _, r := range results {
		st = worse(st, effect(r.Status, r.Critical))
	}
	return st
}

// effect is what a check's status does to the overall status: a
// non-critical check's failure only degrades it.
func effect(s Status, critical bool) Status {
	if s == Unhealthy && !critical {
		return Degraded
	}
	return s
}

// worse returns the status that prevails in the overall status: unhealthy
// over unknown (a check with no result yet) over degraded over healthy.
func worse(a, b Status) Status {
	rank := func(s Status) int {
		switch s {
		case Healthy:
			return 0
		case Degraded:
			return 1
		case Unknown:
			return 2
		}
		return 3
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// runner holds the state of one check.
type runner struct {
	c     *Checker
	check Check

	mu       sync.Mutex
	has      bool
	last     Result
	fails    int
	ok       bool          // a run has succeeded: FailureThreshold applies
	cycle    chan struct{} // open while a run's result is awaited
	running  bool          // the check function has not returned yet
	runStart time.Time
	status   atomic.Uint32 // last.Status; written under c.events.mu
}

// poll returns the runner's fresh result, or a channel closed when the run
// it joined or started has a result. force ignores freshness (background
// runs).
func (r *runner) poll(now time.Time, force bool) (Result, chan struct{}) {
	r.mu.Lock()
	if r.has && !force && (r.c.bg.Load() || now.Before(r.last.Time.Add(r.check.Interval))) {
		res := r.last
		r.mu.Unlock()
		return res, nil
	}
	if r.cycle != nil {
		wait := r.cycle
		r.mu.Unlock()
		return Result{}, wait
	}
	if r.running {
		r.recordLocked(now, now.Sub(r.runStart), ErrStillRunning)
		res := r.last
		r.mu.Unlock()
		return res, nil
	}
	wait := make(chan struct{})
	r.cycle, r.running, r.runStart = wait, true, now
	r.mu.Unlock()
	go r.exec(wait, now)
	return Result{}, wait
}

// latest returns the last recorded result.
func (r *runner) latest() Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

// exec runs the check once. Its result is recorded when the function
// returns or when the timeout passes, whichever comes first; the runner
// stays "running" until the function returns.
func (r *runner) exec(wait chan struct{}, start time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), r.check.Timeout)
	stop := context.AfterFunc(ctx, func() { r.finish(wait, r.check.Timeout, ErrTimeout, false) })
	err := r.call(ctx)
	if stop() {
		d := r.c.now().Sub(start)
		if deadline, _ := ctx.Deadline(); err != nil && (ctx.Err() != nil || !time.Now().Before(deadline)) {
			// It gave up at its deadline; the driver's own deadline error
			// ("i/o timeout") can come a moment before ctx reports one.
			err, d = fmt.Errorf("%w: %w", ErrTimeout, err), r.check.Timeout
		}
		r.finish(wait, d, err, true)
	} else { // the timeout recorded the result; the function is done now
		r.mu.Lock()
		r.running = false
		r.mu.Unlock()
	}
	cancel()
}

// call runs the check function, turning a panic into [ErrPanic].
func (r *runner) call(ctx context.Context) (err error) {
	defer func() {
		if v := recover(); v != nil {
			r.c.log.Error("health: check panicked", "check", r.check.Name, "panic", fmt.Sprint(v))
			err = ErrPanic
		}
	}()
	return r.check.Check(ctx)
}

// finish records the result of the run whose channel is wait, unless that
// run already has one. returned says the check function has returned.
func (r *runner) finish(wait chan struct{}, d time.Duration, err error, returned bool) {
	r.mu.Lock()
	if returned {
		r.running = false
	}
	if r.cycle != wait {
		r.mu.Unlock()
		return
	}
	r.recordLocked(r.c.now(), d, err)
	r.cycle = nil
	close(wait)
	r.mu.Unlock()
}

// recordLocked stores a result and, when its status changed, queues the
// change. r.mu is held.
func (r *runner) recordLocked(now time.Time, d time.Duration, err error) {
	if err != nil {
		r.fails++
	} else {
		r.fails, r.ok = 0, true
	}
	res := Result{Name: r.check.Name, Critical: r.check.Critical, Err: err, Duration: d, Time: now, Failures: r.fails}
	switch {
	case err != nil:
		res.Status = r.failureStatusLocked(r.fails)
	case r.check.Slow > 0 && d > r.check.Slow:
		res.Status = Degraded
	default:
		res.Status = Healthy
	}
	from := Unknown
	if r.has {
		from = r.last.Status
	}
	r.last, r.has = res, true
	r.c.gen.Add(1)
	if from != res.Status {
		r.c.changed(r, change{name: r.check.Name, from: from, to: res.Status, err: err})
	}
}

// failureStatusLocked is the status of a failure that makes fails
// consecutive ones: unhealthy from FailureThreshold on, and before the
// check has ever succeeded (an instance whose database never answered is
// not ready); degraded otherwise. r.mu is held.
func (r *runner) failureStatusLocked(fails int) Status {
	if !r.ok || fails >= r.check.FailureThreshold {
		return Unhealthy
	}
	return Degraded
}

// missed is the result of a check whose run did not report within a
// probe's deadline: counted like one more failure, without being recorded.
func (r *runner) missed(now time.Time, d time.Duration) Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Result{Name: r.check.Name, Critical: r.check.Critical, Status: r.failureStatusLocked(r.fails + 1),
		Err: ErrDeadline, Duration: d, Time: now, Failures: r.fails + 1}
}

// loop waits for the run of wait, then runs the check at its interval
// until stop is closed.
func (r *runner) loop(stop, wait chan struct{}) {
	defer r.c.bgWG.Done()
	t := time.NewTicker(r.check.Interval)
	defer t.Stop()
	for {
		if wait != nil {
			select {
			case <-wait:
			case <-stop:
				return
			}
		}
		select {
		case <-t.C:
		case <-stop:
			return
		}
		_, wait = r.poll(r.c.now(), true)
	}
}

// change is one status change.
type change struct {
	name     string
	from, to Status
	err      error
}

// notifier queues changes and delivers them one at a time, in order, on a
// goroutine of its own that lives while the queue is not empty.
type notifier struct {
	mu      sync.Mutex
	queue   []change
	busy    bool   // a delivery goroutine is running
	overall Status // the overall status of the last queued change
}

// changed queues the change of r's status, then the overall change it
// causes, and starts a delivery goroutine unless one is running. The
// statuses the overall one is computed from change only here, under
// events.mu, so each overall change agrees with the check changes queued
// before it. r.mu is held.
func (c *Checker) changed(r *runner, ch change) {
	n := &c.events
	n.mu.Lock()
	defer n.mu.Unlock()
	r.status.Store(uint32(ch.to))
	n.queue = append(n.queue, ch)
	st := Healthy
	for _, r := range c.runners {
		st = worse(st, effect(Status(r.status.Load()), r.check.Critical))
	}
	if st != n.overall {
		n.queue = append(n.queue, change{from: n.overall, to: st})
		n.overall = st
	}
	if !n.busy {
		n.busy = true
		go c.deliverQueued()
	}
}

// deliverQueued delivers queued changes until the queue is empty.
func (c *Checker) deliverQueued() {
	n := &c.events
	n.mu.Lock()
	for len(n.queue) > 0 {
		ch := n.queue[0]
		n.queue[0] = change{}
		n.queue = n.queue[1:]
		n.mu.Unlock()
		c.deliver(ch)
		n.mu.Lock()
	}
	n.queue = nil
	n.busy = false
	n.mu.Unlock()
}

func (c *Checker) deliver(ch change) {
	if ch.name != "" {
		level, args := slog.LevelInfo, []any{"check", ch.name, "from", ch.from.String(), "to", ch.to.String()}
		if ch.err != nil {
			level, args = slog.LevelWarn, append(args, "error", ch.err.Error())
		}
		c.log.Log(context.Background(), level, "health: check status changed", args...)
	} else {
		level := slog.LevelInfo
		if ch.to != Healthy {
			level = slog.LevelWarn
		}
		c.log.Log(context.Background(), level, "health: status changed", "from", ch.from.String(), "to", ch.to.String())
	}
	if c.opts.OnChange != nil {
		func() {
			defer func() {
				if v := recover(); v != nil {
					c.log.Error("health: OnChange panicked", "panic", fmt.Sprint(v))
				}
			}()
			c.opts.OnChange(ch.name, ch.from, ch.to)
		}()
	}
}
