package auth_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/chainsync/middleware/auth"
	"github.com/chainsync/middleware/internal/testclock"
)

func TestNewOptions(t *testing.T) {
	c := newClock()
	base := func() auth.Options {
		return auth.Options{Keys: ring(t), RefreshKey: refreshKey, Issuer: "i", Audience: "a", Now: c.Now}
	}
	tests := []struct {
		name string
		mod  func(*auth.Options)
		ok   bool
	}{
		{"defaults", func(*auth.Options) {}, true},
		{"no keys", func(o *auth.Options) { o.Keys = nil }, false},
		{"short refresh key", func(o *auth.Options) { o.RefreshKey = []byte("short") }, false},
		{"no issuer", func(o *auth.Options) { o.Issuer = "" }, false},
		{"no audience", func(o *auth.Options) { o.Audience = "" }, false},
		{"access TTL too long", func(o *auth.Options) { o.AccessTTL = 48 * time.Hour }, false},
		{"refresh TTL not above access TTL", func(o *auth.Options) { o.AccessTTL, o.RefreshTTL = time.Hour, time.Hour }, false},
		{"refresh TTL too long", func(o *auth.Options) { o.RefreshTTL = 365 * 24 * time.Hour }, false},
		{"idle below access TTL", func(o *auth.Options) { o.IdleTimeout = time.Minute }, false},
		{"idle ok", func(o *auth.Options) { o.IdleTimeout = time.Hour }, true},
		{"leeway too large", func(o *auth.Options) { o.Leeway = time.Hour }, false},
		{"leeway with NoLeeway", func(o *auth.Options) { o.Leeway, o.NoLeeway = time.Second, true }, false},
		{"no leeway", func(o *auth.Options) { o.NoLeeway = true }, true},
		{"grace too long", func(o *auth.Options) { o.ReuseGrace = time.Hour }, false},
		{"negative cache", func(o *auth.Options) { o.CacheSize = -1 }, false},
		{"tiny max token length", func(o *auth.Options) { o.MaxTokenLength = 10 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := base()
			tt.mod(&o)
			_, err := auth.New(o)
			if (err == nil) != tt.ok {
				t.Fatalf("New = %v; want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestIssueVerify(t *testing.T) {
	c := newClock()
	a := newAuth(t, c, nil)
	ctx := context.Background()
	u := cashier
	u.Extra = map[string]any{"storeId": "42"}
	pair, err := a.Issue(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if pair.TokenType != "Bearer" || pair.ExpiresIn != 900 || !pair.RefreshExpiresAt.Equal(c.Now().Add(7*24*time.Hour)) {
		t.Fatalf("pair = %+v", pair)
	}
	claims, err := a.Verify(ctx, pair.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if claims.UserID() != "user-1" || claims.Role != "cashier" || !claims.HasPermission("tx:create", "tx:read") ||
		claims.SessionID != pair.SessionID || claims.Issuer != "chainsync" || claims.Extra["storeId"] != "42" || claims.ID == "" {
		t.Fatalf("claims = %+v", claims)
	}
	// Any JWT library holding the secret can verify the token.
	tok, err := jwt.Parse(pair.AccessToken, func(*jwt.Token) (any, error) { return hsSecret, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithAudience("chainsync-api"), jwt.WithIssuer("chainsync"), jwt.WithTimeFunc(c.Now))
	if err != nil || tok.Header["typ"] != "at+jwt" || tok.Header["kid"] != a.Keys().Current().ID() {
		t.Fatalf("plain golang-jwt: %v, header %v", err, tok.Header)
	}
	if _, err := a.Issue(ctx, auth.User{}); err == nil {
		t.Fatal("Issue without a user id succeeded")
	}
	if _, err := a.Issue(ctx, auth.User{ID: "x", Extra: map[string]any{"f": func() {}}}); err == nil {
		t.Fatal("Issue with unencodable Extra succeeded")
	}
}

// sign makes a token with golang-jwt directly, for the rejection cases.
func sign(t *testing.T, m jwt.SigningMethod, key any, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	for k, v := range header {
		if v == nil {
			delete(tok.Header, k)
		} else {
			tok.Header[k] = v
		}
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyRejects(t *testing.T) {
	c := newClock()
	rsaK, err := auth.NewRS256Key(rsaKey(t))
	if err != nil {
		t.Fatal(err)
	}
	hs := hsKey(t)
	keys := ring(t, hs, rsaK)
	a := newAuth(t, c, func(o *auth.Options) { o.Keys = keys; o.SessionCheck = true })
	ctx := context.Background()
	pair, err := a.Issue(ctx, cashier)
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := a.Issue(ctx, cashier)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Revoke(ctx, revoked.SessionID); err != nil {
		t.Fatal(err)
	}
	now := c.Now()
	claims := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		m := jwt.MapClaims{
			"iss": "chainsync", "aud": "chainsync-api", "sub": "user-1", "sid": pair.SessionID,
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(15 * time.Minute).Unix(), "role": "admin",
		}
		if mod != nil {
			mod(m)
		}
		return m
	}
	hdr := map[string]any{"typ": "at+jwt", "kid": hs.ID()}
	pubDER, _ := x509.MarshalPKIXPublicKey(&rsaKey(t).PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	parts := strings.Split(pair.AccessToken, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"cashier"`, `"admin"`, 1))) + "." + parts[2]
	noneTok := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, hdr, claims(nil))

	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"control: well-formed forged-by-us token verifies", sign(t, jwt.SigningMethodHS256, hsSecret, hdr, claims(nil)), nil},
		{"expired", sign(t, jwt.SigningMethodHS256, hsSecret, hdr, claims(func(m jwt.MapClaims) { m["exp"] = now.Add(-time.Minute).Unix() })), auth.ErrTokenExpired},
		{"expired within leeway", sign(t, jwt.SigningMethodHS256, hsSecret, hdr, claims(func(m jwt.MapClaims) { m["exp"] = now.Add(-20 * time.Second).Unix() })), nil},
		{"not yet valid", sign(t, jwt.SigningMethodHS256, hsSecret, hdr, claims(func(m jwt.MapClaims) { m["nbf"] = now.Add(time.Minute).Unix() })), auth.ErrTokenNotYetValid},
		{"issued in the future", sign(t, jwt.SigningMethodHS256, hsSecret, hdr, claims(func(m jwt.MapClaims) { m["iat"] = now.Add(time.Minute).Unix() })), auth.ErrTokenNotYetValid},
		{"no exp", sign(t, jwt.SigningMethodHS256, hsSecret, hdr, claims(func(m jwt.MapClaims) { delete(m, "exp") })), auth.ErrInvalidToken},
		{"wrong iss", sign(t, jwt.SigningMethodHS256, hsSecret, hdr, claims(func(m jwt.MapClaims) { m["iss"] = "evil" })), auth.ErrInvalidToken},
		{"no iss", sign(t, jwt.SigningMethodHS256, hsSecret, hdr, claims(func(m jwt.MapClaims) { delete(m, "iss") })), auth.ErrInvalidToken},
		{"wrong aud", sign(t, jwt.SigningMethodHS256, hsSecret, hdr, claims(func(m jwt.MapClaims) { m["aud"] = "other-api" })), auth.ErrInvalidToken},
		{"wrong iss and expired says invalid", sign(t, jwt.SigningMethodHS256, hsSecret, hdr, claims(func(m jwt.MapClaims) {
			m["iss"] = "evil"
			m["exp"] = now.Add(-time.Hour).Unix()
		})), auth.ErrInvalidToken},
		{"no sid", sign(t, jwt.SigningMethodHS256, hsSecret, hdr, claims(func(m jwt.MapClaims) { delete(m, "sid") })), auth.ErrInvalidToken},
		{"wrong typ", sign(t, jwt.SigningMethodHS256, hsSecret, map[string]any{"typ": "JWT", "kid": hs.ID()}, claims(nil)), auth.ErrInvalidToken},
		{"no typ", sign(t, jwt.SigningMethodHS256, hsSecret, map[string]any{"typ": nil, "kid": hs.ID()}, claims(nil)), auth.ErrInvalidToken},
		{"typ application/at+jwt", sign(t, jwt.SigningMethodHS256, hsSecret, map[string]any{"typ": "application/AT+JWT", "kid": hs.ID()}, claims(nil)), nil},
		{"alg none", noneTok, auth.ErrInvalidToken},
		{"HS256 with the RSA public key as secret", sign(t, jwt.SigningMethodHS256, pubPEM, map[string]any{"typ": "at+jwt", "kid": rsaK.ID()}, claims(nil)), auth.ErrInvalidToken},
		{"HS256 with the RSA modulus as secret", sign(t, jwt.SigningMethodHS256, rsaKey(t).N.Bytes(), map[string]any{"typ": "at+jwt", "kid": rsaK.ID()}, claims(nil)), auth.ErrInvalidToken},
		{"RS256 under the HMAC kid", sign(t, jwt.SigningMethodRS256, rsaKey(t), hdr, claims(nil)), auth.ErrInvalidToken},
		{"unknown kid", sign(t, jwt.SigningMethodHS256, hsSecret, map[string]any{"typ": "at+jwt", "kid": "../../etc/passwd"}, claims(nil)), auth.ErrInvalidToken},
		{"no kid", sign(t, jwt.SigningMethodHS256, hsSecret, map[string]any{"typ": "at+jwt", "kid": nil}, claims(nil)), auth.ErrInvalidToken},
		{"other secret", sign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-32"), hdr, claims(nil)), auth.ErrInvalidToken},
		{"other secret and expired says invalid", sign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-32"), hdr, claims(func(m jwt.MapClaims) { m["exp"] = now.Add(-time.Hour).Unix() })), auth.ErrInvalidToken},
		{"HS512", sign(t, jwt.SigningMethodHS512, hsSecret, hdr, claims(nil)), auth.ErrInvalidToken},
		{"tampered payload", tampered, auth.ErrInvalidToken},
		{"refresh token as access token", pair.RefreshToken, auth.ErrInvalidToken},
		{"revoked session", revoked.AccessToken, auth.ErrSessionRevoked},
		{"unknown session", sign(t, jwt.SigningMethodHS256, hsSecret, hdr, claims(func(m jwt.MapClaims) { m["sid"] = "AAAAAAAAAAAAAAAAAAAAAA" })), auth.ErrSessionRevoked},
		{"session of another user", sign(t, jwt.SigningMethodHS256, hsSecret, hdr, claims(func(m jwt.MapClaims) { m["sub"] = "user-2" })), auth.ErrSessionRevoked},
		{"garbage", "not.a.jwt", auth.ErrInvalidToken},
		{"empty", "", auth.ErrInvalidToken},
		{"too long", strings.Repeat("a", 5000), auth.ErrInvalidRequest},
		{"many dots (CVE-2025-30204)", strings.Repeat(".", 4000), auth.ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.Verify(ctx, tt.token)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify = %v; want success", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v; want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), tt.token) && len(tt.token) > 8 {
				t.Fatal("the error repeats the token")
			}
		})
	}
}

func TestVerifyTime(t *testing.T) {
	c := newClock()
	a := newAuth(t, c, nil)
	ctx := context.Background()
	pair, err := a.Issue(ctx, cashier)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		shift time.Duration
		want  error
	}{
		{"just issued", 0, nil},
		{"clock behind within leeway", -29 * time.Second, nil},
		{"clock behind past leeway", -time.Minute, auth.ErrTokenNotYetValid},
		{"at exp, within leeway", 15 * time.Minute, nil},
		{"past exp + leeway", 15*time.Minute + 31*time.Second, auth.ErrTokenExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAuth(t, testclock.New(c.Now().Add(tt.shift)), nil)
			_, err := a.Verify(ctx, pair.AccessToken)
			if !errors.Is(err, tt.want) && (err != nil || tt.want != nil) {
				t.Fatalf("Verify = %v; want %v", err, tt.want)
			}
		})
	}
}

func TestRevoke(t *testing.T) {
	c := newClock()
	a := newAuth(t, c, func(o *auth.Options) { o.SessionCheck = true })
	ctx := context.Background()
	var pairs []auth.TokenPair
	for _, id := range []string{"alice", "alice", "bob"} {
		p, err := a.Issue(ctx, auth.User{ID: id})
		if err != nil {
			t.Fatal(err)
		}
		pairs = append(pairs, p)
	}
	n, err := a.RevokeUser(ctx, "alice")
	if err != nil || n != 2 {
		t.Fatalf("RevokeUser = %d, %v; want 2", n, err)
	}
	for _, p := range pairs[:2] {
		if _, err := a.Verify(ctx, p.AccessToken); !errors.Is(err, auth.ErrSessionRevoked) {
			t.Fatalf("alice's access token = %v", err)
		}
		if _, err := a.Refresh(ctx, p.RefreshToken); !errors.Is(err, auth.ErrSessionRevoked) {
			t.Fatalf("alice's refresh token = %v", err)
		}
	}
	if _, err := a.Verify(ctx, pairs[2].AccessToken); err != nil {
		t.Fatalf("bob's token = %v", err)
	}
	if err := a.Revoke(ctx, pairs[2].SessionID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(ctx, pairs[2].AccessToken); !errors.Is(err, auth.ErrSessionRevoked) {
		t.Fatalf("after logout = %v", err)
	}

	t.Run("without session check tokens live until exp", func(t *testing.T) {
		a := newAuth(t, c, nil)
		p, err := a.Issue(ctx, cashier)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Revoke(ctx, p.SessionID); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Verify(ctx, p.AccessToken); err != nil {
			t.Fatalf("Verify = %v; without SessionCheck the token stays valid", err)
		}
	})
}

func TestStoreErrors(t *testing.T) {
	c := newClock()
	full, err := auth.NewMemoryStore(auth.MemoryStoreOptions{MaxSessions: 1})
	if err != nil {
		t.Fatal(err)
	}
	a := newAuth(t, c, func(o *auth.Options) { o.Store = full; o.SessionCheck = true })
	ctx := context.Background()
	pair, err := a.Issue(ctx, cashier)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Issue(ctx, cashier); !errors.Is(err, auth.ErrStoreFull) {
		t.Fatalf("Issue on a full store = %v; want ErrStoreFull", err)
	}
	// A store that cannot answer (here: the caller's context is gone) is
	// ErrStoreUnavailable, never a pass and never a revoked session.
	dead, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := a.Verify(dead, pair.AccessToken); !errors.Is(err, auth.ErrStoreUnavailable) || errors.Is(err, auth.ErrSessionRevoked) {
		t.Fatalf("Verify with the store unavailable = %v", err)
	}
	if _, err := a.Refresh(dead, pair.RefreshToken); !errors.Is(err, auth.ErrStoreUnavailable) {
		t.Fatalf("Refresh = %v", err)
	}
	if err := a.Revoke(dead, pair.SessionID); !errors.Is(err, auth.ErrStoreUnavailable) {
		t.Fatalf("Revoke = %v", err)
	}
	if _, err := a.RevokeUser(dead, "user-1"); !errors.Is(err, auth.ErrStoreUnavailable) {
		t.Fatalf("RevokeUser = %v", err)
	}
}

// TestVerifyRejectsNonCanonicalEncoding: a token whose signature segment
// differs from an issued one only in the unused low bits of its last
// base64url character decodes to the same bytes. RFC 7515 fixes one
// encoding (RFC 4648 §3.5: those bits are zero), so such a variant is not
// the issued token and is refused: one token, one string.
func TestVerifyRejectsNonCanonicalEncoding(t *testing.T) {
	c := newClock()
	a := newAuth(t, c, nil)
	pair, err := a.Issue(context.Background(), cashier)
	if err != nil {
		t.Fatal(err)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	tok := pair.AccessToken
	last := strings.IndexByte(alphabet, tok[len(tok)-1])
	// HS256: 32 signature bytes in 43 characters, so the last character
	// carries 2 unused bits.
	variant := tok[:len(tok)-1] + string(alphabet[last|1])
	if variant == tok {
		variant = tok[:len(tok)-1] + string(alphabet[last&^1])
	}
	if _, err := a.Verify(context.Background(), variant); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("Verify(non-canonical variant) = %v; want ErrInvalidToken", err)
	}
	if _, err := a.Verify(context.Background(), tok); err != nil {
		t.Fatalf("Verify(issued token) = %v", err)
	}
}
