package awssm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"golang.org/x/sync/singleflight"

	"github.com/chainsync/middleware/secrets"
)

var _ secrets.Provider = (*Provider)(nil)

// Errors of the provider.
var (
	// ErrNoRegion: no AWS region in the standard configuration.
	ErrNoRegion = errors.New("awssm: no AWS region configured (set AWS_REGION)")
	// ErrNotJSON: a "name#field" lookup of a secret whose value is not a
	// JSON object, or whose field is not a string, number or boolean.
	ErrNotJSON = errors.New("awssm: secret is not a JSON object of scalar fields")
)

// API is the part of the Secrets Manager client the provider uses;
// *secretsmanager.Client implements it.
type API interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Defaults of [Options].
const (
	// DefaultTTL is the default [Options.TTL].
	DefaultTTL = 5 * time.Minute
	// DefaultRetryInterval is the default [Options.RetryInterval].
	DefaultRetryInterval = 30 * time.Second
	// DefaultFetchTimeout is the default [Options.FetchTimeout].
	DefaultFetchTimeout = 30 * time.Second
)

// Options configures a [Provider]. The zero value uses the standard AWS
// configuration and caches for five minutes.
type Options struct {
	// Client is the Secrets Manager client. Default: one built by [New]
	// from config.LoadDefaultConfig(ctx, LoadOptions...) with
	// ClientOptions applied.
	Client API

	// LoadOptions are passed to config.LoadDefaultConfig when Client is
	// nil. Default none.
	LoadOptions []func(*config.LoadOptions) error

	// ClientOptions are applied to the client built when Client is nil
	// (endpoint, retryer, HTTP client...). Default none.
	ClientOptions []func(*secretsmanager.Options)

	// TTL is how long a fetched secret, or its absence, is served from the
	// cache: a rotated secret is seen within TTL. Default [DefaultTTL] (5
	// minutes).
	TTL time.Duration

	// FetchTimeout bounds one GetSecretValue request, SDK retries
	// included. The request is shared by the lookups of a secret that
	// arrive while it is in flight, so it is not cancelled with the
	// context of the lookup that started it; each lookup still returns
	// when its own context is done. Default [DefaultFetchTimeout] (30
	// seconds).
	FetchTimeout time.Duration

	// DisableCache fetches on every lookup. Default false.
	DisableCache bool

	// RetryInterval is how long a stale value is served after a failed
	// refresh before the next attempt. Default [DefaultRetryInterval] (30
	// seconds), never more than TTL.
	RetryInterval time.Duration

	// SecretID maps a secret name to its SecretId (optionally with
	// "#field"). Default: the name itself.
	SecretID func(name string) string

	// VersionStage selects the version to read. Default "" (AWSCURRENT).
	VersionStage string

	// Now is the clock of the cache. Default [time.Now].
	Now func() time.Time

	// Logger receives stale-value warnings. Default [slog.Default]().
	Logger *slog.Logger
}

// Stats counts what the provider did since it was created.
type Stats struct {
	// Hits are lookups answered from a fresh cache entry.
	Hits uint64
	// Fetches are GetSecretValue calls (after SDK retries, one each).
	Fetches uint64
	// Errors are failed fetches.
	Errors uint64
	// Stale are lookups answered with a stale value after a failed fetch.
	Stale uint64
}

// Provider looks secrets up in AWS Secrets Manager. It is safe for
// concurrent use. Its cache holds values as [secrets.Value]s and its client
// in a closure, so neither fmt nor a reflection-based dumper of a Provider
// prints a cached secret.
type Provider struct {
	client func() API // in a closure: the client's connection buffers hold responses, out of reach of reflection
	opts   Options
	group  singleflight.Group

	mu    sync.Mutex
	cache map[string]*entry

	hits, fetches, errs, stale atomic.Uint64
}

// entry is one cached secret. Its plaintext is held as secrets.Values, out
// of reach of fmt and of reflection-based dumpers of the Provider.
type entry struct {
	found   bool
	value   secrets.Value
	fields  map[string]secrets.Value // parsed on first field lookup
	jsonErr bool
	expires time.Time
}

// New returns a provider. Without [Options.Client] it loads the standard
// AWS configuration and fails when it names no region ([ErrNoRegion]).
func New(ctx context.Context, opts Options) (*Provider, error) {
	if opts.TTL < 0 || opts.RetryInterval < 0 || opts.FetchTimeout < 0 {
		return nil, errors.New("awssm: TTL, RetryInterval and FetchTimeout must not be negative")
	}
	if opts.FetchTimeout == 0 {
		opts.FetchTimeout = DefaultFetchTimeout
	}
	if opts.TTL == 0 {
		opts.TTL = DefaultTTL
	}
	if opts.RetryInterval == 0 {
		opts.RetryInterval = DefaultRetryInterval
	}
	opts.RetryInterval = min(opts.RetryInterval, opts.TTL)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.SecretID == nil {
		opts.SecretID = func(name string) string { return name }
	}
	client := opts.Client
	if client == nil {
		cfg, err := config.LoadDefaultConfig(ctx, opts.LoadOptions...)
		if err != nil {
			return nil, fmt.Errorf("awssm: loading AWS configuration: %w", err)
		}
		if cfg.Region == "" {
			return nil, ErrNoRegion
		}
		client = secretsmanager.NewFromConfig(cfg, opts.ClientOptions...)
	}
	opts.Client, opts.LoadOptions, opts.ClientOptions = nil, nil, nil // kept in the closure only
	return &Provider{client: func() API { return client }, opts: opts, cache: make(map[string]*entry)}, nil
}

// Stats returns the provider's counters.
func (p *Provider) Stats() Stats {
	return Stats{Hits: p.hits.Load(), Fetches: p.fetches.Load(), Errors: p.errs.Load(), Stale: p.stale.Load()}
}

// Flush empties the cache, so the next lookup of every secret fetches.
func (p *Provider) Flush() {
	p.mu.Lock()
	clear(p.cache)
	p.mu.Unlock()
}

// Lookup implements [secrets.Provider]: the SecretString (or SecretBinary)
// of the secret, or one field of it for "id#field". A missing secret or
// field is ("", false, nil).
//
// ctx bounds the wait: Lookup returns when ctx is done, with the stale
// value when there is one. Concurrent lookups of one secret share one
// request, which [Options.FetchTimeout] bounds; one that outlives its
// callers still fills the cache.
func (p *Provider) Lookup(ctx context.Context, name string) (string, bool, error) {
	id, field, hasField := strings.Cut(p.opts.SecretID(name), "#")
	if id == "" || hasField && field == "" {
		return "", false, fmt.Errorf("%w: %q", secrets.ErrInvalidName, name)
	}
	e, err := p.get(ctx, id)
	if err != nil {
		return "", false, err
	}
	if !e.found {
		return "", false, nil
	}
	if !hasField {
		return e.value.Reveal(), true, nil
	}
	return p.field(e, id, field)
}

func (p *Provider) field(e *entry, id, field string) (string, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.fields == nil && !e.jsonErr {
		e.fields, e.jsonErr = parseFields(e.value.Reveal())
	}
	if e.jsonErr {
		return "", false, fmt.Errorf("%w: %s", ErrNotJSON, id)
	}
	v, ok := e.fields[field]
	return v.Reveal(), ok, nil
}

// parseFields reads a JSON object of scalars. It reports failure without
// the decoder's message, which could quote the secret.
func parseFields(s string) (map[string]secrets.Value, bool) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil || raw == nil {
		return nil, true
	}
	out := make(map[string]secrets.Value, len(raw))
	for k, v := range raw {
		switch c := v[0]; {
		case c == '"':
			var str string
			if err := json.Unmarshal(v, &str); err != nil {
				return nil, true
			}
			out[k] = secrets.NewValue(str)
		case c == 't' || c == 'f' || c == '-' || c >= '0' && c <= '9':
			out[k] = secrets.NewValue(string(v))
		case c == 'n': // null: absent
		default:
			return nil, true
		}
	}
	return out, false
}

func (p *Provider) get(ctx context.Context, id string) (*entry, error) {
	now := p.opts.Now()
	p.mu.Lock()
	old := p.cache[id]
	fresh := old != nil && now.Before(old.expires)
	p.mu.Unlock()
	if fresh {
		p.hits.Add(1)
		return old, nil
	}
	var v any
	var err error
	select {
	case res := <-p.group.DoChan(id, func() (any, error) { return p.fetch(context.WithoutCancel(ctx), id) }):
		v, err = res.Val, res.Err
	case <-ctx.Done(): // the shared request goes on, and fills the cache when it succeeds
		err = fmt.Errorf("awssm: GetSecretValue %s: %w", id, ctx.Err())
	}
	if err != nil {
		if old != nil && old.found {
			p.stale.Add(1)
			p.opts.Logger.Warn("awssm: refreshing a secret failed; serving the last value fetched",
				slog.String("secret_id", id), slog.String("error", err.Error()))
			p.mu.Lock()
			if cur := p.cache[id]; cur == old {
				old.expires = now.Add(p.opts.RetryInterval)
			}
			p.mu.Unlock()
			return old, nil
		}
		return nil, err
	}
	return v.(*entry), nil
}

func (p *Provider) fetch(ctx context.Context, id string) (*entry, error) {
	p.fetches.Add(1)
	in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)}
	if p.opts.VersionStage != "" {
		in.VersionStage = aws.String(p.opts.VersionStage)
	}
	ctx, cancel := context.WithTimeout(ctx, p.opts.FetchTimeout)
	defer cancel()
	out, err := p.client().GetSecretValue(ctx, in)
	e := &entry{expires: p.opts.Now().Add(p.opts.TTL)}
	var nf *types.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		// absent: cached as such
	case err != nil:
		p.errs.Add(1)
		return nil, fmt.Errorf("awssm: GetSecretValue %s: %w", id, err)
	case out.SecretString != nil:
		e.found, e.value = true, secrets.NewValue(*out.SecretString)
	default:
		e.found, e.value = true, secrets.NewValue(string(out.SecretBinary))
	}
	if !p.opts.DisableCache {
		p.mu.Lock()
		p.cache[id] = e
		p.mu.Unlock()
	}
	return e, nil
}
