package ratelimit_test

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chainsync/middleware/internal/testclock"
	"github.com/chainsync/middleware/ratelimit"
	"github.com/chainsync/middleware/ratelimit/storetest"
)

// clock is a manual clock for the memory store.
type clock = testclock.Clock

func newClock() *clock { return testclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) }

func newMemory(t testing.TB, o ratelimit.MemoryOptions) *ratelimit.MemoryStore {
	t.Helper()
	s, err := ratelimit.NewMemoryStore(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestMemoryStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Backend {
		c := newClock()
		return storetest.Backend{Store: newMemory(t, ratelimit.MemoryOptions{Now: c.Now}), Advance: c.Advance}
	})
}

func TestNewMemoryStoreErrors(t *testing.T) {
	for _, o := range []ratelimit.MemoryOptions{{MaxKeys: -1}, {Shards: -1}, {SweepInterval: -time.Second}} {
		if _, err := ratelimit.NewMemoryStore(o); err == nil {
			t.Errorf("NewMemoryStore(%+v) accepted", o)
		}
	}
}

func TestMemoryStoreInvalidPolicy(t *testing.T) {
	s := newMemory(t, ratelimit.MemoryOptions{})
	for _, p := range []ratelimit.Policy{{}, {Name: "x", Limit: 0, Period: time.Second}, {Name: "x", Limit: 1}, {Name: "x", Limit: 1, Period: time.Second, Burst: -1}} {
		if _, err := s.Take(context.Background(), "k", p, 1); err == nil {
			t.Errorf("Take with %+v succeeded", p)
		}
	}
}

func TestMemoryStoreClosed(t *testing.T) {
	s := newMemory(t, ratelimit.MemoryOptions{SweepInterval: time.Millisecond})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if _, err := s.Take(context.Background(), "k", ratelimit.API(), 1); err != ratelimit.ErrClosed {
		t.Fatalf("Take after Close: %v, want ErrClosed", err)
	}
}

func TestMemoryStoreSweep(t *testing.T) {
	c := newClock()
	s := newMemory(t, ratelimit.MemoryOptions{Now: c.Now, DisableSweeper: true})
	p := ratelimit.Policy{Name: "sweep", Limit: 10, Period: 10 * time.Second}
	for i := 0; i < 100; i++ {
		s.Take(context.Background(), "k"+strconv.Itoa(i), p, int64(1+i%10)) // TAT 1s..10s ahead
	}
	if got := s.Stats().Keys; got != 100 {
		t.Fatalf("Keys = %d, want 100", got)
	}
	c.Advance(5 * time.Second)
	if n := s.Sweep(); n != 50 {
		t.Fatalf("Sweep after 5s dropped %d, want 50", n)
	}
	c.Advance(5 * time.Second)
	if n := s.Sweep(); n != 50 {
		t.Fatalf("Sweep after 10s dropped %d, want 50", n)
	}
	st := s.Stats()
	if st.Keys != 0 || st.Swept != 100 || st.Evicted != 0 {
		t.Fatalf("Stats = %+v, want no keys, 100 swept, none evicted", st)
	}
}

func TestMemoryStoreBackgroundSweeper(t *testing.T) {
	c := newClock()
	s := newMemory(t, ratelimit.MemoryOptions{Now: c.Now, SweepInterval: time.Millisecond})
	s.Take(context.Background(), "k", ratelimit.API(), 1)
	c.Advance(time.Minute)
	for i := 0; s.Stats().Keys != 0; i++ {
		if i > 5000 {
			t.Fatal("background sweeper never dropped expired state")
		}
		time.Sleep(time.Millisecond)
	}
}

// scatteredIP returns the i-th of a sequence of distinct IPv4 keys spread
// over the whole address space (i times an odd constant is a permutation
// of the 32-bit space), as a flood of random client addresses looks.
func scatteredIP(i int) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(i+1)*2654435761)
	return "ip:" + netip.AddrFrom4(b).String()
}

func TestMemoryStoreFloodIsBounded(t *testing.T) {
	// 1,000,000 distinct client IPs against a store capped at 20,000 keys.
	// The clock stands still, so nothing expires and every key over the
	// cap must be an eviction (a real clock would let a slow run sweep
	// expired state instead).
	const maxKeys, flood = 20_000, 1_000_000
	c := newClock()
	s := newMemory(t, ratelimit.MemoryOptions{MaxKeys: maxKeys, DisableSweeper: true, Now: c.Now})
	p := ratelimit.General()
	ctx := context.Background()
	var before, after runtime.MemStats
	for i := 0; i < flood; i++ {
		if i == flood/10 {
			runtime.GC()
			runtime.ReadMemStats(&before)
		}
		if _, err := s.Take(ctx, scatteredIP(i), p, 1); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	st := s.Stats()
	if st.Keys > maxKeys {
		t.Fatalf("store holds %d keys, cap %d", st.Keys, maxKeys)
	}
	if st.Keys < maxKeys*8/10 {
		t.Fatalf("store holds only %d keys of %d: eviction too eager", st.Keys, maxKeys)
	}
	if st.Evicted != uint64(flood-st.Keys) || st.Swept != 0 {
		t.Fatalf("Stats %+v: want every key over the cap evicted and counted (%d)", st, flood-st.Keys)
	}
	// After the cap was reached (at 10% of the flood) the heap must not keep
	// growing with the number of distinct keys.
	if growth := int64(after.HeapAlloc) - int64(before.HeapAlloc); growth > 4<<20 {
		t.Fatalf("heap grew by %d bytes over the last 900,000 distinct keys", growth)
	}
}

func TestMemoryStoreBytesPerKey(t *testing.T) {
	const n = 1_000_000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = scatteredIP(i)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c := newClock()
	s := newMemory(t, ratelimit.MemoryOptions{MaxKeys: 2 * n, DisableSweeper: true, Now: c.Now})
	p := ratelimit.General()
	ctx := context.Background()
	for _, k := range keys {
		s.Take(ctx, k, p, 1)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if got := s.Stats().Keys; got != n {
		t.Fatalf("Keys = %d, want %d", got, n)
	}
	perKey := float64(after.HeapAlloc-before.HeapAlloc) / n
	t.Logf("memory store: %.1f bytes per tracked key (1M IPv4 keys, key text included)", perKey)
	if perKey >= 200 {
		t.Fatalf("%.1f bytes per tracked key, want under 200", perKey)
	}
	runtime.KeepAlive(keys)
}

func TestMemoryStoreAllocs(t *testing.T) {
	s := newMemory(t, ratelimit.MemoryOptions{})
	p := ratelimit.Policy{Name: "allocs", Limit: 1 << 40, Period: time.Second}
	ctx := context.Background()
	s.Take(ctx, "ip:203.0.113.7", p, 1)
	allocs := testing.AllocsPerRun(1000, func() {
		if r, _ := s.Take(ctx, "ip:203.0.113.7", p, 1); !r.Allowed {
			t.Fatal("denied")
		}
	})
	if allocs > 1 {
		t.Fatalf("allow path allocates %v times, want at most 1", allocs)
	}
}

func TestMemoryStoreSweepWhileTaking(t *testing.T) {
	c := newClock()
	s := newMemory(t, ratelimit.MemoryOptions{Now: c.Now, SweepInterval: time.Millisecond, MaxKeys: 5000})
	p := ratelimit.Policy{Name: "busy", Limit: 3, Period: time.Second}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5000; i++ {
				if _, err := s.Take(context.Background(), "k"+strconv.Itoa(w*5000+i), p, 1); err != nil {
					t.Error(err)
					return
				}
				if i%500 == 0 {
					c.Advance(100 * time.Millisecond)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 50; i++ {
			s.Sweep()
		}
	}()
	wg.Wait()
	c.Advance(time.Hour)
	s.Sweep()
	if st := s.Stats(); st.Keys != 0 || st.Swept+st.Evicted != 20000 {
		t.Fatalf("Stats %+v: every state must end swept or evicted (20000)", st)
	}
}

// TestGCRABounds checks the guarantees of the algorithm on random traffic:
// in any span d the admitted cost is at most Burst + d/Interval, with d in
// whole microseconds, the store's resolution (so no burst above Burst,
// whatever the timing), and a denied request retried after exactly its
// RetryAfter is admitted.
func TestGCRABounds(t *testing.T) {
	policies := []ratelimit.Policy{
		ratelimit.General(), ratelimit.Auth(), ratelimit.API(), ratelimit.Admin(),
		{Name: "burst", Limit: 10, Period: time.Second, Burst: 3},
		{Name: "uneven", Limit: 7, Period: time.Second},
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, p := range policies {
		t.Run(p.Name, func(t *testing.T) {
			c := newClock()
			s := newMemory(t, ratelimit.MemoryOptions{Now: c.Now, DisableSweeper: true})
			iv, _ := p.GCRA(ratelimit.Resolution)
			interval := time.Duration(iv) * ratelimit.Resolution
			type admit struct {
				at   time.Time
				cost int64
			}
			var admitted []admit
			for i := 0; i < 3000; i++ {
				// Bursty arrivals: mostly close together, sometimes long pauses.
				gap := time.Duration(r.Int64N(int64(interval) / 4))
				if r.IntN(20) == 0 {
					gap = time.Duration(r.Int64N(int64(p.Period)))
				}
				c.Advance(gap)
				cost := int64(1 + r.IntN(2))
				res, err := s.Take(context.Background(), "k", p, cost)
				if err != nil {
					t.Fatal(err)
				}
				if res.Allowed {
					admitted = append(admitted, admit{c.Now(), cost})
					continue
				}
				if r.IntN(4) == 0 { // sometimes wait exactly as told
					c.Advance(res.RetryAfter)
					again, _ := s.Take(context.Background(), "k", p, cost)
					if !again.Allowed {
						t.Fatalf("request %d: denied again after waiting RetryAfter %s", i, res.RetryAfter)
					}
					admitted = append(admitted, admit{c.Now(), cost})
				}
			}
			for i := range admitted {
				var sum int64
				for j := i; j < len(admitted); j++ {
					sum += admitted[j].cost
					d := admitted[j].at.Sub(admitted[i].at)
					// The store counts time in whole microseconds: the two
					// instants, each rounded down, may be up to d rounded up apart.
					dRes := (d + ratelimit.Resolution - 1) / ratelimit.Resolution * ratelimit.Resolution
					if bound := p.EffectiveBurst() + int64(dRes/interval); sum > bound {
						t.Fatalf("%d units admitted within %s, bound %d", sum, d, bound)
					}
					if d > 2*p.Period {
						break
					}
				}
			}
			if len(admitted) < 100 {
				t.Fatalf("only %d requests admitted: the test traffic is too thin to mean anything", len(admitted))
			}
		})
	}
}
