package secrets_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainsync/middleware/secrets"
)

// mutable is a Provider whose content tests change between refreshes.
type mutable struct {
	mu   sync.Mutex
	m    map[string]string
	fail error
}

func newMutable(m map[string]string) *mutable { return &mutable{m: m} }

func (p *mutable) Lookup(_ context.Context, name string) (string, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return "", false, p.fail
	}
	v, ok := p.m[name]
	return v, ok, nil
}

func (p *mutable) set(name, value string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if value == "" {
		delete(p.m, name)
	} else {
		p.m[name] = value
	}
}

func (p *mutable) setFail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fail = err
}

// problems splits a joined Load error into its *secrets.Error parts.
func problems(t *testing.T, err error) map[string]*secrets.Error {
	t.Helper()
	out := map[string]*secrets.Error{}
	if err == nil {
		return out
	}
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("error %v is not a joined error", err)
	}
	for _, e := range joined.Unwrap() {
		var se *secrets.Error
		if !errors.As(e, &se) {
			t.Fatalf("part %v is not a *secrets.Error", e)
		}
		out[se.Name] = se
	}
	return out
}

func quietLogger(buf *bytes.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, nil))
}

const (
	jwtA = "jwt-secret-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	jwtB = "jwt-secret-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	key  = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
)

func validChainSync() map[string]string {
	return map[string]string{
		secrets.DatabaseURL:      "postgres://app:db-password-123@db:5432/chainsync",
		secrets.RedisURL:         "redis://:redis-password-456@cache:6379/0",
		secrets.JWTSecret:        jwtA,
		secrets.JWTRefreshSecret: jwtB,
		secrets.EncryptionKey:    key,
	}
}

func TestLoadAllProblemsAtOnce(t *testing.T) {
	boom := errors.New("backend unreachable")
	specs := []secrets.Spec{
		{Name: "MISSING_ONE", Required: true},
		{Name: "MISSING_TWO", Required: true},
		{Name: "EMPTY", Required: true},
		{Name: "SHORT", Required: true, Validate: secrets.MinLength(32)},
		{Name: "BROKEN", Required: true},
		{Name: "FINE", Required: true},
		{Name: "OPTIONAL"},
	}
	p := secrets.ProviderFunc(func(_ context.Context, name string) (string, bool, error) {
		switch name {
		case "EMPTY":
			return "", true, nil
		case "SHORT":
			return "short-secret-value", true, nil
		case "BROKEN":
			return "", false, boom
		case "FINE":
			return "fine-secret-value", true, nil
		}
		return "", false, nil
	})
	set, err := secrets.Load(context.Background(), specs, p)
	if set != nil {
		t.Fatal("Load must return a nil Set on error")
	}
	got := problems(t, err)
	want := map[string]error{"MISSING_ONE": secrets.ErrMissing, "MISSING_TWO": secrets.ErrMissing, "EMPTY": secrets.ErrMissing, "SHORT": secrets.ErrInvalid, "BROKEN": secrets.ErrLookup}
	if len(got) != len(want) {
		t.Fatalf("problems %v, want %d of them: %v", got, len(want), err)
	}
	for name, kind := range want {
		t.Run(name, func(t *testing.T) {
			e := got[name]
			if e == nil || !errors.Is(e, kind) {
				t.Fatalf("%s: %v, want %v", name, e, kind)
			}
			if !strings.Contains(e.Error(), name) {
				t.Fatalf("message %q does not name the secret", e.Error())
			}
		})
	}
	msg := err.Error()
	if strings.Contains(msg, "short-secret-value") || strings.Contains(msg, "fine-secret-value") {
		t.Fatalf("error leaks a value: %s", msg)
	}
	if !strings.Contains(msg, "at least 32 bytes") || !errors.Is(err, boom) {
		t.Fatalf("reasons missing from %s", msg)
	}
}

func TestLoadOptionalAndDefaults(t *testing.T) {
	specs := []secrets.Spec{
		{Name: "OPTIONAL"},
		{Name: "OPTIONAL_EMPTY"},
		{Name: "WITH_DEFAULT", Required: true, Default: "the-default"},
		{Name: "OVERRIDDEN", Required: true, Default: "the-default"},
	}
	set, err := secrets.Load(context.Background(), specs, secrets.Map{"OPTIONAL_EMPTY": "", "OVERRIDDEN": "from-provider"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		want   string
		source secrets.Source
	}{
		{"OPTIONAL", "", secrets.SourceNone},
		{"OPTIONAL_EMPTY", "", secrets.SourceNone},
		{"WITH_DEFAULT", "the-default", secrets.SourceDefault},
		{"OVERRIDDEN", "from-provider", secrets.SourceProvider},
		{"NOT_IN_SPECS", "", secrets.SourceNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := set.Lookup(tt.name)
			if v.Reveal() != tt.want || ok != (tt.want != "") || set.Source(tt.name) != tt.source {
				t.Fatalf("got (%q, %v, %v), want (%q, %v)", v.Reveal(), ok, set.Source(tt.name), tt.want, tt.source)
			}
		})
	}
}

func TestLoadRedactsValidatorReasons(t *testing.T) {
	tests := []struct {
		name  string
		value string
		leaky secrets.Validator
		leaks []string // renderings of the value that must not appear
	}{
		{"verbatim", "hunter2-secret", func(v string) error { return fmt.Errorf("value %s is not allowed", v) }, nil},
		{"quoted", "hunter2-secret", func(v string) error { return fmt.Errorf("value %q is not allowed", v) }, nil},
		{"quoted with escapes", "hunter2\"secret\n", func(v string) error { return fmt.Errorf("value %q is not allowed", v) }, []string{`hunter2\"secret\n`}},
		{"quoted non-ASCII", "hunter2-sécret", func(v string) error { return fmt.Errorf("value %+q is not allowed", v) }, []string{`hunter2-s\u00e9cret`}},
		{"hex", "hunter2-secret", func(v string) error { return fmt.Errorf("value %x is not allowed", v) }, []string{fmt.Sprintf("%x", "hunter2-secret")}},
		{"strconv", "hunter2-secret", func(v string) error { _, err := strconv.Atoi(v); return err }, nil},
		{"wrapped", "hunter2-secret", func(v string) error { return fmt.Errorf("outer: %w", fmt.Errorf("inner %q", v)) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := secrets.Load(context.Background(), []secrets.Spec{{Name: "X", Validate: tt.leaky}}, secrets.Map{"X": tt.value})
			if !errors.Is(err, secrets.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			msg := err.Error()
			for _, leak := range append(tt.leaks, tt.value, "hunter2") {
				if strings.Contains(msg, leak) {
					t.Fatalf("error leaks the value (%s): %s", leak, msg)
				}
			}
			var se *secrets.Error
			if !errors.As(err, &se) {
				t.Fatalf("no *secrets.Error in %v", err)
			}
			for e := se.Reason; e != nil; e = errors.Unwrap(e) {
				if strings.Contains(e.Error(), "hunter2") {
					t.Fatalf("a wrapped reason still quotes the value: %q", e.Error())
				}
			}
			if !strings.Contains(msg, secrets.Redacted) {
				t.Fatalf("no %s marker in %s", secrets.Redacted, msg)
			}
		})
	}
}

func TestNewRejectsBadSpecs(t *testing.T) {
	tests := []struct {
		name      string
		specs     []secrets.Spec
		providers []secrets.Provider
	}{
		{"empty name", []secrets.Spec{{Name: ""}}, nil},
		{"duplicate", []secrets.Spec{{Name: "A"}, {Name: "A"}}, nil},
		{"path in name", []secrets.Spec{{Name: "a/b"}}, nil},
		{"nil provider", []secrets.Spec{{Name: "A"}}, []secrets.Provider{nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := secrets.New(tt.specs, tt.providers, secrets.Options{}); !errors.Is(err, secrets.ErrSpec) {
				t.Fatalf("err = %v, want ErrSpec", err)
			}
		})
	}
}

func TestRefreshListeners(t *testing.T) {
	ctx := context.Background()
	src := newMutable(map[string]string{"JWT_SECRET": jwtA, "OPTIONAL": "opt-1"})
	set, err := secrets.New([]secrets.Spec{
		{Name: "JWT_SECRET", Required: true, Validate: secrets.MinLength(32)},
		{Name: "OPTIONAL"},
	}, []secrets.Provider{src}, secrets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	set.OnChange(func(c secrets.Change) {
		got = append(got, fmt.Sprintf("%s:%s->%s", c.Name, c.Old.Reveal(), c.New.Reveal()))
	})
	second := 0
	remove := set.OnChange(func(secrets.Change) { second++ })

	step := func(name string, mutate func(), wantErr error, want ...string) {
		t.Run(name, func(t *testing.T) {
			got = nil
			mutate()
			err := set.Refresh(ctx)
			if wantErr == nil && err != nil || wantErr != nil && !errors.Is(err, wantErr) {
				t.Fatalf("Refresh err = %v, want %v", err, wantErr)
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Fatalf("changes %q, want %q", got, want)
			}
		})
	}
	step("first load", func() {}, nil, "JWT_SECRET:->"+jwtA, "OPTIONAL:->opt-1")
	step("nothing changed", func() {}, nil)
	step("rotation", func() { src.set("JWT_SECRET", jwtB) }, nil, "JWT_SECRET:"+jwtA+"->"+jwtB)
	step("provider fails: last good kept", func() { src.setFail(errors.New("down")) }, secrets.ErrLookup)
	if set.Get("JWT_SECRET").Reveal() != jwtB || set.Get("OPTIONAL").Reveal() != "opt-1" {
		t.Fatal("failed refresh dropped values")
	}
	step("recovered", func() { src.setFail(nil) }, nil)
	step("invalid value: last good kept", func() { src.set("JWT_SECRET", "short") }, secrets.ErrInvalid)
	step("required removed: last good kept", func() { src.set("JWT_SECRET", "") }, secrets.ErrMissing)
	if set.Get("JWT_SECRET").Reveal() != jwtB {
		t.Fatal("last good value lost")
	}
	remove()
	before := second
	step("optional removed is applied", func() { src.set("OPTIONAL", "") }, secrets.ErrMissing, "OPTIONAL:opt-1->")
	if second != before {
		t.Fatal("removed listener still called")
	}
	step("back", func() { src.set("JWT_SECRET", jwtA) }, nil, "JWT_SECRET:"+jwtB+"->"+jwtA)
}

func TestWatch(t *testing.T) {
	src := newMutable(map[string]string{"K": "v1"})
	set, err := secrets.New([]secrets.Spec{{Name: "K", Required: true}}, []secrets.Provider{src}, secrets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := set.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	changes := make(chan secrets.Change, 16)
	set.OnChange(func(c secrets.Change) { changes <- c })
	errs := make(chan error, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- set.Watch(ctx, time.Millisecond, func(err error) { errs <- err }) }()

	src.set("K", "v2")
	select {
	case c := <-changes:
		if c.Name != "K" || c.Old.Reveal() != "v1" || c.New.Reveal() != "v2" {
			t.Fatalf("change %s %q -> %q", c.Name, c.Old.Reveal(), c.New.Reveal())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("watcher never reported the change")
	}
	src.setFail(errors.New("unreachable"))
	select {
	case err := <-errs:
		if !errors.Is(err, secrets.ErrLookup) {
			t.Fatalf("reported %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("watcher never reported the failure")
	}
	if set.Get("K").Reveal() != "v2" {
		t.Fatal("failed refresh lost the last good value")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Watch returned %v", err)
	}
	if err := set.Watch(context.Background(), 0, nil); err == nil {
		t.Fatal("zero interval accepted")
	}
}

func TestFollow(t *testing.T) {
	ctx := context.Background()
	src := newMutable(map[string]string{})
	set, _ := secrets.New([]secrets.Spec{{Name: "K"}, {Name: "OTHER"}}, []secrets.Provider{src}, secrets.Options{})
	_ = set.Refresh(ctx)
	var seen []string
	remove := set.Follow("K", func(v secrets.Value) { seen = append(seen, v.Reveal()) })
	if len(seen) != 0 {
		t.Fatal("called for an unset secret")
	}
	src.set("K", "one")
	src.set("OTHER", "x")
	_ = set.Refresh(ctx)
	src.set("K", "")
	_ = set.Refresh(ctx)
	remove()
	src.set("K", "two")
	_ = set.Refresh(ctx)
	if strings.Join(seen, ",") != "one," {
		t.Fatalf("Follow saw %q, want one then removal", seen)
	}
	var now []string
	set.Follow("K", func(v secrets.Value) { now = append(now, v.Reveal()) })
	if len(now) != 1 || now[0] != "two" {
		t.Fatalf("Follow did not start with the current value: %q", now)
	}
}

// chanHandler sends every log record's message to a channel.
type chanHandler struct{ ch chan string }

func (h chanHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h chanHandler) Handle(_ context.Context, r slog.Record) error {
	msg := r.Message
	r.Attrs(func(a slog.Attr) bool { msg += " " + a.String(); return true })
	select {
	case h.ch <- msg:
	default:
	}
	return nil
}
func (h chanHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h chanHandler) WithGroup(string) slog.Handler      { return h }

func TestWatchLogsFailures(t *testing.T) {
	src := newMutable(map[string]string{"K": "value-that-must-not-be-logged"})
	logs := make(chan string, 4)
	set, _ := secrets.New([]secrets.Spec{{Name: "K", Required: true}}, []secrets.Provider{src}, secrets.Options{Logger: slog.New(chanHandler{logs})})
	if err := set.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	src.setFail(errors.New("provider down"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = set.Watch(ctx, time.Millisecond, nil) }()
	select {
	case msg := <-logs:
		if !strings.Contains(msg, "refresh failed") || !strings.Contains(msg, "K") || strings.Contains(msg, "value-that-must") {
			t.Fatalf("log %q", msg)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no failure logged")
	}
}

// Refreshes from several goroutines, with readers and listeners coming and
// going: every change reaches a listener exactly once, in order.
func TestConcurrentRefresh(t *testing.T) {
	var mu sync.Mutex
	n := 0
	src := secrets.ProviderFunc(func(context.Context, string) (string, bool, error) {
		mu.Lock()
		defer mu.Unlock()
		n++
		return fmt.Sprintf("value-%06d", n), true, nil // a new value at every lookup
	})
	set, err := secrets.New([]secrets.Spec{{Name: "K", Required: true}}, []secrets.Provider{src}, secrets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	set.OnChange(func(c secrets.Change) {
		if len(seen) > 0 && c.Old.Reveal() != seen[len(seen)-1] {
			t.Errorf("change from %q, but the last change was to %q", c.Old.Reveal(), seen[len(seen)-1])
		}
		seen = append(seen, c.New.Reveal()) // listeners run one refresh at a time
	})
	const workers, refreshes = 4, 50
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range refreshes {
				if err := set.Refresh(context.Background()); err != nil {
					t.Error(err)
				}
				_ = set.Get("K").Reveal()
				remove := set.OnChange(func(secrets.Change) {})
				remove()
				set.Follow("K", func(secrets.Value) {})()
			}
		})
	}
	wg.Wait()
	if len(seen) != workers*refreshes {
		t.Fatalf("%d changes seen, want %d", len(seen), workers*refreshes)
	}
	if !slices.IsSorted(seen) || set.Get("K").Reveal() != seen[len(seen)-1] {
		t.Fatalf("changes out of order, or the last one is not current: %v", seen[len(seen)-3:])
	}
}
