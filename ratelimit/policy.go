package ratelimit

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Bounds of a [Policy].
const (
	// MinPeriod is the shortest period a policy may have: stores keep time
	// in microseconds ([Resolution]), so shorter periods could not be
	// honoured.
	MinPeriod = Resolution
	// MaxPeriod is the longest period a policy may have (about 36 years):
	// long enough for any quota, short enough that time arithmetic in
	// nanoseconds can never overflow.
	MaxPeriod = time.Duration(1 << 60)
	// MaxNameLen is the longest policy name.
	MaxNameLen = 64
)

// Policy is one rate limit: Limit requests per Period, with up to Burst of
// them at once. It is enforced with GCRA (the generic cell rate
// algorithm): a client that has been quiet may send Burst requests at once,
// and after that one request every Period/Limit. There are no window
// boundaries, so no client can send twice the limit across one, and the
// remaining quota and the time until it resets are exact.
//
// A Policy is a plain value; its zero value is not valid (see
// [Policy.Validate]).
type Policy struct {
	// Name identifies the policy in the RateLimit headers, in 429 bodies and
	// in store keys: stores keep one state per (Name, key), so two policies
	// sharing one store need different names. 1 to [MaxNameLen] characters
	// out of letters, digits and "-_.". Required.
	Name string
	// Limit is the number of requests admitted per Period. At least 1;
	// any larger int64 is accepted (very large limits are effectively
	// unlimited).
	Limit int64
	// Period is the time over which Limit requests are admitted, from
	// [MinPeriod] to [MaxPeriod].
	Period time.Duration
	// Burst is the number of requests a rested client may send at once.
	// Default (0): Limit, so 100 per 15 minutes admits 100 at once and then
	// one every 9 seconds.
	Burst int64
}

// General is ChainSync's general policy: 100 requests per 15 minutes.
func General() Policy { return Policy{Name: "general", Limit: 100, Period: 15 * time.Minute} }

// Auth is ChainSync's policy for authentication endpoints: 5 attempts per
// 15 minutes.
func Auth() Policy { return Policy{Name: "auth", Limit: 5, Period: 15 * time.Minute} }

// API is ChainSync's policy for API calls: 60 per minute.
func API() Policy { return Policy{Name: "api", Limit: 60, Period: time.Minute} }

// Admin is ChainSync's policy for admin actions: 20 per minute.
func Admin() Policy { return Policy{Name: "admin", Limit: 20, Period: time.Minute} }

// Validate reports whether p can be enforced; the error wraps
// [ErrInvalidPolicy] and says which field is wrong.
func (p Policy) Validate() error {
	if err := validName(p.Name); err != nil {
		return err
	}
	if p.Limit < 1 {
		return fmt.Errorf("%w: %q: limit %d is below 1", ErrInvalidPolicy, p.Name, p.Limit)
	}
	if p.Period < MinPeriod || p.Period > MaxPeriod {
		return fmt.Errorf("%w: %q: period %s is outside %s..%s", ErrInvalidPolicy, p.Name, p.Period, MinPeriod, formatPeriod(MaxPeriod))
	}
	if p.Burst < 0 {
		return fmt.Errorf("%w: %q: burst %d is negative", ErrInvalidPolicy, p.Name, p.Burst)
	}
	return nil
}

func validName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty name", ErrInvalidPolicy)
	}
	if len(name) > MaxNameLen {
		return fmt.Errorf("%w: name longer than %d bytes", ErrInvalidPolicy, MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("%w: name %q: only letters, digits and \"-_.\" are allowed", ErrInvalidPolicy, name)
		}
	}
	return nil
}

// EffectiveBurst is Burst, or Limit when Burst is 0.
func (p Policy) EffectiveBurst() int64 {
	if p.Burst > 0 {
		return p.Burst
	}
	return p.Limit
}

// Interval is the emission interval, Period/Limit rounded up to whole
// nanoseconds (at least 1): after a burst, one request is admitted per
// Interval.
func (p Policy) Interval() time.Duration {
	return time.Duration(emission(int64(p.Period), p.Limit))
}

// String formats p as ParsePolicy reads it: "100/15m", or "100/15m;burst=10"
// when Burst is set. The name is not included.
func (p Policy) String() string {
	s := strconv.FormatInt(p.Limit, 10) + "/" + formatPeriod(p.Period)
	if p.Burst > 0 {
		s += ";burst=" + strconv.FormatInt(p.Burst, 10)
	}
	return s
}

// ParsePolicy parses a policy written as "N/duration", as in an environment
// variable: "100/15m", "5/15min", "60/1m", "60/m", "20/minute",
// "1000/1h30m", "10/500ms", "10000/day", "9223372036854775807/1s". N is a
// decimal integer from 1 up to the largest int64. The duration is a Go
// duration (time.ParseDuration) or a number followed by a unit: s, sec,
// second, m, min, minute, h, hr, hour, d, day, w, week (plurals allowed,
// case ignored); a bare unit means one of it. An optional ";burst=N"
// sets [Policy.Burst]. Spaces around the parts are ignored.
//
// The result carries name and is validated; errors wrap [ErrInvalidPolicy].
func ParsePolicy(name, s string) (Policy, error) {
	p := Policy{Name: name}
	spec, burst, hasBurst := strings.Cut(s, ";")
	n, d, ok := strings.Cut(spec, "/")
	if !ok {
		return Policy{}, fmt.Errorf("%w: %q: want N/duration, such as 100/15m", ErrInvalidPolicy, s)
	}
	limit, err := parseCount(strings.TrimSpace(n))
	if err != nil {
		return Policy{}, fmt.Errorf("%w: %q: limit: %v", ErrInvalidPolicy, s, err)
	}
	p.Limit = limit
	period, err := parsePeriod(strings.TrimSpace(d))
	if err != nil {
		return Policy{}, fmt.Errorf("%w: %q: period: %v", ErrInvalidPolicy, s, err)
	}
	p.Period = period
	if hasBurst {
		k, v, ok := strings.Cut(strings.TrimSpace(burst), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "burst") {
			return Policy{}, fmt.Errorf("%w: %q: want ;burst=N after the rate", ErrInvalidPolicy, s)
		}
		b, err := parseCount(strings.TrimSpace(v))
		if err != nil {
			return Policy{}, fmt.Errorf("%w: %q: burst: %v", ErrInvalidPolicy, s, err)
		}
		p.Burst = b
	}
	if err := p.Validate(); err != nil {
		return Policy{}, err
	}
	return p, nil
}

// MustParsePolicy is like [ParsePolicy] but panics on error. It is meant
// for constants in code, not for configuration read at run time.
func MustParsePolicy(name, s string) Policy {
	p, err := ParsePolicy(name, s)
	if err != nil {
		panic(err)
	}
	return p
}

func parseCount(s string) (int64, error) {
	if s == "" {
		return 0, errNotCount
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errNotCount
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 1 {
		return 0, errNotCount
	}
	return v, nil
}

// unit returns the length of a unit word, case already folded.
func unit(u string) (time.Duration, bool) {
	switch u {
	case "s", "sec", "secs", "second", "seconds":
		return time.Second, true
	case "m", "min", "mins", "minute", "minutes":
		return time.Minute, true
	case "h", "hr", "hrs", "hour", "hours":
		return time.Hour, true
	case "d", "day", "days":
		return 24 * time.Hour, true
	case "w", "week", "weeks":
		return 7 * 24 * time.Hour, true
	case "ms":
		return time.Millisecond, true
	case "us", "µs":
		return time.Microsecond, true
	}
	return 0, false
}

func parsePeriod(s string) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("empty")
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < MinPeriod || d > MaxPeriod {
			return 0, fmt.Errorf("%s is outside %s..%s", d, MinPeriod, formatPeriod(MaxPeriod))
		}
		return d, nil
	}
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	num := s[:i]
	u, ok := unit(strings.ToLower(strings.TrimSpace(s[i:])))
	if !ok {
		return 0, fmt.Errorf("unknown unit %q (use s, m, h, d, w or a Go duration such as 1h30m)", s[i:])
	}
	f := 1.0
	if num != "" {
		var err error
		f, err = strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, fmt.Errorf("bad number %q", num)
		}
	}
	ns := f * float64(u)
	if math.IsNaN(ns) || ns < float64(MinPeriod) || ns > float64(MaxPeriod) {
		return 0, fmt.Errorf("%q is outside %s..%s", s, MinPeriod, formatPeriod(MaxPeriod))
	}
	return time.Duration(math.Round(ns)), nil
}

// formatPeriod writes d compactly: "15m" rather than "15m0s", "24h" for a
// day.
func formatPeriod(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// emission is the emission interval in the unit of period (ceil(period /
// limit), at least 1).
func emission(period, limit int64) int64 {
	if limit <= 0 {
		return period
	}
	t := period / limit
	if period%limit != 0 {
		t++
	}
	if t < 1 {
		t = 1
	}
	return t
}

// MaxTolerance bounds the burst tolerance (Burst × Interval) a store keeps,
// in nanoseconds: a burst that would take longer than this to earn back is
// cut to it. Only policies with enormous limits reach it, and they remain
// effectively unlimited.
const MaxTolerance = time.Duration(1 << 60)

// gcra holds the parameters of a policy in one time unit.
type gcra struct {
	t   int64 // emission interval
	tau int64 // burst tolerance: burst × t, capped
}

// params returns the GCRA parameters of p in units of unit ([Resolution]
// for the stores of this module).
func (p Policy) params(unit time.Duration) gcra {
	period := int64(p.Period) / int64(unit)
	if int64(p.Period)%int64(unit) != 0 {
		period++
	}
	if period < 1 {
		period = 1
	}
	t := emission(period, p.Limit)
	maxTau := int64(MaxTolerance) / int64(unit)
	b := p.EffectiveBurst()
	tau := maxTau
	if b <= maxTau/t {
		tau = b * t
	}
	return gcra{t: t, tau: tau}
}

// GCRA returns the emission interval and the burst tolerance of p in whole
// multiples of unit (rounded up; unit must be positive), as a store that
// keeps time in that unit enforces them. Store implementations call it
// with [Resolution], so that every backend rounds the same way.
func (p Policy) GCRA(unit time.Duration) (interval, tolerance int64) {
	if unit <= 0 {
		unit = time.Nanosecond
	}
	g := p.params(unit)
	return g.t, g.tau
}
