// Package health serves Kubernetes-style liveness, readiness and detailed
// health endpoints backed by named dependency checks that run in parallel,
// each under its own timeout, with cached results so that a storm of probes
// never becomes a storm of database queries.
//
// # Checks
//
// A [Checker] is built by [New] from [Check] values: a name, a function
// func(ctx) error, whether the dependency is critical, a timeout (default
// 800 ms, below Kubernetes' default probe timeout of 1 s) and an interval.
// Helpers build the function for common dependencies: [SQL] and [SQLQuery]
// for a *sql.DB (or anything with PingContext), [HTTP] for another
// service's health endpoint, [Func] for a named function. Redis needs no
// helper and no import here:
//
//	health.Check{Name: "redis", Critical: true,
//		Check: func(ctx context.Context) error { return rdb.Ping(ctx).Err() }}
//
// (build the go-redis client with ContextTimeoutEnabled: true, or it ignores
// the check's deadline).
//
// # Running, timeouts and leaks
//
// A probe runs every stale check at once and waits for all of them, at most
// [Options.Deadline] (default 900 ms) in total. A check that does not return
// within its timeout is reported failed with [ErrTimeout]. A check that
// ignores its context cannot be stopped, so at most one run of each check is
// ever in flight: while a timed-out run is still stuck, later probes report
// [ErrStillRunning] at once instead of starting another goroutine. A check
// that panics is recovered and reported failed with [ErrPanic] (a failure is
// unhealthy, or degraded under [Check.FailureThreshold]).
//
// # Status
//
// Each check result is [Healthy], [Degraded] (a success slower than
// [Check.Slow], or a failure of a check that has worked before, not yet
// repeated [Check.FailureThreshold] times) or [Unhealthy]. The overall status is unhealthy when a critical
// check is unhealthy, degraded when any check is degraded or a non-critical
// check is unhealthy, healthy otherwise. [Options.OnChange] hears every
// change, of each check and of the overall status.
//
// # Caching
//
// By default results are cached on demand: a check runs when a probe finds
// its last result older than its interval ([Check.Interval], default
// [Options.TTL], default 1 s), and concurrent probes share that one run.
// After [Checker.Start], checks run in the background at their intervals
// and probes only read the latest results. Either way a dependency sees at
// most one check per interval, whatever the probe load.
//
// # Handlers
//
// [Checker.LiveHandler] answers 200 whenever the process can serve HTTP (no
// dependency is checked: a database outage must not make Kubernetes restart
// every pod). [Checker.ReadyHandler] and [Checker.HealthHandler] answer 200
// when the overall status is healthy or degraded and 503 when it is
// unhealthy or the checker is draining ([Checker.SetDraining]); the first
// sends only the status, the second every check. [Checker.Register] mounts
// the three under a prefix. All of them answer GET and HEAD (headers only),
// and send Cache-Control: no-store and Vary: Accept (added to whatever Vary
// a middleware in front, such as CORS, has already set).
//
// The default body is ChainSync's:
//
//	{"status":"alive","timestamp":"2026-12-04T15:04:05.000Z"}
//	{"status":"healthy","timestamp":"...","checks":[{"service":"postgres","status":"healthy","responseTime":1.25}]}
//
// with responseTime in milliseconds. The application/health+json format of
// draft-inadarei-api-health-check ("pass", "warn", "fail"; checks keyed
// "name:responseTime" with observedValue and observedUnit) is chosen by
// [Options.Format] or by a request whose Accept header prefers it.
//
// # What a probe reveals
//
// Error messages of failed checks often name hosts, users or databases, so
// by default the body only says what kind of failure happened ("timed out",
// "check failed"); [Options.ExposeErrors] includes the messages, for an
// endpoint that only operators can reach. Errors of the [HTTP] helper never
// contain the URL's credentials or query. Status changes are logged through
// [Options.Logger] with the error message.
//
// # Graceful drain
//
// On shutdown call [Checker.SetDraining](true) first, wait a few probe
// periods so load balancers take the instance out, then shut the server
// down: readiness answers 503 from the moment draining starts while
// liveness stays 200.
package health
