package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// KeySize is the size of an AES-256 key, in bytes.
const KeySize = 32

// Envelope format. An encrypted field is the text
//
//	v1:<key id>:<base64url, unpadded, of nonce || ciphertext || tag>
//
// with a 12-byte random nonce and a 16-byte GCM tag: 28 bytes plus the
// plaintext, about 4/3 of that as text, plus the header. GCM authenticates
// the header "v1:<key id>:" followed by the caller's associated data, so
// neither the version nor the key id can be changed (the header cannot
// contain a second ':', which keeps the concatenation unambiguous).
const (
	envelopeVersion = "v1"
	maxKeyIDLen     = 64
	overhead        = 12 + 16
)

// UnknownKeyError is returned for an envelope whose key id is not in the
// keyring. It matches [ErrUnknownKey] with errors.Is.
type UnknownKeyError struct {
	// ID is the envelope's key id.
	ID string
}

// Error implements error.
func (e *UnknownKeyError) Error() string {
	return fmt.Sprintf("secrets: unknown key id %q", e.ID)
}

// Is reports whether target is [ErrUnknownKey].
func (e *UnknownKeyError) Is(target error) bool { return target == ErrUnknownKey }

// ParseKey decodes a 32-byte key from its strict encoding: hex (64
// characters, either case) or base64 (standard or URL alphabet, padded or
// not, with zero trailing bits). Whitespace, line breaks and any other
// length are rejected. Errors never contain the key.
func ParseKey(s string) ([]byte, error) { return parseKey(s, KeySize) }

func parseKey(s string, n int) ([]byte, error) {
	if strings.ContainsAny(s, " \t\r\n") {
		return nil, fmt.Errorf("%w: key contains whitespace", ErrKey)
	}
	if len(s) == 2*n {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if len(s) != enc.EncodedLen(n) {
			continue
		}
		b, err := enc.Strict().DecodeString(s)
		if err == nil && len(b) == n {
			return b, nil
		}
		clear(b)
	}
	return nil, fmt.Errorf("%w: must be the base64 or hex encoding of exactly %d bytes (got %d characters)", ErrKey, n, len(s))
}

// DeriveKey derives a 32-byte subkey of master for one purpose with HKDF
// (SHA-256), so that one configured secret can key several independent
// uses ("customers.email", "blind-index", ...). Different purposes give
// unrelated keys.
func DeriveKey(master []byte, purpose string) ([]byte, error) {
	if len(master) < KeySize {
		return nil, fmt.Errorf("%w: master key must be at least %d bytes", ErrKey, KeySize)
	}
	if purpose == "" {
		return nil, fmt.Errorf("%w: empty purpose", ErrKey)
	}
	return hkdf.Key(sha256.New, master, nil, deriveInfo+purpose, KeySize)
}

// HKDF info strings. Each use has its own prefix, and no prefix is a prefix
// of another, so no purpose can make [DeriveKey] expand the same stream as
// [Fingerprint] (whose output is public, in every envelope).
const (
	deriveInfo      = "chainsync/secrets v1 derive "
	fingerprintInfo = "chainsync/secrets v1 key id"
)

type ringKey struct {
	aead   cipher.AEAD
	raw    []byte
	header string // "v1:<id>:", authenticated with the associated data
}

// scratch is the pooled working memory of Encrypt: the authenticated data
// (header || associated data) and Seal's output (ciphertext only, never
// plaintext).
type scratch struct {
	ad, sealed []byte
}

// maxPooled is the largest scratch buffer returned to the pool.
const maxPooled = 4096

// authData returns header || associatedData in sc's buffer.
func (sc *scratch) authData(header string, associatedData []byte) []byte {
	sc.ad = append(append(sc.ad[:0], header...), associatedData...)
	return sc.ad
}

// Keyring encrypts fields with AES-256-GCM under its primary key and
// decrypts with any of its keys, chosen by the key id each envelope
// carries. Rotation: add a new key as primary, keep the old ones until
// [Keyring.Rewrap] has moved every ciphertext, then drop them.
//
// Nonces are random (96 bits), so one key must not encrypt more than about
// 2^32 values. Associated data (see [AssociatedData]) binds a ciphertext to
// its place — table, column, row id — so it cannot be moved to another row:
// decryption with other associated data fails.
//
// A Keyring is immutable and safe for concurrent use; do not copy it. It
// prints as its key ids, never its keys, and holds its keys in closures,
// out of reach of reflection-based dumpers. The zero Keyring holds no keys:
// Encrypt fails with [ErrNoKey] and Decrypt with [ErrUnknownKey].
type Keyring struct {
	primary string
	ids     []string                   // in the order given, primary first
	keys    map[string]func() *ringKey // a closure each, which reflection cannot look into
	strict  *base64.Encoding           // unpadded URL alphabet, zero trailing bits
	pool    sync.Pool                  // *scratch
}

// NewKeyring returns a keyring of keys (id to 32 raw bytes) that encrypts
// with keys[primaryID]. Key ids are 1 to 64 characters of A-Z a-z 0-9 _ -.
// The key bytes are copied.
func NewKeyring(primaryID string, keys map[string][]byte) (*Keyring, error) {
	if _, ok := keys[primaryID]; !ok {
		return nil, fmt.Errorf("%w: primary key id %q is not among the keys", ErrKey, primaryID)
	}
	ids := make([]string, 0, len(keys))
	for id := range keys {
		if id != primaryID {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	ids = append([]string{primaryID}, ids...)
	k := &Keyring{primary: primaryID, strict: base64.RawURLEncoding.Strict(), keys: make(map[string]func() *ringKey, len(keys))}
	for _, id := range ids {
		if err := k.add(id, keys[id]); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// ParseKeyring reads a keyring from one configuration value (for example
// ENCRYPTION_KEY): a comma-separated list of keys, each "id:key" or just
// "key" (its id is then derived from the key: 8 hex digits of a one-way
// fingerprint), key as [ParseKey] reads it. The first is the primary. So a
// single key works as is, and rotation is "new,old".
func ParseKeyring(s string) (*Keyring, error) {
	k := &Keyring{strict: base64.RawURLEncoding.Strict(), keys: make(map[string]func() *ringKey)}
	for i, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		id, enc, hasID := strings.Cut(item, ":")
		if !hasID {
			enc, id = item, ""
		} else if !validKeyID(id) {
			return nil, fmt.Errorf("key %d: %w: key id must be 1 to %d characters of A-Z a-z 0-9 _ -", i+1, ErrKey, maxKeyIDLen)
		}
		raw, err := ParseKey(enc)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i+1, err)
		}
		if id == "" {
			id = Fingerprint(raw)
		}
		err = k.add(id, raw)
		clear(raw)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i+1, err)
		}
		if i == 0 {
			k.primary = id
		}
	}
	return k, nil
}

// Fingerprint is the id [ParseKeyring] gives a key listed without one: 8
// hex digits (32 bits) of HKDF-SHA-256 of the key under a label of its
// own, which reveals nothing usable about the key or its [DeriveKey]
// subkeys.
func Fingerprint(key []byte) string {
	h, _ := hkdf.Key(sha256.New, key, nil, fingerprintInfo, 4)
	return hex.EncodeToString(h)
}

func (k *Keyring) add(id string, raw []byte) error {
	if !validKeyID(id) {
		return fmt.Errorf("%w: key id must be 1 to %d characters of A-Z a-z 0-9 _ -", ErrKey, maxKeyIDLen)
	}
	if _, dup := k.keys[id]; dup {
		return fmt.Errorf("%w: key id %q listed twice", ErrKey, id)
	}
	if len(raw) != KeySize {
		return fmt.Errorf("%w: key %q must be %d bytes, got %d", ErrKey, id, KeySize, len(raw))
	}
	raw = slices.Clone(raw)
	block, err := aes.NewCipher(raw)
	if err != nil {
		return err
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return err
	}
	rk := &ringKey{aead: aead, raw: raw, header: envelopeVersion + ":" + id + ":"}
	k.keys[id] = func() *ringKey { return rk }
	k.ids = append(k.ids, id)
	return nil
}

// key returns the key called id, nil when there is none.
func (k *Keyring) key(id string) *ringKey {
	if f := k.keys[id]; f != nil {
		return f()
	}
	return nil
}

func validKeyID(id string) bool {
	if id == "" || len(id) > maxKeyIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// PrimaryID is the id of the key new ciphertexts use.
func (k *Keyring) PrimaryID() string { return k.primary }

// IDs lists the key ids, primary first.
func (k *Keyring) IDs() []string { return slices.Clone(k.ids) }

// String lists the key ids; it never shows key material.
func (k *Keyring) String() string {
	return "secrets.Keyring{primary: " + k.primary + ", keys: [" + strings.Join(k.ids, " ") + "]}"
}

// GoString is String, for %#v.
func (k *Keyring) GoString() string { return k.String() }

// Derive returns a keyring with the same ids whose keys are the HKDF
// subkeys of this keyring's keys for purpose ([DeriveKey]): one
// ENCRYPTION_KEY, separate keys per column or use.
func (k *Keyring) Derive(purpose string) (*Keyring, error) {
	d := &Keyring{primary: k.primary, strict: base64.RawURLEncoding.Strict(), keys: make(map[string]func() *ringKey, len(k.keys))}
	for _, id := range k.ids {
		sub, err := DeriveKey(k.key(id).raw, purpose)
		if err != nil {
			return nil, err
		}
		err = d.add(id, sub)
		clear(sub)
		if err != nil {
			return nil, err
		}
	}
	return d, nil
}

// Encrypt seals plaintext under the primary key, bound to associatedData
// (which is not stored: pass the same to [Keyring.Decrypt]), and returns
// the text envelope "v1:<key id>:<base64url>", fit for a TEXT column.
func (k *Keyring) Encrypt(plaintext, associatedData []byte) (string, error) {
	key := k.key(k.primary)
	if key == nil {
		return "", ErrNoKey
	}
	sc := k.getScratch()
	defer k.putScratch(sc)
	sealed := key.aead.Seal(sc.sealed[:0], nil, plaintext, sc.authData(key.header, associatedData))
	sc.sealed = sealed
	var b strings.Builder
	b.Grow(len(key.header) + base64.RawURLEncoding.EncodedLen(len(sealed)))
	b.WriteString(key.header)
	var chunk [64]byte // 48 input bytes at a time: no padding mid-stream
	for rest := sealed; len(rest) > 0; {
		n := min(len(rest), 48)
		base64.RawURLEncoding.Encode(chunk[:], rest[:n])
		b.Write(chunk[:base64.RawURLEncoding.EncodedLen(n)])
		rest = rest[n:]
	}
	return b.String(), nil
}

func (k *Keyring) getScratch() *scratch {
	if sc, _ := k.pool.Get().(*scratch); sc != nil {
		return sc
	}
	return new(scratch)
}

func (k *Keyring) putScratch(sc *scratch) {
	if cap(sc.ad) > maxPooled || cap(sc.sealed) > maxPooled {
		return
	}
	k.pool.Put(sc)
}

// parse splits an envelope into key id and payload.
func parseEnvelope(s string) (id, payload string, err error) {
	version, rest, ok := strings.Cut(s, ":")
	if !ok {
		return "", "", ErrMalformed
	}
	if version != envelopeVersion {
		if len(version) >= 2 && len(version) <= 4 && version[0] == 'v' && strings.Trim(version[1:], "0123456789") == "" {
			return "", "", ErrVersion
		}
		return "", "", ErrMalformed
	}
	id, payload, ok = strings.Cut(rest, ":")
	if !ok || !validKeyID(id) {
		return "", "", ErrMalformed
	}
	return id, payload, nil
}

// KeyID returns the id of the key an envelope was sealed with, without
// decrypting it.
func KeyID(ciphertext string) (string, error) {
	id, _, err := parseEnvelope(ciphertext)
	return id, err
}

// Decrypt opens an envelope made by [Keyring.Encrypt] (under any key of the
// keyring) with the same associated data. Errors say what is wrong with
// the envelope — [ErrMalformed], [ErrVersion], [ErrUnknownKey],
// [ErrDecrypt] — and never contain plaintext.
func (k *Keyring) Decrypt(ciphertext string, associatedData []byte) ([]byte, error) {
	id, payload, err := parseEnvelope(ciphertext)
	if err != nil {
		return nil, err
	}
	key := k.key(id)
	if key == nil {
		return nil, &UnknownKeyError{ID: id}
	}
	if len(payload) < base64.RawURLEncoding.EncodedLen(overhead) || strings.ContainsAny(payload, "\r\n") {
		return nil, ErrMalformed
	}
	// One allocation: the decoded payload, opened in place, then the
	// authenticated data (header || associated data) after it.
	n := base64.RawURLEncoding.DecodedLen(len(payload))
	raw, err := k.strict.AppendDecode(make([]byte, 0, n+len(key.header)+len(associatedData)), []byte(payload))
	if err != nil || len(raw) < overhead {
		return nil, ErrMalformed
	}
	ad := append(append(raw[len(raw):], key.header...), associatedData...)
	out, err := key.aead.Open(raw[:0], nil, raw, ad)
	if err != nil {
		clear(raw)
		return nil, ErrDecrypt
	}
	return out[:len(out):len(out)], nil
}

// NeedsRewrap reports whether ciphertext is sealed under a key other than
// the primary (false for text that is not an envelope).
func (k *Keyring) NeedsRewrap(ciphertext string) bool {
	id, _, err := parseEnvelope(ciphertext)
	return err == nil && id != k.primary
}

// Rewrap re-encrypts ciphertext under the primary key (the rotation job:
// read, rewrap, write back). A ciphertext already under the primary key is
// authenticated and returned unchanged; like any other, it is an error
// when it does not decrypt with associatedData.
func (k *Keyring) Rewrap(ciphertext string, associatedData []byte) (string, error) {
	pt, err := k.Decrypt(ciphertext, associatedData)
	if err != nil {
		return "", err
	}
	defer clear(pt)
	if id, _, _ := parseEnvelope(ciphertext); id == k.primary {
		return ciphertext, nil
	}
	return k.Encrypt(pt, associatedData)
}

// AssociatedData encodes parts (for example table, column and row id)
// unambiguously as associated data: each part is length-prefixed, so
// ("ab", "c") and ("a", "bc") differ.
func AssociatedData(parts ...string) []byte {
	n := 0
	for _, p := range parts {
		n += binary.MaxVarintLen64 + len(p)
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	}
	return b
}
