package awssm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/chainsync/middleware/internal/testclock"
	"github.com/chainsync/middleware/secrets"
	"github.com/chainsync/middleware/secrets/awssm"
	"github.com/chainsync/middleware/secrets/internal/deepwalk"
)

// clock is a settable time source.
type clock = testclock.Clock

// noBackoff keeps the SDK's standard retryer (3 attempts, throttling and
// 5xx retried) without its sleeps.
func noBackoff(o *secretsmanager.Options) {
	o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
		so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
	})
}

func newProvider(t *testing.T, srv *smServer, opts awssm.Options) (*awssm.Provider, *clock, *bytes.Buffer) {
	t.Helper()
	clk := testclock.New(time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC))
	logs := new(bytes.Buffer)
	opts.Now = clk.Now
	opts.Logger = slog.New(slog.NewTextHandler(logs, nil))
	opts.LoadOptions = []func(*config.LoadOptions) error{
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "test-secret-key", "")),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
	}
	opts.ClientOptions = append(opts.ClientOptions, func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(srv.URL) }, noBackoff)
	p, err := awssm.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return p, clk, logs
}

func lookup(t *testing.T, p secrets.Provider, name string) (string, bool) {
	t.Helper()
	v, ok, err := p.Lookup(context.Background(), name)
	if err != nil {
		t.Fatalf("Lookup(%s): %v", name, err)
	}
	return v, ok
}

func TestFoundAndCached(t *testing.T) {
	srv := newSMServer(t)
	srv.put("DATABASE_URL", "postgres://app:pw@db/chainsync")
	p, clk, _ := newProvider(t, srv, awssm.Options{TTL: time.Minute})
	for i := range 3 {
		if v, ok := lookup(t, p, "DATABASE_URL"); !ok || v != "postgres://app:pw@db/chainsync" {
			t.Fatalf("lookup %d: %q %v", i, v, ok)
		}
	}
	if n := srv.count("DATABASE_URL"); n != 1 {
		t.Fatalf("%d requests, want 1 (cached)", n)
	}
	if st := p.Stats(); st.Hits != 2 || st.Fetches != 1 {
		t.Fatalf("stats %+v", st)
	}
	t.Run("rotation seen after TTL", func(t *testing.T) {
		srv.put("DATABASE_URL", "postgres://app:rotated@db/chainsync")
		clk.Advance(59 * time.Second)
		if v, _ := lookup(t, p, "DATABASE_URL"); v != "postgres://app:pw@db/chainsync" {
			t.Fatal("cache expired early")
		}
		clk.Advance(time.Second)
		if v, _ := lookup(t, p, "DATABASE_URL"); v != "postgres://app:rotated@db/chainsync" {
			t.Fatalf("after TTL: %q", v)
		}
	})
	t.Run("Flush", func(t *testing.T) {
		srv.put("DATABASE_URL", "postgres://app:flushed@db/chainsync")
		p.Flush()
		if v, _ := lookup(t, p, "DATABASE_URL"); v != "postgres://app:flushed@db/chainsync" {
			t.Fatalf("after Flush: %q", v)
		}
	})
}

func TestNotFound(t *testing.T) {
	srv := newSMServer(t)
	p, clk, _ := newProvider(t, srv, awssm.Options{})
	for range 2 {
		if v, ok := lookup(t, p, "SENTRY_DSN"); ok || v != "" {
			t.Fatalf("got %q %v, want not found", v, ok)
		}
	}
	if n := srv.count("SENTRY_DSN"); n != 1 {
		t.Fatalf("%d requests, want 1 (absence cached)", n)
	}
	srv.put("SENTRY_DSN", "https://key@sentry.example/1")
	clk.Advance(awssm.DefaultTTL)
	if _, ok := lookup(t, p, "SENTRY_DSN"); !ok {
		t.Fatal("created secret not seen after TTL")
	}
}

func TestThrottledIsRetried(t *testing.T) {
	srv := newSMServer(t)
	srv.put("JWT_SECRET", "jwt-secret-value-0123456789abcdef")
	srv.setThrottle(2)
	p, _, _ := newProvider(t, srv, awssm.Options{})
	if v, ok := lookup(t, p, "JWT_SECRET"); !ok || v != "jwt-secret-value-0123456789abcdef" {
		t.Fatalf("got %q %v", v, ok)
	}
	if n := srv.count("JWT_SECRET"); n != 3 {
		t.Fatalf("%d requests, want 3 (two throttled, then success)", n)
	}
	t.Run("throttled beyond the retry budget is an error", func(t *testing.T) {
		srv.setThrottle(10)
		_, _, err := p.Lookup(context.Background(), "OTHER")
		if err == nil || !strings.Contains(err.Error(), "ThrottlingException") || !strings.Contains(err.Error(), "OTHER") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestStaleOnError(t *testing.T) {
	srv := newSMServer(t)
	srv.put("STRIPE_SECRET_KEY", "sk_test_stale_value_123")
	p, clk, logs := newProvider(t, srv, awssm.Options{TTL: time.Minute, RetryInterval: 10 * time.Second})
	lookup(t, p, "STRIPE_SECRET_KEY")

	srv.setFail(true)
	clk.Advance(time.Minute)
	v, ok := lookup(t, p, "STRIPE_SECRET_KEY")
	if !ok || v != "sk_test_stale_value_123" {
		t.Fatalf("got %q %v, want the stale value", v, ok)
	}
	if n := srv.count("STRIPE_SECRET_KEY"); n != 1+3 {
		t.Fatalf("%d requests, want 4 (1 + 3 attempts of the failed refresh)", n)
	}
	st := p.Stats()
	if st.Stale != 1 || st.Errors != 1 {
		t.Fatalf("stats %+v", st)
	}
	if !strings.Contains(logs.String(), "STRIPE_SECRET_KEY") || strings.Contains(logs.String(), "sk_test_stale_value_123") {
		t.Fatalf("warning must name the secret, not its value: %s", logs.String())
	}
	t.Run("no retry before RetryInterval", func(t *testing.T) {
		clk.Advance(9 * time.Second)
		lookup(t, p, "STRIPE_SECRET_KEY")
		if n := srv.count("STRIPE_SECRET_KEY"); n != 4 {
			t.Fatalf("%d requests, want 4", n)
		}
	})
	t.Run("recovers", func(t *testing.T) {
		srv.setFail(false)
		srv.put("STRIPE_SECRET_KEY", "sk_test_new_value_456")
		clk.Advance(time.Second)
		if v, _ := lookup(t, p, "STRIPE_SECRET_KEY"); v != "sk_test_new_value_456" {
			t.Fatalf("got %q", v)
		}
	})
	t.Run("nothing cached: the error is returned", func(t *testing.T) {
		srv.setFail(true)
		_, _, err := p.Lookup(context.Background(), "NEVER_FETCHED")
		if err == nil || !strings.Contains(err.Error(), "NEVER_FETCHED") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestJSONField(t *testing.T) {
	srv := newSMServer(t)
	srv.put("chainsync/prod", `{"DATABASE_URL":"postgres://app:pw@db/cs","PORT":5432,"DEBUG":false,"GONE":null}`)
	srv.put("plain", "not-json-super-secret")
	srv.put("nested", `{"A":{"B":"c"}}`)
	p, _, _ := newProvider(t, srv, awssm.Options{})
	tests := []struct {
		name  string
		want  string
		found bool
	}{
		{"chainsync/prod#DATABASE_URL", "postgres://app:pw@db/cs", true},
		{"chainsync/prod#PORT", "5432", true},
		{"chainsync/prod#DEBUG", "false", true},
		{"chainsync/prod#GONE", "", false},
		{"chainsync/prod#MISSING", "", false},
		{"absent#FIELD", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if v, ok := lookup(t, p, tt.name); v != tt.want || ok != tt.found {
				t.Fatalf("got %q %v, want %q %v", v, ok, tt.want, tt.found)
			}
		})
	}
	if n := srv.count("chainsync/prod"); n != 1 {
		t.Fatalf("%d requests for the JSON secret, want 1", n)
	}
	for _, name := range []string{"plain#A", "nested#A"} {
		t.Run(name, func(t *testing.T) {
			_, _, err := p.Lookup(context.Background(), name)
			if !errors.Is(err, awssm.ErrNotJSON) || strings.Contains(err.Error(), "super-secret") {
				t.Fatalf("err = %v", err)
			}
		})
	}
	for _, name := range []string{"", "#A", "id#"} {
		if _, _, err := p.Lookup(context.Background(), name); !errors.Is(err, secrets.ErrInvalidName) {
			t.Fatalf("Lookup(%q) err = %v", name, err)
		}
	}
	t.Run("SecretID maps names into one JSON secret", func(t *testing.T) {
		q, _, _ := newProvider(t, srv, awssm.Options{SecretID: func(n string) string { return "chainsync/prod#" + n }})
		if v, ok := lookup(t, q, "DATABASE_URL"); !ok || v != "postgres://app:pw@db/cs" {
			t.Fatalf("got %q %v", v, ok)
		}
	})
}

func TestBinaryAndVersionStage(t *testing.T) {
	srv := newSMServer(t)
	srv.mu.Lock()
	srv.binaries["bin"] = []byte("binary\x00secret")
	srv.mu.Unlock()
	p, _, _ := newProvider(t, srv, awssm.Options{VersionStage: "AWSPREVIOUS"})
	if v, ok := lookup(t, p, "bin"); !ok || v != "binary\x00secret" {
		t.Fatalf("got %q %v", v, ok)
	}
	srv.mu.Lock()
	stage := srv.lastStage
	srv.mu.Unlock()
	if stage != "AWSPREVIOUS" {
		t.Fatalf("VersionStage sent %q", stage)
	}
}

func TestConcurrentLookups(t *testing.T) {
	srv := newSMServer(t)
	srv.put("REDIS_URL", "redis://cache:6379/0")
	p, clk, _ := newProvider(t, srv, awssm.Options{TTL: time.Second})
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 20 {
				if i == 0 && j%5 == 0 {
					clk.Advance(time.Second)
				}
				v, ok, err := p.Lookup(context.Background(), "REDIS_URL")
				if err != nil || !ok || v != "redis://cache:6379/0" {
					t.Errorf("got %q %v %v", v, ok, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestStandardConfiguration(t *testing.T) {
	srv := newSMServer(t)
	srv.put("DATABASE_URL", "postgres://from-env-config")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret-key")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Run("no region", func(t *testing.T) {
		t.Setenv("AWS_REGION", "")
		if _, err := awssm.New(context.Background(), awssm.Options{}); !errors.Is(err, awssm.ErrNoRegion) {
			t.Fatalf("err = %v, want ErrNoRegion", err)
		}
	})
	t.Run("region and endpoint from the environment", func(t *testing.T) {
		t.Setenv("AWS_REGION", "eu-west-1")
		t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", srv.URL)
		p, err := awssm.New(context.Background(), awssm.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := lookup(t, p, "DATABASE_URL"); !ok || v != "postgres://from-env-config" {
			t.Fatalf("got %q %v", v, ok)
		}
	})
	t.Run("negative TTL", func(t *testing.T) {
		if _, err := awssm.New(context.Background(), awssm.Options{TTL: -1}); err == nil {
			t.Fatal("negative TTL accepted")
		}
	})
}

func TestInSecretsChain(t *testing.T) {
	srv := newSMServer(t)
	srv.put("chainsync/prod", `{"JWT_SECRET":"from-aws-0123456789abcdef0123456789","DATABASE_URL":"postgres://aws/db"}`)
	p, _, _ := newProvider(t, srv, awssm.Options{SecretID: func(n string) string { return "chainsync/prod#" + n }})
	specs := []secrets.Spec{
		{Name: "JWT_SECRET", Required: true, Validate: secrets.MinLength(32)},
		{Name: "DATABASE_URL", Required: true, Validate: secrets.URL("postgres")},
		{Name: "SENTRY_DSN"},
	}
	env := secrets.Map{"DATABASE_URL": "postgres://env/db"} // first in priority
	set, err := secrets.Load(context.Background(), specs, env, p)
	if err != nil {
		t.Fatal(err)
	}
	if set.Get("DATABASE_URL").Reveal() != "postgres://env/db" || set.Get("JWT_SECRET").Reveal() != "from-aws-0123456789abcdef0123456789" {
		t.Fatal("priority order not respected")
	}
	if srv.count("chainsync/prod") != 1 {
		t.Fatalf("%d fetches of the JSON secret, want 1", srv.count("chainsync/prod"))
	}
}

func TestDeadlineHonoured(t *testing.T) {
	p, _, _ := newProvider(t, newHangingServer(t), awssm.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { _, _, err := p.Lookup(ctx, "JWT_SECRET"); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want the context deadline", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Lookup ignored its context deadline")
	}
}

func FuzzJSONField(f *testing.F) {
	for _, s := range []string{`{"A":"x"}`, `{"A":1.5e3,"B":true}`, `{"A":null}`, `{"A":{"B":1}}`, `[1]`, `"A"`, `{"A":"\u00e9\n"}`, `{`, ``} {
		f.Add(s, "A")
	}
	srv := newSMServer(f)
	clk := testclock.New(time.Unix(0, 0))
	p, err := awssm.New(context.Background(), awssm.Options{
		Now: clk.Now, DisableCache: true, Logger: slog.New(slog.DiscardHandler),
		LoadOptions: []func(*config.LoadOptions) error{
			config.WithRegion("us-east-1"),
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "test-secret-key", "")),
			config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}),
		},
		ClientOptions: []func(*secretsmanager.Options){func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(srv.URL) }, noBackoff},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, secret, field string) {
		if field == "" || strings.Contains(field, "#") || !utf8.ValidString(secret) {
			return
		}
		srv.put("s", secret)
		v, found, err := p.Lookup(context.Background(), "s#"+field)
		var obj map[string]any
		isObject := json.Unmarshal([]byte(secret), &obj) == nil && obj != nil
		switch {
		case err != nil:
			if !errors.Is(err, awssm.ErrNotJSON) {
				t.Fatalf("unexpected error %v", err)
			}
			if len(secret) > 4 && strings.Contains(err.Error(), secret) {
				t.Fatalf("error quotes the secret: %v", err)
			}
		case !isObject:
			t.Fatalf("field %q of a non-object %q found=%v", field, secret, found)
		case found:
			if s, ok := obj[field].(string); ok && s != v {
				t.Fatalf("field %q = %q, encoding/json says %q", field, v, s)
			}
			if obj[field] == nil {
				t.Fatalf("field %q found but absent or null", field)
			}
		}
	})
}

// A lookup that joins another caller's request still returns within its
// own deadline, and serves the stale value when it has one.
func TestSharedRequestHonoursEachDeadline(t *testing.T) {
	release := make(chan struct{})
	var hanging sync.WaitGroup
	srv := newSMServer(t)
	serve := srv.Config.Handler
	var hang atomic.Bool
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hang.Load() {
			hanging.Done()
			select { // a Secrets Manager that stops answering
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		serve.ServeHTTP(w, r)
	})
	defer close(release)
	p, clk, _ := newProvider(t, srv, awssm.Options{TTL: time.Minute})

	tests := []struct {
		name    string
		prime   bool // fetch once before the server hangs
		want    string
		wantErr error
	}{
		{"nothing cached", false, "", context.DeadlineExceeded},
		{"stale value served", true, "jwt-secret-value-0123456789abcdef", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "JWT_SECRET_" + strings.ReplaceAll(tt.name, " ", "_") // the hung request of a subtest outlives it
			srv.put(name, "jwt-secret-value-0123456789abcdef")
			hang.Store(false)
			if tt.prime {
				lookup(t, p, name)
				clk.Advance(time.Minute)
			}
			hang.Store(true)
			hanging.Add(1)
			first, cancelFirst := context.WithCancel(context.Background())
			firstDone := make(chan struct{})
			defer func() { cancelFirst(); <-firstDone }()
			// A first lookup without a deadline; wait until its request is in flight.
			go func() { _, _, _ = p.Lookup(first, name); close(firstDone) }()
			hanging.Wait()

			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			done := make(chan lookupResult, 1)
			go func() { v, ok, err := p.Lookup(ctx, name); done <- lookupResult{v, ok, err} }()
			select {
			case got := <-done:
				if tt.wantErr != nil && !errors.Is(got.err, tt.wantErr) || tt.wantErr == nil && (got.err != nil || got.value != tt.want) {
					t.Fatalf("got (%q, %v, %v), want (%q, %v)", got.value, got.found, got.err, tt.want, tt.wantErr)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("a lookup sharing another caller's request ignored its own deadline")
			}
		})
	}
}

type lookupResult struct {
	value string
	found bool
	err   error
}

func TestFetchTimeout(t *testing.T) {
	p, _, _ := newProvider(t, newHangingServer(t), awssm.Options{FetchTimeout: 50 * time.Millisecond})
	done := make(chan error, 1)
	go func() { _, _, err := p.Lookup(context.Background(), "JWT_SECRET"); done <- err }() // no deadline of its own
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "JWT_SECRET") {
			t.Fatalf("err = %v, want the fetch timeout", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("FetchTimeout not applied")
	}
	if _, err := awssm.New(context.Background(), awssm.Options{FetchTimeout: -1}); err == nil {
		t.Fatal("negative FetchTimeout accepted")
	}
}

func TestCacheHiddenFromReflection(t *testing.T) {
	srv := newSMServer(t)
	srv.put("plain", "sk_live_cached-plaintext-1")
	srv.put("json", `{"F":"sk_live_cached-plaintext-2"}`)
	p, _, _ := newProvider(t, srv, awssm.Options{})
	lookup(t, p, "plain")
	lookup(t, p, "json#F")
	for _, v := range []string{"sk_live_cached-plaintext-1", "sk_live_cached-plaintext-2"} {
		if deepwalk.Reachable(p, []byte(v)) {
			t.Fatalf("cached %s is reachable by reflection", v)
		}
	}
	if !deepwalk.Reachable(p, []byte("plain")) {
		t.Fatal("the walker does not see the cache at all: the test is broken")
	}
}

// newHangingServer is a Secrets Manager that accepts requests and never
// answers them (until the client gives up or the test ends).
func newHangingServer(t *testing.T) *smServer {
	release := make(chan struct{})
	srv := newSMServer(t)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // runs before the server's Close
	return srv
}

// A request whose callers all gave up still completes and fills the cache.
func TestAbandonedFetchFillsCache(t *testing.T) {
	release := make(chan struct{})
	srv := newSMServer(t)
	srv.put("JWT_SECRET", "jwt-secret-value-0123456789abcdef")
	serve := srv.Config.Handler
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release // slow, but answers
		serve.ServeHTTP(w, r)
	})
	p, _, _ := newProvider(t, srv, awssm.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, _, err := p.Lookup(ctx, "JWT_SECRET"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the caller's deadline", err)
	}
	close(release)
	// Later lookups join the request still in flight, then hit the cache it
	// filled; none makes a request of its own.
	deadline := time.Now().Add(30 * time.Second)
	for p.Stats().Hits == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the abandoned request never filled the cache")
		}
		if v, ok, err := p.Lookup(context.Background(), "JWT_SECRET"); err != nil || !ok || v != "jwt-secret-value-0123456789abcdef" {
			t.Fatalf("got (%q, %v, %v)", v, ok, err)
		}
	}
	if n := srv.count("JWT_SECRET"); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
}
