package ratelimit_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chainsync/middleware/ratelimit"
)

var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

type fixture struct {
	clock *clock
	store *ratelimit.MemoryStore
	l     *ratelimit.Limiter
	h     http.Handler
}

func setup(t *testing.T, key ratelimit.KeyFunc, policies []ratelimit.Policy, o ratelimit.Options) *fixture {
	t.Helper()
	c := newClock()
	s := newMemory(t, ratelimit.MemoryOptions{Now: c.Now})
	if o.Logger == nil {
		o.Logger = quiet()
	}
	l, err := ratelimit.New(s, key, policies, o)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{clock: c, store: s, l: l, h: l.Handler(ok)}
}

func (f *fixture) do(t *testing.T, method, remote string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, "/things", nil)
	req.RemoteAddr = remote
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec
}

func TestHeaders(t *testing.T) {
	tests := []struct {
		name       string
		policies   []ratelimit.Policy
		wantPolicy string
		wantLimit  string
	}{
		{"api", []ratelimit.Policy{ratelimit.API()}, `"api";q=60;w=60`, `"api";r=59;t=1`},
		{"general", []ratelimit.Policy{ratelimit.General()}, `"general";q=100;w=900`, `"general";r=99;t=9`},
		{"auth", []ratelimit.Policy{ratelimit.Auth()}, `"auth";q=5;w=900`, `"auth";r=4;t=180`},
		{"admin", []ratelimit.Policy{ratelimit.Admin()}, `"admin";q=20;w=60`, `"admin";r=19;t=3`},
		{"general and api", []ratelimit.Policy{ratelimit.General(), ratelimit.API()}, `"general";q=100;w=900, "api";q=60;w=60`, `"general";r=99;t=9, "api";r=59;t=1`},
		{"sub-second period scaled", []ratelimit.Policy{{Name: "fast", Limit: 10, Period: 500 * time.Millisecond}}, `"fast";q=20;w=1`, `"fast";r=9;t=1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, nil, tt.policies, ratelimit.Options{})
			rec := f.do(t, "GET", "203.0.113.7:1234")
			if rec.Code != http.StatusNoContent {
				t.Fatalf("status %d", rec.Code)
			}
			if got := rec.Header().Get("RateLimit-Policy"); got != tt.wantPolicy {
				t.Errorf("RateLimit-Policy = %q, want %q", got, tt.wantPolicy)
			}
			if got := rec.Header().Get("RateLimit"); got != tt.wantLimit {
				t.Errorf("RateLimit = %q, want %q", got, tt.wantLimit)
			}
			for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"} {
				if v := rec.Header().Get(h); v != "" {
					t.Errorf("%s = %q on an allowed request with default options", h, v)
				}
			}
		})
	}
}

func TestRateLimitTIsTimeUntilMoreQuota(t *testing.T) {
	f := setup(t, nil, []ratelimit.Policy{ratelimit.General()}, ratelimit.Options{}) // one per 9s
	for i := 0; i < 3; i++ {
		f.do(t, "GET", "203.0.113.7:1")
	}
	f.clock.Advance(4 * time.Second)
	// 4 used with this one; 4s of the 9s for the next unit passed, so it comes in 5s.
	if got := f.do(t, "GET", "203.0.113.7:1").Header().Get("RateLimit"); got != `"general";r=96;t=5` {
		t.Fatalf("RateLimit = %q", got)
	}
}

type problemBody struct {
	Type       string   `json:"type"`
	Title      string   `json:"title"`
	Status     int      `json:"status"`
	Error      string   `json:"error"`
	RetryAfter int64    `json:"retryAfter"`
	Policies   []string `json:"policies"`
}

func decode(t *testing.T, rec *httptest.ResponseRecorder) problemBody {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q", ct)
	}
	var b problemBody
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
	return b
}

func TestTooManyRequests(t *testing.T) {
	f := setup(t, nil, []ratelimit.Policy{ratelimit.Auth()}, ratelimit.Options{})
	for i := 0; i < 5; i++ {
		if rec := f.do(t, "POST", "203.0.113.7:1"); rec.Code != http.StatusNoContent {
			t.Fatalf("attempt %d: %d", i+1, rec.Code)
		}
	}
	rec := f.do(t, "POST", "203.0.113.7:1")
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("6th attempt: %d", rec.Code)
	}
	b := decode(t, rec)
	if b.Status != 429 || b.Error != "Too many requests" || b.RetryAfter != 180 || len(b.Policies) != 1 || b.Policies[0] != "auth" || b.Title != "Too Many Requests" {
		t.Fatalf("body %+v", b)
	}
	if got := rec.Header().Get("Retry-After"); got != "180" {
		t.Fatalf("Retry-After %q, want 180", got)
	}
	if got := rec.Header().Get("RateLimit"); got != `"auth";r=0;t=180` {
		t.Fatalf("RateLimit %q", got)
	}
	// Another client is not affected.
	if rec := f.do(t, "POST", "198.51.100.1:1"); rec.Code != http.StatusNoContent {
		t.Fatalf("other client: %d", rec.Code)
	}
	// HEAD gets the status and headers, no body.
	if rec := f.do(t, "HEAD", "203.0.113.7:1"); rec.Code != 429 || rec.Body.Len() != 0 || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("HEAD: %d, body %q", rec.Code, rec.Body)
	}
	if st := f.l.Stats(); st.Allowed != 6 || st.Limited != 2 || st.StoreErrors != 0 {
		t.Fatalf("Stats %+v", st)
	}
}

func TestRetryAfterRoundsUp(t *testing.T) {
	f := setup(t, nil, []ratelimit.Policy{ratelimit.Admin()}, ratelimit.Options{}) // one per 3s
	for i := 0; i < 20; i++ {
		f.do(t, "GET", "203.0.113.7:1")
	}
	f.clock.Advance(500 * time.Millisecond) // 2.5s to go
	rec := f.do(t, "GET", "203.0.113.7:1")
	if rec.Code != 429 || rec.Header().Get("Retry-After") != "3" || decode(t, rec).RetryAfter != 3 {
		t.Fatalf("status %d Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	// Waiting exactly what Retry-After said admits the request.
	f.clock.Advance(3 * time.Second)
	if rec := f.do(t, "GET", "203.0.113.7:1"); rec.Code != http.StatusNoContent {
		t.Fatalf("after waiting Retry-After: %d", rec.Code)
	}
}

func TestPoliciesInOrder(t *testing.T) {
	outer := ratelimit.Policy{Name: "outer", Limit: 2, Period: time.Hour}
	inner := ratelimit.Policy{Name: "inner", Limit: 5, Period: time.Hour}
	f := setup(t, nil, []ratelimit.Policy{outer, inner}, ratelimit.Options{})
	f.do(t, "GET", "203.0.113.7:1")
	f.do(t, "GET", "203.0.113.7:1")
	rec := f.do(t, "GET", "203.0.113.7:1")
	if rec.Code != 429 {
		t.Fatalf("3rd request: %d", rec.Code)
	}
	if b := decode(t, rec); len(b.Policies) != 1 || b.Policies[0] != "outer" {
		t.Fatalf("policies %v", b.Policies)
	}
	// Headers report only the checked policy.
	if got := rec.Header().Get("RateLimit-Policy"); got != `"outer";q=2;w=3600` {
		t.Fatalf("RateLimit-Policy %q", got)
	}
	// The inner policy was not charged by the denied request.
	r, err := f.store.Take(context.Background(), "ip:203.0.113.7", inner, 0)
	if err != nil || r.Remaining != 3 {
		t.Fatalf("inner remaining %d, %v; want 3", r.Remaining, err)
	}
	// The inner policy denying: the outer one was charged before it.
	g := setup(t, nil, []ratelimit.Policy{inner, outer}, ratelimit.Options{})
	for i := 0; i < 2; i++ {
		g.do(t, "GET", "203.0.113.7:1")
	}
	rec = g.do(t, "GET", "203.0.113.7:1")
	if b := decode(t, rec); len(b.Policies) != 1 || b.Policies[0] != "outer" {
		t.Fatalf("policies %v", b.Policies)
	}
	if got := rec.Header().Get("RateLimit"); got != `"inner";r=2;t=720, "outer";r=0;t=1800` {
		t.Fatalf("RateLimit %q", got)
	}
}

func TestOptions(t *testing.T) {
	p := []ratelimit.Policy{{Name: "tiny", Limit: 1, Period: time.Minute}}
	t.Run("legacy headers", func(t *testing.T) {
		c := newClock()
		f := setup(t, nil, []ratelimit.Policy{ratelimit.General(), ratelimit.API()}, ratelimit.Options{LegacyHeaders: true, Now: c.Now})
		rec := f.do(t, "GET", "203.0.113.7:1")
		h := rec.Header()
		// API is the most constrained (59 left); full again in 1s.
		wantReset := strconv.FormatInt(c.Now().Unix()+1, 10)
		if h.Get("X-RateLimit-Limit") != "60" || h.Get("X-RateLimit-Remaining") != "59" || h.Get("X-RateLimit-Reset") != wantReset || h.Get("RateLimit") == "" {
			t.Fatalf("headers %v, want reset %s", h, wantReset)
		}
	})
	t.Run("headers disabled", func(t *testing.T) {
		f := setup(t, nil, p, ratelimit.Options{DisableHeaders: true})
		f.do(t, "GET", "203.0.113.7:1")
		rec := f.do(t, "GET", "203.0.113.7:1")
		if rec.Header().Get("RateLimit") != "" || rec.Header().Get("RateLimit-Policy") != "" || rec.Header().Get("Retry-After") != "60" {
			t.Fatalf("headers %v", rec.Header())
		}
	})
	t.Run("skip", func(t *testing.T) {
		f := setup(t, nil, p, ratelimit.Options{Skip: func(r *http.Request) bool { return r.Header.Get("X-Probe") == "1" }})
		for i := 0; i < 3; i++ {
			if rec := f.do(t, "GET", "203.0.113.7:1", "X-Probe", "1"); rec.Code != http.StatusNoContent || rec.Header().Get("RateLimit") != "" {
				t.Fatalf("skipped request %d: %d %v", i, rec.Code, rec.Header())
			}
		}
		if rec := f.do(t, "GET", "203.0.113.7:1"); rec.Code != http.StatusNoContent {
			t.Fatalf("skipped requests were counted: %d", rec.Code)
		}
	})
	t.Run("cost", func(t *testing.T) {
		f := setup(t, nil, []ratelimit.Policy{{Name: "w", Limit: 10, Period: time.Hour}}, ratelimit.Options{Cost: func(r *http.Request) int64 {
			if r.Method == http.MethodPost {
				return 4
			}
			return -5 // counts as 1
		}})
		if got := f.do(t, "POST", "203.0.113.7:1").Header().Get("RateLimit"); got != `"w";r=6;t=360` {
			t.Fatalf("after cost 4: %q", got)
		}
		if got := f.do(t, "GET", "203.0.113.7:1").Header().Get("RateLimit"); !strings.HasPrefix(got, `"w";r=5;`) {
			t.Fatalf("after cost 1: %q", got)
		}
	})
	t.Run("cost above burst", func(t *testing.T) {
		f := setup(t, nil, p, ratelimit.Options{Cost: func(*http.Request) int64 { return 2 }})
		if rec := f.do(t, "GET", "203.0.113.7:1"); rec.Code != 429 {
			t.Fatalf("cost above the burst: %d", rec.Code)
		}
	})
	t.Run("error handler and hook", func(t *testing.T) {
		var hooked ratelimit.Decision
		var got error
		f := setup(t, nil, p, ratelimit.Options{
			OnLimited: func(r *http.Request, d ratelimit.Decision) { hooked = d },
			ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
				got = err
				http.Error(w, "slow down", http.StatusTeapot)
			},
		})
		f.do(t, "GET", "203.0.113.7:1")
		rec := f.do(t, "GET", "203.0.113.7:1")
		if rec.Code != http.StatusTeapot {
			t.Fatalf("status %d", rec.Code)
		}
		var le *ratelimit.LimitedError
		if !errors.Is(got, ratelimit.ErrLimited) || !errors.As(got, &le) || le.Decision.RetryAfter() != time.Minute {
			t.Fatalf("ErrorHandler got %v", got)
		}
		if hooked.Allowed || len(hooked.Policies) != 1 || hooked.Policies[0].Name != "tiny" || hooked.RetryAfter() != time.Minute {
			t.Fatalf("OnLimited got %+v", hooked)
		}
		if rec.Header().Get("Retry-After") != "60" {
			t.Fatal("Retry-After not set before the ErrorHandler")
		}
	})
}

func TestStoreFailure(t *testing.T) {
	// A closed memory store fails every call, as a dead backend does.
	broken := func(t *testing.T) *ratelimit.MemoryStore {
		s := newMemory(t, ratelimit.MemoryOptions{})
		s.Close()
		return s
	}
	t.Run("fail open by default", func(t *testing.T) {
		l := ratelimit.Must(broken(t), nil, []ratelimit.Policy{ratelimit.API()}, ratelimit.Options{Logger: quiet()})
		rec := httptest.NewRecorder()
		l.Handler(ok).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if rec.Code != http.StatusNoContent || rec.Header().Get("RateLimit") != "" {
			t.Fatalf("status %d headers %v", rec.Code, rec.Header())
		}
		if st := l.Stats(); st.StoreErrors != 1 || st.Allowed != 1 {
			t.Fatalf("Stats %+v", st)
		}
	})
	t.Run("fail closed", func(t *testing.T) {
		var got error
		var logged strings.Builder
		l := ratelimit.Must(broken(t), nil, []ratelimit.Policy{ratelimit.API()}, ratelimit.Options{FailClosed: true, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
		rec := httptest.NewRecorder()
		l.Handler(ok).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("status %d", rec.Code)
		}
		if b := decode(t, rec); b.Status != 503 || b.Error == "" {
			t.Fatalf("body %+v", b)
		}
		if !strings.Contains(logged.String(), "fail closed") {
			t.Fatalf("nothing logged: %q", logged.String())
		}
		l = ratelimit.Must(broken(t), nil, []ratelimit.Policy{ratelimit.API()}, ratelimit.Options{FailClosed: true, Logger: quiet(),
			ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) { got = err; w.WriteHeader(599) }})
		rec = httptest.NewRecorder()
		l.Handler(ok).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if rec.Code != 599 || !errors.Is(got, ratelimit.ErrStoreUnavailable) || !errors.Is(got, ratelimit.ErrClosed) {
			t.Fatalf("ErrorHandler got %v (status %d)", got, rec.Code)
		}
	})
}

func TestNewErrors(t *testing.T) {
	s := newMemory(t, ratelimit.MemoryOptions{})
	api := []ratelimit.Policy{ratelimit.API()}
	tests := []struct {
		name     string
		store    ratelimit.Store
		policies []ratelimit.Policy
		o        ratelimit.Options
	}{
		{"nil store", nil, api, ratelimit.Options{}},
		{"no policies", s, nil, ratelimit.Options{}},
		{"invalid policy", s, []ratelimit.Policy{{Name: "x"}}, ratelimit.Options{}},
		{"duplicate names", s, []ratelimit.Policy{ratelimit.API(), ratelimit.API()}, ratelimit.Options{}},
		{"too many policies", s, make([]ratelimit.Policy, ratelimit.MaxPolicies+1), ratelimit.Options{}},
		{"negative timeout", s, api, ratelimit.Options{Timeout: -1}},
		{"bad IPv6 bits", s, api, ratelimit.Options{IPv6PrefixBits: 129}},
		{"bad header", s, api, ratelimit.Options{ForwardedHeader: "X Bad"}},
		{"bad trusted proxy", s, api, ratelimit.Options{TrustedProxies: []netip.Prefix{{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ratelimit.New(tt.store, nil, tt.policies, tt.o); err == nil {
				t.Fatal("New accepted it")
			}
		})
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Must did not panic")
		}
	}()
	ratelimit.Must(nil, nil, api, ratelimit.Options{})
}

func TestLimiterTake(t *testing.T) {
	s := newMemory(t, ratelimit.MemoryOptions{})
	l := ratelimit.Must(s, nil, []ratelimit.Policy{ratelimit.Auth()}, ratelimit.Options{})
	for i := 0; i < 5; i++ {
		d, err := l.Take(context.Background(), "user:42", 1)
		if err != nil || !d.Allowed || d.Results[0].Remaining != int64(4-i) {
			t.Fatalf("Take %d = %+v, %v", i, d, err)
		}
	}
	d, err := l.Take(context.Background(), "user:42", 1)
	if err != nil || d.Allowed || d.RetryAfter() <= 0 {
		t.Fatalf("6th Take = %+v, %v", d, err)
	}
	s.Close()
	if _, err := l.Take(context.Background(), "user:42", 1); !errors.Is(err, ratelimit.ErrStoreUnavailable) {
		t.Fatalf("Take on a closed store: %v", err)
	}
	if got := l.Policies(); len(got) != 1 || got[0] != ratelimit.Auth() {
		t.Fatalf("Policies() = %v", got)
	}
}

// TestRetryAfterCoversEarlierPolicies: a policy checked before the denying
// one was charged and may have run out too; Retry-After must cover it, or a
// client that waits exactly Retry-After is denied again.
func TestRetryAfterCoversEarlierPolicies(t *testing.T) {
	hourly := ratelimit.Policy{Name: "hourly", Limit: 2, Period: time.Hour} // one unit per 30 min
	minute := ratelimit.Policy{Name: "minute", Limit: 1, Period: time.Minute}
	var hooked ratelimit.Decision
	f := setup(t, nil, []ratelimit.Policy{hourly, minute}, ratelimit.Options{OnLimited: func(_ *http.Request, d ratelimit.Decision) { hooked = d }})
	f.do(t, "GET", "203.0.113.7:1")
	// The second request takes hourly's last unit, then minute denies it
	// (its own wait: 60s); hourly's next unit comes 30 minutes after the first.
	rec := f.do(t, "GET", "203.0.113.7:1")
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("second request: %d", rec.Code)
	}
	if got := rec.Header().Get("Retry-After"); got != "1800" {
		t.Fatalf("Retry-After = %q, want 1800 (hourly ran out as well)", got)
	}
	if b := decode(t, rec); b.RetryAfter != 1800 || len(b.Policies) != 1 || b.Policies[0] != "minute" {
		t.Fatalf("body %+v", b)
	}
	if hooked.RetryAfter() != 30*time.Minute {
		t.Fatalf("Decision.RetryAfter() = %s, want 30m", hooked.RetryAfter())
	}
	if got := rec.Header().Get("RateLimit"); got != `"hourly";r=0;t=1800, "minute";r=0;t=60` {
		t.Fatalf("RateLimit = %q", got)
	}
	// Waiting exactly Retry-After admits the request.
	f.clock.Advance(1800 * time.Second)
	if rec := f.do(t, "GET", "203.0.113.7:1"); rec.Code != http.StatusNoContent {
		t.Fatalf("after waiting Retry-After: %d", rec.Code)
	}
}

// overReporting is a faulty third-party MultiStore: it decides with a
// memory store and then reports one result too many.
type overReporting struct{ *ratelimit.MemoryStore }

func (s overReporting) TakeAll(ctx context.Context, key string, ps []ratelimit.Policy, cost int64, dst []ratelimit.Result) ([]ratelimit.Result, error) {
	out, err := s.MemoryStore.TakeAll(ctx, key, ps, cost, dst)
	return append(out, ratelimit.Result{Allowed: true}), err
}

func TestFaultyMultiStoreIsAStoreError(t *testing.T) {
	s := overReporting{newMemory(t, ratelimit.MemoryOptions{})}
	l := ratelimit.Must(s, nil, []ratelimit.Policy{ratelimit.API()}, ratelimit.Options{Logger: quiet(), FailClosed: true})
	rec := httptest.NewRecorder()
	l.Handler(ok).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil)) // must not panic
	if rec.Code != http.StatusServiceUnavailable || l.Stats().StoreErrors != 1 {
		t.Fatalf("status %d, Stats %+v; want 503 and one store error", rec.Code, l.Stats())
	}
}

func TestFailOpenCountsAllAndLogsOnceASecond(t *testing.T) {
	s := newMemory(t, ratelimit.MemoryOptions{})
	s.Close()
	c := newClock()
	var logged strings.Builder
	l := ratelimit.Must(s, nil, []ratelimit.Policy{ratelimit.API()}, ratelimit.Options{Now: c.Now, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	serve := func() {
		rec := httptest.NewRecorder()
		l.Handler(ok).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if rec.Code != http.StatusNoContent {
			t.Fatalf("fail open answered %d", rec.Code)
		}
	}
	for i := 0; i < 10; i++ {
		serve()
	}
	c.Advance(time.Second)
	serve()
	if st := l.Stats(); st.StoreErrors != 11 || st.Allowed != 11 {
		t.Fatalf("Stats %+v, want 11 store errors, 11 served", st)
	}
	lines := strings.Count(logged.String(), "fail open")
	if lines != 2 || !strings.Contains(logged.String(), "store_errors=11") {
		t.Fatalf("logged %d lines, want 2 (one a second) with the count:\n%s", lines, logged.String())
	}
}

func TestCostAboveABurstIsLogged(t *testing.T) {
	// The second policy's burst is large, the first's is not: a cost of 5
	// can never pass the first, which is a misconfiguration to report.
	var logged strings.Builder
	small := ratelimit.Policy{Name: "small", Limit: 2, Period: time.Minute}
	large := ratelimit.Policy{Name: "large", Limit: 100, Period: time.Minute}
	f := setup(t, nil, []ratelimit.Policy{small, large}, ratelimit.Options{
		Cost:   func(*http.Request) int64 { return 5 },
		Logger: slog.New(slog.NewTextHandler(&logged, nil)),
	})
	if rec := f.do(t, "GET", "203.0.113.7:1"); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("cost 5 over a burst of 2: %d", rec.Code)
	}
	if !strings.Contains(logged.String(), "exceeds the burst") || !strings.Contains(logged.String(), "policy=small") {
		t.Fatalf("not logged: %q", logged.String())
	}
}
