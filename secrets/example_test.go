package secrets_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/chainsync/middleware/secrets"
)

func ExampleLoad() {
	ctx := context.Background()
	env := secrets.Map{"JWT_SECRET": "0123456789abcdef0123456789abcdef"} // stands for &secrets.Env{}
	files := secrets.Map{"JWT_SECRET": "lower priority", "DATABASE_URL": "postgres://app:pw@db/chainsync"}
	set, err := secrets.Load(ctx, []secrets.Spec{
		{Name: "JWT_SECRET", Required: true, Validate: secrets.MinLength(32)},
		{Name: "DATABASE_URL", Required: true, Validate: secrets.URL("postgres")},
		{Name: "SENTRY_DSN"},
	}, env, files)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(set.Get("JWT_SECRET").Reveal())
	fmt.Println(set.Get("DATABASE_URL"))
	fmt.Println(set.Get("SENTRY_DSN").IsSet())
	// Output:
	// 0123456789abcdef0123456789abcdef
	// [REDACTED]
	// false
}

func ExampleLoad_allProblems() {
	_, err := secrets.Load(context.Background(), secrets.ChainSync(), secrets.Map{
		"DATABASE_URL": "mysql://root:hunter2@db/x",
		"JWT_SECRET":   "",
	})
	fmt.Println(err)
	// Output:
	// secrets: DATABASE_URL: invalid: must be a URL with scheme postgres, postgresql
	// secrets: REDIS_URL: required secret is missing
	// secrets: JWT_SECRET: required secret is missing
	// secrets: JWT_REFRESH_SECRET: required secret is missing
	// secrets: ENCRYPTION_KEY: required secret is missing
}

func ExampleNew() {
	// A service sets Development from its environment, for instance
	// Development: os.Getenv("CHAINSYNC_ENV") != "production": production
	// makes required secrets mandatory; development generates what it can,
	// with a warning for each.
	set, err := secrets.New(secrets.ChainSync(), []secrets.Provider{
		&secrets.Env{Prefix: "EXAMPLE_"},                     // a real service: &secrets.Env{}
		&secrets.Dir{Path: os.TempDir() + "/example-absent"}, // default /run/secrets
	}, secrets.Options{Development: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := set.Refresh(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(set.Source(secrets.JWTSecret), set.Get(secrets.RedisURL).IsSet())
	// Output: generated false
}

func ExampleSet_Follow() {
	// A provider whose value an operator rotates.
	var mu sync.Mutex
	current := "signing-key-1-0123456789abcdef0123"
	source := secrets.ProviderFunc(func(context.Context, string) (string, bool, error) {
		mu.Lock()
		defer mu.Unlock()
		return current, true, nil
	})
	set, _ := secrets.New([]secrets.Spec{{Name: secrets.JWTSecret, Required: true, Validate: secrets.MinLength(32)}},
		[]secrets.Provider{source}, secrets.Options{})
	_ = set.Refresh(context.Background())

	// The JWT signer follows the secret: called now, and on each rotation.
	set.Follow(secrets.JWTSecret, func(v secrets.Value) {
		fmt.Println("signing with", v.Reveal()[:13])
	})

	mu.Lock()
	current = "signing-key-2-0123456789abcdef0123"
	mu.Unlock()
	_ = set.Refresh(context.Background()) // or set.Watch(ctx, time.Minute, nil) in a goroutine
	// Output:
	// signing with signing-key-1
	// signing with signing-key-2
}

func ExampleSet_OnChange() {
	src := secrets.Map{"API_KEY": "key-one"}
	set, _ := secrets.New([]secrets.Spec{{Name: "API_KEY", Required: true}}, []secrets.Provider{&src}, secrets.Options{})
	_ = set.Refresh(context.Background())
	set.OnChange(func(c secrets.Change) {
		fmt.Printf("%s changed: %s -> %s\n", c.Name, c.Old.Reveal(), c.New.Reveal())
	})
	src["API_KEY"] = "key-two"
	_ = set.Refresh(context.Background())
	// A failed refresh keeps the last good value and reports the error.
	src["API_KEY"] = ""
	fmt.Println(set.Refresh(context.Background()))
	fmt.Println(set.Get("API_KEY").Reveal())
	// Output:
	// API_KEY changed: key-one -> key-two
	// secrets: API_KEY: required secret is missing
	// key-two
}

func ExampleNewValue() {
	v := secrets.NewValue("sk_live_123")
	fmt.Printf("%v %s %q %x %d %#v\n", v, v, v, v, v, v)
	b, _ := json.Marshal(map[string]any{"stripe": v})
	fmt.Println(string(b))
	slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})).Info("configured", "stripe", v)
	fmt.Println(v.Reveal())
	// Output:
	// [REDACTED] [REDACTED] "[REDACTED]" [REDACTED] [REDACTED] [REDACTED]
	// {"stripe":"[REDACTED]"}
	// level=INFO msg=configured stripe=[REDACTED]
	// sk_live_123
}

func ExampleEnv() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "db_password")
	_ = os.WriteFile(path, []byte("from-a-file\n"), 0o400)
	vars := map[string]string{"API_KEY": "from-the-environment", "DB_PASSWORD_FILE": path}
	env := &secrets.Env{LookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }} // default: os.LookupEnv
	for _, name := range []string{"API_KEY", "DB_PASSWORD", "MISSING"} {
		v, found, err := env.Lookup(context.Background(), name)
		fmt.Printf("%s: %q %v %v\n", name, v, found, err)
	}
	// Output:
	// API_KEY: "from-the-environment" true <nil>
	// DB_PASSWORD: "from-a-file" true <nil>
	// MISSING: "" false <nil>
}

func ExampleDir() {
	dir, _ := os.MkdirTemp("", "run-secrets")
	defer os.RemoveAll(dir)
	_ = os.WriteFile(filepath.Join(dir, "REDIS_URL"), []byte("redis://cache:6379/0\n"), 0o400)
	files := &secrets.Dir{Path: dir} // default /run/secrets
	v, found, err := files.Lookup(context.Background(), "REDIS_URL")
	fmt.Printf("%q %v %v\n", v, found, err)
	_, found, err = files.Lookup(context.Background(), "SENTRY_DSN")
	fmt.Println(found, err)
	// Output:
	// "redis://cache:6379/0" true <nil>
	// false <nil>
}

func ExampleChain() {
	c := secrets.Chain{
		secrets.Map{"A": "from first", "B": ""},
		secrets.Map{"A": "from second", "B": "empty falls through"},
	}
	for _, name := range []string{"A", "B"} {
		v, _, _ := c.Lookup(context.Background(), name)
		fmt.Println(v)
	}
	// Output:
	// from first
	// empty falls through
}

func ExampleChainSync() {
	for _, s := range secrets.ChainSync() {
		fmt.Println(s.Name, s.Required)
	}
	// Output:
	// DATABASE_URL true
	// REDIS_URL true
	// JWT_SECRET true
	// JWT_REFRESH_SECRET true
	// ENCRYPTION_KEY true
	// SENTRY_DSN false
	// STRIPE_SECRET_KEY false
	// SENDGRID_API_KEY false
}

func ExampleParseKey() {
	_, err := secrets.ParseKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	fmt.Println(err)
	_, err = secrets.ParseKey("correct-horse-battery-staple")
	fmt.Println(err)
	// Output:
	// <nil>
	// secrets: invalid key: must be the base64 or hex encoding of exactly 32 bytes (got 28 characters)
}

func ExampleParseKeyring() {
	// ENCRYPTION_KEY: "id:key" (or just "key"); "new,old" while rotating.
	ring, err := secrets.ParseKeyring("2026:" + strings.Repeat("ab", 32) + ",2025:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ring.PrimaryID(), ring.IDs(), ring)
	// Output: 2026 [2026 2025] secrets.Keyring{primary: 2026, keys: [2026 2025]}
}

func ExampleNewKeyring() {
	ring, _ := secrets.NewKeyring("k1", map[string][]byte{"k1": []byte("0123456789abcdef0123456789abcdef")})
	ad := secrets.AssociatedData("customers", "email", "cust_42") // table, column, row
	ct, _ := ring.Encrypt([]byte("ana@example.com"), ad)
	fmt.Println(strings.HasPrefix(ct, "v1:k1:"))
	pt, _ := ring.Decrypt(ct, ad)
	fmt.Println(string(pt))
	_, err := ring.Decrypt(ct, secrets.AssociatedData("customers", "email", "cust_43"))
	fmt.Println(err)
	// Output:
	// true
	// ana@example.com
	// secrets: decryption failed
}

func ExampleKeyring_Rewrap() {
	oldKey, newKey := []byte("0123456789abcdef0123456789abcdef"), []byte("fedcba9876543210fedcba9876543210")
	old, _ := secrets.NewKeyring("2025", map[string][]byte{"2025": oldKey})
	ct, _ := old.Encrypt([]byte("4111 1111 1111 1111"), nil)

	ring, _ := secrets.NewKeyring("2026", map[string][]byte{"2026": newKey, "2025": oldKey})
	fmt.Println(ring.NeedsRewrap(ct))
	ct, _ = ring.Rewrap(ct, nil)
	id, _ := secrets.KeyID(ct)
	fmt.Println(id, ring.NeedsRewrap(ct))
	// Output:
	// true
	// 2026 false
}

func ExampleKeyring_Derive() {
	ring, _ := secrets.ParseKeyring("k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	emails, _ := ring.Derive("customers.email")
	phones, _ := ring.Derive("customers.phone")
	ct, _ := emails.Encrypt([]byte("ana@example.com"), nil)
	_, err := phones.Decrypt(ct, nil)
	fmt.Println(err)
	// Output: secrets: decryption failed
}

func ExampleKeyring_Valuer() {
	ring, _ := secrets.NewKeyring("k1", map[string][]byte{"k1": []byte("0123456789abcdef0123456789abcdef")})
	ad := secrets.AssociatedData("customers", "email", "cust_42")
	// What database/sql or pgx stores for the argument:
	stored, _ := ring.Valuer("ana@example.com", ad).Value()
	// What row.Scan(ring.Scanner(&email, ad)) does with it:
	var email string
	_ = ring.Scanner(&email, ad).Scan(stored)
	fmt.Println(strings.HasPrefix(stored.(string), "v1:k1:"), email)
	var phone sql.Null[string]
	_ = ring.NullScanner(&phone, ad).Scan(nil)
	fmt.Println(phone.Valid)
	// Output:
	// true ana@example.com
	// false
}

func ExampleNewBlindIndex() {
	key, _ := secrets.DeriveKey([]byte("a separate 32-byte blind index key"), "customers.email")
	idx, _ := secrets.NewBlindIndex(key, secrets.BlindIndexOptions{
		Purpose:      "customers.email",
		Canonicalize: secrets.CanonicalEmail,
	})
	fmt.Println(idx.Sum(" Ana@Example.com") == idx.Sum("ana@example.com"))
	fmt.Println(len(idx.Sum("ana@example.com")))
	// Output:
	// true
	// 43
}

func ExampleGenerateKey() {
	k, _ := secrets.GenerateKey()
	_, err := secrets.ParseKeyring(k)
	fmt.Println(len(k), err)
	// Output: 44 <nil>
}

func ExampleURL() {
	check := secrets.URL("postgres", "postgresql")
	fmt.Println(check("postgres://app:pw@db:5432/chainsync"))
	fmt.Println(check("mysql://root:hunter2@db/x")) // the URL, and its password, stay out of the message
	fmt.Println(secrets.MinLength(32)("short"))
	fmt.Println(secrets.KeyBytes(32)("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="))
	// Output:
	// <nil>
	// must be a URL with scheme postgres, postgresql
	// must be at least 32 bytes, got 5
	// <nil>
}
