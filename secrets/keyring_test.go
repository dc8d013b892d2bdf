package secrets_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/chainsync/middleware/secrets"
	"github.com/chainsync/middleware/secrets/internal/deepwalk"
)

func randomKey(t testing.TB) []byte {
	t.Helper()
	b := make([]byte, secrets.KeySize)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func mustKeyring(t testing.TB, primary string, keys map[string][]byte) *secrets.Keyring {
	t.Helper()
	k, err := secrets.NewKeyring(primary, keys)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestParseKey(t *testing.T) {
	raw := make([]byte, 32)
	for i := range raw {
		raw[i] = byte(i * 7)
	}
	std := base64.StdEncoding.EncodeToString(raw)
	// Same length as a valid key, but the last character sets trailing bits.
	nonCanonical := std[:42] + "d="
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"hex lower", hex.EncodeToString(raw), true},
		{"hex upper", strings.ToUpper(hex.EncodeToString(raw)), true},
		{"base64 std", std, true},
		{"base64 raw std", base64.RawStdEncoding.EncodeToString(raw), true},
		{"base64 url", base64.URLEncoding.EncodeToString(raw), true},
		{"base64 raw url", base64.RawURLEncoding.EncodeToString(raw), true},
		{"trailing newline", std + "\n", false},
		{"inner newline", std[:20] + "\n" + std[20:], false},
		{"leading space", " " + std, false},
		{"31 bytes", base64.StdEncoding.EncodeToString(raw[:31]), false},
		{"33 bytes", base64.StdEncoding.EncodeToString(append(raw, 1)), false},
		{"hex 31 bytes", hex.EncodeToString(raw[:31]), false},
		{"hex odd", hex.EncodeToString(raw)[:63] + "g", false},
		{"non-canonical trailing bits", nonCanonical, false},
		{"passphrase", "correct horse battery staple and more words!", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := secrets.ParseKey(tt.in)
			if tt.ok {
				if err != nil || !bytes.Equal(got, raw) {
					t.Fatalf("ParseKey = %x, %v", got, err)
				}
				return
			}
			if !errors.Is(err, secrets.ErrKey) {
				t.Fatalf("err = %v, want ErrKey", err)
			}
			if len(tt.in) > 8 && strings.Contains(err.Error(), strings.TrimSpace(tt.in)[:8]) {
				t.Fatalf("error quotes the key: %v", err)
			}
		})
	}
}

func TestNewKeyring(t *testing.T) {
	k1 := randomKey(t)
	tests := []struct {
		name    string
		primary string
		keys    map[string][]byte
		ok      bool
	}{
		{"one key", "k1", map[string][]byte{"k1": k1}, true},
		{"primary missing", "k2", map[string][]byte{"k1": k1}, false},
		{"short key", "k1", map[string][]byte{"k1": k1[:16]}, false},
		{"bad id", "k:1", map[string][]byte{"k:1": k1}, false},
		{"id too long", strings.Repeat("a", 65), map[string][]byte{strings.Repeat("a", 65): k1}, false},
		{"no keys", "", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := secrets.NewKeyring(tt.primary, tt.keys)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, secrets.ErrKey) {
				t.Fatalf("err = %v, want ErrKey", err)
			}
		})
	}
}

func TestParseKeyring(t *testing.T) {
	a, b := randomKey(t), randomKey(t)
	ea, eb := base64.StdEncoding.EncodeToString(a), hex.EncodeToString(b)
	tests := []struct {
		name    string
		in      string
		primary string
		ids     []string
		ok      bool
	}{
		{"single key", ea, secrets.Fingerprint(a), []string{secrets.Fingerprint(a)}, true},
		{"rotation new,old", eb + "," + ea, secrets.Fingerprint(b), []string{secrets.Fingerprint(b), secrets.Fingerprint(a)}, true},
		{"explicit ids", "2026:" + eb + ", 2025:" + ea, "2026", []string{"2026", "2025"}, true},
		{"duplicate key", ea + "," + ea, "", nil, false},
		{"bad key", "k1:" + ea + ",k2:nope", "", nil, false},
		{"bad id", "k.1:" + ea, "", nil, false},
		{"empty explicit id", ":" + ea, "", nil, false},
		{"trailing comma", ea + ",", "", nil, false},
		{"empty", "", "", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := secrets.ParseKeyring(tt.in)
			if !tt.ok {
				if !errors.Is(err, secrets.ErrKey) {
					t.Fatalf("err = %v, want ErrKey", err)
				}
				if strings.Contains(err.Error(), ea[:10]) {
					t.Fatalf("error quotes a key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if k.PrimaryID() != tt.primary || fmt.Sprint(k.IDs()) != fmt.Sprint(tt.ids) {
				t.Fatalf("primary %s ids %v, want %s %v", k.PrimaryID(), k.IDs(), tt.primary, tt.ids)
			}
		})
	}
}

func TestEncryptRoundTrip(t *testing.T) {
	k := mustKeyring(t, "k1", map[string][]byte{"k1": randomKey(t)})
	ad := secrets.AssociatedData("customers", "email", "42")
	tests := []struct {
		name string
		pt   []byte
		ad   []byte
	}{
		{"email", []byte("ana@example.com"), ad},
		{"empty plaintext", []byte{}, ad},
		{"no associated data", []byte("x"), nil},
		{"binary", []byte{0, 1, 2, 255, ':', '\n'}, ad},
		{"large", bytes.Repeat([]byte("0123456789"), 1000), ad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct, err := k.Encrypt(tt.pt, tt.ad)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(ct, "v1:k1:") || strings.ContainsAny(ct, " \n=+/") {
				t.Fatalf("envelope %q", ct)
			}
			if len(tt.pt) > 3 && strings.Contains(ct, string(tt.pt[:4])) {
				t.Fatal("ciphertext contains plaintext")
			}
			got, err := k.Decrypt(ct, tt.ad)
			if err != nil || !bytes.Equal(got, tt.pt) {
				t.Fatalf("Decrypt = %q, %v", got, err)
			}
			ct2, _ := k.Encrypt(tt.pt, tt.ad)
			if ct2 == ct {
				t.Fatal("two encryptions are equal: nonce reused")
			}
			if id, err := secrets.KeyID(ct); err != nil || id != "k1" {
				t.Fatalf("KeyID = %q, %v", id, err)
			}
		})
	}
}

func TestDecryptRejectsTampering(t *testing.T) {
	k := mustKeyring(t, "k1", map[string][]byte{"k1": randomKey(t), "k2": randomKey(t)})
	ad := secrets.AssociatedData("customers", "phone", "7")
	ct, err := k.Encrypt([]byte("+1 555 0100"), ad)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("every byte changed to every other value", func(t *testing.T) {
		for i := range len(ct) {
			for mask := 1; mask < 256; mask++ {
				b := []byte(ct)
				b[i] ^= byte(mask)
				if pt, err := k.Decrypt(string(b), ad); err == nil {
					t.Fatalf("byte %d ^ %#x accepted: %q", i, mask, pt)
				}
			}
		}
	})
	t.Run("every truncation", func(t *testing.T) {
		for n := range len(ct) {
			if _, err := k.Decrypt(ct[:n], ad); err == nil {
				t.Fatalf("truncation to %d accepted", n)
			}
		}
	})
	t.Run("appended bytes", func(t *testing.T) {
		for _, tail := range []string{"A", "AA", "AAAA", "\n", "=", ":"} {
			if _, err := k.Decrypt(ct+tail, ad); err == nil {
				t.Fatalf("appending %q accepted", tail)
			}
		}
	})
	t.Run("key id relabelled to an alias of the same key", func(t *testing.T) {
		// The header is authenticated: even where two ids hold one key,
		// an envelope cannot be relabelled.
		same := randomKey(t)
		alias := mustKeyring(t, "a1", map[string][]byte{"a1": same, "a3": same})
		ct, err := alias.Encrypt([]byte("+1 555 0100"), ad)
		if err != nil {
			t.Fatal(err)
		}
		b := []byte(ct)
		b[4] ^= 0x02 // "a1" -> "a3"
		if _, err := alias.Decrypt(string(b), ad); !errors.Is(err, secrets.ErrDecrypt) {
			t.Fatalf("relabelled envelope: err = %v, want ErrDecrypt", err)
		}
	})
	t.Run("key id swapped", func(t *testing.T) {
		_, err := k.Decrypt(strings.Replace(ct, ":k1:", ":k2:", 1), ad)
		if !errors.Is(err, secrets.ErrDecrypt) {
			t.Fatalf("err = %v, want ErrDecrypt", err)
		}
	})
	tests := []struct {
		name string
		ct   string
		ad   []byte
		want error
	}{
		{"wrong associated data", ct, secrets.AssociatedData("customers", "phone", "8"), secrets.ErrDecrypt},
		{"missing associated data", ct, nil, secrets.ErrDecrypt},
		{"ambiguous parts differ", ct, secrets.AssociatedData("customersphone", "", "7"), secrets.ErrDecrypt},
		{"unknown key", strings.Replace(ct, ":k1:", ":k9:", 1), ad, secrets.ErrUnknownKey},
		{"future version", strings.Replace(ct, "v1:", "v2:", 1), ad, secrets.ErrVersion},
		{"not an envelope", "ana@example.com", ad, secrets.ErrMalformed},
		{"empty", "", ad, secrets.ErrMalformed},
		{"bad base64", "v1:k1:!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!", ad, secrets.ErrMalformed},
		{"too short", "v1:k1:AAAA", ad, secrets.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := k.Decrypt(tt.ct, tt.ad)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), "555") {
				t.Fatalf("error contains plaintext: %v", err)
			}
		})
	}
	t.Run("UnknownKeyError carries the id", func(t *testing.T) {
		_, err := k.Decrypt(strings.Replace(ct, ":k1:", ":k9:", 1), ad)
		var uk *secrets.UnknownKeyError
		if !errors.As(err, &uk) || uk.ID != "k9" {
			t.Fatalf("err = %#v", err)
		}
	})
}

func TestEncryptNoncesAreUnique(t *testing.T) {
	k := mustKeyring(t, "k1", map[string][]byte{"k1": randomKey(t)})
	seen := make(map[string]bool)
	for range 20000 {
		ct, err := k.Encrypt([]byte("same plaintext"), nil)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(ct, "v1:k1:"))
		if err != nil || len(raw) < 12 {
			t.Fatalf("envelope %q: %v", ct, err)
		}
		nonce := string(raw[:12])
		if seen[nonce] {
			t.Fatal("nonce repeated")
		}
		seen[nonce] = true
	}
}

func TestKeyRotation(t *testing.T) {
	oldKey, newKey := randomKey(t), randomKey(t)
	ad := secrets.AssociatedData("customers", "email", "1")
	oldRing := mustKeyring(t, "2025", map[string][]byte{"2025": oldKey})
	oldCT, _ := oldRing.Encrypt([]byte("ana@example.com"), ad)

	ring := mustKeyring(t, "2026", map[string][]byte{"2026": newKey, "2025": oldKey})
	t.Run("old ciphertexts decrypt", func(t *testing.T) {
		pt, err := ring.Decrypt(oldCT, ad)
		if err != nil || string(pt) != "ana@example.com" {
			t.Fatalf("Decrypt = %q, %v", pt, err)
		}
	})
	t.Run("new ciphertexts use the new key id", func(t *testing.T) {
		ct, _ := ring.Encrypt([]byte("x"), ad)
		if id, _ := secrets.KeyID(ct); id != "2026" || ring.NeedsRewrap(ct) {
			t.Fatalf("key id %q", id)
		}
		if _, err := oldRing.Decrypt(ct, ad); !errors.Is(err, secrets.ErrUnknownKey) {
			t.Fatalf("old ring: %v", err)
		}
	})
	t.Run("rewrap", func(t *testing.T) {
		if !ring.NeedsRewrap(oldCT) {
			t.Fatal("old ciphertext does not need rewrap")
		}
		re, err := ring.Rewrap(oldCT, ad)
		if err != nil {
			t.Fatal(err)
		}
		if id, _ := secrets.KeyID(re); id != "2026" {
			t.Fatalf("rewrapped under %q", id)
		}
		again, _ := ring.Rewrap(re, ad)
		if again != re {
			t.Fatal("rewrap of a primary ciphertext changed it")
		}
		onlyNew := mustKeyring(t, "2026", map[string][]byte{"2026": newKey})
		if pt, err := onlyNew.Decrypt(re, ad); err != nil || string(pt) != "ana@example.com" {
			t.Fatalf("after dropping the old key: %q, %v", pt, err)
		}
		if _, err := onlyNew.Decrypt(oldCT, ad); !errors.Is(err, secrets.ErrUnknownKey) {
			t.Fatalf("old ciphertext under dropped key: %v", err)
		}
		if _, err := ring.Rewrap(oldCT, []byte("wrong")); !errors.Is(err, secrets.ErrDecrypt) {
			t.Fatalf("rewrap with wrong AD: %v", err)
		}
		// A primary ciphertext is returned unchanged only when authentic:
		// the rotation job must not report a bad row as done.
		if _, err := ring.Rewrap(re, []byte("wrong")); !errors.Is(err, secrets.ErrDecrypt) {
			t.Fatalf("rewrap of a primary ciphertext with wrong AD: %v", err)
		}
		tampered := []byte(re)
		tampered[len(tampered)-1] ^= 0x01
		if _, err := ring.Rewrap(string(tampered), ad); err == nil {
			t.Fatal("rewrap of a tampered primary ciphertext succeeded")
		}
	})
}

func TestDerive(t *testing.T) {
	ring := mustKeyring(t, "k1", map[string][]byte{"k1": randomKey(t)})
	email, err := ring.Derive("customers.email")
	if err != nil {
		t.Fatal(err)
	}
	again, _ := ring.Derive("customers.email")
	phone, _ := ring.Derive("customers.phone")
	ct, _ := email.Encrypt([]byte("ana@example.com"), nil)
	if _, err := again.Decrypt(ct, nil); err != nil {
		t.Fatalf("same purpose: %v", err)
	}
	for name, other := range map[string]*secrets.Keyring{"parent": ring, "other purpose": phone} {
		if _, err := other.Decrypt(ct, nil); !errors.Is(err, secrets.ErrDecrypt) {
			t.Fatalf("%s decrypted a derived ciphertext: %v", name, err)
		}
	}
	if _, err := ring.Derive(""); err == nil {
		t.Fatal("empty purpose accepted")
	}
	t.Run("no purpose shares HKDF info with the key fingerprint", func(t *testing.T) {
		master := randomKey(t)
		fp, _ := hex.DecodeString(secrets.Fingerprint(master))
		for _, purpose := range []string{"key id", " key id", "id", "customers.email"} {
			sub, err := secrets.DeriveKey(master, purpose)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(sub[:len(fp)], fp) {
				t.Fatalf("DeriveKey(%q) starts with the public key id", purpose)
			}
		}
	})
	t.Run("known answer", func(t *testing.T) {
		// Pinned: a change would orphan every ciphertext under derived keys.
		sub, err := secrets.DeriveKey(bytes.Repeat([]byte{1}, 32), "customers.email")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := hex.EncodeToString(sub), derivedKAT; got != want {
			t.Fatalf("DeriveKey = %s, want %s", got, want)
		}
	})
	k1, _ := secrets.DeriveKey(randomKey(t), "a")
	if len(k1) != 32 {
		t.Fatal("DeriveKey length")
	}
	if _, err := secrets.DeriveKey(make([]byte, 16), "a"); !errors.Is(err, secrets.ErrKey) {
		t.Fatal("short master accepted")
	}
}

// derivedKAT is HKDF-SHA-256(ikm = 32 bytes of 0x01, salt = none,
// info = "chainsync/secrets v1 derive customers.email", 32 bytes).
const derivedKAT = "291d97499883c706262624a3a2801a8d07c1c683520f9cf9d1539d42f394ab90"

func TestKeyringDoesNotPrintKeys(t *testing.T) {
	raw := randomKey(t)
	ring := mustKeyring(t, "k1", map[string][]byte{"k1": raw})
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x"} {
		out := fmt.Sprintf(verb, ring) + fmt.Sprintf(verb, []*secrets.Keyring{ring})
		for _, enc := range []string{hex.EncodeToString(raw), base64.StdEncoding.EncodeToString(raw), fmt.Sprint(raw[:8])[1:] + " "} {
			if strings.Contains(out, enc) || bytes.Contains([]byte(out), raw[:8]) {
				t.Fatalf("%s prints key material: %s", verb, out)
			}
		}
	}
}

func TestKeyringHiddenFromReflection(t *testing.T) {
	raw := randomKey(t)
	ring := mustKeyring(t, "k1", map[string][]byte{"k1": raw})
	derived, err := ring.Derive("customers.email")
	if err != nil {
		t.Fatal(err)
	}
	sub, _ := secrets.DeriveKey(raw, "customers.email")
	if _, err := ring.Encrypt([]byte("x"), nil); err != nil { // fill the pool
		t.Fatal(err)
	}
	tests := []struct {
		name string
		v    any
		key  []byte
	}{
		{"keyring", ring, raw},
		{"derived keyring", derived, sub},
		{"keyring in a struct", struct{ R *secrets.Keyring }{ring}, raw},
		{"blind index", mustIndex(t, raw, secrets.BlindIndexOptions{Purpose: "p"}), raw},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Any 16 bytes of the key, or of its first AES round keys.
			if deepwalk.Reachable(tt.v, tt.key[:16]) || deepwalk.Reachable(tt.v, tt.key[16:]) {
				t.Fatal("key material is reachable by reflection")
			}
		})
	}
}

func TestAssociatedData(t *testing.T) {
	if bytes.Equal(secrets.AssociatedData("ab", "c"), secrets.AssociatedData("a", "bc")) {
		t.Fatal("ambiguous encoding")
	}
	if !bytes.Equal(secrets.AssociatedData("a", "b"), secrets.AssociatedData("a", "b")) {
		t.Fatal("not deterministic")
	}
}

func FuzzDecrypt(f *testing.F) {
	ring, err := secrets.NewKeyring("k1", map[string][]byte{"k1": bytes.Repeat([]byte{7}, 32), "old": bytes.Repeat([]byte{9}, 32)})
	if err != nil {
		f.Fatal(err)
	}
	ad := []byte("customers/email/1")
	// Fixed envelopes under the keys above (random nonces make fresh ones
	// differ between fuzzing processes). Only these may decrypt.
	valid := map[string]string{
		"v1:k1:fDdpJRpNS6_zL4yrxbIvrKvd64hDPW8Ji5r5mA":                                                      "",
		"v1:k1:7DC9swsZJOIXDZ1x_Tni5l8DFXlCw-IEwHlW8fVr6X8p_4fbPR9pc7reww":                                  "ana@example.com",
		"v1:k1:Mw-Kzj4A9rI3lCSnrspEtCVhiTHm-IpTnyxf6YmKY-QeqiZW1xg9qfC5mEb00TErigkg5dyafFV9gdwLxX3QRr9iq_A": strings.Repeat("x", 40),
		"v1:old:V8QT_l7G4KCa2ZKHiz5DhkGWV9A8WHjE8fZLHfmxDA":                                                 "old",
	}
	for ct, want := range valid {
		if pt, err := ring.Decrypt(ct, ad); err != nil || string(pt) != want {
			f.Fatalf("seed %s: %q %v", ct, pt, err)
		}
		f.Add(ct)
	}
	for _, s := range []string{"", "v1:", "v1:k1:", "v1:old:AAAA", "v2:k1:AAAA", "v1:k1:" + strings.Repeat("A", 40), "v1:k:1:x", "plain text"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ct string) {
		pt, err := ring.Decrypt(ct, ad)
		if want, ok := valid[ct]; err == nil && (!ok || string(pt) != want) {
			t.Fatalf("accepted a ciphertext that was never produced: %q -> %q", ct, pt)
		}
		if err != nil && len(pt) != 0 {
			t.Fatal("plaintext returned with an error")
		}
		_, _ = secrets.KeyID(ct)
		_ = ring.NeedsRewrap(ct)
	})
}

func FuzzParseKey(f *testing.F) {
	raw := bytes.Repeat([]byte{0xa5}, 32)
	for _, s := range []string{
		hex.EncodeToString(raw), base64.StdEncoding.EncodeToString(raw), base64.RawURLEncoding.EncodeToString(raw),
		base64.StdEncoding.EncodeToString(raw) + "\n", "", "short", strings.Repeat("0", 64), strings.Repeat("A", 43) + "=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := secrets.ParseKey(s)
		if err != nil {
			if !errors.Is(err, secrets.ErrKey) {
				t.Fatalf("error %v is not ErrKey", err)
			}
			if len(s) >= 8 && strings.Contains(err.Error(), s) {
				t.Fatalf("error quotes the input: %v", err)
			}
			return
		}
		if len(b) != 32 {
			t.Fatalf("%d bytes", len(b))
		}
		// Strict: the input is exactly one of the canonical encodings.
		canon := []string{
			hex.EncodeToString(b), strings.ToUpper(hex.EncodeToString(b)),
			base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b),
			base64.URLEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b),
		}
		for _, c := range canon {
			if strings.EqualFold(c, s) && (c == s || len(s) == 64) {
				return
			}
		}
		t.Fatalf("accepted non-canonical key encoding %q", s)
	})
}

func FuzzParseKeyring(f *testing.F) {
	a := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	b := hex.EncodeToString(bytes.Repeat([]byte{2}, 32))
	for _, s := range []string{a, a + "," + b, "k1:" + a + ",k2:" + b, "k1:" + a + ",k1:" + b, ",", "::", a + ",,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := secrets.ParseKeyring(s)
		if err != nil {
			return
		}
		ct, err := k.Encrypt([]byte("x"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if pt, err := k.Decrypt(ct, nil); err != nil || string(pt) != "x" {
			t.Fatalf("round trip: %q %v", pt, err)
		}
	})
}

const field = "ana.customer@example.com"

func BenchmarkEncrypt(b *testing.B) {
	ring := mustKeyring(b, "k1", map[string][]byte{"k1": randomKey(b)})
	ad := secrets.AssociatedData("customers", "email", "42")
	pt := []byte(field)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ring.Encrypt(pt, ad); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecrypt(b *testing.B) {
	ring := mustKeyring(b, "k1", map[string][]byte{"k1": randomKey(b)})
	ad := secrets.AssociatedData("customers", "email", "42")
	ct, _ := ring.Encrypt([]byte(field), ad)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ring.Decrypt(ct, ad); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncryptParallel(b *testing.B) {
	ring := mustKeyring(b, "k1", map[string][]byte{"k1": randomKey(b)})
	ad := secrets.AssociatedData("customers", "email", "42")
	pt := []byte(field)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := ring.Encrypt(pt, ad); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func TestZeroKeyring(t *testing.T) {
	var k secrets.Keyring
	if _, err := k.Encrypt([]byte("x"), nil); !errors.Is(err, secrets.ErrNoKey) {
		t.Fatalf("Encrypt err = %v", err)
	}
	if _, err := k.Decrypt("v1:k1:"+strings.Repeat("A", 40), nil); !errors.Is(err, secrets.ErrUnknownKey) {
		t.Fatalf("Decrypt err = %v", err)
	}
}
