package auth

import (
	"errors"
	"net/http"
)

// Requirement is an authorization rule for [Require]. A request passes
// when it is authenticated and meets every non-empty condition.
type Requirement struct {
	// AnyRole: the claims' role is one of these.
	AnyRole []string
	// AllPermissions: the claims carry every one of these.
	AllPermissions []string
	// AnyPermission: the claims carry at least one of these.
	AnyPermission []string
	// ErrorHandler writes refusals: err wraps [ErrNoToken] (not
	// authenticated: 401) or [ErrInsufficientScope] (403). Default: the
	// error handler of the [Authenticator.Middleware] that authenticated
	// the request, or [WriteError] with [DefaultRealm] when there is none.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)
}

// Require returns middleware enforcing req. It must run after
// [Authenticator.Middleware]. It returns an error when req has no
// condition at all (which would let every authenticated request through
// by mistake).
func Require(req Requirement) (func(http.Handler) http.Handler, error) {
	if len(req.AnyRole) == 0 && len(req.AllPermissions) == 0 && len(req.AnyPermission) == 0 {
		return nil, errors.New("auth: Requirement has no condition")
	}
	def := challenges(DefaultRealm)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ra, _ := r.Context().Value(claimsKey{}).(*requestAuth)
			var err error
			switch {
			case ra == nil || ra.claims == nil:
				err = ErrNoToken
			case len(req.AnyRole) > 0 && !ra.claims.HasRole(req.AnyRole...),
				len(req.AllPermissions) > 0 && !ra.claims.HasPermission(req.AllPermissions...),
				len(req.AnyPermission) > 0 && !ra.claims.HasAnyPermission(req.AnyPermission...):
				err = ErrInsufficientScope
			default:
				next.ServeHTTP(w, r)
				return
			}
			switch {
			case req.ErrorHandler != nil:
				req.ErrorHandler(w, r, err)
			case ra != nil && ra.onErr != nil:
				ra.onErr(w, r, err)
			default:
				writeError(w, r, def, err)
			}
		})
	}, nil
}

func mustRequire(req Requirement) func(http.Handler) http.Handler {
	mw, err := Require(req)
	if err != nil {
		panic(err)
	}
	return mw
}

// RequireRole returns middleware that lets through requests whose role is
// one of roles: 401 when unauthenticated, 403 {"error":"Insufficient
// permissions"} otherwise. Panics if roles is empty.
func RequireRole(roles ...string) func(http.Handler) http.Handler {
	return mustRequire(Requirement{AnyRole: roles})
}

// RequirePermission returns middleware that lets through requests carrying
// every one of perms: 401 when unauthenticated, 403 otherwise. Panics if
// perms is empty.
func RequirePermission(perms ...string) func(http.Handler) http.Handler {
	return mustRequire(Requirement{AllPermissions: perms})
}

// RequireAnyPermission returns middleware that lets through requests
// carrying at least one of perms: 401 when unauthenticated, 403 otherwise.
// Panics if perms is empty.
func RequireAnyPermission(perms ...string) func(http.Handler) http.Handler {
	return mustRequire(Requirement{AnyPermission: perms})
}
