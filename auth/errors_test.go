package auth_test

import (
	"errors"
	"testing"

	"github.com/chainsync/middleware/auth"
)

func TestPasswordTooLongError(t *testing.T) {
	var err error = &auth.PasswordTooLongError{Max: 72}
	var typed *auth.PasswordTooLongError
	if !errors.Is(err, auth.ErrPasswordTooLong) || !errors.As(err, &typed) || typed.Max != 72 {
		t.Fatalf("%v does not unwrap to ErrPasswordTooLong with Max 72", err)
	}
	if err.Error() != "auth: password longer than 72 bytes" {
		t.Fatalf("message %q", err)
	}
}
