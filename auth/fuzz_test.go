package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chainsync/middleware/auth"
	"github.com/chainsync/middleware/internal/testclock"
)

// FuzzParseAuthorization: any header value either yields a well-formed
// b64token or one of the two documented errors; never a panic.
func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{"", "Bearer abc", "bearer a.b.c", "Basic x", "Bearer", "Bearer  a  ", "Bearer a=b", "Bearer ==", "Bearer \x00", strings.Repeat(".", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		tok, err := auth.ParseAuthorization(h)
		if err != nil {
			if tok != "" || !errors.Is(err, auth.ErrNoToken) && !errors.Is(err, auth.ErrInvalidRequest) {
				t.Fatalf("ParseAuthorization(%q) = %q, %v", h, tok, err)
			}
			return
		}
		if tok == "" || strings.ContainsAny(tok, " \t\r\n,\"") || !strings.Contains(strings.ToLower(h), "bearer") {
			t.Fatalf("ParseAuthorization(%q) accepted %q", h, tok)
		}
	})
}

// FuzzVerify: arbitrary input never verifies, never panics, and is always
// refused with one of the documented errors. Seeds include a real token
// and mutations of it.
func FuzzVerify(f *testing.F) {
	c := testclock.New(time.Unix(1_750_000_000, 0))
	a := newAuth(f, c, nil)
	pair, err := a.Issue(context.Background(), cashier)
	if err != nil {
		f.Fatal(err)
	}
	parts := strings.Split(pair.AccessToken, ".")
	for _, s := range []string{
		"", "a.b.c", "..", pair.RefreshToken, parts[0] + "." + parts[1] + ".",
		parts[0] + ".e30." + parts[2], "eyJhbGciOiJub25lIn0.e30.", strings.Repeat("a.", 50),
		pair.AccessToken[:len(pair.AccessToken)-1] + "A",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		if tok == pair.AccessToken {
			return
		}
		claims, err := a.Verify(context.Background(), tok)
		if err == nil {
			t.Fatalf("Verify(%q) accepted a token we did not issue: %+v", tok, claims)
		}
		if !errors.Is(err, auth.ErrInvalidToken) && !errors.Is(err, auth.ErrInvalidRequest) &&
			!errors.Is(err, auth.ErrTokenExpired) && !errors.Is(err, auth.ErrTokenNotYetValid) {
			t.Fatalf("Verify(%q) = %v: not a documented error", tok, err)
		}
	})
}

// FuzzRefresh: arbitrary refresh tokens never rotate a session and never
// panic.
func FuzzRefresh(f *testing.F) {
	c := newClock()
	a := newAuth(f, c, nil)
	pair, err := a.Issue(context.Background(), cashier)
	if err != nil {
		f.Fatal(err)
	}
	sid, _, _ := strings.Cut(pair.RefreshToken, ".")
	for _, s := range []string{"", ".", sid + ".", sid + "." + strings.Repeat("A", 43), pair.AccessToken, "{x}.y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		if tok == pair.RefreshToken {
			return
		}
		if p, err := a.Refresh(context.Background(), tok); err == nil {
			t.Fatalf("Refresh(%q) succeeded: %+v", tok, p)
		}
	})
}
