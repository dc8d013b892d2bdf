package redistest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chainsync/middleware/internal/redistest"
	"github.com/chainsync/middleware/internal/testserver"
)

func TestMain(m *testing.M) { testserver.Main(m) }

func newClient(t *testing.T, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{
		Addr: addr, ContextTimeoutEnabled: true,
		DialTimeout: 500 * time.Millisecond, MaxRetries: -1,
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// TestSmokeRestart proves the server is real: a key written through go-redis
// is read back, and the client recovers after the server restarts.
func TestSmokeRestart(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	c := newClient(t, srv.Addr())
	if err := c.Set(ctx, "greeting", "hello", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	if got, err := c.Get(ctx, "greeting").Result(); err != nil || got != "hello" {
		t.Fatalf("GET = %q, %v; want hello", got, err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("PING succeeded against a stopped server")
	}
	if err := srv.StartAgain(); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("client did not recover after restart: %v", err)
	}
	// No persistence by default: the key is gone.
	if err := c.Get(ctx, "greeting").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("GET after restart without persistence = %v; want redis.Nil", err)
	}
}

func TestAppendOnlyKeepsData(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{AppendOnly: true})
	ctx := context.Background()
	c := newClient(t, srv.Addr())
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("GET after restart with appendonly = %q, %v; want v", got, err)
	}
}

// TestPauseHangsUntilDeadline shows the difference between a paused server
// (calls run into their deadline) and a stopped one (refused at once).
func TestPauseHangsUntilDeadline(t *testing.T) {
	srv := redistest.Start(t)
	c := newClient(t, srv.Addr())
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	err := c.Ping(ctx).Err()
	cancel()
	if err == nil {
		t.Fatal("PING answered by a paused server")
	}
	if !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("PING against a paused server = %v; want a deadline error", err)
	}
	if err := srv.Resume(); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("PING after resume: %v", err)
	}
}

func TestShared(t *testing.T) {
	a, b := redistest.Shared(t), redistest.Shared(t)
	if a != b {
		t.Fatal("Shared started two servers")
	}
	if r, err := a.Do("PING"); err != nil || r != "PONG" {
		t.Fatalf("PING = %q, %v", r, err)
	}
}

func TestCluster(t *testing.T) {
	for _, n := range []int{1, 3} {
		t.Run(strings.Repeat("node", 1)+string(rune('0'+n)), func(t *testing.T) {
			cl := redistest.StartCluster(t, n)
			ctx := context.Background()
			c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cl.Addrs(), ContextTimeoutEnabled: true})
			t.Cleanup(func() { c.Close() })
			// Keys spread over all slots, so with 3 nodes MOVED redirects are followed.
			for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
				if err := c.Set(ctx, k, k, 0).Err(); err != nil {
					t.Fatalf("SET %s: %v", k, err)
				}
			}
			// Keys in different slots in one command: CROSSSLOT.
			direct := newClient(t, cl.Nodes[0].Addr())
			err := direct.MSet(ctx, "a", "1", "b", "2").Err()
			if err == nil || !strings.Contains(err.Error(), "CROSSSLOT") && !strings.Contains(err.Error(), "MOVED") {
				t.Fatalf("MSET over two slots = %v; want CROSSSLOT (or MOVED)", err)
			}
			// A hash tag keeps keys in one slot.
			if err := c.MSet(ctx, "{t}a", "1", "{t}b", "2").Err(); err != nil {
				t.Fatalf("MSET with a hash tag: %v", err)
			}
		})
	}
}

// BenchmarkStart measures starting a redis-server until it answers PING.
func BenchmarkStart(b *testing.B) {
	for b.Loop() {
		s := redistest.Start(b)
		s.Kill()
	}
}
