package auth

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Defaults and bounds of [Options].
const (
	// DefaultAccessTTL is the default lifetime of access tokens.
	DefaultAccessTTL = 15 * time.Minute
	// DefaultRefreshTTL is the default absolute lifetime of a session.
	DefaultRefreshTTL = 7 * 24 * time.Hour
	// DefaultLeeway is the default clock-skew tolerance.
	DefaultLeeway = 30 * time.Second
	// DefaultMaxTokenLength is the default cap on token length.
	DefaultMaxTokenLength = 4096

	// MaxAccessTTL bounds Options.AccessTTL.
	MaxAccessTTL = 24 * time.Hour
	// MaxRefreshTTL bounds Options.RefreshTTL.
	MaxRefreshTTL = 90 * 24 * time.Hour
	// MaxLeeway bounds Options.Leeway.
	MaxLeeway = 5 * time.Minute
	// MaxReuseGrace bounds Options.ReuseGrace.
	MaxReuseGrace = 2 * time.Minute
)

// AccessTokenType is the JOSE "typ" header of access tokens (RFC 9068 §2.1).
// Verification accepts it and "application/at+jwt", case-insensitively.
const AccessTokenType = "at+jwt"

// Options configure an [Authenticator]. Keys, RefreshKey, Issuer and
// Audience are required; every other zero value is the documented secure
// default.
type Options struct {
	// Keys signs and verifies access tokens. Required.
	Keys *KeyRing
	// RefreshKey is the server secret under which refresh tokens are
	// hashed before they are stored (JWT_REFRESH_SECRET in the example),
	// at least 32 bytes. Required. Changing it invalidates every refresh
	// token (users log in again) unless the old key is kept in
	// PreviousRefreshKeys; access tokens are not affected.
	RefreshKey []byte
	// PreviousRefreshKeys are former refresh keys, still accepted for
	// tokens issued before a rotation of RefreshKey (new tokens are always
	// hashed under RefreshKey). Keep one until RefreshTTL has passed since
	// the rotation, then drop it. Default none. Each costs one more store
	// round trip on a refresh whose token the current key does not match.
	PreviousRefreshKeys [][]byte
	// Issuer is the "iss" of issued tokens, required on verification
	// (RFC 8725 §3.9). Required.
	Issuer string
	// Audience is the "aud" of issued tokens, required on verification.
	// Required.
	Audience string
	// Store keeps sessions. Default: a new [MemoryStore] with default
	// options (one instance only; use auth/redisstore for fleets).
	Store SessionStore

	// AccessTTL is the lifetime of access tokens. Default 15 minutes, at
	// most [MaxAccessTTL].
	AccessTTL time.Duration
	// RefreshTTL is the absolute lifetime of a session (login + RefreshTTL):
	// no refresh extends it. Default 7 days, at most [MaxRefreshTTL], and
	// longer than AccessTTL.
	RefreshTTL time.Duration
	// IdleTimeout ends a session that was not refreshed for this long.
	// Default 0: no idle expiry (only the absolute RefreshTTL). When set,
	// it must be longer than AccessTTL (clients refresh after it).
	IdleTimeout time.Duration
	// Leeway is the clock skew tolerated on exp, nbf and iat. Default 30
	// seconds, at most [MaxLeeway]; set NoLeeway for none.
	Leeway time.Duration
	// NoLeeway turns the leeway off. Default false.
	NoLeeway bool
	// ReuseGrace is a window after a rotation in which the immediately
	// previous refresh token may be presented once more (a client that
	// lost the response): it gets a fresh pair and the unused successor is
	// revoked. Default 0: no grace, every second use of a refresh token is
	// reuse and revokes the session. A grace window lets a thief who races
	// the client within it obtain a pair without tripping reuse detection
	// (once): keep it short (at most [MaxReuseGrace]) or leave it off.
	ReuseGrace time.Duration

	// SessionCheck makes [Authenticator.Verify] (and so the middleware) ask
	// the store, on every request, whether the token's session is still
	// live, so logout, RevokeUser and reuse detection take effect at once
	// for access tokens too. Cost: one store lookup per request (an
	// in-memory map read, or one Redis round trip). A store error is then
	// [ErrStoreUnavailable] (503), never a pass. Default false: a revoked
	// session's access tokens stay valid until they expire (AccessTTL).
	SessionCheck bool
	// CacheSize, when positive, keeps up to that many verified access
	// tokens (keyed by a SHA-256 of the token, LRU, each entry expiring at
	// the token's exp and dropped once its signing key leaves the ring),
	// saving the signature verification on repeat requests. The session
	// check, when on, still runs per request. Default 0: off.
	CacheSize int
	// MaxTokenLength bounds the length of a token Verify and Refresh will
	// look at; longer ones are [ErrInvalidRequest]. Default 4096.
	MaxTokenLength int

	// Now returns the current time. Default time.Now.
	Now func() time.Time
	// Logger receives security events (refresh-token reuse) and store
	// failures; never tokens or secrets. Default slog.Default().
	Logger *slog.Logger
}

// User is what a session is issued for.
type User struct {
	// ID is the user id (the "sub" claim). Required.
	ID string
	// Role is copied into every access token of the session.
	Role string
	// Permissions are copied into every access token of the session.
	Permissions []string
	// Extra holds custom claims, carried as the "ext" member of access
	// tokens. It must encode as JSON.
	Extra map[string]any
}

// TokenPair is what a login or a refresh returns to the client. Its JSON
// form uses the field names ChainSync clients read.
type TokenPair struct {
	// AccessToken is the signed JWT to send as "Authorization: Bearer".
	AccessToken string `json:"accessToken"`
	// RefreshToken is the opaque token to present to Refresh once.
	RefreshToken string `json:"refreshToken"`
	// TokenType is always "Bearer".
	TokenType string `json:"tokenType"`
	// ExpiresIn is the access token's lifetime in seconds.
	ExpiresIn int `json:"expiresIn"`
	// RefreshExpiresAt is when the session (and so the refresh token) ends
	// at the latest.
	RefreshExpiresAt time.Time `json:"refreshExpiresAt"`
	// SessionID is the session's id (also the "sid" claim).
	SessionID string `json:"-"`
}

// Authenticator issues, refreshes, verifies and revokes sessions and their
// tokens. Create it with [New]. It is safe for concurrent use.
type Authenticator struct {
	keys        *KeyRing
	refreshKey  []byte
	oldRefresh  [][]byte
	issuer      string
	audience    string
	store       SessionStore
	accessTTL   time.Duration
	refreshTTL  time.Duration
	idle        time.Duration
	leeway      time.Duration
	grace       time.Duration
	check       bool
	maxTokenLen int
	now         func() time.Time
	log         *slog.Logger
	cache       *tokenCache

	verifier atomic.Pointer[verifier]
}

// New returns an Authenticator, or an error naming the first invalid
// option.
func New(opts Options) (*Authenticator, error) {
	a := &Authenticator{
		keys: opts.Keys, issuer: opts.Issuer, audience: opts.Audience, store: opts.Store,
		accessTTL: opts.AccessTTL, refreshTTL: opts.RefreshTTL, idle: opts.IdleTimeout,
		leeway: opts.Leeway, grace: opts.ReuseGrace, check: opts.SessionCheck,
		maxTokenLen: opts.MaxTokenLength, now: opts.Now, log: opts.Logger,
	}
	switch {
	case a.keys == nil:
		return nil, errors.New("auth: Options.Keys is required")
	case len(opts.RefreshKey) < MinHMACSecret:
		return nil, fmt.Errorf("auth: Options.RefreshKey must be at least %d bytes", MinHMACSecret)
	case a.issuer == "":
		return nil, errors.New("auth: Options.Issuer is required")
	case a.audience == "":
		return nil, errors.New("auth: Options.Audience is required")
	}
	a.refreshKey = append([]byte(nil), opts.RefreshKey...)
	for i, k := range opts.PreviousRefreshKeys {
		if len(k) < MinHMACSecret {
			return nil, fmt.Errorf("auth: Options.PreviousRefreshKeys[%d] must be at least %d bytes", i, MinHMACSecret)
		}
		a.oldRefresh = append(a.oldRefresh, append([]byte(nil), k...))
	}
	if a.accessTTL == 0 {
		a.accessTTL = DefaultAccessTTL
	}
	if a.refreshTTL == 0 {
		a.refreshTTL = DefaultRefreshTTL
	}
	if a.leeway == 0 && !opts.NoLeeway {
		a.leeway = DefaultLeeway
	}
	if opts.NoLeeway && opts.Leeway != 0 {
		return nil, errors.New("auth: Options.Leeway set together with NoLeeway")
	}
	if a.maxTokenLen == 0 {
		a.maxTokenLen = DefaultMaxTokenLength
	}
	switch {
	case a.accessTTL < time.Second || a.accessTTL > MaxAccessTTL:
		return nil, fmt.Errorf("auth: Options.AccessTTL must be between 1s and %s", MaxAccessTTL)
	case a.refreshTTL <= a.accessTTL || a.refreshTTL > MaxRefreshTTL:
		return nil, fmt.Errorf("auth: Options.RefreshTTL must be longer than AccessTTL and at most %s", MaxRefreshTTL)
	case a.idle < 0 || a.idle > 0 && a.idle <= a.accessTTL:
		return nil, errors.New("auth: Options.IdleTimeout must be 0 or longer than AccessTTL")
	case a.leeway < 0 || a.leeway > MaxLeeway:
		return nil, fmt.Errorf("auth: Options.Leeway must be between 0 and %s", MaxLeeway)
	case a.grace < 0 || a.grace > MaxReuseGrace:
		return nil, fmt.Errorf("auth: Options.ReuseGrace must be between 0 and %s", MaxReuseGrace)
	case opts.CacheSize < 0:
		return nil, errors.New("auth: Options.CacheSize must not be negative")
	case a.maxTokenLen < 256:
		return nil, errors.New("auth: Options.MaxTokenLength must be at least 256")
	}
	if a.idle >= a.refreshTTL {
		a.idle = 0 // the absolute lifetime ends the session first anyway
	}
	if a.store == nil {
		m, _ := NewMemoryStore(MemoryStoreOptions{})
		a.store = m
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	if opts.CacheSize > 0 {
		a.cache = newTokenCache(opts.CacheSize)
	}
	return a, nil
}

// Store returns the session store in use.
func (a *Authenticator) Store() SessionStore { return a.store }

// Keys returns the key ring.
func (a *Authenticator) Keys() *KeyRing { return a.keys }

// storeErr turns a store failure into ErrStoreUnavailable (unless it is
// already that or ErrStoreFull), keeping the cause.
func storeErr(err error) error {
	if errors.Is(err, ErrStoreUnavailable) || errors.Is(err, ErrStoreFull) {
		return err
	}
	return errors.Join(ErrStoreUnavailable, err)
}

// Issue starts a session for u (a login) and returns its first token pair.
func (a *Authenticator) Issue(ctx context.Context, u User) (TokenPair, error) {
	if u.ID == "" {
		return TokenPair{}, errors.New("auth: User.ID is required")
	}
	var extra []byte
	if len(u.Extra) > 0 {
		b, err := json.Marshal(u.Extra)
		if err != nil {
			return TokenPair{}, fmt.Errorf("auth: User.Extra: %w", err)
		}
		extra = b
	}
	now := a.now()
	sid := newSessionID()
	rt := newRefreshToken(sid)
	s := Session{
		ID: sid, UserID: u.ID, Role: u.Role, Permissions: u.Permissions, Extra: extra,
		CreatedAt: now, ExpiresAt: now.Add(a.refreshTTL), IdleTimeout: a.idle, LastUsed: now,
		Current: a.hashRefresh(a.refreshKey, rt),
	}
	if err := a.store.Create(ctx, &s); err != nil {
		a.log.ErrorContext(ctx, "auth: storing a new session failed", "error", err)
		return TokenPair{}, storeErr(err)
	}
	return a.pair(&s, rt, now, u.Extra)
}

func (a *Authenticator) pair(s *Session, rt string, now time.Time, extra map[string]any) (TokenPair, error) {
	if extra == nil && len(s.Extra) > 0 {
		if err := json.Unmarshal(s.Extra, &extra); err != nil {
			return TokenPair{}, fmt.Errorf("auth: stored custom claims: %w", err)
		}
	}
	exp := now.Add(a.accessTTL)
	if se := s.Expiry(); se.Before(exp) {
		exp = se
	}
	at, err := a.sign(&Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: a.issuer, Subject: s.UserID, Audience: jwt.ClaimStrings{a.audience},
			ExpiresAt: jwt.NewNumericDate(exp), NotBefore: jwt.NewNumericDate(now),
			IssuedAt: jwt.NewNumericDate(now), ID: randomString(16),
		},
		Role: s.Role, Permissions: s.Permissions, SessionID: s.ID, Extra: extra,
	})
	if err != nil {
		return TokenPair{}, err
	}
	return TokenPair{
		AccessToken: at, RefreshToken: rt, TokenType: "Bearer",
		ExpiresIn: int(exp.Sub(now).Round(time.Second) / time.Second), RefreshExpiresAt: s.ExpiresAt, SessionID: s.ID,
	}, nil
}

func (a *Authenticator) sign(c *Claims) (string, error) {
	k := a.keys.snap.Load().current
	t := jwt.NewWithClaims(k.method, c)
	t.Header["typ"] = AccessTokenType
	t.Header["kid"] = k.kid
	s, err := t.SignedString(k.sign)
	if err != nil {
		return "", fmt.Errorf("auth: signing access token: %w", err)
	}
	return s, nil
}

// Refresh rotates a refresh token: the presented token is consumed
// atomically and a new pair is returned. Errors:
//   - [ErrTokenReused]: the token was already used; the whole session is
//     revoked (its other tokens stop working too);
//   - [ErrSessionRevoked]: the session expired, was revoked, or used up its
//     [UsedHistory] rotations (the user logs in again);
//   - [ErrInvalidToken]: not a refresh token of this issuer (an access
//     token, a forged or corrupted one);
//   - [ErrInvalidRequest]: longer than MaxTokenLength;
//   - [ErrStoreUnavailable]: the store could not answer.
func (a *Authenticator) Refresh(ctx context.Context, refreshToken string) (TokenPair, error) {
	if len(refreshToken) > a.maxTokenLen {
		return TokenPair{}, fmt.Errorf("%w: token too long", ErrInvalidRequest)
	}
	sid, ok := splitRefreshToken(refreshToken)
	if !ok {
		return TokenPair{}, fmt.Errorf("%w: not a refresh token", ErrInvalidToken)
	}
	now := a.now()
	next := newRefreshToken(sid)
	rot := Rotation{Presented: a.hashRefresh(a.refreshKey, refreshToken), Next: a.hashRefresh(a.refreshKey, next), Now: now, Grace: a.grace}
	s, status, err := a.store.Rotate(ctx, sid, rot)
	for i := 0; err == nil && status == RotateMismatch && i < len(a.oldRefresh); i++ {
		// Perhaps a token hashed under a former key (current or used).
		rot.Presented = a.hashRefresh(a.oldRefresh[i], refreshToken)
		s, status, err = a.store.Rotate(ctx, sid, rot)
	}
	if err != nil {
		a.log.ErrorContext(ctx, "auth: rotating a refresh token failed", "error", err)
		return TokenPair{}, storeErr(err)
	}
	switch status {
	case Rotated, RotatedGrace:
		if status == RotatedGrace {
			a.log.InfoContext(ctx, "auth: previous refresh token presented within the grace window", "sid", sid, "sub", s.UserID)
		}
		return a.pair(&s, next, now, nil)
	case RotateReused:
		a.log.WarnContext(ctx, "auth: refresh token reuse detected; session revoked", "sid", sid, "sub", s.UserID)
		return TokenPair{}, ErrTokenReused
	case RotateMismatch:
		return TokenPair{}, fmt.Errorf("%w: unknown refresh token", ErrInvalidToken)
	}
	return TokenPair{}, ErrSessionRevoked
}

// Revoke ends the session with the given id (logout): its refresh token
// stops working at once, and so do its access tokens when
// [Options.SessionCheck] is on.
func (a *Authenticator) Revoke(ctx context.Context, sessionID string) error {
	if err := a.store.Delete(ctx, sessionID); err != nil {
		return storeErr(err)
	}
	return nil
}

// RevokeUser ends every session of userID (logout everywhere, for example
// after a password change) and reports how many it ended. A login whose
// session is created while RevokeUser runs may survive it (it then counts
// as later), but it stays known to the store, so the next RevokeUser ends
// it (the storetest suite checks this for every store). A login that
// checked the old password just before a password change, but is issued
// after RevokeUser returns, is a new session like any other; to close that
// window, store the new password hash before calling RevokeUser, and have
// the login handler re-read the user's credentials after Issue and
// [Authenticator.Revoke] the new session if they changed meanwhile.
func (a *Authenticator) RevokeUser(ctx context.Context, userID string) (int, error) {
	n, err := a.store.DeleteUser(ctx, userID)
	if err != nil {
		return n, storeErr(err)
	}
	return n, nil
}

// verifier is the parser for one key-ring snapshot: its accepted
// algorithms are those of the ring's keys, and its key function pins each
// key to its own algorithm.
type verifier struct {
	snap    *keySnapshot
	parser  *jwt.Parser
	keyFunc jwt.Keyfunc
}

// Reasons a token is refused before its signature is checked.
var (
	errWrongType   = errors.New("not an access token (typ)")
	errUnknownKey  = errors.New("unknown kid")
	errAlgMismatch = errors.New("alg does not match the key")
	errNoSession   = errors.New("no sid claim")
	errBadClaims   = errors.New("bad claims")
)

func (a *Authenticator) currentVerifier() *verifier {
	snap := a.keys.snap.Load()
	if v := a.verifier.Load(); v != nil && v.snap == snap {
		return v
	}
	v := &verifier{snap: snap}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods(snap.algs),
		jwt.WithIssuer(a.issuer),
		jwt.WithAudience(a.audience),
		jwt.WithLeeway(a.leeway),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(a.now),
		jwt.WithStrictDecoding(), // one token, one string (RFC 7515, RFC 4648 §3.5)
	)
	v.keyFunc = func(t *jwt.Token) (any, error) {
		typ, _ := t.Header["typ"].(string)
		if !strings.EqualFold(typ, AccessTokenType) && !strings.EqualFold(typ, "application/"+AccessTokenType) {
			return nil, errWrongType
		}
		kid, _ := t.Header["kid"].(string)
		k, ok := snap.byID[kid]
		if !ok {
			return nil, errUnknownKey
		}
		if t.Method.Alg() != k.alg {
			return nil, errAlgMismatch
		}
		return k.verify, nil
	}
	a.verifier.Store(v)
	return v
}

// Verify checks an access token and returns its claims. It tells expiry
// apart from invalidity only once the signature verified. Errors wrap
// [ErrInvalidToken], [ErrTokenExpired], [ErrTokenNotYetValid],
// [ErrInvalidRequest] (longer than MaxTokenLength), and with
// [Options.SessionCheck] [ErrSessionRevoked] or [ErrStoreUnavailable].
// Error messages never contain the token.
func (a *Authenticator) Verify(ctx context.Context, accessToken string) (*Claims, error) {
	if len(accessToken) > a.maxTokenLen {
		return nil, fmt.Errorf("%w: token too long", ErrInvalidRequest)
	}
	if accessToken == "" {
		return nil, fmt.Errorf("%w: empty token", ErrInvalidToken)
	}
	var (
		key    [sha256.Size]byte
		claims *Claims
	)
	if a.cache != nil {
		key = sha256.Sum256([]byte(accessToken))
		if e, ok := a.cache.get(key, a.now()); ok && a.keys.Has(e.kid) {
			claims = e.claims
		}
	}
	if claims == nil {
		v := a.currentVerifier()
		c := new(Claims)
		tok, err := v.parser.ParseWithClaims(accessToken, c, v.keyFunc)
		if err != nil {
			return nil, jwtError(err)
		}
		if c.SessionID == "" || c.Subject == "" {
			return nil, fmt.Errorf("%w: %v", ErrInvalidToken, errNoSession)
		}
		claims = c
		if a.cache != nil {
			kid, _ := tok.Header["kid"].(string)
			a.cache.add(&cacheEntry{key: key, claims: c, kid: kid, exp: c.ExpiresAt.Time})
		}
	}
	if a.check {
		var (
			uid string
			ok  bool
			err error
		)
		if sc, isChecker := a.store.(SessionChecker); isChecker {
			uid, ok, err = sc.Check(ctx, claims.SessionID, a.now())
		} else {
			var s Session
			s, ok, err = a.store.Get(ctx, claims.SessionID, a.now())
			uid = s.UserID
		}
		if err != nil {
			a.log.ErrorContext(ctx, "auth: session check failed", "error", err)
			return nil, storeErr(err)
		}
		if !ok || uid != claims.Subject {
			return nil, ErrSessionRevoked
		}
	}
	return claims, nil
}

// jwtError maps a golang-jwt error to this package's errors without
// repeating anything from the token.
func jwtError(err error) error {
	reason := "invalid token"
	switch {
	case errors.Is(err, errWrongType):
		reason = errWrongType.Error()
	case errors.Is(err, errUnknownKey):
		reason = errUnknownKey.Error()
	case errors.Is(err, errAlgMismatch):
		reason = errAlgMismatch.Error()
	case errors.Is(err, jwt.ErrTokenMalformed):
		reason = "malformed token"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		reason = "signature invalid"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		reason = "wrong issuer"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		reason = "wrong audience"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing), errors.Is(err, jwt.ErrTokenInvalidClaims) &&
		!errors.Is(err, jwt.ErrTokenExpired) && !errors.Is(err, jwt.ErrTokenNotValidYet) && !errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		reason = errBadClaims.Error()
	case errors.Is(err, jwt.ErrTokenExpired):
		return ErrTokenExpired
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return ErrTokenNotYetValid
	}
	return fmt.Errorf("%w: %s", ErrInvalidToken, reason)
}
