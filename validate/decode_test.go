package validate_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
		{"unknown field only in case", "application/json", `{"Amount":1}`, 400, bad400("Amount", "unknown_field", "is not a known field", 1)},
		{"string for int", "application/json", strInt, 400, bad400("items[0].quantity", "type", "must be an integer", at(strInt, `"quantity":"2"`)+len(`"quantity":`))},
		{"fraction for int", "application/json", fracInt, 400, bad400("items[0].quantity", "type", "must be an integer", at(fracInt, `1.5`))},
		{"exponent for int", "application/json", expInt, 400, bad400("items[0].quantity", "type", "must be an integer", at(expInt, `:1e2`)+1)},
		{"int out of range", "application/json", bigInt, 400, bad400("items[0].quantity", "type", "is out of range", at(bigInt, `9999`))},
		{"number for string", "application/json", `{"customerId":42}`, 400, bad400("customerId", "type", "must be a string", 14)},
		{"object for list", "application/json", `{"items":{}}`, 400, bad400("items", "type", "must be an array", 9)},
		{"array body", "application/json", `[]`, 400, bad400("", "type", "must be an object", 0)},
		{"money with 3 decimals", "application/json", `{"amount":12.499}`, 400, bad400("amount", "money", "must be a decimal amount with at most 2 decimal places", 10)},
		{"money as string", "application/json", `{"amount":"12.50"}`, 400, bad400("amount", "money", "must be a decimal amount with at most 2 decimal places", 10)},
		{"money too large", "application/json", `{"amount":12345678901234.00}`, 400, bad400("amount", "money", "must be a decimal amount with at most 2 decimal places", 10)},
		{"invalid UTF-8", "application/json", "{\"note\":\"caf\xe9\"}", 400, bad400("note", "invalid_utf8", "must be valid UTF-8", 12)},
		{"invalid UTF-8 in name", "application/json", "{\"n\xffte\":\"x\"}", 400, bad400("", "invalid_utf8", "must be valid UTF-8", 3)},
		{"lone surrogate", "application/json", `{"note":"\ud800"}`, 400, bad400("note", "invalid_utf8", "must be valid UTF-8 (lone surrogate escape)", 9)},
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
