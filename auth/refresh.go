package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// Refresh tokens are "<sid>.<secret>": a 22-character session id (16
// random bytes) and a 43-character secret (32 random bytes), both
// base64url without padding. They are opaque (not JWTs, so never accepted
// as access tokens, and access tokens never parse as refresh tokens) and
// stored only as an HMAC-SHA256 under the refresh key.
const (
	sessionIDLen     = 22
	refreshSecretLen = 43
	refreshTokenLen  = sessionIDLen + 1 + refreshSecretLen
)

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

func newSessionID() string { return randomString(16) }

func newRefreshToken(sid string) string { return sid + "." + randomString(32) }

// ValidSessionID reports whether id has the shape of a session id this
// package generates (22 base64url characters). Stores may use it to refuse
// ids that did not come from here.
func ValidSessionID(id string) bool {
	return len(id) == sessionIDLen && isB64URL(id)
}

func isB64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// splitRefreshToken returns the session id of a well-formed refresh token.
func splitRefreshToken(tok string) (sid string, ok bool) {
	if len(tok) != refreshTokenLen || tok[sessionIDLen] != '.' {
		return "", false
	}
	sid, secret, _ := strings.Cut(tok, ".")
	if !ValidSessionID(sid) || !isB64URL(secret) {
		return "", false
	}
	return sid, true
}

func (a *Authenticator) hashRefresh(key []byte, tok string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("chainsync/auth refresh v1\x00"))
	m.Write([]byte(tok))
	return m.Sum(nil)
}
