package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Password hashing defaults: OWASP's argon2id recommendation (m=19456 KiB,
// t=2, p=1), a 16-byte salt and a 32-byte key.
const (
	// DefaultArgonMemory is argon2id's default memory cost in KiB.
	DefaultArgonMemory = 19456
	// DefaultArgonIterations is argon2id's default time cost.
	DefaultArgonIterations = 2
	// DefaultArgonParallelism is argon2id's default number of lanes.
	DefaultArgonParallelism = 1
	// DefaultMaxPasswordBytes is the default longest accepted password.
	DefaultMaxPasswordBytes = 1024

	// BcryptMaxPassword is the longest password bcrypt can check: it
	// ignores everything after 72 bytes, so longer ones are refused.
	BcryptMaxPassword = 72
)

// PasswordOptions configure a [PasswordHasher]. The zero value is OWASP's
// argon2id recommendation.
type PasswordOptions struct {
	// Memory is argon2id's memory cost in KiB. Default 19456 (19 MiB);
	// at least 8192 (8 MiB).
	Memory uint32
	// Iterations is argon2id's time cost. Default 2.
	Iterations uint32
	// Parallelism is argon2id's lanes. Default 1, at most 16.
	Parallelism uint8
	// MaxLength is the longest password accepted, in bytes; longer ones
	// get a [*PasswordTooLongError] without being hashed. Default 1024.
	MaxLength int
	// MaxConcurrent caps how many hashes run at once (each argon2id call
	// holds Memory KiB), so a login flood cannot exhaust memory; callers
	// wait for a slot until their context ends. Default runtime.NumCPU().
	MaxConcurrent int
}

// PasswordHasher hashes passwords with argon2id (PHC string format) and
// verifies argon2id and legacy bcrypt hashes. It is safe for concurrent
// use.
type PasswordHasher struct {
	m, t   uint32
	p      uint8
	maxLen int
	sem    chan struct{}
}

const (
	saltLen = 16
	keyLen  = 32
)

// NewPasswordHasher returns a hasher, or an error for invalid options.
func NewPasswordHasher(opts PasswordOptions) (*PasswordHasher, error) {
	h := &PasswordHasher{m: opts.Memory, t: opts.Iterations, p: opts.Parallelism, maxLen: opts.MaxLength}
	if h.m == 0 {
		h.m = DefaultArgonMemory
	}
	if h.t == 0 {
		h.t = DefaultArgonIterations
	}
	if h.p == 0 {
		h.p = DefaultArgonParallelism
	}
	if h.maxLen == 0 {
		h.maxLen = DefaultMaxPasswordBytes
	}
	n := opts.MaxConcurrent
	if n == 0 {
		n = runtime.NumCPU()
	}
	switch {
	case h.m < 8192 || h.m > 1<<22:
		return nil, errors.New("auth: PasswordOptions.Memory must be between 8192 and 4194304 KiB")
	case h.t > 64:
		return nil, errors.New("auth: PasswordOptions.Iterations must be at most 64")
	case h.p > 16:
		return nil, errors.New("auth: PasswordOptions.Parallelism must be at most 16")
	case h.maxLen < 0 || h.maxLen > 1<<16:
		return nil, errors.New("auth: PasswordOptions.MaxLength must be between 0 and 65536")
	case n < 0:
		return nil, errors.New("auth: PasswordOptions.MaxConcurrent must not be negative")
	}
	h.sem = make(chan struct{}, n)
	return h, nil
}

// acquire takes a hashing slot, waiting at most until ctx is done. A
// caller whose context is already done (a client that went away) gets the
// error without spending a hash.
func (h *PasswordHasher) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("auth: waiting to hash a password: %w", err)
	}
	select {
	case h.sem <- struct{}{}:
		return nil
	default:
	}
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("auth: waiting to hash a password: %w", ctx.Err())
	}
}

func (h *PasswordHasher) release() { <-h.sem }

// Hash returns the argon2id hash of password in PHC string format:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>
func (h *PasswordHasher) Hash(ctx context.Context, password string) (string, error) {
	if len(password) > h.maxLen {
		return "", &PasswordTooLongError{Max: h.maxLen}
	}
	salt := make([]byte, saltLen)
	_, _ = rand.Read(salt)
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, h.t, h.m, h.p, keyLen)
	h.release()
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.m, h.t, h.p,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// argonHash is a decoded argon2id PHC string.
type argonHash struct {
	m, t      uint32
	p         uint8
	salt, key []byte
}

func parseArgon(s string) (argonHash, bool) {
	var a argonHash
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return a, false
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return a, false
	}
	for i, name := range []string{"m=", "t=", "p="} {
		v, ok := strings.CutPrefix(params[i], name)
		if !ok {
			return a, false
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return a, false
		}
		switch i {
		case 0:
			a.m = uint32(n)
		case 1:
			a.t = uint32(n)
		case 2:
			if n > 255 {
				return a, false
			}
			a.p = uint8(n)
		}
	}
	var err error
	if a.salt, err = base64.RawStdEncoding.Strict().DecodeString(parts[4]); err != nil {
		return a, false
	}
	if a.key, err = base64.RawStdEncoding.Strict().DecodeString(parts[5]); err != nil {
		return a, false
	}
	// Bound the work a stored hash can ask for.
	if a.m < 1024 || a.m > 1<<22 || a.t < 1 || a.t > 64 || a.p < 1 || a.p > 16 ||
		len(a.salt) < 8 || len(a.salt) > 64 || len(a.key) < 16 || len(a.key) > 64 {
		return a, false
	}
	return a, true
}

func isBcrypt(s string) bool {
	return strings.HasPrefix(s, "$2a$") || strings.HasPrefix(s, "$2b$") || strings.HasPrefix(s, "$2y$")
}

// Verify reports whether password matches encoded, an argon2id PHC string
// or a bcrypt hash. A mismatch is (false, nil); errors are for malformed
// hashes ([ErrUnknownHash]), over-long passwords ([*PasswordTooLongError])
// and contexts that end while waiting for a slot. The comparison is in
// constant time.
//
// To keep the response time of unknown users like that of known ones,
// verify against a fixed hash of a random password when the user does not
// exist (see the package example).
func (h *PasswordHasher) Verify(ctx context.Context, password, encoded string) (bool, error) {
	if len(password) > h.maxLen {
		return false, &PasswordTooLongError{Max: h.maxLen}
	}
	if isBcrypt(encoded) {
		if len(password) > BcryptMaxPassword {
			return false, &PasswordTooLongError{Max: BcryptMaxPassword}
		}
		if _, err := bcrypt.Cost([]byte(encoded)); err != nil {
			return false, ErrUnknownHash
		}
		if err := h.acquire(ctx); err != nil {
			return false, err
		}
		err := bcrypt.CompareHashAndPassword([]byte(encoded), []byte(password))
		h.release()
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
			return false, nil
		}
		return false, ErrUnknownHash
	}
	a, ok := parseArgon(encoded)
	if !ok {
		return false, ErrUnknownHash
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	key := argon2.IDKey([]byte(password), a.salt, a.t, a.m, a.p, uint32(len(a.key)))
	h.release()
	return subtle.ConstantTimeCompare(key, a.key) == 1, nil
}

// NeedsRehash reports whether encoded should be replaced by a fresh
// [PasswordHasher.Hash] after the next successful login: it is a bcrypt
// hash, an argon2id hash with other parameters than the hasher's, or not
// understood at all.
func (h *PasswordHasher) NeedsRehash(encoded string) bool {
	a, ok := parseArgon(encoded)
	return !ok || a.m != h.m || a.t != h.t || a.p != h.p || len(a.salt) != saltLen || len(a.key) != keyLen
}

// defaultHasher is the hasher behind the package-level functions, created
// on first use with the zero PasswordOptions.
var defaultHasher = sync.OnceValue(func() *PasswordHasher {
	h, _ := NewPasswordHasher(PasswordOptions{}) // the zero options are valid
	return h
})

// HashPassword hashes password with the default [PasswordHasher] (OWASP
// argon2id parameters, at most runtime.NumCPU() hashes at once).
func HashPassword(ctx context.Context, password string) (string, error) {
	return defaultHasher().Hash(ctx, password)
}

// VerifyPassword checks password against an argon2id or bcrypt hash with
// the default [PasswordHasher]; see [PasswordHasher.Verify].
func VerifyPassword(ctx context.Context, password, encoded string) (bool, error) {
	return defaultHasher().Verify(ctx, password, encoded)
}

// NeedsRehash reports whether encoded differs from what [HashPassword]
// produces; see [PasswordHasher.NeedsRehash].
func NeedsRehash(encoded string) bool { return defaultHasher().NeedsRehash(encoded) }
