package ratelimit

import (
	"math"
	"math/bits"
	"net/http"
	"strconv"
	"time"
)

// Header names. Go canonicalises them as shown; on the wire header names
// are case-insensitive (and lower case in HTTP/2).
const (
	HeaderRateLimit       = "Ratelimit"        // RateLimit
	HeaderRateLimitPolicy = "Ratelimit-Policy" // RateLimit-Policy
	HeaderRetryAfter      = "Retry-After"
	HeaderXLimit          = "X-Ratelimit-Limit"
	HeaderXRemaining      = "X-Ratelimit-Remaining"
	HeaderXReset          = "X-Ratelimit-Reset"
)

// PolicyHeader returns the RateLimit-Policy field value for policies, as in
// draft-ietf-httpapi-ratelimit-headers-11: a structured-field list of
// quota policies, each a string (the name) with q (quota) and w (window in
// seconds), such as `"general";q=100;w=900, "api";q=60;w=60`. A period that
// is not a whole number of seconds is advertised over the next whole second
// with the quota scaled down to fit (10 per 500ms becomes q=20;w=1). A
// quota above 999,999,999,999,999, the largest structured-field Integer, is
// sent as that number (a larger one would make recipients discard the
// whole field); such a policy is effectively unlimited anyway.
func PolicyHeader(policies ...Policy) string {
	var b []byte
	for i, p := range policies {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = appendPolicyItem(b, p)
	}
	return string(b)
}

func appendPolicyItem(b []byte, p Policy) []byte {
	q, w := quotaWindow(p)
	b = appendSFString(b, p.Name)
	b = append(b, ";q="...)
	b = appendSFInteger(b, q)
	b = append(b, ";w="...)
	b = appendSFInteger(b, w)
	return b
}

// maxSFInteger is the largest Integer of RFC 9651 structured fields (15
// digits).
const maxSFInteger = 999_999_999_999_999

// appendSFInteger appends n, which must not be negative, as an sf-integer,
// saturated at maxSFInteger.
func appendSFInteger(b []byte, n int64) []byte {
	return strconv.AppendInt(b, min(n, maxSFInteger), 10)
}

// quotaWindow returns the quota and the window in whole seconds.
func quotaWindow(p Policy) (q, w int64) {
	w = ceilSeconds(p.Period)
	if w < 1 {
		w = 1
	}
	if time.Duration(w)*time.Second == p.Period {
		return p.Limit, w
	}
	// Scale: Limit × w s / Period, rounded down, in 128 bits.
	hi, lo := bits.Mul64(uint64(p.Limit), uint64(w)*uint64(time.Second))
	if hi >= uint64(p.Period) {
		return math.MaxInt64, w
	}
	qu, _ := bits.Div64(hi, lo, uint64(p.Period))
	if qu > math.MaxInt64 {
		qu = math.MaxInt64
	}
	return max(int64(qu), 1), w
}

// appendSFString appends s as an RFC 9651 sf-string. Policy names are
// validated to plain characters, so escaping never happens in practice; it
// is done anyway for safety.
func appendSFString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20 || c > 0x7e:
			b = append(b, '?')
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// ceilSeconds rounds d up to whole seconds, so that a client that waits
// that long is admitted.
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	s := int64(d / time.Second)
	if d%time.Second != 0 {
		s++
	}
	return s
}

// nextAfter is the time until at least one more unit of quota is available
// (the RateLimit "t" parameter of draft 11: seconds until additional quota
// is made available); 0 when the quota is full.
func nextAfter(p Policy, r Result) time.Duration {
	if r.ResetAfter <= 0 {
		return 0
	}
	if !r.Allowed && r.RetryAfter > 0 && r.Remaining == 0 {
		return r.RetryAfter
	}
	g := p.params(Resolution)
	reset := int64(r.ResetAfter / Resolution)
	avail := max(g.tau-reset, 0)
	d := min((avail/g.t+1)*g.t-avail, reset)
	return time.Duration(d) * Resolution
}

// appendRateLimitItem appends one member of the RateLimit field:
// `"api";r=59;t=1`.
func appendRateLimitItem(b []byte, p Policy, r Result) []byte {
	b = appendSFString(b, p.Name)
	b = append(b, ";r="...)
	b = appendSFInteger(b, max(r.Remaining, 0))
	b = append(b, ";t="...)
	b = appendSFInteger(b, ceilSeconds(nextAfter(p, r)))
	return b
}

// setHeaders writes the RateLimit fields (and optionally the legacy ones)
// for the checked policies.
func (l *Limiter) setHeaders(h http.Header, results []Result) {
	n := len(results)
	if n == 0 {
		return
	}
	if !l.opts.DisableHeaders {
		h[HeaderRateLimitPolicy] = l.policyHeader[n-1]
		var buf [256]byte
		b := buf[:0]
		for i, r := range results {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendRateLimitItem(b, l.policies[i], r)
		}
		h[HeaderRateLimit] = []string{string(b)}
	}
	if l.opts.LegacyHeaders {
		// The most constrained checked policy: the fewest remaining.
		m := 0
		for i, r := range results {
			if r.Remaining < results[m].Remaining || !r.Allowed {
				m = i
			}
		}
		r := results[m]
		h[HeaderXLimit] = []string{strconv.FormatInt(r.Limit, 10)}
		h[HeaderXRemaining] = []string{strconv.FormatInt(max(r.Remaining, 0), 10)}
		reset := l.opts.Now().Add(r.ResetAfter)
		secs := reset.Unix()
		if reset.Nanosecond() > 0 {
			secs++
		}
		h[HeaderXReset] = []string{strconv.FormatInt(secs, 10)}
	}
}
