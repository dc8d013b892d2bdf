package clientip_test

import (
	"net/netip"
	"testing"

	"github.com/chainsync/middleware/internal/clientip"
)

func TestAppendKey(t *testing.T) {
	tests := []struct {
		name string
		addr string
		bits int
		want string
	}{
		{"ipv4 as itself", "203.0.113.7", 0, "203.0.113.7"},
		{"ipv4-mapped unmapped", "::ffff:203.0.113.7", 0, "203.0.113.7"},
		{"ipv6 default /64", "2001:db8:1:2:3:4:5:6", 0, "2001:db8:1:2::/64"},
		{"ipv6 /48", "2001:db8:1:2:3:4:5:6", 48, "2001:db8:1::/48"},
		{"ipv6 /128", "2001:db8::1", 128, "2001:db8::1/128"},
		{"ipv6 over 128 clamped", "2001:db8::1", 200, "2001:db8::1/128"},
		{"zone dropped", "fe80::1%eth0", 0, "fe80::/64"},
		{"zero addr", "", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a netip.Addr
			if tt.addr != "" {
				a = netip.MustParseAddr(tt.addr)
			}
			got := string(clientip.AppendKey([]byte("ip:"), a, tt.bits))
			if got != "ip:"+tt.want {
				t.Fatalf("AppendKey(%s, %d) = %q, want %q", tt.addr, tt.bits, got, "ip:"+tt.want)
			}
		})
	}
}

func TestAppendKeyNoAlloc(t *testing.T) {
	v4 := netip.MustParseAddr("203.0.113.7")
	v6 := netip.MustParseAddr("2001:db8:1:2:3:4:5:6")
	buf := make([]byte, 0, 64)
	allocs := testing.AllocsPerRun(100, func() {
		buf = clientip.AppendKey(buf[:0], v4, 64)
		buf = clientip.AppendKey(buf[:0], v6, 64)
	})
	if allocs != 0 {
		t.Fatalf("AppendKey allocates %v times per run, want 0", allocs)
	}
}
