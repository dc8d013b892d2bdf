package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/chainsync/middleware/internal/problem"
)

// DefaultTimeout bounds one decision against the store when
// Options.Timeout is 0.
const DefaultTimeout = 200 * time.Millisecond

// MaxPolicies is the largest number of policies one Limiter checks.
const MaxPolicies = 16

// MaxKeyLen is the longest key a Limiter hands to its store as it is;
// longer keys (a user id that a client controls, a long path) are replaced
// by "sha256:" and their hex SHA-256, so that no client can make the store
// keep large keys.
const MaxKeyLen = 128

func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Options configure a [Limiter]. The zero value is the secure default:
// clients keyed by TCP peer address (no proxy trusted), standard RateLimit
// headers on, legacy ones off, cost 1, store calls bounded by
// [DefaultTimeout], and failing open (serve, log, count) when the store is
// down.
type Options struct {
	// TrustedProxies are the proxies whose forwarding header is believed
	// when keying by client IP (the fallback key, and the default when New
	// gets no KeyFunc). Default none: the client is RemoteAddr.
	TrustedProxies []netip.Prefix
	// ForwardedHeader is the header read from trusted proxies. Default
	// "X-Forwarded-For"; "Forwarded" or a one-address header such as
	// "X-Real-IP" can be chosen.
	ForwardedHeader string
	// IPv6PrefixBits is the prefix IPv6 clients are counted under. Default
	// 64.
	IPv6PrefixBits int

	// Cost returns the cost of a request (its weight), for endpoints that
	// are dearer than others. Default: 1 for every request. A negative
	// result counts as 1; 0 admits the request without charging it (its
	// headers still show the quota); a cost above a policy's burst can
	// never be admitted and is answered 429 (and logged).
	Cost func(*http.Request) int64
	// Skip exempts requests from limiting (health probes, allow-lists) when
	// it returns true: they are neither counted nor given headers. Default:
	// none are skipped.
	Skip func(*http.Request) bool

	// Timeout bounds each decision's store calls. Default [DefaultTimeout].
	// It applies to stores that do I/O; a MemoryStore never waits.
	Timeout time.Duration
	// FailClosed answers 503 problem+json when the store fails (down,
	// timed out). Default false: fail open, serving the request, logging
	// the failure (at most once a second) and counting it in
	// [Stats].StoreErrors. Fail open suits most limits (an outage of the
	// limiter should not be an outage of the API); fail closed suits limits
	// that protect something expensive or guessable, such as logins.
	FailClosed bool

	// DisableHeaders omits the RateLimit and RateLimit-Policy fields.
	// Default false: they are sent on every limited route, for every
	// checked policy. Retry-After is always sent on 429.
	DisableHeaders bool
	// LegacyHeaders also sends X-RateLimit-Limit, X-RateLimit-Remaining and
	// X-RateLimit-Reset (the Unix time, in seconds rounded up, at which the
	// quota is full again, as express-rate-limit and GitHub send it) for the
	// most constrained checked policy. Default false.
	LegacyHeaders bool
	// Now is the clock for X-RateLimit-Reset and for spacing log lines; the
	// limits themselves run on the store's clock. Default time.Now.
	Now func() time.Time

	// ErrorHandler answers rejected requests: err is a *LimitedError
	// (matching ErrLimited) for a request over a limit, or a *StoreError
	// (matching ErrStoreUnavailable) when the store failed and FailClosed
	// is set. Headers (RateLimit, Retry-After) are already set when it
	// runs. Default: 429 or 503 application/problem+json with "error",
	// "retryAfter" (seconds) and "policies" (the violated policy names).
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)
	// OnLimited is called for every request over a limit, before the
	// ErrorHandler, for metrics or audit. Default none.
	OnLimited func(r *http.Request, d Decision)
	// Logger receives store failures. Default slog.Default().
	Logger *slog.Logger
}

// Decision is the outcome of checking a key against a Limiter's policies.
type Decision struct {
	// Allowed reports whether every checked policy admitted the request.
	Allowed bool
	// Policies are the checked policies, in order. When the request was
	// denied, the last one denied it and the policies after it were not
	// checked (nor charged).
	Policies []Policy
	// Results are the results of Policies, index by index.
	Results []Result

	retryAfter time.Duration
}

// RetryAfter is how long the client should wait before the same request
// would pass every checked policy: the denying policy's RetryAfter, or
// longer when a policy checked before it (and charged) has run out as well.
// It is 0 when allowed.
func (d Decision) RetryAfter() time.Duration {
	if d.Allowed || len(d.Results) == 0 {
		return 0
	}
	return max(d.retryAfter, d.Results[len(d.Results)-1].RetryAfter)
}

// LimitedError reports a request over a limit. It matches [ErrLimited].
type LimitedError struct {
	// Decision is the decision that denied the request.
	Decision Decision
}

// Error names the denying policy and the wait.
func (e *LimitedError) Error() string {
	name := ""
	if n := len(e.Decision.Policies); n > 0 {
		name = e.Decision.Policies[n-1].Name
	}
	return fmt.Sprintf("ratelimit: too many requests (policy %q, retry after %s)", name, e.Decision.RetryAfter())
}

// Is reports whether target is ErrLimited.
func (e *LimitedError) Is(target error) bool { return target == ErrLimited }

// StoreError reports a failed store call. It matches
// [ErrStoreUnavailable] and unwraps to the store's error.
type StoreError struct {
	// Err is the store's error.
	Err error
}

// Error describes the failure.
func (e *StoreError) Error() string { return "ratelimit: store unavailable: " + e.Err.Error() }

// Unwrap returns the store's error.
func (e *StoreError) Unwrap() error { return e.Err }

// Is reports whether target is ErrStoreUnavailable.
func (e *StoreError) Is(target error) bool { return target == ErrStoreUnavailable }

// Stats are a Limiter's counters since it was created.
type Stats struct {
	// Allowed counts requests admitted by every policy (including those
	// served because the store failed open).
	Allowed uint64
	// Limited counts requests answered 429.
	Limited uint64
	// StoreErrors counts decisions the store failed (or timed out): served
	// when failing open, answered 503 when FailClosed.
	StoreErrors uint64
}

// Limiter enforces one or more policies per key, in order. It is a
// net/http middleware ([Limiter.Handler]) and can also decide without HTTP
// ([Limiter.Take]). It is safe for concurrent use. Make one with [New];
// the zero value is not usable.
type Limiter struct {
	store        Store
	multi        MultiStore
	mem          *MemoryStore // set when store is one: called directly, so results stay on the stack
	key          KeyFunc
	ipKey        KeyFunc
	policies     []Policy
	policyHeader [][]string // RateLimit-Policy values for the first n+1 policies
	opts         Options
	timeout      time.Duration
	log          *slog.Logger
	epoch        time.Time // opts.Now() at construction, for spacing log lines

	allowed     atomic.Uint64
	limited     atomic.Uint64
	storeErrors atomic.Uint64
	lastLog     atomic.Int64
}

// New returns a Limiter that checks policies in order against store, for
// the key that key returns (nil: the client IP, per o's TrustedProxies).
// Policies must be valid and have distinct names; errors wrap
// ErrInvalidPolicy.
func New(store Store, key KeyFunc, policies []Policy, o Options) (*Limiter, error) {
	if store == nil {
		return nil, errors.New("ratelimit: New: nil store")
	}
	if len(policies) == 0 {
		return nil, fmt.Errorf("%w: New needs at least one policy", ErrInvalidPolicy)
	}
	if len(policies) > MaxPolicies {
		return nil, fmt.Errorf("%w: more than %d policies", ErrInvalidPolicy, MaxPolicies)
	}
	seen := map[string]bool{}
	for _, p := range policies {
		if err := p.Validate(); err != nil {
			return nil, err
		}
		if seen[p.Name] {
			return nil, fmt.Errorf("%w: two policies named %q", ErrInvalidPolicy, p.Name)
		}
		seen[p.Name] = true
	}
	if o.Timeout < 0 {
		return nil, errors.New("ratelimit: Options.Timeout is negative")
	}
	ipKey, err := IPKey(IPKeyOptions{TrustedProxies: o.TrustedProxies, ForwardedHeader: o.ForwardedHeader, IPv6PrefixBits: o.IPv6PrefixBits})
	if err != nil {
		return nil, err
	}
	l := &Limiter{
		store:    store,
		key:      key,
		ipKey:    ipKey,
		policies: append([]Policy(nil), policies...),
		opts:     o,
		timeout:  o.Timeout,
		log:      o.Logger,
	}
	if m, ok := store.(MultiStore); ok {
		l.multi = m
	}
	if l.key == nil {
		l.key = ipKey
	}
	if l.timeout == 0 {
		l.timeout = DefaultTimeout
	}
	if m, ok := store.(*MemoryStore); ok {
		l.mem = m
		l.timeout = 0 // never waits: spare the timer
	}
	if l.log == nil {
		l.log = slog.Default()
	}
	if l.opts.Now == nil {
		l.opts.Now = time.Now
	}
	l.epoch = l.opts.Now()
	l.lastLog.Store(-int64(time.Hour))
	for i := range l.policies {
		v := PolicyHeader(l.policies[:i+1]...)
		l.policyHeader = append(l.policyHeader, []string{v}[:1:1])
	}
	return l, nil
}

// Must is like [New] but panics on error; for set-up code with constant
// policies.
func Must(store Store, key KeyFunc, policies []Policy, o Options) *Limiter {
	l, err := New(store, key, policies, o)
	if err != nil {
		panic(err)
	}
	return l
}

// Policies returns a copy of the limiter's policies.
func (l *Limiter) Policies() []Policy { return append([]Policy(nil), l.policies...) }

// Stats returns the limiter's counters.
func (l *Limiter) Stats() Stats {
	return Stats{Allowed: l.allowed.Load(), Limited: l.limited.Load(), StoreErrors: l.storeErrors.Load()}
}

// Take checks key against the policies in order, charging cost to each
// that admits it and stopping at the first that denies it. A store failure
// is returned as a *StoreError (a negative cost as ErrInvalidCost); Take
// does not apply Options.Timeout, ctx does. It does not count in [Stats].
// Keys longer than [MaxKeyLen] are hashed, as in the middleware.
func (l *Limiter) Take(ctx context.Context, key string, cost int64) (Decision, error) {
	if len(key) > MaxKeyLen {
		key = hashKey(key)
	}
	if cost < 0 {
		return Decision{}, ErrInvalidCost
	}
	results, err := l.take(ctx, key, cost, nil)
	if err != nil {
		return Decision{}, &StoreError{Err: err}
	}
	return l.decision(results, cost), nil
}

// decision builds a Decision that owns its slices, so that hooks cannot
// change the limiter's policies.
func (l *Limiter) decision(results []Result, cost int64) Decision {
	n := len(results)
	d := Decision{
		Allowed:  n > 0 && results[n-1].Allowed,
		Policies: append([]Policy(nil), l.policies[:n]...),
		Results:  append([]Result(nil), results...),
	}
	if !d.Allowed && n > 0 {
		d.retryAfter = l.retryAfter(results, cost)
	}
	return d
}

// retryAfter is how long a denied request must wait before it would pass
// every checked policy: the denying policy's RetryAfter, or longer when a
// policy checked before it, and charged, has run out too. A client that
// waited only for the denying policy would be turned away by that one.
func (l *Limiter) retryAfter(results []Result, cost int64) time.Duration {
	n := len(results)
	wait := results[n-1].RetryAfter
	for i, r := range results[:n-1] {
		g := l.policies[i].params(Resolution)
		if cost > g.tau/g.t {
			continue // cannot have been admitted; a store bug, not ours to fix
		}
		// Admitted again once now >= TAT + cost×T - tau, where TAT is now + ResetAfter.
		if d := r.ResetAfter + time.Duration(cost*g.t-g.tau)*Resolution; d > wait {
			wait = d
		}
	}
	return wait
}

func (l *Limiter) take(ctx context.Context, key string, cost int64, dst []Result) ([]Result, error) {
	if l.multi != nil {
		out, err := l.multi.TakeAll(ctx, key, l.policies, cost, dst)
		if n := len(out) - len(dst); err == nil && (n < 1 || n > len(l.policies)) {
			err = fmt.Errorf("ratelimit: store returned %d results for %d policies", n, len(l.policies))
		}
		return out, err
	}
	for _, p := range l.policies {
		r, err := l.store.Take(ctx, key, p, cost)
		if err != nil {
			return dst, err
		}
		dst = append(dst, r)
		if !r.Allowed {
			break
		}
	}
	return dst, nil
}

// Handler returns next wrapped by the limiter.
func (l *Limiter) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.serve(w, r, next)
	})
}

// Middleware is Handler as a func(http.Handler) http.Handler, for Chain.
func (l *Limiter) Middleware() func(http.Handler) http.Handler { return l.Handler }

func (l *Limiter) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if l.opts.Skip != nil && l.opts.Skip(r) {
		next.ServeHTTP(w, r)
		return
	}
	key := l.key(r)
	if key == "" {
		key = l.ipKey(r)
	} else if len(key) > MaxKeyLen {
		key = hashKey(key)
	}
	cost := int64(1)
	if l.opts.Cost != nil {
		if cost = l.opts.Cost(r); cost < 0 {
			cost = 1
		}
	}
	ctx := r.Context()
	var cancel context.CancelFunc
	if l.timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, l.timeout)
	}
	var results []Result
	var err error
	if l.mem != nil {
		// A direct call: the results stay on this stack.
		var buf [4]Result
		results, err = l.mem.TakeAll(ctx, key, l.policies, cost, buf[:0])
	} else {
		results, err = l.take(ctx, key, cost, make([]Result, 0, len(l.policies)))
	}
	if cancel != nil {
		cancel()
	}
	if err != nil {
		l.storeErrors.Add(1)
		l.logStoreError(err)
		if l.opts.FailClosed {
			l.reject(w, r, &StoreError{Err: err})
			return
		}
		l.allowed.Add(1)
		next.ServeHTTP(w, r)
		return
	}
	l.setHeaders(w.Header(), results)
	last := results[len(results)-1]
	if last.Allowed {
		l.allowed.Add(1)
		next.ServeHTTP(w, r)
		return
	}
	l.limited.Add(1)
	if p := l.policies[len(results)-1]; cost > p.EffectiveBurst() {
		l.logThrottled("ratelimit: request cost exceeds the burst of a policy and can never be admitted", "policy", p.Name, "cost", cost, "burst", p.EffectiveBurst())
	}
	d := l.decision(results, cost)
	w.Header().Set(HeaderRetryAfter, strconv.FormatInt(max(ceilSeconds(d.RetryAfter()), 1), 10))
	if l.opts.OnLimited != nil {
		l.opts.OnLimited(r, d)
	}
	l.reject(w, r, &LimitedError{Decision: d})
}

func (l *Limiter) reject(w http.ResponseWriter, r *http.Request, err error) {
	if l.opts.ErrorHandler != nil {
		l.opts.ErrorHandler(w, r, err)
		return
	}
	var le *LimitedError
	if errors.As(err, &le) {
		names := make([]string, 0, 1)
		if n := len(le.Decision.Policies); n > 0 {
			names = append(names, le.Decision.Policies[n-1].Name)
		}
		problem.Write(w, r, problem.New(http.StatusTooManyRequests, "Too many requests",
			problem.Member{Name: "retryAfter", Value: max(ceilSeconds(le.Decision.RetryAfter()), 1)},
			problem.Member{Name: "policies", Value: names},
		))
		return
	}
	w.Header().Set(HeaderRetryAfter, "1")
	problem.Write(w, r, problem.New(http.StatusServiceUnavailable, "Rate limiting is unavailable",
		problem.Member{Name: "retryAfter", Value: 1}))
}

// logStoreError logs a store failure, at most one a second (they are all
// counted in Stats).
func (l *Limiter) logStoreError(err error) {
	msg := "ratelimit: store failed; serving the request (fail open)"
	if l.opts.FailClosed {
		msg = "ratelimit: store failed; answering 503 (fail closed)"
	}
	l.logThrottled(msg, "error", err.Error(), "store_errors", l.storeErrors.Load())
}

// logThrottled logs a warning unless one was logged less than a second
// ago, so that a dead store or a misconfiguration under load cannot flood
// the log.
func (l *Limiter) logThrottled(msg string, args ...any) {
	now := int64(l.opts.Now().Sub(l.epoch)) // monotonic with the default clock
	last := l.lastLog.Load()
	if now-last < int64(time.Second) || !l.lastLog.CompareAndSwap(last, now) {
		return
	}
	l.log.Warn(msg, args...)
}
