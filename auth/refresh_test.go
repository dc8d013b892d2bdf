package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainsync/middleware/auth"
)

func TestRefreshRotation(t *testing.T) {
	c := newClock()
	a := newAuth(t, c, func(o *auth.Options) { o.SessionCheck = true })
	ctx := context.Background()
	first, err := a.Issue(ctx, cashier)
	if err != nil {
		t.Fatal(err)
	}
	c.Advance(10 * time.Minute)
	second, err := a.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if second.RefreshToken == first.RefreshToken || second.SessionID != first.SessionID || !second.RefreshExpiresAt.Equal(first.RefreshExpiresAt) {
		t.Fatalf("second pair %+v", second)
	}
	if _, err := a.Verify(ctx, second.AccessToken); err != nil {
		t.Fatalf("new access token: %v", err)
	}

	t.Run("reused refresh token revokes the family", func(t *testing.T) {
		if _, err := a.Refresh(ctx, first.RefreshToken); !errors.Is(err, auth.ErrTokenReused) {
			t.Fatalf("reuse = %v; want ErrTokenReused", err)
		}
		if _, err := a.Refresh(ctx, second.RefreshToken); !errors.Is(err, auth.ErrSessionRevoked) {
			t.Fatalf("successor after reuse = %v; want ErrSessionRevoked", err)
		}
		if _, err := a.Verify(ctx, second.AccessToken); !errors.Is(err, auth.ErrSessionRevoked) {
			t.Fatalf("access token after reuse = %v; want ErrSessionRevoked", err)
		}
	})
}

func TestRefreshRejects(t *testing.T) {
	c := newClock()
	a := newAuth(t, c, nil)
	ctx := context.Background()
	pair, err := a.Issue(ctx, cashier)
	if err != nil {
		t.Fatal(err)
	}
	sid, _, _ := strings.Cut(pair.RefreshToken, ".")
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"access token as refresh token", pair.AccessToken, auth.ErrInvalidToken},
		{"forged secret for a live session", sid + "." + strings.Repeat("A", 43), auth.ErrInvalidToken},
		{"unknown session", strings.Repeat("B", 22) + "." + strings.Repeat("A", 43), auth.ErrSessionRevoked},
		{"bad characters", sid + "." + strings.Repeat("*", 43), auth.ErrInvalidToken},
		{"empty", "", auth.ErrInvalidToken},
		{"too long", strings.Repeat("a", 5000), auth.ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := a.Refresh(ctx, tt.token); !errors.Is(err, tt.want) {
				t.Fatalf("Refresh = %v; want %v", err, tt.want)
			}
		})
	}
	// None of that disturbed the session.
	if _, err := a.Refresh(ctx, pair.RefreshToken); err != nil {
		t.Fatalf("genuine refresh after the forgeries: %v", err)
	}
}

func TestConcurrentRefresh(t *testing.T) {
	c := newClock()
	a := newAuth(t, c, func(o *auth.Options) { o.SessionCheck = true })
	ctx := context.Background()
	pair, err := a.Issue(ctx, cashier)
	if err != nil {
		t.Fatal(err)
	}
	const n = 100
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners []auth.TokenPair
		reused  int
		other   []error
	)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			p, err := a.Refresh(ctx, pair.RefreshToken)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				winners = append(winners, p)
			case errors.Is(err, auth.ErrTokenReused):
				reused++
			case errors.Is(err, auth.ErrSessionRevoked):
			default:
				other = append(other, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(winners) != 1 || reused < 1 || len(other) > 0 {
		t.Fatalf("%d successes, %d reuse detections, other errors %v; want exactly 1 success", len(winners), reused, other)
	}
	// No grace window: the losers' reuse revoked the family, so the
	// winner's new tokens stop working too.
	if _, err := a.Refresh(ctx, winners[0].RefreshToken); !errors.Is(err, auth.ErrSessionRevoked) {
		t.Fatalf("winner's refresh token = %v; want ErrSessionRevoked", err)
	}
	if _, err := a.Verify(ctx, winners[0].AccessToken); !errors.Is(err, auth.ErrSessionRevoked) {
		t.Fatalf("winner's access token = %v; want ErrSessionRevoked", err)
	}
}

func TestRefreshGrace(t *testing.T) {
	c := newClock()
	a := newAuth(t, c, func(o *auth.Options) { o.ReuseGrace = 10 * time.Second })
	ctx := context.Background()
	first, err := a.Issue(ctx, cashier)
	if err != nil {
		t.Fatal(err)
	}
	lost, err := a.Refresh(ctx, first.RefreshToken) // the client never saw this response
	if err != nil {
		t.Fatal(err)
	}
	c.Advance(5 * time.Second)
	retry, err := a.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatalf("previous token within the grace window = %v; want a fresh pair", err)
	}
	if _, err := a.Refresh(ctx, lost.RefreshToken); !errors.Is(err, auth.ErrTokenReused) {
		t.Fatalf("unused successor = %v; want ErrTokenReused (it was revoked)", err)
	}
	if _, err := a.Refresh(ctx, retry.RefreshToken); !errors.Is(err, auth.ErrSessionRevoked) {
		t.Fatalf("after reuse = %v; want ErrSessionRevoked", err)
	}

	t.Run("window passed", func(t *testing.T) {
		first, err := a.Issue(ctx, cashier)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Refresh(ctx, first.RefreshToken); err != nil {
			t.Fatal(err)
		}
		c.Advance(11 * time.Second)
		if _, err := a.Refresh(ctx, first.RefreshToken); !errors.Is(err, auth.ErrTokenReused) {
			t.Fatalf("previous token after the window = %v; want ErrTokenReused", err)
		}
	})
}

func TestSessionLifetime(t *testing.T) {
	ctx := context.Background()
	t.Run("absolute", func(t *testing.T) {
		c := newClock()
		a := newAuth(t, c, nil)
		login := c.Now()
		pair, err := a.Issue(ctx, cashier)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 6; i++ { // refresh daily: the end never moves
			c.Advance(24 * time.Hour)
			if pair, err = a.Refresh(ctx, pair.RefreshToken); err != nil {
				t.Fatalf("day %d: %v", i+1, err)
			}
			if !pair.RefreshExpiresAt.Equal(login.Add(auth.DefaultRefreshTTL)) {
				t.Fatalf("refresh moved the session end to %v", pair.RefreshExpiresAt)
			}
		}
		c.Advance(24*time.Hour - 5*time.Minute)
		if pair, err = a.Refresh(ctx, pair.RefreshToken); err != nil {
			t.Fatal(err)
		}
		if pair.ExpiresIn != 300 {
			t.Fatalf("access token outlives the session: expiresIn %d; want 300", pair.ExpiresIn)
		}
		c.Advance(5 * time.Minute)
		if _, err := a.Refresh(ctx, pair.RefreshToken); !errors.Is(err, auth.ErrSessionRevoked) {
			t.Fatalf("refresh at login + RefreshTTL = %v; want ErrSessionRevoked", err)
		}
	})
	t.Run("idle", func(t *testing.T) {
		c := newClock()
		a := newAuth(t, c, func(o *auth.Options) { o.IdleTimeout = time.Hour })
		pair, err := a.Issue(ctx, cashier)
		if err != nil {
			t.Fatal(err)
		}
		c.Advance(59 * time.Minute)
		if pair, err = a.Refresh(ctx, pair.RefreshToken); err != nil {
			t.Fatal(err)
		}
		c.Advance(time.Hour)
		if _, err := a.Refresh(ctx, pair.RefreshToken); !errors.Is(err, auth.ErrSessionRevoked) {
			t.Fatalf("refresh after an idle hour = %v; want ErrSessionRevoked", err)
		}
	})
}

func TestRefreshKeyRotation(t *testing.T) {
	c := newClock()
	store, _ := auth.NewMemoryStore(auth.MemoryStoreOptions{})
	oldKey := []byte("old-refresh-key-old-refresh-key!")
	before := newAuth(t, c, func(o *auth.Options) { o.Store = store; o.RefreshKey = oldKey })
	ctx := context.Background()
	p1, err := before.Issue(ctx, cashier)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := before.Issue(ctx, cashier)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := before.Refresh(ctx, p2.RefreshToken); err != nil { // p2 is now used
		t.Fatal(err)
	}
	tests := []struct {
		name string
		prev [][]byte
		tok  string
		want error
	}{
		{"old token without the previous key", nil, p1.RefreshToken, auth.ErrInvalidToken},
		{"old token with the previous key", [][]byte{oldKey}, p1.RefreshToken, nil},
		{"reuse of a token hashed under the previous key", [][]byte{oldKey}, p2.RefreshToken, auth.ErrTokenReused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			after := newAuth(t, c, func(o *auth.Options) { o.Store = store; o.PreviousRefreshKeys = tt.prev })
			p, err := after.Refresh(ctx, tt.tok)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Refresh = %v; want %v", err, tt.want)
			}
			if err == nil {
				if _, err := after.Refresh(ctx, p.RefreshToken); err != nil {
					t.Fatalf("new token (current key) = %v", err)
				}
			}
		})
	}
	if _, err := auth.New(auth.Options{Keys: ring(t), RefreshKey: refreshKey, Issuer: "i", Audience: "a", PreviousRefreshKeys: [][]byte{[]byte("short")}}); err == nil {
		t.Fatal("short previous refresh key accepted")
	}
}

// TestReuseAfterManyRotations: a thief who refreshes a stolen token first
// and then rotates many times in a row must not push the victim's token
// out of the reuse history (RFC 9700 §4.14.2): when the victim presents
// it, the family is still revoked.
func TestReuseAfterManyRotations(t *testing.T) {
	c := newClock()
	a := newAuth(t, c, func(o *auth.Options) { o.SessionCheck = true })
	ctx := context.Background()
	for _, n := range []int{auth.UsedHistory - 1, auth.UsedHistory + 10} {
		victim, err := a.Issue(ctx, cashier)
		if err != nil {
			t.Fatal(err)
		}
		thief := victim
		for i := 0; i < n; i++ {
			next, err := a.Refresh(ctx, thief.RefreshToken)
			if errors.Is(err, auth.ErrSessionRevoked) && i >= auth.UsedHistory {
				break // the session used up its rotations: it ended
			}
			if err != nil {
				t.Fatalf("thief's rotation %d = %v", i, err)
			}
			thief = next
		}
		_, err = a.Refresh(ctx, victim.RefreshToken)
		if !errors.Is(err, auth.ErrTokenReused) && !errors.Is(err, auth.ErrSessionRevoked) {
			t.Fatalf("victim's token after up to %d rotations = %v; want ErrTokenReused (or ErrSessionRevoked once the session ended)", n, err)
		}
		if _, err := a.Verify(ctx, thief.AccessToken); !errors.Is(err, auth.ErrSessionRevoked) {
			t.Fatalf("thief's access token after up to %d rotations = %v; want ErrSessionRevoked", n, err)
		}
	}
}

// TestRotationLimit: a session ends (the user logs in again) rather than
// forget a used refresh token.
func TestRotationLimit(t *testing.T) {
	c := newClock()
	a := newAuth(t, c, nil)
	ctx := context.Background()
	p, err := a.Issue(ctx, cashier)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < auth.UsedHistory; i++ {
		if p, err = a.Refresh(ctx, p.RefreshToken); err != nil {
			t.Fatalf("rotation %d = %v", i, err)
		}
	}
	if _, err := a.Refresh(ctx, p.RefreshToken); !errors.Is(err, auth.ErrSessionRevoked) {
		t.Fatalf("rotation %d = %v; want ErrSessionRevoked (the session used up its rotations)", auth.UsedHistory+1, err)
	}
}
