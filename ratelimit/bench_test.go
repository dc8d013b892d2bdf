package ratelimit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chainsync/middleware/ratelimit"
)

func BenchmarkMemoryStore(b *testing.B) {
	// A limit that never denies, so every call takes the allow path and
	// writes state.
	p := ratelimit.Policy{Name: "bench", Limit: 1 << 40, Period: time.Second}
	ctx := context.Background()
	b.Run("one-key", func(b *testing.B) {
		s := newMemory(b, ratelimit.MemoryOptions{})
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if r, _ := s.Take(ctx, "ip:203.0.113.7", p, 1); !r.Allowed {
					b.Error("denied")
					return
				}
			}
		})
	})
	b.Run("100k-keys", func(b *testing.B) {
		const n = 100_000
		s := newMemory(b, ratelimit.MemoryOptions{})
		keys := make([]string, n)
		for i := range keys {
			keys[i] = "ip:10." + strconv.Itoa(i>>16) + "." + strconv.Itoa(i>>8&255) + "." + strconv.Itoa(i&255)
			s.Take(ctx, keys[i], p, 1)
		}
		var next atomic.Uint64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			i := next.Add(7919) // each goroutine starts elsewhere
			for pb.Next() {
				i++
				if r, _ := s.Take(ctx, keys[i%n], p, 1); !r.Allowed {
					b.Error("denied")
					return
				}
			}
		})
	})
	b.Run("new-keys", func(b *testing.B) {
		// Every call a new key: the insert path, with eviction once the
		// cap is reached.
		s := newMemory(b, ratelimit.MemoryOptions{MaxKeys: 100_000})
		keys := make([]string, 1<<20)
		for i := range keys {
			keys[i] = "ip:" + strconv.Itoa(i)
		}
		var next atomic.Uint64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				s.Take(ctx, keys[next.Add(1)&(1<<20-1)], p, 1)
			}
		})
	})
}

func BenchmarkMiddleware(b *testing.B) {
	never := ratelimit.Policy{Name: "api", Limit: 1 << 40, Period: time.Minute}
	noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	for _, bc := range []struct {
		name     string
		policies []ratelimit.Policy
	}{
		{"one-policy", []ratelimit.Policy{never}},
		{"two-policies", []ratelimit.Policy{{Name: "general", Limit: 1 << 40, Period: 15 * time.Minute}, never}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := newMemory(b, ratelimit.MemoryOptions{})
			h := ratelimit.Must(s, nil, bc.policies, ratelimit.Options{}).Handler(noop)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				req := httptest.NewRequest("GET", "/api/products", nil)
				req.RemoteAddr = "203.0.113.7:4711"
				w := httptest.NewRecorder()
				for pb.Next() {
					clear(w.Header())
					h.ServeHTTP(w, req)
				}
			})
		})
	}
}
