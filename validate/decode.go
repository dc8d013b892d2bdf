package validate

import (
	"bytes"
	"context"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/chainsync/middleware/internal/problem"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// DefaultMaxBytes is the body limit when [Options.MaxBytes] is zero: 1 MiB.
const DefaultMaxBytes = 1 << 20

// Messages of the "error" member of the responses [WriteError] sends.
const (
	MessageValidationFailed    = "Validation failed"
	MessageInvalidJSON         = "Invalid JSON body"
	MessageTooLarge            = "Request body too large"
	MessageUnsupportedType     = "Content-Type must be application/json"
	MessageUnsupportedEncoding = "Content-Encoding is not supported"
)

// Options configures [Decode] and [JSON]. The zero value is the strict
// default.
type Options struct {
	// MaxBytes is the largest body accepted; a larger one is answered 413.
	// Default (0): DefaultMaxBytes, 1 MiB. Negative values are an error.
	MaxBytes int64

	// ErrorHandler answers requests that [JSON] rejects. err is an
	// [*Error]. Default: [WriteError], an RFC 9457 problem+json response.
	// Decode does not use it.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)
}

func (o Options) check() error {
	if o.MaxBytes < 0 {
		return fmt.Errorf("%w: MaxBytes %d is negative", ErrInvalidOptions, o.MaxBytes)
	}
	return nil
}

func (o Options) maxBytes() int64 {
	if o.MaxBytes == 0 {
		return DefaultMaxBytes
	}
	return o.MaxBytes
}

// Error is a rejected request body: the status and "error" message of the
// response, the field details, and the cause (one of the sentinel errors,
// an *http.MaxBytesError, or the [Errors] a Validate method returned) for
// errors.Is and errors.As.
type Error struct {
	// Status is 400, 413 or 415.
	Status int
	// Message is the "error" member of the response, such as
	// "Validation failed".
	Message string
	// Details are the field errors, rendered as the "details" member.
	Details Errors
	// Err is the cause.
	Err error
}

// Error describes the rejection. It includes the field paths but never a
// rejected value.
func (e *Error) Error() string {
	s := "validate: " + strconv.Itoa(e.Status) + " " + e.Message
	if len(e.Details) > 0 {
		s += ": " + e.Details.Error()[len("validate: "):]
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Decode reads r's JSON body into a new T and validates it: T (or *T) may
// implement [Validator]. It is strict, and every failure is an [*Error]
// (with the zero T) whose status says why:
//
//   - 415 if the Content-Type is not application/json or another
//     "+json" type (parameters other than charset=utf-8 are refused too);
//   - 415 if the body has a Content-Encoding other than identity: bodies
//     are not decompressed here (a small gzip body can inflate a
//     thousandfold);
//   - 413 if the body is larger than Options.MaxBytes (default 1 MiB), the
//     cause being an *http.MaxBytesError;
//   - 400 for an empty body or a top-level null, malformed JSON, invalid
//     UTF-8 (including lone surrogate escapes), data after the value, a
//     member name given twice in one object (also when the names differ
//     only in case: "amount" and "Amount"), a member that matches no field
//     (names match case-sensitively), a value of the wrong type or out of
//     range (1.5 or 1e2 for an int), and, once decoded, the failures of
//     Validate ("Validation failed").
//
// Decoding errors carry one [FieldError] with the JSON path ("items[1].
// quantity", cut to 200 bytes) and the byte offset; their messages are
// written here and never contain the rejected value or a Go error string.
//
// It reads the whole body (up to the limit) into a pooled buffer and decodes
// it in one pass with github.com/go-json-experiment/json, whose decoder
// rejects invalid UTF-8, exact duplicates, unknown members and trailing
// data itself and matches names case-sensitively. Types with maps,
// interfaces or custom unmarshalers, which accept any name, and structs
// with two fields whose names differ only in case, get a token-level pass
// first that rejects names equal under case folding. (An
// encoding/json Decoder.Token pre-scan followed by encoding/json was
// measured too: 7 to 9 times slower, with 30 times the allocations; see
// BenchmarkDecodeStrategy.) A request body wrapped in http.MaxBytesReader by
// the caller keeps its own (possibly smaller) limit.
func Decode[T any](r *http.Request, opts Options) (T, error) {
	var v T
	if err := decodeInto(r, r.Body, &v, opts); err != nil {
		var zero T // never a half-decoded value
		return zero, err
	}
	return v, nil
}

func decodeInto[T any](r *http.Request, rc io.Reader, v *T, opts Options) error {
	if err := opts.check(); err != nil {
		return err
	}
	if !isJSONContentType(r.Header.Get("Content-Type")) {
		return &Error{Status: http.StatusUnsupportedMediaType, Message: MessageUnsupportedType, Err: ErrUnsupportedMediaType}
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return &Error{Status: http.StatusUnsupportedMediaType, Message: MessageUnsupportedEncoding, Err: ErrUnsupportedEncoding}
	}
	limit := opts.maxBytes()
	if r.ContentLength > limit {
		return tooLarge(limit, &http.MaxBytesError{Limit: limit})
	}
	buf := getBuffer()
	defer putBuffer(buf)
	body, err := readBody(rc, *buf, limit)
	*buf = body[:0]
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge(mbe.Limit, mbe)
		}
		return &Error{Status: http.StatusBadRequest, Message: MessageInvalidJSON,
			Details: Errors{{Code: CodeSyntax, Message: "request body could not be read", Offset: int64(len(body)), HasOffset: true}},
			Err:     fmt.Errorf("%w: reading the body: %w", ErrSyntax, err)}
	}
	if err := decodeBody(body, v); err != nil {
		return err
	}
	var verr error
	if val, ok := any(v).(Validator); ok { // *T has the methods of T too
		verr = val.Validate()
	} else if reflect.TypeFor[T]().Kind() == reflect.Pointer {
		if val, ok := any(*v).(Validator); ok { // T is *Struct; never nil here: null is refused
			verr = val.Validate()
		}
	}
	if verr != nil {
		e := &Error{Status: http.StatusBadRequest, Message: MessageValidationFailed, Err: verr}
		var es Errors
		if errors.As(verr, &es) {
			e.Details = es
		}
		return e
	}
	return nil
}

func tooLarge(limit int64, cause error) *Error {
	return &Error{Status: http.StatusRequestEntityTooLarge, Message: MessageTooLarge,
		Details: Errors{{Code: CodeTooLarge, Message: "must be at most " + strconv.FormatInt(limit, 10) + " bytes"}},
		Err:     cause}
}

// isJSONContentType accepts application/json and */*+json, with no
// parameter other than charset=utf-8 (JSON is UTF-8 by definition, RFC 8259).
func isJSONContentType(ct string) bool {
	if ct == "application/json" { // the common case, without parsing
		return true
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return false
		}
	}
	if mt == "application/json" {
		return true
	}
	_, sub, ok := strings.Cut(mt, "/")
	return ok && strings.HasSuffix(sub, "+json") && len(sub) > len("+json")
}

var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func getBuffer() *[]byte { return buffers.Get().(*[]byte) }

func putBuffer(b *[]byte) {
	if cap(*b) <= 64<<10 { // do not keep the occasional huge buffer alive
		*b = (*b)[:0]
		buffers.Put(b)
	}
}

// readBody reads all of rc into buf, failing with *http.MaxBytesError
// beyond limit bytes.
func readBody(rc io.Reader, buf []byte, limit int64) ([]byte, error) {
	if rc == nil || rc == http.NoBody {
		return buf, nil
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		room := buf[len(buf):cap(buf)]
		if over := int64(len(buf)) + int64(len(room)) - (limit + 1); over > 0 {
			room = room[:int64(len(room))-over]
		}
		n, err := rc.Read(room)
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return buf, &http.MaxBytesError{Limit: limit}
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// decodeBody decodes body into v. It returns nil or an [*Error].
func decodeBody[T any](body []byte, v *T) error {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return invalid(ErrEmptyBody, FieldError{Code: CodeEmpty, Message: "request body is empty", HasOffset: true, Offset: int64(len(body))})
	}
	if string(bytes.TrimRight(trimmed, " \t\r\n")) == "null" {
		return invalid(ErrEmptyBody, FieldError{Code: CodeEmpty, Message: "request body must not be null", HasOffset: true, Offset: int64(len(body) - len(trimmed))})
	}
	// The decoder rejects exact duplicates and, for struct fields, names
	// that differ in case (they match no field), but not inside maps or
	// untyped values: bodies for types that have them are scanned first.
	if scanFor(reflect.TypeFor[T]()) {
		if err := caseDuplicate(body); err != nil {
			return err
		}
	}
	err := json.Unmarshal(body, v, decodeOptions())
	if err == nil {
		return nil
	}
	var sem *json.SemanticError
	if errors.As(err, &sem) && errors.Is(sem.Err, json.ErrUnknownName) {
		// Most likely "amount" and "Amount": say so.
		if err := caseDuplicate(body); err != nil {
			return err
		}
	}
	return decodeError(body, err)
}

// caseDuplicate returns an [*Error] if body has two names in one object
// that are equal under case folding.
func caseDuplicate(body []byte) *Error {
	dup, err := scanNames(body)
	if err != nil || dup == nil { // syntax errors are reported by the decoder
		return nil
	}
	return invalid(ErrDuplicateField, FieldError{Field: fieldPath(dup.ptr), Code: CodeDuplicate,
		Message: "appears more than once (names differ only in case)", Offset: dup.offset, HasOffset: true})
}

func invalid(cause error, fe FieldError) *Error {
	return &Error{Status: http.StatusBadRequest, Message: MessageInvalidJSON, Details: Errors{fe}, Err: cause}
}

// decodeError turns an error of the JSON decoder into an [*Error] with a
// message of our own: the decoder's text quotes the input.
func decodeError(body []byte, err error) *Error {
	var syn *jsontext.SyntacticError
	if errors.As(err, &syn) {
		fe := FieldError{Field: fieldPath(syn.JSONPointer), Offset: syn.ByteOffset, HasOffset: true}
		switch {
		case errors.Is(syn.Err, jsontext.ErrDuplicateName):
			fe.Code, fe.Message = CodeDuplicate, "appears more than once"
			return invalid(ErrDuplicateField, fe)
		case errors.Is(syn.Err, io.ErrUnexpectedEOF):
			fe.Code, fe.Message = CodeSyntax, "unexpected end of JSON input"
			return invalid(ErrSyntax, fe)
		}
		// The decoder stops at the first bad byte: look at what is there
		// rather than at the wording of its error.
		switch at := body[min(max(syn.ByteOffset, 0), int64(len(body))):]; {
		case syn.ByteOffset == 0 && bytes.HasPrefix(at, []byte("\xef\xbb\xbf")):
			fe.Code, fe.Message = CodeSyntax, "must not start with a byte order mark"
			return invalid(ErrSyntax, fe)
		case startsInvalidUTF8(at):
			fe.Code, fe.Message = CodeInvalidUTF8, "must be valid UTF-8"
			return invalid(ErrInvalidUTF8, fe)
		case startsSurrogateEscape(at):
			fe.Code, fe.Message = CodeInvalidUTF8, "must be valid UTF-8 (lone surrogate escape)"
			return invalid(ErrInvalidUTF8, fe)
		}
		if end := valueEnd(body); syn.JSONPointer == "" && end >= 0 && int64(end) <= syn.ByteOffset {
			fe.Code, fe.Message = CodeTrailingData, "unexpected data after the JSON value"
			return invalid(ErrTrailingData, fe)
		}
		fe.Code, fe.Message = CodeSyntax, "is not well-formed JSON"
		return invalid(ErrSyntax, fe)
	}
	var sem *json.SemanticError
	if errors.As(err, &sem) {
		fe := FieldError{Field: fieldPath(sem.JSONPointer), Offset: sem.ByteOffset, HasOffset: true}
		switch {
		case errors.Is(sem.Err, json.ErrUnknownName):
			fe.Code, fe.Message = CodeUnknownField, "is not a known field"
			return invalid(ErrUnknownField, fe)
		case errors.Is(sem.Err, ErrMoney):
			fe.Code, fe.Message = CodeMoney, "must be a decimal amount with at most 2 decimal places"
			return invalid(ErrMoney, fe)
		case errors.Is(sem.Err, strconv.ErrRange):
			fe.Code, fe.Message = CodeType, "is out of range"
			return invalid(ErrType, fe)
		}
		fe.Code, fe.Message = CodeType, typeMessage(sem.GoType)
		return invalid(ErrType, fe)
	}
	// Not expected from Unmarshal on a byte slice; stay generic.
	return invalid(ErrSyntax, FieldError{Code: CodeSyntax, Message: "is not well-formed JSON"})
}

// valueEnd returns the offset just past the first JSON value in body, or
// -1 if there is no complete value.
func valueEnd(body []byte) int {
	d := jsontext.NewDecoder(bytes.NewReader(body))
	if err := d.SkipValue(); err != nil {
		return -1
	}
	return int(d.InputOffset())
}

// startsInvalidUTF8 reports whether b starts with a byte that does not
// begin a valid UTF-8 sequence.
func startsInvalidUTF8(b []byte) bool {
	if len(b) == 0 || b[0] < utf8.RuneSelf {
		return false
	}
	r, n := utf8.DecodeRune(b)
	return r == utf8.RuneError && n == 1
}

// startsSurrogateEscape reports whether b starts with a \uXXXX escape of a
// UTF-16 surrogate half (U+D800 to U+DFFF).
func startsSurrogateEscape(b []byte) bool {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return false
	}
	v, err := strconv.ParseUint(string(b[2:6]), 16, 16)
	return err == nil && v >= 0xd800 && v <= 0xdfff
}

var (
	moneyType  = reflect.TypeFor[Money]()
	numberType = reflect.TypeFor[stdjson.Number]()
)

// decodeOptions are the options of every decode, built once: unknown
// members rejected, and encoding/json's Number filled from JSON numbers
// (as encoding/json does), so types written for it keep working.
var decodeOptions = sync.OnceValue(func() json.Options {
	return json.JoinOptions(
		json.RejectUnknownMembers(true),
		json.WithUnmarshalers(json.UnmarshalFromFunc(func(dec *jsontext.Decoder, n *stdjson.Number) error {
			switch dec.PeekKind() {
			case 'n':
				_, err := dec.ReadToken() // null leaves the value, as for other types
				return err
			case '0':
			default:
				return errNotNumber
			}
			val, err := dec.ReadValue()
			if err != nil {
				return err
			}
			*n = stdjson.Number(val)
			return nil
		})),
	)
})

func typeMessage(t reflect.Type) string {
	if t == nil {
		return "has the wrong type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == moneyType || t == numberType {
		return "must be a number"
	}
	switch t.Kind() {
	case reflect.String:
		return "must be a string"
	case reflect.Bool:
		return "must be true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "must be an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "must be a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "must be a number"
	case reflect.Slice, reflect.Array:
		return "must be an array"
	case reflect.Struct, reflect.Map:
		return "must be an object"
	}
	return "has the wrong type"
}

// maxPath is the longest field path reported; longer ones (built from names
// a client chose) are cut, so a response never grows with the input.
const maxPath = 200

// fieldPath renders a JSON Pointer ("/items/2/quantity") in the notation of
// [FieldError] ("items[2].quantity"): all-digit tokens are indices.
func fieldPath(p jsontext.Pointer) string {
	if p == "" {
		return ""
	}
	var b []byte
	for tok := range p.Tokens() {
		if isIndex(tok) {
			b = append(b, '[')
			b = append(b, tok...)
			b = append(b, ']')
		} else {
			if len(b) > 0 {
				b = append(b, '.')
			}
			b = append(b, tok...)
		}
		if len(b) > maxPath {
			break
		}
	}
	if len(b) > maxPath {
		b = b[:maxPath]
		for len(b) > 0 && !utf8.Valid(b) {
			b = b[:len(b)-1]
		}
		b = append(b, "..."...)
	}
	return string(b)
}

func isIndex(s string) bool {
	if s == "" || len(s) > 10 || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// bodyKey is the context key of the body of type T.
type bodyKey[T any] struct{}

// BodyFrom returns the body [JSON] decoded and validated for this request,
// and whether there is one of type T.
func BodyFrom[T any](ctx context.Context) (T, bool) {
	p, ok := ctx.Value(bodyKey[T]{}).(*T)
	if !ok {
		var zero T
		return zero, false
	}
	return *p, true
}

// NewJSON returns middleware that decodes and validates the request body
// as a T, like [Decode], and serves the next handler with the value in the
// context (read it with [BodyFrom]). Rejected requests are answered by
// Options.ErrorHandler (default [WriteError]) and do not reach the next
// handler. The body is wrapped in http.MaxBytesReader, so the server closes
// the connection of a client sending too much; the next handler finds it
// read to the end (the decoded value is what it reads instead).
//
// It returns an error wrapping [ErrInvalidOptions] if opts is invalid.
func NewJSON[T any](opts Options) (func(http.Handler) http.Handler, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	onError := opts.ErrorHandler
	if onError == nil {
		onError = WriteError
	}
	limit := opts.maxBytes()
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var body io.Reader = r.Body
			if r.Body != nil && r.Body != http.NoBody {
				// The caller's request is left alone; the server learns of
				// an oversized body and closes the connection.
				body = http.MaxBytesReader(w, r.Body, limit)
			}
			v := new(T)
			if err := decodeInto(r, body, v, opts); err != nil {
				onError(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), bodyKey[T]{}, v)))
		})
	}, nil
}

// JSON is [NewJSON] for options known to be valid. It panics (at
// construction, never while serving) if opts is invalid.
func JSON[T any](opts Options) func(http.Handler) http.Handler {
	mw, err := NewJSON[T](opts)
	if err != nil {
		panic(err)
	}
	return mw
}

// WriteError answers a rejected request with an RFC 9457 problem+json
// response. For an [*Error] it uses its status and message, with its
// details as the "details" member; bare [Errors] (from a [Params] or
// [Collector]) become a 400 "Validation failed"; an *http.MaxBytesError a
// 413. Anything else is a server fault: 500 with a generic message. A 415
// carries Accept: application/json, or Accept-Encoding: identity when the
// body was compressed (RFC 9110, section 15.5.16).
//
//	{"type":"about:blank","title":"Bad Request","status":400,
//	 "error":"Validation failed",
//	 "details":[{"field":"items[0].quantity","code":"min","message":"must be at least 1"}]}
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	var (
		e   *Error
		es  Errors
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &e):
	case errors.As(err, &es):
		e = &Error{Status: http.StatusBadRequest, Message: MessageValidationFailed, Details: es}
	case errors.As(err, &mbe):
		e = tooLarge(mbe.Limit, mbe)
	default:
		problem.Status(w, r, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	if e.Status == http.StatusUnsupportedMediaType { // RFC 9110, section 15.5.16
		if errors.Is(e, ErrUnsupportedEncoding) {
			w.Header().Set("Accept-Encoding", "identity")
		} else {
			w.Header().Set("Accept", "application/json")
		}
	}
	p := problem.New(e.Status, e.Message)
	if len(e.Details) > 0 {
		p.Extensions = []problem.Member{{Name: "details", Value: e.Details}}
	}
	problem.Write(w, r, p)
}
