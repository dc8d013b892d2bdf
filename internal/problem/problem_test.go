package problem_test

import (
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/chainsync/middleware/internal/problem"
)

func TestMarshal(t *testing.T) {
	tests := []struct {
		name string
		p    problem.Problem
		want string
	}{
		{"defaults", problem.Problem{}, `{"type":"about:blank","title":"Internal Server Error","status":500,"error":"Internal Server Error"}`},
		{"rate limit", problem.New(429, "Too many requests", problem.Member{Name: "retryAfter", Value: 42}),
			`{"type":"about:blank","title":"Too Many Requests","status":429,"error":"Too many requests","retryAfter":42}`},
		{"all members", problem.Problem{Type: "https://chainsync.example/probs/x", Title: "T", Status: 400, Detail: "d", Instance: "/i", Error: "e",
			Extensions: []problem.Member{{Name: "details", Value: []string{"a"}}, {Name: "z", Value: true}}},
			`{"type":"https://chainsync.example/probs/x","title":"T","status":400,"detail":"d","instance":"/i","error":"e","details":["a"],"z":true}`},
		{"standard names not overridden", problem.Problem{Status: 403, Extensions: []problem.Member{{Name: "status", Value: 200}, {Name: "error", Value: "x"}, {Name: "", Value: 1}}},
			`{"type":"about:blank","title":"Forbidden","status":403,"error":"Forbidden"}`},
		{"unknown status", problem.Problem{Status: 599}, `{"type":"about:blank","title":"Status 599","status":599,"error":"Status 599"}`},
		{"html escaped", problem.Problem{Status: 400, Detail: `<script>alert("x")</script>&`},
			`{"type":"about:blank","title":"Bad Request","status":400,"detail":"\u003cscript\u003ealert(\"x\")\u003c/script\u003e\u0026","error":"Bad Request"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.p)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestWrite(t *testing.T) {
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		t.Run(method, func(t *testing.T) {
			rec := httptest.NewRecorder()
			rec.Header().Set("Retry-After", "3")
			problem.Write(rec, httptest.NewRequest(method, "/", nil), problem.New(429, "Too many requests"))
			res := rec.Result()
			if res.StatusCode != 429 {
				t.Fatalf("status %d", res.StatusCode)
			}
			for k, v := range map[string]string{"Content-Type": problem.ContentType, "Retry-After": "3", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"} {
				if got := res.Header.Get(k); got != v {
					t.Errorf("%s = %q; want %q", k, got, v)
				}
			}
			body := rec.Body.String()
			if method == http.MethodHead {
				if body != "" {
					t.Fatalf("HEAD got a body: %q", body)
				}
				return
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(body), &m); err != nil {
				t.Fatal(err)
			}
			if m["error"] != "Too many requests" || m["status"] != float64(429) {
				t.Fatalf("body %s", body)
			}
			if res.Header.Get("Content-Length") != "" && res.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
				t.Fatalf("Content-Length %s for %d bytes", res.Header.Get("Content-Length"), len(body))
			}
		})
	}
}

func TestWriteUnencodableExtension(t *testing.T) {
	rec := httptest.NewRecorder()
	problem.Write(rec, httptest.NewRequest("GET", "/", nil), problem.New(400, "bad", problem.Member{Name: "x", Value: math.NaN()}))
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), `"error":"bad"`) || strings.Contains(rec.Body.String(), `"x"`) {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

func FuzzMarshal(f *testing.F) {
	f.Add("detail", "err", "name")
	f.Add("<b>\xff", "\u2028", "")
	f.Fuzz(func(t *testing.T, detail, msg, name string) {
		b, err := json.Marshal(problem.Problem{Status: 400, Detail: detail, Error: msg, Extensions: []problem.Member{{Name: name, Value: detail}}})
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("invalid JSON %q: %v", b, err)
		}
		if strings.ContainsAny(string(b), "<>") {
			t.Fatalf("unescaped markup in %q", b)
		}
	})
}
