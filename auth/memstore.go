package auth

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"hash/maphash"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMaxSessions is the default capacity of a [MemoryStore].
const DefaultMaxSessions = 100_000

// MemoryStoreOptions configure a [MemoryStore]. The zero value is ready to
// use.
type MemoryStoreOptions struct {
	// MaxSessions bounds the number of stored sessions. When full, Create
	// first sweeps expired sessions, then refuses with [ErrStoreFull]; a
	// live session is never evicted. Default [DefaultMaxSessions].
	MaxSessions int
}

// MemoryStore is the embedded, in-process [SessionStore]: bounded, for a
// single instance (sessions are lost on restart and not shared between
// instances; use auth/redisstore for fleets). Expired sessions are swept
// incrementally, one shard at a time, by the calls themselves: there is no
// goroutine to stop and no sweep that holds every lock. Besides its
// fields, each session keeps the hashes of the refresh tokens it used (for
// reuse detection; at most [UsedHistory], about 56 bytes each), so size
// MaxSessions with that in mind.
//
// A MemoryStore is safe for concurrent use.
type MemoryStore struct {
	max       int64
	count     atomic.Int64
	refused   atomic.Uint64
	seed      maphash.Seed
	cursor    atomic.Uint32
	lastFull  atomic.Int64 // unix nanoseconds of the last full sweep
	shards    [memShards]memShard
	usersMu   sync.Mutex
	usersByID map[string]map[string]struct{}
}

const (
	memShards     = 32
	sweepInterval = time.Second
)

type memShard struct {
	mu        sync.Mutex
	sessions  map[string]*memSession
	lastSweep time.Time
}

type memSession struct {
	s    Session
	used [][]byte // at most UsedHistory, oldest first
}

var (
	_ SessionStore   = (*MemoryStore)(nil)
	_ SessionChecker = (*MemoryStore)(nil)
)

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore(opts MemoryStoreOptions) (*MemoryStore, error) {
	if opts.MaxSessions < 0 {
		return nil, errors.New("auth: MemoryStoreOptions.MaxSessions must not be negative")
	}
	if opts.MaxSessions == 0 {
		opts.MaxSessions = DefaultMaxSessions
	}
	m := &MemoryStore{max: int64(opts.MaxSessions), seed: maphash.MakeSeed(), usersByID: map[string]map[string]struct{}{}}
	for i := range m.shards {
		m.shards[i].sessions = map[string]*memSession{}
	}
	return m, nil
}

// Len returns the number of stored sessions, expired ones not yet swept
// included.
func (m *MemoryStore) Len() int { return int(m.count.Load()) }

// Refused returns how many sessions Create refused with [ErrStoreFull]
// since the store was made, for metrics and alerts.
func (m *MemoryStore) Refused() uint64 { return m.refused.Load() }

func (m *MemoryStore) shard(id string) *memShard {
	return &m.shards[maphash.String(m.seed, id)%memShards]
}

func cloneSession(s *Session) Session {
	c := *s
	c.Permissions = slices.Clone(s.Permissions)
	c.Extra = bytes.Clone(s.Extra)
	c.Current = bytes.Clone(s.Current)
	c.Previous = bytes.Clone(s.Previous)
	return c
}

// Create implements [SessionStore].
func (m *MemoryStore) Create(ctx context.Context, s *Session) error {
	if err := ctx.Err(); err != nil {
		return errors.Join(ErrStoreUnavailable, err)
	}
	now := s.LastUsed
	m.sweepOne(now)
	if !m.reserve() {
		m.sweepAll(now)
		if !m.reserve() {
			m.refused.Add(1)
			return ErrStoreFull
		}
	}
	sh := m.shard(s.ID)
	sh.mu.Lock()
	if _, dup := sh.sessions[s.ID]; dup {
		sh.mu.Unlock()
		m.count.Add(-1)
		return errors.New("auth: duplicate session id")
	}
	sh.sessions[s.ID] = &memSession{s: cloneSession(s)}
	sh.mu.Unlock()
	m.usersMu.Lock()
	set := m.usersByID[s.UserID]
	if set == nil {
		set = map[string]struct{}{}
		m.usersByID[s.UserID] = set
	}
	set[s.ID] = struct{}{}
	m.usersMu.Unlock()
	return nil
}

func (m *MemoryStore) reserve() bool {
	for {
		n := m.count.Load()
		if n >= m.max {
			return false
		}
		if m.count.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// sweepOne sweeps the next shard in turn if it was not swept recently.
func (m *MemoryStore) sweepOne(now time.Time) {
	sh := &m.shards[m.cursor.Add(1)%memShards]
	sh.mu.Lock()
	var removed []memSession
	if now.Sub(sh.lastSweep) >= sweepInterval || now.Before(sh.lastSweep) {
		removed = sh.sweepLocked(now)
	}
	sh.mu.Unlock()
	m.forget(removed)
}

// sweepAll sweeps every shard, one lock at a time, at most once per
// sweepInterval.
func (m *MemoryStore) sweepAll(now time.Time) {
	last := m.lastFull.Load()
	if n := now.UnixNano(); n-last < int64(sweepInterval) && n >= last || !m.lastFull.CompareAndSwap(last, n) {
		return
	}
	for i := range m.shards {
		sh := &m.shards[i]
		sh.mu.Lock()
		removed := sh.sweepLocked(now)
		sh.mu.Unlock()
		m.forget(removed)
	}
}

func (sh *memShard) sweepLocked(now time.Time) []memSession {
	sh.lastSweep = now
	var removed []memSession
	for id, e := range sh.sessions {
		if !e.s.Live(now) {
			delete(sh.sessions, id)
			removed = append(removed, *e)
		}
	}
	return removed
}

// dropUnlock deletes session e (id) from sh, whose lock the caller holds,
// releases the lock and forgets the session.
func (m *MemoryStore) dropUnlock(sh *memShard, id string, e *memSession) {
	delete(sh.sessions, id)
	sh.mu.Unlock()
	m.forget([]memSession{*e})
}

// forget drops removed sessions from the count and the user index.
func (m *MemoryStore) forget(removed []memSession) {
	if len(removed) == 0 {
		return
	}
	m.count.Add(-int64(len(removed)))
	m.usersMu.Lock()
	for _, e := range removed {
		if set := m.usersByID[e.s.UserID]; set != nil {
			delete(set, e.s.ID)
			if len(set) == 0 {
				delete(m.usersByID, e.s.UserID)
			}
		}
	}
	m.usersMu.Unlock()
}

// Get implements [SessionStore].
func (m *MemoryStore) Get(ctx context.Context, id string, now time.Time) (Session, bool, error) {
	if err := ctx.Err(); err != nil {
		return Session{}, false, errors.Join(ErrStoreUnavailable, err)
	}
	sh := m.shard(id)
	sh.mu.Lock()
	e, ok := sh.sessions[id]
	if !ok {
		sh.mu.Unlock()
		return Session{}, false, nil
	}
	if !e.s.Live(now) {
		m.dropUnlock(sh, id, e)
		return Session{}, false, nil
	}
	s := cloneSession(&e.s)
	sh.mu.Unlock()
	return s, true, nil
}

// Check implements [SessionChecker] without copying the session.
func (m *MemoryStore) Check(ctx context.Context, id string, now time.Time) (string, bool, error) {
	if err := ctx.Err(); err != nil {
		return "", false, errors.Join(ErrStoreUnavailable, err)
	}
	sh := m.shard(id)
	sh.mu.Lock()
	e, ok := sh.sessions[id]
	live := ok && e.s.Live(now)
	var uid string
	if live {
		uid = e.s.UserID
	}
	sh.mu.Unlock()
	return uid, live, nil
}

// Rotate implements [SessionStore].
func (m *MemoryStore) Rotate(ctx context.Context, id string, r Rotation) (Session, RotateStatus, error) {
	if err := ctx.Err(); err != nil {
		return Session{}, RotateNotFound, errors.Join(ErrStoreUnavailable, err)
	}
	sh := m.shard(id)
	sh.mu.Lock()
	e, ok := sh.sessions[id]
	if !ok {
		sh.mu.Unlock()
		return Session{}, RotateNotFound, nil
	}
	if !e.s.Live(r.Now) {
		m.dropUnlock(sh, id, e)
		return Session{}, RotateNotFound, nil
	}
	s := &e.s
	current := hashEqual(r.Presented, s.Current)
	grace := !current && s.Previous != nil && hashEqual(r.Presented, s.Previous) && r.Grace > 0 && r.Now.Before(s.RotatedAt.Add(r.Grace))
	if (current || grace) && len(e.used) >= UsedHistory {
		// Rotations used up: end the session rather than forget a used
		// token.
		m.dropUnlock(sh, id, e)
		return Session{}, RotateNotFound, nil
	}
	switch {
	case current:
		e.pushUsed(r.Presented)
		s.Previous = bytes.Clone(r.Presented)
		s.Current = bytes.Clone(r.Next)
		s.RotatedAt, s.LastUsed = r.Now, r.Now
		out := cloneSession(s)
		sh.mu.Unlock()
		return out, Rotated, nil
	case grace:
		e.pushUsed(s.Current)
		s.Previous = nil
		s.Current = bytes.Clone(r.Next)
		s.RotatedAt, s.LastUsed = r.Now, r.Now
		out := cloneSession(s)
		sh.mu.Unlock()
		return out, RotatedGrace, nil
	case e.isUsed(r.Presented):
		m.dropUnlock(sh, id, e)
		return cloneSession(&e.s), RotateReused, nil
	}
	sh.mu.Unlock()
	return Session{}, RotateMismatch, nil
}

func (e *memSession) pushUsed(h []byte) { e.used = append(e.used, bytes.Clone(h)) }

func (e *memSession) isUsed(h []byte) bool {
	return slices.ContainsFunc(e.used, func(u []byte) bool { return hashEqual(u, h) })
}

// hashEqual compares token hashes in constant time.
func hashEqual(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// Delete implements [SessionStore].
func (m *MemoryStore) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return errors.Join(ErrStoreUnavailable, err)
	}
	sh := m.shard(id)
	sh.mu.Lock()
	e, ok := sh.sessions[id]
	if ok {
		delete(sh.sessions, id)
	}
	sh.mu.Unlock()
	if ok {
		m.forget([]memSession{*e})
	}
	return nil
}

// DeleteUser implements [SessionStore].
func (m *MemoryStore) DeleteUser(ctx context.Context, userID string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, errors.Join(ErrStoreUnavailable, err)
	}
	m.usersMu.Lock()
	ids := make([]string, 0, len(m.usersByID[userID]))
	for id := range m.usersByID[userID] {
		ids = append(ids, id)
	}
	m.usersMu.Unlock()
	n := 0
	for _, id := range ids {
		sh := m.shard(id)
		sh.mu.Lock()
		e, ok := sh.sessions[id]
		if ok && e.s.UserID == userID {
			delete(sh.sessions, id)
		} else {
			ok = false
		}
		sh.mu.Unlock()
		if ok {
			m.forget([]memSession{*e})
			n++
		}
	}
	return n, nil
}
