package auth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chainsync/middleware/auth"
)

// getOnly hides the MemoryStore's optional SessionChecker, as a store
// without it looks: the session check then uses Get.
type getOnly struct{ auth.SessionStore }

func TestSessionCheckWithGetOnlyStore(t *testing.T) {
	c := newClock()
	m, _ := auth.NewMemoryStore(auth.MemoryStoreOptions{})
	a := newAuth(t, c, func(o *auth.Options) { o.Store = getOnly{m}; o.SessionCheck = true })
	ctx := context.Background()
	p, err := a.Issue(ctx, cashier)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(ctx, p.AccessToken); err != nil {
		t.Fatal(err)
	}
	if err := a.Revoke(ctx, p.SessionID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(ctx, p.AccessToken); !errors.Is(err, auth.ErrSessionRevoked) {
		t.Fatalf("Verify after Revoke = %v; want ErrSessionRevoked", err)
	}
	if _, err := a.Verify(canceled(), p.AccessToken); !errors.Is(err, auth.ErrStoreUnavailable) {
		t.Fatalf("Verify with the store unavailable = %v", err)
	}
}

func TestSessionExpiry(t *testing.T) {
	t0 := time.Unix(1_750_000_000, 0)
	tests := []struct {
		name string
		s    auth.Session
		want time.Time
	}{
		{"absolute only", auth.Session{ExpiresAt: t0.Add(time.Hour), LastUsed: t0}, t0.Add(time.Hour)},
		{"idle first", auth.Session{ExpiresAt: t0.Add(time.Hour), LastUsed: t0, IdleTimeout: time.Minute}, t0.Add(time.Minute)},
		{"absolute caps idle", auth.Session{ExpiresAt: t0.Add(time.Hour), LastUsed: t0.Add(59 * time.Minute), IdleTimeout: 10 * time.Minute}, t0.Add(time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.Expiry(); !got.Equal(tt.want) {
				t.Fatalf("Expiry = %v; want %v", got, tt.want)
			}
			if !tt.s.Live(tt.want.Add(-time.Nanosecond)) || tt.s.Live(tt.want) {
				t.Fatal("Live disagrees with Expiry")
			}
		})
	}
	for _, tt := range []struct {
		id string
		ok bool
	}{{"AAAAAAAAAAAAAAAAAAAAAA", true}, {"AAAA", false}, {"AAAAAAAAAAAAAAAAAAAA{}", false}, {"", false}} {
		if auth.ValidSessionID(tt.id) != tt.ok {
			t.Errorf("ValidSessionID(%q) = %v", tt.id, !tt.ok)
		}
	}
}
