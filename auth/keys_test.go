package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"math/big"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/chainsync/middleware/auth"
)

func TestKeyConstructors(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	tests := []struct {
		name string
		make func() (auth.Key, error)
		alg  string
	}{
		{"HS256", func() (auth.Key, error) { return auth.NewHS256Key(hsSecret) }, auth.HS256},
		{"HS256 short secret", func() (auth.Key, error) { return auth.NewHS256Key([]byte("short")) }, ""},
		{"EdDSA", func() (auth.Key, error) { return auth.NewEdDSAKey(edKey(t)) }, auth.EdDSA},
		{"EdDSA bad key", func() (auth.Key, error) { return auth.NewEdDSAKey([]byte("x")) }, ""},
		{"ES256", func() (auth.Key, error) { return auth.NewES256Key(ecKey(t)) }, auth.ES256},
		{"ES256 on P-384", func() (auth.Key, error) { return auth.NewES256Key(p384) }, ""},
		{"ES256 nil", func() (auth.Key, error) { return auth.NewES256Key(nil) }, ""},
		{"RS256", func() (auth.Key, error) { return auth.NewRS256Key(rsaKey(t)) }, auth.RS256},
		{"RS256 1024 bits", func() (auth.Key, error) { return auth.NewRS256Key(small) }, ""},
		{"RS256 nil", func() (auth.Key, error) { return auth.NewRS256Key(nil) }, ""},
		{"verification only", func() (auth.Key, error) { return auth.NewVerificationKey(&rsaKey(t).PublicKey) }, auth.RS256},
		{"unsupported public key", func() (auth.Key, error) { return auth.NewVerificationKey("x") }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := tt.make()
			if tt.alg == "" {
				if err == nil {
					t.Fatal("accepted")
				}
				return
			}
			if err != nil || k.Algorithm() != tt.alg || k.ID() == "" {
				t.Fatalf("key = %v %q %q", err, k.Algorithm(), k.ID())
			}
		})
	}
}

func TestKeyIDDeterministic(t *testing.T) {
	a, _ := auth.NewHS256Key(hsSecret)
	b, _ := auth.NewHS256Key(append([]byte(nil), hsSecret...))
	c, _ := auth.NewHS256Key([]byte("another-secret-another-secret-32"))
	if a.ID() != b.ID() || a.ID() == c.ID() {
		t.Fatalf("kids %q %q %q: want equal for the same secret only", a.ID(), b.ID(), c.ID())
	}
	priv := rsaKey(t)
	s, _ := auth.NewRS256Key(priv)
	v, _ := auth.NewVerificationKey(&priv.PublicKey)
	if s.ID() != v.ID() {
		t.Fatal("signing and verification key of one RSA key pair differ in kid")
	}
	if s.CanSign() == v.CanSign() {
		t.Fatal("CanSign does not tell them apart")
	}
}

// TestRFC7638Thumbprint checks the kid against the example of RFC 7638 §3.1.
func TestRFC7638Thumbprint(t *testing.T) {
	n := "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
	raw, err := base64.RawURLEncoding.DecodeString(n)
	if err != nil {
		t.Fatal(err)
	}
	k, err := auth.NewVerificationKey(&rsa.PublicKey{N: new(big.Int).SetBytes(raw), E: 65537})
	if err != nil {
		t.Fatal(err)
	}
	if want := "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"; k.ID() != want {
		t.Fatalf("kid %q; want %q", k.ID(), want)
	}
}

// TestRFC8037Thumbprint checks the Ed25519 kid against RFC 8037 §A.3.
func TestRFC8037Thumbprint(t *testing.T) {
	x, _ := base64.RawURLEncoding.DecodeString("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
	k, err := auth.NewVerificationKey(ed25519.PublicKey(x))
	if err != nil {
		t.Fatal(err)
	}
	if want := "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"; k.ID() != want {
		t.Fatalf("kid %q; want %q", k.ID(), want)
	}
}

func TestKeyRing(t *testing.T) {
	hs := hsKey(t)
	if _, err := auth.NewKeyRing(auth.Key{}); err == nil {
		t.Fatal("zero key accepted")
	}
	vk, _ := auth.NewVerificationKey(edKey(t).Public())
	if _, err := auth.NewKeyRing(vk); err == nil {
		t.Fatal("verification-only current key accepted")
	}
	if _, err := auth.NewKeyRing(hs, hs); err == nil {
		t.Fatal("duplicate kid accepted")
	}
	r := ring(t, hs)
	if err := r.Remove(hs.ID()); err == nil {
		t.Fatal("removed the current key")
	}
	if err := r.Remove("nope"); err == nil {
		t.Fatal("removed an unknown key")
	}
	if err := r.Rotate(vk); err == nil {
		t.Fatal("rotated to a verification-only key")
	}
	if err := r.Add(vk); err != nil {
		t.Fatal(err)
	}
	if len(r.Keys()) != 2 || r.Current().ID() != hs.ID() || !r.Has(vk.ID()) {
		t.Fatalf("ring after Add: %d keys, current %q", len(r.Keys()), r.Current().ID())
	}
}

func TestKeyRotation(t *testing.T) {
	c := newClock()
	old := hsKey(t)
	keys := ring(t, old)
	a := newAuth(t, c, func(o *auth.Options) { o.Keys = keys })
	ctx := context.Background()
	before, err := a.Issue(ctx, cashier)
	if err != nil {
		t.Fatal(err)
	}
	next, err := auth.NewES256Key(ecKey(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Rotate(next); err != nil {
		t.Fatal(err)
	}
	after, err := a.Issue(ctx, cashier)
	if err != nil {
		t.Fatal(err)
	}
	kidOf := func(tok string) (string, string) {
		p, _, err := jwt.NewParser().ParseUnverified(tok, jwt.MapClaims{})
		if err != nil {
			t.Fatal(err)
		}
		return p.Header["kid"].(string), p.Method.Alg()
	}
	if kid, alg := kidOf(after.AccessToken); kid != next.ID() || alg != auth.ES256 {
		t.Fatalf("new token signed by %q (%s); want the new key %q", kid, alg, next.ID())
	}
	if kid, _ := kidOf(before.AccessToken); kid != old.ID() {
		t.Fatalf("old token kid %q", kid)
	}
	for name, tok := range map[string]string{"old token": before.AccessToken, "new token": after.AccessToken} {
		if _, err := a.Verify(ctx, tok); err != nil {
			t.Fatalf("%s after rotation: %v", name, err)
		}
	}
	if err := keys.Remove(old.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(ctx, before.AccessToken); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("token of a removed key = %v; want ErrInvalidToken", err)
	}
	if _, err := a.Verify(ctx, after.AccessToken); err != nil {
		t.Fatalf("new token after removal: %v", err)
	}
}

func TestEveryAlgorithm(t *testing.T) {
	c := newClock()
	makers := map[string]func() (auth.Key, error){
		auth.HS256: func() (auth.Key, error) { return auth.NewHS256Key(hsSecret) },
		auth.EdDSA: func() (auth.Key, error) { return auth.NewEdDSAKey(edKey(t)) },
		auth.ES256: func() (auth.Key, error) { return auth.NewES256Key(ecKey(t)) },
		auth.RS256: func() (auth.Key, error) { return auth.NewRS256Key(rsaKey(t)) },
	}
	for alg, mk := range makers {
		t.Run(alg, func(t *testing.T) {
			k, err := mk()
			if err != nil {
				t.Fatal(err)
			}
			a := newAuth(t, c, func(o *auth.Options) { o.Keys = ring(t, k) })
			p, err := a.Issue(context.Background(), cashier)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.Verify(context.Background(), p.AccessToken); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestNewHS256KeyRing(t *testing.T) {
	old := []byte("previous-jwt-secret-of-32-bytes!")
	r, err := auth.NewHS256KeyRing(hsSecret, old)
	if err != nil {
		t.Fatal(err)
	}
	ok, _ := auth.NewHS256Key(old)
	if r.Current().ID() != hsKey(t).ID() || !r.Has(ok.ID()) {
		t.Fatal("ring does not sign with the current secret and verify with the old one")
	}
	for name, args := range map[string][][]byte{
		"short previous": {hsSecret, []byte("x")},
		"same secret":    {hsSecret, hsSecret},
	} {
		if _, err := auth.NewHS256KeyRing(args[0], args[1:]...); err == nil {
			t.Fatalf("%s accepted", name)
		}
	}
}
