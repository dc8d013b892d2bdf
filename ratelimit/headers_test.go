package ratelimit_test

import (
	"errors"
	"fmt"
	"math"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chainsync/middleware/ratelimit"
)

func TestPolicyHeader(t *testing.T) {
	tests := []struct {
		name     string
		policies []ratelimit.Policy
		want     string
	}{
		{"one", []ratelimit.Policy{ratelimit.API()}, `"api";q=60;w=60`},
		{"several, comma-separated", []ratelimit.Policy{ratelimit.General(), ratelimit.Auth(), ratelimit.Admin()}, `"general";q=100;w=900, "auth";q=5;w=900, "admin";q=20;w=60`},
		{"half second scaled to one", []ratelimit.Policy{{Name: "f", Limit: 10, Period: 500 * time.Millisecond}}, `"f";q=20;w=1`},
		{"1.5s rounds the window up", []ratelimit.Policy{{Name: "f", Limit: 3, Period: 1500 * time.Millisecond}}, `"f";q=4;w=2`},
		{"tiny quota never 0", []ratelimit.Policy{{Name: "f", Limit: 1, Period: 1500 * time.Millisecond}}, `"f";q=1;w=2`},
		{"huge quota saturates at the largest sf-integer", []ratelimit.Policy{{Name: "f", Limit: math.MaxInt64, Period: time.Millisecond}}, `"f";q=999999999999999;w=1`},
		{"largest sf-integer as it is", []ratelimit.Policy{{Name: "f", Limit: 999_999_999_999_999, Period: time.Second}}, `"f";q=999999999999999;w=1`},
		{"one above it saturates", []ratelimit.Policy{{Name: "f", Limit: 1_000_000_000_000_000, Period: time.Second}}, `"f";q=999999999999999;w=1`},
		{"burst does not change the quota", []ratelimit.Policy{{Name: "b", Limit: 10, Period: time.Minute, Burst: 2}}, `"b";q=10;w=60`},
		{"none", nil, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ratelimit.PolicyHeader(tt.policies...); got != tt.want {
				t.Fatalf("PolicyHeader = %q, want %q", got, tt.want)
			}
		})
	}
}

// sfList checks that v is an RFC 9651 List whose members are sf-strings
// with Integer parameters, as draft-ietf-httpapi-ratelimit-headers-11
// requires of RateLimit and RateLimit-Policy, and returns the parameters of
// each member. It is strict where a recipient must be: a member that breaks
// the grammar makes a parser discard the whole field.
func sfList(v string) ([]map[string]int64, error) {
	var out []map[string]int64
	i := 0
	for {
		if i >= len(v) || v[i] != '"' {
			return nil, fmt.Errorf("at %d: want an sf-string", i)
		}
		i++
		for ; i < len(v) && v[i] != '"'; i++ {
			if v[i] == '\\' {
				i++
				if i >= len(v) || v[i] != '"' && v[i] != '\\' {
					return nil, fmt.Errorf("at %d: bad escape", i)
				}
			} else if v[i] < 0x20 || v[i] > 0x7e {
				return nil, fmt.Errorf("at %d: byte %#x in an sf-string", i, v[i])
			}
		}
		if i >= len(v) {
			return nil, errors.New("unterminated sf-string")
		}
		i++
		params := map[string]int64{}
		for i < len(v) && v[i] == ';' {
			i++
			start := i
			for i < len(v) && (v[i] >= 'a' && v[i] <= 'z' || i > start && (v[i] >= '0' && v[i] <= '9' || strings.IndexByte("_-.*", v[i]) >= 0)) {
				i++
			}
			key := v[start:i]
			if key == "" || i >= len(v) || v[i] != '=' {
				return nil, fmt.Errorf("at %d: want key=value", start)
			}
			i++
			start = i
			for i < len(v) && v[i] >= '0' && v[i] <= '9' {
				i++
			}
			if i == start || i-start > 15 {
				return nil, fmt.Errorf("parameter %s: %q is not an sf-integer (1 to 15 digits)", key, v[start:i])
			}
			n, _ := strconv.ParseInt(v[start:i], 10, 64)
			params[key] = n
		}
		out = append(out, params)
		if i == len(v) {
			return out, nil
		}
		if !strings.HasPrefix(v[i:], ", ") {
			return nil, fmt.Errorf("at %d: want \", \" between members", i)
		}
		i += 2
	}
}

func validSFList(v string) bool {
	_, err := sfList(v)
	return err == nil
}

func TestHeadersAreStructuredFields(t *testing.T) {
	policies := []ratelimit.Policy{
		ratelimit.General(), ratelimit.Auth(), ratelimit.API(), ratelimit.Admin(),
		{Name: "fast", Limit: 10, Period: 500 * time.Millisecond},
		{Name: "a-b_c.d", Limit: 3, Period: 1500 * time.Millisecond, Burst: 1},
		{Name: "load-test", Limit: math.MaxInt64, Period: time.Second}, // "raise it out of the way"
		{Name: "huge", Limit: 1 << 62, Period: ratelimit.MaxPeriod},
	}
	for _, p := range policies {
		t.Run(p.Name, func(t *testing.T) {
			c := newClock()
			s := newMemory(t, ratelimit.MemoryOptions{Now: c.Now})
			l := ratelimit.Must(s, nil, []ratelimit.Policy{p}, ratelimit.Options{Logger: quiet()})
			for i := 0; i < 3; i++ {
				rec := httptest.NewRecorder()
				l.Handler(ok).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
				for _, h := range []string{"RateLimit-Policy", "RateLimit"} {
					v := rec.Header().Get(h)
					ms, err := sfList(v)
					if err != nil {
						t.Fatalf("%s: %q: %v", h, v, err)
					}
					if len(ms) != 1 {
						t.Fatalf("%s: %q: %d members", h, v, len(ms))
					}
				}
			}
		})
	}
}
