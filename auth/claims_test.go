package auth_test

import (
	"context"
	"testing"

	"github.com/chainsync/middleware/auth"
)

func TestClaimsChecks(t *testing.T) {
	c := &auth.Claims{Role: "manager", Permissions: []string{"tx:read", "tx:refund"}}
	c.Subject = "u9"
	tests := []struct {
		name string
		got  bool
		want bool
	}{
		{"role listed", c.HasRole("cashier", "manager"), true},
		{"role not listed", c.HasRole("admin"), false},
		{"no roles given", c.HasRole(), false},
		{"all permissions", c.HasPermission("tx:read", "tx:refund"), true},
		{"one permission missing", c.HasPermission("tx:read", "tx:void"), false},
		{"any permission", c.HasAnyPermission("tx:void", "tx:refund"), true},
		{"no permission", c.HasAnyPermission("tx:void"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Fatalf("got %v; want %v", tt.got, tt.want)
			}
		})
	}
	if c.UserID() != "u9" {
		t.Fatalf("UserID = %q", c.UserID())
	}
	if auth.ClaimsFrom(context.Background()) != nil {
		t.Fatal("claims in an empty context")
	}
	if got := auth.ClaimsFrom(auth.WithClaims(context.Background(), c)); got != c {
		t.Fatal("WithClaims/ClaimsFrom round trip failed")
	}
}
