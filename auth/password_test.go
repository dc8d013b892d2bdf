package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/chainsync/middleware/auth"
)

func hasher(t testing.TB, o auth.PasswordOptions) *auth.PasswordHasher {
	t.Helper()
	h, err := auth.NewPasswordHasher(o)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestPasswordHashVerify(t *testing.T) {
	ctx := context.Background()
	enc, err := auth.HashPassword(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not an OWASP-parameter argon2id PHC string", enc)
	}
	other, _ := auth.HashPassword(ctx, "correct horse battery staple")
	if other == enc {
		t.Fatal("two hashes of one password are equal: no random salt")
	}
	legacy, err := bcrypt.GenerateFromPassword([]byte("hunter2"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, password, hash string
		ok                   bool
		err                  error
	}{
		{"argon2id match", "correct horse battery staple", enc, true, nil},
		{"argon2id mismatch", "correct horse battery stapl", enc, false, nil},
		{"bcrypt match", "hunter2", string(legacy), true, nil},
		{"bcrypt mismatch", "hunter3", string(legacy), false, nil},
		{"bcrypt over 72 bytes", strings.Repeat("a", 73), string(legacy), false, auth.ErrPasswordTooLong},
		{"over the max length", strings.Repeat("a", 1025), enc, false, auth.ErrPasswordTooLong},
		{"empty hash", "x", "", false, auth.ErrUnknownHash},
		{"argon2i", "x", strings.Replace(enc, "argon2id", "argon2i", 1), false, auth.ErrUnknownHash},
		{"wrong version", "x", strings.Replace(enc, "v=19", "v=16", 1), false, auth.ErrUnknownHash},
		{"huge memory", "x", strings.Replace(enc, "m=19456", "m=99999999", 1), false, auth.ErrUnknownHash},
		{"bad salt", "x", strings.Replace(enc, "$", "$!", 4), false, auth.ErrUnknownHash},
		{"truncated", "x", enc[:len(enc)-10], false, auth.ErrUnknownHash},
		{"broken bcrypt", "x", "$2b$10$short", false, auth.ErrUnknownHash},
		{"plain text", "x", "x", false, auth.ErrUnknownHash},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := auth.VerifyPassword(ctx, tt.password, tt.hash)
			if ok != tt.ok || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("VerifyPassword = %v, %v; want %v, %v", ok, err, tt.ok, tt.err)
			}
		})
	}
	var tooLong *auth.PasswordTooLongError
	if _, err := auth.HashPassword(ctx, strings.Repeat("a", 2000)); !errors.As(err, &tooLong) || tooLong.Max != 1024 {
		t.Fatalf("HashPassword(2000 bytes) = %v; want *PasswordTooLongError{Max: 1024}", err)
	}
}

func TestNeedsRehash(t *testing.T) {
	ctx := context.Background()
	cur := hasher(t, auth.PasswordOptions{})
	stronger := hasher(t, auth.PasswordOptions{Iterations: 3})
	enc, _ := cur.Hash(ctx, "pw")
	legacy, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	tests := []struct {
		name string
		h    *auth.PasswordHasher
		enc  string
		want bool
	}{
		{"same parameters", cur, enc, false},
		{"parameters raised", stronger, enc, true},
		{"bcrypt", cur, string(legacy), true},
		{"garbage", cur, "x", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.h.NeedsRehash(tt.enc); got != tt.want {
				t.Fatalf("NeedsRehash = %v; want %v", got, tt.want)
			}
		})
	}
	if auth.NeedsRehash(enc) {
		t.Fatal("package-level NeedsRehash disagrees with the default hasher")
	}
}

func TestPasswordOptions(t *testing.T) {
	tests := []struct {
		name string
		o    auth.PasswordOptions
	}{
		{"memory too low", auth.PasswordOptions{Memory: 1024}},
		{"too many iterations", auth.PasswordOptions{Iterations: 1000}},
		{"too many lanes", auth.PasswordOptions{Parallelism: 64}},
		{"negative max length", auth.PasswordOptions{MaxLength: -1}},
		{"negative concurrency", auth.PasswordOptions{MaxConcurrent: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := auth.NewPasswordHasher(tt.o); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// TestPasswordSemaphore: with one slot, callers whose deadline passes while
// another hash runs get the context error instead of piling up.
func TestPasswordSemaphore(t *testing.T) {
	h := hasher(t, auth.PasswordOptions{MaxConcurrent: 1})
	const n = 8
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		ok, late int
		other    []error
	)
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := h.Hash(ctx, "pw")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, context.DeadlineExceeded):
				late++
			default:
				other = append(other, err)
			}
		}()
	}
	wg.Wait()
	if late == 0 || ok+late != n || len(other) > 0 {
		t.Fatalf("%d hashed, %d timed out waiting, other %v; want some waiting callers to time out", ok, late, other)
	}
}

// TestPasswordCancelledContext: a caller whose context is already done
// gets its error at once, even with a free slot.
func TestPasswordCancelledContext(t *testing.T) {
	h := hasher(t, auth.PasswordOptions{})
	enc, err := h.Hash(context.Background(), "pw")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "pw"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Hash with a cancelled context = %v; want context.Canceled", err)
	}
	if _, err := h.Verify(ctx, "pw", enc); !errors.Is(err, context.Canceled) {
		t.Fatalf("Verify with a cancelled context = %v; want context.Canceled", err)
	}
}
