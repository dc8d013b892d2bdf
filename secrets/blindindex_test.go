package secrets_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/chainsync/middleware/secrets"
)

func mustIndex(t testing.TB, key []byte, opts secrets.BlindIndexOptions) *secrets.BlindIndex {
	t.Helper()
	bi, err := secrets.NewBlindIndex(key, opts)
	if err != nil {
		t.Fatal(err)
	}
	return bi
}

func TestBlindIndex(t *testing.T) {
	key := bytes.Repeat([]byte{3}, 32)
	emails := secrets.BlindIndexOptions{Purpose: "customers.email", Canonicalize: secrets.CanonicalEmail}
	a, b := mustIndex(t, key, emails), mustIndex(t, append([]byte(nil), key...), emails)
	t.Run("stable across instances with the same key", func(t *testing.T) {
		if a.Sum("ana@example.com") != b.Sum("ana@example.com") {
			t.Fatal("two instances disagree")
		}
	})
	t.Run("known answer", func(t *testing.T) {
		// Pinned (HMAC-SHA-256 of uint64be(len(purpose)) || purpose || value,
		// checked independently): a change would orphan every stored index.
		const want = "f13V2sX_3A-y_4V0rpvuLuBXixN0Pauf9oWB8AJusW0"
		if got := a.Sum("ana@example.com"); got != want {
			t.Fatalf("Sum = %s, want %s", got, want)
		}
	})
	tests := []struct {
		name  string
		x, y  string
		equal bool
	}{
		{"canonical email", " Ana@Example.COM\n", "ana@example.com", true},
		{"different emails", "ana@example.com", "bob@example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if (a.Sum(tt.x) == a.Sum(tt.y)) != tt.equal {
				t.Fatalf("Sum(%q) == Sum(%q) is %v", tt.x, tt.y, !tt.equal)
			}
		})
	}
	t.Run("other key differs", func(t *testing.T) {
		c := mustIndex(t, bytes.Repeat([]byte{4}, 32), emails)
		if c.Sum("ana@example.com") == a.Sum("ana@example.com") {
			t.Fatal("different keys give the same digest")
		}
	})
	t.Run("purposes are separated", func(t *testing.T) {
		c := mustIndex(t, key, secrets.BlindIndexOptions{Purpose: "customers.name", Canonicalize: secrets.CanonicalEmail})
		if c.Sum("ana@example.com") == a.Sum("ana@example.com") {
			t.Fatal("different purposes give the same digest")
		}
	})
	t.Run("AppendSum is the raw digest", func(t *testing.T) {
		raw := a.AppendSum(nil, "ana@example.com")
		if len(raw) != 32 || base64.RawURLEncoding.EncodeToString(raw) != a.Sum("ana@example.com") {
			t.Fatal("AppendSum and Sum disagree")
		}
		if s := a.Sum("x"); len(s) != 43 {
			t.Fatalf("Sum = %q", s)
		}
	})
	t.Run("short key", func(t *testing.T) {
		if _, err := secrets.NewBlindIndex(key[:31], emails); !errors.Is(err, secrets.ErrKey) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("does not print its key", func(t *testing.T) {
		out := fmt.Sprintf("%v %+v %#v", a, a, a)
		if strings.Contains(out, "[3 3 3") || strings.Contains(out, "\x03\x03") {
			t.Fatalf("prints key: %s", out)
		}
	})
	t.Run("default canonicalisation trims", func(t *testing.T) {
		d := mustIndex(t, key, secrets.BlindIndexOptions{})
		if d.Sum(" X ") != d.Sum("X") || d.Sum("X") == d.Sum("x") {
			t.Fatal("default canonicalisation should trim and keep case")
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		want := a.Sum("ana@example.com")
		done := make(chan string)
		for range 8 {
			go func() { done <- a.Sum("ana@example.com") }()
		}
		for range 8 {
			if got := <-done; got != want {
				t.Fatal("concurrent Sum differs")
			}
		}
	})
}

func TestCanonicalDigits(t *testing.T) {
	if got := secrets.CanonicalDigits("+1 (555) 010-0٣"); got != "15550100" {
		t.Fatalf("got %q", got)
	}
}

func BenchmarkBlindIndex(b *testing.B) {
	bi := mustIndex(b, bytes.Repeat([]byte{3}, 32), secrets.BlindIndexOptions{Purpose: "customers.email", Canonicalize: secrets.CanonicalEmail})
	b.ReportAllocs()
	for b.Loop() {
		_ = bi.Sum("ana@example.com")
	}
}
