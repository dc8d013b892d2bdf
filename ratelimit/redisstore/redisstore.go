package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chainsync/middleware/ratelimit"
)

// Errors of this package.
var (
	// ErrContextTimeoutDisabled is returned by New for a client built
	// without ContextTimeoutEnabled: such a client ignores context
	// deadlines, so a hung Redis would hang every request.
	ErrContextTimeoutDisabled = errors.New("redisstore: the redis client must be built with ContextTimeoutEnabled: true, or a hung server hangs requests")
	// ErrBadReply is wrapped when Redis answers the script with something
	// else than the store wrote (another program using the same keys).
	ErrBadReply = errors.New("redisstore: unexpected reply from redis")
)

// DefaultPrefix is the key prefix when Options.Prefix is empty.
const DefaultPrefix = "ratelimit:"

// Options configure a [Store]. The zero value uses [DefaultPrefix].
type Options struct {
	// Prefix starts every key, so that several applications (or tests) can
	// share one Redis. It must not contain '{' or '}' (the client key is
	// the hash tag). Default [DefaultPrefix].
	Prefix string
}

// Store is a [ratelimit.Store] on Redis or Redis Cluster. It is safe for
// concurrent use; instances of a fleet sharing one Redis share the limits.
// Make one with [New]; the zero value is not usable.
type Store struct {
	client redis.UniversalClient
	prefix string
	script *redis.Script
}

var _ ratelimit.MultiStore = (*Store)(nil)

// New returns a store that keeps its state in client, which may be a
// *redis.Client, *redis.ClusterClient, *redis.Ring or a failover client.
// The client must be built with ContextTimeoutEnabled: true (New checks
// the clients it knows and returns ErrContextTimeoutDisabled otherwise):
// go-redis ignores context deadlines without it.
func New(client redis.UniversalClient, o Options) (*Store, error) {
	if client == nil {
		return nil, errors.New("redisstore: nil client")
	}
	enabled := true
	switch c := client.(type) {
	case *redis.Client:
		enabled = c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		enabled = c.Options().ContextTimeoutEnabled
	case *redis.Ring:
		enabled = c.Options().ContextTimeoutEnabled
	}
	if !enabled {
		return nil, ErrContextTimeoutDisabled
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if strings.ContainsAny(o.Prefix, "{}") {
		return nil, fmt.Errorf("redisstore: prefix %q contains a brace", o.Prefix)
	}
	return &Store{client: client, prefix: o.Prefix, script: redis.NewScript(script)}, nil
}

// script decides policies in order for one client key. KEYS are the state
// keys (one per policy, all in one hash slot); ARGV[1] is the cost, then
// per policy its emission interval and burst tolerance in microseconds. Time
// comes from Redis, so the clocks of the instances do not matter; Lua
// numbers are doubles, exact for integers below 2^53, and microsecond
// timestamps (about 2^51 today) plus tolerances (at most 2^50) stay below.
// A state key holds the theoretical arrival time and expires when it is
// reached: state that is fully replenished is the same as none. A TAT more
// than the tolerance ahead (written under a looser policy of the same name,
// or before Redis's clock stepped back) counts as the whole burst used.
//
// It returns four integers per checked policy: allowed (1/0), remaining,
// reset-after and retry-after in microseconds; it stops after the first
// denial.
const script = `
if redis.replicate_commands then redis.replicate_commands() end -- Redis < 5: replicate effects, as TIME requires
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local cost = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS do
  local T = tonumber(ARGV[2 * i])
  local tau = tonumber(ARGV[2 * i + 1])
  local tat = tonumber(redis.call('GET', KEYS[i]))
  if tat == nil or tat < now then tat = now elseif tat > now + tau then tat = now + tau end
  local allowed, remaining, reset, retry = 0, 0, 0, 0
  if cost > 0 and cost > math.floor(tau / T) then
    remaining = math.floor((now + tau - tat) / T)
    reset = tat - now
    retry = tau
  else
    local nxt = tat + cost * T
    local allowAt = nxt - tau
    if now < allowAt then
      remaining = math.floor((now + tau - tat) / T)
      reset = tat - now
      retry = allowAt - now
    else
      allowed = 1
      remaining = math.floor((now + tau - nxt) / T)
      reset = nxt - now
      if cost > 0 then
        redis.call('SET', KEYS[i], string.format('%.0f', nxt), 'PX', math.ceil(reset / 1000))
      end
    end
  end
  out[#out + 1] = allowed
  out[#out + 1] = remaining
  out[#out + 1] = reset
  out[#out + 1] = retry
  if allowed == 0 then break end
end
return out
`

// Key returns the Redis key holding the state of (policy, key): the prefix,
// the policy name and the client key as the hash tag, so all policies of
// one client key live in one slot of a Redis Cluster and one script can
// decide them together. A key that would make an empty or broken tag
// (empty, or starting with '}' or '\') is escaped with a leading '\', which
// keeps distinct keys distinct.
func (s *Store) Key(policy, key string) string {
	if key == "" || key[0] == '}' || key[0] == '\\' {
		key = `\` + key
	}
	return s.prefix + policy + ":{" + key + "}"
}

// Take implements [ratelimit.Store].
func (s *Store) Take(ctx context.Context, key string, p ratelimit.Policy, cost int64) (ratelimit.Result, error) {
	var buf [1]ratelimit.Result
	out, err := s.TakeAll(ctx, key, []ratelimit.Policy{p}, cost, buf[:0])
	if err != nil {
		return ratelimit.Result{}, err
	}
	return out[0], nil
}

// TakeAll implements [ratelimit.MultiStore] in one round trip: one EVALSHA
// (EVAL when Redis lost the script, after a restart or SCRIPT FLUSH).
func (s *Store) TakeAll(ctx context.Context, key string, policies []ratelimit.Policy, cost int64, dst []ratelimit.Result) ([]ratelimit.Result, error) {
	if cost < 0 {
		return dst, ratelimit.ErrInvalidCost
	}
	if len(policies) == 0 {
		return dst, nil
	}
	keys := make([]string, len(policies))
	args := make([]any, 1, 1+2*len(policies))
	args[0] = cost
	for i, p := range policies {
		if err := p.Validate(); err != nil {
			return dst, err
		}
		keys[i] = s.Key(p.Name, key)
		t, tau := p.GCRA(ratelimit.Resolution)
		args = append(args, t, tau)
	}
	vals, err := s.script.Run(ctx, s.client, keys, args...).Int64Slice()
	if err != nil {
		return dst, fmt.Errorf("redisstore: %w", err)
	}
	if len(vals) == 0 || len(vals)%4 != 0 || len(vals)/4 > len(policies) {
		return dst, fmt.Errorf("%w: %d values", ErrBadReply, len(vals))
	}
	for i := 0; i < len(vals); i += 4 {
		p := policies[i/4]
		dst = append(dst, ratelimit.Result{
			Allowed:    vals[i] == 1,
			Limit:      p.Limit,
			Remaining:  vals[i+1],
			ResetAfter: time.Duration(vals[i+2]) * ratelimit.Resolution,
			RetryAfter: time.Duration(vals[i+3]) * ratelimit.Resolution,
		})
	}
	return dst, nil
}

// String describes the store without any credentials.
func (s *Store) String() string { return "redisstore(prefix=" + strconv.Quote(s.prefix) + ")" }
