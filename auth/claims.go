package auth

import (
	"context"
	"slices"

	"github.com/golang-jwt/jwt/v5"
)

// Claims are the claims of an access token: the registered JWT claims
// (sub is the user id; iss, aud, exp, iat, nbf and jti are set by
// [Authenticator.Issue]) plus the user's role, permissions and session id.
//
// Custom claims travel in Extra, encoded as the single JSON member "ext"
// so they can never shadow a registered or ChainSync claim. Values decode
// as encoding/json does for an any (numbers become float64).
//
// Claims returned by [Authenticator.Verify] and [ClaimsFrom] may be shared
// between requests (see [Options.CacheSize]): treat them as read-only.
type Claims struct {
	jwt.RegisteredClaims
	// Role is the user's role, as given to Issue.
	Role string `json:"role,omitempty"`
	// Permissions are the user's permissions, as given to Issue.
	Permissions []string `json:"permissions,omitempty"`
	// SessionID identifies the refresh-token family (session) the token
	// belongs to: the "sid" claim.
	SessionID string `json:"sid"`
	// Extra holds custom claims, under the "ext" member.
	Extra map[string]any `json:"ext,omitempty"`
}

// UserID returns the subject (the "sub" claim).
func (c *Claims) UserID() string { return c.Subject }

// HasRole reports whether the claims carry one of roles.
func (c *Claims) HasRole(roles ...string) bool {
	return slices.Contains(roles, c.Role)
}

// HasPermission reports whether the claims carry every one of perms.
func (c *Claims) HasPermission(perms ...string) bool {
	for _, p := range perms {
		if !slices.Contains(c.Permissions, p) {
			return false
		}
	}
	return true
}

// HasAnyPermission reports whether the claims carry at least one of perms.
func (c *Claims) HasAnyPermission(perms ...string) bool {
	for _, p := range perms {
		if slices.Contains(c.Permissions, p) {
			return true
		}
	}
	return false
}

type claimsKey struct{}

// ClaimsFrom returns the verified claims that [Authenticator.Middleware]
// put in the request context, or nil when the request is anonymous.
func ClaimsFrom(ctx context.Context) *Claims {
	if ra, _ := ctx.Value(claimsKey{}).(*requestAuth); ra != nil {
		return ra.claims
	}
	return nil
}

// WithClaims returns a copy of ctx carrying c, as the middleware does. It is
// meant for tests of handlers that read [ClaimsFrom].
func WithClaims(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, &requestAuth{claims: c})
}
