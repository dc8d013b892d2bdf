package secrets

import (
	"errors"
	"fmt"
)

// Sentinel errors. A [Load] or [Set.Refresh] error joins one [*Error] per
// problem; errors.Is(err, ErrMissing) tells whether any secret was missing.
// The keyring's errors follow ErrSpec.
var (
	// ErrMissing: a required secret was found nowhere (or only empty).
	ErrMissing = errors.New("secrets: required secret is missing")
	// ErrInvalid: a secret failed its spec's validation.
	ErrInvalid = errors.New("secrets: secret is invalid")
	// ErrLookup: a provider failed while looking the secret up.
	ErrLookup = errors.New("secrets: lookup failed")
	// ErrAmbiguous: a secret was given twice in one source (NAME and
	// NAME_FILE).
	ErrAmbiguous = errors.New("secrets: secret set both directly and through a file")
	// ErrInvalidName: a name that cannot be a variable or file name.
	ErrInvalidName = errors.New("secrets: invalid secret name")
	// ErrSpec: a malformed spec set passed to [New] or [Load].
	ErrSpec = errors.New("secrets: invalid spec")

	// ErrKey: key material that is not the strict base64 or hex encoding of
	// exactly 32 bytes, or an invalid key id.
	ErrKey = errors.New("secrets: invalid key")
	// ErrMalformed: text that is not an encryption envelope.
	ErrMalformed = errors.New("secrets: malformed ciphertext")
	// ErrVersion: an envelope of a version this package does not know.
	ErrVersion = errors.New("secrets: unsupported ciphertext version")
	// ErrUnknownKey: an envelope under a key id the keyring does not hold
	// (see [UnknownKeyError]).
	ErrUnknownKey = errors.New("secrets: unknown key id")
	// ErrDecrypt: authentication failed: wrong key, wrong associated data
	// or a tampered ciphertext.
	ErrDecrypt = errors.New("secrets: decryption failed")
	// ErrNoKey: encryption with a zero Keyring (use [NewKeyring] or
	// [ParseKeyring]).
	ErrNoKey = errors.New("secrets: keyring has no keys")
)

// Error is one problem with one secret. Its message names the secret and
// the reason, never the value.
type Error struct {
	// Name is the secret's name.
	Name string
	// Kind is [ErrMissing], [ErrInvalid] or [ErrLookup].
	Kind error
	// Reason is the validation or provider error; for ErrMissing, nil or
	// why a development value could not be generated.
	Reason error
}

// Error implements error.
func (e *Error) Error() string {
	switch {
	case e.Kind == ErrMissing && e.Reason == nil:
		return fmt.Sprintf("secrets: %s: required secret is missing", e.Name)
	case e.Kind == ErrMissing:
		return fmt.Sprintf("secrets: %s: required secret is missing: %v", e.Name, e.Reason)
	case e.Kind == ErrInvalid:
		return fmt.Sprintf("secrets: %s: invalid: %v", e.Name, e.Reason)
	default:
		return fmt.Sprintf("secrets: %s: lookup failed: %v", e.Name, e.Reason)
	}
}

// Unwrap returns Kind and Reason, for errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Reason == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Reason}
}
