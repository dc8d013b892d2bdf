package auth

import (
	"errors"
	"strconv"
)

// Errors returned by this package. Use [errors.Is] to test for them: the
// errors returned usually wrap one of these with more context.
var (
	// ErrNoToken means the request carried no credentials at all. The
	// middleware answers 401 with a bare Bearer challenge (RFC 6750 §3.1).
	ErrNoToken = errors.New("auth: no credentials")
	// ErrInvalidRequest means the credentials were malformed: a broken
	// Authorization header, a token over the length cap, several
	// credentials at once. Answered 400 invalid_request.
	ErrInvalidRequest = errors.New("auth: malformed credentials")
	// ErrInvalidToken means the token is not acceptable: bad signature,
	// unknown key, wrong algorithm, issuer, audience or type, or a
	// malformed payload. Answered 401 invalid_token.
	ErrInvalidToken = errors.New("auth: invalid token")
	// ErrTokenExpired means a correctly signed token has expired. It is
	// reported only after the signature verified. Answered 401
	// invalid_token.
	ErrTokenExpired = errors.New("auth: token expired")
	// ErrTokenNotYetValid means a correctly signed token is used before its
	// nbf or iat time (beyond the leeway). Answered 401 invalid_token.
	ErrTokenNotYetValid = errors.New("auth: token not yet valid")
	// ErrSessionRevoked means the token's session no longer exists: it was
	// revoked (logout, reuse detection, RevokeUser) or it expired. Answered
	// 401 invalid_token.
	ErrSessionRevoked = errors.New("auth: session revoked or expired")
	// ErrTokenReused means an already used refresh token was presented:
	// the whole session was revoked (RFC 9700 §4.14.2).
	ErrTokenReused = errors.New("auth: refresh token reused; session revoked")
	// ErrInsufficientScope means the request is authenticated but lacks the
	// role or permission a route requires. Answered 403 insufficient_scope
	// with {"error":"Insufficient permissions"}.
	ErrInsufficientScope = errors.New("auth: insufficient permissions")
	// ErrStoreUnavailable means the session store could not answer (down,
	// timed out). It is never treated as a pass nor as a 401: the
	// middleware answers 503.
	ErrStoreUnavailable = errors.New("auth: session store unavailable")
	// ErrStoreFull means the session store refused a new session because
	// it is at capacity. It never evicts a live session. Answered 503.
	ErrStoreFull = errors.New("auth: session store full")

	// ErrPasswordTooLong is wrapped by [*PasswordTooLongError].
	ErrPasswordTooLong = errors.New("auth: password too long")
	// ErrUnknownHash means a stored password hash is in no supported
	// format (argon2id PHC string, bcrypt $2a$/$2b$/$2y$).
	ErrUnknownHash = errors.New("auth: unknown password hash format")
)

// PasswordTooLongError is returned when a password exceeds the hasher's
// maximum length (or bcrypt's 72 bytes when verifying a legacy bcrypt
// hash). It wraps [ErrPasswordTooLong]. Answer it as a 400 or 422, not a
// 500.
type PasswordTooLongError struct {
	// Max is the maximum accepted length in bytes.
	Max int
}

// Error implements error; it names the limit, never the password.
func (e *PasswordTooLongError) Error() string {
	return "auth: password longer than " + strconv.Itoa(e.Max) + " bytes"
}

// Unwrap returns [ErrPasswordTooLong].
func (e *PasswordTooLongError) Unwrap() error { return ErrPasswordTooLong }
