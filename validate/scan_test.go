package validate_test

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chainsync/middleware/validate"
)

func TestCaseFoldedDuplicatesInMaps(t *testing.T) {
	tests := []struct {
		name, body string
		dupField   string // "" for accepted
	}{
		{"distinct", `{"a":1,"b":2}`, ""},
		{"ascii case", `{"tag":1,"TAG":2}`, "TAG"},
		{"kelvin sign", `{"kind":1,"\u212aind":2}`, "\u212aind"},
		{"long s", `{"size":1,"\u017fize":2}`, "\u017fize"},
		{"same name in sibling objects", `{"a":{"x":1},"b":{"X":1}}`, ""},
		{"same name in array elements", `{"a":[{"k":1},{"K":1}]}`, ""},
		{"nested", `{"a":{"x":1,"y":{"z":1},"X":2}}`, "a.X"},
		{"in array", `[{"q":1},{"q":1,"Q":2}]`, "[1].Q"},
		{"large object without duplicates", bigObject(40, ""), ""},
		{"large object with a duplicate at the end", bigObject(40, "KXXF0"), "KXXF0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			_, err := validate.Decode[any](req, validate.Options{})
			if tt.dupField == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var e *validate.Error
			if !errors.As(err, &e) || !errors.Is(err, validate.ErrDuplicateField) || e.Details[0].Field != tt.dupField {
				t.Fatalf("err = %v, want a duplicate at %q", err, tt.dupField)
			}
		})
	}
}

func bigObject(n int, extra string) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"k` + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + string(rune('0'+i/26)) + `":1`)
	}
	if extra != "" {
		b.WriteString(`,"` + extra + `":1`)
	}
	b.WriteString("}")
	return b.String()
}
