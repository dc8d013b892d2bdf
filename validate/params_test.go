package validate_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chainsync/middleware/validate"
)

func TestParams(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /customers/{id}/transactions/{n}", func(w http.ResponseWriter, r *http.Request) {
		p := validate.NewParams(r)
		id := p.Path("id").Required().UUID().Value()
		n := p.PathInt("n").Min(1).Value()
		limit := p.QueryInt("limit").Default(20).Min(1).Max(100).Value()
		page := p.QueryInt("page").Required().Min(1).Value()
		status := p.Query("status").Default("open").OneOf("open", "closed").Value()
		if err := p.Err(); err != nil {
			validate.WriteError(w, r, err)
			return
		}
		fmt.Fprint(w, id, " ", n, " ", limit, " ", page, " ", status)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	const base = "/customers/" + customer + "/transactions/"
	details := func(d string) string {
		return `{"type":"about:blank","title":"Bad Request","status":400,"error":"Validation failed","details":[` + d + `]}`
	}
	tests := []struct {
		name, target string
		status       int
		want         string
	}{
		{"defaults", base + "3?page=1", 200, customer + " 3 20 1 open"},
		{"all given", base + "3?page=2&limit=100&status=closed", 200, customer + " 3 100 2 closed"},
		{"first value counts", base + "3?page=2&limit=5&limit=500", 200, customer + " 3 5 2 open"},
		{"limit too high", base + "3?page=1&limit=101", 400, details(`{"field":"limit","code":"max","message":"must be at most 100"}`)},
		{"limit zero", base + "3?page=1&limit=0", 400, details(`{"field":"limit","code":"min","message":"must be at least 1"}`)},
		{"limit not an int", base + "3?page=1&limit=ten", 400, details(`{"field":"limit","code":"type","message":"must be an integer"}`)},
		{"limit with plus", base + "3?page=1&limit=%2B5", 400, details(`{"field":"limit","code":"type","message":"must be an integer"}`)},
		{"limit fraction", base + "3?page=1&limit=1.5", 400, details(`{"field":"limit","code":"type","message":"must be an integer"}`)},
		{"limit huge", base + "3?page=1&limit=99999999999999999999", 400, details(`{"field":"limit","code":"type","message":"must be an integer"}`)},
		{"page missing", base + "3", 400, details(`{"field":"page","code":"required","message":"is required"}`)},
		{"status not allowed", base + "3?page=1&status=%3Cscript%3E", 400, details(`{"field":"status","code":"one_of","message":"must be one of: open, closed"}`)},
		{"bad id and n", "/customers/42/transactions/x?page=1", 400, details(
			`{"field":"id","code":"uuid","message":"must be a UUID"},{"field":"n","code":"type","message":"must be an integer"}`)},
		{"invalid UTF-8 in the query", base + "3?page=1&status=%ff", 400, details(`{"field":"status","code":"invalid_utf8","message":"must be valid UTF-8"}`)},
		{"invalid UTF-8 in the path", "/customers/%ff%fe/transactions/3?page=1", 400, details(`{"field":"id","code":"invalid_utf8","message":"must be valid UTF-8"}`)},
		{"malformed query", base + "3?page=1&x=%zz", 400, details(
			`{"field":"","code":"type","message":"query string is malformed"},{"field":"page","code":"required","message":"is required"}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := http.Get(srv.URL + tt.target)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			got, _ := io.ReadAll(res.Body)
			if res.StatusCode != tt.status || string(got) != tt.want {
				t.Fatalf("%d %s\nwant %d %s", res.StatusCode, got, tt.status, tt.want)
			}
		})
	}
}

func TestParamsWithoutPattern(t *testing.T) {
	// A request not routed by a pattern has no path values: they are absent.
	p := validate.NewParams(httptest.NewRequest("GET", "/x?q=1", nil))
	if n := p.PathInt("id").Default(7).Value(); n != 7 {
		t.Fatalf("PathInt default = %d", n)
	}
	p.Path("slug").Required()
	if err := p.Err(); err == nil || err.Error() != "validate: slug: is required" {
		t.Fatalf("err = %v", err)
	}
}
