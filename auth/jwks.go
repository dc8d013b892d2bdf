package auth

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/chainsync/middleware/internal/problem"
)

// JWKS returns the public halves of the ring's asymmetric keys as a JSON
// Web Key Set (RFC 7517), current key first. HMAC keys are secret and never
// listed.
func (r *KeyRing) JWKS() []byte {
	type jwk struct {
		Kty string `json:"kty"`
		Use string `json:"use"`
		Alg string `json:"alg"`
		Kid string `json:"kid"`
		Crv string `json:"crv,omitempty"`
		X   string `json:"x,omitempty"`
		Y   string `json:"y,omitempty"`
		N   string `json:"n,omitempty"`
		E   string `json:"e,omitempty"`
	}
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: []jwk{}}
	for _, k := range r.snap.Load().order {
		if k.jwk == nil {
			continue
		}
		set.Keys = append(set.Keys, jwk{
			Kty: k.jwk["kty"], Use: "sig", Alg: k.alg, Kid: k.kid,
			Crv: k.jwk["crv"], X: k.jwk["x"], Y: k.jwk["y"], N: k.jwk["n"], E: k.jwk["e"],
		})
	}
	b, _ := json.Marshal(set) // plain strings always marshal
	return b
}

// JWKSHandler returns an [http.Handler] serving [KeyRing.JWKS] (for
// /.well-known/jwks.json) with Content-Type application/jwk-set+json and
// Cache-Control max-age maxAge (default 5 minutes when zero). It answers
// GET and HEAD; other methods get 405. Keep maxAge well below the time an
// old key stays in the ring after a rotation.
func (r *KeyRing) JWKSHandler(maxAge time.Duration) http.Handler {
	if maxAge <= 0 {
		maxAge = 5 * time.Minute
	}
	cc := "public, max-age=" + strconv.Itoa(int(maxAge/time.Second))
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			problem.Status(w, req, http.StatusMethodNotAllowed, "Method not allowed")
			return
		}
		body := r.JWKS()
		h := w.Header()
		h.Set("Content-Type", "application/jwk-set+json")
		h.Set("Cache-Control", cc)
		h.Set("Content-Length", strconv.Itoa(len(body)))
		if req.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(body)
	})
}
