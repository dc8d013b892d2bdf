package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chainsync/middleware/auth"
	"github.com/chainsync/middleware/internal/testclock"
)

type response struct {
	code  int
	chal  string
	ctype string
	body  map[string]any
	sub   string
}

func serve(t *testing.T, h http.Handler, r *http.Request) response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	out := response{code: rec.Code, chal: rec.Header().Get("WWW-Authenticate"), ctype: rec.Header().Get("Content-Type"), sub: rec.Header().Get("X-Sub")}
	if strings.HasPrefix(out.ctype, "application/problem+json") {
		if err := json.Unmarshal(rec.Body.Bytes(), &out.body); err != nil {
			t.Fatalf("body %q: %v", rec.Body, err)
		}
	}
	return out
}

// whoami answers 200 with the subject in X-Sub ("-" when anonymous).
var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	sub := "-"
	if c := auth.ClaimsFrom(r.Context()); c != nil {
		sub = c.UserID()
	}
	w.Header().Set("X-Sub", sub)
	w.WriteHeader(200)
})

func TestMiddleware(t *testing.T) {
	c := newClock()
	a := newAuth(t, c, func(o *auth.Options) { o.SessionCheck = true })
	ctx := context.Background()
	pair, err := a.Issue(ctx, cashier)
	if err != nil {
		t.Fatal(err)
	}
	expired := newAuth(t, testclock.New(c.Now().Add(-time.Hour)), nil)
	old, err := expired.Issue(ctx, cashier)
	if err != nil {
		t.Fatal(err)
	}
	revoked, _ := a.Issue(ctx, cashier)
	_ = a.Revoke(ctx, revoked.SessionID)

	const (
		bare    = `Bearer realm="pos"`
		badReq  = `Bearer realm="pos", error="invalid_request"`
		badTok  = `Bearer realm="pos", error="invalid_token"`
		expChal = `Bearer realm="pos", error="invalid_token", error_description="The access token expired"`
	)
	var seen []string
	mw, err := a.Middleware(auth.MiddlewareOptions{Realm: "pos", Cookie: "at", OnSuccess: func(r *http.Request, c *auth.Claims) { seen = append(seen, c.UserID()) }})
	if err != nil {
		t.Fatal(err)
	}
	h := mw(whoami)
	tests := []struct {
		name    string
		headers []string // Authorization values
		cookie  string
		ctx     context.Context
		code    int
		chal    string
		msg     string
	}{
		{"valid", []string{"Bearer " + pair.AccessToken}, "", nil, 200, "", ""},
		{"scheme case-insensitive", []string{"bearer " + pair.AccessToken}, "", nil, 200, "", ""},
		{"no credentials", nil, "", nil, 401, bare, "Authentication required"},
		{"other scheme", []string{"Basic dXNlcjpwYXNz"}, "", nil, 401, bare, "Authentication required"},
		{"empty header", []string{""}, "", nil, 401, bare, "Authentication required"},
		{"Bearer without token", []string{"Bearer"}, "", nil, 400, badReq, "Malformed credentials"},
		{"Bearer with spaces only", []string{"Bearer    "}, "", nil, 400, badReq, "Malformed credentials"},
		{"token with a space", []string{"Bearer abc def"}, "", nil, 400, badReq, "Malformed credentials"},
		{"token with bad characters", []string{"Bearer a\"b"}, "", nil, 400, badReq, "Malformed credentials"},
		{"two Authorization headers", []string{"Bearer " + pair.AccessToken, "Bearer " + pair.AccessToken}, "", nil, 400, badReq, "Malformed credentials"},
		{"header over the cap", []string{"Bearer " + strings.Repeat("a", 5000)}, "", nil, 400, badReq, "Malformed credentials"},
		{"expired", []string{"Bearer " + old.AccessToken}, "", nil, 401, expChal, "Token expired"},
		{"bad signature", []string{"Bearer " + pair.AccessToken[:len(pair.AccessToken)-4] + "AAAA"}, "", nil, 401, badTok, "Invalid token"},
		{"refresh token", []string{"Bearer " + pair.RefreshToken}, "", nil, 401, badTok, "Invalid token"},
		{"revoked session", []string{"Bearer " + revoked.AccessToken}, "", nil, 401, badTok, "Invalid token"},
		{"cookie", nil, pair.AccessToken, nil, 200, "", ""},
		{"header wins over cookie", []string{"Bearer " + old.AccessToken}, pair.AccessToken, nil, 401, expChal, "Token expired"},
		{"bad cookie", nil, "a b", nil, 400, badReq, "Malformed credentials"},
		{"store unavailable", []string{"Bearer " + pair.AccessToken}, "", canceled(), 503, "", "Authentication temporarily unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/tx", nil)
			for _, v := range tt.headers {
				r.Header.Add("Authorization", v)
			}
			if tt.cookie != "" {
				r.Header.Set("Cookie", "at="+tt.cookie)
			}
			if tt.ctx != nil {
				r = r.WithContext(tt.ctx)
			}
			got := serve(t, h, r)
			if got.code != tt.code || got.chal != tt.chal {
				t.Fatalf("%d %q; want %d %q", got.code, got.chal, tt.code, tt.chal)
			}
			if tt.code == 200 {
				if got.sub != "user-1" {
					t.Fatalf("claims not in context: X-Sub %q", got.sub)
				}
				return
			}
			if got.ctype != "application/problem+json" || got.body["error"] != tt.msg || got.body["status"] != float64(tt.code) {
				t.Fatalf("body %v (%s); want error %q", got.body, got.ctype, tt.msg)
			}
		})
	}
	if len(seen) != 3 {
		t.Fatalf("OnSuccess called %d times; want 3", len(seen))
	}
}

func canceled() context.Context {
	c, cancel := context.WithCancel(context.Background())
	cancel()
	return c
}

func TestMiddlewareOptional(t *testing.T) {
	c := newClock()
	a := newAuth(t, c, nil)
	pair, _ := a.Issue(context.Background(), cashier)
	h := a.MustMiddleware(auth.MiddlewareOptions{Optional: true})(whoami)
	tests := []struct {
		name   string
		header string
		code   int
		sub    string
	}{
		{"anonymous passes", "", 200, "-"},
		{"valid token", "Bearer " + pair.AccessToken, 200, "user-1"},
		{"bad token is still refused", "Bearer x.y.z", 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			got := serve(t, h, r)
			if got.code != tt.code || got.sub != tt.sub {
				t.Fatalf("%d sub %q; want %d %q", got.code, got.sub, tt.code, tt.sub)
			}
		})
	}
}

func TestMiddlewareErrorHandler(t *testing.T) {
	a := newAuth(t, newClock(), nil)
	var got error
	h := a.MustMiddleware(auth.MiddlewareOptions{ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
		got = err
		w.WriteHeader(418)
	}})(whoami)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 418 || !errors.Is(got, auth.ErrNoToken) {
		t.Fatalf("%d %v", rec.Code, got)
	}
}

func TestMiddlewareOptions(t *testing.T) {
	a := newAuth(t, newClock(), nil)
	tests := []struct {
		name string
		opts auth.MiddlewareOptions
	}{
		{"quote in realm", auth.MiddlewareOptions{Realm: `a"b`}},
		{"control character in realm", auth.MiddlewareOptions{Realm: "a\nb"}},
		{"negative header cap", auth.MiddlewareOptions{MaxHeaderLength: -1}},
		{"bad cookie name", auth.MiddlewareOptions{Cookie: "a b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := a.Middleware(tt.opts); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	defer func() {
		if recover() == nil {
			t.Fatal("MustMiddleware did not panic on bad options")
		}
	}()
	a.MustMiddleware(auth.MiddlewareOptions{Realm: `"`})
}

func TestHEADGetsNoBody(t *testing.T) {
	a := newAuth(t, newClock(), nil)
	h := a.MustMiddleware(auth.MiddlewareOptions{})(whoami)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("HEAD", "/", nil))
	if rec.Code != 401 || rec.Body.Len() != 0 || rec.Header().Get("WWW-Authenticate") != `Bearer realm="api"` {
		t.Fatalf("%d %q %v", rec.Code, rec.Body, rec.Header())
	}
}

func TestParseAuthorization(t *testing.T) {
	tests := []struct {
		in, tok string
		err     error
	}{
		{"Bearer abc", "abc", nil},
		{"BEARER abc==", "abc==", nil},
		{"Bearer   a-b.c_d~e+f/g", "a-b.c_d~e+f/g", nil},
		{"", "", auth.ErrNoToken},
		{"Basic abc", "", auth.ErrNoToken},
		{"Bearerabc", "", auth.ErrNoToken},
		{"Bearer", "", auth.ErrInvalidRequest},
		{"Bearer =abc", "", auth.ErrInvalidRequest},
		{"Bearer ab=c", "", auth.ErrInvalidRequest},
		{"Bearer a,b", "", auth.ErrInvalidRequest},
		{"Bearer a\tb", "", auth.ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			tok, err := auth.ParseAuthorization(tt.in)
			if tok != tt.tok || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("ParseAuthorization(%q) = %q, %v; want %q, %v", tt.in, tok, err, tt.tok, tt.err)
			}
		})
	}
}

// TestCVE_2025_30204_LongHeader: a header of many dots (the golang-jwt
// excessive-allocation advisory) is refused by the length cap before any
// parsing, and one under the cap is refused cheaply as invalid.
func TestCVE_2025_30204_LongHeader(t *testing.T) {
	a := newAuth(t, newClock(), nil)
	h := a.MustMiddleware(auth.MiddlewareOptions{})(whoami)
	for _, tt := range []struct {
		n    int
		code int
	}{{1 << 20, 400}, {4000, 401}} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+strings.Repeat(".", tt.n))
		if got := serve(t, h, r); got.code != tt.code {
			t.Fatalf("%d dots: %d; want %d", tt.n, got.code, tt.code)
		}
	}
}
