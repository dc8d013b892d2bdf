package validate_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/chainsync/middleware/validate"
)

// transactionBody is a typical ChainSync transaction: three items.
const transactionBody = `{"amount":47.85,"currency":"EUR","customerId":"9b2f7c1e-4a8d-4f3b-9c6e-2d1a5b7e8f90",` +
	`"items":[{"productId":"3f1c2b4a-6d5e-4f7a-8b9c-0d1e2f3a4b5c","quantity":2},` +
	`{"productId":"5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d","quantity":1},` +
	`{"productId":"7d8e9f0a-1b2c-4d3e-9f4a-5b6c7d8e9f0a","quantity":12}],"note":"Deliver to the back door"}`

// benchRequest returns a request whose body is rewound by reset, so the
// loop measures decoding, not request construction.
func benchRequest(body string) (req *http.Request, reset func()) {
	rd := strings.NewReader(body)
	req = httptest.NewRequest("POST", "/transactions", nil)
	req.Header.Set("Content-Type", "application/json")
	req.Body = io.NopCloser(rd)
	req.ContentLength = int64(len(body))
	return req, func() { rd.Reset(body) }
}

// BenchmarkDecodeTransaction is Decode with validation, the whole work of
// the JSON middleware for one body (without the context and the handler).
func BenchmarkDecodeTransaction(b *testing.B) {
	req, reset := benchRequest(transactionBody)
	b.ReportAllocs()
	b.SetBytes(int64(len(transactionBody)))
	for b.Loop() {
		reset()
		if _, err := validate.Decode[Transaction](req, validate.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJSONParallel is the middleware under concurrent requests: the
// pooled buffers and scanners are shared.
func BenchmarkJSONParallel(b *testing.B) {
	h := validate.JSON[Transaction](validate.Options{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := validate.BodyFrom[Transaction](r.Context()); !ok {
			b.Error("no body")
		}
	}))
	b.ReportAllocs()
	b.SetBytes(int64(len(transactionBody)))
	b.RunParallel(func(pb *testing.PB) {
		req, reset := benchRequest(transactionBody)
		w := httptest.NewRecorder()
		for pb.Next() {
			reset()
			h.ServeHTTP(w, req)
		}
	})
}

// BenchmarkDecodeTransactionEncodingJSON is the baseline: what a handler
// does with encoding/json alone (no limit, no strictness, no validation).
func BenchmarkDecodeTransactionEncodingJSON(b *testing.B) {
	req, reset := benchRequest(transactionBody)
	b.ReportAllocs()
	b.SetBytes(int64(len(transactionBody)))
	for b.Loop() {
		reset()
		var t Transaction
		if err := json.NewDecoder(req.Body).Decode(&t); err != nil {
			b.Fatal(err)
		}
	}
}

// plainTransaction has the fields of Transaction and no Validate method.
type plainTransaction Transaction

// openTransaction has a map, which makes Decode scan names first.
type openTransaction struct {
	Amount     validate.Money    `json:"amount"`
	Currency   string            `json:"currency"`
	CustomerID string            `json:"customerId"`
	Items      []Item            `json:"items"`
	Note       string            `json:"note,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
}

// BenchmarkDecodeStrategy compares ways to get strict decoding (duplicate
// and case-only duplicate names, invalid UTF-8, unknown fields, trailing
// data), without validation:
//
//   - v1-token-prescan: utf8.Valid, then an encoding/json Decoder.Token
//     pass that checks names (case-folded) per object, then encoding/json
//     with DisallowUnknownFields and a trailing-data check;
//   - v2: go-json-experiment/json alone (exact duplicates, UTF-8, unknown
//     fields and trailing data built in; names match case-sensitively);
//   - decode: this package's Decode of a struct-only type: body read into
//     a pooled buffer, then v2 (case-only duplicates of fields are unknown
//     members, so no scan is needed);
//   - decode-scan: Decode of a type with a map field: v2 plus a jsontext
//     pass that rejects case-folded duplicate names first.
func BenchmarkDecodeStrategy(b *testing.B) {
	body := []byte(transactionBody)
	b.Run("v1-token-prescan", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var t plainTransaction
			if err := v1Strict(body, &t); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("v2", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var t plainTransaction
			if err := jsonv2.Unmarshal(body, &t, jsonv2.RejectUnknownMembers(true)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		req, reset := benchRequest(transactionBody)
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			reset()
			if _, err := validate.Decode[plainTransaction](req, validate.Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode-scan", func(b *testing.B) {
		req, reset := benchRequest(transactionBody)
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			reset()
			if _, err := validate.Decode[openTransaction](req, validate.Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// v1Strict is the token-level alternative measured above.
func v1Strict(body []byte, v any) error {
	if !utf8.Valid(body) {
		return errors.New("invalid UTF-8")
	}
	dup, err := foldedDuplicate(body)
	if err != nil {
		return err
	}
	if dup {
		return errors.New("duplicate name")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}

// foldedDuplicate reports, with encoding/json's Decoder.Token, whether an
// object of body has two names equal in lower case. FuzzDecode uses it as
// an independent oracle.
func foldedDuplicate(body []byte) (bool, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	type frame struct {
		object bool
		names  map[string]struct{}
		key    bool // the next token is a name
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		var top *frame
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		switch tok := tok.(type) {
		case json.Delim:
			switch tok {
			case '{', '[':
				if top != nil && top.object {
					top.key = true
				}
				if tok == '{' {
					stack = append(stack, frame{object: true, names: map[string]struct{}{}, key: true})
				} else {
					stack = append(stack, frame{})
				}
			default:
				stack = stack[:len(stack)-1]
			}
			continue
		case string:
			if top != nil && top.object && top.key {
				k := strings.ToLower(tok)
				if _, dup := top.names[k]; dup {
					return true, nil
				}
				top.names[k] = struct{}{}
				top.key = false
				continue
			}
		}
		if top != nil && top.object {
			top.key = true
		}
	}
}

func BenchmarkStripHTML(b *testing.B) {
	in := `<p>Fresh <b>sourdough</b> &amp; rye, baked daily.<script>alert(1)</script> <a href="javascript:alert(1)">Order</a></p>`
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		validate.StripHTML(in)
	}
}

// BenchmarkStripHTMLPlain is the common case of a plain-text field: a
// name or a note without markup.
func BenchmarkStripHTMLPlain(b *testing.B) {
	in := "Deliver to the back door, ring twice. Ask for Ann at reception."
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		validate.StripHTML(in)
	}
}

func BenchmarkSanitizeHTML(b *testing.B) {
	in := `<p>Fresh <b>sourdough</b> &amp; rye, baked daily.<script>alert(1)</script> <a href="https://example.com/menu">Menu</a></p>`
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		validate.SanitizeHTML(in)
	}
}

func BenchmarkParams(b *testing.B) {
	mux := http.NewServeMux()
	var limit int
	mux.HandleFunc("GET /customers/{id}/transactions", func(w http.ResponseWriter, r *http.Request) {
		p := validate.NewParams(r)
		p.Path("id").Required().UUID()
		limit = p.QueryInt("limit").Default(20).Min(1).Max(100).Value()
		if p.Err() != nil {
			b.Fatal(p.Err())
		}
	})
	req := httptest.NewRequest("GET", "/customers/9b2f7c1e-4a8d-4f3b-9c6e-2d1a5b7e8f90/transactions?limit=50", nil)
	rec := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		mux.ServeHTTP(rec, req)
	}
	_ = limit
}
