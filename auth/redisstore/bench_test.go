package redisstore_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/chainsync/middleware/auth"
	"github.com/chainsync/middleware/auth/storetest"
	"github.com/chainsync/middleware/internal/redistest"
)

// BenchmarkStore measures the hot-path calls against a real redis-server
// on loopback: Check (the per-request session check), Get, and Rotate (a
// refresh, one Lua round trip).
func BenchmarkStore(b *testing.B) {
	c := client(b, redistest.Shared(b).Addr())
	s := newStoreB(b, c)
	ctx := context.Background()
	in := storetest.NewSession("bench", time.Now())
	if err := s.Create(ctx, in); err != nil {
		b.Fatal(err)
	}
	b.Run("Get", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok, err := s.Get(ctx, in.ID, time.Now()); err != nil || !ok {
				b.Fatal(ok, err)
			}
		}
	})
	b.Run("Check", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok, err := s.Check(ctx, in.ID, time.Now()); err != nil || !ok {
				b.Fatal(ok, err)
			}
		}
	})
	b.Run("Rotate", func(b *testing.B) {
		cur := in.Current
		next := make([]byte, 32)
		b.ReportAllocs()
		for b.Loop() {
			_, _ = rand.Read(next)
			_, st, err := s.Rotate(ctx, in.ID, auth.Rotation{Presented: cur, Next: next, Now: time.Now()})
			if err != nil || st != auth.Rotated {
				b.Fatal(st, err)
			}
			cur = append(cur[:0], next...)
		}
	})
}
