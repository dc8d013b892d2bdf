package validate_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chainsync/middleware/validate"
)

func TestIsUUID(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"9b2f7c1e-4a8d-4f3b-9c6e-2d1a5b7e8f90", true},  // version 4
		{"9B2F7C1E-4A8D-4F3B-9C6E-2D1A5B7E8F90", true},  // upper case
		{"017f22e2-79b0-7cc3-98c4-dc0c0c07398f", true},  // version 7 (RFC 9562)
		{"6ba7b810-9dad-11d1-80b4-00c04fd430c8", true},  // version 1
		{"1ec9414c-232a-6b00-b3c8-9e6bdeced846", true},  // version 6
		{"00000000-0000-8000-a000-000000000000", true},  // version 8
		{"00000000-0000-0000-0000-000000000000", false}, // Nil
		{"ffffffff-ffff-ffff-ffff-ffffffffffff", false}, // Max
		{"9b2f7c1e-4a8d-9f3b-9c6e-2d1a5b7e8f90", false}, // version 9
		{"9b2f7c1e-4a8d-0f3b-9c6e-2d1a5b7e8f90", false}, // version 0
		{"9b2f7c1e-4a8d-4f3b-cc6e-2d1a5b7e8f90", false}, // Microsoft variant
		{"9b2f7c1e-4a8d-4f3b-7c6e-2d1a5b7e8f90", false}, // NCS variant
		{"9b2f7c1e4a8d4f3b9c6e2d1a5b7e8f90", false},     // no hyphens
		{"{9b2f7c1e-4a8d-4f3b-9c6e-2d1a5b7e8f90}", false},
		{"urn:uuid:9b2f7c1e-4a8d-4f3b-9c6e-2d1a5b7e8f90", false},
		{"9b2f7c1e-4a8d-4f3b-9c6e-2d1a5b7e8f9g", false},
		{"9b2f7c1e-4a8d-4f3b-9c6e_2d1a5b7e8f90", false},
		{" 9b2f7c1e-4a8d-4f3b-9c6e-2d1a5b7e8f9", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := validate.IsUUID(tt.in); got != tt.want {
				t.Fatalf("IsUUID(%q) = %v", tt.in, got)
			}
		})
	}
}

func TestIsEmail(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"ann@example.com", true},
		{"O'Brien@example.com", true},
		{"first.last+tag@sub.example.co.uk", true},
		{"a!#$%&'*+/=?^_`{|}~-z@example.com", true},
		{"ann@xn--bcher-kva.example", true},
		{"ann@123.example", true},
		{strings.Repeat("a", 64) + "@example.com", true},
		{strings.Repeat("a", 65) + "@example.com", false},
		{"a@" + strings.Repeat("b", 63) + ".example", true},
		{"a@" + strings.Repeat("b", 64) + ".example", false},
		{"a@" + strings.Repeat(strings.Repeat("b", 60)+".", 4) + "com", true},  // 249 bytes
		{"a@" + strings.Repeat(strings.Repeat("b", 60)+".", 5) + "com", false}, // over 254
		{"Ann <ann@example.com>", false},
		{"ann", false},
		{"@example.com", false},
		{"ann@", false},
		{"ann@@example.com", false},
		{"ann@localhost", false},
		{"ann@example", false},
		{"ann@127.0.0.1", false},
		{"ann@[127.0.0.1]", false},
		{"ann@example.123", false},
		{".ann@example.com", false},
		{"ann.@example.com", false},
		{"an..n@example.com", false},
		{`"ann"@example.com`, false},
		{"ann(comment)@example.com", false},
		{"ann@-example.com", false},
		{"ann@example-.com", false},
		{"ann@example..com", false},
		{"ann@exam_ple.com", false},
		{"anné@example.com", false},
		{"ann@example.com\n", false},
		{"ann @example.com", false},
		{"ann@example.com;DROP TABLE", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := validate.IsEmail(tt.in); got != tt.want {
				t.Fatalf("IsEmail(%q) = %v", tt.in, got)
			}
		})
	}
}

func TestIsURL(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"https://example.com", true},
		{"http://example.com:8080/path?q=1#frag", true},
		{"https://[2001:db8::1]/", true},
		{"HTTPS://EXAMPLE.COM/", true},
		{"https://example.com/" + strings.Repeat("a", 2048), false},
		{"javascript:alert(1)", false},
		{"JaVaScRiPt:alert(1)", false},
		{"data:text/html,<script>alert(1)</script>", false},
		{"ftp://example.com", false},
		{"//example.com", false},
		{"/relative", false},
		{"https://", false},
		{"https://:443", false},
		{"https://user:pass@example.com", false},
		{"https://bank.example@evil.example", false},
		{"https://exa mple.com", false},
		{"https://example.com/a b", false},
		{"https://example.com/\t", false},
		{"https:example.com", false},
		{"http://localhost:8080/", true},
		{"https://example.com./", true}, // fully qualified, trailing dot
		{"http://192.0.2.1/", true},
		{"https://example.com:65535/", true},
		{"https://example.com:99999/", false}, // no such port
		{"https://example.com:0/", false},     // port 0 is not connectable
		{"https://./", false},                 // empty labels
		{"https://a..b/", false},              //
		{"https://-a.example/", false},        // label starts with a hyphen
		{"https://a_b.example/", false},       // not a host name (RFC 1123)
		{"http://0x7f.1/", false},             // read as 127.0.0.1 by browsers
		{"http://010.0.0.1/", false},          // octal to some parsers
		{"http://2130706433/", false},         // 127.0.0.1 as a decimal integer
		{"https://exämple.com/", false},       // IDN: the xn-- form is required
		{"https://[fe80::1%25eth0]/", false},  // zone identifiers name a local interface
		{"https://[::ffff:127.0.0.1]/", true}, // an IPv6 literal
		{"https://good.example\\@evil.example", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := validate.IsURL(tt.in); got != tt.want {
				t.Fatalf("IsURL(%q) = %v", tt.in, got)
			}
		})
	}
}

func TestIsCurrency(t *testing.T) {
	for _, c := range []string{"AED", "EUR", "USD", "GBP", "JPY", "CHF", "USN", "XAU", "XCG", "ZWG", "ZAR"} {
		if !validate.IsCurrency(c) {
			t.Errorf("IsCurrency(%q) = false", c)
		}
	}
	for _, c := range []string{"usd", "Usd", "US", "USDT", "XXX", "XTS", "ABC", "DEM", "ZZZ", "AAA", "", "€"} {
		if validate.IsCurrency(c) {
			t.Errorf("IsCurrency(%q) = true", c)
		}
	}
}

func FuzzIsURL(f *testing.F) {
	for _, s := range []string{"https://example.com/a?b#c", "http://[::1]:80/", "https://a..b", "javascript:alert(1)", "https://u@h.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !validate.IsURL(s) {
			return
		}
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil || u.Hostname() == "" {
			t.Fatalf("IsURL(%q) = true: %v %+v", s, err, u)
		}
		if len(s) > 2048 || strings.ContainsAny(s, " \t\n\r\x00") {
			t.Fatalf("IsURL(%q) = true", s)
		}
		if p := u.Port(); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				t.Fatalf("IsURL(%q) = true with port %q", s, p)
			}
		}
	})
}

func FuzzIsEmail(f *testing.F) {
	for _, s := range []string{"ann@example.com", "O'Brien@example.com", "a@b", "Ann <a@b.c>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !validate.IsEmail(s) {
			return
		}
		if len(s) > 254 || strings.ContainsAny(s, " <>\"()[]\\,;:\n") || strings.Count(s, "@") != 1 {
			t.Fatalf("IsEmail(%q) = true", s)
		}
	})
}
