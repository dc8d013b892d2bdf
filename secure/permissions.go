package secure

import (
	"fmt"
	"strings"
)

// Members of a Permissions-Policy allowlist besides origins.
const (
	// AllowSelf allows a feature for the page's own origin.
	AllowSelf = "self"
	// AllowAll allows a feature for every origin; it must be the only member.
	AllowAll = "*"
)

// PermissionsPolicy is a Permissions-Policy header under construction. Like
// [CSP], its methods return a modified copy. The zero value is empty; the
// [Headers] middleware sends [DefaultPermissionsPolicy] unless told
// otherwise.
//
//	p := secure.DefaultPermissionsPolicy().Allow("payment", secure.AllowSelf, "https://pay.chainsync.example")
type PermissionsPolicy struct {
	entries []permEntry
}

type permEntry struct {
	feature string
	allow   []string
}

// DefaultPermissionsPolicy returns a policy that disables powerful features
// an API or a point-of-sale back office rarely needs: accelerometer,
// autoplay, camera, display-capture, geolocation, gyroscope, hid,
// magnetometer, microphone, midi, payment, serial and usb. Re-enable one
// with [PermissionsPolicy.Allow].
func DefaultPermissionsPolicy() PermissionsPolicy {
	return PermissionsPolicy{}.Deny("accelerometer", "autoplay", "camera", "display-capture", "geolocation",
		"gyroscope", "hid", "magnetometer", "microphone", "midi", "payment", "serial", "usb")
}

func (p PermissionsPolicy) put(feature string, allow []string) PermissionsPolicy {
	return PermissionsPolicy{entries: putEntry(p.entries, permEntry{feature, allow}, func(e permEntry) bool { return e.feature == feature })}
}

// Deny returns a copy of p in which each feature is disabled everywhere
// (feature=()).
func (p PermissionsPolicy) Deny(features ...string) PermissionsPolicy {
	for _, f := range features {
		p = p.put(f, []string{})
	}
	return p
}

// Allow returns a copy of p in which feature is allowed for the allowlist:
// [AllowSelf], [AllowAll] or origins such as "https://pay.chainsync.example".
// An empty allowlist is the same as [PermissionsPolicy.Deny].
func (p PermissionsPolicy) Allow(feature string, allowlist ...string) PermissionsPolicy {
	return p.put(feature, append([]string{}, allowlist...))
}

// Remove returns a copy of p without feature, so the browser default applies.
func (p PermissionsPolicy) Remove(feature string) PermissionsPolicy {
	return PermissionsPolicy{entries: removeEntry(p.entries, func(e permEntry) bool { return e.feature == feature })}
}

// IsZero reports whether p has no features.
func (p PermissionsPolicy) IsZero() bool { return len(p.entries) == 0 }

// Build validates p and returns the header value, a structured-field
// dictionary such as camera=(), payment=(self "https://pay.chainsync.example").
func (p PermissionsPolicy) Build() (string, error) {
	if len(p.entries) == 0 {
		return "", fmt.Errorf("secure: empty Permissions-Policy")
	}
	var b strings.Builder
	for i, e := range p.entries {
		if !validFeature(e.feature) {
			return "", fmt.Errorf("secure: Permissions-Policy: invalid feature name %q", e.feature)
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(e.feature)
		b.WriteByte('=')
		if len(e.allow) == 1 && e.allow[0] == AllowAll {
			b.WriteByte('*')
			continue
		}
		b.WriteByte('(')
		for j, m := range e.allow {
			if j > 0 {
				b.WriteByte(' ')
			}
			switch m {
			case AllowSelf, "src":
				b.WriteString(m)
			case AllowAll:
				return "", fmt.Errorf("secure: Permissions-Policy: %s: %q must be the only member", e.feature, AllowAll)
			default:
				o, err := normalizeOrigin(m)
				if err != nil {
					return "", fmt.Errorf("secure: Permissions-Policy: %s: %v", e.feature, err)
				}
				b.WriteByte('"')
				b.WriteString(o)
				b.WriteByte('"')
			}
		}
		b.WriteByte(')')
	}
	return b.String(), nil
}

// String returns the header value, or "" if p does not validate.
func (p PermissionsPolicy) String() string {
	s, _ := p.Build()
	return s
}

// validFeature: a structured-field key, lowercase letter then [a-z0-9_-.*].
func validFeature(f string) bool {
	if f == "" || f[0] < 'a' || f[0] > 'z' {
		return false
	}
	for i := 1; i < len(f); i++ {
		c := f[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
