package validate_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/chainsync/middleware/validate"
)

func TestFieldErrorJSON(t *testing.T) {
	tests := []struct {
		name string
		e    validate.FieldError
		want string
	}{
		{"rule", validate.FieldError{Field: "items[0].quantity", Code: "min", Message: "must be at least 1"},
			`{"field":"items[0].quantity","code":"min","message":"must be at least 1"}`},
		{"offset zero", validate.FieldError{Code: "syntax", Message: "m", HasOffset: true},
			`{"field":"","code":"syntax","message":"m","offset":0}`},
		{"offset ignored without HasOffset", validate.FieldError{Code: "c", Message: "m", Offset: 7},
			`{"field":"","code":"c","message":"m"}`},
		{"escaping", validate.FieldError{Field: "<script>\"&\n\t\x01\u2028", Code: "c", Message: "\\"},
			`{"field":"\u003cscript\u003e\"\u0026\n\t\u0001\u2028","code":"c","message":"\\"}`},
		{"invalid UTF-8", validate.FieldError{Field: "caf\xe9", Code: "c", Message: "é"},
			`{"field":"caf\ufffd","code":"c","message":"é"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.e)
			if err != nil || string(b) != tt.want {
				t.Fatalf("got %s, %v\nwant %s", b, err, tt.want)
			}
			var back map[string]any
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("not JSON: %v", err)
			}
		})
	}
}

func TestErrorUnwrap(t *testing.T) {
	es := validate.Errors{{Field: "amount", Code: "min", Message: "must be at least 0.01"}}
	e := &validate.Error{Status: 400, Message: "Validation failed", Details: es, Err: es}
	if got := e.Error(); got != "validate: 400 Validation failed: amount: must be at least 0.01" {
		t.Errorf("Error() = %q", got)
	}
	var back validate.Errors
	if !errors.As(e, &back) || !back.Has("amount") {
		t.Errorf("errors.As(Errors) failed")
	}
	e2 := &validate.Error{Status: 415, Message: "m", Err: validate.ErrUnsupportedMediaType}
	if !errors.Is(e2, validate.ErrUnsupportedMediaType) || e2.Error() != "validate: 415 m" {
		t.Errorf("%v", e2)
	}
	if (validate.FieldError{Message: "is empty"}).Error() != "is empty" {
		t.Errorf("FieldError without field")
	}
}

// A field path can hold a member name the client chose: in the text of the
// error (which ends up in logs) it must not start a new line or carry
// terminal escapes.
func TestFieldErrorTextQuotesUnprintableFields(t *testing.T) {
	tests := []struct{ field, want string }{
		{"items[0].quantity", "items[0].quantity: m"},
		{"café", "café: m"},
		{"a\nlevel=ERROR msg=forged", `"a\nlevel=ERROR msg=forged": m`},
		{"\x1b[31mred", `"\x1b[31mred": m`},
		{"a\u2028b", `"a\u2028b": m`},
		{"caf\xe9", `"caf\xe9": m`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := (validate.FieldError{Field: tt.field, Message: "m"}).Error(); got != tt.want {
				t.Fatalf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}
