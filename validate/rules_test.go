package validate_test

import (
	"errors"
	"math"
	"regexp"
	"strconv"
	"testing"

	"github.com/chainsync/middleware/validate"
)

func TestRules(t *testing.T) {
	sku := regexp.MustCompile(`^[A-Z]{3}-[0-9]{4}$`)
	tests := []struct {
		name  string
		check func(v *validate.Collector)
		want  string // "code: message", "" if the check passes
	}{
		{"required ok", func(v *validate.Collector) { v.Field("f").String("x").Required() }, ""},
		{"required empty", func(v *validate.Collector) { v.Field("f").String("").Required() }, "required: is required"},
		{"required blank", func(v *validate.Collector) { v.Field("f").String(" \t").Required() }, "required: is required"},
		{"min length ok", func(v *validate.Collector) { v.Field("f").String("abc").MinLen(3) }, ""},
		{"min length counts runes", func(v *validate.Collector) { v.Field("f").String("ééé").MinLen(3).MaxLen(3) }, ""},
		{"min length short", func(v *validate.Collector) { v.Field("f").String("ab").MinLen(3) }, "min_length: must be at least 3 characters"},
		{"max length long", func(v *validate.Collector) { v.Field("f").String("abcd").MaxLen(3) }, "max_length: must be at most 3 characters"},
		{"max length runes", func(v *validate.Collector) { v.Field("f").String("éééé").MaxLen(3) }, "max_length: must be at most 3 characters"},
		{"optional empty skips format", func(v *validate.Collector) { v.Field("f").String("").MinLen(3).UUID().Email().URL().Currency() }, ""},
		{"one of ok", func(v *validate.Collector) { v.Field("f").String("card").OneOf("cash", "card") }, ""},
		{"one of case matters", func(v *validate.Collector) { v.Field("f").String("Card").OneOf("cash", "card") }, "one_of: must be one of: cash, card"},
		{"pattern ok", func(v *validate.Collector) { v.Field("f").String("ABC-1234").Pattern(sku, "a SKU") }, ""},
		{"pattern named", func(v *validate.Collector) { v.Field("f").String("abc").Pattern(sku, "a SKU") }, "pattern: must be a SKU"},
		{"pattern unnamed", func(v *validate.Collector) { v.Field("f").String("abc").Pattern(sku, "") }, "pattern: has an invalid format"},
		{"uuid", func(v *validate.Collector) { v.Field("f").String("42").UUID() }, "uuid: must be a UUID"},
		{"email", func(v *validate.Collector) { v.Field("f").String("ann@").Email() }, "email: must be an email address"},
		{"url", func(v *validate.Collector) { v.Field("f").String("ftp://x.example").URL() }, "url: must be an http or https URL"},
		{"currency", func(v *validate.Collector) { v.Field("f").String("usd").Currency() }, "currency: must be an ISO 4217 currency code such as USD"},
		{"chain stops at first failure", func(v *validate.Collector) { v.Field("f").String("").Required().UUID() }, "required: is required"},
		{"int min ok", func(v *validate.Collector) { v.Field("f").Int(1).Min(1).Max(1) }, ""},
		{"int min", func(v *validate.Collector) { v.Field("f").Int(0).Min(1) }, "min: must be at least 1"},
		{"int max", func(v *validate.Collector) { v.Field("f").Int(101).Min(1).Max(100) }, "max: must be at most 100"},
		{"int negative min", func(v *validate.Collector) { v.Field("f").Int(-6).Min(-5) }, "min: must be at least -5"},
		{"int required", func(v *validate.Collector) { v.Field("f").Int(0).Required() }, "required: is required"},
		{"int one of", func(v *validate.Collector) { v.Field("f").Int(3).OneOf(1, 2) }, "one_of: must be one of: 1, 2"},
		{"int one of ok", func(v *validate.Collector) { v.Field("f").Int(2).OneOf(1, 2) }, ""},
		{"float min ok", func(v *validate.Collector) { v.Field("f").Float(0.01).Min(0.01) }, ""},
		{"float min", func(v *validate.Collector) { v.Field("f").Float(0.009).Min(0.01) }, "min: must be at least 0.01"},
		{"float max", func(v *validate.Collector) { v.Field("f").Float(1e6).Max(999.5) }, "max: must be at most 999.5"},
		{"float NaN", func(v *validate.Collector) { v.Field("f").Float(math.NaN()).Min(0) }, "number: must be a finite number"},
		{"float Inf", func(v *validate.Collector) { v.Field("f").Float(math.Inf(1)).Max(10) }, "number: must be a finite number"},
		{"money min ok", func(v *validate.Collector) { v.Field("f").Money(1).Min(validate.Cents(1)) }, ""},
		{"money min", func(v *validate.Collector) { v.Field("f").Money(0).Min(validate.Cents(1)) }, "min: must be at least 0.01"},
		{"money max", func(v *validate.Collector) { v.Field("f").Money(100_001).Max(validate.Cents(100_000)) }, "max: must be at most 1000.00"},
		{"count min", func(v *validate.Collector) { v.Field("f").Count(0).Min(1) }, "min_items: must have at least 1 item"},
		{"count min plural", func(v *validate.Collector) { v.Field("f").Count(1).Min(2) }, "min_items: must have at least 2 items"},
		{"count max", func(v *validate.Collector) { v.Field("f").Count(3).Max(2) }, "max_items: must have at most 2 items"},
		{"check", func(v *validate.Collector) { v.Field("f").Check(false, "luhn", "must be a card number") }, "luhn: must be a card number"},
		{"check ok", func(v *validate.Collector) { v.Field("f").Check(true, "luhn", "must be a card number") }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v validate.Collector
			tt.check(&v)
			err := v.Err()
			if tt.want == "" {
				if err != nil || !v.OK() {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var es validate.Errors
			if !errors.As(err, &es) || len(es) != 1 {
				t.Fatalf("err = %v, want one error", err)
			}
			if got := es[0].Code + ": " + es[0].Message; got != tt.want || es[0].Field != "f" {
				t.Fatalf("got %s %q, want f %q", es[0].Field, got, tt.want)
			}
		})
	}
}

func TestPaths(t *testing.T) {
	var v validate.Collector
	v.Field("amount").Int(0).Min(1)
	v.Index("items", 2).Field("quantity").Int(0).Min(1)
	v.Object("customer").Object("address").Field("zip").String("").Required()
	v.Index("orders", 1).Index("lines", 3).Field("sku").String("").Required()
	v.Object("customer").Index("tags", 0).Field("").String("").Required()
	v.Index("", 2).Field("q").Int(0).Min(1)                                        // an element of a top-level array
	v.Object("a").Index("b", 1).Index("c", 2).Object("e").Field("d").Int(0).Min(1) // four levels
	v.Index("", 2).Index("", 3).Field("q").Int(0).Min(1)                           // a list of lists
	if p := v.Index("items", 7).Field("productId").Path(); p != "items[7].productId" {
		t.Errorf("Path() = %q", p)
	}
	var got []string
	for _, e := range v.Err().(validate.Errors) {
		got = append(got, e.Field)
	}
	want := []string{"amount", "items[2].quantity", "customer.address.zip", "orders[1].lines[3].sku", "customer.tags[0]", "[2].q",
		"a.b[1].c[2].e.d", "[2][3].q"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("path %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestCollectorKeepsAtMostMaxErrors(t *testing.T) {
	var v validate.Collector
	for i := range validate.MaxErrors + 25 {
		v.Index("items", i).Field("quantity").Int(0).Min(1)
	}
	es := v.Err().(validate.Errors)
	if len(es) != validate.MaxErrors+1 {
		t.Fatalf("%d errors, want %d", len(es), validate.MaxErrors+1)
	}
	last := es[len(es)-1]
	if last.Code != validate.CodeMore || last.Message != "25 more errors not shown" {
		t.Fatalf("last = %+v", last)
	}
	if es[validate.MaxErrors-1].Field != "items["+strconv.Itoa(validate.MaxErrors-1)+"].quantity" {
		t.Fatalf("kept the wrong errors: %+v", es[validate.MaxErrors-1])
	}
}

// Past MaxErrors a failure is only counted: a body with many bad elements
// costs no path strings.
func TestCollectorPastMaxErrorsDoesNotAllocate(t *testing.T) {
	var v validate.Collector
	for i := range validate.MaxErrors {
		v.Index("items", i).Field("quantity").Int(0).Min(1)
	}
	i := 0
	allocs := testing.AllocsPerRun(100, func() {
		i++
		v.Index("items", i).Field("quantity").Int(0).Min(1)
		v.Object("customer").Index("tags", i).Field("name").String("").Required()
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per failure past the cap", allocs)
	}
	es := v.Err().(validate.Errors)
	if last := es[len(es)-1]; last.Code != validate.CodeMore || last.Message != "202 more errors not shown" {
		t.Fatalf("last = %+v", last)
	}
}

func TestValuesAndAdd(t *testing.T) {
	var v validate.Collector
	if s := v.Field("a").String("x").Value(); s != "x" {
		t.Errorf("String value %q", s)
	}
	if n := v.Field("a").Int(3).Min(5).Value(); n != 3 {
		t.Errorf("Int value %d", n)
	}
	if x := v.Field("a").Float(2.5).Value(); x != 2.5 {
		t.Errorf("Float value %v", x)
	}
	if m := v.Field("a").Money(250).Value(); m != 250 {
		t.Errorf("Money value %v", m)
	}
	v.Add("custom.path", "custom", "is wrong")
	es := v.Err().(validate.Errors)
	if len(es) != 2 || es[1] != (validate.FieldError{Field: "custom.path", Code: "custom", Message: "is wrong"}) {
		t.Fatalf("errors %+v", es)
	}
	if es.Error() != "validate: a: must be at least 5; custom.path: is wrong" {
		t.Errorf("Error() = %q", es.Error())
	}
	if !es.Has("custom.path") || es.Has("b") {
		t.Errorf("Has")
	}
}

func BenchmarkValidateTransaction(b *testing.B) {
	t := Transaction{Amount: 4785, Currency: "EUR", CustomerID: customer, Items: []Item{{product, 2}, {product, 1}, {product, 12}}}
	b.ReportAllocs()
	for b.Loop() {
		if err := t.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}
