package secrets

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Validator checks a secret's plaintext. Its error is the reason shown in
// the [Error]: it must describe what is wrong without quoting the value.
// (As a safeguard, [Load] replaces the value in a reason, verbatim, quoted
// or in hex, with [Redacted]; a value quoted only in part is not caught.)
type Validator func(value string) error

// MinLength requires at least n bytes.
func MinLength(n int) Validator {
	return func(v string) error {
		if len(v) < n {
			return fmt.Errorf("must be at least %d bytes, got %d", n, len(v))
		}
		return nil
	}
}

// KeyBytes requires the strict base64 or hex encoding of exactly n bytes,
// as [ParseKey] reads it (ParseKey is KeyBytes(32)'s parser).
func KeyBytes(n int) Validator {
	return func(v string) error {
		b, err := parseKey(v, n)
		clear(b)
		if err != nil {
			return errors.New(strings.TrimPrefix(err.Error(), "secrets: "))
		}
		return nil
	}
}

// URL requires an absolute URL with a host (or, for "unix", a path) and,
// when schemes are given, one of those schemes. Its errors never quote the
// URL, which may carry a password.
func URL(schemes ...string) Validator {
	return func(v string) error {
		u, err := url.Parse(v)
		if err != nil {
			return errors.New("must be a valid URL")
		}
		if u.Scheme == "" {
			return errors.New("must be an absolute URL with a scheme")
		}
		if len(schemes) > 0 && !slices.Contains(schemes, strings.ToLower(u.Scheme)) {
			return fmt.Errorf("must be a URL with scheme %s", strings.Join(schemes, ", "))
		}
		if u.Host == "" && !(u.Scheme == "unix" && u.Path != "") {
			return errors.New("must be a URL with a host")
		}
		return nil
	}
}

// All requires every validator to pass, and reports the first failure.
func All(validators ...Validator) Validator {
	return func(v string) error {
		for _, f := range validators {
			if f == nil {
				continue
			}
			if err := f(v); err != nil {
				return err
			}
		}
		return nil
	}
}
