package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/chainsync/middleware/auth"
)

type algCase struct {
	name   string
	key    func(b *testing.B) auth.Key
	method jwt.SigningMethod
	sign   func(b *testing.B) any // raw golang-jwt keys
	verify func(b *testing.B) any
}

func algCases(b *testing.B) []algCase {
	ed := edKey(b)
	ec := ecKey(b)
	must := func(k auth.Key, err error) auth.Key {
		if err != nil {
			panic(err)
		}
		return k
	}
	return []algCase{
		{"HS256", func(b *testing.B) auth.Key { return must(auth.NewHS256Key(hsSecret)) }, jwt.SigningMethodHS256,
			func(*testing.B) any { return hsSecret }, func(*testing.B) any { return hsSecret }},
		{"EdDSA", func(b *testing.B) auth.Key { return must(auth.NewEdDSAKey(ed)) }, jwt.SigningMethodEdDSA,
			func(*testing.B) any { return ed }, func(*testing.B) any { return ed.Public() }},
		{"ES256", func(b *testing.B) auth.Key { return must(auth.NewES256Key(ec)) }, jwt.SigningMethodES256,
			func(*testing.B) any { return ec }, func(*testing.B) any { return &ec.PublicKey }},
		{"RS256", func(b *testing.B) auth.Key { return must(auth.NewRS256Key(rsaKey(b))) }, jwt.SigningMethodRS256,
			func(b *testing.B) any { return rsaKey(b) }, func(b *testing.B) any { return &rsaKey(b).PublicKey }},
	}
}

// BenchmarkVerify measures Authenticator.Verify per algorithm (no cache, no
// session check), BenchmarkVerifyCached the cache hit path, and
// BenchmarkRawJWT the bare golang-jwt parse+verify of an equivalent token
// with the same claims type, for comparison in the same run.
func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	for _, ac := range algCases(b) {
		b.Run(ac.name, func(b *testing.B) {
			a := newAuth(b, newClock(), func(o *auth.Options) { o.Keys = ring(b, ac.key(b)) })
			p, err := a.Issue(ctx, cashier)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := a.Verify(ctx, p.AccessToken); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerifyCached(b *testing.B) {
	ctx := context.Background()
	for _, check := range []bool{false, true} {
		name := "NoSessionCheck"
		if check {
			name = "SessionCheck"
		}
		b.Run(name, func(b *testing.B) {
			a := newAuth(b, newClock(), func(o *auth.Options) { o.CacheSize = 1024; o.SessionCheck = check })
			p, _ := a.Issue(ctx, cashier)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := a.Verify(ctx, p.AccessToken); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func BenchmarkRawJWT(b *testing.B) {
	ctx := context.Background()
	for _, ac := range algCases(b) {
		b.Run(ac.name, func(b *testing.B) {
			// The token our authenticator issues, verified by golang-jwt alone.
			k := ac.key(b)
			a := newAuth(b, newClock(), func(o *auth.Options) { o.Keys = ring(b, k) })
			p, _ := a.Issue(ctx, cashier)
			vk := ac.verify(b)
			parser := jwt.NewParser(jwt.WithValidMethods([]string{ac.method.Alg()}), jwt.WithIssuer("chainsync"),
				jwt.WithAudience("chainsync-api"), jwt.WithExpirationRequired())
			keyFunc := func(*jwt.Token) (any, error) { return vk, nil }
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := parser.ParseWithClaims(p.AccessToken, new(auth.Claims), keyFunc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMiddleware is one request through the bearer middleware (HS256,
// in-memory session check on and off), in parallel.
func BenchmarkMiddleware(b *testing.B) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	for _, tc := range []struct {
		name  string
		check bool
		cache int
	}{{"HS256", false, 0}, {"HS256+SessionCheck", true, 0}, {"HS256+SessionCheck+Cache", true, 1024}} {
		b.Run(tc.name, func(b *testing.B) {
			a := newAuth(b, newClock(), func(o *auth.Options) { o.SessionCheck = tc.check; o.CacheSize = tc.cache })
			p, _ := a.Issue(context.Background(), cashier)
			h := a.MustMiddleware(auth.MiddlewareOptions{})(ok)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				r := httptest.NewRequest("GET", "/tx", nil)
				r.Header.Set("Authorization", "Bearer "+p.AccessToken)
				w := httptest.NewRecorder()
				for pb.Next() {
					h.ServeHTTP(w, r)
					if w.Code != 200 {
						b.Fatal(w.Code)
					}
				}
			})
		})
	}
}

func BenchmarkIssue(b *testing.B) {
	a := newAuth(b, newClock(), func(o *auth.Options) { o.Store, _ = auth.NewMemoryStore(auth.MemoryStoreOptions{MaxSessions: 1 << 30}) })
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Issue(ctx, cashier); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRefresh(b *testing.B) {
	a := newAuth(b, newClock(), nil)
	ctx := context.Background()
	p, _ := a.Issue(ctx, cashier)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if p, err = a.Refresh(ctx, p.RefreshToken); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPassword measures one argon2id hash and one verification with
// the default (OWASP) parameters, and a bcrypt cost-10 verification.
func BenchmarkPassword(b *testing.B) {
	ctx := context.Background()
	h := hasher(b, auth.PasswordOptions{})
	enc, _ := h.Hash(ctx, "correct horse battery staple")
	raw, err := bcrypt.GenerateFromPassword([]byte("rasmuslerdorf"), 10)
	if err != nil {
		b.Fatal(err)
	}
	legacy := string(raw)
	b.Run("HashArgon2id", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("VerifyArgon2id", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if ok, err := h.Verify(ctx, "correct horse battery staple", enc); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
	b.Run("VerifyBcrypt10", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if ok, err := h.Verify(ctx, "rasmuslerdorf", legacy); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
}
