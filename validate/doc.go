// Package validate decodes JSON request bodies strictly into typed values,
// checks them with rules written in code, and answers every failure with a
// field-level RFC 9457 problem+json 400. It also checks query-string and
// path parameters, and sanitises HTML with bluemonday.
//
// # Decoding
//
// [Decode] and the middleware [JSON] (with [BodyFrom] in the handler) read
// a body of at most 1 MiB (413 beyond), only with a JSON Content-Type and
// no Content-Encoding (415 otherwise: compressed bodies are not inflated
// here), and reject with 400 what encoding/json lets through: unknown
// fields, data after the value, duplicate member names (also those that
// differ only in case, which encoding/json silently merges, the last one
// winning) and invalid UTF-8 (which encoding/json silently replaces).
// Syntax and type errors name the field path and byte offset; responses
// never quote a value or a Go error message. The path is made of member
// names, which for an unknown member the client chose: it is JSON-escaped
// (< > & too) and cut to 200 bytes.
//
//	{"type":"about:blank","title":"Bad Request","status":400,"error":"Invalid JSON body",
//	 "details":[{"field":"items[1].quantity","code":"type","message":"must be an integer","offset":112}]}
//
// # Rules
//
// A body type checks itself by implementing [Validator] with a [Collector]:
// plain method chains, no struct tags and no reflection, that gather every
// failure at once, each with the field's JSON path, a machine-readable code
// and a message:
//
//	func (t *Transaction) Validate() error {
//		var v validate.Collector
//		v.Field("amount").Money(t.Amount).Min(validate.Cents(1))
//		v.Field("customerId").String(t.CustomerID).Required().UUID()
//		v.Field("items").Count(len(t.Items)).Min(1)
//		for i, it := range t.Items {
//			item := v.Index("items", i)
//			item.Field("productId").String(it.ProductID).Required().UUID()
//			item.Field("quantity").Int(it.Quantity).Min(1)
//		}
//		return v.Err()
//	}
//
// gives, for a bad body,
//
//	{"type":"about:blank","title":"Bad Request","status":400,"error":"Validation failed",
//	 "details":[{"field":"items[0].quantity","code":"min","message":"must be at least 1"}]}
//
// The built-in checks: required, min and max (ints, floats, [Money], list
// lengths), string length, one-of, pattern, UUID (RFC 9562), email, http(s)
// URL and ISO 4217 currency code. Amounts of money decode into [Money],
// integer minor units, from JSON numbers with at most two decimals: a
// float64 cannot tell 12.50 from 12.499999999.
//
// # What this package does not do: "SQL injection detection"
//
// There is no check that looks for SQL in input, and there should not be.
// Regular expressions over input that reject quotes, semicolons, "--" or
// words like SELECT block legitimate data (O'Brien, "Salt & Pepper; Large",
// a note that says "drop off at the back") and stop nothing: the same
// query can be written in countless ways they do not match. The defence is
// parameterised queries (placeholders such as $1 in pgx or database/sql),
// which never let data become SQL whatever it contains; validation enforces
// the shape and domain rules of the data (a UUID is a UUID, a quantity is a
// positive integer), which is what this package is for.
//
// # HTML
//
// [StripHTML] removes all markup from plain-text fields and [SanitizeHTML]
// keeps safe formatting in rich-text fields, both with bluemonday policies
// built once. Sanitise for output into HTML only; text that is stored is
// better escaped when it is output.
package validate
