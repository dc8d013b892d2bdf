package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/chainsync/middleware/auth"
)

// exampleSecret stands in for JWT_SECRET and exampleRefresh for
// JWT_REFRESH_SECRET: load both from your secrets manager.
var (
	exampleSecret  = []byte("example-jwt-secret-of-32-bytes!!")
	exampleRefresh = []byte("example-refresh-secret-32-bytes!")
)

func exampleAuth() *auth.Authenticator {
	key, err := auth.NewHS256Key(exampleSecret)
	if err != nil {
		panic(err)
	}
	keys, err := auth.NewKeyRing(key)
	if err != nil {
		panic(err)
	}
	a, err := auth.New(auth.Options{
		Keys: keys, RefreshKey: exampleRefresh,
		Issuer: "chainsync", Audience: "chainsync-api",
		SessionCheck: true, // logout takes effect at once; store down = 503
	})
	if err != nil {
		panic(err)
	}
	return a
}

func ExampleNew() {
	a := exampleAuth()
	ctx := context.Background()

	pair, err := a.Issue(ctx, auth.User{ID: "user-42", Role: "cashier", Permissions: []string{"tx:create"}})
	if err != nil {
		panic(err)
	}
	fmt.Println(pair.TokenType, pair.ExpiresIn)

	claims, err := a.Verify(ctx, pair.AccessToken)
	if err != nil {
		panic(err)
	}
	fmt.Println(claims.UserID(), claims.Role, claims.SessionID == pair.SessionID)

	next, err := a.Refresh(ctx, pair.RefreshToken)
	if err != nil {
		panic(err)
	}
	_, err = a.Refresh(ctx, pair.RefreshToken) // the old one again: reuse
	fmt.Println(errors.Is(err, auth.ErrTokenReused))
	_, err = a.Verify(ctx, next.AccessToken) // the whole session is gone
	fmt.Println(errors.Is(err, auth.ErrSessionRevoked))
	// Output:
	// Bearer 900
	// user-42 cashier true
	// true
	// true
}

func ExampleAuthenticator_Middleware() {
	a := exampleAuth()
	mw, err := a.Middleware(auth.MiddlewareOptions{Realm: "chainsync"})
	if err != nil {
		panic(err)
	}
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello", auth.ClaimsFrom(r.Context()).UserID())
	}))

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/transactions", nil))
	fmt.Println(rec.Code, rec.Header().Get("WWW-Authenticate"))
	fmt.Print(rec.Body.String(), "\n")

	pair, _ := a.Issue(context.Background(), auth.User{ID: "user-42"})
	req := httptest.NewRequest("GET", "/transactions", nil)
	req.Header.Set("Authorization", "Bearer "+pair.AccessToken)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Print(rec.Code, " ", rec.Body.String())
	// Output:
	// 401 Bearer realm="chainsync"
	// {"type":"about:blank","title":"Unauthorized","status":401,"error":"Authentication required"}
	// 200 hello user-42
}

func ExampleRequireRole() {
	a := exampleAuth()
	authn := a.MustMiddleware(auth.MiddlewareOptions{})
	refunds := authn(auth.RequireRole("manager", "admin")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "refunded")
	})))

	pair, _ := a.Issue(context.Background(), auth.User{ID: "user-7", Role: "cashier"})
	req := httptest.NewRequest("POST", "/refunds", nil)
	req.Header.Set("Authorization", "Bearer "+pair.AccessToken)
	rec := httptest.NewRecorder()
	refunds.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("WWW-Authenticate"))
	fmt.Println(rec.Body.String())
	// Output:
	// 403 Bearer realm="api", error="insufficient_scope"
	// {"type":"about:blank","title":"Forbidden","status":403,"error":"Insufficient permissions"}
}

func ExampleRequirePermission() {
	refund := auth.RequirePermission("tx:read", "tx:refund")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "refunded")
	}))
	for _, perms := range [][]string{{"tx:read", "tx:refund"}, {"tx:read"}} {
		req := httptest.NewRequest("POST", "/tx/1/refund", nil)
		req = req.WithContext(auth.WithClaims(req.Context(), &auth.Claims{Permissions: perms}))
		rec := httptest.NewRecorder()
		refund.ServeHTTP(rec, req)
		fmt.Println(perms, rec.Code)
	}
	// Output:
	// [tx:read tx:refund] 200
	// [tx:read] 403
}

func ExampleRequireAnyPermission() {
	reports := auth.RequireAnyPermission("reports:read", "admin")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "report")
	}))
	for _, perms := range [][]string{{"admin"}, {"tx:create"}} {
		req := httptest.NewRequest("GET", "/reports", nil)
		req = req.WithContext(auth.WithClaims(req.Context(), &auth.Claims{Permissions: perms}))
		rec := httptest.NewRecorder()
		reports.ServeHTTP(rec, req)
		fmt.Println(perms, rec.Code)
	}
	// Unauthenticated: 401 with a bare challenge.
	rec := httptest.NewRecorder()
	reports.ServeHTTP(rec, httptest.NewRequest("GET", "/reports", nil))
	fmt.Println(rec.Code, rec.Header().Get("WWW-Authenticate"))
	// Output:
	// [admin] 200
	// [tx:create] 403
	// 401 Bearer realm="api"
}

func ExampleRequire() {
	refundOrVoid, err := auth.Require(auth.Requirement{AnyPermission: []string{"tx:refund", "tx:void"}})
	if err != nil {
		panic(err)
	}
	h := refundOrVoid(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	req := httptest.NewRequest("POST", "/tx/1/void", nil)
	req = req.WithContext(auth.WithClaims(req.Context(), &auth.Claims{Permissions: []string{"tx:void"}}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.String())
	// Output: 200 ok
}

// Example_loginRefreshLogout shows the HTTP glue an application writes:
// login checks the password and issues a pair, refresh rotates, logout
// revokes. Rate-limit the login route (the ratelimit package).
func Example_loginRefreshLogout() {
	a := exampleAuth()
	hasher, _ := auth.NewPasswordHasher(auth.PasswordOptions{})
	stored, _ := hasher.Hash(context.Background(), "s3cret-pin-1234")
	// Verify unknown users against a dummy hash so timing does not tell
	// which user names exist.
	dummy, _ := hasher.Hash(context.Background(), "dummy password never matches")

	mux := http.NewServeMux()
	mux.HandleFunc("POST /auth/login", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ User, Password string }
		if json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&in) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		hash := dummy
		if in.User == "cashier-1" {
			hash = stored
		}
		ok, err := hasher.Verify(r.Context(), in.Password, hash)
		if err != nil || !ok || in.User != "cashier-1" {
			http.Error(w, "invalid credentials", http.StatusUnauthorized)
			return
		}
		pair, err := a.Issue(r.Context(), auth.User{ID: in.User, Role: "cashier"})
		if err != nil {
			auth.WriteError(w, r, "api", err) // 503 when the store is down or full
			return
		}
		_ = json.NewEncoder(w).Encode(pair)
	})
	mux.HandleFunc("POST /auth/refresh", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ RefreshToken string }
		_ = json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&in)
		pair, err := a.Refresh(r.Context(), in.RefreshToken)
		if err != nil {
			auth.WriteError(w, r, "api", err)
			return
		}
		_ = json.NewEncoder(w).Encode(pair)
	})
	authn := a.MustMiddleware(auth.MiddlewareOptions{})
	mux.Handle("POST /auth/logout", authn(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := a.Revoke(r.Context(), auth.ClaimsFrom(r.Context()).SessionID); err != nil {
			auth.WriteError(w, r, "api", err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})))
	mux.Handle("GET /me", authn(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, auth.ClaimsFrom(r.Context()).UserID())
	})))

	do := func(method, path, body, token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		return rec
	}
	fmt.Println("wrong password:", do("POST", "/auth/login", `{"user":"cashier-1","password":"nope"}`, "").Code)
	rec := do("POST", "/auth/login", `{"user":"cashier-1","password":"s3cret-pin-1234"}`, "")
	var pair auth.TokenPair
	_ = json.Unmarshal(rec.Body.Bytes(), &pair)
	fmt.Println("login:", rec.Code, pair.TokenType)
	rec = do("POST", "/auth/refresh", `{"refreshToken":"`+pair.RefreshToken+`"}`, "")
	_ = json.Unmarshal(rec.Body.Bytes(), &pair)
	fmt.Println("refresh:", rec.Code)
	fmt.Println("me:", do("GET", "/me", "", pair.AccessToken).Body.String())
	fmt.Println("logout:", do("POST", "/auth/logout", "", pair.AccessToken).Code)
	fmt.Println("me after logout:", do("GET", "/me", "", pair.AccessToken).Code)
	// Output:
	// wrong password: 401
	// login: 200 Bearer
	// refresh: 200
	// me: cashier-1
	// logout: 204
	// me after logout: 401
}

func ExampleNewKeyRing() {
	oldKey, _ := auth.NewHS256Key([]byte("previous-jwt-secret-of-32-bytes!"))
	newKey, _ := auth.NewHS256Key(exampleSecret)
	// After a secret rotation: sign with the new secret, keep verifying the
	// old one for at least the access-token TTL, then Remove it.
	keys, err := auth.NewKeyRing(newKey, oldKey)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(keys.Keys()), keys.Current().ID() == newKey.ID())
	fmt.Println(keys.Remove(oldKey.ID()), len(keys.Keys()))
	// Output:
	// 2 true
	// <nil> 1
}

func ExampleKeyRing_JWKSHandler() {
	seed := make([]byte, ed25519.SeedSize) // use crypto/rand in real code
	k, _ := auth.NewEdDSAKey(ed25519.NewKeyFromSeed(seed))
	keys, _ := auth.NewKeyRing(k)
	rec := httptest.NewRecorder()
	keys.JWKSHandler(time.Minute).ServeHTTP(rec, httptest.NewRequest("GET", "/.well-known/jwks.json", nil))
	fmt.Println(rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"))
	fmt.Println(rec.Body.String())
	// Output:
	// application/jwk-set+json public, max-age=60
	// {"keys":[{"kty":"OKP","use":"sig","alg":"EdDSA","kid":"9ZP03Nu8GrXPAUkbKNxHOKBzxPX83SShgFkRNK-f2lw","crv":"Ed25519","x":"O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik"}]}
}

func ExampleNewHS256Key() {
	_, err := auth.NewHS256Key([]byte("too short"))
	fmt.Println(err)
	k, _ := auth.NewHS256Key(exampleSecret)
	fmt.Println(k.Algorithm(), len(k.ID()))
	// Output:
	// auth: HS256 secret must be at least 32 bytes, got 9
	// HS256 16
}

func ExampleNewMemoryStore() {
	store, err := auth.NewMemoryStore(auth.MemoryStoreOptions{MaxSessions: 50_000})
	if err != nil {
		panic(err)
	}
	fmt.Println(store.Len())
	// Output: 0
}

func ExampleNewPasswordHasher() {
	h, err := auth.NewPasswordHasher(auth.PasswordOptions{MaxConcurrent: 4})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	enc, _ := h.Hash(ctx, "correct horse battery staple")
	fmt.Println(enc[:31])
	ok, _ := h.Verify(ctx, "correct horse battery staple", enc)
	fmt.Println(ok, h.NeedsRehash(enc))
	// Output:
	// $argon2id$v=19$m=19456,t=2,p=1$
	// true false
}

func ExampleHashPassword() {
	ctx := context.Background()
	enc, _ := auth.HashPassword(ctx, "1234-pin")
	ok, _ := auth.VerifyPassword(ctx, "1234-pin", enc)
	_, err := auth.VerifyPassword(ctx, strings.Repeat("x", 73), "$2a$10$abcdefghijklmnopqrstuu5Q0Uq7XW0Tq7bZ8j8wLQfrFqZ3M1UeG")
	fmt.Println(ok, err)
	// Output: true auth: password longer than 72 bytes
}

func ExampleNewEdDSAKey() {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	k, err := auth.NewEdDSAKey(priv)
	fmt.Println(k.Algorithm(), k.CanSign(), err)
	// Output: EdDSA true <nil>
}

func ExampleNewES256Key() {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	k, err := auth.NewES256Key(priv)
	fmt.Println(k.Algorithm(), len(k.ID()), err)
	// Output: ES256 43 <nil>
}

func ExampleNewRS256Key() {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	k, err := auth.NewRS256Key(priv)
	fmt.Println(k.Algorithm(), err)
	// Output: RS256 <nil>
}

// ExampleNewVerificationKey accepts tokens another service signs with its
// own Ed25519 key, next to the ring's current signing key.
func ExampleNewVerificationKey() {
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	vk, err := auth.NewVerificationKey(other.Public())
	if err != nil {
		panic(err)
	}
	own, _ := auth.NewHS256Key(exampleSecret)
	keys, _ := auth.NewKeyRing(own, vk)
	fmt.Println(vk.CanSign(), keys.Has(vk.ID()))
	// Output: false true
}

func ExampleNewHS256KeyRing() {
	// JWT_SECRET, and the secret it replaced (kept for one access-token TTL).
	keys, err := auth.NewHS256KeyRing(exampleSecret, []byte("previous-jwt-secret-of-32-bytes!"))
	if err != nil {
		panic(err)
	}
	fmt.Println(len(keys.Keys()), keys.Current().Algorithm())
	_, err = auth.NewHS256KeyRing([]byte("short"))
	fmt.Println(err)
	// Output:
	// 2 HS256
	// auth: HS256 secret must be at least 32 bytes, got 5
}
