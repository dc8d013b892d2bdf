package validate_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/chainsync/middleware/validate"
)

const (
	customer = "9b2f7c1e-4a8d-4f3b-9c6e-2d1a5b7e8f90"
	product  = "3f1c2b4a-6d5e-4f7a-8b9c-0d1e2f3a4b5c"
	okBody   = `{"amount":12.50,"currency":"EUR","customerId":"` + customer + `","items":[{"productId":"` + product + `","quantity":2}]}`
)

func created(w http.ResponseWriter, r *http.Request) {
	t, ok := validate.BodyFrom[Transaction](r.Context())
	if !ok {
		http.Error(w, "no body in context", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(t)
}

// bad400 is the body of a 400 with one decoding error.
func bad400(field, code, message string, offset int) string {
	fe, _ := json.Marshal(validate.FieldError{Field: field, Code: code, Message: message, Offset: int64(offset), HasOffset: true})
	return `{"type":"about:blank","title":"Bad Request","status":400,"error":"Invalid JSON body","details":[` + string(fe) + `]}`
}

func tx(fields string) string {
	return `{"amount":12.50,"currency":"EUR","customerId":"` + customer + `",` + fields + `}`
}

// at returns the offset of the first marker in body.
func at(body, marker string) int { return strings.Index(body, marker) }

func TestJSONDecodingFailures(t *testing.T) {
	var (
		caseNested = tx(`"items":[{"productId":"` + product + `","quantity":1,"quantitY":9}]`)
		unknown    = tx(`"discount":5`)
		strInt     = tx(`"items":[{"productId":"` + product + `","quantity":"2"}]`)
		fracInt    = tx(`"items":[{"productId":"` + product + `","quantity":1.5}]`)
		expInt     = tx(`"items":[{"productId":"` + product + `","quantity":1e2}]`)
		bigInt     = tx(`"items":[{"productId":"` + product + `","quantity":99999999999999999999}]`)
		hugeExp    = tx(`"items":[{"productId":"` + product + `","quantity":1e400}]`)
		negZero    = tx(`"items":[{"productId":"` + product + `","quantity":-0}]`)
		negOne     = tx(`"items":[{"productId":"` + product + `","quantity":-1}]`)
	)
	const json415 = `{"type":"about:blank","title":"Unsupported Media Type","status":415,"error":"Content-Type must be application/json"}`
	tests := []struct {
		name        string
		contentType string
		body        string
		status      int
		want        string // exact body; "" for the 201 cases
	}{
		{"valid", "application/json", okBody, 201, ""},
		{"charset utf-8", "application/json; charset=UTF-8", okBody, 201, ""},
		{"suffix +json", "application/vnd.chainsync+json", okBody, 201, ""},
		{"problem+json", "application/problem+json", okBody, 201, ""},
		{"quoted charset", `application/json ; charset="utf-8"`, okBody, 201, ""},
		{"upper case", "Application/JSON", okBody, 201, ""},
		{"text/json", "text/json", okBody, 415, json415},
		{"two types", "application/json, text/plain", okBody, 415, json415},
		{"charset utf-16", "application/json; charset=utf-16", okBody, 415, json415},
		{"json prefix", "application/jsonp", okBody, 415, json415},
		{"no content type", "", okBody, 415, json415},
		{"text/plain", "text/plain", okBody, 415, json415},
		{"form", "application/x-www-form-urlencoded", "amount=1", 415, json415},
		{"other charset", "application/json; charset=latin1", okBody, 415, json415},
		{"unknown parameter", "application/json; v=2", okBody, 415, json415},
		{"bare +json", "application/+json", okBody, 415, json415},
		{"malformed content type", "application/json;;", okBody, 415, json415},
		{"empty", "application/json", "", 400, bad400("", "empty", "request body is empty", 0)},
		{"white space", "application/json", " \n\t ", 400, bad400("", "empty", "request body is empty", 4)},
		{"null", "application/json", " null ", 400, bad400("", "empty", "request body must not be null", 1)},
		{"missing value", "application/json", `{"amount":}`, 400, bad400("amount", "syntax", "is not well-formed JSON", 10)},
		{"truncated", "application/json", `{"amount":12.50`, 400, bad400("", "syntax", "unexpected end of JSON input", 15)},
		{"single quotes", "application/json", `{'amount':1}`, 400, bad400("", "syntax", "is not well-formed JSON", 1)},
		{"trailing object", "application/json", okBody + ` {}`, 400, bad400("", "trailing_data", "unexpected data after the JSON value", len(okBody)+1)},
		{"trailing garbage", "application/json", okBody + "x", 400, bad400("", "trailing_data", "unexpected data after the JSON value", len(okBody))},
		{"duplicate", "application/json", `{"amount":1,"amount":2}`, 400, bad400("amount", "duplicate", "appears more than once", 12)},
		{"duplicate escaped", "application/json", `{"amount":1,"\u0061mount":2}`, 400, bad400("amount", "duplicate", "appears more than once", 12)},
		{"duplicate in case", "application/json", `{"amount":1,"AMOUNT":2}`, 400, bad400("AMOUNT", "duplicate", "appears more than once (names differ only in case)", 12)},
		{"duplicate in case first", "application/json", `{"Amount":1,"amount":2}`, 400, bad400("amount", "duplicate", "appears more than once (names differ only in case)", 12)},
		{"duplicate in case nested", "application/json", caseNested, 400,
			bad400("items[0].quantitY", "duplicate", "appears more than once (names differ only in case)", at(caseNested, `"quantitY"`))},
		{"unknown field", "application/json", unknown, 400, bad400("discount", "unknown_field", "is not a known field", at(unknown, `"discount"`))},
		{"unknown field with pointer escapes", "application/json", `{"a/b~c":1}`, 400, bad400("a/b~c", "unknown_field", "is not a known field", 1)},
		{"unknown field only in case", "application/json", `{"Amount":1}`, 400, bad400("Amount", "unknown_field", "is not a known field", 1)},
		{"string for int", "application/json", strInt, 400, bad400("items[0].quantity", "type", "must be an integer", at(strInt, `"quantity":"2"`)+len(`"quantity":`))},
		{"fraction for int", "application/json", fracInt, 400, bad400("items[0].quantity", "type", "must be an integer", at(fracInt, `1.5`))},
		{"exponent for int", "application/json", expInt, 400, bad400("items[0].quantity", "type", "must be an integer", at(expInt, `:1e2`)+1)},
		{"int out of range", "application/json", bigInt, 400, bad400("items[0].quantity", "type", "is out of range", at(bigInt, `9999`))},
		{"1e400 for int", "application/json", hugeExp, 400, bad400("items[0].quantity", "type", "must be an integer", at(hugeExp, `1e400`))},
		{"-0 for int", "application/json", negZero, 400,
			`{"type":"about:blank","title":"Bad Request","status":400,"error":"Validation failed","details":[{"field":"items[0].quantity","code":"min","message":"must be at least 1"}]}`},
		{"negative int", "application/json", negOne, 400,
			`{"type":"about:blank","title":"Bad Request","status":400,"error":"Validation failed","details":[{"field":"items[0].quantity","code":"min","message":"must be at least 1"}]}`},
		{"negative money", "application/json", `{"amount":-0.01}`, 400,
			`{"type":"about:blank","title":"Bad Request","status":400,"error":"Validation failed","details":[{"field":"amount","code":"min","message":"must be at least 0.01"},{"field":"currency","code":"required","message":"is required"},{"field":"customerId","code":"required","message":"is required"},{"field":"items","code":"min_items","message":"must have at least 1 item"}]}`},
		{"number for string", "application/json", `{"customerId":42}`, 400, bad400("customerId", "type", "must be a string", 14)},
		{"object for list", "application/json", `{"items":{}}`, 400, bad400("items", "type", "must be an array", 9)},
		{"array body", "application/json", `[]`, 400, bad400("", "type", "must be an object", 0)},
		{"money with 3 decimals", "application/json", `{"amount":12.499}`, 400, bad400("amount", "money", "must be a decimal amount with at most 2 decimal places", 10)},
		{"money as string", "application/json", `{"amount":"12.50"}`, 400, bad400("amount", "money", "must be a decimal amount with at most 2 decimal places", 10)},
		{"money too large", "application/json", `{"amount":12345678901234.00}`, 400, bad400("amount", "money", "must be a decimal amount with at most 2 decimal places", 10)},
		{"invalid UTF-8", "application/json", "{\"note\":\"caf\xe9\"}", 400, bad400("note", "invalid_utf8", "must be valid UTF-8", 12)},
		{"invalid UTF-8 in name", "application/json", "{\"n\xffte\":\"x\"}", 400, bad400("", "invalid_utf8", "must be valid UTF-8", 3)},
		{"lone surrogate", "application/json", `{"note":"\ud800"}`, 400, bad400("note", "invalid_utf8", "must be valid UTF-8 (lone surrogate escape)", 9)},
		{"lone low surrogate", "application/json", `{"note":"ok \udc00"}`, 400, bad400("note", "invalid_utf8", "must be valid UTF-8 (lone surrogate escape)", 12)},
		{"high surrogate without its pair", "application/json", `{"note":"\ud800\u0041"}`, 400, bad400("note", "invalid_utf8", "must be valid UTF-8 (lone surrogate escape)", 9)},
		{"lone surrogate in name", "application/json", `{"\ud800":1}`, 400, bad400("", "invalid_utf8", "must be valid UTF-8 (lone surrogate escape)", 2)},
		{"surrogate pair", "application/json", tx(`"items":[{"productId":"` + product + `","quantity":1}],"note":"\ud83d\ude00"`), 201, ""},
		{"escaped backslash before u", "application/json", tx(`"items":[{"productId":"` + product + `","quantity":1}],"note":"\\ud800"`), 201, ""},
		{"syntax error before invalid UTF-8", "application/json", "{\"note\": x, \"currency\":\"\xff\"}", 400, bad400("note", "syntax", "is not well-formed JSON", 9)},
		{"syntax error before a lone surrogate", "application/json", `{"note": x, "currency":"\ud800"}`, 400, bad400("note", "syntax", "is not well-formed JSON", 9)},
		{"byte order mark", "application/json", "\xef\xbb\xbf" + okBody, 400, bad400("", "syntax", "must not start with a byte order mark", 0)},
		{"validation", "application/json", `{"amount":0,"customerId":"42","items":[{"productId":"` + product + `","quantity":0}]}`, 400,
			`{"type":"about:blank","title":"Bad Request","status":400,"error":"Validation failed","details":[` +
				`{"field":"amount","code":"min","message":"must be at least 0.01"},` +
				`{"field":"currency","code":"required","message":"is required"},` +
				`{"field":"customerId","code":"uuid","message":"must be a UUID"},` +
				`{"field":"items[0].quantity","code":"min","message":"must be at least 1"}]}`},
		{"validation of missing fields", "application/json", `{}`, 400,
			`{"type":"about:blank","title":"Bad Request","status":400,"error":"Validation failed","details":[` +
				`{"field":"amount","code":"min","message":"must be at least 0.01"},` +
				`{"field":"currency","code":"required","message":"is required"},` +
				`{"field":"customerId","code":"required","message":"is required"},` +
				`{"field":"items","code":"min_items","message":"must have at least 1 item"}]}`},
	}
	h := validate.JSON[Transaction](validate.Options{})(http.HandlerFunc(created))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest("POST", "/transactions", strings.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			got := strings.TrimSpace(rec.Body.String())
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.status, got)
			}
			if tt.status == 201 {
				return
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q", ct)
			}
			if got != tt.want {
				t.Errorf("body\n got  %s\n want %s", got, tt.want)
			}
			for _, leak := range []string{"json:", "jsontext", "Go ", "invalid character", "validate_test"} {
				if strings.Contains(got, leak) {
					t.Errorf("body leaks a Go error (%q): %s", leak, got)
				}
			}
		})
	}
}

func TestTooLarge(t *testing.T) {
	srv := httptest.NewServer(validate.JSON[Transaction](validate.Options{MaxBytes: 64})(http.HandlerFunc(created)))
	defer srv.Close()
	const want = `{"type":"about:blank","title":"Request Entity Too Large","status":413,"error":"Request body too large","details":[{"field":"","code":"too_large","message":"must be at most 64 bytes"}]}`
	big := `{"note":"` + strings.Repeat("x", 100) + `"}`
	tests := []struct {
		name string
		body io.Reader // a strings.Reader has a Content-Length; a pipe is chunked
	}{
		{"content length", strings.NewReader(big)},
		{"chunked", io.MultiReader(strings.NewReader(big))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := http.Post(srv.URL, "application/json", tt.body)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			got, _ := io.ReadAll(res.Body)
			if res.StatusCode != 413 || string(got) != want {
				t.Fatalf("%d %s\nwant 413 %s", res.StatusCode, got, want)
			}
		})
	}
	t.Run("chunked, one byte over, closes the connection", func(t *testing.T) {
		body := `{"note":"` + strings.Repeat("x", 65-len(`{"note":""}`)) + `"}`
		res, err := http.Post(srv.URL, "application/json", io.MultiReader(strings.NewReader(body)))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		got, _ := io.ReadAll(res.Body)
		// The server stops reading at the limit; it must not keep a
		// connection with unread body bytes for the next request.
		if res.StatusCode != 413 || string(got) != want || !res.Close {
			t.Fatalf("%d close=%v %s", res.StatusCode, res.Close, got)
		}
	})
	t.Run("Decode without a Content-Length", func(t *testing.T) {
		req := httptest.NewRequest("POST", "/", io.MultiReader(strings.NewReader(big)))
		req.ContentLength = -1
		req.Header.Set("Content-Type", "application/json")
		_, err := validate.Decode[Transaction](req, validate.Options{MaxBytes: 64})
		var mbe *http.MaxBytesError
		var e *validate.Error
		if !errors.As(err, &e) || e.Status != 413 || !errors.As(err, &mbe) || mbe.Limit != 64 {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("at the limit", func(t *testing.T) {
		body := `{"note":"` + strings.Repeat("x", 64-len(`{"note":""}`)) + `"}`
		res, err := http.Post(srv.URL, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 400 { // fits; fails validation
			t.Fatalf("status %d, want 400", res.StatusCode)
		}
	})
}

func TestDecodeErrors(t *testing.T) {
	long := strings.Repeat("k", 300)
	tests := []struct {
		name, body string
		maxBytes   int64
		want       error
		status     int
	}{
		{"empty", ``, 0, validate.ErrEmptyBody, 400},
		{"syntax", `{`, 0, validate.ErrSyntax, 400},
		{"utf8", "\"\xff\"", 0, validate.ErrInvalidUTF8, 400},
		{"duplicate", `{"note":"a","NOTE":"b"}`, 0, validate.ErrDuplicateField, 400},
		{"unknown", `{"x":1}`, 0, validate.ErrUnknownField, 400},
		{"trailing", `{}{}`, 0, validate.ErrTrailingData, 400},
		{"type", `{"note":1}`, 0, validate.ErrType, 400},
		{"money", `{"amount":0.001}`, 0, validate.ErrMoney, 400},
		{"too large", `{"note":"abc"}`, 5, &http.MaxBytesError{}, 413},
		{"validation", `{}`, 0, validate.Errors{}, 400},
		{"long unknown name", `{"` + long + `":1}`, 0, validate.ErrUnknownField, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			_, err := validate.Decode[Transaction](req, validate.Options{MaxBytes: tt.maxBytes})
			var e *validate.Error
			if !errors.As(err, &e) || e.Status != tt.status {
				t.Fatalf("err = %v, want *Error with status %d", err, tt.status)
			}
			switch want := tt.want.(type) {
			case *http.MaxBytesError:
				var mbe *http.MaxBytesError
				if !errors.As(err, &mbe) || mbe.Limit != tt.maxBytes {
					t.Fatalf("err = %v, want *http.MaxBytesError with limit %d", err, tt.maxBytes)
				}
			case validate.Errors:
				var es validate.Errors
				if !errors.As(err, &es) || len(es) != 4 {
					t.Fatalf("err = %v, want 4 validate.Errors", err)
				}
			default:
				if !errors.Is(err, want) {
					t.Fatalf("err = %v, want %v", err, want)
				}
			}
			for _, d := range e.Details {
				if len(d.Field) > 203 {
					t.Errorf("field path of %d bytes: %.40s...", len(d.Field), d.Field)
				}
			}
		})
	}
}

type strict struct {
	Name string `json:"name"`
}

func (s strict) Validate() error {
	if s.Name == "boom" {
		return errors.New("not a validate.Errors")
	}
	var v validate.Collector
	v.Field("name").String(s.Name).Required()
	return v.Err()
}

func TestJSONOptions(t *testing.T) {
	t.Run("negative MaxBytes", func(t *testing.T) {
		if _, err := validate.NewJSON[strict](validate.Options{MaxBytes: -1}); !errors.Is(err, validate.ErrInvalidOptions) {
			t.Fatalf("err = %v", err)
		}
		defer func() {
			if recover() == nil {
				t.Fatal("JSON did not panic on invalid options")
			}
		}()
		validate.JSON[strict](validate.Options{MaxBytes: -1})
	})
	t.Run("Decode with invalid options", func(t *testing.T) {
		req := httptest.NewRequest("POST", "/", strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		_, err := validate.Decode[strict](req, validate.Options{MaxBytes: -5})
		if !errors.Is(err, validate.ErrInvalidOptions) {
			t.Fatalf("err = %v", err)
		}
		rec := httptest.NewRecorder()
		validate.WriteError(rec, req, err)
		if rec.Code != 500 || rec.Body.String() != `{"type":"about:blank","title":"Internal Server Error","status":500,"error":"Internal Server Error"}` {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
	})
	t.Run("ErrorHandler", func(t *testing.T) {
		var got error
		h := validate.JSON[strict](validate.Options{ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			got = err
			w.WriteHeader(422)
		}})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Error("next handler called") }))
		req := httptest.NewRequest("POST", "/", strings.NewReader(`{"name":""}`))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var e *validate.Error
		if rec.Code != 422 || !errors.As(got, &e) || e.Status != 400 || !e.Details.Has("name") {
			t.Fatalf("%d %v", rec.Code, got)
		}
	})
	t.Run("Validate error that is not Errors", func(t *testing.T) {
		h := validate.JSON[strict](validate.Options{})(http.NotFoundHandler())
		req := httptest.NewRequest("POST", "/", strings.NewReader(`{"name":"boom"}`))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if want := `{"type":"about:blank","title":"Bad Request","status":400,"error":"Validation failed"}`; rec.Code != 400 || rec.Body.String() != want {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
	})
	t.Run("value receiver and BodyFrom", func(t *testing.T) {
		var name string
		var other bool
		h := validate.JSON[strict](validate.Options{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, _ := validate.BodyFrom[strict](r.Context())
			name = s.Name
			_, other = validate.BodyFrom[Transaction](r.Context())
		}))
		req := httptest.NewRequest("POST", "/", strings.NewReader(`{"name":"Ann"}`))
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(httptest.NewRecorder(), req)
		if name != "Ann" || other {
			t.Fatalf("name %q, other type found %v", name, other)
		}
	})
	t.Run("the caller's request is not changed", func(t *testing.T) {
		h := validate.JSON[strict](validate.Options{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		body := io.NopCloser(strings.NewReader(`{"name":"Ann"}`))
		req := httptest.NewRequest("POST", "/", nil)
		req.Body = body
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(httptest.NewRecorder(), req)
		if req.Body != body {
			t.Fatal("r.Body was replaced")
		}
	})
	t.Run("HEAD gets no body", func(t *testing.T) {
		h := validate.JSON[strict](validate.Options{})(http.NotFoundHandler())
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("HEAD", "/", nil))
		if rec.Code != 415 || rec.Body.Len() != 0 {
			t.Fatalf("%d %q", rec.Code, rec.Body)
		}
	})
}

func TestWriteError(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		want   string
	}{
		{"errors", validate.Errors{{Field: "limit", Code: "max", Message: "must be at most 100"}}, 400,
			`{"type":"about:blank","title":"Bad Request","status":400,"error":"Validation failed","details":[{"field":"limit","code":"max","message":"must be at most 100"}]}`},
		{"max bytes", &http.MaxBytesError{Limit: 10}, 413,
			`{"type":"about:blank","title":"Request Entity Too Large","status":413,"error":"Request body too large","details":[{"field":"","code":"too_large","message":"must be at most 10 bytes"}]}`},
		{"other", errors.New("db down"), 500, `{"type":"about:blank","title":"Internal Server Error","status":500,"error":"Internal Server Error"}`},
		{"escaped", validate.Errors{{Field: "<b>", Code: "x", Message: "&"}}, 400,
			`{"type":"about:blank","title":"Bad Request","status":400,"error":"Validation failed","details":[{"field":"\u003cb\u003e","code":"x","message":"\u0026"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			validate.WriteError(rec, httptest.NewRequest("GET", "/", nil), tt.err)
			if rec.Code != tt.status || rec.Body.String() != tt.want {
				t.Fatalf("%d %s\nwant %d %s", rec.Code, rec.Body, tt.status, tt.want)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{okBody, ``, `null`, `{}`, `[]`, `{"amount":1,"AMOUNT":2}`, "{\"note\":\"\xff\"}", `{"note":"\ud800"}`,
		`{"items":[{"quantity":1e309}]}`, `{"amount":-0.00}`, okBody + `{}`, `{"a":{"b":{"c":[[[[{}]]]]}}}`, `{"tags":{"k":1,"\u212a":2}}`,
		"\xef\xbb\xbf{}", `{"note":"\ud800\u0041"}`, `{"note": x, "currency":"\ud800"}`, `{"amount":1,"\u0041mount":2}`,
		`{"items":[{"quantity":1},{"quantity":1,"QUANTITY":2}]}`, `{"amount":00.5}`, `{"amount":1e400}`, `{"tags":{"a":"\u0000"}}`} {
		f.Add(s)
	}
	h := validate.JSON[Transaction](validate.Options{MaxBytes: 4096})(http.HandlerFunc(created))
	open := validate.JSON[openTransaction](validate.Options{MaxBytes: 4096})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	f.Fuzz(func(t *testing.T, body string) {
		for _, h := range []http.Handler{h, open} {
			req := httptest.NewRequest("POST", "/", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			switch rec.Code {
			case 200, 201:
				if !utf8.ValidString(body) {
					t.Fatalf("accepted invalid UTF-8: %q", body)
				}
				if dup, _ := foldedDuplicate([]byte(body)); dup {
					t.Fatalf("accepted names differing only in case: %q", body)
				}
				continue
			case 400, 413:
			default:
				t.Fatalf("status %d for %q", rec.Code, body)
			}
			var p struct {
				Error   string `json:"error"`
				Details []struct{ Field, Code, Message string }
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Error == "" {
				t.Fatalf("bad problem body %q: %v", rec.Body, err)
			}
			if len(rec.Body.Bytes()) > 64<<10 {
				t.Fatalf("response of %d bytes", rec.Body.Len())
			}
			for _, leak := range []string{"json:", "jsontext", "Go "} {
				if strings.Contains(rec.Body.String(), leak) {
					t.Fatalf("response leaks %q: %s", leak, rec.Body)
				}
			}
		}
	})
}

// payment is written for encoding/json: the amount is a json.Number.
type payment struct {
	Amount json.Number `json:"amount"`
	Tip    json.Number `json:"tip,omitempty"`
}

func (p *payment) Validate() error {
	var v validate.Collector
	v.Field("amount").MoneyNumber(p.Amount).Min(validate.Cents(1)).Max(validate.Cents(500_000_00))
	v.Field("tip").MoneyNumber(p.Tip).Max(validate.Cents(100_00))
	return v.Err()
}

func TestJSONNumber(t *testing.T) {
	tests := []struct {
		name, body string
		status     int
		want       string // the error, or the amount decoded
	}{
		{"number", `{"amount":12.50}`, 200, "12.50"},
		{"null", `{"amount":12.50,"tip":null}`, 200, "12.50"},
		{"string", `{"amount":"12.50"}`, 400, "validate: 400 Invalid JSON body: amount: must be a number"},
		{"bool", `{"amount":true}`, 400, "validate: 400 Invalid JSON body: amount: must be a number"},
		{"three decimals", `{"amount":12.499}`, 400, "validate: 400 Validation failed: amount: must be a decimal amount with at most 2 decimal places"},
		{"exponent", `{"amount":1e3}`, 400, "validate: 400 Validation failed: amount: must be a decimal amount with at most 2 decimal places"},
		{"too much", `{"amount":500000.01}`, 400, "validate: 400 Validation failed: amount: must be at most 500000.00"},
		{"missing", `{}`, 400, "validate: 400 Validation failed: amount: must be at least 0.01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			p, err := validate.Decode[payment](req, validate.Options{})
			got := string(p.Amount)
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecodePointerType(t *testing.T) {
	req := httptest.NewRequest("POST", "/", strings.NewReader(`{"amount":0}`))
	req.Header.Set("Content-Type", "application/json")
	p, err := validate.Decode[*payment](req, validate.Options{})
	var es validate.Errors
	if !errors.As(err, &es) || !es.Has("amount") || p != nil {
		t.Fatalf("Decode[*payment] = %v, %v; want the validation to run and a nil value", p, err)
	}
}

func TestDecodeReturnsZeroOnError(t *testing.T) {
	req := httptest.NewRequest("POST", "/", strings.NewReader(`{"amount":5,"currency":"EUR","items":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	got, err := validate.Decode[Transaction](req, validate.Options{})
	if err == nil || got.Amount != 0 || got.Currency != "" {
		t.Fatalf("Decode = %+v, %v; want the zero value and an error", got, err)
	}
}

// rawNote keeps part of the body as raw JSON, which must be a copy: the
// body buffer is pooled and reused by the next request.
type rawNote struct {
	Note json.RawMessage   `json:"note"`
	Tags map[string]string `json:"tags"`
}

// Decoding shares pooled buffers and scanners between requests: values
// decoded by one request must not change when others reuse them.
func TestDecodeConcurrently(t *testing.T) {
	const workers, rounds = 8, 200
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			var kept []rawNote
			for i := range rounds {
				note := fmt.Sprintf(`"w%d-r%d-%s"`, w, i, strings.Repeat("x", (w*rounds+i)%300))
				body := `{"note":` + note + `,"tags":{"k":"` + strconv.Itoa(i) + `"}}`
				req := httptest.NewRequest("POST", "/", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				v, err := validate.Decode[rawNote](req, validate.Options{})
				if err != nil {
					t.Errorf("Decode(%s): %v", body, err)
					return
				}
				kept = append(kept, v)
			}
			for i, v := range kept {
				want := fmt.Sprintf(`"w%d-r%d-%s"`, w, i, strings.Repeat("x", (w*rounds+i)%300))
				if string(v.Note) != want || v.Tags["k"] != strconv.Itoa(i) {
					t.Errorf("value %d changed after later decodes: %s %v", i, v.Note, v.Tags)
					return
				}
			}
		})
	}
	wg.Wait()
}

// RFC 9110, section 15.5.16: a 415 says what would have been accepted, with
// Accept for media types and Accept-Encoding for content codings. Bodies
// are never decompressed here (a small gzip body can inflate to gigabytes).
func TestUnsupportedContent(t *testing.T) {
	const (
		wantType     = `{"type":"about:blank","title":"Unsupported Media Type","status":415,"error":"Content-Type must be application/json"}`
		wantEncoding = `{"type":"about:blank","title":"Unsupported Media Type","status":415,"error":"Content-Encoding is not supported"}`
	)
	tests := []struct {
		name, contentType, encoding string
		status                      int
		want                        string
		header, value               string
		cause                       error
	}{
		{"media type", "text/plain", "", 415, wantType, "Accept", "application/json", validate.ErrUnsupportedMediaType},
		{"gzip", "application/json", "gzip", 415, wantEncoding, "Accept-Encoding", "identity", validate.ErrUnsupportedEncoding},
		{"gzip, upper case", "application/json", "GZIP", 415, wantEncoding, "Accept-Encoding", "identity", validate.ErrUnsupportedEncoding},
		{"identity", "application/json", "identity", 201, "", "", "", nil},
	}
	h := validate.JSON[Transaction](validate.Options{})(http.HandlerFunc(created))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			newReq := func() *http.Request {
				req := httptest.NewRequest("POST", "/", strings.NewReader(okBody))
				req.Header.Set("Content-Type", tt.contentType)
				if tt.encoding != "" {
					req.Header.Set("Content-Encoding", tt.encoding)
				}
				return req
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, newReq())
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.status == 201 {
				return
			}
			if got := rec.Body.String(); got != tt.want {
				t.Errorf("body %s, want %s", got, tt.want)
			}
			if got := rec.Header().Get(tt.header); got != tt.value {
				t.Errorf("%s: %q, want %q", tt.header, got, tt.value)
			}
			if _, err := validate.Decode[Transaction](newReq(), validate.Options{}); !errors.Is(err, tt.cause) {
				t.Errorf("Decode: %v, want %v", err, tt.cause)
			}
		})
	}
}

// Nesting is bounded by the decoder (10000 levels); the name scan and the
// error path are iterative and linear, and the reported path is cut.
func TestDeepNesting(t *testing.T) {
	deep := func(open, close string, n int) string {
		return strings.Repeat(open, n) + strings.Repeat(close, n)
	}
	tests := []struct {
		name   string
		decode func(*http.Request) error
		body   string
		want   error // nil: accepted
	}{
		{"arrays within the limit", decodeAs[any], deep("[", "]", 9000), nil},
		{"arrays beyond the limit", decodeAs[any], deep("[", "]", 10001), validate.ErrSyntax},
		{"objects beyond the limit", decodeAs[any], deep(`{"a":`, "}", 10001), validate.ErrSyntax},
		{"objects beyond the limit, unclosed", decodeAs[any], strings.Repeat(`{"a":`, 100_000), validate.ErrSyntax},
		{"into a struct", decodeAs[openTransaction], `{"tags":` + deep("[", "]", 10001) + `}`, validate.ErrType},
		{"into a struct, unknown member", decodeAs[Transaction], `{"x":` + deep("[", "]", 10001) + `}`, validate.ErrUnknownField},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			err := tt.decode(req)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var e *validate.Error
			if !errors.Is(err, tt.want) || !errors.As(err, &e) || e.Status != 400 {
				t.Fatalf("err = %.200v, want %v", err, tt.want)
			}
			if len(e.Details) != 1 || len(e.Details[0].Field) > 203 {
				t.Fatalf("details %.300v", e.Details)
			}
		})
	}
}
