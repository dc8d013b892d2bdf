//go:build unix

package secrets_test

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/chainsync/middleware/secrets"
)

// A named pipe where a secret file is expected must be an error, not a
// lookup that blocks until some process writes to the pipe.
func TestSecretFileIsAPipe(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "JWT_SECRET")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CS_PIPE_FILE", fifo)
	tests := []struct {
		name   string
		p      secrets.Provider
		secret string
	}{
		{"Dir", &secrets.Dir{Path: dir}, "JWT_SECRET"},
		{"Env NAME_FILE", &secrets.Env{}, "CS_PIPE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan lookupResult, 1)
			go func() {
				v, ok, err := tt.p.Lookup(context.Background(), tt.secret)
				done <- lookupResult{v, ok, err}
			}()
			select {
			case got := <-done:
				checkLookup(t, got, "", false, errAny)
			case <-time.After(10 * time.Second):
				t.Fatal("Lookup blocked on a named pipe")
			}
		})
	}
}
