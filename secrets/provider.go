package secrets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync"
)

// Provider is a source of secrets: the environment, a directory of files,
// a cloud secret store.
//
// Lookup returns the secret called name. The contract, which every
// provider follows and [Chain] and [Load] rely on:
//   - not found is ("", false, nil);
//   - an empty value is reported as found, and [Load] treats it as missing;
//   - errors are only for faults of the source (unreadable file, store
//     unreachable, malformed configuration) and never contain the value;
//   - ctx bounds any I/O.
//
// Implementations must be safe for concurrent use.
type Provider interface {
	Lookup(ctx context.Context, name string) (value string, found bool, err error)
}

// ProviderFunc adapts a function to a [Provider].
type ProviderFunc func(ctx context.Context, name string) (string, bool, error)

// Lookup calls f(ctx, name).
func (f ProviderFunc) Lookup(ctx context.Context, name string) (string, bool, error) {
	return f(ctx, name)
}

// MaxFileSize is the largest secret file [Env] (NAME_FILE) and [Dir] read:
// 1 MiB. A bigger file is an error, not a truncated secret.
const MaxFileSize = 1 << 20

// Env reads secrets from environment variables. The zero value reads the
// process environment, with the NAME_FILE convention on.
//
// # NAME_FILE
//
// When the variable NAME is unset or empty and NAME_FILE is set, the secret
// is the content of the file NAME_FILE names, with one trailing newline
// ("\n" or "\r\n") removed — the convention of the official Docker images
// for passing secrets as files. Setting both NAME and NAME_FILE to
// non-empty values is an error ([ErrAmbiguous]): one of them would be
// silently ignored. A NAME_FILE that cannot be read is an error, not a
// missing secret. A world-readable file is warned about once, as in [Dir].
//
// Env is safe for concurrent use; do not copy it after first use.
type Env struct {
	// Prefix is prepended to every name: with Prefix "CHAINSYNC_", the
	// secret JWT_SECRET is read from CHAINSYNC_JWT_SECRET. Default "".
	Prefix string

	// DisableFiles turns the NAME_FILE convention off. Default false (on).
	DisableFiles bool

	// LookupEnv reads a variable. Default [os.LookupEnv].
	LookupEnv func(key string) (string, bool)

	// Logger receives the world-readable file warning. Default
	// [slog.Default]().
	Logger *slog.Logger

	// IgnoreMode turns the world-readable file warning off. Default false.
	IgnoreMode bool

	warned sync.Map
}

// Lookup implements [Provider].
func (e *Env) Lookup(ctx context.Context, name string) (string, bool, error) {
	if err := checkName(name); err != nil {
		return "", false, err
	}
	lookup := e.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	key := e.Prefix + name
	v, ok := lookup(key)
	if e.DisableFiles {
		return v, ok, nil
	}
	path, _ := lookup(key + "_FILE")
	if path == "" {
		return v, ok, nil
	}
	if v != "" {
		return "", false, fmt.Errorf("%w: both %s and %s_FILE are set", ErrAmbiguous, key, key)
	}
	if err := ctx.Err(); err != nil {
		return "", false, err
	}
	f, err := os.OpenFile(path, openFlags, 0)
	if err != nil {
		return "", false, fmt.Errorf("secrets: %s_FILE: %w", key, pathError(err))
	}
	defer f.Close()
	s, err := readSecretFile(f, path, e.Logger, e.IgnoreMode, &e.warned)
	if err != nil {
		return "", false, fmt.Errorf("secrets: %s_FILE: %w", key, err)
	}
	return s, true, nil
}

// Dir reads secrets from files in a directory, one file per secret named
// after it: Docker secrets and Kubernetes secret volumes. The zero value
// reads [DefaultDir].
//
// One trailing newline ("\n" or "\r\n") is removed. A missing file is not
// found; any other failure (permissions, a directory, a named pipe or a
// device, a file over [MaxFileSize]) is an error; a pipe is opened
// without blocking, so it fails at once. Files are opened through [os.Root], so a
// name, or a symbolic link, cannot reach outside the directory (Kubernetes'
// relative "..data" links work). A missing directory means no secrets.
//
// A file readable by every user (mode o+r) is warned about once per file
// through Logger: anyone on the machine can read that secret. (Kubernetes
// mounts secrets 0644 unless the volume sets defaultMode: 0400 or 0440.)
//
// Dir is safe for concurrent use; do not copy it after first use.
type Dir struct {
	// Path is the directory. Default [DefaultDir] ("/run/secrets").
	Path string

	// Logger receives the world-readable file warning. Default
	// [slog.Default]().
	Logger *slog.Logger

	// IgnoreMode turns the world-readable file warning off. Default false.
	IgnoreMode bool

	warned sync.Map
}

// DefaultDir is where Docker and Compose mount secrets.
const DefaultDir = "/run/secrets"

// Lookup implements [Provider].
func (d *Dir) Lookup(ctx context.Context, name string) (string, bool, error) {
	if err := checkName(name); err != nil {
		return "", false, err
	}
	if err := ctx.Err(); err != nil {
		return "", false, err
	}
	dir := d.Path
	if dir == "" {
		dir = DefaultDir
	}
	root, err := os.OpenRoot(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("secrets: file secret %s: %w", name, pathError(err))
	}
	f, err := root.OpenFile(name, openFlags, 0)
	root.Close()
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("secrets: file secret %s: %w", name, pathError(err))
	}
	defer f.Close()
	s, err := readSecretFile(f, f.Name(), d.Logger, d.IgnoreMode, &d.warned)
	if err != nil {
		return "", false, fmt.Errorf("secrets: file secret %s: %w", name, err)
	}
	return s, true, nil
}

func readSecretFile(f *os.File, path string, logger *slog.Logger, ignoreMode bool, warned *sync.Map) (string, error) {
	st, err := f.Stat()
	if err != nil {
		return "", pathError(err)
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", path)
	}
	if !ignoreMode && st.Mode().Perm()&0o004 != 0 {
		if _, seen := warned.LoadOrStore(path, true); !seen {
			if logger == nil {
				logger = slog.Default()
			}
			logger.Warn("secrets: secret file is world-readable; restrict it to mode 0400 or 0440",
				slog.String("path", path), slog.String("mode", st.Mode().Perm().String()))
		}
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return "", pathError(err)
	}
	if len(b) > MaxFileSize {
		return "", fmt.Errorf("%s is larger than %d bytes", path, MaxFileSize)
	}
	s := string(b)
	if t, ok := strings.CutSuffix(s, "\n"); ok {
		s = strings.TrimSuffix(t, "\r")
	}
	clear(b)
	return s, nil
}

// pathError keeps the operation and path of a file error but not its
// wrapping, so messages stay short and value-free.
func pathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s %s: %w", pe.Op, pe.Path, pe.Err)
	}
	return err
}

// checkName rejects names that cannot be a variable or file name.
func checkName(name string) error {
	if name == "" || strings.ContainsAny(name, "/\\\x00=") || name == "." || name == ".." {
		return fmt.Errorf("%w: %q", ErrInvalidName, name)
	}
	return nil
}

// Map is a fixed set of secrets, for tests and defaults. A nil Map has no
// secrets.
type Map map[string]string

// Lookup implements [Provider].
func (m Map) Lookup(_ context.Context, name string) (string, bool, error) {
	v, ok := m[name]
	return v, ok, nil
}

// Chain asks its providers in order and returns the first that has the
// secret with a non-empty value (an empty value falls through, as a missing
// one does). A provider's error stops the lookup and is returned: falling
// through to a lower-priority source could silently pick a value the
// operator meant to override.
type Chain []Provider

// Lookup implements [Provider].
func (c Chain) Lookup(ctx context.Context, name string) (string, bool, error) {
	foundEmpty := false
	for i, p := range c {
		v, ok, err := p.Lookup(ctx, name)
		if err != nil {
			return "", false, &ProviderError{Index: i, Err: err}
		}
		if ok && v != "" {
			return v, true, nil
		}
		foundEmpty = foundEmpty || ok
	}
	return "", foundEmpty, nil
}

// ProviderError is the failure of one provider of a [Chain].
type ProviderError struct {
	// Index is the provider's position in the chain, from 0.
	Index int
	// Err is what the provider returned.
	Err error
}

// Error implements error.
func (e *ProviderError) Error() string {
	return fmt.Sprintf("provider %d: %v", e.Index, e.Err)
}

// Unwrap returns Err.
func (e *ProviderError) Unwrap() error { return e.Err }
