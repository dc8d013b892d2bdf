package secrets

import (
	"crypto/subtle"
	"fmt"
	"log/slog"
)

// Redacted is what a [Value] prints, marshals and logs as, whatever it holds.
const Redacted = "[REDACTED]"

// Value holds one secret. It redacts itself on every path a string could
// leak through: String, GoString, every fmt verb (it implements
// [fmt.Formatter], so %d and %x do not print the bytes), JSON and text
// marshalling and [slog.LogValuer] all give [Redacted]. Even as an
// unexported field of another struct, where fmt cannot call its methods,
// it prints only an address: the plaintext is held by a closure, which
// reflection cannot look into. The plaintext comes only from
// [Value.Reveal] (or [Value.Bytes]).
//
// The zero Value is an absent secret: [Value.IsSet] reports false and Reveal
// returns "". Values are immutable and safe for concurrent use.
type Value struct {
	reveal func() string
}

// NewValue wraps a plaintext. An empty string gives the absent (zero) Value:
// a secret that is set is never empty.
func NewValue(plaintext string) Value {
	if plaintext == "" {
		return Value{}
	}
	return Value{reveal: func() string { return plaintext }}
}

// Reveal returns the plaintext ("" when the secret is absent). Call it at
// the point of use, and do not log or store what it returns.
func (v Value) Reveal() string {
	if v.reveal == nil {
		return ""
	}
	return v.reveal()
}

// Bytes returns a fresh copy of the plaintext, nil when absent.
func (v Value) Bytes() []byte {
	if v.reveal == nil {
		return nil
	}
	return []byte(v.reveal())
}

// IsSet reports whether the secret is present (non-empty).
func (v Value) IsSet() bool { return v.reveal != nil }

// Len is the length of the plaintext in bytes (0 when absent).
func (v Value) Len() int { return len(v.Reveal()) }

// Equal reports, in constant time for values of the same length, whether
// v and o hold the same plaintext. Two absent values are equal.
func (v Value) Equal(o Value) bool {
	return subtle.ConstantTimeCompare([]byte(v.Reveal()), []byte(o.Reveal())) == 1 && v.IsSet() == o.IsSet()
}

// String returns [Redacted].
func (v Value) String() string { return Redacted }

// GoString returns [Redacted], for %#v.
func (v Value) GoString() string { return Redacted }

// Format implements [fmt.Formatter]: every verb and flag prints [Redacted]
// (%q prints it quoted).
func (v Value) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		_, _ = f.Write([]byte(`"` + Redacted + `"`))
		return
	}
	_, _ = f.Write([]byte(Redacted))
}

// MarshalJSON returns the JSON string "[REDACTED]".
func (v Value) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText returns [Redacted], so encoders that use
// [encoding.TextMarshaler] (and map keys) never see the plaintext.
func (v Value) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// LogValue implements [slog.LogValuer]: the text and JSON handlers print
// [Redacted].
func (v Value) LogValue() slog.Value { return slog.StringValue(Redacted) }
