package validate_test

import (
	"errors"
	"net/http"
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
		{"escaped name", `{"k":1,"\u004b":2}`, "K"},
		{"in a list inside an object", `{"a":[{"k":1},{"k":1,"K":2}]}`, "a[1].K"},
		{"after a closed sibling object", `{"a":{"b":1},"c":{"B":1},"A":2}`, "A"},
		{"large object without duplicates", bigObject(40, ""), ""},
		{"large object with a duplicate at the end", bigObject(40, "KXXF0"), "KXXF0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkDuplicate(t, decodeAs[any], tt.body, tt.dupField)
		})
	}
}

// caseFields has two fields whose names differ only in case: the decoder
// gives each its own value, but other readers of the same body (encoding/json,
// case-insensitive stores) would merge them.
type caseFields struct {
	Id string `json:"id"`
	ID string `json:"ID"`
}

type embeddedCaseFields struct {
	caseFields
	Note string `json:"note"`
}

type promotedCollision struct {
	Inner
	NAME string
}

type Inner struct {
	Name string `json:"name"`
}

func TestCaseFoldedDuplicatesOfFields(t *testing.T) {
	tests := []struct {
		name     string
		decode   func(*http.Request) error
		body     string
		dupField string // "" for accepted
	}{
		{"fields differing in case, one given", decodeAs[caseFields], `{"id":"a"}`, ""},
		{"fields differing in case, both given", decodeAs[caseFields], `{"id":"a","ID":"b"}`, "ID"},
		{"embedded, both given", decodeAs[embeddedCaseFields], `{"ID":"b","note":"x","id":"a"}`, "id"},
		{"promoted, both given", decodeAs[promotedCollision], `{"name":"a","NAME":"b"}`, "NAME"},
		{"list of them", decodeAs[[]caseFields], `[{"id":"a"},{"ID":"b","id":"a"}]`, "[1].id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkDuplicate(t, tt.decode, tt.body, tt.dupField)
		})
	}
}

// checkDuplicate decodes body and checks that it is accepted (dupField
// "") or rejected as a duplicate at dupField.
func checkDuplicate(t *testing.T, decode func(*http.Request) error, body, dupField string) {
	t.Helper()
	req := httptest.NewRequest("POST", "/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	err := decode(req)
	if dupField == "" {
		if err != nil {
			t.Fatalf("err = %v", err)
		}
		return
	}
	var e *validate.Error
	if !errors.As(err, &e) || !errors.Is(err, validate.ErrDuplicateField) || e.Details[0].Field != dupField {
		t.Fatalf("err = %v, want a duplicate at %q", err, dupField)
	}
}

func decodeAs[T any](r *http.Request) error {
	_, err := validate.Decode[T](r, validate.Options{})
	return err
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
