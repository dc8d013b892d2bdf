package redisstore_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chainsync/middleware/auth"
	"github.com/chainsync/middleware/auth/redisstore"
	"github.com/chainsync/middleware/auth/storetest"
	"github.com/chainsync/middleware/internal/redistest"
	"github.com/chainsync/middleware/internal/testserver"
)

func TestMain(m *testing.M) { testserver.Main(m) }

func client(t testing.TB, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

func newStoreB(b *testing.B, c redis.UniversalClient) *redisstore.Store {
	b.Helper()
	s, err := redisstore.New(c, redisstore.Options{Prefix: "bench:" + storetest.NewSessionID() + ":"})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func newStore(t *testing.T, c redis.UniversalClient, opts redisstore.Options) *redisstore.Store {
	t.Helper()
	if opts.Prefix == "" {
		opts.Prefix = "t:" + storetest.NewSessionID() + ":" // tests share one server
	}
	s, err := redisstore.New(c, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	t.Run("Server", func(t *testing.T) {
		c := client(t, redistest.Shared(t).Addr())
		storetest.Run(t, func(t *testing.T) auth.SessionStore { return newStore(t, c, redisstore.Options{}) })
	})
	for _, n := range []int{1, 3} {
		t.Run("Cluster"+string(rune('0'+n)), func(t *testing.T) {
			cl := redistest.StartCluster(t, n)
			c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cl.Addrs(), ContextTimeoutEnabled: true})
			t.Cleanup(func() { c.Close() })
			storetest.Run(t, func(t *testing.T) auth.SessionStore { return newStore(t, c, redisstore.Options{}) })
		})
	}
}

func TestNew(t *testing.T) {
	addr := redistest.Shared(t).Addr()
	plain := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { plain.Close() })
	good := client(t, addr)
	tests := []struct {
		name string
		c    redis.UniversalClient
		opts redisstore.Options
		ok   bool
	}{
		{"defaults", good, redisstore.Options{}, true},
		{"nil client", nil, redisstore.Options{}, false},
		{"client without ContextTimeoutEnabled", plain, redisstore.Options{}, false},
		{"client timeouts allowed", plain, redisstore.Options{AllowClientTimeouts: true}, true},
		{"brace in prefix", good, redisstore.Options{Prefix: "a{b"}, false},
		{"negative timeout", good, redisstore.Options{Timeout: -time.Second}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := redisstore.New(tt.c, tt.opts)
			if (err == nil) != tt.ok {
				t.Fatalf("New = %v; want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestUnavailable(t *testing.T) {
	const timeout = 300 * time.Millisecond
	t.Run("Stopped", func(t *testing.T) {
		srv := redistest.Start(t)
		s := newStore(t, client(t, srv.Addr()), redisstore.Options{})
		in := storetest.NewSession("u1", time.Now())
		if err := s.Create(context.Background(), in); err != nil {
			t.Fatal(err)
		}
		if err := srv.Stop(); err != nil {
			t.Fatal(err)
		}
		storetest.Unavailable(t, s, in, timeout)
		// Back up: the store works again without a new client.
		if err := srv.StartAgain(); err != nil {
			t.Fatal(err)
		}
		if err := s.Create(context.Background(), storetest.NewSession("u1", time.Now())); err != nil {
			t.Fatalf("Create after restart = %v", err)
		}
	})
	t.Run("Paused", func(t *testing.T) {
		srv := redistest.Start(t)
		s := newStore(t, client(t, srv.Addr()), redisstore.Options{})
		in := storetest.NewSession("u1", time.Now())
		if err := s.Create(context.Background(), in); err != nil {
			t.Fatal(err)
		}
		if err := srv.Pause(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = srv.Resume() })
		storetest.Unavailable(t, s, in, timeout)
	})
	t.Run("PausedWithoutCallerDeadline", func(t *testing.T) {
		// Options.Timeout bounds calls whose context has no deadline.
		srv := redistest.Start(t)
		s := newStore(t, client(t, srv.Addr()), redisstore.Options{Timeout: timeout})
		in := storetest.NewSession("u1", time.Now())
		if err := s.Create(context.Background(), in); err != nil {
			t.Fatal(err)
		}
		if err := srv.Pause(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = srv.Resume() })
		calls := map[string]func() error{
			"Get":   func() error { _, _, err := s.Get(context.Background(), in.ID, time.Now()); return err },
			"Check": func() error { _, _, err := s.Check(context.Background(), in.ID, time.Now()); return err },
			"Rotate": func() error {
				_, _, err := s.Rotate(context.Background(), in.ID, auth.Rotation{Presented: in.Current, Next: in.Current, Now: time.Now()})
				return err
			},
		}
		for name, call := range calls {
			done := make(chan error, 1)
			go func() { done <- call() }()
			select {
			case err := <-done:
				if !errors.Is(err, auth.ErrStoreUnavailable) {
					t.Fatalf("%s = %v; want ErrStoreUnavailable", name, err)
				}
			case <-time.After(timeout + 3*time.Second):
				t.Fatalf("%s without a caller deadline ignored Options.Timeout", name)
			}
		}
	})
	t.Run("PausedCluster", func(t *testing.T) {
		cl := redistest.StartCluster(t, 1)
		c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cl.Addrs(), ContextTimeoutEnabled: true, MaxRedirects: 1})
		t.Cleanup(func() { c.Close() })
		s := newStore(t, c, redisstore.Options{})
		// A running service has made calls before the cluster hangs.
		if err := s.Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
		in := storetest.NewSession("u1", time.Now())
		if err := s.Create(context.Background(), in); err != nil {
			t.Fatal(err)
		}
		if err := cl.Nodes[0].Pause(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cl.Nodes[0].Resume() })
		storetest.Unavailable(t, s, in, timeout)
	})
}

// TestUnavailableColdCluster: a ClusterClient loads its command table
// (COMMAND) on the first single command it sends (pipelines do not), with
// its own 5-second timeout whatever the context says. The store must still
// return every call by its deadline, without a warm-up call by the
// application, when the cluster hangs or goes down before that.
func TestUnavailableColdCluster(t *testing.T) {
	const timeout = 300 * time.Millisecond
	for _, mode := range []string{"Paused", "Stopped"} {
		t.Run(mode, func(t *testing.T) {
			cl := redistest.StartCluster(t, 1)
			c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cl.Addrs(), ContextTimeoutEnabled: true, MaxRedirects: 1})
			t.Cleanup(func() { c.Close() })
			s := newStore(t, c, redisstore.Options{Timeout: timeout})
			// A login (a pipeline) loads the cluster state but not the
			// command table.
			// The first calls may fail while the command table loads in
			// the background (a slow machine): retry, bounded.
			in := storetest.NewSession("u1", time.Now())
			eventually(t, func() error { return s.Create(context.Background(), in) })
			var err error
			if mode == "Paused" {
				err = cl.Nodes[0].Pause()
				t.Cleanup(func() { _ = cl.Nodes[0].Resume() })
			} else {
				err = cl.Nodes[0].Stop()
			}
			if err != nil {
				t.Fatal(err)
			}
			storetest.Unavailable(t, s, in, timeout)
			// Several calls at once must not queue behind one another.
			const n = 8
			done := make(chan error, n)
			for range n {
				go func() { _, _, err := s.Check(context.Background(), in.ID, time.Now()); done <- err }()
			}
			deadline := time.After(timeout + 3*time.Second)
			for range n {
				select {
				case err := <-done:
					if !errors.Is(err, auth.ErrStoreUnavailable) {
						t.Fatalf("Check = %v; want ErrStoreUnavailable", err)
					}
				case <-deadline:
					t.Fatal("concurrent calls on a cold cluster client did not return by their deadline")
				}
			}
			// Back up: the store works without a new client.
			if mode == "Paused" {
				err = cl.Nodes[0].Resume()
			} else {
				err = cl.Nodes[0].StartAgain()
			}
			if err != nil {
				t.Fatal(err)
			}
			eventually(t, func() error { return s.Create(context.Background(), storetest.NewSession("u1", time.Now())) })
		})
	}
}

// eventually retries call (up to 100 times, 100ms apart) until it succeeds.
func eventually(t *testing.T, call func() error) {
	t.Helper()
	var err error
	for range 100 {
		if err = call(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("still failing after 10s: %v", err)
}

func TestStoreFull(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, client(t, srv.Addr()), redisstore.Options{})
	if _, err := srv.Do("CONFIG", "SET", "maxmemory-policy", "noeviction"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Do("CONFIG", "SET", "maxmemory", "1"); err != nil {
		t.Fatal(err)
	}
	err := s.Create(context.Background(), storetest.NewSession("u1", time.Now()))
	if !errors.Is(err, auth.ErrStoreFull) {
		t.Fatalf("Create on a full server = %v; want ErrStoreFull", err)
	}
}

// countingHook counts commands sent (a pipeline counts once).
type countingHook struct{ n atomic.Int64 }

func (h *countingHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *countingHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { h.n.Add(1); return next(ctx, cmd) }
}
func (h *countingHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { h.n.Add(1); return next(ctx, cmds) }
}

func TestRoundTrips(t *testing.T) {
	c := client(t, redistest.Shared(t).Addr())
	hook := &countingHook{}
	c.AddHook(hook)
	s := newStore(t, c, redisstore.Options{})
	ctx := context.Background()
	in := storetest.NewSession("u1", time.Now())
	if err := s.Create(ctx, in); err != nil {
		t.Fatal(err)
	}
	// Warm the script cache (the first run may need EVALSHA then EVAL).
	next := []byte("01234567890123456789012345678901")
	if _, st, err := s.Rotate(ctx, in.ID, auth.Rotation{Presented: in.Current, Next: next, Now: time.Now()}); err != nil || st != auth.Rotated {
		t.Fatalf("Rotate = %v, %v", st, err)
	}
	tests := []struct {
		name string
		call func() error
		want int64
	}{
		{"Create", func() error { return s.Create(ctx, storetest.NewSession("u1", time.Now())) }, 2},
		{"Rotate", func() error {
			_, st, err := s.Rotate(ctx, in.ID, auth.Rotation{Presented: next, Next: []byte("abcdefghijabcdefghijabcdefghijab"), Now: time.Now()})
			if err == nil && st != auth.Rotated {
				err = errors.New("not rotated")
			}
			return err
		}, 1},
		{"Get", func() error { _, _, err := s.Get(ctx, in.ID, time.Now()); return err }, 1},
		{"Check", func() error { _, _, err := s.Check(ctx, in.ID, time.Now()); return err }, 1},
		{"Delete", func() error { return s.Delete(ctx, in.ID) }, 1},
		{"DeleteUser", func() error { _, err := s.DeleteUser(ctx, in.UserID); return err }, 2},
		{"Ping", func() error { return s.Ping(ctx) }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := hook.n.Load()
			if err := tt.call(); err != nil {
				t.Fatal(err)
			}
			if n := hook.n.Load() - before; n != tt.want {
				t.Fatalf("%s took %d round trips; want %d", tt.name, n, tt.want)
			}
		})
	}
}

func TestKeysExpireWithSession(t *testing.T) {
	srv := redistest.Shared(t)
	s := newStore(t, client(t, srv.Addr()), redisstore.Options{Prefix: "exp:" + storetest.NewSessionID() + ":"})
	in := storetest.NewSession("u1", time.Now())
	in.IdleTimeout = time.Hour
	if err := s.Create(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	keys, err := srv.Do("KEYS", "exp:*")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range strings.Split(keys, "\n") {
		ttl, err := srv.Do("PTTL", k)
		if err != nil {
			t.Fatal(err)
		}
		if ttl == "-1" || strings.HasPrefix(ttl, "-") {
			t.Fatalf("key %q has no expiry (PTTL %s)", k, ttl)
		}
	}
	if !strings.Contains(keys, "s:{"+in.ID+"}") {
		t.Fatalf("keys %q: session key should carry the hash tag {sid}", keys)
	}
}

// TestConcurrentRefreshOnRedis: 100 concurrent refreshes of one token
// through the Authenticator on a real server: exactly one succeeds, and
// with no grace window the reuse by the others revokes the winner's
// tokens too.
func TestConcurrentRefreshOnRedis(t *testing.T) {
	a := newAuth(t, newStore(t, client(t, redistest.Shared(t).Addr()), redisstore.Options{}))
	ctx := context.Background()
	pair, err := a.Issue(ctx, auth.User{ID: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	const n = 100
	results := make(chan error, n)
	winners := make(chan auth.TokenPair, n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		go func() {
			<-start
			p, err := a.Refresh(ctx, pair.RefreshToken)
			if err == nil {
				winners <- p
			}
			results <- err
		}()
	}
	close(start)
	ok, reused := 0, 0
	for i := 0; i < n; i++ {
		switch err := <-results; {
		case err == nil:
			ok++
		case errors.Is(err, auth.ErrTokenReused):
			reused++
		case errors.Is(err, auth.ErrSessionRevoked):
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 || reused < 1 {
		t.Fatalf("%d successes, %d reuse detections; want exactly 1 success", ok, reused)
	}
	w := <-winners
	if _, err := a.Refresh(ctx, w.RefreshToken); !errors.Is(err, auth.ErrSessionRevoked) {
		t.Fatalf("winner's refresh token = %v; want ErrSessionRevoked", err)
	}
	if _, err := a.Verify(ctx, w.AccessToken); !errors.Is(err, auth.ErrSessionRevoked) {
		t.Fatalf("winner's access token = %v; want ErrSessionRevoked", err)
	}
}

func newAuth(t *testing.T, store auth.SessionStore) *auth.Authenticator {
	t.Helper()
	k, err := auth.NewHS256Key([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	ring, err := auth.NewKeyRing(k)
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(auth.Options{
		Keys: ring, RefreshKey: []byte("refresh-secret-refresh-secret-32"), Issuer: "chainsync", Audience: "api",
		Store: store, SessionCheck: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestAuthenticatorOnRedis runs the login → refresh → logout cycle and the
// fail-closed session check against a real server.
func TestAuthenticatorOnRedis(t *testing.T) {
	srv := redistest.Start(t)
	a := newAuth(t, newStore(t, client(t, srv.Addr()), redisstore.Options{Timeout: 300 * time.Millisecond}))
	ctx := context.Background()
	pair, err := a.Issue(ctx, auth.User{ID: "u1", Role: "cashier"})
	if err != nil {
		t.Fatal(err)
	}
	mw, err := a.Middleware(auth.MiddlewareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	call := func(tok string) int {
		req := httptest.NewRequest("GET", "/tx", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := call(pair.AccessToken); code != 204 {
		t.Fatalf("live session: %d", code)
	}
	next, err := a.Refresh(ctx, pair.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Refresh(ctx, pair.RefreshToken); !errors.Is(err, auth.ErrTokenReused) {
		t.Fatalf("reuse = %v", err)
	}
	if code := call(next.AccessToken); code != 401 {
		t.Fatalf("after reuse revoked the family: %d; want 401", code)
	}

	pair, err = a.Issue(ctx, auth.User{ID: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	if code := call(pair.AccessToken); code != 503 {
		t.Fatalf("store hung: %d; want 503 once Options.Timeout passes", code)
	}
	if err := srv.Resume(); err != nil {
		t.Fatal(err)
	}
	if code := call(pair.AccessToken); code != 204 {
		t.Fatalf("store resumed: %d; want 204", code)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if code := call(pair.AccessToken); code != 503 {
		t.Fatalf("store down: %d; want 503 (never a pass, never a 401)", code)
	}
	if _, err := a.Refresh(ctx, pair.RefreshToken); !errors.Is(err, auth.ErrStoreUnavailable) {
		t.Fatalf("Refresh with store down = %v", err)
	}
	if err := srv.StartAgain(); err != nil {
		t.Fatal(err)
	}
	// No persistence: the restarted server has lost the session, which is
	// revoked, not passed.
	if code := call(pair.AccessToken); code != 401 {
		t.Fatalf("after restart without data: %d; want 401", code)
	}
}
