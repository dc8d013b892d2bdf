package ratelimit_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/chainsync/middleware/ratelimit"
)

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		in     string
		limit  int64
		period time.Duration
		burst  int64
	}{
		{"100/15m", 100, 15 * time.Minute, 0},
		{"5/15min", 5, 15 * time.Minute, 0},
		{"60/1m", 60, time.Minute, 0},
		{"60/m", 60, time.Minute, 0},
		{"20/minute", 20, time.Minute, 0},
		{"20/Minutes", 20, time.Minute, 0},
		{" 100 / 15m ", 100, 15 * time.Minute, 0},
		{"1000/1h30m", 1000, 90 * time.Minute, 0},
		{"10/500ms", 10, 500 * time.Millisecond, 0},
		{"10/1.5s", 10, 1500 * time.Millisecond, 0},
		{"10000/day", 10000, 24 * time.Hour, 0},
		{"10000/2d", 10000, 48 * time.Hour, 0},
		{"7/week", 7, 7 * 24 * time.Hour, 0},
		{"3/sec", 3, time.Second, 0},
		{"3/hr", 3, time.Hour, 0},
		{"1/0.5h", 1, 30 * time.Minute, 0},
		{"1/1us", 1, time.Microsecond, 0},
		{"9223372036854775807/1s", math.MaxInt64, time.Second, 0},
		{"100/15m;burst=10", 100, 15 * time.Minute, 10},
		{"100/15m; Burst = 200", 100, 15 * time.Minute, 200},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, err := ratelimit.ParsePolicy("p", tt.in)
			if err != nil {
				t.Fatal(err)
			}
			want := ratelimit.Policy{Name: "p", Limit: tt.limit, Period: tt.period, Burst: tt.burst}
			if p != want {
				t.Fatalf("ParsePolicy(%q) = %+v, want %+v", tt.in, p, want)
			}
		})
	}
}

func TestParsePolicyErrors(t *testing.T) {
	tests := []struct{ name, policy, in string }{
		{"empty", "p", ""},
		{"no slash", "p", "100"},
		{"no limit", "p", "/15m"},
		{"zero limit", "p", "0/15m"},
		{"negative limit", "p", "-1/15m"},
		{"plus sign", "p", "+5/15m"},
		{"fractional limit", "p", "1.5/m"},
		{"limit beyond int64", "p", "9223372036854775808/1s"},
		{"no period", "p", "100/"},
		{"unknown unit", "p", "100/15x"},
		{"zero period", "p", "100/0s"},
		{"negative period", "p", "100/-1m"},
		{"period below a microsecond", "p", "100/1ns"},
		{"period too long", "p", "100/1000000d"},
		{"NaN-ish", "p", "100/.m"},
		{"bad burst key", "p", "100/15m;limit=3"},
		{"bad burst", "p", "100/15m;burst=x"},
		{"zero burst", "p", "100/15m;burst=0"},
		{"empty name", "", "100/15m"},
		{"bad name", "a b", "100/15m"},
		{"quote in name", `a"b`, "100/15m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ratelimit.ParsePolicy(tt.policy, tt.in)
			if err == nil {
				t.Fatalf("ParsePolicy(%q, %q) = %+v, want an error", tt.policy, tt.in, p)
			}
			if !errors.Is(err, ratelimit.ErrInvalidPolicy) {
				t.Fatalf("error %v does not wrap ErrInvalidPolicy", err)
			}
		})
	}
}

func TestPresets(t *testing.T) {
	tests := []struct {
		p        ratelimit.Policy
		name     string
		s        string
		interval time.Duration
	}{
		{ratelimit.General(), "general", "100/15m", 9 * time.Second},
		{ratelimit.Auth(), "auth", "5/15m", 3 * time.Minute},
		{ratelimit.API(), "api", "60/1m", time.Second},
		{ratelimit.Admin(), "admin", "20/1m", 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.p.Validate(); err != nil {
				t.Fatal(err)
			}
			if tt.p.Name != tt.name || tt.p.String() != tt.s || tt.p.Interval() != tt.interval || tt.p.EffectiveBurst() != tt.p.Limit {
				t.Fatalf("%+v: String %q Interval %s Burst %d", tt.p, tt.p.String(), tt.p.Interval(), tt.p.EffectiveBurst())
			}
			if back := ratelimit.MustParsePolicy(tt.name, tt.s); back != tt.p {
				t.Fatalf("parse of %q = %+v, want %+v", tt.s, back, tt.p)
			}
		})
	}
}

func TestPolicyGCRA(t *testing.T) {
	tests := []struct {
		name          string
		p             ratelimit.Policy
		unit          time.Duration
		interval, tol int64
	}{
		{"general in ns", ratelimit.General(), time.Nanosecond, int64(9 * time.Second), int64(15 * time.Minute)},
		{"general in us", ratelimit.General(), time.Microsecond, 9_000_000, 900_000_000},
		{"burst", ratelimit.Policy{Name: "b", Limit: 10, Period: time.Second, Burst: 3}, time.Millisecond, 100, 300},
		{"uneven rounds up", ratelimit.Policy{Name: "u", Limit: 3, Period: time.Microsecond}, time.Nanosecond, 334, 1002},
		{"huge limit", ratelimit.Policy{Name: "h", Limit: math.MaxInt64, Period: time.Second}, time.Microsecond, 1, int64(ratelimit.MaxTolerance / time.Microsecond)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i, tol := tt.p.GCRA(tt.unit)
			if i != tt.interval || tol != tt.tol {
				t.Fatalf("GCRA = %d, %d; want %d, %d", i, tol, tt.interval, tt.tol)
			}
		})
	}
}

func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{"100/15m", "5/15min", "60/m", "1/1us", "9223372036854775807/1s", "100/15m;burst=10", "10/1.5s", "1/0.000001s", "1e3/1s", "100/1e2h", "//", "1/-0s", "1/1h;burst=9223372036854775807", "1/ms"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ratelimit.ParsePolicy("fuzz", s)
		if err != nil {
			if !errors.Is(err, ratelimit.ErrInvalidPolicy) {
				t.Fatalf("ParsePolicy(%q): error %v does not wrap ErrInvalidPolicy", s, err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("ParsePolicy(%q) = %+v, which does not validate: %v", s, p, err)
		}
		// What String writes parses back to the same policy.
		back, err := ratelimit.ParsePolicy("fuzz", p.String())
		if err != nil || back != p {
			t.Fatalf("ParsePolicy(%q) = %+v; its String %q parses to %+v, %v", s, p, p.String(), back, err)
		}
		// The GCRA parameters are positive and never overflow.
		for _, unit := range []time.Duration{time.Nanosecond, time.Microsecond} {
			i, tol := p.GCRA(unit)
			if i < 1 || tol < i || tol > int64(ratelimit.MaxTolerance/unit)+i {
				t.Fatalf("%+v: GCRA(%s) = %d, %d", p, unit, i, tol)
			}
		}
		// The header is a valid structured field whatever the numbers.
		if v := ratelimit.PolicyHeader(p); !validSFList(v) {
			t.Fatalf("ParsePolicy(%q): RateLimit-Policy %q is not a valid structured field", s, v)
		}
	})
}
