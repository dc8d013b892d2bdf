// Package clientip resolves the client address of a request and whether it
// arrived over HTTPS, trusting forwarding headers only from configured
// proxies. It is the one resolver shared by ratelimit, secure (HSTS behind a
// TLS-terminating proxy) and audit, so all of them are configured the same
// way, with TrustedProxies.
//
// # Trust model
//
// With no trusted proxies (the default) the client is the TCP peer,
// RemoteAddr, and every forwarding header is ignored: any client can write
// X-Forwarded-For, so believing it would let it pick its own rate-limit key
// or audit address.
//
// With trusted proxies, the hops are read from the right: RemoteAddr first,
// then the entries of the forwarding header from last to first. Each hop
// that lies inside a trusted prefix is skipped; the first one that does not
// is the client. Entries to its left were written by the client or by
// untrusted hops and are never read. An entry that is not an IP address
// ("unknown", an obfuscated node, garbage) ends the walk at the trusted
// proxy that forwarded it, which is then taken as the client: a
// misconfigured proxy is not a reason to believe the text. When every hop is
// trusted (a request from inside), the leftmost is the client. At most
// [MaxHops] entries are read; when all of them are trusted, the leftmost of
// those is the client.
//
// The forwarding header is X-Forwarded-For by default; Forwarded (RFC 7239)
// or a single-address header such as X-Real-IP can be chosen instead. Only
// one is read, so a client cannot play two against each other.
//
// IPv4-mapped IPv6 addresses (::ffff:192.0.2.1) are unmapped, so a dual-stack
// listener sees the same client as an IPv4 one.
package clientip

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/textproto"
	"strings"
)

// Header names the resolver understands specially.
const (
	XForwardedFor = "X-Forwarded-For"
	Forwarded     = "Forwarded"
)

// Options configure a [Resolver]. The zero value trusts no proxy: the client
// is RemoteAddr and no header is read.
type Options struct {
	// TrustedProxies are the prefixes of the proxies whose forwarding
	// headers are believed. Default none.
	TrustedProxies []netip.Prefix
	// Header is the forwarding header read when the peer is trusted:
	// "X-Forwarded-For" (the default), "Forwarded", or the name of a header
	// that carries one address, such as "X-Real-IP" or "CF-Connecting-IP",
	// set by the trusted proxy.
	Header string
}

// Resolver resolves client addresses. Its zero value trusts no proxy. It is
// safe for concurrent use.
type Resolver struct {
	trusted []netip.Prefix
	header  string
	mode    mode
}

type mode uint8

const (
	modeXFF mode = iota
	modeForwarded
	modeSingle
)

// New validates o and returns a resolver.
func New(o Options) (*Resolver, error) {
	r := &Resolver{}
	for _, p := range o.TrustedProxies {
		if !p.IsValid() {
			return nil, errors.New("clientip: invalid trusted proxy prefix")
		}
		p = p.Masked()
		if p.Addr().Is4In6() { // ::ffff:10.0.0.0/104 means 10.0.0.0/8
			if p.Bits() < 96 {
				return nil, fmt.Errorf("clientip: trusted proxy prefix %s is wider than the IPv4-mapped range", p)
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		r.trusted = append(r.trusted, p)
	}
	h := textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(o.Header))
	switch h {
	case "", XForwardedFor:
		r.header, r.mode = XForwardedFor, modeXFF
	case Forwarded:
		r.header, r.mode = Forwarded, modeForwarded
	default:
		if strings.ContainsAny(h, " \t:\r\n") {
			return nil, fmt.Errorf("clientip: invalid header name %q", o.Header)
		}
		r.header, r.mode = h, modeSingle
	}
	return r, nil
}

// ParsePrefixes parses CIDR prefixes or bare addresses (taken as /32 or
// /128), as written in a TRUSTED_PROXIES variable, comma- or space-separated.
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("clientip: trusted proxy %q: %w", f, err)
			}
			out = append(out, p)
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("clientip: trusted proxy %q: %w", f, err)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// Trusted reports whether a is inside a trusted proxy prefix.
func (r *Resolver) Trusted(a netip.Addr) bool {
	if r == nil || !a.IsValid() {
		return false
	}
	a = a.Unmap()
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Peer returns the TCP peer address of req (RemoteAddr), unmapped. It is
// the zero Addr when RemoteAddr is not an address (as in some tests).
func Peer(req *http.Request) netip.Addr {
	return parseNode(req.RemoteAddr)
}

// ClientIP returns the client address of req under the trust model of the
// package doc. It is the zero Addr only when RemoteAddr itself is not an
// address.
func (r *Resolver) ClientIP(req *http.Request) netip.Addr {
	peer := Peer(req)
	if r == nil || len(r.trusted) == 0 || !r.Trusted(peer) {
		return peer
	}
	values := req.Header[r.header]
	if len(values) == 0 {
		return peer
	}
	if r.mode == modeSingle {
		// One address, written by the trusted proxy (the last line if the
		// client sent one too).
		if a := parseNode(strings.TrimSpace(values[len(values)-1])); a.IsValid() {
			return a
		}
		return peer
	}
	client := peer
	hops := 0
	// Walk the lines from the last, and each line's entries from the last.
	for i := len(values) - 1; i >= 0; i-- {
		if r.mode == modeForwarded {
			if a, done := r.walkForwarded(values[i], &client, &hops); done {
				return a
			}
			continue
		}
		line := values[i]
		for {
			j := strings.LastIndexByte(line, ',')
			entry := strings.TrimSpace(line[j+1:])
			if j < 0 {
				line = ""
			} else {
				line = line[:j]
			}
			if entry != "" {
				a := parseNode(entry)
				if !a.IsValid() {
					return client // garbage from a trusted hop: stop at that hop
				}
				client = a
				if !r.Trusted(a) {
					return a
				}
				if hops++; hops == MaxHops {
					return client
				}
			}
			if line == "" {
				break
			}
		}
	}
	return client
}

// MaxHops is the most forwarding entries [Resolver.ClientIP] reads, from
// the right; when they are all trusted, the leftmost of them is the client.
// Real chains have a few hops; the bound keeps a request's cost linear in
// its header size.
const MaxHops = 64

// walkForwarded walks one Forwarded line from its last element, updating
// client and hops as ClientIP does; done reports that the walk ended, at a.
// Elements are found in one pass from the left (quoted strings may hold
// commas, so they cannot be found from the right), remembering the last
// MaxHops, so a long line costs linear time, not quadratic.
func (r *Resolver) walkForwarded(line string, client *netip.Addr, hops *int) (a netip.Addr, done bool) {
	var last [MaxHops]string
	n := 0
	for rest, more := line, true; more; n++ {
		var elem string
		elem, rest, more = cutUnquoted(rest, ',')
		last[n%MaxHops] = elem
	}
	for j := n - 1; j >= max(n-MaxHops, 0); j-- {
		if strings.TrimSpace(last[j%MaxHops]) == "" {
			continue // an empty list element, which RFC 9110 says to ignore
		}
		a := parseNode(strings.TrimSpace(forwardedParam(last[j%MaxHops], "for")))
		if !a.IsValid() {
			return *client, true // garbage from a trusted hop: stop at that hop
		}
		*client = a
		if !r.Trusted(a) {
			return a, true
		}
		if *hops++; *hops == MaxHops {
			return a, true
		}
	}
	return netip.Addr{}, false
}

// IsHTTPS reports whether req reached the first proxy (or this server) over
// HTTPS: true when the connection itself is TLS, or when the peer is a
// trusted proxy and its X-Forwarded-Proto (the last value) or the last
// element of Forwarded says proto=https. Without trusted proxies only the
// connection counts.
func (r *Resolver) IsHTTPS(req *http.Request) bool {
	if req.TLS != nil {
		return true
	}
	if r == nil || len(r.trusted) == 0 || !r.Trusted(Peer(req)) {
		return false
	}
	if vs := req.Header["X-Forwarded-Proto"]; len(vs) > 0 {
		last := vs[len(vs)-1]
		if j := strings.LastIndexByte(last, ','); j >= 0 {
			last = last[j+1:]
		}
		return strings.EqualFold(strings.TrimSpace(last), "https")
	}
	if vs := req.Header[Forwarded]; len(vs) > 0 {
		elem, _ := lastElement(vs[len(vs)-1])
		return strings.EqualFold(forwardedParam(elem, "proto"), "https")
	}
	return false
}

// Prefix returns the prefix a client is counted under: an IPv4 address as
// itself (/32), an IPv6 address masked to v6Bits (clamped to 1..128; 0 means
// the default 64), since one IPv6 subscriber usually holds a whole /64.
// IPv4-mapped addresses are unmapped first, so IPv4 clients do not all share
// one IPv6 prefix. The zero Addr gives the zero Prefix.
func Prefix(a netip.Addr, v6Bits int) netip.Prefix {
	if !a.IsValid() {
		return netip.Prefix{}
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return netip.PrefixFrom(a, 32)
	}
	if v6Bits <= 0 {
		v6Bits = 64
	}
	if v6Bits > 128 {
		v6Bits = 128
	}
	p, _ := a.Prefix(v6Bits)
	return p
}

// parseNode parses an address as found in RemoteAddr, X-Forwarded-For or a
// Forwarded "for" value: "192.0.2.1", "192.0.2.1:443", "2001:db8::1",
// "[2001:db8::1]:443", optionally in double quotes. Anything else is the
// zero Addr.
func parseNode(s string) netip.Addr {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	if s == "" {
		return netip.Addr{}
	}
	if s[0] == '[' {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return netip.Addr{}
		}
		rest := s[end+1:]
		if rest != "" && (rest[0] != ':' || !isPort(rest[1:])) {
			return netip.Addr{}
		}
		a, err := netip.ParseAddr(s[1:end])
		if err != nil || !a.Is6() {
			return netip.Addr{}
		}
		return a.Unmap()
	}
	// One colon: IPv4 with a port (checked first, so the common RemoteAddr
	// form costs no failed parse and no allocated error).
	if i := strings.IndexByte(s, ':'); i > 0 && strings.IndexByte(s[i+1:], ':') < 0 {
		if !isPort(s[i+1:]) {
			return netip.Addr{}
		}
		a, err := netip.ParseAddr(s[:i])
		if err != nil || !a.Is4() {
			return netip.Addr{}
		}
		return a
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

func isPort(s string) bool {
	if s == "" || len(s) > 5 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// lastElement splits a Forwarded field value into its last element and the
// rest before it, honouring quoted strings (a comma inside quotes does not
// separate elements).
func lastElement(v string) (last, rest string) {
	cut := -1
	inQuote := false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\' && inQuote:
			i++
		case c == '"':
			inQuote = !inQuote
		case c == ',' && !inQuote:
			cut = i
		}
	}
	if cut < 0 {
		return v, ""
	}
	return v[cut+1:], v[:cut]
}

// forwardedParam returns the value of parameter name (case-insensitive) in
// one Forwarded element ("for=192.0.2.1;proto=https"), unquoted; "" when
// absent.
func forwardedParam(elem, name string) string {
	for elem != "" {
		var pair string
		pair, elem, _ = cutUnquoted(elem, ';')
		k, v, ok := strings.Cut(pair, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), name) {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = strings.ReplaceAll(v[1:len(v)-1], `\`, "")
		}
		return v
	}
	return ""
}

// cutUnquoted slices s around the first sep outside a quoted string;
// found reports whether there was one.
func cutUnquoted(s string, sep byte) (before, after string, found bool) {
	inQuote := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && inQuote:
			i++
		case c == '"':
			inQuote = !inQuote
		case c == sep && !inQuote:
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}
