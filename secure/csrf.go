package secure

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
)

// Defaults of the CSRF token layer.
const (
	DefaultCSRFCookie = "__Host-csrf"
	DefaultCSRFHeader = "X-CSRF-Token"
	DefaultCSRFField  = "csrf_token"
)

const (
	tokenLen     = 32
	minTokenKey  = 32
	tokenContext = "chainsync-csrf-v1\x00"
)

// CSRFOptions configure [NewCSRF]. The zero value is the recommended
// protection for browsers of the last years: [http.CrossOriginProtection]
// with no trusted origin and no token layer.
type CSRFOptions struct {
	// TrustedOrigins are other origins allowed to send unsafe requests
	// (scheme://host[:port], exact; no wildcards). Default none.
	TrustedOrigins []string
	// TrustCORS trusts every origin that this CORS configuration allows:
	// exact origins through [http.CrossOriginProtection.AddTrustedOrigin],
	// and subdomain wildcards (which AddTrustedOrigin cannot express)
	// through the CORS matcher, consulted before the standard check. A
	// CORS configuration allowing any origin ("*") is refused; "null" is
	// never trusted. Default nil.
	TrustCORS *CORS
	// InsecureBypassPatterns are [http.ServeMux] patterns (such as
	// "POST /webhooks/payments") exempt from every check, for endpoints
	// called by servers that authenticate otherwise. Default none. An
	// invalid or conflicting pattern is an error.
	InsecureBypassPatterns []string

	// RequireToken turns on the signed double-submit token layer for
	// unsafe requests that carry neither Sec-Fetch-Site nor Origin (old
	// browsers, or non-browser clients): they must send the token from
	// [CSRFToken] in the HeaderName header or the FormField form field.
	// Default false. Bearer-token APIs never need it: a browser does not
	// attach an Authorization header on its own, so a forged request
	// carries no credentials.
	RequireToken bool
	// TokenKey signs the token cookie (HMAC-SHA256); at least 32 bytes,
	// required with RequireToken. Share it across instances.
	TokenKey []byte
	// SessionID binds tokens to a session, when not nil: the cookie's
	// signature covers the value it returns, so a token planted by a
	// sibling subdomain or left from an earlier session does not verify.
	// Default nil (not bound; the cookie still has to be signed).
	//
	// It is called before the wrapped handler runs, with the request as
	// CSRF sees it: derive the id from the request itself (the session
	// cookie), or place CSRF inside the middleware that puts the session
	// in the context. When the id changes (login, logout), the old cookie
	// stops verifying and the next request that passes gets a new one.
	SessionID func(*http.Request) string
	// CookieName is the token cookie. Default "__Host-csrf" (the __Host-
	// prefix makes browsers refuse it unless Secure, Path=/ and without
	// Domain, so no subdomain can set it). The cookie is always HttpOnly,
	// Secure and SameSite=Strict.
	CookieName string
	// HeaderName is the request header carrying the token. Default
	// "X-CSRF-Token".
	HeaderName string
	// FormField is the form field carrying the token when the header is
	// absent (application/x-www-form-urlencoded or multipart forms).
	// Looking for it parses the body with [http.Request.PostFormValue]
	// (and its limits), so a handler that streams multipart bodies should
	// have its clients send the header. Default "csrf_token".
	FormField string

	// ErrorHandler answers rejected requests (ErrCrossOriginRequest,
	// ErrCSRFTokenMissing, ErrCSRFTokenInvalid). Default: 403
	// application/problem+json.
	ErrorHandler ErrorHandler
	// Logger receives a debug record per rejected request. Default
	// slog.Default().
	Logger *slog.Logger
}

// CSRF rejects cross-site unsafe requests. It is built on
// [http.CrossOriginProtection] and decides in this order:
//
//   - GET, HEAD and OPTIONS always pass, token layer included, so they
//     must never change state.
//   - An Origin matched by a subdomain wildcard of TrustCORS passes.
//   - Sec-Fetch-Site same-origin or none passes; any other value
//     (same-site, cross-site) is rejected unless the Origin is trusted or
//     the request matches an InsecureBypassPatterns entry exactly.
//   - Without Sec-Fetch-Site, an Origin whose host:port equals Host
//     passes (the scheme is not compared, so an http page of the same
//     host passes too: send HSTS); another Origin is rejected unless
//     trusted or bypassed.
//   - With neither header the request does not come from a browser that
//     a forging page could drive (or from one so old that it sends no
//     Origin on a POST, such as Firefox before version 70): it
//     passes, unless RequireToken, which then asks for a valid token
//     (bypass patterns excepted).
//
// The zero CSRF behaves as NewCSRF(CSRFOptions{}). It is safe for
// concurrent use.
type CSRF struct {
	cop       *http.CrossOriginProtection
	cors      *CORS // wildcard origins trusted
	bypass    *http.ServeMux
	token     bool
	key       []byte
	sessionID func(*http.Request) string
	cookie    string
	header    string
	field     string
	onError   ErrorHandler
	logger    *slog.Logger

	macs       sync.Pool // hash.Hash keyed with key, reused across requests
	prefix     []byte    // tokenContext
	varyCookie []string

	ready bool       // built by NewCSRF
	zero  lazy[CSRF] // the defaults, for a zero CSRF
}

type csrfKey struct{}

type csrfState struct {
	raw []byte
}

// NewCSRF validates o and returns the middleware.
func NewCSRF(o CSRFOptions) (*CSRF, error) {
	c := &CSRF{
		cop:       http.NewCrossOriginProtection(),
		token:     o.RequireToken,
		sessionID: o.SessionID,
		cookie:    o.CookieName,
		header:    o.HeaderName,
		field:     o.FormField,
		onError:   handlerOr(o.ErrorHandler),
		logger:    loggerOr(o.Logger),
	}
	for _, s := range o.TrustedOrigins {
		n, err := normalizeOrigin(strings.TrimSpace(s))
		if err != nil {
			return nil, optionsError("CSRF: TrustedOrigins: %v", err)
		}
		if err := c.cop.AddTrustedOrigin(n); err != nil {
			return nil, optionsError("CSRF: TrustedOrigins: %v", err)
		}
	}
	if o.TrustCORS != nil {
		o.TrustCORS = o.TrustCORS.resolve()
		if o.TrustCORS.any {
			return nil, optionsError(`CSRF: TrustCORS: the CORS configuration allows any origin ("*"); trusting it would turn CSRF protection off`)
		}
		for _, origin := range o.TrustCORS.exactOrigins() {
			if err := c.cop.AddTrustedOrigin(origin); err != nil {
				return nil, optionsError("CSRF: TrustCORS: %v", err)
			}
		}
		if len(o.TrustCORS.wildcards) > 0 {
			c.cors = o.TrustCORS
		}
	}
	if len(o.InsecureBypassPatterns) > 0 {
		c.bypass = http.NewServeMux()
		for _, p := range o.InsecureBypassPatterns {
			if err := addBypass(c.cop, c.bypass, p); err != nil {
				return nil, optionsError("CSRF: InsecureBypassPatterns %q: %v", p, err)
			}
		}
	}

	if c.cookie == "" {
		c.cookie = DefaultCSRFCookie
	}
	if c.header == "" {
		c.header = DefaultCSRFHeader
	}
	if c.field == "" {
		c.field = DefaultCSRFField
	}
	if !isToken(c.cookie) || !isToken(c.header) {
		return nil, optionsError("CSRF: invalid CookieName or HeaderName")
	}
	if o.RequireToken {
		if len(o.TokenKey) < minTokenKey {
			return nil, optionsError("CSRF: RequireToken needs a TokenKey of at least %d bytes", minTokenKey)
		}
		c.key = append([]byte(nil), o.TokenKey...)
		c.prefix = []byte(tokenContext)
		c.varyCookie = one("Cookie")
	} else if len(o.TokenKey) > 0 {
		return nil, optionsError("CSRF: TokenKey is set but RequireToken is false")
	}
	c.ready = true
	return c, nil
}

// resolve returns c, or for a zero CSRF the result of NewCSRF(CSRFOptions{}).
func (c *CSRF) resolve() *CSRF {
	if c.ready {
		return c
	}
	return c.zero.get(func() *CSRF { return MustCSRF(CSRFOptions{}) })
}

func addBypass(cop *http.CrossOriginProtection, mux *http.ServeMux, pattern string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	mux.Handle(pattern, bypassMark{})
	cop.AddInsecureBypassPattern(pattern)
	return nil
}

// bypassMark is the handler registered for bypass patterns. A request is
// exempt only when the mux returns it: for a request it would redirect
// (a missing trailing slash, an unclean path) the mux returns a redirect
// handler, and that request is checked like any other, as
// [http.CrossOriginProtection] does.
type bypassMark struct{}

func (bypassMark) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.WriteHeader(http.StatusNotFound)
}

// MustCSRF is like [NewCSRF] but panics on invalid options. Use it for
// options fixed in code.
func MustCSRF(o CSRFOptions) *CSRF {
	c, err := NewCSRF(o)
	if err != nil {
		panic(err)
	}
	return c
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// Check reports whether r passes: nil, or an error wrapping
// ErrCrossOriginRequest, ErrCSRFTokenMissing or ErrCSRFTokenInvalid. It
// never writes a response.
func (c *CSRF) Check(r *http.Request) error {
	c = c.resolve()
	var raw []byte
	if c.token {
		raw, _ = c.readCookie(r)
	}
	return c.check(r, raw)
}

func (c *CSRF) check(r *http.Request, cookieToken []byte) error {
	if safeMethod(r.Method) {
		return nil
	}
	origin := r.Header["Origin"]
	// AddTrustedOrigin cannot express "any subdomain of", so wildcard CORS
	// origins are matched here, before the standard check.
	if c.cors != nil && len(origin) == 1 && c.cors.matchesWildcard(origin[0]) {
		return nil
	}
	if err := c.cop.Check(r); err != nil {
		return fmt.Errorf("%w: %v", ErrCrossOriginRequest, err)
	}
	if !c.token || len(origin) > 0 || len(r.Header["Sec-Fetch-Site"]) > 0 {
		return nil
	}
	if c.bypass != nil {
		if h, _ := c.bypass.Handler(r); h == (bypassMark{}) {
			return nil
		}
	}
	if cookieToken == nil {
		return ErrCSRFTokenMissing
	}
	sent := r.Header.Get(c.header)
	if sent == "" {
		sent = r.PostFormValue(c.field)
	}
	if sent == "" {
		return ErrCSRFTokenMissing
	}
	if !verifyMasked(sent, cookieToken) {
		return ErrCSRFTokenInvalid
	}
	return nil
}

// Handler returns next wrapped with the protection. With RequireToken, a
// request that passes without a valid token cookie gets one (Set-Cookie),
// the handler can read the token with [CSRFToken], and every response
// carries Vary: Cookie, since a page holding the token depends on it.
func (c *CSRF) Handler(next http.Handler) http.Handler {
	c = c.resolve()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var raw []byte
		valid := false
		if c.token {
			// Pages render CSRFToken, which depends on the cookie.
			addVary(w.Header(), c.varyCookie)
			raw, valid = c.readCookie(r)
		}
		if err := c.check(r, raw); err != nil {
			c.logger.DebugContext(r.Context(), "secure: CSRF check failed", "error", err, "method", r.Method, "path", r.URL.Path)
			c.onError(w, r, err)
			return
		}
		if c.token {
			if !valid {
				raw = make([]byte, tokenLen)
				_, _ = rand.Read(raw) // crypto/rand.Read never fails
				http.SetCookie(w, &http.Cookie{
					Name: c.cookie, Value: c.cookieValue(r, raw), Path: "/",
					HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode,
				})
			}
			r = r.WithContext(context.WithValue(r.Context(), csrfKey{}, &csrfState{raw: raw}))
		}
		next.ServeHTTP(w, r)
	})
}

// CSRFToken returns a token to send back in the X-CSRF-Token header or the
// csrf_token form field, or "" when the request went through no [CSRF]
// with RequireToken. Each call masks the token with fresh random bytes, so
// the value differs on every response (no fixed secret in compressed
// bodies, against BREACH) while all of them verify.
func CSRFToken(ctx context.Context) string {
	st, _ := ctx.Value(csrfKey{}).(*csrfState)
	if st == nil {
		return ""
	}
	var buf [2 * tokenLen]byte
	_, _ = rand.Read(buf[:tokenLen])
	for i := 0; i < tokenLen; i++ {
		buf[tokenLen+i] = st.raw[i] ^ buf[i]
	}
	return base64.RawURLEncoding.EncodeToString(buf[:])
}

func verifyMasked(sent string, raw []byte) bool {
	var buf [2 * tokenLen]byte
	if base64.RawURLEncoding.DecodedLen(len(sent)) != len(buf) {
		return false
	}
	var src [86]byte
	n, err := base64.RawURLEncoding.Decode(buf[:], src[:copy(src[:], sent)])
	if err != nil || n != len(buf) {
		return false
	}
	var unmasked [tokenLen]byte
	for i := range unmasked {
		unmasked[i] = buf[tokenLen+i] ^ buf[i]
	}
	return subtle.ConstantTimeCompare(unmasked[:], raw) == 1
}

// mac writes into out the signature of a cookie token: HMAC-SHA256 under
// the token key of a fixed context string, the token (fixed length) and,
// when SessionID is set, the session id after it.
func (c *CSRF) mac(r *http.Request, raw []byte, out []byte) []byte {
	m, _ := c.macs.Get().(hash.Hash)
	if m == nil {
		m = hmac.New(sha256.New, c.key)
	}
	m.Reset()
	_, _ = m.Write(c.prefix)
	_, _ = m.Write(raw)
	if c.sessionID != nil {
		_, _ = io.WriteString(m, c.sessionID(r))
	}
	out = m.Sum(out)
	c.macs.Put(m)
	return out
}

func (c *CSRF) cookieValue(r *http.Request, raw []byte) string {
	return base64.RawURLEncoding.EncodeToString(raw) + "." + base64.RawURLEncoding.EncodeToString(c.mac(r, raw, nil))
}

// readCookie returns the raw token of the first valid cookie of the
// configured name.
func (c *CSRF) readCookie(r *http.Request) ([]byte, bool) {
	for _, ck := range r.CookiesNamed(c.cookie) {
		if raw, ok := c.verifyCookie(r, ck.Value); ok {
			return raw, true
		}
	}
	return nil, false
}

// verifyCookie returns the raw token of a cookie value whose signature
// verifies.
func (c *CSRF) verifyCookie(r *http.Request, value string) ([]byte, bool) {
	t, s, ok := strings.Cut(value, ".")
	enc := base64.RawURLEncoding
	if !ok || enc.DecodedLen(len(t)) != tokenLen || enc.DecodedLen(len(s)) != sha256.Size {
		return nil, false
	}
	// One buffer: token, then its signature, then the expected signature.
	buf := make([]byte, tokenLen+2*sha256.Size)
	var src [64]byte
	if n, err := enc.Decode(buf[:tokenLen], src[:copy(src[:], t)]); err != nil || n != tokenLen {
		return nil, false
	}
	if n, err := enc.Decode(buf[tokenLen:tokenLen+sha256.Size], src[:copy(src[:], s)]); err != nil || n != sha256.Size {
		return nil, false
	}
	raw, sig := buf[:tokenLen:tokenLen], buf[tokenLen:tokenLen+sha256.Size]
	if !hmac.Equal(sig, c.mac(r, raw, buf[tokenLen+sha256.Size:tokenLen+sha256.Size])) {
		return nil, false
	}
	return raw, true
}

// String describes the options with TokenKey redacted, so that printing
// them by mistake does not leak the key.
func (o CSRFOptions) String() string {
	return fmt.Sprintf("secure.CSRFOptions{TrustedOrigins: %q, RequireToken: %t, TokenKey: [redacted, %d bytes], ...}",
		o.TrustedOrigins, o.RequireToken, len(o.TokenKey))
}

// GoString is like String, so %#v does not print the key either.
func (o CSRFOptions) GoString() string { return o.String() }

// LogValue is String, for log/slog handlers (the JSON one would otherwise
// encode TokenKey).
func (o CSRFOptions) LogValue() slog.Value { return slog.StringValue(o.String()) }

// String describes the middleware without its token key.
func (c *CSRF) String() string {
	c = c.resolve()
	if !c.token {
		return "secure.CSRF(token layer off)"
	}
	return fmt.Sprintf("secure.CSRF(token layer on, cookie %q, header %q, TokenKey [redacted, %d bytes])", c.cookie, c.header, len(c.key))
}

// GoString is like String.
func (c *CSRF) GoString() string { return c.String() }

// LogValue is String, for log/slog handlers.
func (c *CSRF) LogValue() slog.Value { return slog.StringValue(c.String()) }
