package auth_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"sync"
	"testing"
	"time"

	"github.com/chainsync/middleware/auth"
	"github.com/chainsync/middleware/internal/testclock"
)

var (
	hsSecret   = []byte("0123456789abcdef0123456789abcdef")
	refreshKey = []byte("refresh-key-refresh-key-refresh!")
)

// clock is the manual time source of these tests.
type clock = testclock.Clock

func newClock() *clock { return testclock.New(time.Now().Truncate(time.Second)) }

func hsKey(t testing.TB) auth.Key {
	t.Helper()
	k, err := auth.NewHS256Key(hsSecret)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Generated once per test binary: RSA key generation is slow.
var (
	rsaOnce sync.Once
	rsaPriv *rsa.PrivateKey
)

func rsaKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	rsaOnce.Do(func() {
		var err error
		rsaPriv, err = rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
	})
	return rsaPriv
}

func ecKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func edKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func ring(t testing.TB, keys ...auth.Key) *auth.KeyRing {
	t.Helper()
	if len(keys) == 0 {
		keys = []auth.Key{hsKey(t)}
	}
	r, err := auth.NewKeyRing(keys[0], keys[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// newAuth returns an authenticator on a fresh in-memory store with the
// clock c; mod adjusts the options.
func newAuth(t testing.TB, c *clock, mod func(*auth.Options)) *auth.Authenticator {
	t.Helper()
	o := auth.Options{Keys: ring(t), RefreshKey: refreshKey, Issuer: "chainsync", Audience: "chainsync-api", Now: c.Now}
	if mod != nil {
		mod(&o)
	}
	a, err := auth.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

var cashier = auth.User{ID: "user-1", Role: "cashier", Permissions: []string{"tx:create", "tx:read"}}
