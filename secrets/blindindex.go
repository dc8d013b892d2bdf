package secrets

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash"
	"strings"
	"sync"
	"unicode"
)

// BlindIndex computes deterministic, keyed digests of values for equality
// lookups on encrypted columns: store BlindIndex.Sum(email) next to the
// ciphertext, index it, and query WHERE email_bidx = $1.
//
// The digest is HMAC-SHA-256, under the index's own key, of
// uint64be(len(purpose)) || purpose || canonical(value). That key must not be one of the
// [Keyring]'s encryption keys and does not rotate with them: changing it
// means recomputing every stored digest. Without the key, digests cannot be
// reversed or tested against guesses; with it, low-entropy values (phone
// numbers, dates) can be brute-forced, so index only what needs it.
//
// A BlindIndex is safe for concurrent use; do not copy it. Make one with
// [NewBlindIndex]: the zero value has no key and its methods panic.
type BlindIndex struct {
	purpose string
	prefix  []byte // uint64be(len(purpose)) || purpose
	canon   func(string) string
	pool    sync.Pool // of *indexState
}

type indexState struct {
	h   hash.Hash
	msg []byte // the message, cleared after use
	sum []byte // Sum's digest
}

// BlindIndexOptions configures a [BlindIndex].
type BlindIndexOptions struct {
	// Purpose separates the digests of different columns under the same
	// key ("customers.email"). Default "".
	Purpose string

	// Canonicalize maps equivalent inputs to one form before hashing, such
	// as [CanonicalEmail]. Default: [strings.TrimSpace].
	Canonicalize func(string) string
}

// NewBlindIndex returns a blind index under key, which must be at least 32
// bytes (see [ParseKey] and [DeriveKey]). The key is copied.
func NewBlindIndex(key []byte, opts BlindIndexOptions) (*BlindIndex, error) {
	if len(key) < KeySize {
		return nil, fmt.Errorf("%w: blind index key must be at least %d bytes, got %d", ErrKey, KeySize, len(key))
	}
	k := append([]byte(nil), key...)
	canon := opts.Canonicalize
	if canon == nil {
		canon = strings.TrimSpace
	}
	prefix := binary.BigEndian.AppendUint64(nil, uint64(len(opts.Purpose)))
	prefix = append(prefix, opts.Purpose...)
	bi := &BlindIndex{purpose: opts.Purpose, prefix: prefix, canon: canon}
	bi.pool.New = func() any { return &indexState{h: hmac.New(sha256.New, k)} }
	return bi, nil
}

// String hides the key.
func (bi *BlindIndex) String() string { return "secrets.BlindIndex{purpose: " + bi.purpose + "}" }

// GoString is String, for %#v.
func (bi *BlindIndex) GoString() string { return bi.String() }

// Sum returns the digest of value's canonical form, base64url without
// padding (43 characters).
func (bi *BlindIndex) Sum(value string) string {
	st := bi.pool.Get().(*indexState)
	st.sum = bi.digest(st, st.sum[:0], value)
	var enc [43]byte
	base64.RawURLEncoding.Encode(enc[:], st.sum)
	bi.pool.Put(st)
	return string(enc[:])
}

// AppendSum appends the raw 32-byte digest of value to dst, for a BYTEA
// column.
func (bi *BlindIndex) AppendSum(dst []byte, value string) []byte {
	st := bi.pool.Get().(*indexState)
	dst = bi.digest(st, dst, value)
	bi.pool.Put(st)
	return dst
}

// digest appends the HMAC of prefix || canon(value) to dst, using st's
// message buffer.
func (bi *BlindIndex) digest(st *indexState, dst []byte, value string) []byte {
	msg := append(append(st.msg[:0], bi.prefix...), bi.canon(value)...)
	st.h.Reset()
	st.h.Write(msg)
	clear(msg)
	st.msg = msg[:0]
	return st.h.Sum(dst)
}

// CanonicalEmail trims surrounding white space and lower-cases an email
// address, so " Ana@Example.COM" and "ana@example.com" index alike.
func CanonicalEmail(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// CanonicalDigits keeps only the decimal digits of s: phone numbers and
// card-like identifiers written with spaces, dashes or parentheses.
func CanonicalDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r < unicode.MaxASCII && unicode.IsDigit(r) {
			return r
		}
		return -1
	}, s)
}
