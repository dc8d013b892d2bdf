package secure

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// ParseOrigins splits a comma-separated list of origins, as written in an
// ALLOWED_ORIGINS variable, trimming spaces and dropping empty entries. It
// does not validate them: [NewCORS] and [NewCSRF] do, with clear errors.
//
//	origins := secure.ParseOrigins(cmp.Or(os.Getenv("ALLOWED_ORIGINS"), "http://localhost:3000"))
func ParseOrigins(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// originPattern is one configured origin: exact, or a wildcard over the
// subdomains of a host ("https://*.chainsync.example").
type originPattern struct {
	exact    string // serialized origin, when not a wildcard
	prefix   string // "https://", for a wildcard
	suffix   string // ".chainsync.example" or ".chainsync.example:8443"
	wildcard bool
	insecure bool // plain http to a host that is not loopback
}

// match reports whether the serialized origin o (as a browser sends it:
// lowercase, no default port) matches the wildcard pattern: o is prefix,
// then one or more DNS labels, then suffix. Nothing else is accepted, so
// "https://evil-chainsync.example" does not match "https://*.chainsync.example"
// and no character can smuggle in a different host or port.
func (p *originPattern) match(o string) bool {
	if len(o) <= len(p.prefix)+len(p.suffix) || !strings.HasPrefix(o, p.prefix) || !strings.HasSuffix(o, p.suffix) {
		return false
	}
	return isDNSLabels(o[len(p.prefix) : len(o)-len(p.suffix)])
}

// isDNSLabels reports whether s is one or more lowercase LDH labels joined by
// single dots, each at most 63 bytes, not starting or ending with '-'.
func isDNSLabels(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			label := s[start:i]
			if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
				return false
			}
			start = i + 1
			continue
		}
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// parseOriginPattern validates a configured origin and returns its
// normalized form: lowercase, without the default port.
func parseOriginPattern(s string) (originPattern, error) {
	if s == "*" || s == "null" {
		return originPattern{}, fmt.Errorf("origin %q is handled by its own option", s)
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return originPattern{}, fmt.Errorf("origin %q: want scheme://host[:port]", s)
	}
	if strings.HasPrefix(rest, "*.") {
		exact, err := checkOrigin(scheme+"://"+rest[2:], s)
		if err != nil {
			return originPattern{}, err
		}
		host := exact[len(scheme)+3:]
		hostname := host
		if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
			hostname = host[:i]
		}
		if strings.HasPrefix(hostname, "[") {
			return originPattern{}, fmt.Errorf("origin %q: a wildcard cannot stand for part of an IP address", s)
		}
		if _, err := netip.ParseAddr(hostname); err == nil {
			return originPattern{}, fmt.Errorf("origin %q: a wildcard cannot stand for part of an IP address", s)
		}
		if !strings.Contains(hostname, ".") {
			return originPattern{}, fmt.Errorf("origin %q: a wildcard needs a registrable domain under it (such as *.chainsync.example), not a top-level domain", s)
		}
		lower := strings.ToLower(scheme)
		return originPattern{
			prefix:   lower + "://",
			suffix:   "." + host,
			wildcard: true,
			insecure: lower == "http" && !isLoopbackHost(hostname),
		}, nil
	}
	exact, err := normalizeOrigin(s)
	if err != nil {
		return originPattern{}, err
	}
	u, _ := url.Parse(exact)
	return originPattern{exact: exact, insecure: u.Scheme == "http" && !isLoopbackHost(u.Hostname())}, nil
}

// normalizeOrigin validates an exact origin scheme://host[:port] and
// returns it as browsers serialize it.
func normalizeOrigin(s string) (string, error) { return checkOrigin(s, s) }

// checkOrigin is normalizeOrigin, with shown as the origin named in errors
// (the configured pattern, for a wildcard).
func checkOrigin(s, shown string) (string, error) {
	if strings.Contains(s, "*") {
		return "", fmt.Errorf("origin %q: '*' is allowed only as the whole leftmost label (https://*.chainsync.example)", shown)
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("origin %q: %v", shown, err)
	}
	s = shown
	switch {
	case u.Scheme == "" || u.Opaque != "":
		return "", fmt.Errorf("origin %q: want scheme://host[:port]", s)
	case u.User != nil:
		return "", fmt.Errorf("origin %q: user info is not part of an origin", s)
	case u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "", fmt.Errorf("origin %q: an origin has no path, query or fragment (not even a trailing slash)", s)
	case u.Host == "" || u.Hostname() == "":
		return "", fmt.Errorf("origin %q: host is required", s)
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") { // IPv6 literal
		a, err := netip.ParseAddr(host)
		if err != nil || a.Zone() != "" {
			return "", fmt.Errorf("origin %q: invalid IPv6 address", s)
		}
		host = "[" + a.String() + "]"
	} else if a, err := netip.ParseAddr(host); err == nil {
		host = a.String()
	} else if !isASCII(host) {
		return "", fmt.Errorf("origin %q: write an internationalized host name in its ASCII form (xn--...), as browsers send it", s)
	} else if strings.HasSuffix(host, ".") {
		return "", fmt.Errorf("origin %q: a trailing dot makes an origin of its own, which browsers send only for URLs written with it; drop the dot", s)
	} else if !isDNSLabels(host) || isDigits(host[strings.LastIndexByte(host, '.')+1:]) {
		// A numeric last label would make a browser read the host as an
		// IPv4 address in some other notation.
		return "", fmt.Errorf("origin %q: invalid host name", s)
	}
	if port := u.Port(); port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '0' {
			return "", fmt.Errorf("origin %q: invalid port", s)
		}
		if !(scheme == "https" && n == 443 || scheme == "http" && n == 80) {
			host += ":" + port
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return "", fmt.Errorf("origin %q: empty port", s)
	}
	return scheme + "://" + host, nil
}

func isLoopbackHost(h string) bool {
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.IsLoopback()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}
