package ratelimit_test

import (
	"math"
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
		{"huge quota saturates", []ratelimit.Policy{{Name: "f", Limit: math.MaxInt64, Period: time.Millisecond}}, `"f";q=9223372036854775807;w=1`},
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
