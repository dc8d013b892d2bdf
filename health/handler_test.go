package health_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chainsync/middleware/health"
)

type chainSyncBody struct {
	Status    string `json:"status"`
	Timestamp string `json:"timestamp"`
	Draining  bool   `json:"draining"`
	Checks    []struct {
		Service      string   `json:"service"`
		Status       string   `json:"status"`
		ResponseTime *float64 `json:"responseTime"`
		Details      string   `json:"details"`
	} `json:"checks"`
}

type healthJSONBody struct {
	Status  string `json:"status"`
	Version string `json:"version"`
	Output  string `json:"output"`
	Checks  map[string][]struct {
		Status        string   `json:"status"`
		ObservedValue *float64 `json:"observedValue"`
		ObservedUnit  string   `json:"observedUnit"`
		Time          string   `json:"time"`
		Output        string   `json:"output"`
	} `json:"checks"`
}

func serve(h http.Handler, method, accept string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "/", nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
	return v
}

// failingOnDemand returns a checker with a critical check whose failure is
// switched by the returned func.
func twoChecks(t *testing.T, opts health.Options) (*health.Checker, func(criticalFails, optionalFails bool)) {
	t.Helper()
	clk := newClock()
	opts.Now = clk.Now
	var critical, optional error
	c := newChecker(t, opts,
		health.Check{Name: "postgres", Critical: true, Check: func(context.Context) error { return critical }},
		health.Check{Name: "search", Check: func(context.Context) error { return optional }},
	)
	return c, func(cf, of bool) {
		critical, optional = nil, nil
		if cf {
			critical = errors.New("dial tcp 10.0.0.7:5432: connect: connection refused (user=pos_app)")
		}
		if of {
			optional = errors.New("search down")
		}
		clk.Advance(time.Hour)
	}
}

func TestChainSyncFormat(t *testing.T) {
	tests := []struct {
		name                    string
		criticalFails, optFails bool
		draining                bool
		code                    int
		status                  string
	}{
		{"healthy", false, false, false, 200, "healthy"},
		{"optional check fails", false, true, false, 200, "degraded"},
		{"critical check fails", true, false, false, 503, "unhealthy"},
		{"draining", false, false, true, 503, "unhealthy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, set := twoChecks(t, health.Options{})
			set(tt.criticalFails, tt.optFails)
			c.SetDraining(tt.draining)
			for _, h := range []struct {
				name    string
				handler http.Handler
			}{{"ready", c.ReadyHandler()}, {"health", c.HealthHandler()}} {
				rec := serve(h.handler, "GET", "")
				if rec.Code != tt.code || rec.Header().Get("Content-Type") != "application/json" ||
					rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("Vary") != "Accept" {
					t.Fatalf("%s: %d %v; want %d application/json no-store", h.name, rec.Code, rec.Header(), tt.code)
				}
				b := decode[chainSyncBody](t, rec)
				if b.Status != tt.status || b.Draining != tt.draining {
					t.Fatalf("%s body %s; want status %q draining %v", h.name, rec.Body, tt.status, tt.draining)
				}
				if _, err := time.Parse(time.RFC3339Nano, b.Timestamp); err != nil || !strings.HasSuffix(b.Timestamp, "Z") {
					t.Fatalf("%s timestamp %q: %v", h.name, b.Timestamp, err)
				}
				if h.name == "ready" {
					if b.Checks != nil {
						t.Fatalf("ready body lists checks: %s", rec.Body)
					}
					continue
				}
				if len(b.Checks) != 2 || b.Checks[0].Service != "postgres" || b.Checks[1].Service != "search" ||
					b.Checks[0].ResponseTime == nil {
					t.Fatalf("health body %s; want postgres and search with responseTime", rec.Body)
				}
				wantDB, wantSearch := "healthy", "healthy"
				if tt.criticalFails {
					wantDB = "unhealthy"
				}
				if tt.optFails {
					wantSearch = "unhealthy"
				}
				if b.Checks[0].Status != wantDB || b.Checks[1].Status != wantSearch {
					t.Fatalf("health body %s; want postgres %s, search %s", rec.Body, wantDB, wantSearch)
				}
				if tt.criticalFails && b.Checks[0].Details != "check failed" {
					t.Fatalf("details %q; want the hidden %q", b.Checks[0].Details, "check failed")
				}
			}
		})
	}
}

func TestHealthJSONFormat(t *testing.T) {
	tests := []struct {
		name                    string
		criticalFails, optFails bool
		draining                bool
		code                    int
		status                  string
	}{
		{"pass", false, false, false, 200, "pass"},
		{"warn", false, true, false, 200, "warn"},
		{"fail", true, false, false, 503, "fail"},
		{"draining", false, false, true, 503, "fail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, set := twoChecks(t, health.Options{Format: health.FormatHealthJSON, Version: "1.4.2"})
			set(tt.criticalFails, tt.optFails)
			c.SetDraining(tt.draining)
			rec := serve(c.HealthHandler(), "GET", "")
			if rec.Code != tt.code || rec.Header().Get("Content-Type") != "application/health+json" {
				t.Fatalf("%d %q; want %d application/health+json", rec.Code, rec.Header().Get("Content-Type"), tt.code)
			}
			b := decode[healthJSONBody](t, rec)
			if b.Status != tt.status || b.Version != "1.4.2" || (b.Output == "draining") != tt.draining {
				t.Fatalf("body %s; want status %q, version, draining output %v", rec.Body, tt.status, tt.draining)
			}
			db, search := b.Checks["postgres:responseTime"], b.Checks["search:responseTime"]
			if len(b.Checks) != 2 || len(db) != 1 || len(search) != 1 || db[0].ObservedUnit != "ms" || db[0].ObservedValue == nil {
				t.Fatalf("checks %s; want postgres:responseTime and search:responseTime in ms", rec.Body)
			}
			if _, err := time.Parse(time.RFC3339Nano, db[0].Time); err != nil {
				t.Fatalf("time %q: %v", db[0].Time, err)
			}
			if tt.criticalFails != (db[0].Status == "fail") || tt.optFails != (search[0].Status == "fail") {
				t.Fatalf("checks %s", rec.Body)
			}
			if tt.criticalFails && db[0].Output != "check failed" {
				t.Fatalf("output %q; want the hidden %q", db[0].Output, "check failed")
			}
			ready := serve(c.ReadyHandler(), "GET", "")
			if rb := decode[healthJSONBody](t, ready); ready.Code != tt.code || rb.Status != tt.status || rb.Checks != nil {
				t.Fatalf("ready %d %s", ready.Code, ready.Body)
			}
		})
	}
}

func TestAcceptNegotiation(t *testing.T) {
	tests := []struct {
		accept string
		def    health.Format
		want   string
	}{
		{"", health.FormatChainSync, "application/json"},
		{"", health.FormatHealthJSON, "application/health+json"},
		{"application/health+json", health.FormatChainSync, "application/health+json"},
		{"Application/Health+JSON; charset=utf-8", health.FormatChainSync, "application/health+json"},
		{"application/json", health.FormatHealthJSON, "application/json"},
		{"application/json;q=0.5, application/health+json", health.FormatChainSync, "application/health+json"},
		{"application/json, application/health+json;q=0.9", health.FormatHealthJSON, "application/json"},
		{"application/health+json;q=0", health.FormatChainSync, "application/json"},
		{"application/health+json;q=2", health.FormatChainSync, "application/json"},
		{"application/health+json;q=abc", health.FormatChainSync, "application/json"},
		{"*/*", health.FormatHealthJSON, "application/health+json"},
		{"text/html,application/xhtml+xml,*/*;q=0.8", health.FormatChainSync, "application/json"},
		{",,;;,=;q=,application/health+json;q=0.001", health.FormatChainSync, "application/health+json"},
		// RFC 9110 12.5.1: the most specific range that matches a type
		// gives its q.
		{"application/*, application/health+json;q=0.5", health.FormatHealthJSON, "application/json"},
		{"application/*;q=0.2, application/json;q=0.1", health.FormatChainSync, "application/health+json"},
		{"application/json;q=0, */*", health.FormatChainSync, "application/health+json"},
		{"application/health+json;q=0, */*", health.FormatHealthJSON, "application/json"},
		{"*/*;q=0.1, application/health+json", health.FormatChainSync, "application/health+json"},
		{"application/*;q=0, application/health+json", health.FormatChainSync, "application/health+json"},
		{"APPLICATION/*", health.FormatHealthJSON, "application/health+json"},
		{"application/json;q=0", health.FormatHealthJSON, "application/health+json"},
		{"application/json;q=0", health.FormatChainSync, "application/health+json"},
		{"application/json;q=0, application/health+json;q=0", health.FormatChainSync, "application/json"},
		{"text/*, application/health+json;q=0.5", health.FormatChainSync, "application/health+json"},
	}
	for _, tt := range tests {
		t.Run(tt.accept, func(t *testing.T) {
			c := newChecker(t, health.Options{Format: tt.def}, health.Func("db", ok))
			for _, h := range []http.Handler{c.LiveHandler(), c.ReadyHandler(), c.HealthHandler()} {
				rec := serve(h, "GET", tt.accept)
				if got := rec.Header().Get("Content-Type"); got != tt.want || rec.Code != 200 || !json.Valid(rec.Body.Bytes()) {
					t.Fatalf("Accept %q: %d %q %s; want 200 %q", tt.accept, rec.Code, got, rec.Body, tt.want)
				}
			}
		})
	}
}

func TestLive(t *testing.T) {
	clk := newClock()
	c := newChecker(t, health.Options{Now: clk.Now, Version: "2.0"}, health.Check{Name: "db", Critical: true,
		Check: func(context.Context) error { return errors.New("down") }})
	c.SetDraining(true) // neither draining nor a failing check touches liveness
	rec := serve(c.LiveHandler(), "GET", "")
	if rec.Code != 200 || rec.Body.String() != `{"status":"alive","timestamp":"2026-12-04T15:04:05.000Z"}` {
		t.Fatalf("live = %d %s", rec.Code, rec.Body)
	}
	rec = serve(c.LiveHandler(), "GET", "application/health+json")
	if rec.Code != 200 || rec.Body.String() != `{"status":"pass","version":"2.0"}` {
		t.Fatalf("live health+json = %d %s", rec.Code, rec.Body)
	}
}

func TestHEAD(t *testing.T) {
	c, set := twoChecks(t, health.Options{})
	set(true, false)
	for _, tt := range []struct {
		name    string
		handler http.Handler
		code    int
	}{{"live", c.LiveHandler(), 200}, {"ready", c.ReadyHandler(), 503}, {"health", c.HealthHandler(), 503}} {
		for _, accept := range []string{"application/json", "application/health+json"} {
			t.Run(tt.name+" "+accept, func(t *testing.T) {
				get := serve(tt.handler, "GET", accept)
				head := serve(tt.handler, "HEAD", accept)
				if head.Code != tt.code || head.Body.Len() != 0 || head.Header().Get("Content-Length") != get.Header().Get("Content-Length") ||
					head.Header().Get("Content-Length") == "" || head.Header().Get("Content-Type") != accept {
					t.Fatalf("HEAD = %d %v %q; want %d, GET's headers, no body", head.Code, head.Header(), head.Body, tt.code)
				}
			})
		}
	}
}

func TestMethodNotAllowed(t *testing.T) {
	c := newChecker(t, health.Options{}, health.Func("db", ok))
	for _, method := range []string{"POST", "PUT", "DELETE", "OPTIONS", "TRACE"} {
		t.Run(method, func(t *testing.T) {
			rec := serve(c.ReadyHandler(), method, "")
			var p struct {
				Status int    `json:"status"`
				Error  string `json:"error"`
			}
			if rec.Code != 405 || rec.Header().Get("Allow") != "GET, HEAD" || rec.Header().Get("Content-Type") != "application/problem+json" {
				t.Fatalf("%s = %d %v", method, rec.Code, rec.Header())
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != 405 || p.Error == "" {
				t.Fatalf("%s body %s: %v", method, rec.Body, err)
			}
		})
	}
	t.Run("ErrorHandler", func(t *testing.T) {
		var got error
		c := newChecker(t, health.Options{ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			got = err
			w.WriteHeader(http.StatusTeapot)
		}})
		if rec := serve(c.LiveHandler(), "POST", ""); rec.Code != http.StatusTeapot || !errors.Is(got, health.ErrMethodNotAllowed) {
			t.Fatalf("ErrorHandler: %d, %v", rec.Code, got)
		}
	})
}

// TestErrorDetails: by default a failing check's message (which names a
// host and a user here) stays out of the body; ExposeErrors shows it.
func TestErrorDetails(t *testing.T) {
	const secret = "10.0.0.7"
	tests := []struct {
		name   string
		expose bool
		format string
	}{
		{"hidden chainsync", false, "application/json"},
		{"hidden health+json", false, "application/health+json"},
		{"exposed chainsync", true, "application/json"},
		{"exposed health+json", true, "application/health+json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, set := twoChecks(t, health.Options{ExposeErrors: tt.expose})
			set(true, false)
			rec := serve(c.HealthHandler(), "GET", tt.format)
			if strings.Contains(rec.Body.String(), secret) != tt.expose || !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("body %s; want the error message shown: %v", rec.Body, tt.expose)
			}
		})
	}
}

// TestDetailKinds: the hidden details still say what kind of failure
// happened.
func TestDetailKinds(t *testing.T) {
	clk := newClock()
	block := make(chan struct{})
	defer close(block)
	c := newChecker(t, health.Options{Now: clk.Now, Deadline: 50 * time.Millisecond},
		health.Check{Name: "timeout", Timeout: time.Millisecond, Check: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }},
		health.Check{Name: "panic", Check: func(context.Context) error { panic("x") }},
		health.Check{Name: "slow", Slow: time.Millisecond, Check: func(context.Context) error { clk.Advance(time.Second); return nil }},
		health.Check{Name: "deadline", Timeout: time.Hour, Check: func(context.Context) error { <-block; return nil }},
	)
	b := decode[chainSyncBody](t, serve(c.HealthHandler(), "GET", ""))
	want := []string{"timed out", "check panicked", "slower than 1ms", "no result within the probe deadline"}
	for i, w := range want {
		if b.Checks[i].Details != w {
			t.Errorf("%s details %q; want %q", b.Checks[i].Service, b.Checks[i].Details, w)
		}
	}
}

func TestRegister(t *testing.T) {
	tests := []struct{ prefix, path string }{
		{"", "/live"}, {"/", "/ready"}, {"/healthz", "/healthz/health"}, {"ops/", "/ops/live"},
	}
	for _, tt := range tests {
		t.Run(tt.prefix+tt.path, func(t *testing.T) {
			c := newChecker(t, health.Options{}, health.Func("db", ok))
			mux := http.NewServeMux()
			c.Register(mux, tt.prefix)
			srv := httptest.NewServer(mux)
			defer srv.Close()
			for _, method := range []string{"GET", "HEAD"} {
				req, _ := http.NewRequest(method, srv.URL+tt.path, nil)
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
					t.Fatalf("%s %s = %d %v", method, tt.path, resp.StatusCode, resp.Header)
				}
			}
		})
	}
}

// TestDrainingFlipsReadinessAtOnce: readiness turns 503 on the very next
// probe, even with a cached healthy result, and liveness stays 200.
func TestDrainingFlipsReadinessAtOnce(t *testing.T) {
	c := newChecker(t, health.Options{TTL: time.Hour}, health.Func("db", ok))
	if rec := serve(c.ReadyHandler(), "GET", ""); rec.Code != 200 {
		t.Fatalf("ready = %d", rec.Code)
	}
	c.SetDraining(true)
	if rec := serve(c.ReadyHandler(), "GET", ""); rec.Code != 503 || !strings.Contains(rec.Body.String(), `"draining":true`) {
		t.Fatalf("ready while draining = %d %s", rec.Code, rec.Body)
	}
	if rec := serve(c.LiveHandler(), "GET", ""); rec.Code != 200 {
		t.Fatalf("live while draining = %d", rec.Code)
	}
	c.SetDraining(false)
	if rec := serve(c.ReadyHandler(), "GET", ""); rec.Code != 200 {
		t.Fatalf("ready after draining = %d", rec.Code)
	}
}

// FuzzAccept: any Accept header gets a 200 in one of the two formats, with
// a valid JSON body.
func FuzzAccept(f *testing.F) {
	for _, s := range []string{"", "application/json", "application/health+json;q=0.9, application/json;q=0.8",
		"*/*", "application/health+json;q=1.000", ";;;", "application/json;q=0.", "\x00\xff,q=1"} {
		f.Add(s)
	}
	c := newChecker(f, health.Options{}, health.Func("db", ok))
	h := c.HealthHandler()
	f.Fuzz(func(t *testing.T, accept string) {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header["Accept"] = []string{accept}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		ct := rec.Header().Get("Content-Type")
		if rec.Code != 200 || (ct != "application/json" && ct != "application/health+json") || !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("Accept %q: %d %q %q", accept, rec.Code, ct, rec.Body)
		}
		// The order of the ranges does not matter.
		parts := strings.Split(accept, ",")
		slices.Reverse(parts)
		req.Header["Accept"] = []string{strings.Join(parts, ",")}
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if got := rec.Header().Get("Content-Type"); got != ct {
			t.Fatalf("Accept %q gives %q, reversed %q gives %q", accept, ct, req.Header["Accept"][0], got)
		}
	})
}

// FuzzDetails: whatever a check's error message holds (it may echo
// anything a dependency sent), the body stays valid JSON and carries the
// message unchanged (invalid UTF-8 replaced).
func FuzzDetails(f *testing.F) {
	for _, s := range []string{"plain", `quote " backslash \ `, "</script><b>&amp;", "nul\x00 ctl\x1f del\x7f", "\u2028\u2029", "bad \xff utf8", "é世🙂"} {
		f.Add(s, "name")
	}
	f.Fuzz(func(t *testing.T, msg, name string) {
		if name == "" {
			name = "x"
		}
		check := health.Check{Name: name, Check: func(context.Context) error { return errors.New(msg) }}
		if strings.Contains(name, ":") {
			if _, err := health.New(health.Options{}, check); !errors.Is(err, health.ErrConfig) {
				t.Fatalf("New with name %q = %v; want ErrConfig", name, err)
			}
			return
		}
		c := newChecker(t, health.Options{ExposeErrors: true}, check)
		for _, accept := range []string{"application/json", "application/health+json"} {
			rec := serve(c.HealthHandler(), "GET", accept)
			if !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("invalid JSON for %q/%q: %q", name, msg, rec.Body)
			}
			if bytesContainAny(rec.Body.Bytes(), "<>&") {
				t.Fatalf("unescaped markup in %q", rec.Body)
			}
			want, wantName := jsonRoundTrip(t, msg), jsonRoundTrip(t, name)
			if accept == "application/json" {
				b := decode[chainSyncBody](t, rec)
				if b.Checks[0].Details != want || b.Checks[0].Service != wantName {
					t.Fatalf("details %q service %q; want %q %q", b.Checks[0].Details, b.Checks[0].Service, want, name)
				}
			}
		}
	})
}

// jsonRoundTrip is what encoding/json makes of s (each invalid UTF-8 byte
// becomes U+FFFD).
func jsonRoundTrip(t *testing.T, s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var out string
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func bytesContainAny(b []byte, chars string) bool { return strings.ContainsAny(string(b), chars) }

// discard is a ResponseWriter that keeps nothing, so benchmarks measure
// the handler rather than a recorder.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

func benchHandler(b *testing.B, h http.Handler, accept string) {
	req := httptest.NewRequest("GET", "/ready", nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	h.ServeHTTP(&discard{h: http.Header{}}, req) // warm the cache
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := &discard{h: make(http.Header, 8)}
		for pb.Next() {
			h.ServeHTTP(w, req)
		}
	})
}

func benchChecker(b *testing.B) *health.Checker {
	return newChecker(b, health.Options{TTL: time.Hour},
		health.Check{Name: "postgres", Critical: true, Check: ok},
		health.Check{Name: "redis", Critical: true, Check: ok},
		health.Check{Name: "payments", Check: ok})
}

// BenchmarkReadyCached is a readiness probe answered from cached results.
func BenchmarkReadyCached(b *testing.B) {
	c := benchChecker(b)
	b.Run("chainsync", func(b *testing.B) { benchHandler(b, c.ReadyHandler(), "") })
	b.Run("health+json", func(b *testing.B) { benchHandler(b, c.ReadyHandler(), "application/health+json") })
}

// BenchmarkHealthCached is a detailed health request answered from cached
// results.
func BenchmarkHealthCached(b *testing.B) {
	c := benchChecker(b)
	benchHandler(b, c.HealthHandler(), "")
}

// BenchmarkReadyUncached is a readiness probe that finds every result
// stale and runs the three (instant) checks.
func BenchmarkReadyUncached(b *testing.B) {
	c := newChecker(b, health.Options{TTL: time.Nanosecond},
		health.Check{Name: "postgres", Critical: true, Check: ok},
		health.Check{Name: "redis", Critical: true, Check: ok},
		health.Check{Name: "payments", Check: ok})
	benchHandler(b, c.ReadyHandler(), "")
}

// BenchmarkLive is a liveness probe.
func BenchmarkLive(b *testing.B) {
	c := benchChecker(b)
	benchHandler(b, c.LiveHandler(), "")
}

// TestVaryKeepsOtherValues: a middleware in front (CORS sets Vary: Origin
// before the handler runs) keeps its Vary value; Accept is added once,
// and the shared header value is never changed.
func TestVaryKeepsOtherValues(t *testing.T) {
	c := newChecker(t, health.Options{}, health.Func("db", ok))
	tests := []struct {
		name  string
		added []string
		want  []string
	}{
		{"none", nil, []string{"Accept"}},
		{"origin", []string{"Origin"}, []string{"Origin", "Accept"}},
		{"list with accept", []string{"Origin, accept"}, []string{"Origin, accept"}},
		{"star", []string{"*"}, []string{"*"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, h := range []http.Handler{c.LiveHandler(), c.ReadyHandler(), c.HealthHandler()} {
				wrapped := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					for _, v := range tt.added {
						w.Header().Add("Vary", v)
					}
					h.ServeHTTP(w, r)
				})
				rec := serve(wrapped, "GET", "")
				if got := rec.Header().Values("Vary"); strings.Join(got, "|") != strings.Join(tt.want, "|") {
					t.Fatalf("Vary = %q; want %q", got, tt.want)
				}
				if got := serve(h, "GET", "").Header().Values("Vary"); len(got) != 1 || got[0] != "Accept" {
					t.Fatalf("plain Vary after a wrapped request = %q; want [Accept]", got)
				}
			}
		})
	}
}

// TestDrainingReadyRunsNoCheck: while draining, readiness answers 503 at
// once without touching a dependency (which may be shutting down too);
// the detailed health still runs the checks.
func TestDrainingReadyRunsNoCheck(t *testing.T) {
	var runs atomic.Int32
	c := newChecker(t, health.Options{TTL: time.Nanosecond}, health.Func("db", func(context.Context) error { runs.Add(1); return nil }))
	c.SetDraining(true)
	for _, accept := range []string{"application/json", "application/health+json"} {
		if rec := serve(c.ReadyHandler(), "GET", accept); rec.Code != 503 || !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("ready while draining = %d %s", rec.Code, rec.Body)
		}
	}
	if n := runs.Load(); n != 0 {
		t.Fatalf("readiness while draining ran the check %d times; want 0", n)
	}
	if rec := serve(c.HealthHandler(), "GET", ""); rec.Code != 503 || runs.Load() != 1 {
		t.Fatalf("health while draining = %d after %d runs; want 503 after 1", rec.Code, runs.Load())
	}
}
