package secure

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chainsync/middleware/internal/clientip"
)

// Header names set by [Headers].
const (
	headerCSP           = "Content-Security-Policy"
	headerCSPReportOnly = "Content-Security-Policy-Report-Only"
	headerHSTS          = "Strict-Transport-Security"
)

// managedHeaders returns the canonical names of the headers [Headers] sets.
func managedHeaders() []string {
	return []string{
		headerCSP, headerCSPReportOnly, headerHSTS,
		"Cross-Origin-Embedder-Policy", "Cross-Origin-Opener-Policy", "Cross-Origin-Resource-Policy",
		"Origin-Agent-Cluster", "Permissions-Policy", "Referrer-Policy", "Reporting-Endpoints",
		"X-Content-Type-Options", "X-Dns-Prefetch-Control", "X-Download-Options", "X-Frame-Options",
		"X-Permitted-Cross-Domain-Policies", "X-Xss-Protection",
	}
}

// HeadersOptions configure [NewHeaders]. The zero value is the API preset
// ([APIHeaders]): every header below at its default, with the CSP
// [APIPolicy].
type HeadersOptions struct {
	// CSP is the Content-Security-Policy. Default [APIPolicy]
	// (default-src 'none'; frame-ancestors 'none'); [WebPageHeaders] uses
	// [WebPolicy]. When the policy has no frame-ancestors directive, one
	// matching FrameOptions is added. A policy containing [RequestNonce]
	// gets a fresh nonce per request, readable with [Nonce].
	CSP CSP
	// CSPReportOnly sends CSP as Content-Security-Policy-Report-Only: the
	// browser reports violations (see [CSP.ReportTo]) but blocks nothing.
	// Default false (enforced).
	CSPReportOnly bool
	// ReportOnlyCSP, when not empty, is sent as
	// Content-Security-Policy-Report-Only next to the enforced CSP, to try
	// a stricter policy before enforcing it. Default none. It cannot be
	// combined with CSPReportOnly.
	ReportOnlyCSP CSP
	// DisableCSP sends no Content-Security-Policy. Default false.
	DisableCSP bool
	// ReportingEndpoints maps endpoint names (used by [CSP.ReportTo]) to
	// URLs, sent as the Reporting-Endpoints header. Default none.
	ReportingEndpoints map[string]string

	// HSTSMaxAge is the max-age of Strict-Transport-Security. Default one
	// year (365 days). Whole seconds; at least one second.
	HSTSMaxAge time.Duration
	// HSTSExcludeSubDomains drops includeSubDomains. Default false:
	// subdomains are covered.
	HSTSExcludeSubDomains bool
	// HSTSPreload adds preload, asking browsers to ship the host in their
	// built-in HSTS list. Hard to undo, so off by default; it requires
	// HSTSMaxAge of at least a year and includeSubDomains.
	HSTSPreload bool
	// DisableHSTS sends no Strict-Transport-Security. Default false. HSTS
	// is only ever sent on requests that arrived over HTTPS (see
	// TrustedProxies): browsers ignore it over plain HTTP.
	DisableHSTS bool
	// TrustedProxies are the proxies whose X-Forwarded-Proto or Forwarded
	// proto=https is believed when deciding whether a request arrived over
	// HTTPS (for HSTS and RedirectHTTPS). Default none: only a TLS
	// connection to this server counts. Configure it like ratelimit's.
	TrustedProxies []netip.Prefix

	// FrameOptions is X-Frame-Options: "DENY" (the default) or
	// "SAMEORIGIN".
	FrameOptions string
	// ReferrerPolicy is Referrer-Policy. Default "no-referrer".
	ReferrerPolicy string
	// CrossOriginOpenerPolicy is Cross-Origin-Opener-Policy. Default
	// "same-origin".
	CrossOriginOpenerPolicy string
	// CrossOriginResourcePolicy is Cross-Origin-Resource-Policy. Default
	// "same-origin". APIs read by browsers on other origins through CORS
	// do not need "cross-origin" here: CORP does not apply to CORS
	// requests.
	CrossOriginResourcePolicy string
	// CrossOriginEmbedderPolicy is Cross-Origin-Embedder-Policy:
	// "require-corp" or "credentialless". Default none (not sent): it
	// breaks pages that embed cross-origin resources without CORP/CORS.
	CrossOriginEmbedderPolicy string
	// PermissionsPolicy is Permissions-Policy. Default
	// [DefaultPermissionsPolicy].
	PermissionsPolicy PermissionsPolicy
	// Omit lists headers of this middleware not to send at all (for
	// example "X-Download-Options"). Default none. Unknown names are an
	// error.
	Omit []string

	// AllowedHosts, when not empty, are the only Host values served; other
	// requests get 400 problem+json (ErrHostNotAllowed). An entry without
	// a port matches any port; matching is case-insensitive. Default
	// empty: any host.
	AllowedHosts []string
	// RedirectHTTPS answers requests that did not arrive over HTTPS with a
	// 308 redirect to the same URL on https. Default false. Set
	// AllowedHosts too, so the redirect never points at a Host the client
	// made up.
	RedirectHTTPS bool
	// HTTPSPort is the port of the redirect target. Default 443.
	HTTPSPort int

	// ErrorHandler answers rejected requests (ErrHostNotAllowed). Default:
	// 400 application/problem+json.
	ErrorHandler ErrorHandler
	// Logger receives a debug record per rejected request. Default
	// slog.Default().
	Logger *slog.Logger
}

// APIHeaders returns the options for JSON APIs: the zero value, spelled out
// (CSP default-src 'none'; frame-ancestors 'none').
func APIHeaders() HeadersOptions {
	return HeadersOptions{CSP: APIPolicy()}
}

// WebPageHeaders returns the options for HTML pages served from one
// origin: [WebPolicy] as CSP, the other headers at their defaults.
func WebPageHeaders() HeadersOptions {
	return HeadersOptions{CSP: WebPolicy()}
}

// Headers sets security response headers. Every value is computed once by
// [NewHeaders]; a request without a CSP nonce costs no allocation. The zero
// Headers behaves as NewHeaders(HeadersOptions{}). It is safe for
// concurrent use.
//
// The header values are shared between responses: a handler may replace
// them (Header().Set) or add to them (Header().Add), but must not write
// into the slices it finds in the header map.
type Headers struct {
	static      []headerValue
	hsts        []string
	resolver    *clientip.Resolver
	needHTTPS   bool
	nonceParts  []string // CSP split around RequestNonce, when it is used
	nonceHeader string
	hosts       []string // lowercase; with ":port" when the entry has one
	redirect    bool
	httpsPort   string // "" for 443
	onError     ErrorHandler
	logger      *slog.Logger

	ready bool          // built by NewHeaders
	zero  lazy[Headers] // the defaults, for a zero Headers
}

type headerValue struct {
	key   string
	value []string
}

type nonceKey struct{}

// Nonce returns the CSP nonce of the request whose context is ctx, for
// <script nonce="..."> and <style nonce="..."> in templates; "" when the
// policy uses no [RequestNonce]. The value is 128 random bits in unpadded
// base64url (22 letters, digits, '-' and '_'), which html/template writes
// into an attribute unescaped.
func Nonce(ctx context.Context) string {
	if st, _ := ctx.Value(nonceKey{}).(*nonceState); st != nil {
		return st.nonce
	}
	return ""
}

// nonceState is the per-request value of a nonce policy, one allocation
// holding the header line and the nonce (a substring of it).
type nonceState struct {
	header [1]string
	nonce  string
}

func referrerPolicies() []string {
	return []string{"no-referrer", "no-referrer-when-downgrade", "origin", "origin-when-cross-origin",
		"same-origin", "strict-origin", "strict-origin-when-cross-origin", "unsafe-url"}
}

func pick(name, v, def string, allowed []string) (string, error) {
	if v == "" {
		return def, nil
	}
	if !slices.Contains(allowed, v) {
		return "", optionsError("%s %q: want one of %s", name, v, strings.Join(allowed, ", "))
	}
	return v, nil
}

// NewHeaders validates o and returns the middleware.
func NewHeaders(o HeadersOptions) (*Headers, error) {
	h := &Headers{onError: handlerOr(o.ErrorHandler), logger: loggerOr(o.Logger), redirect: o.RedirectHTTPS}
	omit := map[string]bool{}
	for _, name := range o.Omit {
		c := textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name))
		if !slices.Contains(managedHeaders(), c) {
			return nil, optionsError("Omit: %q is not a header this middleware sets", name)
		}
		omit[c] = true
	}
	if o.DisableCSP {
		omit[headerCSP], omit[headerCSPReportOnly] = true, true
	}
	if o.DisableHSTS {
		omit[headerHSTS] = true
	}
	add := func(key, value string) {
		if !omit[key] {
			h.static = append(h.static, headerValue{key, one(value)})
		}
	}

	fo, err := pick("FrameOptions", strings.ToUpper(o.FrameOptions), "DENY", []string{"DENY", "SAMEORIGIN"})
	if err != nil {
		return nil, err
	}

	// Content-Security-Policy.
	if o.CSPReportOnly && !o.ReportOnlyCSP.IsZero() {
		return nil, optionsError("CSPReportOnly and ReportOnlyCSP cannot be combined")
	}
	csp := o.CSP
	if csp.IsZero() {
		csp = APIPolicy()
	}
	if _, ok := csp.Sources(FrameAncestors); !ok {
		if fo == "DENY" {
			csp = csp.Set(FrameAncestors, None)
		} else {
			csp = csp.Set(FrameAncestors, Self)
		}
	}
	cspHeader := headerCSP
	if o.CSPReportOnly {
		cspHeader = headerCSPReportOnly
	}
	if !omit[cspHeader] {
		v, err := csp.Build()
		if err != nil {
			return nil, optionsError("CSP: %v", err)
		}
		if csp.UsesNonce() {
			h.nonceParts = strings.Split(v, string(RequestNonce))
			h.nonceHeader = cspHeader
		} else {
			add(cspHeader, v)
		}
	}
	if !o.ReportOnlyCSP.IsZero() && !omit[headerCSPReportOnly] {
		if o.ReportOnlyCSP.UsesNonce() {
			return nil, optionsError("ReportOnlyCSP: RequestNonce is supported in CSP only")
		}
		v, err := o.ReportOnlyCSP.Build()
		if err != nil {
			return nil, optionsError("ReportOnlyCSP: %v", err)
		}
		add(headerCSPReportOnly, v)
	}

	// Strict-Transport-Security.
	if o.HSTSPreload && omit[headerHSTS] {
		return nil, optionsError("HSTSPreload asks for HSTS, which DisableHSTS or Omit turns off")
	}
	if !omit[headerHSTS] {
		maxAge := o.HSTSMaxAge
		if maxAge == 0 {
			maxAge = 365 * 24 * time.Hour
		}
		if maxAge < time.Second {
			return nil, optionsError("HSTSMaxAge %v: want at least one second (DisableHSTS turns HSTS off)", o.HSTSMaxAge)
		}
		v := "max-age=" + strconv.FormatInt(int64(maxAge/time.Second), 10)
		if !o.HSTSExcludeSubDomains {
			v += "; includeSubDomains"
		}
		if o.HSTSPreload {
			if maxAge < 365*24*time.Hour || o.HSTSExcludeSubDomains {
				return nil, optionsError("HSTSPreload requires HSTSMaxAge of at least a year and includeSubDomains")
			}
			v += "; preload"
		}
		h.hsts = one(v)
	}

	coep, err := pick("CrossOriginEmbedderPolicy", o.CrossOriginEmbedderPolicy, "", []string{"require-corp", "credentialless", "unsafe-none"})
	if err != nil {
		return nil, err
	}
	if coep != "" {
		add("Cross-Origin-Embedder-Policy", coep)
	}
	coop, err := pick("CrossOriginOpenerPolicy", o.CrossOriginOpenerPolicy, "same-origin",
		[]string{"same-origin", "same-origin-allow-popups", "noopener-allow-popups", "unsafe-none"})
	if err != nil {
		return nil, err
	}
	add("Cross-Origin-Opener-Policy", coop)
	corp, err := pick("CrossOriginResourcePolicy", o.CrossOriginResourcePolicy, "same-origin", []string{"same-origin", "same-site", "cross-origin"})
	if err != nil {
		return nil, err
	}
	add("Cross-Origin-Resource-Policy", corp)
	add("Origin-Agent-Cluster", "?1")

	pp := o.PermissionsPolicy
	if pp.IsZero() {
		pp = DefaultPermissionsPolicy()
	}
	ppv, err := pp.Build()
	if err != nil {
		return nil, optionsError("PermissionsPolicy: %v", err)
	}
	add("Permissions-Policy", ppv)

	rp := "no-referrer"
	if o.ReferrerPolicy != "" {
		for _, t := range strings.Split(o.ReferrerPolicy, ",") {
			if !slices.Contains(referrerPolicies(), strings.TrimSpace(t)) {
				return nil, optionsError("ReferrerPolicy %q: want one of %s", o.ReferrerPolicy, strings.Join(referrerPolicies(), ", "))
			}
		}
		rp = o.ReferrerPolicy
	}
	add("Referrer-Policy", rp)

	if len(o.ReportingEndpoints) > 0 {
		names := make([]string, 0, len(o.ReportingEndpoints))
		for n := range o.ReportingEndpoints {
			names = append(names, n)
		}
		slices.Sort(names)
		var b strings.Builder
		for i, n := range names {
			u := o.ReportingEndpoints[n]
			if !validFeature(n) {
				return nil, optionsError("ReportingEndpoints: invalid endpoint name %q", n)
			}
			if !validReportURL(u) {
				return nil, optionsError("ReportingEndpoints: %q: want an https URL or a path starting with /", n)
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(n + `="` + u + `"`)
		}
		add("Reporting-Endpoints", b.String())
	}

	add("X-Content-Type-Options", "nosniff")
	add("X-Dns-Prefetch-Control", "off")
	add("X-Download-Options", "noopen")
	add("X-Frame-Options", fo)
	add("X-Permitted-Cross-Domain-Policies", "none")
	add("X-Xss-Protection", "0")

	// Hosts and HTTPS.
	for _, a := range o.AllowedHosts {
		a = strings.ToLower(strings.TrimSpace(a))
		if a == "" || strings.ContainsAny(a, "/@ \t*") {
			return nil, optionsError("AllowedHosts: invalid host %q", a)
		}
		h.hosts = append(h.hosts, a)
	}
	switch {
	case o.HTTPSPort == 0, o.HTTPSPort == 443:
	case o.HTTPSPort < 0 || o.HTTPSPort > 65535:
		return nil, optionsError("HTTPSPort %d out of range", o.HTTPSPort)
	default:
		h.httpsPort = strconv.Itoa(o.HTTPSPort)
	}
	h.needHTTPS = h.hsts != nil || h.redirect
	h.resolver, err = clientip.New(clientip.Options{TrustedProxies: o.TrustedProxies})
	if err != nil {
		return nil, optionsError("TrustedProxies: %v", err)
	}
	h.ready = true
	return h, nil
}

// resolve returns h, or for a zero Headers the defaults of NewHeaders.
func (h *Headers) resolve() *Headers {
	if h.ready {
		return h
	}
	return h.zero.get(func() *Headers { return MustHeaders(HeadersOptions{}) })
}

// MustHeaders is like [NewHeaders] but panics on invalid options. Use it
// for options fixed in code.
func MustHeaders(o HeadersOptions) *Headers {
	h, err := NewHeaders(o)
	if err != nil {
		panic(err)
	}
	return h
}

// Handler returns next wrapped with the headers.
func (h *Headers) Handler(next http.Handler) http.Handler {
	h = h.resolve()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		for _, kv := range h.static {
			hdr[kv.key] = kv.value
		}
		if h.hosts != nil && !h.hostAllowed(r.Host) {
			h.logger.DebugContext(r.Context(), "secure: host not allowed", "host", r.Host)
			h.onError(w, r, ErrHostNotAllowed)
			return
		}
		if h.needHTTPS {
			if h.resolver.IsHTTPS(r) {
				if h.hsts != nil {
					hdr[headerHSTS] = h.hsts
				}
			} else if h.redirect {
				h.redirectHTTPS(w, r)
				return
			}
		}
		if h.nonceParts != nil {
			st := h.newNonceState()
			hdr[h.nonceHeader] = st.header[:1:1]
			r = r.WithContext(context.WithValue(r.Context(), nonceKey{}, st))
		}
		next.ServeHTTP(w, r)
	})
}

// nonceLen is the length of a nonce: 128 random bits in unpadded base64url.
const nonceLen = 22

// newNonceState draws a nonce and writes the policy with it.
func (h *Headers) newNonceState() *nonceState {
	var raw [16]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never fails
	var enc [nonceLen]byte
	base64.RawURLEncoding.Encode(enc[:], raw[:])
	n := (len(h.nonceParts) - 1) * len("'nonce-"+"'"+string(enc[:]))
	for _, p := range h.nonceParts {
		n += len(p)
	}
	var b strings.Builder
	b.Grow(n)
	at := 0
	for i, p := range h.nonceParts {
		if i > 0 {
			b.WriteString("'nonce-")
			at = b.Len()
			b.Write(enc[:])
			b.WriteByte('\'')
		}
		b.WriteString(p)
	}
	st := &nonceState{}
	st.header[0] = b.String()
	st.nonce = st.header[0][at : at+nonceLen]
	return st
}

func (h *Headers) hostAllowed(host string) bool {
	name := host
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		if port := host[i+1:]; port != "" && !isDigits(port) {
			return false // not host[:port]
		}
		name = host[:i]
	}
	for _, a := range h.hosts {
		if asciiEqualFold(a, host) || asciiEqualFold(a, name) {
			return true
		}
	}
	return false
}

func (h *Headers) redirectHTTPS(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	if name, _, err := net.SplitHostPort(host); err == nil {
		host = name
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
	}
	if host == "" {
		h.onError(w, r, ErrHostNotAllowed)
		return
	}
	if h.httpsPort != "" {
		host += ":" + h.httpsPort
	}
	uri := r.URL.RequestURI()
	if !strings.HasPrefix(uri, "/") { // OPTIONS *
		uri = "/"
	}
	http.Redirect(w, r, "https://"+host+uri, http.StatusPermanentRedirect)
}

// validReportURL: browsers only deliver reports to potentially trustworthy
// URLs, so accept https (http only for loopback) or a path on this origin.
func validReportURL(s string) bool {
	if !validValueChars(s) || strings.ContainsAny(s, `"\`) {
		return false
	}
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "":
		return u.Host == "" && strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//")
	case "https":
		return u.Host != ""
	case "http":
		return isLoopbackHost(u.Hostname())
	}
	return false
}
