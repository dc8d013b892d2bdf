package middleware_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/chainsync/middleware"
)

// ExampleChain composes middleware outermost first.
func ExampleChain() {
	logged := func(name string) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Println("enter", name)
				next.ServeHTTP(w, r)
			})
		}
	}
	stack := middleware.Chain(logged("cors"), logged("headers"), logged("auth"))
	h := stack(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("handler")
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/transactions", nil))
	// Output:
	// enter cors
	// enter headers
	// enter auth
	// handler
}
