package auth_test

import (
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/chainsync/middleware/auth"
)

func TestWriteError(t *testing.T) {
	tests := []struct {
		err  error
		code int
	}{
		{auth.ErrNoToken, 401},
		{auth.ErrInvalidRequest, 400},
		{auth.ErrTokenExpired, 401},
		{auth.ErrTokenNotYetValid, 401},
		{auth.ErrTokenReused, 401},
		{auth.ErrSessionRevoked, 401},
		{auth.ErrInsufficientScope, 403},
		{auth.ErrStoreUnavailable, 503},
		{auth.ErrStoreFull, 503},
		{errors.New("something else"), 500},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			rec := httptest.NewRecorder()
			auth.WriteError(rec, httptest.NewRequest("GET", "/", nil), "x", tt.err)
			if rec.Code != tt.code {
				t.Fatalf("%d; want %d", rec.Code, tt.code)
			}
			if tt.code == 503 && rec.Header().Get("WWW-Authenticate") != "" {
				t.Fatal("503 carries a challenge: clients would drop good credentials")
			}
		})
	}
}
