package health_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/redis/go-redis/v9"

	"github.com/chainsync/middleware/health"
)

// fixedNow makes the examples' timestamps and response times stable.
func fixedNow() time.Time { return time.Date(2026, 12, 4, 15, 4, 5, 0, time.UTC) }

func get(h http.Handler, path, accept string) {
	req := httptest.NewRequest("GET", path, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(path, rec.Code, rec.Body)
}

// ExampleNew builds a checker with a critical dependency and an optional
// one, and mounts its endpoints.
func ExampleNew() {
	payments := errors.New("payments gateway unreachable")
	checker, err := health.New(health.Options{Now: fixedNow, Logger: slog.New(slog.DiscardHandler)},
		health.Check{Name: "postgres", Critical: true, Check: func(ctx context.Context) error { return nil }},
		health.Check{Name: "payments", Check: func(ctx context.Context) error { return payments }},
	)
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	checker.Register(mux, "")
	get(mux, "/live", "")
	get(mux, "/ready", "")
	get(mux, "/health", "")
	// Output:
	// /live 200 {"status":"alive","timestamp":"2026-12-04T15:04:05.000Z"}
	// /ready 200 {"status":"degraded","timestamp":"2026-12-04T15:04:05.000Z"}
	// /health 200 {"status":"degraded","timestamp":"2026-12-04T15:04:05.000Z","checks":[{"service":"postgres","status":"healthy","responseTime":0},{"service":"payments","status":"unhealthy","responseTime":0,"details":"check failed"}]}
}

// ExampleMustNew builds a checker where an error can only be a bug.
func ExampleMustNew() {
	checker := health.MustNew(health.Options{}, health.Func("cache", func(ctx context.Context) error { return nil }))
	fmt.Println(checker.Report(context.Background()).Status)
	// Output: healthy
}

// ExampleFunc makes named checks from plain functions, such as a map of
// external dependencies.
func ExampleFunc() {
	deps := map[string]func(context.Context) error{
		"inventory": func(ctx context.Context) error { return nil },
	}
	var checks []health.Check
	for name, fn := range deps {
		checks = append(checks, health.Func(name, fn))
	}
	checker := health.MustNew(health.Options{}, checks...)
	for _, res := range checker.Report(context.Background()).Checks {
		fmt.Println(res.Name, res.Status, res.Critical)
	}
	// Output: inventory healthy false
}

// Example_redis checks Redis with go-redis: the core package needs no Redis
// import, the check is one line. ContextTimeoutEnabled makes go-redis honour
// the check's timeout. (No server listens here, so the check fails.)
func Example_redis() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true, MaxRetries: -1})
	defer rdb.Close()
	checker := health.MustNew(health.Options{Logger: slog.New(slog.DiscardHandler)},
		health.Check{Name: "redis", Critical: true, Check: func(ctx context.Context) error { return rdb.Ping(ctx).Err() }})
	rec := httptest.NewRecorder()
	checker.ReadyHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/ready", nil))
	fmt.Println(rec.Code, checker.Report(context.Background()).Checks[0].Status)
	// Output: 503 unhealthy
}

// ExampleSQL pings a database/sql pool (here PostgreSQL through pgx's
// stdlib driver; no server listens, so the check fails).
func ExampleSQL() {
	db, err := sql.Open("pgx", "postgres://pos@127.0.0.1:1/chainsync?connect_timeout=1")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	checker := health.MustNew(health.Options{Logger: slog.New(slog.DiscardHandler)},
		health.Check{Name: "postgres", Critical: true, Check: health.SQL(db)})
	fmt.Println(checker.Report(context.Background()).Status)
	// Output: unhealthy
}

// ExampleSQLQuery runs a query, ChainSync's "SELECT 1", rather than a
// ping.
func ExampleSQLQuery() {
	db, err := sql.Open("pgx", "postgres://pos@127.0.0.1:1/chainsync?connect_timeout=1")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	checker := health.MustNew(health.Options{Logger: slog.New(slog.DiscardHandler)},
		health.Check{Name: "postgres", Critical: true, Check: health.SQLQuery(db, "SELECT 1")})
	fmt.Println(checker.Report(context.Background()).Status)
	// Output: unhealthy
}

// ExampleHTTP checks another service's health endpoint: 2xx is healthy.
func ExampleHTTP() {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer upstream.Close()
	check, err := health.HTTP(upstream.URL+"/health", health.HTTPOptions{Timeout: 500 * time.Millisecond})
	if err != nil {
		panic(err)
	}
	err = check(context.Background())
	var se *health.StatusError
	fmt.Println(errors.As(err, &se), se.StatusCode)
	// Output: true 503
}

// ExampleMustHTTP sets up an HTTP check from a constant URL.
func ExampleMustHTTP() {
	checker := health.MustNew(health.Options{}, health.Check{
		Name:  "payments",
		Check: health.MustHTTP("https://payments.internal.example/health", health.HTTPOptions{}),
	})
	fmt.Println(checker.Draining())
	// Output: false
}

// ExampleChecker_HealthHandler answers in application/health+json when the
// client asks for it.
func ExampleChecker_HealthHandler() {
	checker := health.MustNew(health.Options{Now: fixedNow, Version: "1.4.2"},
		health.Check{Name: "postgres", Critical: true, Check: func(ctx context.Context) error { return nil }})
	get(checker.HealthHandler(), "/health", "application/health+json")
	// Output:
	// /health 200 {"status":"pass","version":"1.4.2","checks":{"postgres:responseTime":[{"status":"pass","observedValue":0,"observedUnit":"ms","time":"2026-12-04T15:04:05.000Z"}]}}
}

// ExampleChecker_Register mounts the three endpoints under a prefix.
func ExampleChecker_Register() {
	checker := health.MustNew(health.Options{Now: fixedNow, Logger: slog.New(slog.DiscardHandler)},
		health.Check{Name: "postgres", Critical: true, Check: func(ctx context.Context) error { return errors.New("down") }})
	mux := http.NewServeMux()
	checker.Register(mux, "/healthz")
	get(mux, "/healthz/live", "")
	get(mux, "/healthz/ready", "")
	// Output:
	// /healthz/live 200 {"status":"alive","timestamp":"2026-12-04T15:04:05.000Z"}
	// /healthz/ready 503 {"status":"unhealthy","timestamp":"2026-12-04T15:04:05.000Z"}
}

// ExampleChecker_SetDraining drains before shutting down: readiness turns
// 503 at once so load balancers stop routing here, then the server stops.
func ExampleChecker_SetDraining() {
	checker := health.MustNew(health.Options{Now: fixedNow})
	srv := httptest.NewServer(checker.ReadyHandler())
	defer srv.Close()

	// On SIGTERM:
	checker.SetDraining(true)
	resp, err := http.Get(srv.URL)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	// ... wait a few probe periods (say 5-10 s), then srv.Config.Shutdown(ctx).
	fmt.Println(resp.StatusCode)
	// Output: 503
}

// ExampleChecker_Start runs the checks in the background: probes only read
// the latest results, and OnChange reports every change.
func ExampleChecker_Start() {
	changed := make(chan string, 4)
	checker := health.MustNew(health.Options{Logger: slog.New(slog.DiscardHandler),
		OnChange: func(name string, from, to health.Status) {
			if name != "" {
				changed <- fmt.Sprintf("%s: %v -> %v", name, from, to)
			}
		}},
		health.Check{Name: "redis", Critical: true, Interval: 5 * time.Second, Check: func(ctx context.Context) error { return nil }})
	checker.Start()
	defer checker.Stop()
	fmt.Println(<-changed)
	fmt.Println(checker.Report(context.Background()).Status)
	// Output:
	// redis: unknown -> healthy
	// healthy
}
