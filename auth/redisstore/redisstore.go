package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chainsync/middleware/auth"
)

// DefaultPrefix is the key prefix when [Options.Prefix] is empty.
const DefaultPrefix = "auth:"

// DefaultTimeout bounds each store call when [Options.Timeout] is zero.
const DefaultTimeout = time.Second

// Options configure a [Store]. The zero value is the default.
type Options struct {
	// Prefix starts every key. Default [DefaultPrefix]. It may not contain
	// '{' or '}' (they would change the hash tags).
	Prefix string
	// Timeout is the deadline of each call, on top of the caller's
	// context deadline (the earlier wins). Default [DefaultTimeout].
	Timeout time.Duration
	// AllowClientTimeouts accepts a client built without
	// ContextTimeoutEnabled, whose calls then wait for the client's own
	// ReadTimeout/WriteTimeout instead of the context deadline. Default
	// false: New refuses such a client.
	AllowClientTimeouts bool
}

// Store is an [auth.SessionStore] on Redis. It is safe for concurrent use.
type Store struct {
	c       redis.UniversalClient
	prefix  string
	timeout time.Duration
	warm    *warmup // nil unless c is a *redis.ClusterClient
}

var (
	_ auth.SessionStore   = (*Store)(nil)
	_ auth.SessionChecker = (*Store)(nil)
)

// New returns a store using c. It fails when c does not honour context
// deadlines (see the package documentation) or an option is invalid.
func New(c redis.UniversalClient, opts Options) (*Store, error) {
	if c == nil {
		return nil, errors.New("redisstore: nil client")
	}
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if strings.ContainsAny(opts.Prefix, "{}") {
		return nil, errors.New("redisstore: Options.Prefix may not contain '{' or '}'")
	}
	if opts.Timeout < 0 {
		return nil, errors.New("redisstore: Options.Timeout must not be negative")
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	if !opts.AllowClientTimeouts {
		enabled := true
		switch cc := c.(type) {
		case *redis.Client:
			enabled = cc.Options().ContextTimeoutEnabled
		case *redis.ClusterClient:
			enabled = cc.Options().ContextTimeoutEnabled
		case *redis.Ring:
			enabled = cc.Options().ContextTimeoutEnabled
		}
		if !enabled {
			return nil, errors.New("redisstore: the client must be built with ContextTimeoutEnabled: true so calls honour deadlines (or set Options.AllowClientTimeouts)")
		}
	}
	st := &Store{c: c, prefix: opts.Prefix, timeout: opts.Timeout}
	if cc, ok := c.(*redis.ClusterClient); ok {
		st.warm = &warmup{c: cc}
	}
	return st, nil
}

func (s *Store) sessionKey(id string) string { return s.prefix + "s:{" + id + "}" }
func (s *Store) usedKey(id string) string    { return s.prefix + "r:{" + id + "}" }
func (s *Store) userKey(uid string) string   { return s.prefix + "u:" + uid }

// begin returns the context of one store call: ctx bounded by
// Options.Timeout. On a cluster client it first waits (within that
// deadline) for go-redis's command table to be loaded; see [warmup].
func (s *Store) begin(ctx context.Context, op string) (context.Context, context.CancelFunc, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	if err := s.warm.ready(ctx); err != nil {
		cancel()
		return nil, nil, fail(op, err)
	}
	return ctx, cancel, nil
}

// warmupTimeout bounds one background load of the cluster command table.
const warmupTimeout = 10 * time.Second

// warmup loads a ClusterClient's command table off the request path.
//
// go-redis's ClusterClient fetches COMMAND on the first single command it
// sends (pipelines do not) with its own 5-second timeout, ignoring the
// caller's context, and callers queue behind that fetch one by one while
// it fails. So until one fetch has succeeded, calls do not send commands
// themselves: one background goroutine at a time sends COMMAND (which
// loads the table), and calls wait for it only until their own deadline.
// Once it has succeeded the cost is one atomic load per call.
type warmup struct {
	c    *redis.ClusterClient
	done atomic.Bool
	mu   sync.Mutex
	wait chan struct{} // closed when the attempt in flight ends; nil when none
}

func (w *warmup) ready(ctx context.Context) error {
	if w == nil || w.done.Load() {
		return nil
	}
	w.mu.Lock()
	ch := w.wait
	if ch == nil {
		ch = make(chan struct{})
		w.wait = ch
		go w.load(ch)
	}
	w.mu.Unlock()
	select {
	case <-ch:
		if w.done.Load() {
			return nil
		}
		return errors.New("cluster unreachable (loading the command table failed)")
	case <-ctx.Done():
		return fmt.Errorf("cluster command table not loaded yet: %w", ctx.Err())
	}
}

func (w *warmup) load(ch chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), warmupTimeout)
	err := w.c.Command(ctx).Err()
	cancel()
	w.mu.Lock()
	if err == nil {
		w.done.Store(true)
	}
	w.wait = nil
	w.mu.Unlock()
	close(ch)
}

// txErr returns the first error of a MULTI's commands (EXEC only says
// EXECABORT when a command was refused while queued, such as OOM), or err.
func txErr(cmds []redis.Cmder, err error) error {
	for _, c := range cmds {
		if e := c.Err(); e != nil && strings.HasPrefix(e.Error(), "OOM ") {
			return e
		}
	}
	return err
}

func fail(op string, err error) error {
	if strings.HasPrefix(err.Error(), "OOM ") {
		return fmt.Errorf("redisstore: %s: %w: %w", op, auth.ErrStoreFull, err)
	}
	return fmt.Errorf("redisstore: %s: %w: %w", op, auth.ErrStoreUnavailable, err)
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v)
}

// Create implements [auth.SessionStore].
func (s *Store) Create(ctx context.Context, in *auth.Session) error {
	if !auth.ValidSessionID(in.ID) {
		return errors.New("redisstore: invalid session id")
	}
	perms, err := json.Marshal(in.Permissions)
	if err != nil {
		return fmt.Errorf("redisstore: permissions: %w", err)
	}
	exp := ms(in.Expiry())
	ctx, cancel, err := s.begin(ctx, "create")
	if err != nil {
		return err
	}
	defer cancel()
	key := s.sessionKey(in.ID)
	idx := s.userKey(in.UserID)
	// The session first, then its index entry, each in one MULTI (one
	// slot each): DeleteUser reads the index before it deletes, so an id
	// it reads always names a session already written, and one it misses
	// stays in the index for the next DeleteUser. In a cluster the two
	// keys live on different nodes, and one pipeline would send them
	// concurrently, so these are two round trips (a login, off the hot
	// path).
	cmds, err := s.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, key,
			"uid", in.UserID, "role", in.Role, "perms", perms, "ext", in.Extra,
			"ct", ms(in.CreatedAt), "exp", ms(in.ExpiresAt), "idle", in.IdleTimeout.Milliseconds(),
			"last", ms(in.LastUsed), "cur", in.Current, "prev", in.Previous, "rot", ms(in.RotatedAt))
		p.PExpireAt(ctx, key, time.UnixMilli(exp))
		return nil
	})
	if err != nil {
		return fail("create", txErr(cmds, err))
	}
	cmds, err = s.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.SAdd(ctx, idx, in.ID)
		// The index lives as long as the user's longest session: NX sets
		// the expiry of a fresh index, GT extends an existing one.
		p.Do(ctx, "PEXPIREAT", idx, ms(in.ExpiresAt), "NX")
		p.Do(ctx, "PEXPIREAT", idx, ms(in.ExpiresAt), "GT")
		return nil
	})
	if err != nil {
		// Unindexed, the session would escape RevokeUser: take it back
		// (best effort; its refresh token never reached the client).
		c, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
		_ = s.c.Del(c, key).Err()
		cancel()
		return fail("create", txErr(cmds, err))
	}
	return nil
}

// parse decodes a session hash (HGETALL as field/value pairs).
func parse(id string, f map[string]string) (auth.Session, error) {
	num := func(k string) int64 { n, _ := strconv.ParseInt(f[k], 10, 64); return n }
	s := auth.Session{
		ID: id, UserID: f["uid"], Role: f["role"],
		CreatedAt: fromMS(num("ct")), ExpiresAt: fromMS(num("exp")),
		IdleTimeout: time.Duration(num("idle")) * time.Millisecond,
		LastUsed:    fromMS(num("last")), RotatedAt: fromMS(num("rot")),
	}
	if v := f["perms"]; v != "" && v != "null" {
		if err := json.Unmarshal([]byte(v), &s.Permissions); err != nil {
			return auth.Session{}, fmt.Errorf("redisstore: corrupt session %s: %w", id, err)
		}
	}
	if v := f["ext"]; v != "" {
		s.Extra = []byte(v)
	}
	if v := f["cur"]; v != "" {
		s.Current = []byte(v)
	}
	if v := f["prev"]; v != "" {
		s.Previous = []byte(v)
	}
	return s, nil
}

// Get implements [auth.SessionStore].
func (s *Store) Get(ctx context.Context, id string, now time.Time) (auth.Session, bool, error) {
	if !auth.ValidSessionID(id) {
		return auth.Session{}, false, nil
	}
	ctx, cancel, err := s.begin(ctx, "get")
	if err != nil {
		return auth.Session{}, false, err
	}
	defer cancel()
	f, err := s.c.HGetAll(ctx, s.sessionKey(id)).Result()
	if err != nil {
		return auth.Session{}, false, fail("get", err)
	}
	if len(f) == 0 {
		return auth.Session{}, false, nil
	}
	sess, err := parse(id, f)
	if err != nil {
		return auth.Session{}, false, fail("get", err)
	}
	if !sess.Live(now) {
		return auth.Session{}, false, nil
	}
	return sess, true, nil
}

// Check implements [auth.SessionChecker]: one HMGET of the four fields the
// per-request session check needs.
func (s *Store) Check(ctx context.Context, id string, now time.Time) (string, bool, error) {
	if !auth.ValidSessionID(id) {
		return "", false, nil
	}
	ctx, cancel, err := s.begin(ctx, "check")
	if err != nil {
		return "", false, err
	}
	defer cancel()
	v, err := s.c.HMGet(ctx, s.sessionKey(id), "uid", "exp", "idle", "last").Result()
	if err != nil {
		return "", false, fail("check", err)
	}
	uid, _ := v[0].(string)
	if uid == "" {
		return "", false, nil
	}
	num := func(i int) int64 { x, _ := v[i].(string); n, _ := strconv.ParseInt(x, 10, 64); return n }
	sess := auth.Session{ExpiresAt: fromMS(num(1)), IdleTimeout: time.Duration(num(2)) * time.Millisecond, LastUsed: fromMS(num(3))}
	if !sess.Live(now) {
		return "", false, nil
	}
	return uid, true, nil
}

// rotateScript applies one refresh atomically; see auth.SessionStore.Rotate.
// KEYS: session hash, used list. ARGV: presented, next, now (ms), grace
// (ms), rotation limit (auth.UsedHistory). Returns {status} or {status, HGETALL}: 0 not
// found, 1 rotated, 2 rotated in grace, 3 reused (deleted), 4 mismatch.
var rotateScript = redis.NewScript(`
local s = redis.call('HMGET', KEYS[1], 'cur', 'prev', 'rot', 'last', 'exp', 'idle')
if not s[1] then return {0} end
local now = tonumber(ARGV[3])
local exp = tonumber(s[5]) or 0
local idle = tonumber(s[6]) or 0
local last = tonumber(s[4]) or 0
if now >= exp or (idle > 0 and now >= last + idle) then
  redis.call('DEL', KEYS[1], KEYS[2])
  return {0}
end
local function push(h)
  redis.call('LPUSH', KEYS[2], h)
end
-- Used hashes are never forgotten: a session whose rotations are used up
-- ends instead.
local function spent()
  if redis.call('LLEN', KEYS[2]) >= tonumber(ARGV[5]) then
    redis.call('DEL', KEYS[1], KEYS[2])
    return true
  end
  return false
end
local function expire()
  local e = exp
  if idle > 0 and now + idle < e then e = now + idle end
  redis.call('PEXPIREAT', KEYS[1], e)
  redis.call('PEXPIREAT', KEYS[2], e)
end
if ARGV[1] == s[1] then
  if spent() then return {0} end
  push(ARGV[1])
  redis.call('HSET', KEYS[1], 'cur', ARGV[2], 'prev', ARGV[1], 'rot', ARGV[3], 'last', ARGV[3])
  expire()
  return {1, redis.call('HGETALL', KEYS[1])}
end
local grace = tonumber(ARGV[4])
if s[2] and s[2] ~= '' and ARGV[1] == s[2] and grace > 0 and now < (tonumber(s[3]) or 0) + grace then
  if spent() then return {0} end
  push(s[1])
  redis.call('HSET', KEYS[1], 'cur', ARGV[2], 'prev', '', 'rot', ARGV[3], 'last', ARGV[3])
  expire()
  return {2, redis.call('HGETALL', KEYS[1])}
end
if redis.call('LPOS', KEYS[2], ARGV[1]) then
  local all = redis.call('HGETALL', KEYS[1])
  redis.call('DEL', KEYS[1], KEYS[2])
  return {3, all}
end
return {4}
`)

// Rotate implements [auth.SessionStore] in one round trip.
func (s *Store) Rotate(ctx context.Context, id string, r auth.Rotation) (auth.Session, auth.RotateStatus, error) {
	if !auth.ValidSessionID(id) {
		return auth.Session{}, auth.RotateNotFound, nil
	}
	ctx, cancel, err := s.begin(ctx, "rotate")
	if err != nil {
		return auth.Session{}, auth.RotateNotFound, err
	}
	defer cancel()
	res, err := rotateScript.Run(ctx, s.c, []string{s.sessionKey(id), s.usedKey(id)},
		r.Presented, r.Next, ms(r.Now), r.Grace.Milliseconds(), auth.UsedHistory).Slice()
	if err != nil {
		return auth.Session{}, auth.RotateNotFound, fail("rotate", err)
	}
	if len(res) == 0 {
		return auth.Session{}, auth.RotateNotFound, fail("rotate", errors.New("empty script reply"))
	}
	code, _ := res[0].(int64)
	var st auth.RotateStatus
	switch code {
	case 0:
		return auth.Session{}, auth.RotateNotFound, nil
	case 1:
		st = auth.Rotated
	case 2:
		st = auth.RotatedGrace
	case 3:
		st = auth.RotateReused
	case 4:
		return auth.Session{}, auth.RotateMismatch, nil
	default:
		return auth.Session{}, auth.RotateNotFound, fail("rotate", fmt.Errorf("unexpected script status %d", code))
	}
	if len(res) < 2 {
		return auth.Session{}, auth.RotateNotFound, fail("rotate", errors.New("short script reply"))
	}
	pairs, _ := res[1].([]any)
	f := make(map[string]string, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		k, _ := pairs[i].(string)
		v, _ := pairs[i+1].(string)
		f[k] = v
	}
	sess, err := parse(id, f)
	if err != nil {
		return auth.Session{}, auth.RotateNotFound, fail("rotate", err)
	}
	return sess, st, nil
}

// Delete implements [auth.SessionStore]. The user index keeps the id until
// DeleteUser or its expiry; a stale entry is harmless.
func (s *Store) Delete(ctx context.Context, id string) error {
	if !auth.ValidSessionID(id) {
		return nil
	}
	ctx, cancel, err := s.begin(ctx, "delete")
	if err != nil {
		return err
	}
	defer cancel()
	// Two keys of one slot: a single DEL is fine in a cluster.
	if err := s.c.Del(ctx, s.sessionKey(id), s.usedKey(id)).Err(); err != nil {
		return fail("delete", err)
	}
	return nil
}

// DeleteUser implements [auth.SessionStore].
func (s *Store) DeleteUser(ctx context.Context, userID string) (int, error) {
	ctx, cancel, err := s.begin(ctx, "delete user")
	if err != nil {
		return 0, err
	}
	defer cancel()
	idx := s.userKey(userID)
	ids, err := s.c.SMembers(ctx, idx).Result()
	if err != nil {
		return 0, fail("delete user", err)
	}
	var dels []*redis.IntCmd
	_, err = s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, id := range ids {
			if auth.ValidSessionID(id) {
				dels = append(dels, p.Del(ctx, s.sessionKey(id)))
				p.Del(ctx, s.usedKey(id))
			}
		}
		// Only the ids read: one added since (a login racing this call)
		// stays for the next DeleteUser.
		if len(ids) > 0 {
			p.SRem(ctx, idx, toAny(ids)...)
		}
		return nil
	})
	if err != nil {
		return 0, fail("delete user", err)
	}
	n := 0
	for _, d := range dels {
		n += int(d.Val())
	}
	return n, nil
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, v := range ss {
		out[i] = v
	}
	return out
}

// Ping checks that the server answers (for readiness checks), within
// Options.Timeout. It is not needed as a warm-up: with a cluster client the
// store loads go-redis's command table itself, off the request path (see
// the package documentation).
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel, err := s.begin(ctx, "ping")
	if err != nil {
		return err
	}
	defer cancel()
	if err := s.c.Ping(ctx).Err(); err != nil {
		return fail("ping", err)
	}
	return nil
}
