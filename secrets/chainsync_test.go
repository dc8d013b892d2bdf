package secrets_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/chainsync/middleware/secrets"
)

func TestChainSyncSpecs(t *testing.T) {
	ctx := context.Background()
	t.Run("production, all present", func(t *testing.T) {
		set, err := secrets.Load(ctx, secrets.ChainSync(), secrets.Map(validChainSync()))
		if err != nil {
			t.Fatal(err)
		}
		if set.Get(secrets.JWTSecret).Reveal() != jwtA {
			t.Fatal("JWT_SECRET not loaded")
		}
		if set.Get(secrets.SentryDSN).IsSet() {
			t.Fatal("optional secret invented")
		}
	})
	t.Run("production, nothing present", func(t *testing.T) {
		_, err := secrets.Load(ctx, secrets.ChainSync())
		got := problems(t, err)
		for _, name := range []string{secrets.DatabaseURL, secrets.RedisURL, secrets.JWTSecret, secrets.JWTRefreshSecret, secrets.EncryptionKey} {
			if !errors.Is(got[name], secrets.ErrMissing) {
				t.Errorf("%s: %v, want missing", name, got[name])
			}
		}
		if len(got) != 5 {
			t.Fatalf("%d problems, want 5 (optional ones stay optional): %v", len(got), err)
		}
	})
	t.Run("production, invalid values", func(t *testing.T) {
		m := validChainSync()
		m[secrets.DatabaseURL] = "mysql://root:db-password-123@db/x"
		m[secrets.JWTSecret] = "too-short"
		m[secrets.EncryptionKey] = "not-a-key"
		m[secrets.SentryDSN] = "no scheme"
		_, err := secrets.Load(ctx, secrets.ChainSync(), secrets.Map(m))
		got := problems(t, err)
		if len(got) != 4 || !errors.Is(err, secrets.ErrInvalid) {
			t.Fatalf("problems: %v", err)
		}
		if strings.Contains(err.Error(), "db-password-123") || strings.Contains(err.Error(), "too-short") {
			t.Fatalf("error leaks a value: %v", err)
		}
	})
	t.Run("development generates what it can", func(t *testing.T) {
		var logs bytes.Buffer
		set, err := secrets.New(secrets.ChainSync(), nil, secrets.Options{Development: true, Logger: quietLogger(&logs)})
		if err != nil {
			t.Fatal(err)
		}
		if err := set.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{secrets.JWTSecret, secrets.JWTRefreshSecret, secrets.EncryptionKey} {
			if set.Source(name) != secrets.SourceGenerated {
				t.Errorf("%s: source %v, want generated", name, set.Source(name))
			}
		}
		if set.Get(secrets.JWTSecret).Len() < 32 || set.Get(secrets.JWTSecret).Equal(set.Get(secrets.JWTRefreshSecret)) {
			t.Fatal("generated JWT secrets too short or equal")
		}
		if _, err := secrets.ParseKeyring(set.Get(secrets.EncryptionKey).Reveal()); err != nil {
			t.Fatalf("generated ENCRYPTION_KEY: %v", err)
		}
		if set.Get(secrets.DatabaseURL).IsSet() || set.Get(secrets.RedisURL).IsSet() {
			t.Fatal("URLs cannot be generated")
		}
		out := logs.String()
		for _, name := range []string{secrets.DatabaseURL, secrets.RedisURL, secrets.JWTSecret, secrets.EncryptionKey} {
			if !strings.Contains(out, name) {
				t.Errorf("no warning about %s in %s", name, out)
			}
		}
		if strings.Contains(out, set.Get(secrets.JWTSecret).Reveal()) {
			t.Fatal("warning leaks the generated value")
		}
		// Generated values survive refreshes; warnings are not repeated.
		jwt := set.Get(secrets.JWTSecret)
		logs.Reset()
		if err := set.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if !set.Get(secrets.JWTSecret).Equal(jwt) {
			t.Fatal("generated value regenerated on refresh")
		}
		if logs.Len() != 0 {
			t.Fatalf("warnings repeated on refresh: %s", logs.String())
		}
	})
	t.Run("development generation fails", func(t *testing.T) {
		specs := []secrets.Spec{{Name: "K", Required: true, Generate: func() (string, error) { return "", errors.New("entropy source closed") }}}
		set, _ := secrets.New(specs, nil, secrets.Options{Development: true, Logger: quietLogger(new(bytes.Buffer))})
		err := set.Refresh(ctx)
		if !errors.Is(err, secrets.ErrMissing) || !strings.Contains(err.Error(), "entropy source closed") {
			t.Fatalf("err = %v, want missing with the generator's reason", err)
		}
	})
	t.Run("development still validates", func(t *testing.T) {
		set, _ := secrets.New(secrets.ChainSync(), []secrets.Provider{secrets.Map{secrets.JWTSecret: "short"}}, secrets.Options{Development: true, Logger: quietLogger(new(bytes.Buffer))})
		if err := set.Refresh(ctx); !errors.Is(err, secrets.ErrInvalid) {
			t.Fatalf("err = %v, want invalid", err)
		}
	})
}
