package auth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chainsync/middleware/auth"
)

func TestVerifyCache(t *testing.T) {
	c := newClock()
	k1 := hsKey(t)
	keys := ring(t, k1)
	a := newAuth(t, c, func(o *auth.Options) { o.Keys = keys; o.CacheSize = 2; o.SessionCheck = true })
	ctx := context.Background()
	pair, err := a.Issue(ctx, cashier)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := a.Verify(ctx, pair.AccessToken); err != nil {
			t.Fatalf("verify %d: %v", i, err)
		}
	}
	t.Run("expires at exp", func(t *testing.T) {
		// The same authenticator (and cache) at the token's exp: the
		// cached entry must not answer for an expired token.
		c := newClock()
		a := newAuth(t, c, func(o *auth.Options) { o.Keys = keys; o.CacheSize = 2; o.NoLeeway = true })
		p, err := a.Issue(ctx, cashier)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Verify(ctx, p.AccessToken); err != nil {
			t.Fatal(err)
		}
		if n := auth.CacheLen(a); n != 1 {
			t.Fatalf("cache holds %d entries after one verification; want 1", n)
		}
		c.Advance(auth.DefaultAccessTTL - time.Second)
		if _, err := a.Verify(ctx, p.AccessToken); err != nil {
			t.Fatalf("Verify just before exp = %v", err)
		}
		c.Advance(time.Second)
		if _, err := a.Verify(ctx, p.AccessToken); !errors.Is(err, auth.ErrTokenExpired) {
			t.Fatalf("Verify at exp = %v; want ErrTokenExpired", err)
		}
	})
	t.Run("session check still runs on hits", func(t *testing.T) {
		if err := a.Revoke(ctx, pair.SessionID); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Verify(ctx, pair.AccessToken); !errors.Is(err, auth.ErrSessionRevoked) {
			t.Fatalf("cached token of a revoked session = %v", err)
		}
	})
	t.Run("removed key drops cached tokens", func(t *testing.T) {
		p, err := a.Issue(ctx, cashier)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Verify(ctx, p.AccessToken); err != nil {
			t.Fatal(err)
		}
		k2, _ := auth.NewEdDSAKey(edKey(t))
		if err := keys.Rotate(k2); err != nil {
			t.Fatal(err)
		}
		if err := keys.Remove(k1.ID()); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Verify(ctx, p.AccessToken); !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("cached token of a removed key = %v", err)
		}
	})
	t.Run("bounded", func(t *testing.T) {
		var toks []string
		for i := 0; i < 5; i++ {
			p, err := a.Issue(ctx, cashier)
			if err != nil {
				t.Fatal(err)
			}
			toks = append(toks, p.AccessToken)
		}
		for _, tok := range append(toks, toks...) {
			if _, err := a.Verify(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
		if n := auth.CacheLen(a); n != 2 {
			t.Fatalf("cache holds %d entries; want CacheSize 2", n)
		}
	})
}
