package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/golang-jwt/jwt/v5"
)

// Algorithms supported for access tokens. Each [Key] is pinned to exactly
// one of them.
const (
	// HS256 is HMAC with SHA-256 (RFC 7518 §3.2), the default.
	HS256 = "HS256"
	// EdDSA is Ed25519 (RFC 8037).
	EdDSA = "EdDSA"
	// ES256 is ECDSA on P-256 with SHA-256 (RFC 7518 §3.4).
	ES256 = "ES256"
	// RS256 is RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3).
	RS256 = "RS256"
)

// Minimum key sizes.
const (
	// MinHMACSecret is the minimum HS256 secret length in bytes (RFC 7518
	// §3.2: a key of at least the hash size).
	MinHMACSecret = 32
	// MinRSABits is the minimum RSA modulus size.
	MinRSABits = 2048
)

// Key is one signing or verification key, pinned to one algorithm. Its id
// ("kid") is derived from the key material, so every instance holding the
// same key computes the same kid: for asymmetric keys it is the RFC 7638
// JWK thumbprint; for HMAC secrets an HMAC of a fixed label under the
// secret (it reveals nothing about the secret).
//
// A Key is immutable and safe for concurrent use.
type Key struct {
	kid    string
	alg    string
	method jwt.SigningMethod
	sign   any // nil for verification-only keys
	verify any
	jwk    map[string]string // public JWK members; nil for HMAC
}

// ID returns the key's kid.
func (k Key) ID() string { return k.kid }

// Algorithm returns the algorithm the key is pinned to.
func (k Key) Algorithm() string { return k.alg }

// CanSign reports whether the key holds private (or secret) material.
func (k Key) CanSign() bool { return k.sign != nil }

// NewHS256Key returns an HS256 key for secret, which must be at least
// [MinHMACSecret] bytes. The secret is copied.
func NewHS256Key(secret []byte) (Key, error) {
	if len(secret) < MinHMACSecret {
		return Key{}, fmt.Errorf("auth: HS256 secret must be at least %d bytes, got %d", MinHMACSecret, len(secret))
	}
	s := slices.Clone(secret)
	m := hmac.New(sha256.New, s)
	m.Write([]byte("chainsync/auth kid v1"))
	kid := base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:12])
	return Key{kid: kid, alg: HS256, method: jwt.SigningMethodHS256, sign: s, verify: s}, nil
}

// NewEdDSAKey returns an EdDSA (Ed25519) signing key.
func NewEdDSAKey(priv ed25519.PrivateKey) (Key, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return Key{}, errors.New("auth: invalid Ed25519 private key")
	}
	k, err := NewVerificationKey(priv.Public())
	if err != nil {
		return Key{}, err
	}
	k.sign = priv
	return k, nil
}

// NewES256Key returns an ES256 (ECDSA P-256, SHA-256) signing key.
func NewES256Key(priv *ecdsa.PrivateKey) (Key, error) {
	if priv == nil {
		return Key{}, errors.New("auth: nil ECDSA private key")
	}
	k, err := NewVerificationKey(&priv.PublicKey)
	if err != nil {
		return Key{}, err
	}
	k.sign = priv
	return k, nil
}

// NewRS256Key returns an RS256 (RSASSA-PKCS1-v1_5, SHA-256) signing key of
// at least [MinRSABits] bits.
func NewRS256Key(priv *rsa.PrivateKey) (Key, error) {
	if priv == nil {
		return Key{}, errors.New("auth: nil RSA private key")
	}
	k, err := NewVerificationKey(&priv.PublicKey)
	if err != nil {
		return Key{}, err
	}
	k.sign = priv
	return k, nil
}

// NewVerificationKey returns a verification-only key for a public key:
// ed25519.PublicKey (EdDSA), *ecdsa.PublicKey on P-256 (ES256) or
// *rsa.PublicKey of at least [MinRSABits] bits (RS256). Use it to accept
// tokens signed elsewhere; a ring's current key must be able to sign.
func NewVerificationKey(pub crypto.PublicKey) (Key, error) {
	switch p := pub.(type) {
	case ed25519.PublicKey:
		if len(p) != ed25519.PublicKeySize {
			return Key{}, errors.New("auth: invalid Ed25519 public key")
		}
		jwk := map[string]string{"crv": "Ed25519", "kty": "OKP", "x": b64(p)}
		return Key{kid: thumbprint(jwk, "crv", "kty", "x"), alg: EdDSA, method: jwt.SigningMethodEdDSA, verify: p, jwk: jwk}, nil
	case *ecdsa.PublicKey:
		if p == nil || p.Curve != elliptic.P256() {
			return Key{}, errors.New("auth: ES256 needs a P-256 key")
		}
		raw, err := p.Bytes() // uncompressed point: 0x04 || X || Y
		if err != nil {
			return Key{}, fmt.Errorf("auth: invalid ECDSA public key: %w", err)
		}
		jwk := map[string]string{"crv": "P-256", "kty": "EC", "x": b64(raw[1:33]), "y": b64(raw[33:])}
		return Key{kid: thumbprint(jwk, "crv", "kty", "x", "y"), alg: ES256, method: jwt.SigningMethodES256, verify: p, jwk: jwk}, nil
	case *rsa.PublicKey:
		if p == nil || p.N == nil || p.N.BitLen() < MinRSABits {
			return Key{}, fmt.Errorf("auth: RS256 needs an RSA key of at least %d bits", MinRSABits)
		}
		jwk := map[string]string{"e": b64(big.NewInt(int64(p.E)).Bytes()), "kty": "RSA", "n": b64(p.N.Bytes())}
		return Key{kid: thumbprint(jwk, "e", "kty", "n"), alg: RS256, method: jwt.SigningMethodRS256, verify: p, jwk: jwk}, nil
	case nil:
		return Key{}, errors.New("auth: nil public key")
	}
	return Key{}, fmt.Errorf("auth: unsupported public key type %T", pub)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// thumbprint computes the RFC 7638 JWK thumbprint: SHA-256 of the required
// members in lexicographic order, without whitespace. All member values
// here are base64url or fixed names, so they need no JSON escaping.
func thumbprint(jwk map[string]string, names ...string) string {
	b := []byte{'{'}
	for i, n := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, n...)
		b = append(b, `":"`...)
		b = append(b, jwk[n]...)
		b = append(b, '"')
	}
	b = append(b, '}')
	sum := sha256.Sum256(b)
	return b64(sum[:])
}

// KeyRing holds the keys access tokens are signed and verified with: one
// current key that signs, and older keys that still verify until removed.
//
// To rotate, [KeyRing.Rotate] to the new key on every instance, then
// [KeyRing.Remove] the old one no sooner than the access-token TTL (plus
// leeway) later, so tokens it signed expire before it goes. Tokens naming
// an unknown kid are rejected; the kid is only ever a map key, never a
// path or query.
//
// A KeyRing is safe for concurrent use; reads on the request path take no
// lock.
type KeyRing struct {
	mu   sync.Mutex // serialises writers
	snap atomic.Pointer[keySnapshot]
}

type keySnapshot struct {
	current *Key
	byID    map[string]*Key
	order   []*Key // current first, then the others from newest
	algs    []string
}

// NewKeyRing returns a ring whose current key is current; others are
// accepted for verification only. current must be able to sign. Two keys
// with the same kid are an error.
func NewKeyRing(current Key, others ...Key) (*KeyRing, error) {
	if current.kid == "" {
		return nil, errors.New("auth: zero Key (use NewHS256Key, NewEdDSAKey, NewES256Key or NewRS256Key)")
	}
	if !current.CanSign() {
		return nil, errors.New("auth: the current key must be able to sign")
	}
	order := []*Key{&current}
	for i := range others {
		k := others[i]
		if k.kid == "" {
			return nil, errors.New("auth: zero Key in key ring")
		}
		order = append(order, &k)
	}
	s, err := newSnapshot(order)
	if err != nil {
		return nil, err
	}
	r := &KeyRing{}
	r.snap.Store(s)
	return r, nil
}

func newSnapshot(order []*Key) (*keySnapshot, error) {
	s := &keySnapshot{current: order[0], byID: make(map[string]*Key, len(order)), order: order}
	for _, k := range order {
		if _, dup := s.byID[k.kid]; dup {
			return nil, fmt.Errorf("auth: duplicate key id %q in key ring", k.kid)
		}
		s.byID[k.kid] = k
		if !slices.Contains(s.algs, k.alg) {
			s.algs = append(s.algs, k.alg)
		}
	}
	return s, nil
}

// Rotate makes k the current signing key. The previous current key stays
// for verification. Rotating to a key already in the ring makes it current.
func (r *KeyRing) Rotate(k Key) error {
	if k.kid == "" || !k.CanSign() {
		return errors.New("auth: Rotate needs a signing key")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.snap.Load()
	order := []*Key{&k}
	for _, o := range old.order {
		if o.kid != k.kid {
			order = append(order, o)
		}
	}
	s, err := newSnapshot(order)
	if err != nil {
		return err
	}
	r.snap.Store(s)
	return nil
}

// Add adds a verification key (for example the public key of another
// signer) without changing the current key.
func (r *KeyRing) Add(k Key) error {
	if k.kid == "" {
		return errors.New("auth: zero Key")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.snap.Load()
	s, err := newSnapshot(append(slices.Clone(old.order), &k))
	if err != nil {
		return err
	}
	r.snap.Store(s)
	return nil
}

// Remove removes the key with the given kid: tokens it signed are rejected
// from then on. The current key cannot be removed.
func (r *KeyRing) Remove(kid string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.snap.Load()
	if old.current.kid == kid {
		return errors.New("auth: cannot remove the current signing key; Rotate first")
	}
	if _, ok := old.byID[kid]; !ok {
		return fmt.Errorf("auth: no key %q in key ring", kid)
	}
	order := slices.DeleteFunc(slices.Clone(old.order), func(k *Key) bool { return k.kid == kid })
	s, err := newSnapshot(order)
	if err != nil {
		return err
	}
	r.snap.Store(s)
	return nil
}

// Current returns the current signing key.
func (r *KeyRing) Current() Key { return *r.snap.Load().current }

// Keys returns all keys, the current one first.
func (r *KeyRing) Keys() []Key {
	s := r.snap.Load()
	out := make([]Key, len(s.order))
	for i, k := range s.order {
		out[i] = *k
	}
	return out
}

// Has reports whether the ring holds a key with the given kid.
func (r *KeyRing) Has(kid string) bool {
	_, ok := r.snap.Load().byID[kid]
	return ok
}

// NewHS256KeyRing returns a ring that signs with the HS256 secret current
// and still verifies tokens signed with the previous secrets (after a
// rotation of JWT_SECRET, keep the old one for at least the access-token
// TTL). Every secret must be at least [MinHMACSecret] bytes.
func NewHS256KeyRing(current []byte, previous ...[]byte) (*KeyRing, error) {
	k, err := NewHS256Key(current)
	if err != nil {
		return nil, err
	}
	others := make([]Key, 0, len(previous))
	for i, p := range previous {
		o, err := NewHS256Key(p)
		if err != nil {
			return nil, fmt.Errorf("auth: previous secret %d: %w", i, err)
		}
		others = append(others, o)
	}
	return NewKeyRing(k, others...)
}
