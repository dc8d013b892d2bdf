package auth

import (
	"errors"
	"net/http"

	"github.com/chainsync/middleware/internal/problem"
)

// WriteError is the default error response of the middleware: an RFC 9457
// problem+json body (with the "error" member ChainSync clients read) and,
// for 400/401/403, a WWW-Authenticate challenge per RFC 6750 §3:
//
//	ErrNoToken                                   401 Bearer realm="..."                        (no error code)
//	ErrInvalidRequest                            400 Bearer realm="...", error="invalid_request"
//	ErrTokenExpired, ErrInvalidToken,
//	ErrTokenNotYetValid, ErrSessionRevoked,
//	ErrTokenReused                               401 Bearer realm="...", error="invalid_token"
//	ErrInsufficientScope                         403 Bearer realm="...", error="insufficient_scope"
//	                                                 body {"error":"Insufficient permissions",...}
//	ErrStoreUnavailable, ErrStoreFull            503 (no challenge: the credentials may be fine)
//	anything else                                500
//
// realm must be a valid quoted-string body (see [MiddlewareOptions.Realm]);
// custom error handlers can delegate to WriteError for the cases they do
// not change.
func WriteError(w http.ResponseWriter, r *http.Request, realm string, err error) {
	writeError(w, r, challenges(realm), err)
}

// challengeSet holds the WWW-Authenticate values for one realm, built
// once.
type challengeSet struct {
	bare, invalidRequest, invalidToken, expired, scope string
}

func challenges(realm string) *challengeSet {
	base := `Bearer realm="` + realm + `"`
	return &challengeSet{
		bare:           base,
		invalidRequest: base + `, error="invalid_request"`,
		invalidToken:   base + `, error="invalid_token"`,
		expired:        base + `, error="invalid_token", error_description="The access token expired"`,
		scope:          base + `, error="insufficient_scope"`,
	}
}

func writeError(w http.ResponseWriter, r *http.Request, c *challengeSet, err error) {
	var (
		status    int
		msg, chal string
	)
	switch {
	case errors.Is(err, ErrStoreUnavailable), errors.Is(err, ErrStoreFull):
		status, msg = http.StatusServiceUnavailable, "Authentication temporarily unavailable"
	case errors.Is(err, ErrNoToken):
		status, msg, chal = http.StatusUnauthorized, "Authentication required", c.bare
	case errors.Is(err, ErrInvalidRequest):
		status, msg, chal = http.StatusBadRequest, "Malformed credentials", c.invalidRequest
	case errors.Is(err, ErrTokenExpired):
		status, msg, chal = http.StatusUnauthorized, "Token expired", c.expired
	case errors.Is(err, ErrInvalidToken), errors.Is(err, ErrTokenNotYetValid),
		errors.Is(err, ErrSessionRevoked), errors.Is(err, ErrTokenReused):
		status, msg, chal = http.StatusUnauthorized, "Invalid token", c.invalidToken
	case errors.Is(err, ErrInsufficientScope):
		status, msg, chal = http.StatusForbidden, "Insufficient permissions", c.scope
	default:
		status, msg = http.StatusInternalServerError, "Internal server error"
	}
	if chal != "" {
		w.Header().Set("WWW-Authenticate", chal)
	}
	problem.Status(w, r, status, msg)
}
