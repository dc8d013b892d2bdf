package secure_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/chainsync/middleware/secure"
)

func TestCSRFSpec(t *testing.T) {
	type hdrs = map[string]string
	cors := secure.MustCORS(chainsyncCORS())
	trusted := secure.CSRFOptions{TrustedOrigins: []string{"HTTPS://Admin.ChainSync.example:443"}}
	withCORS := secure.CSRFOptions{TrustCORS: cors}
	withNullCORS := secure.CSRFOptions{TrustCORS: secure.MustCORS(secure.CORSOptions{
		AllowedOrigins: []string{"https://*.shops.chainsync.example", "null"}, DangerouslyAllowNullOrigin: true})}
	bypass := secure.CSRFOptions{InsecureBypassPatterns: []string{"POST /webhooks/payments"}}
	tests := []struct {
		name    string
		opts    secure.CSRFOptions
		method  string
		path    string
		headers hdrs
		want    int
	}{
		{"GET is safe even cross-site", secure.CSRFOptions{}, "GET", "/", hdrs{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, 200},
		{"HEAD is safe", secure.CSRFOptions{}, "HEAD", "/", hdrs{"Sec-Fetch-Site": "cross-site"}, 200},
		{"OPTIONS is safe", secure.CSRFOptions{}, "OPTIONS", "/", hdrs{"Sec-Fetch-Site": "cross-site"}, 200},
		{"same-origin POST passes", secure.CSRFOptions{}, "POST", "/", hdrs{"Sec-Fetch-Site": "same-origin", "Origin": "https://api.chainsync.example"}, 200},
		{"user-initiated (none) POST passes", secure.CSRFOptions{}, "POST", "/", hdrs{"Sec-Fetch-Site": "none"}, 200},
		{"cross-site POST rejected", secure.CSRFOptions{}, "POST", "/", hdrs{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, 403},
		{"same-site POST rejected", secure.CSRFOptions{}, "POST", "/", hdrs{"Sec-Fetch-Site": "same-site", "Origin": "https://shop.chainsync.example"}, 403},
		{"cross-site PUT rejected", secure.CSRFOptions{}, "PUT", "/", hdrs{"Sec-Fetch-Site": "cross-site"}, 403},
		{"cross-site DELETE rejected", secure.CSRFOptions{}, "DELETE", "/", hdrs{"Sec-Fetch-Site": "cross-site"}, 403},
		{"cross-site PATCH rejected", secure.CSRFOptions{}, "PATCH", "/", hdrs{"Sec-Fetch-Site": "cross-site"}, 403},
		{"old browser: Origin matches Host", secure.CSRFOptions{}, "POST", "/", hdrs{"Origin": "https://api.chainsync.example"}, 200},
		{"old browser: Origin differs from Host", secure.CSRFOptions{}, "POST", "/", hdrs{"Origin": "https://evil.example"}, 403},
		{"no browser headers: not a browser, passes", secure.CSRFOptions{}, "POST", "/", nil, 200},
		{"unknown Sec-Fetch-Site value rejected", secure.CSRFOptions{}, "POST", "/", hdrs{"Sec-Fetch-Site": "bogus"}, 403},
		{"Sec-Fetch-Site wins over a matching Origin", secure.CSRFOptions{}, "POST", "/", hdrs{"Sec-Fetch-Site": "cross-site", "Origin": "https://api.chainsync.example"}, 403},
		{"old browser: Origin null rejected", secure.CSRFOptions{}, "POST", "/", hdrs{"Origin": "null"}, 403},
		{"old browser: Origin of another port rejected", secure.CSRFOptions{}, "POST", "/", hdrs{"Origin": "https://api.chainsync.example:8443"}, 403},
		{"old browser: the scheme is not compared (send HSTS)", secure.CSRFOptions{}, "POST", "/", hdrs{"Origin": "http://api.chainsync.example"}, 200},
		{"trusted origin (normalized) passes cross-site", trusted, "POST", "/", hdrs{"Sec-Fetch-Site": "cross-site", "Origin": "https://admin.chainsync.example"}, 200},
		{"trusted origin is exact", trusted, "POST", "/", hdrs{"Sec-Fetch-Site": "cross-site", "Origin": "https://admin.chainsync.example:8443"}, 403},
		{"CORS exact origin trusted", withCORS, "POST", "/", hdrs{"Sec-Fetch-Site": "cross-site", "Origin": "https://pos.chainsync.example"}, 200},
		{"CORS loopback origin trusted", withCORS, "POST", "/", hdrs{"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost:3000"}, 200},
		{"CORS wildcard origin trusted", withCORS, "POST", "/", hdrs{"Sec-Fetch-Site": "cross-site", "Origin": "https://s1.shops.chainsync.example"}, 200},
		{"CORS wildcard origin trusted for an old browser", withCORS, "DELETE", "/", hdrs{"Origin": "https://s1.shops.chainsync.example"}, 200},
		{"CORS wildcard lookalike rejected", withCORS, "POST", "/", hdrs{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil-shops.chainsync.example"}, 403},
		{"CORS wildcard apex not trusted", withCORS, "POST", "/", hdrs{"Sec-Fetch-Site": "cross-site", "Origin": "https://shops.chainsync.example"}, 403},
		{"CORS null origin never trusted", withNullCORS, "POST", "/", hdrs{"Sec-Fetch-Site": "cross-site", "Origin": "null"}, 403},
		{"bypass pattern passes", bypass, "POST", "/webhooks/payments", hdrs{"Sec-Fetch-Site": "cross-site"}, 200},
		{"bypass pattern is exact", bypass, "POST", "/webhooks/payments/x", hdrs{"Sec-Fetch-Site": "cross-site"}, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := secure.NewCSRF(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(tt.method, "https://api.chainsync.example"+tt.path, nil)
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			c.Handler(okHandler).ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			checkErr := c.Check(req)
			if (checkErr == nil) != (tt.want == 200) {
				t.Fatalf("Check = %v, but the handler answered %d", checkErr, rec.Code)
			}
			if tt.want == 403 {
				if !errors.Is(checkErr, secure.ErrCrossOriginRequest) {
					t.Fatalf("Check = %v", checkErr)
				}
				var body map[string]any
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Header().Get("Content-Type") != "application/problem+json" ||
					body["error"] != "Cross-origin request rejected" || body["status"] != float64(403) {
					t.Fatalf("deny body %q %s", rec.Header().Get("Content-Type"), rec.Body)
				}
			}
		})
	}
}

// The standard library's AddTrustedOrigin accepts a '*' pattern and then
// matches nothing with it; TrustCORS matches wildcards itself.
func TestCSRFWildcardNeedsTheCORSMatcher(t *testing.T) {
	req := httptest.NewRequest("POST", "https://api.chainsync.example/", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://s1.shops.chainsync.example")

	cop := http.NewCrossOriginProtection()
	if err := cop.AddTrustedOrigin("https://*.shops.chainsync.example"); err != nil {
		t.Fatalf("AddTrustedOrigin refused the pattern (%v); the premise of this test changed", err)
	}
	if cop.Check(req) == nil {
		t.Fatal("http.CrossOriginProtection matched a wildcard; TrustCORS could rely on it")
	}

	c := secure.MustCSRF(secure.CSRFOptions{TrustCORS: secure.MustCORS(chainsyncCORS())})
	if err := c.Check(req); err != nil {
		t.Fatalf("TrustCORS did not trust the wildcard origin: %v", err)
	}
	// Wildcards are refused in TrustedOrigins, which are exact.
	if _, err := secure.NewCSRF(secure.CSRFOptions{TrustedOrigins: []string{"https://*.shops.chainsync.example"}}); err == nil {
		t.Fatal("wildcard accepted in TrustedOrigins")
	}
}

func TestCSRFErrorHandler(t *testing.T) {
	var got error
	c := secure.MustCSRF(secure.CSRFOptions{ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
		got = err
		http.Error(w, "custom", http.StatusTeapot)
	}})
	req := httptest.NewRequest("POST", "/", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	rec := httptest.NewRecorder()
	c.Handler(okHandler).ServeHTTP(rec, req)
	if rec.Code != http.StatusTeapot || !errors.Is(got, secure.ErrCrossOriginRequest) {
		t.Fatalf("%d %v", rec.Code, got)
	}
}

var tokenKey = bytes.Repeat([]byte{7}, 32)

type tokenClient struct {
	t      *testing.T
	h      http.Handler
	cookie *http.Cookie
	token  string
}

// get fetches a page through the middleware, keeping the cookie and the
// token the handler saw.
func newTokenClient(t *testing.T, o secure.CSRFOptions) *tokenClient {
	t.Helper()
	tc := &tokenClient{t: t}
	c := secure.MustCSRF(o)
	tc.h = c.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "GET" {
			tc.token = secure.CSRFToken(r.Context())
		}
		_, _ = w.Write([]byte("ok"))
	}))
	rec := tc.do("GET", "/form", nil, "")
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies %v", cookies)
	}
	tc.cookie = cookies[0]
	return tc
}

func (tc *tokenClient) do(method, path string, header map[string]string, form string) *httptest.ResponseRecorder {
	var body *strings.Reader
	if form != "" {
		body = strings.NewReader(form)
	} else {
		body = strings.NewReader("")
	}
	req := httptest.NewRequest(method, "https://api.chainsync.example"+path, body)
	if form != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if tc.cookie != nil {
		req.AddCookie(tc.cookie)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	tc.h.ServeHTTP(rec, req)
	return rec
}

func TestCSRFToken(t *testing.T) {
	o := secure.CSRFOptions{RequireToken: true, TokenKey: tokenKey, InsecureBypassPatterns: []string{"POST /webhooks/"}}
	tc := newTokenClient(t, o)
	ck := tc.cookie
	if ck.Name != "__Host-csrf" || !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.Domain != "" {
		t.Fatalf("cookie %+v", ck)
	}
	if tc.token == "" {
		t.Fatal("no token in the context")
	}
	first := tc.token
	if rec := tc.do("GET", "/form", nil, ""); len(rec.Result().Cookies()) != 0 {
		t.Fatal("a valid cookie was replaced")
	}
	if tc.token == first {
		t.Fatal("token not masked afresh per response")
	}
	if strings.Contains(tc.token, strings.Split(ck.Value, ".")[0]) || strings.Contains(ck.Value, tc.token) {
		t.Fatal("the token shows the raw cookie value")
	}

	other := newTokenClient(t, o) // another browser, another cookie
	tests := []struct {
		name   string
		header map[string]string
		form   string
		path   string
		noCk   bool
		want   int
		err    error
	}{
		{"first token in header", map[string]string{"X-CSRF-Token": first}, "", "/pay", false, 200, nil},
		{"second token in header", map[string]string{"X-CSRF-Token": tc.token}, "", "/pay", false, 200, nil},
		{"token in form field", nil, url.Values{"csrf_token": {tc.token}}.Encode(), "/pay", false, 200, nil},
		{"no token", nil, "", "/pay", false, 403, secure.ErrCSRFTokenMissing},
		{"no cookie", map[string]string{"X-CSRF-Token": tc.token}, "", "/pay", true, 403, secure.ErrCSRFTokenMissing},
		{"garbage token", map[string]string{"X-CSRF-Token": "x"}, "", "/pay", false, 403, secure.ErrCSRFTokenInvalid},
		{"another browser's token", map[string]string{"X-CSRF-Token": other.token}, "", "/pay", false, 403, secure.ErrCSRFTokenInvalid},
		{"modern browser needs no token", map[string]string{"Sec-Fetch-Site": "same-origin"}, "", "/pay", false, 200, nil},
		{"cross-site still rejected with a token", map[string]string{"Sec-Fetch-Site": "cross-site", "X-CSRF-Token": tc.token}, "", "/pay", false, 403, secure.ErrCrossOriginRequest},
		{"bypass pattern needs no token", nil, "", "/webhooks/payments", true, 200, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			saved := tc.cookie
			if tt.noCk {
				tc.cookie = nil
			}
			defer func() { tc.cookie = saved }()
			var got error
			c := secure.MustCSRF(secure.CSRFOptions{RequireToken: true, TokenKey: tokenKey, InsecureBypassPatterns: []string{"POST /webhooks/"},
				ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) { got = err; w.WriteHeader(403) }})
			h := tc.h
			tc.h = c.Handler(okHandler)
			defer func() { tc.h = h }()
			rec := tc.do("POST", tt.path, tt.header, tt.form)
			if rec.Code != tt.want || (tt.err != nil && !errors.Is(got, tt.err)) {
				t.Fatalf("status %d err %v; want %d %v", rec.Code, got, tt.want, tt.err)
			}
		})
	}

	// A tampered cookie does not verify: the request counts as having none.
	bad := *ck
	bad.Value = strings.Replace(ck.Value, ck.Value[:2], "AA", 1)
	if bad.Value == ck.Value {
		bad.Value = "BB" + ck.Value[2:]
	}
	tc.cookie = &bad
	if rec := tc.do("POST", "/pay", map[string]string{"X-CSRF-Token": tc.token}, ""); rec.Code != 403 {
		t.Fatalf("tampered cookie: %d", rec.Code)
	}
	if rec := tc.do("GET", "/form", nil, ""); len(rec.Result().Cookies()) != 1 {
		t.Fatal("tampered cookie not replaced on a safe request")
	}
}

// A request that ServeMux would only redirect to a bypass pattern (missing
// trailing slash, unclean path) is not exempt from the token layer, as in
// http.CrossOriginProtection since the fix for CVE-2025-47910.
func TestCSRFTokenBypassOnlyExactMatches(t *testing.T) {
	c := secure.MustCSRF(secure.CSRFOptions{RequireToken: true, TokenKey: tokenKey,
		InsecureBypassPatterns: []string{"POST /webhooks/", "POST /hooks/payments"}})
	tests := []struct {
		name, path string
		want       error
	}{
		{"pattern with trailing slash", "/webhooks/payments", nil},
		{"exact pattern", "/hooks/payments", nil},
		{"redirect to add a trailing slash", "/webhooks", secure.ErrCSRFTokenMissing},
		{"unclean path cleaned into the pattern", "/pay/../webhooks/payments", secure.ErrCSRFTokenMissing},
		{"double slash cleaned into the pattern", "//hooks/payments", secure.ErrCSRFTokenMissing},
		{"dot segment cleaned into the pattern", "/hooks/./payments", secure.ErrCSRFTokenMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "https://api.chainsync.example/", nil)
			req.URL.Path = tt.path
			err := c.Check(req)
			if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("Check(POST %s) = %v, want %v", tt.path, err, tt.want)
			}
			// The standard library agrees when the request is cross-site.
			cop := http.NewCrossOriginProtection()
			cop.AddInsecureBypassPattern("POST /webhooks/")
			cop.AddInsecureBypassPattern("POST /hooks/payments")
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			if stdErr := cop.Check(req); (stdErr == nil) != (tt.want == nil) {
				t.Fatalf("http.CrossOriginProtection disagrees: %v", stdErr)
			}
		})
	}
}

// The token layer issues its cookie on any request that passes without a
// valid one (a page rendered in answer to a same-origin POST needs a token
// too), never on a rejected request; every response varies on Cookie.
func TestCSRFTokenIssuance(t *testing.T) {
	c := secure.MustCSRF(secure.CSRFOptions{RequireToken: true, TokenKey: tokenKey})
	var token string
	h := c.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { token = secure.CSRFToken(r.Context()) }))
	tests := []struct {
		name       string
		method     string
		header     map[string]string
		wantStatus int
		wantCookie bool
	}{
		{"GET without a cookie", "GET", nil, 200, true},
		{"HEAD without a cookie", "HEAD", nil, 200, true},
		{"OPTIONS without a cookie", "OPTIONS", nil, 200, true},
		{"same-origin POST without a cookie", "POST", map[string]string{"Sec-Fetch-Site": "same-origin"}, 200, true},
		{"POST from an old browser without a cookie is rejected", "POST", nil, 403, false},
		{"cross-site POST is rejected", "POST", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token = ""
			req := httptest.NewRequest(tt.method, "https://api.chainsync.example/", nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			cookies := rec.Result().Cookies()
			if rec.Code != tt.wantStatus || (len(cookies) == 1) != tt.wantCookie || len(cookies) > 1 {
				t.Fatalf("status %d cookies %v; want %d cookie %v", rec.Code, cookies, tt.wantStatus, tt.wantCookie)
			}
			if tt.wantCookie && token == "" {
				t.Fatal("cookie issued but CSRFToken is empty")
			}
			if vary := rec.Header().Values("Vary"); !slices.Contains(vary, "Cookie") {
				t.Fatalf("Vary = %q", vary)
			}
		})
	}
}

// A second cookie of the same name (planted by a sibling host when the
// name lacks the __Host- prefix, or left on another path) does not hide the
// valid one.
func TestCSRFTokenSeveralCookies(t *testing.T) {
	o := secure.CSRFOptions{RequireToken: true, TokenKey: tokenKey, CookieName: "csrf"}
	tc := newTokenClient(t, o)
	for _, order := range []string{"planted first", "planted last"} {
		t.Run(order, func(t *testing.T) {
			req := httptest.NewRequest("POST", "https://api.chainsync.example/pay", nil)
			planted := &http.Cookie{Name: "csrf", Value: "planted.value"}
			if order == "planted first" {
				req.AddCookie(planted)
				req.AddCookie(tc.cookie)
			} else {
				req.AddCookie(tc.cookie)
				req.AddCookie(planted)
			}
			req.Header.Set("X-CSRF-Token", tc.token)
			if err := secure.MustCSRF(o).Check(req); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestCSRFTokenBoundToSession(t *testing.T) {
	session := "session-a"
	o := secure.CSRFOptions{RequireToken: true, TokenKey: tokenKey, SessionID: func(*http.Request) string { return session }}
	tc := newTokenClient(t, o)
	if rec := tc.do("POST", "/pay", map[string]string{"X-CSRF-Token": tc.token}, ""); rec.Code != 200 {
		t.Fatalf("same session: %d", rec.Code)
	}
	session = "session-b"
	if rec := tc.do("POST", "/pay", map[string]string{"X-CSRF-Token": tc.token}, ""); rec.Code != 403 {
		t.Fatalf("token of another session accepted: %d", rec.Code)
	}
	// The next page of the new session gets a cookie bound to it.
	rec := tc.do("GET", "/form", nil, "")
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Value == tc.cookie.Value {
		t.Fatalf("no new cookie for the new session: %v", cookies)
	}
	tc.cookie = cookies[0]
	if rec := tc.do("POST", "/pay", map[string]string{"X-CSRF-Token": tc.token}, ""); rec.Code != 200 {
		t.Fatalf("new session, new token: %d", rec.Code)
	}
}

func TestCSRFTokenOutsideMiddleware(t *testing.T) {
	if got := secure.CSRFToken(httptest.NewRequest("GET", "/", nil).Context()); got != "" {
		t.Fatalf("CSRFToken = %q", got)
	}
	// Without RequireToken there is no token and no cookie.
	var tok string
	c := secure.MustCSRF(secure.CSRFOptions{})
	rec := httptest.NewRecorder()
	c.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { tok = secure.CSRFToken(r.Context()) })).
		ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if tok != "" || len(rec.Result().Cookies()) != 0 {
		t.Fatalf("token %q cookies %v", tok, rec.Result().Cookies())
	}
}

func TestNewCSRFErrors(t *testing.T) {
	tests := []struct {
		name    string
		opts    secure.CSRFOptions
		wantErr string
	}{
		{"bad trusted origin", secure.CSRFOptions{TrustedOrigins: []string{"admin.chainsync.example"}}, "TrustedOrigins"},
		{"trusted origin with path", secure.CSRFOptions{TrustedOrigins: []string{"https://a.example/x"}}, "no path"},
		{"wildcard trusted origin", secure.CSRFOptions{TrustedOrigins: []string{"https://*.a.example"}}, "TrustedOrigins"},
		{"trusting a CORS *", secure.CSRFOptions{TrustCORS: secure.MustCORS(secure.CORSOptions{AllowedOrigins: []string{"*"}})}, "any origin"},
		{"bad bypass pattern", secure.CSRFOptions{InsecureBypassPatterns: []string{"POST /{x"}}, "InsecureBypassPatterns"},
		{"conflicting bypass patterns", secure.CSRFOptions{InsecureBypassPatterns: []string{"/a", "/a"}}, "InsecureBypassPatterns"},
		{"token without key", secure.CSRFOptions{RequireToken: true}, "TokenKey"},
		{"short key", secure.CSRFOptions{RequireToken: true, TokenKey: []byte("short")}, "TokenKey"},
		{"key without token", secure.CSRFOptions{TokenKey: tokenKey}, "RequireToken is false"},
		{"bad cookie name", secure.CSRFOptions{CookieName: "a b"}, "CookieName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := secure.NewCSRF(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, secure.ErrInvalidOptions) {
				t.Fatalf("err %v; want ErrInvalidOptions containing %q", err, tt.wantErr)
			}
			if err != nil && bytes.Contains([]byte(err.Error()), tokenKey) {
				t.Fatal("the key appears in the error")
			}
		})
	}
	defer func() {
		if recover() == nil {
			t.Fatal("MustCSRF did not panic")
		}
	}()
	secure.MustCSRF(secure.CSRFOptions{RequireToken: true})
}

func FuzzCSRFToken(f *testing.F) {
	f.Add("")
	f.Add("x")
	f.Add(strings.Repeat("A", 86))
	f.Add(strings.Repeat("_", 86) + "==")
	c := secure.MustCSRF(secure.CSRFOptions{RequireToken: true, TokenKey: tokenKey})
	var cookie *http.Cookie
	rec := httptest.NewRecorder()
	c.Handler(okHandler).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	cookie = rec.Result().Cookies()[0]
	f.Fuzz(func(t *testing.T, token string) {
		req := httptest.NewRequest("POST", "/", nil)
		req.AddCookie(cookie)
		req.Header.Set("X-CSRF-Token", token)
		if err := c.Check(req); err == nil {
			t.Fatalf("made-up token %q accepted", token)
		}
	})
}

// FuzzCSRFCookie sends arbitrary Cookie headers with an arbitrary token
// (ISSUED and TOKEN stand for the cookie and a token this process issued,
// which differ from run to run): a request passes only when one of its
// cookies is exactly the issued one; nothing panics.
func FuzzCSRFCookie(f *testing.F) {
	c := secure.MustCSRF(secure.CSRFOptions{RequireToken: true, TokenKey: tokenKey})
	var token string
	rec := httptest.NewRecorder()
	c.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { token = secure.CSRFToken(r.Context()) })).
		ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	issued := rec.Result().Cookies()[0].Value
	f.Add("ISSUED", "TOKEN")
	f.Add("ISSUEDx", "TOKEN")
	f.Add("x; __Host-csrf=ISSUED", "TOKEN")
	f.Add(strings.Repeat("A", 43)+"."+strings.Repeat("A", 43), "TOKEN")
	f.Add(".", "")
	f.Fuzz(func(t *testing.T, cookie, sent string) {
		req := httptest.NewRequest("POST", "/", nil)
		req.Header.Set("Cookie", "__Host-csrf="+strings.ReplaceAll(cookie, "ISSUED", issued))
		req.Header.Set("X-CSRF-Token", strings.ReplaceAll(sent, "TOKEN", token))
		if err := c.Check(req); err != nil {
			return
		}
		for _, ck := range req.CookiesNamed("__Host-csrf") {
			if ck.Value == issued {
				return
			}
		}
		t.Fatalf("Cookie %q accepted", req.Header.Get("Cookie"))
	})
}

// Printing the middleware or its options, by mistake or in a log, never
// shows the token key.
func TestCSRFNeverPrintsTheKey(t *testing.T) {
	key := []byte("0123456789abcdefghijklmnopqrstuvwxyz")
	o := secure.CSRFOptions{RequireToken: true, TokenKey: key, TrustedOrigins: []string{"https://admin.chainsync.example"}}
	c := secure.MustCSRF(o)
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("config", "options", o, "csrf", c)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("config", "options", o, "csrf", c)
	for _, printed := range []string{
		fmt.Sprintf("%v", o), fmt.Sprintf("%+v", o), fmt.Sprintf("%#v", o), o.String(),
		fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), c.String(),
		fmt.Sprintf("%v", &o), text.String(), js.String(),
	} {
		for _, leak := range []string{string(key), fmt.Sprint(key), fmt.Sprintf("%x", key), fmt.Sprintf("%#v", key)[len("[]byte{"):30],
			base64.StdEncoding.EncodeToString(key)[:20]} {
			if strings.Contains(printed, leak) {
				t.Fatalf("%q shows the key", printed)
			}
		}
		if !strings.Contains(printed, "redacted") {
			t.Fatalf("%q does not say the key is redacted", printed)
		}
	}
}
