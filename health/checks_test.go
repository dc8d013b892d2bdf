package health_test

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/redis/go-redis/v9"

	"github.com/chainsync/middleware/health"
	"github.com/chainsync/middleware/internal/pgtest"
	"github.com/chainsync/middleware/internal/redistest"
)

// TestSQLPostgres runs the SQL checks against a real PostgreSQL: healthy,
// unhealthy on the first probe after the server stops (readiness 503),
// healthy on the first probe after it is back, and a paused (hung) server
// is reported as a timeout without the probe hanging.
func TestSQLPostgres(t *testing.T) {
	srv := pgtest.Start(t)
	db, err := sql.Open("pgx", srv.DSN()+"&connect_timeout=5")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pool, err := pgxpool.New(context.Background(), srv.DSN()+"&connect_timeout=5")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	clk := newClock()
	c := newChecker(t, health.Options{Now: clk.Now, Timeout: 5 * time.Second, Deadline: 10 * time.Second, ExposeErrors: true},
		health.Check{Name: "postgres", Critical: true, Check: health.SQL(db)},
		health.Check{Name: "postgres-query", Critical: true, Check: health.SQLQuery(db, "SELECT 1")},
		health.Check{Name: "pgxpool", Critical: true, Check: pool.Ping},
	)
	ready := c.ReadyHandler()
	probe := func(step string, want health.Status, code int) health.Report {
		t.Helper()
		clk.Advance(time.Second) // one interval later: every result is stale
		rep := c.Report(context.Background())
		for _, res := range rep.Checks {
			if res.Status != want {
				t.Fatalf("%s: %s is %v (%v); want %v", step, res.Name, res.Status, res.Err, want)
			}
		}
		if rec := serve(ready, "GET", ""); rec.Code != code {
			t.Fatalf("%s: /ready = %d %s; want %d", step, rec.Code, rec.Body, code)
		}
		return rep
	}
	probe("running", health.Healthy, 200)
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	probe("stopped", health.Unhealthy, 503)
	if err := srv.StartAgain(); err != nil {
		t.Fatal(err)
	}
	probe("restarted", health.Healthy, 200)

	// A hung server: the checks time out (the drivers honour the context).
	c2 := newChecker(t, health.Options{Now: clk.Now, Timeout: 200 * time.Millisecond},
		health.Check{Name: "postgres", Critical: true, Check: health.SQLQuery(db, "SELECT 1")})
	if rep := c2.Report(context.Background()); rep.Status != health.Healthy {
		t.Fatalf("before pause: %+v", rep)
	}
	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	rep := c2.Report(context.Background())
	if err := srv.Resume(); err != nil {
		t.Fatal(err)
	}
	if res := rep.Checks[0]; res.Status != health.Unhealthy || !errors.Is(res.Err, health.ErrTimeout) {
		t.Fatalf("paused server: %+v; want unhealthy with ErrTimeout", res)
	}
}

// redisCheck is the Redis check of the package documentation, counting
// its runs and remembering the first one that failed.
func redisCheck(rdb *redis.Client, runs, firstFailure *atomic.Int64) func(context.Context) error {
	return func(ctx context.Context) error {
		run := runs.Add(1)
		err := rdb.Ping(ctx).Err()
		if err != nil {
			firstFailure.CompareAndSwap(0, run)
		}
		return err
	}
}

func expectChange(t *testing.T, ch <-chan string, want string) {
	t.Helper()
	select {
	case got := <-ch:
		if got != want {
			t.Fatalf("change %q; want %q", got, want)
		}
	case <-time.After(30 * time.Second): // a hang guard, not a time limit
		t.Fatalf("no change %q within 30s", want)
	}
}

// TestRedisBackground runs a Redis check in the background against a real
// redis-server: stopped, it turns unhealthy at the first run after the
// stop (readiness 503); started again, healthy; paused (SIGSTOP), it times
// out instead of hanging.
func TestRedisBackground(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true, MaxRetries: -1, DialTimeout: time.Second})
	defer rdb.Close()
	var runs, firstFailure atomic.Int64
	changes := make(chan string, 64)
	c := newChecker(t, health.Options{OnChange: func(name string, from, to health.Status) {
		if name == "redis" {
			changes <- from.String() + "->" + to.String()
		}
	}}, health.Check{Name: "redis", Critical: true, Interval: 20 * time.Millisecond, Timeout: 300 * time.Millisecond,
		Check: redisCheck(rdb, &runs, &firstFailure)})
	c.Start()
	ready := c.ReadyHandler()
	expectChange(t, changes, "unknown->healthy")
	if rec := serve(ready, "GET", ""); rec.Code != 200 {
		t.Fatalf("/ready = %d", rec.Code)
	}

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped := runs.Load()
	expectChange(t, changes, "healthy->unhealthy")
	// A run that timed out is reported before its Ping returns.
	for i := 0; firstFailure.Load() == 0 && i < 3000; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if first := firstFailure.Load(); first == 0 || first > stopped+1 {
		t.Fatalf("first failed run %d; want the first run after the stop (%d) at the latest", first, stopped+1)
	}
	if rec := serve(ready, "GET", ""); rec.Code != 503 {
		t.Fatalf("/ready with Redis stopped = %d; want 503", rec.Code)
	}

	if err := srv.StartAgain(); err != nil {
		t.Fatal(err)
	}
	expectChange(t, changes, "unhealthy->healthy")
	if rec := serve(ready, "GET", ""); rec.Code != 200 {
		t.Fatalf("/ready with Redis back = %d; want 200", rec.Code)
	}

	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	expectChange(t, changes, "healthy->unhealthy")
	rep := c.Report(context.Background())
	if err := srv.Resume(); err != nil {
		t.Fatal(err)
	}
	// A run that timed out may not have returned by the next tick: that
	// one reports ErrStillRunning.
	if res := rep.Checks[0]; res.Status != health.Unhealthy || !errors.Is(res.Err, health.ErrTimeout) && !errors.Is(res.Err, health.ErrStillRunning) {
		t.Fatalf("paused Redis: %+v; want unhealthy with ErrTimeout or ErrStillRunning", res)
	}
	expectChange(t, changes, "unhealthy->healthy")
}

func TestHTTPCheck(t *testing.T) {
	var gotMethod, gotKey atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotMethod.Store(r.Method)
		gotKey.Store(r.Header.Get("X-Api-Key") + "@" + r.Host)
		switch r.URL.Path {
		case "/ok":
			w.WriteHeader(200)
		case "/nocontent":
			w.WriteHeader(204)
		case "/down":
			w.WriteHeader(503)
		case "/redirect":
			http.Redirect(w, r, "/ok", http.StatusFound)
		case "/hang":
			<-r.Context().Done()
		default:
			w.WriteHeader(404)
		}
	}))
	defer srv.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	tests := []struct {
		name   string
		url    string
		opts   health.HTTPOptions
		status int  // StatusError code wanted, 0 for none
		fails  bool // any error wanted
	}{
		{"200", srv.URL + "/ok", health.HTTPOptions{}, 0, false},
		{"204", srv.URL + "/nocontent", health.HTTPOptions{}, 0, false},
		{"503", srv.URL + "/down", health.HTTPOptions{}, 503, true},
		{"404", srv.URL + "/missing", health.HTTPOptions{}, 404, true},
		{"redirect not followed", srv.URL + "/redirect", health.HTTPOptions{}, 302, true},
		{"redirect followed by a custom client", srv.URL + "/redirect", health.HTTPOptions{Client: srv.Client()}, 0, false},
		{"own timeout", srv.URL + "/hang", health.HTTPOptions{Timeout: 20 * time.Millisecond}, 0, true},
		{"connection refused", closedURL + "/ok", health.HTTPOptions{}, 0, true},
		{"HEAD", srv.URL + "/ok", health.HTTPOptions{Method: "HEAD"}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn, err := health.HTTP(tt.url, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			err = fn(context.Background())
			if (err != nil) != tt.fails {
				t.Fatalf("check = %v; want failure %v", err, tt.fails)
			}
			var se *health.StatusError
			if tt.status != 0 && (!errors.As(err, &se) || se.StatusCode != tt.status) {
				t.Fatalf("check = %v; want StatusError %d", err, tt.status)
			}
		})
	}
	t.Run("method and header sent", func(t *testing.T) {
		fn := health.MustHTTP(srv.URL+"/ok", health.HTTPOptions{Method: "HEAD", Header: http.Header{"X-Api-Key": {"k1"}, "Host": {"pos.example"}}})
		if err := fn(context.Background()); err != nil || gotMethod.Load() != "HEAD" || gotKey.Load() != "k1@pos.example" {
			t.Fatalf("check = %v; server saw %v %v", err, gotMethod.Load(), gotKey.Load())
		}
	})
	t.Run("check timeout", func(t *testing.T) {
		c := newChecker(t, health.Options{}, health.Check{Name: "payments", Critical: true, Timeout: 30 * time.Millisecond,
			Check: health.MustHTTP(srv.URL+"/hang", health.HTTPOptions{})})
		rep := c.Report(context.Background())
		if res := rep.Checks[0]; !errors.Is(res.Err, health.ErrTimeout) || rep.Status != health.Unhealthy {
			t.Fatalf("report = %+v; want unhealthy with ErrTimeout", rep)
		}
	})
	t.Run("errors hide credentials and query", func(t *testing.T) {
		for _, base := range []string{srv.URL + "/down", closedURL + "/ok"} {
			u := strings.Replace(base, "http://", "http://admin:hunter2@", 1) + "?token=s3cr3t#frag"
			err := health.MustHTTP(u, health.HTTPOptions{})(context.Background())
			if err == nil || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "admin") {
				t.Fatalf("error %q leaks the URL's secrets (or is nil)", err)
			}
		}
	})
}

func TestHTTPRejectsMisconfiguration(t *testing.T) {
	tests := []struct {
		name, url, method string
	}{
		{"empty", "", ""},
		{"relative", "/health", ""},
		{"no host", "http://", ""},
		{"other scheme", "ftp://files.example/health", ""},
		{"unparsable", "http://user:s3cr3t@[::1/health", ""},
		{"POST", "http://localhost/health", "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn, err := health.HTTP(tt.url, health.HTTPOptions{Method: tt.method})
			if fn != nil || !errors.Is(err, health.ErrConfig) || strings.Contains(err.Error(), "s3cr3t") {
				t.Fatalf("HTTP(%q) = %v; want ErrConfig without the URL's secrets", tt.url, err)
			}
		})
	}
	t.Run("MustHTTP panics", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Fatal("no panic")
			}
		}()
		health.MustHTTP("", health.HTTPOptions{})
	})
}

// TestHTTPReusesConnection: the check reads and closes each response body,
// so consecutive checks share one keep-alive connection, for 2xx and for
// failing statuses alike.
func TestHTTPReusesConnection(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/down" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_, _ = w.Write([]byte(strings.Repeat(`{"status":"fine"}`, 500)))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	for _, path := range []string{"/ok", "/down"} {
		t.Run(path, func(t *testing.T) {
			conns.Store(0)
			fn := health.MustHTTP(srv.URL+path, health.HTTPOptions{Client: &http.Client{Transport: &http.Transport{}}})
			for range 5 {
				_ = fn(context.Background())
			}
			if n := conns.Load(); n != 1 {
				t.Fatalf("5 checks opened %d connections; want 1 (bodies drained and closed)", n)
			}
		})
	}
}
