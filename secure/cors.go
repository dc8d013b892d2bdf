package secure

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// CORS header names.
const (
	acao = "Access-Control-Allow-Origin"
	acac = "Access-Control-Allow-Credentials"
	acam = "Access-Control-Allow-Methods"
	acah = "Access-Control-Allow-Headers"
	aceh = "Access-Control-Expose-Headers"
	acma = "Access-Control-Max-Age"
	acrm = "Access-Control-Request-Method"
	acrh = "Access-Control-Request-Headers"
)

// MaxPreflightAge is the longest preflight cache lifetime [CORS] sends:
// 24 hours, the most any browser honours.
const MaxPreflightAge = 24 * time.Hour

// maxRequestedHeaders bounds the work spent on one preflight.
const maxRequestedHeaders = 64

// CORSOptions configure [NewCORS]. The zero value allows no cross-origin
// access at all: responses carry Vary: Origin and no CORS header.
type CORSOptions struct {
	// AllowedOrigins are the origins whose pages may read responses:
	// exact origins ("https://pos.chainsync.example",
	// "http://localhost:3000"), subdomain wildcards
	// ("https://*.chainsync.example": any subdomain at any depth, never the
	// apex itself nor another port), or the single entry "*" for any
	// origin without credentials. Origins are compared as browsers send
	// them: lowercase, without the default port, internationalized names
	// in their ASCII (xn--) form; a trailing dot, user info or a path is
	// never part of an origin. Default none.
	//
	// A wildcard cannot know public suffixes: never write one over a
	// suffix shared by other owners, such as "https://*.co.uk".
	//
	// "null" (sandboxed frames, file: pages) requires
	// DangerouslyAllowNullOrigin; plain http:// origins other than
	// loopback ones require DangerouslyAllowInsecureOrigins.
	AllowedOrigins []string
	// AllowCredentials lets the browser send cookies and HTTP
	// authentication and read the response
	// (Access-Control-Allow-Credentials: true, always next to the exact
	// origin of the request, never "*"). Default false. Refused with "*".
	AllowCredentials bool
	// AllowedMethods are the methods a preflight may ask for, compared
	// case-sensitively as Fetch does. The CORS-safelisted GET, HEAD and
	// POST are always allowed. Browsers uppercase DELETE, GET, HEAD,
	// OPTIONS, POST and PUT before sending them, so those are refused in
	// another case; any other method (PATCH included) is sent as the page
	// wrote it. Default GET, HEAD, POST.
	AllowedMethods []string
	// AllowedHeaders are the request headers a preflight may ask for,
	// case-insensitive. Browsers list in Access-Control-Request-Headers
	// only the headers that are not CORS-safelisted, so Accept,
	// Accept-Language, Content-Language, Content-Type and Range need not be
	// listed while their values are safelisted; Content-Type:
	// application/json is not, so a JSON API lists Content-Type. Default
	// none: only CORS-safelisted headers with safelisted values can be sent
	// cross-origin.
	AllowedHeaders []string
	// ExposedHeaders are the response headers, beyond the CORS-safelisted
	// ones, that scripts may read (such as RateLimit or X-Request-ID).
	// Default none.
	ExposedHeaders []string
	// MaxAge is how long browsers may cache a preflight answer. Default 10
	// minutes; values above [MaxPreflightAge] are capped to it. Whole
	// seconds.
	MaxAge time.Duration
	// DisablePreflightCache sends Access-Control-Max-Age: 0, so every
	// request with a preflight gets a fresh one. Default false.
	DisablePreflightCache bool
	// DangerouslyAllowNullOrigin allows the origin "null" when listed in
	// AllowedOrigins. Any sandboxed iframe on any site sends "null", so
	// allowing it is close to allowing every origin. Default false.
	DangerouslyAllowNullOrigin bool
	// DangerouslyAllowInsecureOrigins allows plain http:// origins that are
	// not loopback. A network attacker can inject script into such an
	// origin and read through it whatever it may read. Default false.
	DangerouslyAllowInsecureOrigins bool

	// ErrorHandler answers preflights that are refused (ErrOriginNotAllowed,
	// ErrMethodNotAllowed, ErrHeaderNotAllowed). The Vary header is
	// already set. Default: 403 application/problem+json.
	ErrorHandler ErrorHandler
	// Logger receives a debug record per refused preflight. Default
	// slog.Default().
	Logger *slog.Logger
}

// CORS answers preflight requests and adds CORS headers to the responses
// of allowed origins, following the Fetch standard. It is safe for
// concurrent use.
//
// Wrap it around everything else, authentication and rate limiting
// included: a preflight is answered here and never reaches them, and their
// 401, 403 and 429 answers keep the headers a browser needs to let the
// page read them. The headers of an actual request are set before the next
// handler runs; a handler should add to Vary with Header().Add, not Set.
//
// The zero CORS behaves as NewCORS(CORSOptions{}): no origin is allowed.
//
// The actual-request path allocates nothing: every value is precomputed,
// and a matching origin is reflected by reusing the request's own header
// value.
type CORS struct {
	any         bool
	credentials bool
	allowNull   bool
	exact       map[string][]string // origin -> its Access-Control-Allow-Origin value
	wildcards   []originPattern
	star        []string
	trueValue   []string
	vary        []string // Vary on actual requests (not sent with "*")
	varyPre     []string
	expose      []string
	methods     []string // configured, for matching
	methodsHdr  []string
	headers     []string // lowercase, for matching
	headersHdr  []string
	maxAge      []string
	onError     ErrorHandler
	logger      *slog.Logger

	ready bool       // built by NewCORS
	zero  lazy[CORS] // the defaults, for a zero CORS
}

// NewCORS validates o and returns the middleware.
func NewCORS(o CORSOptions) (*CORS, error) {
	c := &CORS{
		credentials: o.AllowCredentials,
		exact:       map[string][]string{},
		star:        one("*"),
		trueValue:   one("true"),
		varyPre:     one("Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
		onError:     handlerOr(o.ErrorHandler),
		logger:      loggerOr(o.Logger),
	}
	for _, s := range o.AllowedOrigins {
		s = strings.TrimSpace(s)
		switch s {
		case "*":
			if o.AllowCredentials {
				return nil, optionsError(`CORS: AllowCredentials cannot be combined with the origin "*"; list the origins`)
			}
			c.any = true
			continue
		case "null":
			if !o.DangerouslyAllowNullOrigin {
				return nil, optionsError(`CORS: origin "null" requires DangerouslyAllowNullOrigin`)
			}
			c.allowNull = true
			continue
		}
		p, err := parseOriginPattern(s)
		if err != nil {
			return nil, optionsError("CORS: %v", err)
		}
		if p.insecure && !o.DangerouslyAllowInsecureOrigins {
			return nil, optionsError("CORS: origin %q is plain http and not loopback; it requires DangerouslyAllowInsecureOrigins", s)
		}
		if p.wildcard {
			c.wildcards = append(c.wildcards, p)
		} else {
			c.exact[p.exact] = one(p.exact)
		}
	}
	if c.any && (len(c.exact) > 0 || len(c.wildcards) > 0 || c.allowNull) {
		return nil, optionsError(`CORS: the origin "*" already allows every origin; list no other`)
	}
	c.vary = one("Origin")

	methods := o.AllowedMethods
	if len(methods) == 0 {
		methods = []string{http.MethodGet, http.MethodHead, http.MethodPost}
	}
	for _, m := range methods {
		m = strings.TrimSpace(m)
		if m == "*" {
			return nil, optionsError("CORS: list the allowed methods; \"*\" is not supported")
		}
		if !isToken(m) {
			return nil, optionsError("CORS: invalid method %q", m)
		}
		if u := strings.ToUpper(m); u != m && fetchNormalizedMethod(u) {
			return nil, optionsError("CORS: method %q: browsers send it as %q; write that", m, u)
		}
		c.methods = append(c.methods, m)
	}
	c.methodsHdr = one(strings.Join(c.methods, ", "))

	var names []string
	for _, h := range o.AllowedHeaders {
		h = strings.TrimSpace(h)
		if h == "*" {
			return nil, optionsError("CORS: list the allowed headers; \"*\" is not supported")
		}
		if !isToken(h) {
			return nil, optionsError("CORS: invalid header name %q", h)
		}
		c.headers = append(c.headers, strings.ToLower(h))
		names = append(names, h)
	}
	if len(names) > 0 {
		c.headersHdr = one(strings.Join(names, ", "))
	}

	names = nil
	for _, h := range o.ExposedHeaders {
		h = strings.TrimSpace(h)
		if h == "*" && o.AllowCredentials {
			return nil, optionsError(`CORS: ExposedHeaders "*" means the header named "*" with credentials; list the headers`)
		}
		if h != "*" && !isToken(h) {
			return nil, optionsError("CORS: invalid exposed header name %q", h)
		}
		names = append(names, h)
	}
	if len(names) > 0 {
		c.expose = one(strings.Join(names, ", "))
	}

	switch {
	case o.DisablePreflightCache:
		c.maxAge = one("0")
	case o.MaxAge < 0:
		return nil, optionsError("CORS: negative MaxAge (DisablePreflightCache turns caching off)")
	default:
		age := o.MaxAge
		if age == 0 {
			age = 10 * time.Minute
		}
		age = min(age, MaxPreflightAge)
		if age < time.Second {
			return nil, optionsError("CORS: MaxAge %v is below one second", o.MaxAge)
		}
		c.maxAge = one(strconv.FormatInt(int64(age/time.Second), 10))
	}
	c.ready = true
	return c, nil
}

// resolve returns c, or for a zero CORS the result of NewCORS(CORSOptions{}).
func (c *CORS) resolve() *CORS {
	if c.ready {
		return c
	}
	return c.zero.get(func() *CORS { return MustCORS(CORSOptions{}) })
}

// MustCORS is like [NewCORS] but panics on invalid options. Use it for
// options fixed in code.
func MustCORS(o CORSOptions) *CORS {
	c, err := NewCORS(o)
	if err != nil {
		panic(err)
	}
	return c
}

// OriginAllowed reports whether a page on origin (the serialized form a
// browser sends in the Origin header) may read responses.
func (c *CORS) OriginAllowed(origin string) bool {
	c = c.resolve()
	return c.allowValue([]string{origin}) != nil
}

// allowValue returns the Access-Control-Allow-Origin value for the Origin
// header values, or nil when the origin is not allowed. It does not
// allocate: a configured origin has its value ready, and a wildcard match
// reflects the request's own slice (capped, so an append elsewhere cannot
// write into the request).
func (c *CORS) allowValue(origins []string) []string {
	if len(origins) != 1 {
		return nil // several Origin lines: not something a browser sends
	}
	if c.any {
		return c.star
	}
	o := origins[0]
	if v, ok := c.exact[o]; ok {
		return v
	}
	if o == "null" {
		if c.allowNull {
			return origins[:1:1]
		}
		return nil
	}
	if c.matchesWildcard(o) {
		return origins[:1:1]
	}
	return nil
}

// matchesWildcard reports whether origin is allowed by a wildcard pattern.
func (c *CORS) matchesWildcard(origin string) bool {
	for i := range c.wildcards {
		if c.wildcards[i].match(origin) {
			return true
		}
	}
	return false
}

// exactOrigins returns the configured exact origins.
func (c *CORS) exactOrigins() []string {
	out := make([]string, 0, len(c.exact))
	for o := range c.exact {
		out = append(out, o)
	}
	return out
}

// addVary adds the line v[0] to Vary unless it is there. A Vary slice
// already in the map may be shared by other responses (this package's own
// values are), so it is never appended to in place.
func addVary(h http.Header, v []string) {
	old := h["Vary"]
	if len(old) == 0 {
		h["Vary"] = v
		return
	}
	for _, x := range old {
		if x == v[0] {
			return
		}
	}
	h["Vary"] = append(old[:len(old):len(old)], v[0])
}

// Handler returns next wrapped with CORS.
func (c *CORS) Handler(next http.Handler) http.Handler {
	c = c.resolve()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origins, hasOrigin := r.Header["Origin"]
		if r.Method == http.MethodOptions && hasOrigin && len(r.Header[acrm]) > 0 {
			c.preflight(w, r, origins)
			return
		}
		h := w.Header()
		if c.any {
			// Sent with or without Origin, so the response does not depend
			// on it and needs no Vary.
			h[acao] = c.star
			if c.expose != nil {
				h[aceh] = c.expose
			}
			next.ServeHTTP(w, r)
			return
		}
		addVary(h, c.vary)
		if hasOrigin {
			if v := c.allowValue(origins); v != nil {
				h[acao] = v
				if c.credentials {
					h[acac] = c.trueValue
				}
				if c.expose != nil {
					h[aceh] = c.expose
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (c *CORS) preflight(w http.ResponseWriter, r *http.Request, origins []string) {
	h := w.Header()
	addVary(h, c.varyPre)
	v := c.allowValue(origins)
	if v == nil {
		c.refuse(w, r, ErrOriginNotAllowed)
		return
	}
	methods := r.Header[acrm]
	if len(methods) != 1 || !c.methodAllowed(methods[0]) {
		c.refuse(w, r, ErrMethodNotAllowed)
		return
	}
	requested, ok := c.headersAllowed(r.Header[acrh])
	if !ok {
		c.refuse(w, r, ErrHeaderNotAllowed)
		return
	}
	h[acao] = v
	if c.credentials {
		h[acac] = c.trueValue
	}
	h[acam] = c.methodsHdr
	if requested && c.headersHdr != nil {
		h[acah] = c.headersHdr
	}
	h[acma] = c.maxAge
	w.WriteHeader(http.StatusNoContent)
}

func (c *CORS) refuse(w http.ResponseWriter, r *http.Request, err error) {
	c.logger.DebugContext(r.Context(), "secure: CORS preflight refused", "error", err, "origin", r.Header.Get("Origin"))
	c.onError(w, r, err)
}

// fetchNormalizedMethod reports whether browsers uppercase method m (given
// uppercase) before sending it, as Fetch normalizes DELETE, GET, HEAD,
// OPTIONS, POST and PUT. Other methods, PATCH included, are sent as written.
func fetchNormalizedMethod(m string) bool {
	switch m {
	case http.MethodDelete, http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPost, http.MethodPut:
		return true
	}
	return false
}

func (c *CORS) methodAllowed(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost:
		return true
	}
	for _, x := range c.methods {
		if x == m {
			return true
		}
	}
	return false
}

// headersAllowed checks every name of every Access-Control-Request-Headers
// line (browsers send one lowercase, sorted line; proxies and other clients
// may split it). It reports whether any name was requested, and whether all
// are allowed.
func (c *CORS) headersAllowed(lines []string) (requested, ok bool) {
	n := 0
	for _, line := range lines {
		for line != "" {
			var name string
			if i := strings.IndexByte(line, ','); i >= 0 {
				name, line = line[:i], line[i+1:]
			} else {
				name, line = line, ""
			}
			name = strings.Trim(name, " \t")
			if name == "" {
				continue
			}
			if n++; n > maxRequestedHeaders {
				return true, false
			}
			requested = true
			found := false
			for _, a := range c.headers {
				if asciiEqualFold(a, name) {
					found = true
					break
				}
			}
			if !found {
				return true, false
			}
		}
	}
	return requested, true
}
