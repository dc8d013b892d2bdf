package auth_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/chainsync/middleware/auth"
)

func TestJWKS(t *testing.T) {
	ed, _ := auth.NewEdDSAKey(edKey(t))
	es, _ := auth.NewES256Key(ecKey(t))
	rs, _ := auth.NewRS256Key(rsaKey(t))
	r := ring(t, ed, hsKey(t), es, rs)
	h := r.JWKSHandler(0)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/.well-known/jwks.json", nil))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/jwk-set+json" || rec.Header().Get("Cache-Control") != "public, max-age=300" {
		t.Fatalf("GET: %d %v", rec.Code, rec.Header())
	}
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 3 {
		t.Fatalf("%d keys; want the 3 asymmetric ones (never the HMAC secret): %s", len(set.Keys), rec.Body)
	}
	want := []struct{ kid, kty, alg string }{{ed.ID(), "OKP", "EdDSA"}, {es.ID(), "EC", "ES256"}, {rs.ID(), "RSA", "RS256"}}
	for i, w := range want {
		k := set.Keys[i]
		if k["kid"] != w.kid || k["kty"] != w.kty || k["alg"] != w.alg || k["use"] != "sig" {
			t.Fatalf("key %d = %v; want %v", i, k, w)
		}
	}
	// The published Ed25519 key verifies the ring's tokens with plain
	// golang-jwt.
	a := newAuth(t, newClock(), func(o *auth.Options) { o.Keys = r; o.NoLeeway = true })
	pair, err := a.Issue(context.Background(), cashier)
	if err != nil {
		t.Fatal(err)
	}
	x, err := base64.RawURLEncoding.DecodeString(set.Keys[0]["x"])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwt.Parse(pair.AccessToken, func(*jwt.Token) (any, error) { return ed25519.PublicKey(x), nil },
		jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithoutClaimsValidation()); err != nil {
		t.Fatalf("token does not verify with the published key: %v", err)
	}
	if set.Keys[2]["n"] == "" || set.Keys[2]["e"] != "AQAB" {
		t.Fatalf("RSA JWK %v", set.Keys[2])
	}
	if set.Keys[1]["x"] == "" || set.Keys[1]["y"] == "" || set.Keys[1]["crv"] != "P-256" {
		t.Fatalf("EC JWK %v", set.Keys[1])
	}

	tests := []struct {
		method string
		code   int
		body   bool
	}{
		{"HEAD", 200, false},
		{"POST", 405, true},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, "/", nil))
			if rec.Code != tt.code || (rec.Body.Len() > 0) != tt.body {
				t.Fatalf("%s: %d, body %q", tt.method, rec.Code, rec.Body)
			}
			if tt.code == http.StatusMethodNotAllowed && rec.Header().Get("Content-Type") != "application/problem+json" {
				t.Fatalf("405 not problem+json: %v", rec.Header())
			}
		})
	}
}
