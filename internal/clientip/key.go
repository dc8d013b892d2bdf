package clientip

import "net/netip"

// AppendKey appends the text form of the prefix a client is counted under
// (see [Prefix]) to dst and returns the extended buffer: an IPv4 address as
// itself ("192.0.2.1"), an IPv6 address as its masked prefix
// ("2001:db8:1:2::/64"). The zero Addr appends nothing. It does not
// allocate when dst has room, which makes it suitable for building
// rate-limit keys on every request.
func AppendKey(dst []byte, a netip.Addr, v6Bits int) []byte {
	p := Prefix(a, v6Bits)
	if !p.IsValid() {
		return dst
	}
	if p.Addr().Is4() {
		return p.Addr().AppendTo(dst)
	}
	return p.AppendTo(dst)
}
