package ratelimit

import (
	"net/http"
	"net/netip"
	"strings"

	"github.com/chainsync/middleware/internal/clientip"
)

// KeyFunc returns the key a request is counted under. An empty key means
// "no key for this request": combinators such as [FirstOf] then try the
// next function, and the [Limiter] falls back to the client IP, so a
// request is never unlimited for lack of a key.
type KeyFunc func(r *http.Request) string

// IPKeyOptions configure [IPKey].
type IPKeyOptions struct {
	// TrustedProxies are the proxies whose forwarding header is believed
	// (read from the right, skipping trusted hops; see the package doc).
	// Default none: the key is the TCP peer, RemoteAddr.
	TrustedProxies []netip.Prefix
	// ForwardedHeader is the header read from trusted proxies:
	// "X-Forwarded-For" (the default), "Forwarded", or a one-address header
	// such as "X-Real-IP".
	ForwardedHeader string
	// IPv6PrefixBits is the prefix length IPv6 clients are counted under.
	// Default 64 (one subscriber usually holds a whole /64, so counting
	// single addresses would let it rotate through 2^64 keys). IPv4 clients
	// are counted by address; IPv4-mapped IPv6 addresses are unmapped first.
	IPv6PrefixBits int
}

// IPKey returns a KeyFunc that keys requests by client IP:
// "ip:203.0.113.7", or "ip:2001:db8:1:2::/64" for IPv6. A request whose
// RemoteAddr is not an address (possible only in tests or on unusual
// listeners) gets "ip:", one shared key.
func IPKey(o IPKeyOptions) (KeyFunc, error) {
	if o.IPv6PrefixBits < 0 || o.IPv6PrefixBits > 128 {
		return nil, errInvalidIPv6Bits
	}
	res, err := clientip.New(clientip.Options{TrustedProxies: o.TrustedProxies, Header: o.ForwardedHeader})
	if err != nil {
		return nil, err
	}
	bitsV6 := o.IPv6PrefixBits
	return func(r *http.Request) string {
		var buf [64]byte
		b := append(buf[:0], "ip:"...)
		b = clientip.AppendKey(b, res.ClientIP(r), bitsV6)
		return string(b)
	}, nil
}

// UserKey keys requests by the authenticated user that id reports
// ("user:" + id), as set by an authentication middleware that runs before
// the limiter. When id returns "" (an anonymous request) the key is empty,
// so the limiter falls back to the client IP.
func UserKey(id func(*http.Request) string) KeyFunc {
	return func(r *http.Request) string {
		v := id(r)
		if v == "" {
			return ""
		}
		return "user:" + v
	}
}

// RouteKey keys requests by route: the ServeMux pattern that matched
// (r.Pattern, set when the limiter wraps a handler registered on an
// http.ServeMux), or else the method and path. Combine it with a client key
// ([Join]) for limits per client and endpoint; on its own it limits the
// endpoint as a whole.
//
// Outside a ServeMux route (a limiter wrapping the whole mux, or another
// router) r.Pattern is empty and the path the client sent is the key, so
// every distinct path (/items/1, /items/2, ...) has its own quota and a
// client can spread its requests over as many as it likes. Wrap the
// handler of each route instead, or key by something coarser.
func RouteKey(r *http.Request) string {
	if r.Pattern != "" {
		return "route:" + r.Pattern
	}
	return "route:" + r.Method + " " + r.URL.Path
}

// Join combines keys: the result is the parts joined by "|", such as
// "route:POST /login|ip:203.0.113.7", or "" when any part is empty.
func Join(fns ...KeyFunc) KeyFunc {
	fns = append([]KeyFunc(nil), fns...)
	return func(r *http.Request) string {
		var b strings.Builder
		for i, f := range fns {
			v := f(r)
			if v == "" {
				return ""
			}
			if i > 0 {
				b.WriteByte('|')
			}
			b.WriteString(v)
		}
		return b.String()
	}
}

// FirstOf returns the first non-empty key of fns, such as
// FirstOf(UserKey(id), ipKey): signed-in users by account, everyone else
// by address.
func FirstOf(fns ...KeyFunc) KeyFunc {
	fns = append([]KeyFunc(nil), fns...)
	return func(r *http.Request) string {
		for _, f := range fns {
			if v := f(r); v != "" {
				return v
			}
		}
		return ""
	}
}
