package health

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// negotiate picks the body format from the request's Accept header lines.
// Each of the two media types gets the q of the most specific range that
// matches it (exact, then application/*, then */*), as RFC 9110 section
// 12.5.1 says; the type with the higher q wins. A type no range names
// ranks above one refused with q=0 and below any other; on a tie
// (including no Accept header, or wildcards only) the answer is def.
// Ranges that do not parse, or whose q is malformed, are ignored. It does
// not allocate.
func negotiate(accept []string, def Format) Format {
	var spec, q [2]int // by Format: specificity of the best range (0 none), its q in thousandths
	for _, line := range accept {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ",")
			mt, params, _ := strings.Cut(part, ";")
			typ, sub, ok := strings.Cut(strings.TrimSpace(mt), "/")
			if !ok || typ == "" || sub == "" {
				continue
			}
			weight := 1000
			for params != "" {
				var p string
				p, params, _ = strings.Cut(params, ";")
				if k, v, ok := strings.Cut(p, "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					weight = parseQ(strings.TrimSpace(v))
				}
			}
			if weight < 0 {
				continue
			}
			var match [2]int
			switch {
			case typ == "*" && sub == "*":
				match = [2]int{1, 1}
			case !strings.EqualFold(typ, "application"):
				continue
			case sub == "*":
				match = [2]int{2, 2}
			case strings.EqualFold(sub, "json"):
				match[FormatChainSync] = 3
			case strings.EqualFold(sub, "health+json"):
				match[FormatHealthJSON] = 3
			default:
				continue
			}
			for f, m := range match {
				if m > spec[f] || m == spec[f] && m > 0 && weight > q[f] {
					spec[f], q[f] = m, weight
				}
			}
		}
	}
	var rank [2]int
	for f := range rank {
		switch {
		case spec[f] == 0:
			rank[f] = 0 // not named
		case q[f] == 0:
			rank[f] = -1 // refused
		default:
			rank[f] = q[f]
		}
	}
	switch {
	case rank[FormatHealthJSON] > rank[FormatChainSync]:
		return FormatHealthJSON
	case rank[FormatChainSync] > rank[FormatHealthJSON]:
		return FormatChainSync
	}
	return def
}

// parseQ parses an RFC 9110 qvalue ("0", "0.5", "1.000") into thousandths,
// or -1 when it is malformed.
func parseQ(s string) int {
	if s == "" || len(s) > 5 || (s[0] != '0' && s[0] != '1') {
		return -1
	}
	q := int(s[0]-'0') * 1000
	if len(s) == 1 {
		return q
	}
	if s[1] != '.' {
		return -1
	}
	scale := 100
	for i := 2; i < len(s); i++ {
		d := s[i]
		if d < '0' || d > '9' {
			return -1
		}
		q += int(d-'0') * scale
		scale /= 10
	}
	if q > 1000 {
		return -1
	}
	return q
}

// appendTime appends t in UTC with milliseconds, as JavaScript's
// toISOString writes it.
func appendTime(b []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
}

// appendMillis appends a result's duration in milliseconds with
// microsecond precision.
func appendMillis(b []byte, res Result) []byte {
	return strconv.AppendFloat(b, float64(res.Duration.Microseconds())/1000, 'f', -1, 64)
}

// appendString appends s as a JSON string. <, > and & are escaped as
// encoding/json does, invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			switch r {
			case utf8.RuneError:
				b = append(b, `\ufffd`...)
			case '\u2028':
				b = append(b, `\u2028`...)
			default:
				b = append(b, `\u2029`...)
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// details is what a body says about a result: nothing for a plain
// success, the error's message with [Options.ExposeErrors], otherwise the
// kind of failure.
func (c *Checker) details(res Result) string {
	if res.Err == nil {
		if res.Status == Degraded {
			return "slower than " + c.slowOf(res.Name).String()
		}
		return ""
	}
	if c.opts.ExposeErrors {
		return res.Err.Error()
	}
	switch {
	case errors.Is(res.Err, ErrTimeout):
		return "timed out"
	case errors.Is(res.Err, ErrStillRunning):
		return "still running after its timeout"
	case errors.Is(res.Err, ErrPanic):
		return "check panicked"
	case errors.Is(res.Err, ErrDeadline):
		return "no result within the probe deadline"
	}
	return "check failed"
}

func (c *Checker) slowOf(name string) time.Duration {
	for _, r := range c.runners {
		if r.check.Name == name {
			return r.check.Slow
		}
	}
	return 0
}
