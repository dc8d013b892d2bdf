package secure_test

import (
	"cmp"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"

	middleware "github.com/chainsync/middleware"
	"github.com/chainsync/middleware/secure"
)

// printHeaders prints the named headers, or all of them sorted.
func printHeaders(h http.Header, names ...string) {
	if len(names) == 0 {
		for k := range h {
			names = append(names, k)
		}
		slices.Sort(names)
	}
	for _, k := range names {
		if v := h.Values(k); len(v) > 0 {
			fmt.Printf("%s: %s\n", http.CanonicalHeaderKey(k), strings.Join(v, ", "))
		}
	}
}

// The zero options are the API preset.
func ExampleNewHeaders() {
	headers, err := secure.NewHeaders(secure.HeadersOptions{})
	if err != nil {
		panic(err)
	}
	h := headers.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))

	req := httptest.NewRequest("GET", "https://api.chainsync.example/products", nil) // a TLS request
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	printHeaders(rec.Header())
	// Output:
	// Content-Security-Policy: default-src 'none'; frame-ancestors 'none'
	// Cross-Origin-Opener-Policy: same-origin
	// Cross-Origin-Resource-Policy: same-origin
	// Origin-Agent-Cluster: ?1
	// Permissions-Policy: accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), hid=(), magnetometer=(), microphone=(), midi=(), payment=(), serial=(), usb=()
	// Referrer-Policy: no-referrer
	// Strict-Transport-Security: max-age=31536000; includeSubDomains
	// X-Content-Type-Options: nosniff
	// X-Dns-Prefetch-Control: off
	// X-Download-Options: noopen
	// X-Frame-Options: DENY
	// X-Permitted-Cross-Domain-Policies: none
	// X-Xss-Protection: 0
}

func ExampleAPIHeaders() {
	h := secure.MustHeaders(secure.APIHeaders()).Handler(http.NotFoundHandler())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	printHeaders(rec.Header(), "Content-Security-Policy", "X-Frame-Options", "Strict-Transport-Security")
	// Output:
	// Content-Security-Policy: default-src 'none'; frame-ancestors 'none'
	// X-Frame-Options: DENY
}

func ExampleWebPageHeaders() {
	o := secure.WebPageHeaders()
	o.HSTSPreload = true // opt-in: hard to undo
	o.CSP = o.CSP.Add(secure.ImgSrc, "https://images.chainsync.example")
	h := secure.MustHeaders(o).Handler(http.NotFoundHandler())

	req := httptest.NewRequest("GET", "https://pos.chainsync.example/", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	printHeaders(rec.Header(), "Content-Security-Policy", "Strict-Transport-Security")
	// Output:
	// Content-Security-Policy: default-src 'self'; base-uri 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; img-src 'self' data: https://images.chainsync.example; object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self'; upgrade-insecure-requests
	// Strict-Transport-Security: max-age=31536000; includeSubDomains; preload
}

// A strict nonce-based policy: each response gets a fresh nonce, which the
// template puts on its scripts.
func ExampleNonce() {
	o := secure.WebPageHeaders()
	o.CSP = o.CSP.Set(secure.ScriptSrc, secure.RequestNonce, secure.StrictDynamic)
	page := template.Must(template.New("page").Parse(`<script nonce="{{.}}">start()</script>`))
	h := secure.MustHeaders(o).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = page.Execute(w, secure.Nonce(r.Context()))
	}))

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	nonce := strings.TrimSuffix(strings.TrimPrefix(rec.Body.String(), `<script nonce="`), `">start()</script>`)
	fmt.Println(len(nonce), strings.Contains(rec.Header().Get("Content-Security-Policy"), "script-src 'nonce-"+nonce+"' 'strict-dynamic'"))
	// Output:
	// 22 true
}

func ExampleMustHeaders() {
	h := secure.MustHeaders(secure.HeadersOptions{
		AllowedHosts:  []string{"api.chainsync.example"},
		RedirectHTTPS: true,
	}).Handler(http.NotFoundHandler())

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "http://api.chainsync.example/products?page=2", nil))
	fmt.Println(rec.Code, rec.Header().Get("Location"))

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "http://attacker.example/", nil))
	fmt.Println(rec.Code, rec.Body)
	// Output:
	// 308 https://api.chainsync.example/products?page=2
	// 400 {"type":"about:blank","title":"Bad Request","status":400,"error":"Host not allowed"}
}

func ExampleCSP() {
	p := secure.CSP{}.
		Set(secure.DefaultSrc, secure.Self).
		Set(secure.ScriptSrc, secure.Self, secure.HashSHA256("init()")).
		Set(secure.ImgSrc, secure.Self, secure.Data, "https://*.chainsync.example").
		Set(secure.ObjectSrc, secure.None).
		ReportTo("csp")
	v, err := p.Build()
	fmt.Println(v, err)

	_, err = secure.CSP{}.Set(secure.DefaultSrc, "self").Build()
	fmt.Println(err)
	// Output:
	// default-src 'self'; script-src 'self' 'sha256-w4ujnOpjBoH2vcasx+reJRUwYivG8Q3afx/XevGJod8='; img-src 'self' data: https://*.chainsync.example; object-src 'none'; report-to csp <nil>
	// secure: CSP: default-src: keyword "self" must be quoted (use secure.Self)
}

func ExampleParseCSP() {
	p, err := secure.ParseCSP("default-src 'self'; img-src 'self' data:")
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Add(secure.ImgSrc, "https://cdn.chainsync.example"))
	// Output:
	// default-src 'self'; img-src 'self' data: https://cdn.chainsync.example
}

func ExampleAPIPolicy() {
	fmt.Println(secure.APIPolicy())
	// Output:
	// default-src 'none'; frame-ancestors 'none'
}

func ExampleWebPolicy() {
	fmt.Println(secure.WebPolicy())
	// Output:
	// default-src 'self'; base-uri 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self'; upgrade-insecure-requests
}

func ExampleHashSHA256() {
	fmt.Println(secure.HashSHA256("alert(1)"))
	// Output:
	// 'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='
}

func ExampleHashSource() {
	fmt.Println(secure.HashSource("sha384", make([]byte, 48))[:16])
	// Output:
	// 'sha384-AAAAAAAA
}

func ExampleDefaultPermissionsPolicy() {
	// A till that scans barcodes with the camera and takes payments.
	p := secure.DefaultPermissionsPolicy().
		Allow("camera", secure.AllowSelf).
		Allow("payment", secure.AllowSelf, "https://pay.chainsync.example")
	fmt.Println(p)
	// Output:
	// accelerometer=(), autoplay=(), camera=(self), display-capture=(), geolocation=(), gyroscope=(), hid=(), magnetometer=(), microphone=(), midi=(), payment=(self "https://pay.chainsync.example"), serial=(), usb=()
}

func ExamplePermissionsPolicy() {
	p := secure.PermissionsPolicy{}.Deny("geolocation", "microphone").Allow("fullscreen", secure.AllowAll)
	v, err := p.Build()
	fmt.Println(v, err)
	// Output:
	// geolocation=(), microphone=(), fullscreen=* <nil>
}

func ExampleNewCORS() {
	cors, err := secure.NewCORS(secure.CORSOptions{
		AllowedOrigins: []string{"https://pos.chainsync.example", "https://*.shops.chainsync.example"},
		AllowedMethods: []string{"GET", "POST", "PUT", "DELETE", "PATCH"},
		AllowedHeaders: []string{"Content-Type", "Authorization"},
	})
	if err != nil {
		panic(err)
	}
	h := cors.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))

	// A preflight is answered here.
	req := httptest.NewRequest("OPTIONS", "https://api.chainsync.example/products/7", nil)
	req.Header.Set("Origin", "https://store-12.shops.chainsync.example")
	req.Header.Set("Access-Control-Request-Method", "PATCH")
	req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	printHeaders(rec.Header())

	// A look-alike origin gets nothing.
	req = httptest.NewRequest("GET", "https://api.chainsync.example/products/7", nil)
	req.Header.Set("Origin", "https://evil-shops.chainsync.example")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	printHeaders(rec.Header())
	// Output:
	// 204
	// Access-Control-Allow-Headers: Content-Type, Authorization
	// Access-Control-Allow-Methods: GET, POST, PUT, DELETE, PATCH
	// Access-Control-Allow-Origin: https://store-12.shops.chainsync.example
	// Access-Control-Max-Age: 600
	// Vary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers
	// 200
	// Vary: Origin
}

func ExampleMustCORS() {
	// Public, credential-less data such as the product catalogue.
	cors := secure.MustCORS(secure.CORSOptions{AllowedOrigins: []string{"*"}})
	req := httptest.NewRequest("GET", "/catalogue", nil)
	req.Header.Set("Origin", "https://anyone.example")
	rec := httptest.NewRecorder()
	cors.Handler(http.NotFoundHandler()).ServeHTTP(rec, req)
	fmt.Println(rec.Header().Get("Access-Control-Allow-Origin"))

	_, err := secure.NewCORS(secure.CORSOptions{AllowedOrigins: []string{"*"}, AllowCredentials: true})
	fmt.Println(err)
	// Output:
	// *
	// secure: invalid options: CORS: AllowCredentials cannot be combined with the origin "*"; list the origins
}

func ExampleParseOrigins() {
	fmt.Printf("%q\n", secure.ParseOrigins("https://pos.chainsync.example, http://localhost:3000,"))
	// Output:
	// ["https://pos.chainsync.example" "http://localhost:3000"]
}

func ExampleNewCSRF() {
	cors := secure.MustCORS(secure.CORSOptions{AllowedOrigins: []string{"https://*.shops.chainsync.example"}})
	csrf, err := secure.NewCSRF(secure.CSRFOptions{TrustCORS: cors})
	if err != nil {
		panic(err)
	}
	h := csrf.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for _, origin := range []string{"https://store-1.shops.chainsync.example", "https://evil.example"} {
		req := httptest.NewRequest("POST", "https://api.chainsync.example/transactions", nil)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Origin", origin)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println(origin, rec.Code, rec.Body.Len() > 0)
	}
	// Output:
	// https://store-1.shops.chainsync.example 200 false
	// https://evil.example 403 true
}

// The token layer, for cookie-authenticated forms that must also be safe in
// browsers too old to send Sec-Fetch-Site or Origin.
func ExampleCSRFToken() {
	csrf := secure.MustCSRF(secure.CSRFOptions{
		RequireToken: true,
		TokenKey:     []byte("an example key of 32 bytes or more!"), // from the secrets store in production
	})
	var token string
	h := csrf.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token = secure.CSRFToken(r.Context()) // put it in the form or a meta tag
	}))

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "https://pos.chainsync.example/refund", nil))
	cookie := rec.Result().Cookies()[0]
	fmt.Println(cookie.Name, cookie.HttpOnly, cookie.Secure, cookie.SameSite == http.SameSiteStrictMode)

	for _, sent := range []string{token, ""} {
		req := httptest.NewRequest("POST", "https://pos.chainsync.example/refund", nil)
		req.AddCookie(cookie)
		if sent != "" {
			req.Header.Set("X-CSRF-Token", sent)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println(rec.Code)
	}
	// Output:
	// __Host-csrf true true true
	// 200
	// 403
}

func ExampleMustCSRF() {
	csrf := secure.MustCSRF(secure.CSRFOptions{InsecureBypassPatterns: []string{"POST /webhooks/payments"}})
	req := httptest.NewRequest("POST", "/webhooks/payments", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	fmt.Println(csrf.Check(req))
	req = httptest.NewRequest("POST", "/transactions", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	fmt.Println(csrf.Check(req))
	// Output:
	// <nil>
	// secure: cross-origin request rejected: cross-origin request detected from Sec-Fetch-Site header
}

// The ChainSync API's configuration: origins from ALLOWED_ORIGINS, and CORS
// outermost, so that the 401 of authentication and the 429 of rate limiting
// still carry the CORS headers (and expose Retry-After and RateLimit) that
// let the page read them.
func Example_chainsync() {
	cors := secure.MustCORS(secure.CORSOptions{
		AllowedOrigins:   secure.ParseOrigins(cmp.Or(os.Getenv("ALLOWED_ORIGINS"), "http://localhost:3000")),
		AllowCredentials: true,
		AllowedMethods:   []string{"GET", "POST", "PUT", "DELETE", "PATCH"},
		AllowedHeaders:   []string{"Content-Type", "Authorization", "X-CSRF-Token"},
		ExposedHeaders:   []string{"RateLimit", "RateLimit-Policy", "Retry-After", "X-Request-ID"},
	})
	headers := secure.MustHeaders(secure.APIHeaders())
	csrf := secure.MustCSRF(secure.CSRFOptions{TrustCORS: cors})

	// Stand-ins for the ratelimit and auth middleware.
	limited := 0
	rateLimit := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if limited++; limited > 2 {
				w.Header().Set("Retry-After", "42")
				http.Error(w, "Too many requests", http.StatusTooManyRequests)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	auth := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") == "" {
				http.Error(w, "Unauthorized", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /transactions", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) })
	api := middleware.Chain(cors.Handler, headers.Handler, rateLimit, csrf.Handler, auth)(mux)

	send := func(method, authorization string) {
		req := httptest.NewRequest(method, "http://localhost:8080/transactions", nil)
		req.Header.Set("Origin", "http://localhost:3000")
		req.Header.Set("Sec-Fetch-Site", "same-site")
		if method == "OPTIONS" {
			req.Header.Set("Access-Control-Request-Method", "POST")
			req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
		}
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		fmt.Println(method, rec.Code, rec.Header().Get("Access-Control-Allow-Origin"), rec.Header().Get("Access-Control-Allow-Credentials"))
	}
	send("OPTIONS", "")          // preflight: answered by CORS, never reaches auth or the limiter
	send("POST", "")             // 401 from auth, readable by the page
	send("POST", "Bearer t")     // created
	send("POST", "Bearer t")     // 429 from the limiter, readable by the page
	fmt.Println(exposedOf(cors)) // what the page's script may read
	// Output:
	// OPTIONS 204 http://localhost:3000 true
	// POST 401 http://localhost:3000 true
	// POST 201 http://localhost:3000 true
	// POST 429 http://localhost:3000 true
	// RateLimit, RateLimit-Policy, Retry-After, X-Request-ID
}

func exposedOf(c *secure.CORS) string {
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Origin", "http://localhost:3000")
	rec := httptest.NewRecorder()
	c.Handler(http.NotFoundHandler()).ServeHTTP(rec, req)
	return rec.Header().Get("Access-Control-Expose-Headers")
}
