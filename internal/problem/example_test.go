package problem_test

import (
	"fmt"
	"net/http/httptest"

	"github.com/chainsync/middleware/internal/problem"
)

func ExampleWrite() {
	rec := httptest.NewRecorder()
	problem.Write(rec, httptest.NewRequest("GET", "/", nil),
		problem.New(429, "Too many requests", problem.Member{Name: "retryAfter", Value: 42}))
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Println(rec.Body)
	// Output:
	// 429 application/problem+json
	// {"type":"about:blank","title":"Too Many Requests","status":429,"error":"Too many requests","retryAfter":42}
}
