package middleware_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chainsync/middleware"
)

// tag returns middleware that records its name on the way in and out.
func tag(log *[]string, name string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			*log = append(*log, name+">")
			next.ServeHTTP(w, r)
			*log = append(*log, "<"+name)
		})
	}
}

func TestChainOrder(t *testing.T) {
	var log []string
	h := middleware.Chain(tag(&log, "a"), nil, tag(&log, "b"), tag(&log, "c"))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		log = append(log, "handler")
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if got, want := strings.Join(log, " "), "a> b> c> handler <c <b <a"; got != want {
		t.Fatalf("order = %q; want %q", got, want)
	}
}

func TestChainEmpty(t *testing.T) {
	called := false
	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true })
	middleware.Chain()(h).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if !called {
		t.Fatal("handler not called")
	}
}

func TestChainCopiesSlice(t *testing.T) {
	var log []string
	mws := []func(http.Handler) http.Handler{tag(&log, "a")}
	chain := middleware.Chain(mws...)
	mws[0] = tag(&log, "z")
	chain(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if got := strings.Join(log, " "); got != "a> <a" {
		t.Fatalf("Chain used the caller's modified slice: %q", got)
	}
}

// TestChainRealServer runs a chain behind a real listener.
func TestChainRealServer(t *testing.T) {
	header := func(k, v string) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Add(k, v)
				next.ServeHTTP(w, r)
			})
		}
	}
	srv := httptest.NewServer(middleware.Chain(header("X-Order", "1"), header("X-Order", "2"))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	})))
	defer srv.Close()
	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if got := strings.Join(res.Header.Values("X-Order"), ","); got != "1,2" || string(body) != "ok" {
		t.Fatalf("X-Order = %q, body %q", got, body)
	}
}

func BenchmarkChain(b *testing.B) {
	noop := func(next http.Handler) http.Handler { return next }
	h := middleware.Chain(noop, noop, noop)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	w, r := httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil)
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
}
