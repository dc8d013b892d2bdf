package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chainsync/middleware/auth"
)

// NewSessionID returns a random session id of the shape auth generates.
func NewSessionID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hash returns a random 32-byte stand-in for a refresh-token hash; label
// only documents the call site.
func hash(label string) []byte {
	_ = label
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

// newSession returns a live session for user created at now.
func newSession(user string, now time.Time) *auth.Session {
	return &auth.Session{
		ID: NewSessionID(), UserID: user, Role: "cashier", Permissions: []string{"tx:create", "tx:read"},
		Extra:     []byte(`{"store":"42"}`),
		CreatedAt: now, ExpiresAt: now.Add(7 * 24 * time.Hour), LastUsed: now,
		Current: hash("h0"),
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return c
}

func sameSession(t *testing.T, got, want auth.Session) {
	t.Helper()
	if got.ID != want.ID || got.UserID != want.UserID || got.Role != want.Role ||
		!slices.Equal(got.Permissions, want.Permissions) || !bytes.Equal(got.Extra, want.Extra) ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.ExpiresAt.Equal(want.ExpiresAt) ||
		got.IdleTimeout != want.IdleTimeout || !got.LastUsed.Equal(want.LastUsed) ||
		!bytes.Equal(got.Current, want.Current) || !bytes.Equal(got.Previous, want.Previous) ||
		!got.RotatedAt.Equal(want.RotatedAt) {
		t.Fatalf("session mismatch:\n got  %+v\n want %+v", got, want)
	}
}

// live asks Get, and Check when s implements [auth.SessionChecker], and
// requires them to agree.
func live(t *testing.T, s auth.SessionStore, id string, now time.Time) (auth.Session, bool) {
	t.Helper()
	got, ok, err := s.Get(ctx(t), id, now)
	if err != nil {
		t.Fatalf("Get = %v", err)
	}
	if !ok && got.ID != "" {
		t.Fatalf("Get returned a session with ok=false: %+v", got)
	}
	if sc, isChecker := s.(auth.SessionChecker); isChecker {
		uid, cok, err := sc.Check(ctx(t), id, now)
		if err != nil {
			t.Fatalf("Check = %v", err)
		}
		if cok != ok || uid != got.UserID {
			t.Fatalf("Check = %q, %v; Get said %q, %v", uid, cok, got.UserID, ok)
		}
	}
	return got, ok
}

// Run runs the conformance suite against stores made by newStore (and the
// optional [auth.SessionChecker] when the store implements it). Each
// subtest gets its own store (newStore may return views of one backend,
// such as key prefixes of one Redis, as long as they do not share
// sessions).
func Run(t *testing.T, newStore func(t *testing.T) auth.SessionStore) {
	base := func() time.Time { return time.Now().Truncate(time.Millisecond) }

	t.Run("CreateGet", func(t *testing.T) {
		s, now := newStore(t), base()
		in := newSession("u1", now)
		in.IdleTimeout = time.Hour
		if err := s.Create(ctx(t), in); err != nil {
			t.Fatal(err)
		}
		want := *in
		want.Permissions = slices.Clone(in.Permissions)
		in.Permissions[0] = "changed" // the store must keep its own copy
		in.Current[0] ^= 0xff
		want.Current = bytes.Clone(in.Current)
		want.Current[0] ^= 0xff
		got, ok := live(t, s, in.ID, now)
		if !ok {
			t.Fatal("Get: not found")
		}
		sameSession(t, got, want)
	})

	t.Run("GetMissing", func(t *testing.T) {
		s := newStore(t)
		if got, ok := live(t, s, NewSessionID(), base()); ok || got.ID != "" {
			t.Fatalf("Get(missing) = %+v, %v; want zero, false", got, ok)
		}
	})

	t.Run("Expiry", func(t *testing.T) {
		tests := []struct {
			name  string
			idle  time.Duration
			after time.Duration
			live  bool
		}{
			{"before absolute expiry", 0, 7*24*time.Hour - time.Millisecond, true},
			{"at absolute expiry", 0, 7 * 24 * time.Hour, false},
			{"within idle timeout", time.Hour, time.Hour - time.Millisecond, true},
			{"idle timeout passed", time.Hour, time.Hour, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s, now := newStore(t), base()
				in := newSession("u1", now)
				in.IdleTimeout = tt.idle
				if err := s.Create(ctx(t), in); err != nil {
					t.Fatal(err)
				}
				later := now.Add(tt.after)
				if _, ok := live(t, s, in.ID, later); ok != tt.live {
					t.Fatalf("Get after %s = %v; want %v", tt.after, ok, tt.live)
				}
				_, st, err := s.Rotate(ctx(t), in.ID, auth.Rotation{Presented: in.Current, Next: hash("n"), Now: later})
				want := auth.Rotated
				if !tt.live {
					want = auth.RotateNotFound
				}
				if err != nil || st != want {
					t.Fatalf("Rotate after %s = %v, %v; want %v", tt.after, st, err, want)
				}
			})
		}
	})

	t.Run("RotateThenReuse", func(t *testing.T) {
		s, now := newStore(t), base()
		in := newSession("u1", now)
		if err := s.Create(ctx(t), in); err != nil {
			t.Fatal(err)
		}
		h1 := hash("h1")
		later := now.Add(time.Minute)
		got, st, err := s.Rotate(ctx(t), in.ID, auth.Rotation{Presented: in.Current, Next: h1, Now: later})
		if err != nil || st != auth.Rotated {
			t.Fatalf("Rotate = %v, %v; want Rotated", st, err)
		}
		want := *in
		want.Current, want.Previous, want.RotatedAt, want.LastUsed = h1, in.Current, later, later
		sameSession(t, got, want)
		stored, ok, err := s.Get(ctx(t), in.ID, later)
		if err != nil || !ok {
			t.Fatalf("Get = %v, %v", ok, err)
		}
		sameSession(t, stored, want)

		// The first token again: reuse, and the session is gone.
		_, st, err = s.Rotate(ctx(t), in.ID, auth.Rotation{Presented: in.Current, Next: hash("h2"), Now: later})
		if err != nil || st != auth.RotateReused {
			t.Fatalf("second Rotate with the same token = %v, %v; want RotateReused", st, err)
		}
		if _, ok := live(t, s, in.ID, later); ok {
			t.Fatal("Get after reuse: session still live; want revoked")
		}
		if _, st, err := s.Rotate(ctx(t), in.ID, auth.Rotation{Presented: h1, Next: hash("h3"), Now: later}); err != nil || st != auth.RotateNotFound {
			t.Fatalf("successor after reuse = %v, %v; want RotateNotFound", st, err)
		}
	})

	t.Run("Mismatch", func(t *testing.T) {
		s, now := newStore(t), base()
		in := newSession("u1", now)
		if err := s.Create(ctx(t), in); err != nil {
			t.Fatal(err)
		}
		if _, st, err := s.Rotate(ctx(t), in.ID, auth.Rotation{Presented: hash("forged"), Next: hash("n"), Now: now}); err != nil || st != auth.RotateMismatch {
			t.Fatalf("Rotate(forged) = %v, %v; want RotateMismatch", st, err)
		}
		if _, st, err := s.Rotate(ctx(t), in.ID, auth.Rotation{Presented: in.Current, Next: hash("n"), Now: now}); err != nil || st != auth.Rotated {
			t.Fatalf("Rotate(current) after a forged one = %v, %v; want Rotated", st, err)
		}
	})

	t.Run("RotateMissing", func(t *testing.T) {
		s := newStore(t)
		got, st, err := s.Rotate(ctx(t), NewSessionID(), auth.Rotation{Presented: hash("a"), Next: hash("b"), Now: base()})
		if err != nil || st != auth.RotateNotFound || got.ID != "" {
			t.Fatalf("Rotate(missing) = %+v, %v, %v", got, st, err)
		}
	})

	t.Run("Grace", func(t *testing.T) {
		const grace = 10 * time.Second
		tests := []struct {
			name  string
			after time.Duration
			want  auth.RotateStatus
		}{
			{"within window", grace - time.Millisecond, auth.RotatedGrace},
			{"window passed", grace, auth.RotateReused},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s, now := newStore(t), base()
				in := newSession("u1", now)
				if err := s.Create(ctx(t), in); err != nil {
					t.Fatal(err)
				}
				h1, h2 := hash("h1"), hash("h2")
				if _, st, err := s.Rotate(ctx(t), in.ID, auth.Rotation{Presented: in.Current, Next: h1, Now: now, Grace: grace}); err != nil || st != auth.Rotated {
					t.Fatalf("Rotate = %v, %v", st, err)
				}
				at := now.Add(tt.after)
				got, st, err := s.Rotate(ctx(t), in.ID, auth.Rotation{Presented: in.Current, Next: h2, Now: at, Grace: grace})
				if err != nil || st != tt.want {
					t.Fatalf("previous token after %s = %v, %v; want %v", tt.after, st, err, tt.want)
				}
				if tt.want != auth.RotatedGrace {
					return
				}
				if !bytes.Equal(got.Current, h2) || got.Previous != nil || !got.RotatedAt.Equal(at) {
					t.Fatalf("after grace rotation: %+v", got)
				}
				// Once only: the previous token a third time is reuse.
				if _, st, err := s.Rotate(ctx(t), in.ID, auth.Rotation{Presented: in.Current, Next: hash("h3"), Now: at, Grace: grace}); err != nil || st != auth.RotateReused {
					t.Fatalf("previous token a third time = %v, %v; want RotateReused", st, err)
				}
			})
		}
		t.Run("unused successor revoked", func(t *testing.T) {
			s, now := newStore(t), base()
			in := newSession("u1", now)
			if err := s.Create(ctx(t), in); err != nil {
				t.Fatal(err)
			}
			h1 := hash("h1")
			if _, st, err := s.Rotate(ctx(t), in.ID, auth.Rotation{Presented: in.Current, Next: h1, Now: now, Grace: grace}); err != nil || st != auth.Rotated {
				t.Fatalf("Rotate = %v, %v", st, err)
			}
			if _, st, err := s.Rotate(ctx(t), in.ID, auth.Rotation{Presented: in.Current, Next: hash("h2"), Now: now, Grace: grace}); err != nil || st != auth.RotatedGrace {
				t.Fatalf("grace Rotate = %v, %v", st, err)
			}
			if _, st, err := s.Rotate(ctx(t), in.ID, auth.Rotation{Presented: h1, Next: hash("h3"), Now: now, Grace: grace}); err != nil || st != auth.RotateReused {
				t.Fatalf("revoked successor = %v, %v; want RotateReused", st, err)
			}
		})
		t.Run("no grace", func(t *testing.T) {
			s, now := newStore(t), base()
			in := newSession("u1", now)
			if err := s.Create(ctx(t), in); err != nil {
				t.Fatal(err)
			}
			if _, st, err := s.Rotate(ctx(t), in.ID, auth.Rotation{Presented: in.Current, Next: hash("h1"), Now: now}); err != nil || st != auth.Rotated {
				t.Fatalf("Rotate = %v, %v", st, err)
			}
			if _, st, err := s.Rotate(ctx(t), in.ID, auth.Rotation{Presented: in.Current, Next: hash("h2"), Now: now}); err != nil || st != auth.RotateReused {
				t.Fatalf("previous token without grace = %v, %v; want RotateReused", st, err)
			}
		})
	})

	t.Run("UsedHistory", func(t *testing.T) {
		// rotateAll creates a session and rotates it UsedHistory times;
		// it returns the session and every hash it used, oldest first.
		rotateAll := func(t *testing.T, s auth.SessionStore, now time.Time) (*auth.Session, [][]byte) {
			in := newSession("u1", now)
			if err := s.Create(ctx(t), in); err != nil {
				t.Fatal(err)
			}
			hashes := [][]byte{in.Current}
			for i := 0; i < auth.UsedHistory; i++ {
				next := hash("n")
				if _, st, err := s.Rotate(ctx(t), in.ID, auth.Rotation{Presented: hashes[len(hashes)-1], Next: next, Now: now}); err != nil || st != auth.Rotated {
					t.Fatalf("rotation %d = %v, %v", i, st, err)
				}
				hashes = append(hashes, next)
			}
			return in, hashes
		}
		t.Run("oldest used token is still reuse", func(t *testing.T) {
			s, now := newStore(t), base()
			in, hashes := rotateAll(t, s, now)
			if _, st, err := s.Rotate(ctx(t), in.ID, auth.Rotation{Presented: hashes[0], Next: hash("x"), Now: now}); err != nil || st != auth.RotateReused {
				t.Fatalf("first token after %d rotations = %v, %v; want RotateReused", auth.UsedHistory, st, err)
			}
			if _, ok := live(t, s, in.ID, now); ok {
				t.Fatal("session live after reuse")
			}
		})
		t.Run("rotations used up end the session", func(t *testing.T) {
			s, now := newStore(t), base()
			in, hashes := rotateAll(t, s, now)
			if _, st, err := s.Rotate(ctx(t), in.ID, auth.Rotation{Presented: hashes[len(hashes)-1], Next: hash("x"), Now: now}); err != nil || st != auth.RotateNotFound {
				t.Fatalf("rotation %d = %v, %v; want RotateNotFound (session ended)", auth.UsedHistory+1, st, err)
			}
			if _, ok := live(t, s, in.ID, now); ok {
				t.Fatal("session live after its rotations were used up")
			}
		})
	})

	t.Run("ConcurrentRotate", func(t *testing.T) {
		s, now := newStore(t), base()
		in := newSession("u1", now)
		if err := s.Create(ctx(t), in); err != nil {
			t.Fatal(err)
		}
		const n = 100
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			counts = map[auth.RotateStatus]int{}
			errs   []error
		)
		c := ctx(t)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, st, err := s.Rotate(c, in.ID, auth.Rotation{Presented: in.Current, Next: hash("n"), Now: now})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
				}
				counts[st]++
			}()
		}
		wg.Wait()
		if len(errs) > 0 {
			t.Fatalf("errors: %v", errs)
		}
		if counts[auth.Rotated] != 1 || counts[auth.RotateReused] != 1 || counts[auth.RotateNotFound] != n-2 {
			t.Fatalf("outcomes %v; want exactly 1 Rotated, 1 RotateReused, %d RotateNotFound", counts, n-2)
		}
		if _, ok, err := s.Get(ctx(t), in.ID, now); err != nil || ok {
			t.Fatalf("Get after the race = %v, %v; want revoked", ok, err)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		s, now := newStore(t), base()
		in := newSession("u1", now)
		if err := s.Create(ctx(t), in); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx(t), in.ID); err != nil {
			t.Fatal(err)
		}
		if _, ok := live(t, s, in.ID, now); ok {
			t.Fatal("Get after Delete: still live")
		}
		if _, st, err := s.Rotate(ctx(t), in.ID, auth.Rotation{Presented: in.Current, Next: hash("n"), Now: now}); err != nil || st != auth.RotateNotFound {
			t.Fatalf("Rotate after Delete = %v, %v", st, err)
		}
		if err := s.Delete(ctx(t), in.ID); err != nil {
			t.Fatalf("Delete(missing) = %v; want nil", err)
		}
	})

	t.Run("DeleteUser", func(t *testing.T) {
		s, now := newStore(t), base()
		var alice []*auth.Session
		for i := 0; i < 3; i++ {
			in := newSession("alice", now)
			if err := s.Create(ctx(t), in); err != nil {
				t.Fatal(err)
			}
			alice = append(alice, in)
		}
		bob := newSession("bob", now)
		if err := s.Create(ctx(t), bob); err != nil {
			t.Fatal(err)
		}
		n, err := s.DeleteUser(ctx(t), "alice")
		if err != nil || n != 3 {
			t.Fatalf("DeleteUser = %d, %v; want 3", n, err)
		}
		for _, in := range alice {
			if _, ok := live(t, s, in.ID, now); ok {
				t.Fatal("alice's session survived DeleteUser")
			}
		}
		if _, ok := live(t, s, bob.ID, now); !ok {
			t.Fatal("bob's session was deleted with alice's")
		}
		if n, err := s.DeleteUser(ctx(t), "nobody"); err != nil || n != 0 {
			t.Fatalf("DeleteUser(nobody) = %d, %v", n, err)
		}
	})

	t.Run("CreateDuringDeleteUser", func(t *testing.T) {
		// A login racing a RevokeUser may survive it (it counts as after
		// it), but it must stay reachable: the next DeleteUser of the user
		// must end it. A store that drops index entries it did not delete
		// lets such a session escape every later logout-everywhere.
		s, now := newStore(t), base()
		const rounds = 30
		var escaped []string
		for i := 0; i < rounds; i++ {
			user := "racer-" + NewSessionID()
			old := newSession(user, now)
			if err := s.Create(ctx(t), old); err != nil {
				t.Fatal(err)
			}
			fresh := newSession(user, now)
			var wg sync.WaitGroup
			var createErr, deleteErr error
			wg.Add(2)
			go func() { defer wg.Done(); createErr = s.Create(ctx(t), fresh) }()
			go func() { defer wg.Done(); _, deleteErr = s.DeleteUser(ctx(t), user) }()
			wg.Wait()
			if createErr != nil || deleteErr != nil {
				t.Fatalf("Create = %v, DeleteUser = %v", createErr, deleteErr)
			}
			if _, ok := live(t, s, old.ID, now); ok {
				t.Fatal("a session created before DeleteUser survived it")
			}
			if _, err := s.DeleteUser(ctx(t), user); err != nil {
				t.Fatal(err)
			}
			if _, ok := live(t, s, fresh.ID, now); ok {
				escaped = append(escaped, fresh.ID)
			}
		}
		if len(escaped) > 0 {
			t.Fatalf("%d of %d sessions created during a DeleteUser escaped the next DeleteUser", len(escaped), rounds)
		}
	})

	t.Run("CancelledContext", func(t *testing.T) {
		s, now := newStore(t), base()
		in := newSession("u1", now)
		if err := s.Create(ctx(t), in); err != nil {
			t.Fatal(err)
		}
		checkAll(t, s, in, 0, func() (context.Context, context.CancelFunc) {
			c, cancel := context.WithCancel(context.Background())
			cancel()
			return c, cancel
		})
	})
}

// checkAll calls every method, each with a context from newCtx, and
// requires ErrStoreUnavailable.
func checkAll(t *testing.T, s auth.SessionStore, in *auth.Session, timeout time.Duration, newCtx func() (context.Context, context.CancelFunc)) {
	t.Helper()
	now := time.Now()
	calls := []struct {
		name string
		call func(c context.Context) error
	}{
		{"Create", func(c context.Context) error { return s.Create(c, newSession("u2", now)) }},
		{"Get", func(c context.Context) error { _, _, err := s.Get(c, in.ID, now); return err }},
		{"Rotate", func(c context.Context) error {
			_, _, err := s.Rotate(c, in.ID, auth.Rotation{Presented: in.Current, Next: hash("n"), Now: now})
			return err
		}},
		{"Delete", func(c context.Context) error { return s.Delete(c, in.ID) }},
		{"DeleteUser", func(c context.Context) error { _, err := s.DeleteUser(c, in.UserID); return err }},
	}
	if sc, ok := s.(auth.SessionChecker); ok {
		calls = append(calls, struct {
			name string
			call func(c context.Context) error
		}{"Check", func(c context.Context) error { _, _, err := sc.Check(c, in.ID, now); return err }})
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			c, cancel := newCtx()
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- tc.call(c) }()
			select {
			case err := <-done:
				if !errors.Is(err, auth.ErrStoreUnavailable) {
					t.Fatalf("%s = %v; want an error wrapping auth.ErrStoreUnavailable", tc.name, err)
				}
			case <-time.After(timeout + hangSlack):
				t.Fatalf("%s did not return within %s of its %s deadline: it ignores the context", tc.name, hangSlack, timeout)
			}
		})
	}
}

// hangSlack is how long a call may take past its context deadline before
// the suite calls it hung. It is generous (slow CI machines, the race
// detector): it detects calls that ignore their deadline (such as a client
// waiting for its own multi-second read timeout), it does not measure
// speed.
const hangSlack = 3 * time.Second

// Unavailable checks a store whose backend is down or unresponsive (a
// stopped or paused server): every call, made with a context whose
// deadline is timeout away, must fail with an error wrapping
// [auth.ErrStoreUnavailable], and return by its deadline (a few seconds of
// slack allowed) rather than hang. in is a session
// created while the backend was up (or any session).
func Unavailable(t *testing.T, s auth.SessionStore, in *auth.Session, timeout time.Duration) {
	t.Helper()
	checkAll(t, s, in, timeout, func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), timeout)
	})
}

// NewSession returns a fresh live session for userID created at now, for
// use with [Unavailable].
func NewSession(userID string, now time.Time) *auth.Session {
	return newSession(userID, now.Truncate(time.Millisecond))
}
