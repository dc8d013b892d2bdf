package auth

import (
	"context"
	"time"
)

// Session is one refresh-token family: created at login by
// [Authenticator.Issue], rotated by [Authenticator.Refresh], ended by
// expiry, logout ([Authenticator.Revoke], [Authenticator.RevokeUser]) or
// reuse detection.
//
// Refresh tokens are never stored: only their HMAC (Current, Previous,
// Used) under the authenticator's refresh key.
type Session struct {
	// ID is the session id (the "sid" claim and the first part of every
	// refresh token of the family). It is 22 base64url characters.
	ID string
	// UserID is the user the session belongs to (the "sub" claim).
	UserID string
	// Role is copied into every access token the session issues.
	Role string
	// Permissions are copied into every access token the session issues.
	Permissions []string
	// Extra is the JSON encoding of the custom claims (nil when none).
	Extra []byte

	// CreatedAt is the login time.
	CreatedAt time.Time
	// ExpiresAt is the absolute end of the session: login + refresh TTL.
	// No refresh extends it.
	ExpiresAt time.Time
	// IdleTimeout, when positive, ends the session once LastUsed +
	// IdleTimeout has passed.
	IdleTimeout time.Duration
	// LastUsed is the time of the login or of the last rotation.
	LastUsed time.Time

	// Current is the hash of the refresh token that may be presented next.
	Current []byte
	// Previous is the hash of the token Current replaced, while it may
	// still be presented once within the grace window (nil otherwise).
	Previous []byte
	// RotatedAt is the time Current was set by a rotation.
	RotatedAt time.Time
}

// Expiry returns when the session ends if it is not used again: the
// earlier of ExpiresAt and LastUsed + IdleTimeout.
func (s *Session) Expiry() time.Time {
	if s.IdleTimeout > 0 {
		if idle := s.LastUsed.Add(s.IdleTimeout); idle.Before(s.ExpiresAt) {
			return idle
		}
	}
	return s.ExpiresAt
}

// Live reports whether the session has not expired at now.
func (s *Session) Live(now time.Time) bool { return now.Before(s.Expiry()) }

// RotateStatus is the outcome of [SessionStore.Rotate].
type RotateStatus int

// Outcomes of a rotation.
const (
	// RotateNotFound: no live session with that id (never existed,
	// expired, revoked). Nothing changed.
	RotateNotFound RotateStatus = iota
	// Rotated: the presented hash was Current; Current is now the new
	// hash.
	Rotated
	// RotatedGrace: the presented hash was Previous, within the grace
	// window, for the first time: the unused Current was revoked (moved to
	// the used hashes) and Current is now the new hash.
	RotatedGrace
	// RotateReused: the presented hash is one the family already used; the
	// session was deleted.
	RotateReused
	// RotateMismatch: the presented hash is unknown to the session (a
	// forged or corrupted token). Nothing changed: a guessed token must not
	// let anyone who knows a session id log it out.
	RotateMismatch
)

// Rotation is a request to [SessionStore.Rotate].
type Rotation struct {
	// Presented is the hash of the presented refresh token.
	Presented []byte
	// Next is the hash of the refresh token that replaces it.
	Next []byte
	// Now is the current time; the store judges expiry by it.
	Now time.Time
	// Grace is the reuse grace window (0: none).
	Grace time.Duration
}

// UsedHistory is how many rotations a session allows, and so how many used
// refresh-token hashes it remembers for reuse detection: every token a live
// session has rotated away is remembered, so presenting any of them is
// always reuse (RFC 9700 §4.14.2) — a thief who refreshes first cannot
// rotate the victim's token out of the history. A session that has been
// rotated UsedHistory times ends at its next refresh (the user logs in
// again): with a 15-minute access TTL, and clients that refresh when their
// access token expires (not on every request), that is 64 hours of
// continuous use.
// Cost: up to UsedHistory hashes (32 bytes each) per session.
const UsedHistory = 256

// SessionStore keeps sessions. Implementations must be safe for concurrent
// use, and must make [SessionStore.Rotate] atomic: of concurrent rotations
// presenting the same hash exactly one sees [Rotated].
//
// Contract, checked by the auth/storetest conformance suite:
//   - Not found (or expired) is a normal answer, never an error: Get
//     returns (Session{}, false, nil), Rotate [RotateNotFound], Delete nil.
//   - Errors are only for backend faults and wrap [ErrStoreUnavailable]
//     (or [ErrStoreFull] from Create when at capacity). Every call honours
//     ctx's deadline and cancellation.
//   - A session whose Expiry has passed (judged by the time given, or by
//     the store's clock for Get) is never returned and never rotated.
//   - Stores keep their own copies: callers may reuse what they passed.
type SessionStore interface {
	// Create stores a new session. It fails with ErrStoreFull when the
	// store cannot take more sessions; it never evicts a live one.
	Create(ctx context.Context, s *Session) error
	// Get returns the session with id if it is live at now.
	Get(ctx context.Context, id string, now time.Time) (Session, bool, error)
	// Rotate atomically applies a refresh to the session with id:
	//   - not found or expired at r.Now: RotateNotFound;
	//   - r.Presented == Current: Current = r.Next, Previous = r.Presented,
	//     the presented hash joins the used hashes, RotatedAt = LastUsed =
	//     r.Now: Rotated;
	//   - r.Presented == Previous (non-nil), r.Grace > 0 and r.Now before
	//     RotatedAt + r.Grace: Current joins the used hashes, Current =
	//     r.Next, Previous = nil, RotatedAt = LastUsed = r.Now:
	//     RotatedGrace;
	//   - r.Presented is among the used hashes: the session is deleted:
	//     RotateReused;
	//   - otherwise: RotateMismatch, nothing changes.
	// Used hashes are never forgotten while the session lives: when it
	// already holds [UsedHistory] of them, a rotation that would add one
	// (the Rotated and RotatedGrace cases) deletes the session instead:
	// RotateNotFound.
	// The returned session is the state after the change (for
	// RotateReused, the state before the deletion; zero for RotateNotFound
	// and RotateMismatch).
	Rotate(ctx context.Context, id string, r Rotation) (Session, RotateStatus, error)
	// Delete removes the session with id.
	Delete(ctx context.Context, id string) error
	// DeleteUser removes every session of userID and reports how many it
	// removed.
	DeleteUser(ctx context.Context, userID string) (int, error)
}

// SessionChecker is an optional interface of a [SessionStore]: a cheaper
// form of Get for the per-request session check ([Options.SessionCheck]),
// reading only what the check needs. Stores that lack it are asked with
// Get. The same contract applies: not found or expired is ("", false,
// nil); errors wrap [ErrStoreUnavailable].
type SessionChecker interface {
	// Check reports whether the session with id is live at now, and its
	// user id.
	Check(ctx context.Context, id string, now time.Time) (userID string, ok bool, err error)
}
