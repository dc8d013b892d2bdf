package secrets

import (
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Spec describes one secret an application needs.
type Spec struct {
	// Name is the secret's name, as providers know it ("JWT_SECRET").
	// Required, unique within a spec set.
	Name string

	// Required makes a missing secret an error ([ErrMissing]); in
	// development ([Options.Development]) it is generated with Generate
	// or, without it, left missing with a warning. Default false: the secret
	// is optional, in development and production alike.
	Required bool

	// Default is used when no provider has the secret. It satisfies
	// Required. Meant for non-secret fallbacks (a local Redis URL), never
	// for a production secret written in code. Default "" (none).
	Default string

	// Validate checks the value, whatever its source; a failure is an
	// [ErrInvalid] error. Default nil (any non-empty value).
	Validate Validator

	// Generate makes a value for a missing required secret in development
	// only. It is called once; the value is kept across refreshes until a
	// provider supplies the secret. Default nil.
	Generate func() (string, error)
}

// Options configures a [Set]. The zero value is production behaviour.
type Options struct {
	// Development relaxes Required: a missing required secret is generated
	// (Spec.Generate) or left missing, with a warning for each, instead of
	// failing. Validation still applies. Default false (production:
	// required secrets are mandatory).
	Development bool

	// Logger receives development warnings and, from [Set.Watch], refresh
	// failures (names and reasons, never values). Default [slog.Default]().
	Logger *slog.Logger
}

// Change is one secret that changed during a refresh. New is the zero
// [Value] when an optional secret disappeared.
type Change struct {
	// Name is the secret's name.
	Name string
	// Old is the value before the refresh, New the value after it (the
	// zero Value for an absent secret).
	Old, New Value
}

// Source says where a secret's current value came from.
type Source int

// Sources of a value.
const (
	// SourceNone: the secret is absent.
	SourceNone Source = iota
	// SourceProvider: one of the providers.
	SourceProvider
	// SourceDefault: the spec's Default.
	SourceDefault
	// SourceGenerated: generated in development.
	SourceGenerated
)

// String names the source.
func (s Source) String() string {
	switch s {
	case SourceProvider:
		return "provider"
	case SourceDefault:
		return "default"
	case SourceGenerated:
		return "generated"
	}
	return "none"
}

type entry struct {
	v   Value
	src Source
}

// Set is a loaded spec set: the current value of every secret, kept up to
// date by [Set.Refresh] or [Set.Watch], with change listeners. It is safe
// for concurrent use.
type Set struct {
	specs    []Spec
	provider Chain
	opts     Options

	refreshMu sync.Mutex // one refresh at a time
	loaded    bool

	mu        sync.RWMutex
	vals      map[string]entry
	listeners map[int]func(Change)
	nextID    int
}

// New checks a spec set (names present, valid and unique) and returns a
// [Set] with nothing loaded yet; call [Set.Refresh] to load it. Providers
// are asked in the order given, as a [Chain].
func New(specs []Spec, providers []Provider, opts Options) (*Set, error) {
	seen := make(map[string]bool, len(specs))
	for i, sp := range specs {
		if err := checkName(sp.Name); err != nil {
			return nil, fmt.Errorf("%w: spec %d: %v", ErrSpec, i, err)
		}
		if seen[sp.Name] {
			return nil, fmt.Errorf("%w: %s listed twice", ErrSpec, sp.Name)
		}
		seen[sp.Name] = true
	}
	for i, p := range providers {
		if p == nil {
			return nil, fmt.Errorf("%w: provider %d is nil", ErrSpec, i)
		}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Set{
		specs:     append([]Spec(nil), specs...),
		provider:  append(Chain(nil), providers...),
		opts:      opts,
		vals:      make(map[string]entry, len(specs)),
		listeners: make(map[int]func(Change)),
	}, nil
}

// Load loads specs from providers (asked in order) with production rules:
// every problem — each missing required secret, each invalid value, each
// provider failure — is reported at once in one error joining one
// [*Error] per secret. On error the Set is nil. Use [New] and
// [Set.Refresh] for [Options].
func Load(ctx context.Context, specs []Spec, providers ...Provider) (*Set, error) {
	s, err := New(specs, providers, Options{})
	if err != nil {
		return nil, err
	}
	if err := s.Refresh(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Get returns the current value of the secret name; the zero (absent)
// [Value] when it is missing or not in the spec set.
func (s *Set) Get(name string) Value {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.vals[name].v
}

// Lookup returns the current value of name and whether it is set.
func (s *Set) Lookup(name string) (Value, bool) {
	v := s.Get(name)
	return v, v.IsSet()
}

// Source reports where the current value of name came from.
func (s *Set) Source(name string) Source {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.vals[name].src
}

// OnChange registers fn to be called, after a refresh, once for each
// secret whose value changed (the first load counts). Calls happen on the
// refreshing goroutine, in registration order, after the new values are
// visible through [Set.Get]. A listener must not call [Set.Refresh] or
// [Set.Follow]: it runs while the refresh holds the set's refresh lock.
// The returned function unregisters fn.
func (s *Set) OnChange(fn func(Change)) (remove func()) {
	s.mu.Lock()
	id := s.nextID
	s.nextID++
	s.listeners[id] = fn
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		delete(s.listeners, id)
		s.mu.Unlock()
	}
}

// Follow calls fn with the current value of the secret name, then again
// with each new value after a refresh changes it: the hook for rotating a
// JWT signing key or reconnecting with a new password without a restart.
//
//	set.Follow(secrets.JWTSecret, func(v secrets.Value) { signer.SetKey(v.Bytes()) })
//
// The first call happens before Follow returns (only if the secret is
// set), in order with later calls, which happen as for [Set.OnChange]
// (an optional secret that disappears gives the absent Value).
// Do not call Follow from a listener. The returned function stops the
// calls.
func (s *Set) Follow(name string, fn func(Value)) (remove func()) {
	s.refreshMu.Lock() // no refresh between registering and the first call
	defer s.refreshMu.Unlock()
	remove = s.OnChange(func(c Change) {
		if c.Name == name {
			fn(c.New)
		}
	})
	if v := s.Get(name); v.IsSet() {
		fn(v)
	}
	return remove
}

// Refresh asks the providers again for every secret and applies what
// changed. A secret whose lookup fails, is missing while required, or is
// invalid keeps its last good value; those problems are returned together
// (as [Load] does) after the rest has been applied and listeners called.
func (s *Set) Refresh(ctx context.Context) error {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()

	s.mu.RLock()
	old := s.vals
	s.mu.RUnlock()

	next := make(map[string]entry, len(s.specs))
	var errs []error
	for _, sp := range s.specs {
		prev := old[sp.Name]
		e, err := s.resolve(ctx, sp, prev)
		if err != nil {
			errs = append(errs, err)
			e = prev // keep the last good value
		}
		if e.v.IsSet() {
			next[sp.Name] = e
		}
	}

	var changes []Change
	for _, sp := range s.specs {
		o, n := old[sp.Name].v, next[sp.Name].v
		if !o.Equal(n) {
			changes = append(changes, Change{Name: sp.Name, Old: o, New: n})
		}
	}

	s.mu.Lock()
	s.vals = next
	ids := make([]int, 0, len(s.listeners))
	for id := range s.listeners {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	fns := make([]func(Change), 0, len(ids))
	for _, id := range ids {
		fns = append(fns, s.listeners[id])
	}
	s.mu.Unlock()
	s.loaded = true

	for _, c := range changes {
		for _, fn := range fns {
			fn(c)
		}
	}
	return errors.Join(errs...)
}

func (s *Set) resolve(ctx context.Context, sp Spec, prev entry) (entry, error) {
	v, _, err := s.provider.Lookup(ctx, sp.Name)
	if err != nil {
		return entry{}, &Error{Name: sp.Name, Kind: ErrLookup, Reason: redactReason(err, "")}
	}
	src := SourceProvider
	if v == "" {
		switch {
		case sp.Default != "":
			v, src = sp.Default, SourceDefault
		case prev.src == SourceGenerated:
			return prev, nil
		case !sp.Required:
			return entry{}, nil
		case !s.opts.Development:
			return entry{}, &Error{Name: sp.Name, Kind: ErrMissing}
		case sp.Generate != nil:
			g, err := sp.Generate()
			if err != nil {
				return entry{}, &Error{Name: sp.Name, Kind: ErrMissing, Reason: fmt.Errorf("generating a development value: %w", redactReason(err, g))}
			}
			if g == "" {
				return entry{}, &Error{Name: sp.Name, Kind: ErrMissing}
			}
			s.opts.Logger.Warn("secrets: required secret missing; generated a development value (set it before production)",
				slog.String("secret", sp.Name))
			v, src = g, SourceGenerated
		default:
			if !s.loaded || prev.v.IsSet() {
				s.opts.Logger.Warn("secrets: required secret missing; continuing without it in development",
					slog.String("secret", sp.Name))
			}
			return entry{}, nil
		}
	}
	if sp.Validate != nil {
		if err := sp.Validate(v); err != nil {
			return entry{}, &Error{Name: sp.Name, Kind: ErrInvalid, Reason: redactReason(err, v)}
		}
	}
	return entry{v: NewValue(v), src: src}, nil
}

// redactReason returns err, or a replacement without its chain when its
// message shows the value: verbatim, quoted the ways fmt and strconv quote
// (%q, %+q, JSON escapes), or as hex.
func redactReason(err error, value string) error {
	if value == "" {
		return err
	}
	msg := err.Error()
	redacted := msg
	for _, form := range valueForms(value) {
		redacted = strings.ReplaceAll(redacted, form, Redacted)
	}
	if redacted == msg {
		return err
	}
	return errors.New(redacted)
}

// valueForms lists the renderings of value an error message may contain,
// longest first, so that the longer ones are replaced whole.
func valueForms(value string) []string {
	unquote := func(q string) string { return q[1 : len(q)-1] }
	js, _ := json.Marshal(value)
	forms := []string{
		value,
		unquote(strconv.Quote(value)),
		unquote(strconv.QuoteToASCII(value)),
		unquote(string(js)),
		hex.EncodeToString([]byte(value)),
		strings.ToUpper(hex.EncodeToString([]byte(value))),
	}
	slices.SortFunc(forms, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b))
	})
	return slices.Compact(forms)
}

// Watch calls [Set.Refresh] every interval until ctx is done, then returns
// ctx.Err(). A failed refresh keeps the last good values; its error is
// passed to onError, or logged as a warning through [Options.Logger] when
// onError is nil. An interval of zero or less is an error.
func (s *Set) Watch(ctx context.Context, interval time.Duration, onError func(error)) error {
	if interval <= 0 {
		return fmt.Errorf("secrets: watch interval must be positive, got %v", interval)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		if err := s.Refresh(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if onError != nil {
				onError(err)
			} else {
				s.opts.Logger.Warn("secrets: refresh failed; keeping the last good values", slog.String("error", err.Error()))
			}
		}
	}
}
