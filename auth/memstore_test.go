package auth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chainsync/middleware/auth"
	"github.com/chainsync/middleware/auth/storetest"
)

func newMem(t *testing.T, max int) *auth.MemoryStore {
	t.Helper()
	m, err := auth.NewMemoryStore(auth.MemoryStoreOptions{MaxSessions: max})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMemoryStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) auth.SessionStore { return newMem(t, 0) })
}

func TestMemoryStoreOptions(t *testing.T) {
	if _, err := auth.NewMemoryStore(auth.MemoryStoreOptions{MaxSessions: -1}); err == nil {
		t.Fatal("negative MaxSessions accepted")
	}
}

func TestMemoryStoreFull(t *testing.T) {
	m := newMem(t, 3)
	ctx := context.Background()
	now := time.Now()
	var first *auth.Session
	for i := 0; i < 3; i++ {
		s := storetest.NewSession("u", now)
		if i == 0 {
			s.ExpiresAt = now.Add(time.Minute)
			first = s
		}
		if err := m.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("refuses when full of live sessions", func(t *testing.T) {
		err := m.Create(ctx, storetest.NewSession("u", now))
		if !errors.Is(err, auth.ErrStoreFull) {
			t.Fatalf("Create when full = %v; want ErrStoreFull", err)
		}
		if m.Refused() != 1 {
			t.Fatalf("Refused = %d; want 1 (nothing refused silently)", m.Refused())
		}
		for _, id := range []string{first.ID} {
			if _, ok, _ := m.Get(ctx, id, now); !ok {
				t.Fatal("a live session was evicted")
			}
		}
	})
	t.Run("sweeps expired sessions to make room", func(t *testing.T) {
		later := now.Add(2 * time.Minute) // first has expired
		if err := m.Create(ctx, storetest.NewSession("u", later)); err != nil {
			t.Fatalf("Create after expiry = %v; want room from the swept session", err)
		}
		if m.Len() != 3 {
			t.Fatalf("Len = %d; want 3", m.Len())
		}
	})
}

func TestMemoryStoreSweepsIncrementally(t *testing.T) {
	m := newMem(t, 0)
	ctx := context.Background()
	now := time.Now()
	for i := 0; i < 200; i++ {
		s := storetest.NewSession("u", now)
		s.ExpiresAt = now.Add(time.Minute)
		if err := m.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	// Creating sessions later sweeps one shard per call: 32 calls cover all.
	later := now.Add(time.Hour)
	for i := 0; i < 32; i++ {
		if err := m.Create(ctx, storetest.NewSession("v", later)); err != nil {
			t.Fatal(err)
		}
	}
	if m.Len() != 32 {
		t.Fatalf("Len = %d after sweeping; want only the 32 live sessions", m.Len())
	}
}
