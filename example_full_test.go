package middleware_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"

	"github.com/chainsync/middleware"
	"github.com/chainsync/middleware/auth"
	"github.com/chainsync/middleware/health"
	"github.com/chainsync/middleware/ratelimit"
	"github.com/chainsync/middleware/secure"
	"github.com/chainsync/middleware/validate"
)

// Transaction is the body of POST /transactions.
type Transaction struct {
	Amount     validate.Money `json:"amount"`
	CustomerID string         `json:"customerId"`
}

// Validate checks the domain rules; validate.JSON calls it after decoding.
func (t Transaction) Validate() error {
	var v validate.Collector
	v.Field("amount").Money(t.Amount).Min(1) // at least 0.01
	v.Field("customerId").String(t.CustomerID).Required().UUID()
	return v.Err()
}

// Example wires a whole ChainSync API stack from the packages of this
// module, all on in-memory stores: CORS outermost (so even rejections carry
// the CORS headers a browser needs), security headers, rate limiting per
// client IP, bearer authentication with RBAC, then strict JSON validation.
func Example() {
	// Authentication: HS256 access tokens signed with JWT_SECRET.
	keys, err := auth.NewHS256KeyRing([]byte("example-jwt-secret-of-32-bytes!!"))
	if err != nil {
		panic(err)
	}
	authn, err := auth.New(auth.Options{
		Keys: keys, RefreshKey: []byte("example-refresh-secret-32-bytes!"),
		Issuer: "chainsync", Audience: "chainsync-api", SessionCheck: true,
	})
	if err != nil {
		panic(err)
	}
	bearer := authn.MustMiddleware(auth.MiddlewareOptions{Realm: "chainsync"})

	// Rate limiting: ChainSync's API policy, 60 a minute per client IP.
	store := ratelimit.MustMemoryStore(ratelimit.MemoryOptions{})
	defer store.Close()
	limiter := ratelimit.Must(store, nil, []ratelimit.Policy{ratelimit.API()}, ratelimit.Options{})

	cors := secure.MustCORS(secure.CORSOptions{
		AllowedOrigins:   []string{"http://localhost:3000"},
		AllowCredentials: true,
		AllowedMethods:   []string{"GET", "POST", "PUT", "DELETE", "PATCH"},
		AllowedHeaders:   []string{"Content-Type", "Authorization", "X-CSRF-Token"},
		ExposedHeaders:   []string{"RateLimit", "RateLimit-Policy", "Retry-After", "X-Request-ID"},
	})
	headers := secure.MustHeaders(secure.APIHeaders())

	probes := health.MustNew(health.Options{})

	mux := http.NewServeMux()
	probes.Register(mux, "")
	mux.Handle("POST /transactions", middleware.Chain(
		bearer,
		auth.RequirePermission("transactions:create"),
		validate.JSON[Transaction](validate.Options{}),
	)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := validate.BodyFrom[Transaction](r.Context())
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "%s for %s by %s\n", t.Amount, t.CustomerID, auth.ClaimsFrom(r.Context()).UserID())
	})))
	api := middleware.Chain(cors.Handler, headers.Handler, limiter.Handler)(mux)

	cashier, err := authn.Issue(context.Background(), auth.User{ID: "user-42", Role: "cashier", Permissions: []string{"transactions:create"}})
	if err != nil {
		panic(err)
	}
	viewer, err := authn.Issue(context.Background(), auth.User{ID: "user-7", Role: "viewer"})
	if err != nil {
		panic(err)
	}

	send := func(method, path, token, body string) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.RemoteAddr = "203.0.113.7:4711"
		req.Header.Set("Origin", "http://localhost:3000")
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		fmt.Printf("%s %s -> %d (CORS %s, RateLimit %s)\n  %s\n", method, path, rec.Code,
			rec.Header().Get("Access-Control-Allow-Origin"), rec.Header().Get("RateLimit"),
			timestamp.ReplaceAllString(strings.TrimSpace(rec.Body.String()), `"timestamp":"…"`))
	}
	const good = `{"amount":12.50,"customerId":"9b2f7c1e-4a8d-4f3b-9c6e-2d1a5b7e8f90"}`
	send("GET", "/ready", "", "")
	send("POST", "/transactions", "", good)
	send("POST", "/transactions", viewer.AccessToken, good)
	send("POST", "/transactions", cashier.AccessToken, `{"amount":0,"customerId":"42"}`)
	send("POST", "/transactions", cashier.AccessToken, good)
	// Output:
	// GET /ready -> 200 (CORS http://localhost:3000, RateLimit "api";r=59;t=1)
	//   {"status":"healthy","timestamp":"…"}
	// POST /transactions -> 401 (CORS http://localhost:3000, RateLimit "api";r=58;t=1)
	//   {"type":"about:blank","title":"Unauthorized","status":401,"error":"Authentication required"}
	// POST /transactions -> 403 (CORS http://localhost:3000, RateLimit "api";r=57;t=1)
	//   {"type":"about:blank","title":"Forbidden","status":403,"error":"Insufficient permissions"}
	// POST /transactions -> 400 (CORS http://localhost:3000, RateLimit "api";r=56;t=1)
	//   {"type":"about:blank","title":"Bad Request","status":400,"error":"Validation failed","details":[{"field":"amount","code":"min","message":"must be at least 0.01"},{"field":"customerId","code":"uuid","message":"must be a UUID"}]}
	// POST /transactions -> 201 (CORS http://localhost:3000, RateLimit "api";r=55;t=1)
	//   12.50 for 9b2f7c1e-4a8d-4f3b-9c6e-2d1a5b7e8f90 by user-42
}

var timestamp = regexp.MustCompile(`"timestamp":"[^"]*"`)
