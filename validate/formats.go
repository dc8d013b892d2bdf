package validate

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// IsUUID reports whether s is a UUID in the text form of RFC 9562:
// 8-4-4-4-12 hexadecimal digits (either case), the RFC variant (10xx) and
// a defined version (1 to 8). Braces, "urn:uuid:" prefixes and unhyphenated
// forms are rejected, and so are the Nil and Max UUIDs, which never
// identify anything.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	if v := s[14]; v < '1' || v > '8' {
		return false
	}
	switch s[19] {
	case '8', '9', 'a', 'b', 'A', 'B':
		return true
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// IsEmail reports whether s is an email address in the practical subset of
// RFC 5322 that mail systems accept from sign-up forms: local@domain with
// no display name ("Ann <ann@example.com>"), comments, quoted local parts
// or IP-literal domains. The local part is a dot-atom (letters, digits and
// !#$%&'*+/=?^_`{|}~- between single dots, so O'Brien@example.com passes)
// of at most 64 bytes; the domain has at least two labels of letters,
// digits and inner hyphens, each at most 63 bytes, and a non-numeric
// top-level label; the whole address is at most 254 bytes. Internationalised
// domains must be given in their ASCII (xn--) form.
func IsEmail(s string) bool {
	if len(s) > 254 {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || at > 64 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	prevDot := true // no leading dot
	for i := 0; i < len(local); i++ {
		c := local[i]
		if c == '.' {
			if prevDot {
				return false
			}
			prevDot = true
			continue
		}
		if !isAtext(c) {
			return false
		}
		prevDot = false
	}
	if prevDot {
		return false
	}
	return isHostname(domain, true)
}

func isAtext(c byte) bool {
	if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// isHostname reports whether s is a DNS name of LDH labels; with
// needDot it must have at least two labels. The last label must not be all
// digits (that would be an IP address, or nothing).
func isHostname(s string, needDot bool) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	labels, start, digitsOnly := 0, 0, true
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			n := i - start
			if n == 0 || n > 63 || s[start] == '-' || s[i-1] == '-' {
				return false
			}
			labels++
			start = i + 1
			if i < len(s) {
				digitsOnly = true
			}
			continue
		}
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-':
			digitsOnly = false
		default:
			return false
		}
	}
	if digitsOnly || (needDot && labels < 2) {
		return false
	}
	return true
}

// IsURL reports whether s is an absolute http or https URL of at most 2048
// bytes, without user info (https://bank@evil.example is a phishing
// classic), white space or control characters, whose host is a DNS name of
// letters, digits and inner hyphens (a trailing dot allowed), a dotted-quad
// IPv4 address or a bracketed IPv6 address without a zone. Host names that
// some parsers read as numbers (0x7f.1, 2130706433, 010.0.0.1) are
// rejected, and internationalised names must be given in their ASCII
// (xn--) form, which also keeps look-alike letters out. A port, if given, is
// 1 to 65535.
func IsURL(s string) bool {
	if len(s) == 0 || len(s) > 2048 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return false
		}
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Opaque != "" || u.User != nil {
		return false
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return false
		}
	}
	host := u.Hostname()
	if strings.HasPrefix(u.Host, "[") { // url.Parse has checked the brackets
		a, err := netip.ParseAddr(host)
		return err == nil && a.Is6() && a.Zone() == ""
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Is4()
	}
	return isHostname(strings.TrimSuffix(host, "."), false)
}

// iso4217 holds the ISO 4217 currency codes, sorted, three letters each:
// the active codes, including funds codes (such as USN) and precious
// metals (XAU), plus ANG and BGN for their transition periods. XTS
// (testing) and XXX (no currency) are left out.
const iso4217 = "" +
	"AEDAFNALLAMDANGAOAARSAUDAWGAZN" +
	"BAMBBDBDTBGNBHDBIFBMDBNDBOBBOVBRLBSDBTNBWPBYNBZD" +
	"CADCDFCHECHFCHWCLFCLPCNYCOPCOUCRCCUPCVECZK" +
	"DJFDKKDOPDZD" +
	"EGPERNETBEUR" +
	"FJDFKP" +
	"GBPGELGHSGIPGMDGNFGTQGYD" +
	"HKDHNLHTGHUF" +
	"IDRILSINRIQDIRRISK" +
	"JMDJODJPY" +
	"KESKGSKHRKMFKPWKRWKWDKYDKZT" +
	"LAKLBPLKRLRDLSLLYD" +
	"MADMDLMGAMKDMMKMNTMOPMRUMURMVRMWKMXNMXVMYRMZN" +
	"NADNGNNIONOKNPRNZD" +
	"OMR" +
	"PABPENPGKPHPPKRPLNPYG" +
	"QAR" +
	"RONRSDRUBRWF" +
	"SARSBDSCRSDGSEKSGDSHPSLESOSSRDSSPSTNSVCSYPSZL" +
	"THBTJSTMTTNDTOPTRYTTDTWDTZS" +
	"UAHUGXUSDUSNUYIUYUUYWUZS" +
	"VEDVESVNDVUV" +
	"WST" +
	"XAFXAGXAUXBAXBBXBCXBDXCDXCGXDRXOFXPDXPFXPTXSUXUA" +
	"YER" +
	"ZARZMWZWG"

// IsCurrency reports whether s is an ISO 4217 alphabetic currency code in
// upper case, such as "USD" or "EUR" (see the list in the source: active
// codes, funds and precious metals, without XTS and XXX).
func IsCurrency(s string) bool {
	if len(s) != 3 {
		return false
	}
	lo, hi := 0, len(iso4217)/3
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		c := iso4217[3*m : 3*m+3]
		switch {
		case c == s:
			return true
		case c < s:
			lo = m + 1
		default:
			hi = m
		}
	}
	return false
}
