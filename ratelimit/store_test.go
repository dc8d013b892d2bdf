package ratelimit_test

import (
	"testing"
	"time"

	"github.com/chainsync/middleware/ratelimit"
)

func TestDecide(t *testing.T) {
	// Interval 10, tolerance 30 (burst 3), in unit-less ticks of 1ns.
	const iv, tol = 10, 30
	tests := []struct {
		name       string
		now, tat   int64
		ok         bool
		cost       int64
		want       ratelimit.Result
		wantTAT    int64
		wantUpdate bool
	}{
		{"fresh key", 100, 0, false, 1, ratelimit.Result{Allowed: true, Limit: 3, Remaining: 2, ResetAfter: 10}, 110, true},
		{"stale state is no state", 100, 50, true, 1, ratelimit.Result{Allowed: true, Limit: 3, Remaining: 2, ResetAfter: 10}, 110, true},
		{"last unit of the burst", 100, 120, true, 1, ratelimit.Result{Allowed: true, Limit: 3, Remaining: 0, ResetAfter: 30}, 130, true},
		{"over the burst", 100, 130, true, 1, ratelimit.Result{Limit: 3, Remaining: 0, ResetAfter: 30, RetryAfter: 10}, 130, false},
		{"cost 2 with 1 left", 100, 120, true, 2, ratelimit.Result{Limit: 3, Remaining: 1, ResetAfter: 20, RetryAfter: 10}, 120, false},
		{"cost 3 is the whole burst", 100, 0, false, 3, ratelimit.Result{Allowed: true, Limit: 3, Remaining: 0, ResetAfter: 30}, 130, true},
		{"cost above the burst", 100, 0, false, 4, ratelimit.Result{Limit: 3, Remaining: 3, RetryAfter: 30}, 100, false},
		{"cost 0 peeks", 100, 115, true, 0, ratelimit.Result{Allowed: true, Limit: 3, Remaining: 1, ResetAfter: 15}, 115, false},
		{"partial unit rounds remaining down", 100, 125, true, 0, ratelimit.Result{Allowed: true, Limit: 3, Remaining: 0, ResetAfter: 25}, 125, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, tat, update := ratelimit.Decide(tt.now, tt.tat, tt.ok, iv, tol, tt.cost, 3, time.Nanosecond)
			if r != tt.want || tat != tt.wantTAT || update != tt.wantUpdate {
				t.Fatalf("Decide = %+v, %d, %v; want %+v, %d, %v", r, tat, update, tt.want, tt.wantTAT, tt.wantUpdate)
			}
		})
	}
}

func TestDecideClampsStateBeyondTolerance(t *testing.T) {
	// Interval 10, tolerance 30: a TAT 100 ahead (a policy since tightened,
	// or a clock that stepped back) counts as the whole burst used, not as
	// a debt of ten units.
	r, tat, update := ratelimit.Decide(100, 200, true, 10, 30, 1, 3, time.Nanosecond)
	want := ratelimit.Result{Limit: 3, Remaining: 0, ResetAfter: 30, RetryAfter: 10}
	if r != want || tat != 130 || update {
		t.Fatalf("Decide = %+v, %d, %v; want %+v, 130, false", r, tat, update, want)
	}
}
