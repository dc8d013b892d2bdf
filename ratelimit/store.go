package ratelimit

import (
	"context"
	"errors"
	"time"
)

// Errors of this package.
var (
	// ErrInvalidPolicy is wrapped by every error about a malformed policy.
	ErrInvalidPolicy = errors.New("ratelimit: invalid policy")
	// ErrInvalidCost is returned by stores for a negative cost.
	ErrInvalidCost = errors.New("ratelimit: invalid cost")
	// ErrLimited is matched (errors.Is) by the *LimitedError a Limiter hands
	// to its ErrorHandler when a request is over a limit.
	ErrLimited = errors.New("ratelimit: too many requests")
	// ErrStoreUnavailable is matched by the *StoreError a Limiter hands to
	// its ErrorHandler when the store failed and FailClosed is set.
	ErrStoreUnavailable = errors.New("ratelimit: store unavailable")
	// ErrClosed is returned by a closed MemoryStore.
	ErrClosed = errors.New("ratelimit: store closed")

	errInvalidIPv6Bits = errors.New("ratelimit: IPv6PrefixBits must be 0 (default 64) to 128")
	errNotCount        = errors.New("not a whole number from 1 to 9223372036854775807")
)

// Result is the outcome of one [Store.Take] for one policy.
type Result struct {
	// Allowed reports whether the request was admitted (and charged).
	Allowed bool
	// Limit is the policy's Limit, for headers.
	Limit int64
	// Remaining is how many more cost-1 requests would be admitted right
	// now, after this one.
	Remaining int64
	// ResetAfter is the time until the quota is fully restored (Remaining
	// back at the burst size); 0 when it already is.
	ResetAfter time.Duration
	// RetryAfter is, when not Allowed, the time after which the same request
	// would be admitted; 0 when Allowed.
	RetryAfter time.Duration
}

// Store keeps GCRA state per (policy name, key) and decides requests.
//
// # Contract
//
// Take charges cost units of policy p to key when they fit and reports the
// outcome. A key never seen, or whose state has fully replenished, behaves
// as if it had the whole burst available: that is not an error. A denied
// request is not charged. Cost 0 reports the state without charging; a
// negative cost is ErrInvalidCost; a cost larger than the policy's burst can
// never be admitted and is denied. p must be valid ([Policy.Validate]).
// Errors are returned only for backend faults (or ctx ending), never for a
// denial. Take honours ctx's deadline and cancellation, and is safe for
// concurrent use: N concurrent calls over one key never admit more than the
// policy allows.
//
// The conformance suite in package storetest checks all of this; run it
// against any new backend.
type Store interface {
	Take(ctx context.Context, key string, p Policy, cost int64) (Result, error)
}

// MultiStore is an optional interface of stores that can decide several
// policies for one key in one step (the Redis store does it in one round
// trip). TakeAll checks policies in order, charging each that admits the
// request and stopping at the first that denies it (later policies are
// neither checked nor charged). It appends one Result per checked policy to
// dst and returns it. Its contract is otherwise that of Take.
type MultiStore interface {
	Store
	TakeAll(ctx context.Context, key string, policies []Policy, cost int64, dst []Result) ([]Result, error)
}

// Resolution is the unit in which stores keep GCRA time: microseconds,
// the resolution of Redis's TIME, which Lua's doubles hold exactly. Every
// store rounds a policy to it the same way ([Policy.GCRA](Resolution)), so
// the memory and the Redis store give identical results, and a [Limiter]
// derives header values from them exactly. Other backends should do the
// same.
const Resolution = time.Microsecond

// Decide runs one GCRA decision in integer time units, for store
// implementations: tat is the stored theoretical arrival time (ok false when
// there is none), now the current time, interval and tolerance the values
// of [Policy.GCRA] in the same unit, unit its length. It returns the
// Result, and the new TAT to store (with update false when nothing needs
// storing: a denial or cost 0). A store keeps the new TAT until it is no
// longer in the future, then may drop it: state at or before now is the
// same as no state. State more than the tolerance ahead of now (written
// under a looser policy of the same name, or before the clock stepped
// back) counts as the whole burst used, never as a longer debt.
func Decide(now, tat int64, ok bool, interval, tolerance, cost int64, limit int64, unit time.Duration) (r Result, newTAT int64, update bool) {
	if !ok || tat < now {
		tat = now
	} else if tat-now > tolerance {
		tat = now + tolerance
	}
	r.Limit = limit
	if cost > 0 && cost > tolerance/interval {
		// More than the whole burst: never admitted.
		r.Remaining = (now + tolerance - tat) / interval
		r.ResetAfter = time.Duration(tat-now) * unit
		r.RetryAfter = time.Duration(tolerance) * unit
		return r, tat, false
	}
	next := tat + cost*interval
	allowAt := next - tolerance
	if now < allowAt {
		r.Remaining = (now + tolerance - tat) / interval
		r.ResetAfter = time.Duration(tat-now) * unit
		r.RetryAfter = time.Duration(allowAt-now) * unit
		return r, tat, false
	}
	r.Allowed = true
	r.Remaining = (now + tolerance - next) / interval
	r.ResetAfter = time.Duration(next-now) * unit
	return r, next, cost > 0
}
