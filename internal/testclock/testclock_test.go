package testclock_test

import (
	"sync"
	"testing"
	"time"

	"github.com/chainsync/middleware/internal/testclock"
)

func TestClock(t *testing.T) {
	start := time.Date(2026, 12, 4, 15, 4, 5, 0, time.UTC)
	c := testclock.New(start)
	if !c.Now().Equal(start) {
		t.Fatalf("Now = %v; want %v", c.Now(), start)
	}
	c.Advance(90 * time.Second)
	if got := c.Now().Sub(start); got != 90*time.Second {
		t.Fatalf("after Advance: %v since start; want 90s", got)
	}
	c.Set(start)
	if !c.Now().Equal(start) {
		t.Fatalf("after Set: %v", c.Now())
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { c.Advance(time.Second); _ = c.Now() })
	}
	wg.Wait()
	if got := c.Now().Sub(start); got != 8*time.Second {
		t.Fatalf("concurrent Advance: %v; want 8s", got)
	}
}
