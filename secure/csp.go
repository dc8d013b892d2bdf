package secure

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"strings"
)

// Directive is the name of a Content-Security-Policy directive. The
// constants cover CSP Level 3; any other lowercase name made of letters,
// digits and hyphens is accepted too, with its values checked only for
// characters that would break the header.
type Directive string

// CSP directives.
const (
	DefaultSrc              Directive = "default-src"
	ScriptSrc               Directive = "script-src"
	ScriptSrcElem           Directive = "script-src-elem"
	ScriptSrcAttr           Directive = "script-src-attr"
	StyleSrc                Directive = "style-src"
	StyleSrcElem            Directive = "style-src-elem"
	StyleSrcAttr            Directive = "style-src-attr"
	ImgSrc                  Directive = "img-src"
	ConnectSrc              Directive = "connect-src"
	FontSrc                 Directive = "font-src"
	ObjectSrc               Directive = "object-src"
	MediaSrc                Directive = "media-src"
	FrameSrc                Directive = "frame-src"
	ChildSrc                Directive = "child-src"
	WorkerSrc               Directive = "worker-src"
	ManifestSrc             Directive = "manifest-src"
	FencedFrameSrc          Directive = "fenced-frame-src"
	BaseURI                 Directive = "base-uri"
	FormAction              Directive = "form-action"
	FrameAncestors          Directive = "frame-ancestors"
	Sandbox                 Directive = "sandbox"
	UpgradeInsecureRequests Directive = "upgrade-insecure-requests"
	ReportTo                Directive = "report-to"
	ReportURI               Directive = "report-uri"
	RequireTrustedTypesFor  Directive = "require-trusted-types-for"
	TrustedTypes            Directive = "trusted-types"
)

// Source is one entry of a CSP source list: a keyword constant (already
// quoted), a scheme ("https:", "data:"), a host ("https://cdn.example",
// "*.chainsync.example", "api.example:8443/v1/"), a hash made by
// [HashSHA256] or [HashSource], or [RequestNonce].
//
// Unquoted keywords are refused when a policy is built: "self" would mean a
// host named self, which is never what was meant.
type Source string

// CSP keyword sources, quoted as the header requires.
const (
	Self           Source = "'self'"
	None           Source = "'none'"
	UnsafeInline   Source = "'unsafe-inline'"
	UnsafeEval     Source = "'unsafe-eval'"
	UnsafeHashes   Source = "'unsafe-hashes'"
	StrictDynamic  Source = "'strict-dynamic'"
	ReportSample   Source = "'report-sample'"
	WasmUnsafeEval Source = "'wasm-unsafe-eval'"
	// RequestNonce stands for a fresh nonce per request: the [Headers]
	// middleware replaces it with 'nonce-<random>' and makes the value
	// available to templates through [Nonce]. It may appear in
	// default-src and the script and style directives.
	RequestNonce Source = "'nonce'"
)

// Scheme sources.
const (
	HTTPS Source = "https:"
	Data  Source = "data:"
	Blob  Source = "blob:"
)

// HashSHA256 returns the 'sha256-...' source that allows the inline script
// or style whose exact text is content.
func HashSHA256(content string) Source {
	sum := sha256.Sum256([]byte(content))
	return Source("'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'")
}

// HashSource returns the source for a digest computed elsewhere. algorithm
// is "sha256", "sha384" or "sha512"; a digest of the wrong length is
// reported when the policy is built.
func HashSource(algorithm string, digest []byte) Source {
	return Source("'" + algorithm + "-" + base64.StdEncoding.EncodeToString(digest) + "'")
}

// CSP is a Content-Security-Policy under construction. Its methods return a
// modified copy and never change the receiver, so a preset can be shared
// and extended safely:
//
//	p := secure.WebPolicy().Add(secure.ImgSrc, "https://images.chainsync.example")
//
// The zero CSP is empty. Errors (an unquoted keyword, a character that would
// split the header, 'none' next to other sources) are reported by
// [CSP.Build] and by the constructors that take a CSP.
type CSP struct {
	dirs []cspDirective
}

type cspDirective struct {
	name   Directive
	values []string
}

// APIPolicy returns the policy for API responses, which are never rendered
// as documents: default-src 'none'; frame-ancestors 'none'.
func APIPolicy() CSP {
	return CSP{}.Set(DefaultSrc, None).Set(FrameAncestors, None)
}

// WebPolicy returns a policy for web pages served from one origin, stricter
// than helmet's default: no inline styles, no framing, no plugins, forms and
// <base> restricted to the origin, and insecure subresources upgraded.
//
//	default-src 'self'; base-uri 'self'; font-src 'self'; form-action 'self';
//	frame-ancestors 'none'; img-src 'self' data:; object-src 'none';
//	script-src 'self'; script-src-attr 'none'; style-src 'self';
//	upgrade-insecure-requests
func WebPolicy() CSP {
	return CSP{}.
		Set(DefaultSrc, Self).
		Set(BaseURI, Self).
		Set(FontSrc, Self).
		Set(FormAction, Self).
		Set(FrameAncestors, None).
		Set(ImgSrc, Self, Data).
		Set(ObjectSrc, None).
		Set(ScriptSrc, Self).
		Set(ScriptSrcAttr, None).
		Set(StyleSrc, Self).
		UpgradeInsecureRequests()
}

func (c CSP) put(d Directive, values []string) CSP {
	return CSP{dirs: putEntry(c.dirs, cspDirective{d, values}, func(x cspDirective) bool { return x.name == d })}
}

func sourcesToStrings(sources []Source) []string {
	out := make([]string, len(sources))
	for i, s := range sources {
		out[i] = string(s)
	}
	return out
}

// Set returns a copy of c with directive d set to exactly sources,
// replacing any earlier value and keeping its position.
func (c CSP) Set(d Directive, sources ...Source) CSP {
	return c.put(d, sourcesToStrings(sources))
}

// Add returns a copy of c with sources appended to directive d (which is
// created if absent). Adding to a directive that is 'none' replaces 'none'.
func (c CSP) Add(d Directive, sources ...Source) CSP {
	var values []string
	for _, x := range c.dirs {
		if x.name == d {
			for _, v := range x.values {
				if !strings.EqualFold(v, string(None)) {
					values = append(values, v)
				}
			}
		}
	}
	return c.put(d, append(values, sourcesToStrings(sources)...))
}

// Remove returns a copy of c without directive d.
func (c CSP) Remove(d Directive) CSP {
	return CSP{dirs: removeEntry(c.dirs, func(x cspDirective) bool { return x.name == d })}
}

// Sources returns the values of directive d and whether it is present.
func (c CSP) Sources(d Directive) ([]Source, bool) {
	for _, x := range c.dirs {
		if x.name == d {
			out := make([]Source, len(x.values))
			for i, v := range x.values {
				out[i] = Source(v)
			}
			return out, true
		}
	}
	return nil, false
}

// Directives returns the directive names of c in order.
func (c CSP) Directives() []Directive {
	out := make([]Directive, len(c.dirs))
	for i, x := range c.dirs {
		out[i] = x.name
	}
	return out
}

// IsZero reports whether c has no directives.
func (c CSP) IsZero() bool { return len(c.dirs) == 0 }

// UsesNonce reports whether c contains [RequestNonce].
func (c CSP) UsesNonce() bool {
	for _, x := range c.dirs {
		for _, v := range x.values {
			if v == string(RequestNonce) {
				return true
			}
		}
	}
	return false
}

// ReportTo returns a copy of c whose violations are reported to the
// Reporting API endpoint named group (declared with
// [HeadersOptions.ReportingEndpoints]).
func (c CSP) ReportTo(group string) CSP { return c.put(ReportTo, []string{group}) }

// ReportURI returns a copy of c whose violations are POSTed to uris (the
// older mechanism; browsers that know report-to ignore it when both are
// present).
func (c CSP) ReportURI(uris ...string) CSP {
	return c.put(ReportURI, append([]string(nil), uris...))
}

// UpgradeInsecureRequests returns a copy of c with
// upgrade-insecure-requests.
func (c CSP) UpgradeInsecureRequests() CSP { return c.put(UpgradeInsecureRequests, nil) }

// Sandbox returns a copy of c with the sandbox directive and the given
// allow-* flags (none: the strictest sandbox).
func (c CSP) Sandbox(flags ...string) CSP {
	return c.put(Sandbox, append([]string(nil), flags...))
}

// String returns the policy as a header value, without validating it. Use
// [CSP.Build] to get errors.
func (c CSP) String() string {
	var b strings.Builder
	for i, x := range c.dirs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(string(x.name))
		for _, v := range x.values {
			b.WriteByte(' ')
			b.WriteString(v)
		}
	}
	return b.String()
}

// Build validates c and returns the header value. [RequestNonce] is kept as
// the placeholder 'nonce'; the [Headers] middleware replaces it per request.
func (c CSP) Build() (string, error) {
	if len(c.dirs) == 0 {
		return "", fmt.Errorf("secure: empty Content-Security-Policy")
	}
	for _, x := range c.dirs {
		if err := validateDirective(x.name, x.values); err != nil {
			return "", err
		}
	}
	return c.String(), nil
}

// ParseCSP parses one serialized policy, as found in configuration, and
// validates it like [CSP.Build]. Directive names are case-insensitive;
// a directive given twice, or a comma (which would start a second policy),
// is an error.
func ParseCSP(s string) (CSP, error) {
	if strings.IndexByte(s, ',') >= 0 {
		return CSP{}, fmt.Errorf("secure: CSP: a comma separates two policies; give one")
	}
	var c CSP
	seen := map[Directive]bool{}
	for _, part := range strings.Split(s, ";") {
		fields := strings.FieldsFunc(part, isCSPSpace)
		if len(fields) == 0 {
			continue
		}
		name := Directive(strings.ToLower(fields[0]))
		if seen[name] {
			return CSP{}, fmt.Errorf("secure: CSP: directive %q given twice", name)
		}
		seen[name] = true
		c.dirs = append(c.dirs, cspDirective{name: name, values: fields[1:]})
	}
	if _, err := c.Build(); err != nil {
		return CSP{}, err
	}
	return c, nil
}

func isCSPSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' }

type directiveKind uint8

const (
	kindOther directiveKind = iota
	kindSources
	kindAncestors
	kindNoValue
	kindSandbox
	kindReportURI
	kindReportTo
	kindRequireTT
	kindTrustedTypes
)

func kindOf(d Directive) directiveKind {
	switch d {
	case DefaultSrc, ScriptSrc, ScriptSrcElem, ScriptSrcAttr, StyleSrc, StyleSrcElem, StyleSrcAttr,
		ImgSrc, ConnectSrc, FontSrc, ObjectSrc, MediaSrc, FrameSrc, ChildSrc, WorkerSrc, ManifestSrc,
		FencedFrameSrc, BaseURI, FormAction:
		return kindSources
	case FrameAncestors:
		return kindAncestors
	case UpgradeInsecureRequests, "block-all-mixed-content":
		return kindNoValue
	case Sandbox:
		return kindSandbox
	case ReportURI:
		return kindReportURI
	case ReportTo:
		return kindReportTo
	case RequireTrustedTypesFor:
		return kindRequireTT
	case TrustedTypes:
		return kindTrustedTypes
	}
	return kindOther
}

func nonceAllowed(d Directive) bool {
	switch d {
	case DefaultSrc, ScriptSrc, ScriptSrcElem, StyleSrc, StyleSrcElem:
		return true
	}
	return false
}

func isSandboxFlag(f string) bool {
	switch f {
	case "allow-downloads", "allow-forms", "allow-modals", "allow-orientation-lock", "allow-pointer-lock",
		"allow-popups", "allow-popups-to-escape-sandbox", "allow-presentation", "allow-same-origin",
		"allow-scripts", "allow-storage-access-by-user-activation", "allow-top-navigation",
		"allow-top-navigation-by-user-activation", "allow-top-navigation-to-custom-protocols":
		return true
	}
	return false
}

// isKeyword reports whether k (lowercase, quoted) is a CSP keyword source.
func isKeyword(k string) bool {
	switch k {
	case "'self'", "'none'", "'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "'strict-dynamic'",
		"'report-sample'", "'wasm-unsafe-eval'", "'unsafe-allow-redirects'", "'inline-speculation-rules'":
		return true
	}
	return false
}

// validValueChars reports whether v is non-empty and made only of visible
// ASCII other than ';' and ',' (which would end the directive or the
// policy).
func validValueChars(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c <= ' ' || c >= 0x7f || c == ';' || c == ',' {
			return false
		}
	}
	return true
}

func validDirectiveName(d Directive) bool {
	if d == "" {
		return false
	}
	for i := 0; i < len(d); i++ {
		c := d[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func validateDirective(d Directive, values []string) error {
	if !validDirectiveName(d) {
		return fmt.Errorf("secure: CSP: invalid directive name %q (lowercase letters, digits and '-')", d)
	}
	for _, v := range values {
		if !validValueChars(v) {
			return fmt.Errorf("secure: CSP: %s: invalid value %q (empty, or a space, control character, ';' or ',')", d, v)
		}
	}
	switch kindOf(d) {
	case kindSources, kindAncestors:
		if len(values) == 0 {
			return fmt.Errorf("secure: CSP: %s has no sources (use secure.None to allow nothing)", d)
		}
		for _, v := range values {
			if err := validateSource(d, v); err != nil {
				return err
			}
			if len(values) > 1 && strings.EqualFold(v, string(None)) {
				return fmt.Errorf("secure: CSP: %s: 'none' must be the only source", d)
			}
		}
	case kindNoValue:
		if len(values) > 0 {
			return fmt.Errorf("secure: CSP: %s takes no value", d)
		}
	case kindSandbox:
		for _, v := range values {
			if !isSandboxFlag(strings.ToLower(v)) {
				return fmt.Errorf("secure: CSP: sandbox: unknown flag %q", v)
			}
		}
	case kindReportURI:
		if len(values) == 0 {
			return fmt.Errorf("secure: CSP: report-uri needs a URI")
		}
	case kindReportTo:
		if len(values) != 1 || !isToken(values[0]) || strings.ContainsAny(values[0], "'") {
			return fmt.Errorf("secure: CSP: report-to takes one endpoint name")
		}
	case kindRequireTT:
		if len(values) != 1 || !strings.EqualFold(values[0], "'script'") {
			return fmt.Errorf("secure: CSP: require-trusted-types-for takes 'script'")
		}
	}
	return nil
}

func validateSource(d Directive, v string) error {
	lower := strings.ToLower(v)
	if v[0] == '\'' {
		switch {
		case len(v) < 3 || v[len(v)-1] != '\'':
			return fmt.Errorf("secure: CSP: %s: unbalanced quote in %q", d, v)
		case v == string(RequestNonce):
			if !nonceAllowed(d) {
				return fmt.Errorf("secure: CSP: %s cannot carry a nonce", d)
			}
			return nil
		case strings.HasPrefix(lower, "'nonce-"):
			return fmt.Errorf("secure: CSP: %s: fixed nonce %q defeats its purpose; use secure.RequestNonce", d, v)
		case strings.HasPrefix(lower, "'sha256-"), strings.HasPrefix(lower, "'sha384-"), strings.HasPrefix(lower, "'sha512-"):
			if d == FrameAncestors {
				return fmt.Errorf("secure: CSP: frame-ancestors takes no hashes")
			}
			return validateHash(d, v)
		case isKeyword(lower):
			if d == FrameAncestors && lower != string(Self) && lower != string(None) {
				return fmt.Errorf("secure: CSP: frame-ancestors takes only 'self', 'none', schemes and hosts, not %s", v)
			}
			return nil
		}
		return fmt.Errorf("secure: CSP: %s: unknown keyword %s", d, v)
	}
	if isKeyword("'" + lower + "'") {
		return fmt.Errorf("secure: CSP: %s: keyword %q must be quoted (use secure.%s)", d, v, keywordConst(lower))
	}
	if v == "*" {
		return nil
	}
	if isSchemeSource(v) {
		return nil
	}
	if !isHostSource(v) {
		return fmt.Errorf("secure: CSP: %s: %q is not a keyword, scheme, host or hash source", d, v)
	}
	return nil
}

func keywordConst(k string) string {
	switch k {
	case "self":
		return "Self"
	case "none":
		return "None"
	case "unsafe-inline":
		return "UnsafeInline"
	case "unsafe-eval":
		return "UnsafeEval"
	case "strict-dynamic":
		return "StrictDynamic"
	case "unsafe-hashes":
		return "UnsafeHashes"
	case "report-sample":
		return "ReportSample"
	case "wasm-unsafe-eval":
		return "WasmUnsafeEval"
	}
	return "Source(\"'" + k + "'\")"
}

func validateHash(d Directive, v string) error {
	inner := v[1 : len(v)-1]
	alg, b64, _ := strings.Cut(inner, "-")
	want := map[string]int{"sha256": sha256.Size, "sha384": sha512.Size384, "sha512": sha512.Size}[strings.ToLower(alg)]
	// CSP accepts base64 and base64url.
	std := strings.NewReplacer("-", "+", "_", "/").Replace(b64)
	raw, err := base64.StdEncoding.DecodeString(std)
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(std)
	}
	if err != nil || len(raw) != want {
		return fmt.Errorf("secure: CSP: %s: malformed hash source %q", d, v)
	}
	return nil
}

// isSchemeSource: scheme ":" with scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
func isSchemeSource(v string) bool {
	if len(v) < 2 || v[len(v)-1] != ':' {
		return false
	}
	return isScheme(v[:len(v)-1])
}

func isScheme(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !isDigit(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isHostSource: [ scheme "://" ] host [ ":" port ] [ path ], with host
// "*" / [ "*." ] 1*host-char *( "." 1*host-char ), port 1*DIGIT / "*".
func isHostSource(v string) bool {
	if i := strings.Index(v, "://"); i >= 0 {
		if !isScheme(v[:i]) {
			return false
		}
		v = v[i+3:]
	}
	host := v
	rest := ""
	if i := strings.IndexAny(v, ":/"); i >= 0 {
		host, rest = v[:i], v[i:]
	}
	if host != "*" {
		h := strings.TrimPrefix(host, "*.")
		if h == "" {
			return false
		}
		for _, label := range strings.Split(h, ".") {
			if label == "" {
				return false
			}
			for i := 0; i < len(label); i++ {
				c := label[i]
				if !isAlpha(c) && !isDigit(c) && c != '-' {
					return false
				}
			}
		}
	}
	if strings.HasPrefix(rest, ":") {
		port := rest[1:]
		if i := strings.IndexByte(port, '/'); i >= 0 {
			port, rest = port[:i], port[i:]
		} else {
			rest = ""
		}
		if port != "*" {
			if port == "" || len(port) > 5 {
				return false
			}
			n := 0
			for i := 0; i < len(port); i++ {
				if !isDigit(port[i]) {
					return false
				}
				n = n*10 + int(port[i]-'0')
			}
			if n > 65535 {
				return false
			}
		}
	}
	if rest != "" && rest[0] != '/' {
		return false
	}
	// The path may hold any visible character but ';' and ',' (checked by
	// validValueChars); quotes would look like a keyword to a reader.
	return !strings.ContainsAny(rest, "'\"")
}
