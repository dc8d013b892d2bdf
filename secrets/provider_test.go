package secrets_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainsync/middleware/secrets"
)

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // umask-independent
		t.Fatal(err)
	}
}

type lookupResult struct {
	value string
	found bool
	err   error
}

func lookup(t *testing.T, p secrets.Provider, name string) lookupResult {
	t.Helper()
	v, ok, err := p.Lookup(context.Background(), name)
	return lookupResult{v, ok, err}
}

func TestDir(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "JWT_SECRET"), "s3cret\n", 0o400)
	writeFile(t, filepath.Join(dir, "CRLF"), "windows\r\n", 0o400)
	writeFile(t, filepath.Join(dir, "TWO_NEWLINES"), "kept\n\n", 0o400)
	writeFile(t, filepath.Join(dir, "LONE_CR"), "ends-in-cr\r", 0o400)
	writeFile(t, filepath.Join(dir, "EMPTY"), "", 0o400)
	writeFile(t, filepath.Join(dir, "BIG"), strings.Repeat("x", secrets.MaxFileSize+1), 0o400)
	if err := os.Mkdir(filepath.Join(dir, "SUBDIR"), 0o700); err != nil {
		t.Fatal(err)
	}
	// Kubernetes layout: NAME -> ..data/NAME, ..data -> ..2026_12_04
	if err := os.Mkdir(filepath.Join(dir, "..2026_12_04"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "..2026_12_04", "K8S"), "from-k8s", 0o400)
	must(t, os.Symlink("..2026_12_04", filepath.Join(dir, "..data")))
	must(t, os.Symlink("..data/K8S", filepath.Join(dir, "K8S")))
	outside := filepath.Join(t.TempDir(), "outside")
	writeFile(t, outside, "outside", 0o400)
	must(t, os.Symlink(outside, filepath.Join(dir, "ESCAPE")))

	p := &secrets.Dir{Path: dir}
	tests := []struct {
		name      string
		secret    string
		want      string
		found     bool
		wantError error
	}{
		{"trailing newline trimmed", "JWT_SECRET", "s3cret", true, nil},
		{"CRLF trimmed", "CRLF", "windows", true, nil},
		{"only one newline trimmed", "TWO_NEWLINES", "kept\n", true, nil},
		{"a lone CR is not a newline", "LONE_CR", "ends-in-cr\r", true, nil},
		{"empty file is found empty", "EMPTY", "", true, nil},
		{"missing file", "NOPE", "", false, nil},
		{"kubernetes symlinks", "K8S", "from-k8s", true, nil},
		{"symlink out of the directory", "ESCAPE", "", false, errAny},
		{"directory", "SUBDIR", "", false, errAny},
		{"too big", "BIG", "", false, errAny},
		{"path traversal", "../outside", "", false, secrets.ErrInvalidName},
		{"empty name", "", "", false, secrets.ErrInvalidName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := lookup(t, p, tt.secret)
			checkLookup(t, got, tt.want, tt.found, tt.wantError)
		})
	}
	t.Run("missing directory", func(t *testing.T) {
		got := lookup(t, &secrets.Dir{Path: filepath.Join(dir, "absent")}, "JWT_SECRET")
		checkLookup(t, got, "", false, nil)
	})
}

var errAny = errors.New("any error")

func checkLookup(t *testing.T, got lookupResult, want string, found bool, wantErr error) {
	t.Helper()
	switch {
	case wantErr == errAny:
		if got.err == nil {
			t.Fatalf("got (%q, %v, nil), want an error", got.value, got.found)
		}
	case wantErr != nil:
		if !errors.Is(got.err, wantErr) {
			t.Fatalf("err = %v, want %v", got.err, wantErr)
		}
	case got.err != nil:
		t.Fatalf("unexpected error: %v", got.err)
	}
	if got.value != want || got.found != found {
		t.Fatalf("got (%q, %v), want (%q, %v)", got.value, got.found, want, found)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestDirWorldReadableWarning(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "OPEN"), "value-open", 0o644)
	writeFile(t, filepath.Join(dir, "CLOSED"), "value-closed", 0o440)
	tests := []struct {
		name     string
		secret   string
		ignore   bool
		warnings int
	}{
		{"world-readable warned once", "OPEN", false, 1},
		{"group-readable not warned", "CLOSED", false, 0},
		{"IgnoreMode", "OPEN", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			p := &secrets.Dir{Path: dir, IgnoreMode: tt.ignore, Logger: slog.New(slog.NewJSONHandler(&buf, nil))}
			for range 3 {
				if got := lookup(t, p, tt.secret); got.err != nil || !got.found {
					t.Fatalf("lookup: %+v", got)
				}
			}
			if n := strings.Count(buf.String(), "world-readable"); n != tt.warnings {
				t.Fatalf("%d warnings, want %d: %s", n, tt.warnings, buf.String())
			}
			if strings.Contains(buf.String(), "value-") {
				t.Fatalf("warning contains the value: %s", buf.String())
			}
			if tt.warnings > 0 && !strings.Contains(buf.String(), filepath.Join(dir, "OPEN")) {
				t.Fatalf("warning does not name the file: %s", buf.String())
			}
		})
	}
}

func TestEnv(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "db_url")
	writeFile(t, file, "postgres://from-file\n", 0o400)
	t.Setenv("CS_DIRECT", "direct-value")
	t.Setenv("CS_EMPTY", "")
	t.Setenv("CS_VIA_FILE_FILE", file)
	t.Setenv("CS_BOTH", "value-both-xyz")
	t.Setenv("CS_BOTH_FILE", file)
	t.Setenv("CS_BAD_FILE_FILE", filepath.Join(dir, "missing"))
	t.Setenv("CS_EMPTY_FILE", "")
	t.Setenv("APP_PREFIXED", "with-prefix")

	tests := []struct {
		name    string
		p       *secrets.Env
		secret  string
		want    string
		found   bool
		wantErr error
	}{
		{"direct", &secrets.Env{}, "CS_DIRECT", "direct-value", true, nil},
		{"unset", &secrets.Env{}, "CS_UNSET", "", false, nil},
		{"empty is found empty", &secrets.Env{}, "CS_EMPTY", "", true, nil},
		{"NAME_FILE", &secrets.Env{}, "CS_VIA_FILE", "postgres://from-file", true, nil},
		{"NAME_FILE disabled", &secrets.Env{DisableFiles: true}, "CS_VIA_FILE", "", false, nil},
		{"NAME and NAME_FILE both set", &secrets.Env{}, "CS_BOTH", "", false, secrets.ErrAmbiguous},
		{"NAME_FILE pointing nowhere", &secrets.Env{}, "CS_BAD_FILE", "", false, os.ErrNotExist},
		{"empty NAME_FILE ignored", &secrets.Env{}, "CS_EMPTY", "", true, nil},
		{"prefix", &secrets.Env{Prefix: "APP_"}, "PREFIXED", "with-prefix", true, nil},
		{"invalid name", &secrets.Env{}, "A=B", "", false, secrets.ErrInvalidName},
		{"custom LookupEnv", &secrets.Env{LookupEnv: func(k string) (string, bool) { v, ok := map[string]string{"X": "from-map"}[k]; return v, ok }}, "X", "from-map", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLookup(t, lookup(t, tt.p, tt.secret), tt.want, tt.found, tt.wantErr)
		})
	}
	t.Run("errors do not contain values", func(t *testing.T) {
		got := lookup(t, &secrets.Env{}, "CS_BOTH")
		if strings.Contains(got.err.Error(), "value-both-xyz") || strings.Contains(got.err.Error(), "from-file") {
			t.Fatalf("error leaks a value: %v", got.err)
		}
	})
}

func TestChain(t *testing.T) {
	boom := errors.New("store down")
	failing := secrets.ProviderFunc(func(context.Context, string) (string, bool, error) { return "", false, boom })
	first := secrets.Map{"A": "first-a", "EMPTY_IN_FIRST": ""}
	second := secrets.Map{"A": "second-a", "B": "second-b", "EMPTY_IN_FIRST": "second-e"}
	tests := []struct {
		name    string
		chain   secrets.Chain
		secret  string
		want    string
		found   bool
		wantErr error
	}{
		{"first wins", secrets.Chain{first, second}, "A", "first-a", true, nil},
		{"order matters", secrets.Chain{second, first}, "A", "second-a", true, nil},
		{"fallback", secrets.Chain{first, second}, "B", "second-b", true, nil},
		{"empty falls through", secrets.Chain{first, second}, "EMPTY_IN_FIRST", "second-e", true, nil},
		{"found only empty", secrets.Chain{first}, "EMPTY_IN_FIRST", "", true, nil},
		{"nowhere", secrets.Chain{first, second}, "C", "", false, nil},
		{"error stops the lookup", secrets.Chain{failing, second}, "B", "", false, boom},
		{"earlier hit before error", secrets.Chain{first, failing}, "A", "first-a", true, nil},
		{"empty chain", secrets.Chain{}, "A", "", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLookup(t, lookup(t, tt.chain, tt.secret), tt.want, tt.found, tt.wantErr)
		})
	}
	t.Run("ProviderError names the index", func(t *testing.T) {
		got := lookup(t, secrets.Chain{first, failing}, "B")
		var pe *secrets.ProviderError
		if !errors.As(got.err, &pe) || pe.Index != 1 {
			t.Fatalf("err = %v, want a ProviderError at index 1", got.err)
		}
	})
}
