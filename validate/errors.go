package validate

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sentinel errors. Each [*Error] returned by [Decode] wraps one of them (or
// an *http.MaxBytesError, or the [Errors] of a failed Validate), so callers
// can tell the failures apart with errors.Is and errors.As.
var (
	// ErrUnsupportedMediaType: the Content-Type is missing or not JSON (415).
	ErrUnsupportedMediaType = errors.New("validate: Content-Type is not JSON")
	// ErrUnsupportedEncoding: the body has a Content-Encoding (such as gzip),
	// which is not decoded here (415).
	ErrUnsupportedEncoding = errors.New("validate: Content-Encoding is not supported")
	// ErrEmptyBody: the body is empty, only whitespace, or null (400).
	ErrEmptyBody = errors.New("validate: empty body")
	// ErrSyntax: the body is not well-formed JSON (400).
	ErrSyntax = errors.New("validate: malformed JSON")
	// ErrInvalidUTF8: a string holds invalid UTF-8 or a lone surrogate escape (400).
	ErrInvalidUTF8 = errors.New("validate: invalid UTF-8")
	// ErrDuplicateField: an object has the same member twice, or two members
	// whose names differ only in case (400).
	ErrDuplicateField = errors.New("validate: duplicate field")
	// ErrUnknownField: an object member matches no field of the target (400).
	ErrUnknownField = errors.New("validate: unknown field")
	// ErrTrailingData: something follows the JSON value (400).
	ErrTrailingData = errors.New("validate: data after the JSON value")
	// ErrType: a value has the wrong JSON type or is out of range for its
	// Go field (400).
	ErrType = errors.New("validate: wrong type")
	// ErrMoney: a number is not a decimal amount with at most 2 decimal
	// places, or is beyond ±[MaxMoney] (400).
	ErrMoney = errors.New("validate: not an amount of money")
	// ErrInvalidOptions: an [Options] field is out of range; a programming
	// error reported at construction.
	ErrInvalidOptions = errors.New("validate: invalid options")

	// errNotNumber is the cause of a json.Number field given something
	// else than a number (rendered as "must be a number").
	errNotNumber = errors.New("validate: not a JSON number")
)

// Codes of [FieldError]: stable, machine-readable values for clients.
const (
	CodeRequired     = "required"      // a required value is missing or empty
	CodeMin          = "min"           // a number is below its minimum
	CodeMax          = "max"           // a number is above its maximum
	CodeMinLength    = "min_length"    // a string is shorter than its minimum
	CodeMaxLength    = "max_length"    // a string is longer than its maximum
	CodeMinItems     = "min_items"     // a list has fewer elements than its minimum
	CodeMaxItems     = "max_items"     // a list has more elements than its maximum
	CodeOneOf        = "one_of"        // a value is not one of the allowed ones
	CodePattern      = "pattern"       // a string does not match its pattern
	CodeUUID         = "uuid"          // a string is not a UUID
	CodeEmail        = "email"         // a string is not an email address
	CodeURL          = "url"           // a string is not an http(s) URL
	CodeCurrency     = "currency"      // a string is not an ISO 4217 code
	CodeMoney        = "money"         // a number is not a decimal amount of money
	CodeNumber       = "number"        // a number is not finite
	CodeType         = "type"          // a value has the wrong JSON type or cannot be parsed
	CodeSyntax       = "syntax"        // the body is not well-formed JSON
	CodeInvalidUTF8  = "invalid_utf8"  // a string is not valid UTF-8
	CodeDuplicate    = "duplicate"     // an object member appears twice
	CodeUnknownField = "unknown_field" // an object member is not expected
	CodeTrailingData = "trailing_data" // something follows the JSON value
	CodeEmpty        = "empty"         // the body is empty
	CodeTooLarge     = "too_large"     // the body is over the limit
)

// FieldError is one failed check: the field's path in JSON notation
// ("items[2].quantity", or the name of a query or path parameter), a
// machine-readable code (one of the Code constants) and a message for
// humans. Messages never quote the rejected value.
type FieldError struct {
	// Field is the path of the field in JSON notation, or the name of a
	// query or path parameter.
	Field string
	// Code is the machine-readable reason, one of the Code constants.
	Code string
	// Message says what is wrong for humans, without quoting the value.
	Message string
	// Offset is the byte offset in the body where decoding failed. It is
	// only set (and only rendered, as "offset") for errors found while
	// decoding; see HasOffset.
	Offset int64
	// HasOffset reports whether Offset is meaningful.
	HasOffset bool
}

// Error returns "field: message" (or the message alone for the body itself).
// A field with control characters, invalid UTF-8 or other unprintable runes
// (a member name chosen by the client) is quoted, so the text cannot forge
// log lines.
func (e FieldError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	f := e.Field
	if strings.ContainsFunc(f, func(r rune) bool { return r == utf8.RuneError || !unicode.IsPrint(r) }) {
		f = strconv.Quote(f)
	}
	return f + ": " + e.Message
}

// MarshalJSON encodes the error as
// {"field":...,"code":...,"message":...} with "offset" added when set.
func (e FieldError) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 48+len(e.Field)+len(e.Code)+len(e.Message))
	b = append(b, `{"field":`...)
	b = appendJSONString(b, e.Field)
	b = append(b, `,"code":`...)
	b = appendJSONString(b, e.Code)
	b = append(b, `,"message":`...)
	b = appendJSONString(b, e.Message)
	if e.HasOffset {
		b = append(b, `,"offset":`...)
		b = strconv.AppendInt(b, e.Offset, 10)
	}
	return append(b, '}'), nil
}

// Errors is the list of failed checks of one value, in the order they were
// found. It is the error [Collector.Err] returns and what the "details"
// member of a 400 response holds.
type Errors []FieldError

// Error joins the field errors with "; ".
func (es Errors) Error() string {
	var sb strings.Builder
	sb.WriteString("validate: ")
	for i, e := range es {
		if i > 0 {
			sb.WriteString("; ")
		}
		sb.WriteString(e.Error())
	}
	return sb.String()
}

// Has reports whether some error is about field (a path such as
// "items[0].quantity").
func (es Errors) Has(field string) bool {
	for _, e := range es {
		if e.Field == field {
			return true
		}
	}
	return false
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string with <, > and & escaped (like
// encoding/json) and invalid UTF-8 replaced by U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
