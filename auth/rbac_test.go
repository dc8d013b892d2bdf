package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chainsync/middleware/auth"
)

func TestRequire(t *testing.T) {
	a := newAuth(t, newClock(), nil)
	ctx := context.Background()
	mgr, _ := a.Issue(ctx, auth.User{ID: "m", Role: "manager", Permissions: []string{"tx:refund", "tx:read"}})
	csh, _ := a.Issue(ctx, cashier)
	authn := a.MustMiddleware(auth.MiddlewareOptions{Optional: true})
	tests := []struct {
		name  string
		guard func(http.Handler) http.Handler
		token string
		code  int
	}{
		{"role ok", auth.RequireRole("manager", "admin"), mgr.AccessToken, 200},
		{"role missing", auth.RequireRole("manager", "admin"), csh.AccessToken, 403},
		{"unauthenticated", auth.RequireRole("manager"), "", 401},
		{"all permissions ok", auth.RequirePermission("tx:refund", "tx:read"), mgr.AccessToken, 200},
		{"one permission missing", auth.RequirePermission("tx:refund", "tx:create"), mgr.AccessToken, 403},
		{"any permission ok", auth.RequireAnyPermission("tx:refund", "tx:create"), csh.AccessToken, 200},
		{"no permission", auth.RequireAnyPermission("tx:refund", "tx:void"), csh.AccessToken, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/refunds", nil)
			if tt.token != "" {
				r.Header.Set("Authorization", "Bearer "+tt.token)
			}
			got := serve(t, authn(tt.guard(whoami)), r)
			if got.code != tt.code {
				t.Fatalf("%d; want %d", got.code, tt.code)
			}
			switch tt.code {
			case 403:
				if got.body["error"] != "Insufficient permissions" || got.chal != `Bearer realm="api", error="insufficient_scope"` {
					t.Fatalf("403 body %v, challenge %q", got.body, got.chal)
				}
			case 401:
				if got.chal != `Bearer realm="api"` {
					t.Fatalf("401 challenge %q", got.chal)
				}
			}
		})
	}
}

func TestRequireUsesMiddlewareErrorHandler(t *testing.T) {
	a := newAuth(t, newClock(), nil)
	csh, _ := a.Issue(context.Background(), cashier)
	var got error
	authn := a.MustMiddleware(auth.MiddlewareOptions{ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
		got = err
		w.WriteHeader(499)
	}})
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+csh.AccessToken)
	rec := httptest.NewRecorder()
	authn(auth.RequireRole("admin")(whoami)).ServeHTTP(rec, r)
	if rec.Code != 499 || !errors.Is(got, auth.ErrInsufficientScope) {
		t.Fatalf("%d %v", rec.Code, got)
	}

	// A Requirement's own handler wins.
	own, err := auth.Require(auth.Requirement{AnyRole: []string{"admin"}, ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) { w.WriteHeader(498) }})
	if err != nil {
		t.Fatal(err)
	}
	rec = httptest.NewRecorder()
	authn(own(whoami)).ServeHTTP(rec, r)
	if rec.Code != 498 {
		t.Fatalf("%d; want the Requirement's handler", rec.Code)
	}
}

func TestRequireWithoutMiddleware(t *testing.T) {
	got := serve(t, auth.RequireRole("admin")(whoami), httptest.NewRequest("GET", "/", nil))
	if got.code != 401 {
		t.Fatalf("%d; want 401", got.code)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r = r.WithContext(auth.WithClaims(r.Context(), &auth.Claims{Role: "admin"}))
	if got := serve(t, auth.RequireRole("admin")(whoami), r); got.code != 200 {
		t.Fatalf("WithClaims: %d", got.code)
	}
}

func TestRequireMisconfigured(t *testing.T) {
	if _, err := auth.Require(auth.Requirement{}); err == nil {
		t.Fatal("empty Requirement accepted")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("RequireRole() with no roles did not panic")
		}
	}()
	auth.RequireRole()
}
