package validate_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"

	"github.com/chainsync/middleware/validate"
)

// Transaction is the body of POST /transactions in ChainSync.
type Transaction struct {
	Amount     validate.Money `json:"amount"`
	Currency   string         `json:"currency"`
	CustomerID string         `json:"customerId"`
	Items      []Item         `json:"items"`
	Note       string         `json:"note,omitempty"`
}

// Item is one line of a Transaction.
type Item struct {
	ProductID string `json:"productId"`
	Quantity  int    `json:"quantity"`
}

// Validate checks the rules of ChainSync's transaction: amount at least
// 0.01, customerId a UUID, at least one item, each with a productId UUID
// and a quantity of at least 1.
func (t *Transaction) Validate() error {
	var v validate.Collector
	v.Field("amount").Money(t.Amount).Min(validate.Cents(1)).Max(validate.Cents(1_000_000_00))
	v.Field("currency").String(t.Currency).Required().Currency()
	v.Field("customerId").String(t.CustomerID).Required().UUID()
	v.Field("items").Count(len(t.Items)).Min(1).Max(500)
	for i, it := range t.Items {
		item := v.Index("items", i)
		item.Field("productId").String(it.ProductID).Required().UUID()
		item.Field("quantity").Int(it.Quantity).Min(1).Max(10_000)
	}
	v.Field("note").String(t.Note).MaxLen(500)
	return v.Err()
}

func post(h http.Handler, body string) {
	req := httptest.NewRequest("POST", "/transactions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
}

// The full ChainSync transaction: the middleware decodes and validates the
// body, the handler reads the typed value, and every failure is a 400 with
// field details.
func ExampleJSON() {
	create := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := validate.BodyFrom[Transaction](r.Context())
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "%s %s for %s, %d item(s)\n", t.Amount, t.Currency, t.CustomerID, len(t.Items))
	})
	h := validate.JSON[Transaction](validate.Options{})(create)

	post(h, `{"amount":12.50,"currency":"EUR","customerId":"9b2f7c1e-4a8d-4f3b-9c6e-2d1a5b7e8f90",
		"items":[{"productId":"3f1c2b4a-6d5e-4f7a-8b9c-0d1e2f3a4b5c","quantity":2}]}`)
	post(h, `{"amount":0,"currency":"EUR","customerId":"42",
		"items":[{"productId":"3f1c2b4a-6d5e-4f7a-8b9c-0d1e2f3a4b5c","quantity":0}]}`)
	post(h, `{"amount":12.499,"currency":"EUR","customerId":"9b2f7c1e-4a8d-4f3b-9c6e-2d1a5b7e8f90","items":[]}`)
	post(h, `{"amount":1,"Amount":1000}`)
	// Output:
	// 201 12.50 EUR for 9b2f7c1e-4a8d-4f3b-9c6e-2d1a5b7e8f90, 1 item(s)
	// 400 {"type":"about:blank","title":"Bad Request","status":400,"error":"Validation failed","details":[{"field":"amount","code":"min","message":"must be at least 0.01"},{"field":"customerId","code":"uuid","message":"must be a UUID"},{"field":"items[0].quantity","code":"min","message":"must be at least 1"}]}
	// 400 {"type":"about:blank","title":"Bad Request","status":400,"error":"Invalid JSON body","details":[{"field":"amount","code":"money","message":"must be a decimal amount with at most 2 decimal places","offset":10}]}
	// 400 {"type":"about:blank","title":"Bad Request","status":400,"error":"Invalid JSON body","details":[{"field":"Amount","code":"duplicate","message":"appears more than once (names differ only in case)","offset":12}]}
}

func ExampleDecode() {
	req := httptest.NewRequest("POST", "/items", strings.NewReader(`{"productId":"3f1c2b4a-6d5e-4f7a-8b9c-0d1e2f3a4b5c","quantity":"2"}`))
	req.Header.Set("Content-Type", "application/json")
	_, err := validate.Decode[Item](req, validate.Options{})
	fmt.Println(err)
	// Output:
	// validate: 400 Invalid JSON body: quantity: must be an integer
}

func ExampleNewParams() {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := validate.NewParams(r)
		id := p.Path("id").Required().UUID().Value()
		limit := p.QueryInt("limit").Default(20).Min(1).Max(100).Value()
		sort := p.Query("sort").Default("newest").OneOf("newest", "oldest").Value()
		if err := p.Err(); err != nil {
			validate.WriteError(w, r, err)
			return
		}
		fmt.Fprintln(w, id, limit, sort)
	})
	mux := http.NewServeMux()
	mux.Handle("GET /customers/{id}/transactions", h)
	for _, target := range []string{
		"/customers/9b2f7c1e-4a8d-4f3b-9c6e-2d1a5b7e8f90/transactions",
		"/customers/9b2f7c1e-4a8d-4f3b-9c6e-2d1a5b7e8f90/transactions?limit=500&sort=name",
	} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	// Output:
	// 200 9b2f7c1e-4a8d-4f3b-9c6e-2d1a5b7e8f90 20 newest
	// 400 {"type":"about:blank","title":"Bad Request","status":400,"error":"Validation failed","details":[{"field":"limit","code":"max","message":"must be at most 100"},{"field":"sort","code":"one_of","message":"must be one of: newest, oldest"}]}
}

func ExampleCollector() {
	sku := regexp.MustCompile(`^[A-Z]{3}-[0-9]{4}$`)
	var v validate.Collector
	v.Field("sku").String("abc-12").Required().Pattern(sku, "a SKU such as ABC-1234")
	v.Field("email").String("Ann <ann@example.com>").Email()
	v.Field("website").String("javascript:alert(1)").URL()
	v.Field("size").String("XXL").OneOf("S", "M", "L")
	v.Field("price").Float(-1).Min(0)
	shipping := v.Object("shipping")
	shipping.Field("country").String("").Required()
	for _, e := range v.Err().(validate.Errors) {
		fmt.Printf("%s %s: %s\n", e.Field, e.Code, e.Message)
	}
	// Output:
	// sku pattern: must be a SKU such as ABC-1234
	// email email: must be an email address
	// website url: must be an http or https URL
	// size one_of: must be one of: S, M, L
	// price min: must be at least 0
	// shipping.country required: is required
}

func ExampleStripHTML() {
	fmt.Println(validate.StripHTML(`<b>Salt & Pepper</b><script>alert(1)</script> <img src=x onerror=alert(1)>Large`))
	// Output:
	// Salt &amp; Pepper Large
}

func ExampleSanitizeHTML() {
	fmt.Println(validate.SanitizeHTML(`<p onclick="steal()">Fresh <em>daily</em>. <a href="https://example.com/menu">Menu</a> <a href="javascript:alert(1)">win</a></p>`))
	// Output:
	// <p>Fresh <em>daily</em>. <a href="https://example.com/menu" rel="nofollow noopener" target="_blank">Menu</a> win</p>
}

func ExampleParseMoney() {
	for _, s := range []string{"12.5", "12.50", "12.499", "1e3"} {
		m, err := validate.ParseMoney(s)
		fmt.Println(int64(m), m, err)
	}
	// Output:
	// 1250 12.50 <nil>
	// 1250 12.50 <nil>
	// 0 0.00 validate: not an amount of money
	// 0 0.00 validate: not an amount of money
}

// NewJSON reports invalid options instead of panicking; the ErrorHandler
// can answer rejections in another shape.
func ExampleNewJSON() {
	_, err := validate.NewJSON[Transaction](validate.Options{MaxBytes: -1})
	fmt.Println(err)

	mw, _ := validate.NewJSON[Item](validate.Options{
		MaxBytes: 4 << 10,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			var e *validate.Error
			if errors.As(err, &e) {
				http.Error(w, e.Message, e.Status)
			}
		},
	})
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/", strings.NewReader(`{}`)))
	fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	// Output:
	// validate: invalid options: MaxBytes -1 is negative
	// 415 Content-Type must be application/json
}

func ExampleWriteError() {
	var v validate.Collector
	v.Field("limit").Int(500).Max(100)
	rec := httptest.NewRecorder()
	validate.WriteError(rec, httptest.NewRequest("GET", "/", nil), v.Err())
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Println(rec.Body)
	// Output:
	// 400 application/problem+json
	// {"type":"about:blank","title":"Bad Request","status":400,"error":"Validation failed","details":[{"field":"limit","code":"max","message":"must be at most 100"}]}
}

func ExampleIsEmail() {
	for _, s := range []string{"O'Brien@example.com", "Ann <ann@example.com>", "ann@localhost"} {
		fmt.Println(s, validate.IsEmail(s))
	}
	// Output:
	// O'Brien@example.com true
	// Ann <ann@example.com> false
	// ann@localhost false
}

func ExampleIsURL() {
	for _, s := range []string{"https://shop.example/menu", "javascript:alert(1)", "https://bank.example@evil.example", "http://0x7f.1/"} {
		fmt.Println(s, validate.IsURL(s))
	}
	// Output:
	// https://shop.example/menu true
	// javascript:alert(1) false
	// https://bank.example@evil.example false
	// http://0x7f.1/ false
}

func ExampleIsUUID() {
	fmt.Println(validate.IsUUID("017f22e2-79b0-7cc3-98c4-dc0c0c07398f"))
	fmt.Println(validate.IsUUID("00000000-0000-0000-0000-000000000000"))
	// Output:
	// true
	// false
}

func ExampleIsCurrency() {
	fmt.Println(validate.IsCurrency("EUR"), validate.IsCurrency("eur"), validate.IsCurrency("XXX"))
	// Output:
	// true false false
}

// Money keeps amounts exact: 12.50 is 1250 cents, and sums stay exact.
func ExampleMoney() {
	var order struct {
		Total validate.Money `json:"total"`
	}
	_ = json.Unmarshal([]byte(`{"total":0.10}`), &order)
	sum := order.Total + order.Total + order.Total
	fmt.Println(int64(sum), sum, sum == validate.Cents(30))
	f := 0.10 // the same amount as a float64
	fmt.Println(f+f+f == 0.30, f+f+f)
	out, _ := json.Marshal(order)
	fmt.Println(string(out))
	// Output:
	// 30 0.30 true
	// false 0.30000000000000004
	// {"total":0.10}
}

func ExampleCents() {
	fmt.Println(validate.Cents(1), validate.Cents(125000))
	// Output:
	// 0.01 1250.00
}

// A field written for encoding/json as a json.Number is checked as money
// too.
func ExampleField_MoneyNumber() {
	var v validate.Collector
	amount := v.Field("amount").MoneyNumber(json.Number("19.99")).Min(validate.Cents(1)).Value()
	v.Field("tip").MoneyNumber(json.Number("0.005"))
	fmt.Println(int64(amount), v.Err())
	// Output:
	// 1999 validate: tip: must be a decimal amount with at most 2 decimal places
}
