package ratelimit

import (
	"context"
	"errors"
	"hash/maphash"
	"math/bits"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// MemoryOptions configure a [MemoryStore]. The zero value is a store of up
// to [DefaultMaxKeys] keys on the system clock, swept every minute.
type MemoryOptions struct {
	// MaxKeys caps the number of (policy, key) states kept. When a shard is
	// full, expired state is dropped first (which loses nothing: expired
	// state is the same as none); if none is expired, the sampled state
	// closest to expiry is evicted and counted in [MemoryStats].Evicted
	// (that key starts afresh, with its whole burst). Default
	// [DefaultMaxKeys].
	MaxKeys int
	// Shards is the number of independently locked shards, rounded up to a
	// power of two. Default: 256, fewer for a small MaxKeys.
	Shards int
	// Now is the clock. Default time.Now, whose monotonic reading makes
	// the store immune to steps of the wall clock. Tests inject a fake one
	// so that they never sleep.
	Now func() time.Time
	// SweepInterval is how often a background goroutine drops expired
	// state. Default 1 minute. The sweeper never waits for a shard that a
	// request holds (it comes back to it on the next round) and holds one
	// shard at a time, so requests are not blocked behind it.
	SweepInterval time.Duration
	// DisableSweeper runs no background goroutine: expired state is then
	// only dropped when a full shard needs room, or by calling
	// [MemoryStore.Sweep]. Default false.
	DisableSweeper bool
}

// maxNames bounds the interned policy names of a shard (policies are few;
// the bound only matters to a caller that makes up names per request).
const maxNames = 256

// DefaultMaxKeys is the default cap of a MemoryStore: about 1M states, some
// 60-100 MB at most.
const DefaultMaxKeys = 1 << 20

// MemoryStore is the in-memory [Store]: GCRA state in sharded maps, each
// with its own lock (no global lock on the hot path), bounded by
// MaxKeys. It suits one instance; a fleet of instances needs a shared store
// such as ratelimit/redisstore. It is safe for concurrent use. Call Close
// to stop its sweeper. Make one with [NewMemoryStore]; the zero value is
// not usable.
type MemoryStore struct {
	seed     maphash.Seed
	shards   []memShard
	mask     uint64
	perShard int
	now      func() time.Time
	epoch    time.Time // s.now() at construction: state is kept in Resolution units since

	evicted atomic.Uint64
	swept   atomic.Uint64
	closed  atomic.Bool

	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

type memKey struct {
	policy string
	key    string
}

type memShard struct {
	mu    sync.Mutex
	m     map[memKey]int64  // theoretical arrival time, Resolution units since epoch
	names map[string]string // interned policy names: one copy per shard, not per key
	_     [40]byte          // one shard per cache line
}

var _ MultiStore = (*MemoryStore)(nil)

// NewMemoryStore returns a memory store configured by o.
func NewMemoryStore(o MemoryOptions) (*MemoryStore, error) {
	if o.MaxKeys < 0 || o.Shards < 0 || o.SweepInterval < 0 {
		return nil, errors.New("ratelimit: MemoryOptions: MaxKeys, Shards and SweepInterval must not be negative")
	}
	if o.MaxKeys == 0 {
		o.MaxKeys = DefaultMaxKeys
	}
	if o.Shards == 0 {
		o.Shards = 256
		for o.Shards > 1 && o.MaxKeys/o.Shards < 64 {
			o.Shards /= 2
		}
	}
	if o.Shards > o.MaxKeys {
		o.Shards = o.MaxKeys
	}
	n := 1 << bits.Len(uint(o.Shards-1)) // next power of two
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SweepInterval == 0 {
		o.SweepInterval = time.Minute
	}
	s := &MemoryStore{
		seed:     maphash.MakeSeed(),
		shards:   make([]memShard, n),
		mask:     uint64(n - 1),
		perShard: max(1, o.MaxKeys/n),
		now:      o.Now,
		epoch:    o.Now(),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	for i := range s.shards {
		s.shards[i].m = make(map[memKey]int64)
		s.shards[i].names = make(map[string]string)
	}
	if o.DisableSweeper {
		close(s.done)
	} else {
		go s.sweeper(o.SweepInterval)
	}
	return s, nil
}

// MustMemoryStore is like [NewMemoryStore] but panics on error.
func MustMemoryStore(o MemoryOptions) *MemoryStore {
	s, err := NewMemoryStore(o)
	if err != nil {
		panic(err)
	}
	return s
}

// Take implements [Store].
func (s *MemoryStore) Take(ctx context.Context, key string, p Policy, cost int64) (Result, error) {
	if err := s.check(ctx, p, cost); err != nil {
		return Result{}, err
	}
	now := s.clock()
	sh := &s.shards[maphash.String(s.seed, key)&s.mask]
	sh.mu.Lock()
	r := s.takeLocked(sh, now, key, p, cost)
	sh.mu.Unlock()
	return r, nil
}

// TakeAll implements [MultiStore]: the policies are decided under one
// shard lock, so they see one instant.
func (s *MemoryStore) TakeAll(ctx context.Context, key string, policies []Policy, cost int64, dst []Result) ([]Result, error) {
	for _, p := range policies {
		if err := s.check(ctx, p, cost); err != nil {
			return dst, err
		}
	}
	now := s.clock()
	sh := &s.shards[maphash.String(s.seed, key)&s.mask]
	sh.mu.Lock()
	for _, p := range policies {
		r := s.takeLocked(sh, now, key, p, cost)
		dst = append(dst, r)
		if !r.Allowed {
			break
		}
	}
	sh.mu.Unlock()
	return dst, nil
}

// clock is the time in Resolution units since the store was made. With the
// default clock it runs on Go's monotonic clock, so a step of the wall
// clock (an NTP correction, a VM resumed) neither blocks clients for the
// length of the step nor lets them through early.
func (s *MemoryStore) clock() int64 {
	return int64(s.now().Sub(s.epoch) / Resolution)
}

func (s *MemoryStore) check(ctx context.Context, p Policy, cost int64) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if cost < 0 {
		return ErrInvalidCost
	}
	if p.Limit < 1 || p.Period < MinPeriod || p.Period > MaxPeriod || p.Burst < 0 || p.Name == "" {
		return p.Validate()
	}
	return nil
}

func (s *MemoryStore) takeLocked(sh *memShard, now int64, key string, p Policy, cost int64) Result {
	g := p.params(Resolution)
	k := memKey{p.Name, key}
	tat, ok := sh.m[k]
	r, next, update := Decide(now, tat, ok, g.t, g.tau, cost, p.Limit, Resolution)
	if !update {
		return r
	}
	if !ok {
		if len(sh.m) >= s.perShard {
			s.makeRoom(sh, now)
		}
		// Own copies: the caller's strings may be slices of a larger buffer
		// (a request header) that must not be kept alive.
		name, ok := sh.names[p.Name]
		if !ok {
			if len(sh.names) >= maxNames {
				clear(sh.names) // entries keep their copies; only sharing is lost
			}
			name = strings.Clone(p.Name)
			sh.names[name] = name
		}
		k = memKey{name, strings.Clone(key)}
	}
	sh.m[k] = next
	return r
}

// makeRoom frees at least one slot in a full shard: expired state first,
// else the sampled state closest to expiry.
func (s *MemoryStore) makeRoom(sh *memShard, now int64) {
	const sample = 16
	var victim memKey
	victimTAT := int64(0)
	found, seen, freed := false, 0, 0
	for k, tat := range sh.m { // map iteration starts at a random place
		if tat <= now {
			delete(sh.m, k)
			freed++
		} else if !found || tat < victimTAT {
			victim, victimTAT, found = k, tat, true
		}
		seen++
		if seen >= sample {
			break
		}
	}
	if freed > 0 {
		s.swept.Add(uint64(freed))
		return
	}
	if found {
		delete(sh.m, victim)
		s.evicted.Add(1)
	}
}

// Sweep drops all expired state now and returns how many states it
// dropped. It locks one shard at a time. The background sweeper calls it
// periodically (skipping busy shards); tests and callers with
// DisableSweeper may call it directly.
func (s *MemoryStore) Sweep() int {
	return s.sweep(false)
}

func (s *MemoryStore) sweep(skipBusy bool) int {
	total := 0
	for i := range s.shards {
		sh := &s.shards[i]
		if skipBusy {
			if !sh.mu.TryLock() {
				continue
			}
		} else {
			sh.mu.Lock()
		}
		now := s.clock()
		n := 0
		for k, tat := range sh.m {
			if tat <= now {
				delete(sh.m, k)
				n++
			}
		}
		// Counted under the lock, so that Stats, which reads a shard under
		// its lock and the counters after, never misses a dropped state.
		s.swept.Add(uint64(n))
		sh.mu.Unlock()
		total += n
	}
	return total
}

func (s *MemoryStore) sweeper(every time.Duration) {
	defer close(s.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.sweep(true)
		}
	}
}

// Close stops the sweeper and makes later calls fail with ErrClosed. It is
// safe to call more than once.
func (s *MemoryStore) Close() error {
	s.stopOnce.Do(func() {
		s.closed.Store(true)
		close(s.stop)
	})
	<-s.done
	return nil
}

// MemoryStats are counters of a [MemoryStore].
type MemoryStats struct {
	// Keys is the number of (policy, key) states held.
	Keys int
	// Evicted counts states dropped before they expired because their shard
	// was full: each such key started afresh with its whole burst.
	Evicted uint64
	// Swept counts expired states dropped (which loses nothing).
	Swept uint64
}

// Stats returns the store's counters. Keys is summed shard by shard, so it
// is approximate while requests run.
func (s *MemoryStore) Stats() MemoryStats {
	var st MemoryStats
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		st.Keys += len(sh.m)
		sh.mu.Unlock()
	}
	// Read after the shards: every state missing from Keys is in a counter.
	st.Evicted, st.Swept = s.evicted.Load(), s.swept.Load()
	return st
}
