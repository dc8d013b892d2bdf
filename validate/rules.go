package validate

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxErrors is the most field errors a [Collector] keeps. Further failures
// are counted, and [Collector.Err] ends the list with one error of code
// "more" saying how many were left out, so a huge body with thousands of
// bad elements cannot make a huge response.
const MaxErrors = 100

// CodeMore is the code of the last entry of a truncated [Errors] list.
const CodeMore = "more"

// Validator is implemented by body types that check themselves. [Decode]
// and [JSON] call Validate on the decoded value (through a pointer, so
// either receiver kind works); an [Errors] result (typically from
// [Collector.Err]) becomes a 400 with field details, any other error a 400
// "Validation failed" without details (its text is not sent: it is the
// [Error]'s cause, for the ErrorHandler).
type Validator interface {
	Validate() error
}

// Collector gathers the failed checks of one value. Its zero value is ready
// to use; it is not safe for concurrent use. Checks are plain method calls
// (no reflection, no struct tags) and allocate nothing while they pass:
//
//	var v validate.Collector
//	v.Field("customerId").String(t.CustomerID).Required().UUID()
//	v.Field("items").Count(len(t.Items)).Min(1)
//	for i, it := range t.Items {
//		item := v.Index("items", i)
//		item.Field("quantity").Int(it.Quantity).Min(1) // "items[2].quantity"
//	}
//	return v.Err()
//
// Each chain stops at its first failure, so a field gets at most one error
// per chain, while all fields are checked: the client sees every problem at
// once.
type Collector struct {
	errs Errors
	more int
}

// Field starts checks of a top-level field, named as in JSON.
func (c *Collector) Field(name string) Field {
	return Field{s: Scope{c: c, cur: step{index: -1}}, name: name}
}

// Index scopes checks to element i of the list field name: fields checked
// through the returned Scope are reported as "name[i].field".
func (c *Collector) Index(name string, i int) Scope {
	return Scope{c: c, cur: step{name: name, index: max(i, 0)}}
}

// Object scopes checks to the nested object field name: fields checked
// through the returned Scope are reported as "name.field".
func (c *Collector) Object(name string) Scope { return Scope{c: c, cur: step{name: name, index: -1}} }

// Add records a failure of field (a full path) with a code and a message.
// Use it for checks the built-ins do not cover.
func (c *Collector) Add(field, code, message string) {
	if c.counted() {
		return
	}
	c.errs = append(c.errs, FieldError{Field: field, Code: code, Message: message})
}

// counted reports whether the list is full, counting one more failure if so.
func (c *Collector) counted() bool {
	if len(c.errs) >= MaxErrors {
		c.more++
		return true
	}
	return false
}

// OK reports whether no check has failed so far.
func (c *Collector) OK() bool { return len(c.errs) == 0 }

// Err returns the failures as [Errors], or nil if every check passed.
func (c *Collector) Err() error {
	if len(c.errs) == 0 {
		return nil
	}
	if c.more > 0 {
		errs := append(c.errs[:len(c.errs):len(c.errs)], FieldError{Code: CodeMore,
			Message: strconv.Itoa(c.more) + " more errors not shown"})
		return errs
	}
	return c.errs
}

// Scope is a nested object or list element; see [Collector.Index] and
// [Collector.Object].
//
// It is small and passed by value. Paths are only rendered when a check
// fails, except that a scope nested three or more levels deep renders the
// path of its outer levels once, when it is made.
type Scope struct {
	c     *Collector
	base  string // rendered path of the levels above up; "" if none
	up    step   // the enclosing level, if hasUp
	hasUp bool
	cur   step // this level; empty (index -1) for the top level
}

// step is one level of a path: a member name, and an index when the member
// is a list.
type step struct {
	name  string
	index int // the element's index; -1 for an object
}

func (st step) render() string {
	if st.index < 0 {
		return st.name
	}
	return st.name + "[" + strconv.Itoa(st.index) + "]"
}

func (s Scope) top() bool { return !s.hasUp && s.cur.name == "" && s.cur.index < 0 }

func (s Scope) path() string {
	if !s.hasUp {
		return s.cur.render()
	}
	return join(join(s.base, s.up.render()), s.cur.render())
}

func (s Scope) child(st step) Scope {
	base := s.base
	if s.hasUp {
		base = join(base, s.up.render())
	}
	return Scope{c: s.c, base: base, up: s.cur, hasUp: true, cur: st}
}

// Field starts checks of a field of the scope's object.
func (s Scope) Field(name string) Field { return Field{s: s, name: name} }

// Index scopes checks to element i of the list field name within s.
func (s Scope) Index(name string, i int) Scope { return s.child(step{name: name, index: max(i, 0)}) }

// Object scopes checks to the nested object field name within s.
func (s Scope) Object(name string) Scope { return s.child(step{name: name, index: -1}) }

// join appends name to the path base: with a dot, unless one of them is
// empty or name is an index ("[2]").
func join(base, name string) string {
	switch {
	case base == "":
		return name
	case name == "":
		return base
	case name[0] == '[':
		return base + name
	}
	return base + "." + name
}

// Field names one value to check; its methods start a chain of checks of
// the value's kind.
type Field struct {
	s    Scope // the enclosing scope, which holds the Collector
	name string
}

// Path returns the field's path as it is reported, such as
// "items[2].quantity".
func (f Field) Path() string {
	if f.s.top() {
		return f.name
	}
	return join(f.s.path(), f.name)
}

// Add records a failure of the field. Use it for checks the built-ins do
// not cover.
func (f Field) Add(code, message string) {
	if f.s.c.counted() { // no path needed
		return
	}
	// The copy keeps f (and the Collector it points to) from escaping to
	// the heap through the path: a Collector on the stack stays there.
	f.s.c.Add(strings.Clone(f.Path()), code, message)
}

// Check records a failure with code and message unless ok.
func (f Field) Check(ok bool, code, message string) {
	if !ok {
		f.Add(code, message)
	}
}

// String starts checks of a string.
func (f Field) String(s string) StringRule { return StringRule{chain: chain{f: f}, s: s} }

// Int starts checks of an integer.
func (f Field) Int(n int) IntRule { return IntRule{chain: chain{f: f}, n: n, present: true} }

// Float starts checks of a float. NaN and infinities fail at once.
func (f Field) Float(x float64) FloatRule {
	r := FloatRule{chain: chain{f: f}, x: x}
	if x != x || x > maxFloat || x < -maxFloat {
		r.fail(CodeNumber, "must be a finite number")
	}
	return r
}

const maxFloat = 1.7976931348623157e308

// Money starts checks of an amount of money.
func (f Field) Money(m Money) MoneyRule { return MoneyRule{chain: chain{f: f}, m: m} }

// MoneyNumber starts checks of an amount of money given as a json.Number
// (a field decoded with encoding/json's UseNumber, or of type json.Number):
// it is parsed with [ParseMoney], and fails at once ("money") if it has more
// than two decimal places or is beyond ±MaxMoney. Value returns the amount.
func (f Field) MoneyNumber(n json.Number) MoneyRule {
	m, err := ParseMoney(string(n))
	r := MoneyRule{chain: chain{f: f}, m: m}
	if err != nil && n != "" {
		r.fail(CodeMoney, "must be a decimal amount with at most 2 decimal places")
	}
	return r
}

// Count starts checks of the number of elements of a list, n = len(list).
func (f Field) Count(n int) CountRule { return CountRule{chain: chain{f: f}, n: n} }

// chain is what every rule has: the field it checks and whether a check
// has failed (the later checks of the chain are then skipped).
type chain struct {
	f      Field
	failed bool
}

func (c *chain) fail(code, message string) {
	c.failed = true
	c.f.Add(code, message)
}

// failf is fail with a message that is only built if it is kept.
func (c *chain) failf(code string, message func() string) {
	c.failed = true
	if !c.f.s.c.counted() {
		c.f.Add(code, message())
	}
}

// StringRule is a chain of checks of one string. Every check except
// Required passes on the empty string, so optional fields need nothing
// special; add Required to demand a value. After the first failure the
// remaining checks of the chain are skipped.
type StringRule struct {
	chain
	s string
}

func (r StringRule) skip() bool { return r.failed || r.s == "" }

// Value returns the string (for query and path parameters: the parsed value
// or the default).
func (r StringRule) Value() string { return r.s }

// OK reports whether every check of the chain so far passed.
func (r StringRule) OK() bool { return !r.failed }

// Default uses s when the value is absent (a query or path parameter not
// given) or empty.
func (r StringRule) Default(s string) StringRule {
	if r.s == "" && !r.failed {
		r.s = s
	}
	return r
}

// Required fails ("required") if the string is empty or only white space.
func (r StringRule) Required() StringRule {
	if !r.failed && strings.TrimSpace(r.s) == "" {
		r.fail(CodeRequired, "is required")
	}
	return r
}

// MinLen fails ("min_length") if the string has fewer than n characters
// (Unicode code points).
func (r StringRule) MinLen(n int) StringRule {
	if !r.skip() && utf8.RuneCountInString(r.s) < n {
		r.failf(CodeMinLength, func() string { return "must be at least " + strconv.Itoa(n) + " characters" })
	}
	return r
}

// MaxLen fails ("max_length") if the string has more than n characters
// (Unicode code points).
func (r StringRule) MaxLen(n int) StringRule {
	if !r.skip() && (len(r.s) > n && utf8.RuneCountInString(r.s) > n) {
		r.failf(CodeMaxLength, func() string { return "must be at most " + strconv.Itoa(n) + " characters" })
	}
	return r
}

// OneOf fails ("one_of") unless the string equals one of allowed (exactly,
// case included).
func (r StringRule) OneOf(allowed ...string) StringRule {
	if r.skip() {
		return r
	}
	for _, a := range allowed {
		if r.s == a {
			return r
		}
	}
	r.failf(CodeOneOf, func() string { return "must be one of: " + strings.Join(allowed, ", ") })
	return r
}

// Pattern fails ("pattern") unless re matches the string. Anchor the
// expression (^...$) to match the whole value. The message names what is
// expected, as in "must be a SKU"; when what is empty it says "has an
// invalid format".
func (r StringRule) Pattern(re *regexp.Regexp, what string) StringRule {
	if !r.skip() && !re.MatchString(r.s) {
		msg := "has an invalid format"
		if what != "" {
			msg = "must be " + what
		}
		r.fail(CodePattern, msg)
	}
	return r
}

// UUID fails ("uuid") unless the string is a UUID in the RFC 9562 text form
// (see [IsUUID]).
func (r StringRule) UUID() StringRule {
	if !r.skip() && !IsUUID(r.s) {
		r.fail(CodeUUID, "must be a UUID")
	}
	return r
}

// Email fails ("email") unless the string is an email address (see
// [IsEmail]).
func (r StringRule) Email() StringRule {
	if !r.skip() && !IsEmail(r.s) {
		r.fail(CodeEmail, "must be an email address")
	}
	return r
}

// URL fails ("url") unless the string is an absolute http or https URL
// (see [IsURL]).
func (r StringRule) URL() StringRule {
	if !r.skip() && !IsURL(r.s) {
		r.fail(CodeURL, "must be an http or https URL")
	}
	return r
}

// Currency fails ("currency") unless the string is an ISO 4217 currency code
// (see [IsCurrency]).
func (r StringRule) Currency() StringRule {
	if !r.skip() && !IsCurrency(r.s) {
		r.fail(CodeCurrency, "must be an ISO 4217 currency code such as USD")
	}
	return r
}

// IntRule is a chain of checks of one integer. After the first failure the
// remaining checks of the chain are skipped.
type IntRule struct {
	chain
	n       int
	present bool
}

// Value returns the integer (for query and path parameters: the parsed value
// or the default).
func (r IntRule) Value() int { return r.n }

// OK reports whether every check of the chain so far passed.
func (r IntRule) OK() bool { return !r.failed }

// Default uses n when a query or path parameter is absent. For body fields
// it does nothing: a JSON number is always present.
func (r IntRule) Default(n int) IntRule {
	if !r.present && !r.failed {
		r.n, r.present = n, true
	}
	return r
}

// Required fails ("required") if a query or path parameter is absent, or a
// body field is zero.
func (r IntRule) Required() IntRule {
	if !r.failed && (!r.present || r.n == 0) {
		r.fail(CodeRequired, "is required")
	}
	return r
}

// Min fails ("min") if the integer is less than min.
func (r IntRule) Min(min int) IntRule {
	if !r.failed && r.present && r.n < min {
		r.failf(CodeMin, func() string { return "must be at least " + strconv.Itoa(min) })
	}
	return r
}

// Max fails ("max") if the integer is greater than max.
func (r IntRule) Max(max int) IntRule {
	if !r.failed && r.present && r.n > max {
		r.failf(CodeMax, func() string { return "must be at most " + strconv.Itoa(max) })
	}
	return r
}

// OneOf fails ("one_of") unless the integer equals one of allowed.
func (r IntRule) OneOf(allowed ...int) IntRule {
	if r.failed || !r.present {
		return r
	}
	for _, a := range allowed {
		if r.n == a {
			return r
		}
	}
	r.failf(CodeOneOf, func() string {
		var sb strings.Builder
		sb.WriteString("must be one of: ")
		for i, a := range allowed {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(strconv.Itoa(a))
		}
		return sb.String()
	})
	return r
}

// FloatRule is a chain of checks of one float. After the first failure the
// remaining checks of the chain are skipped. Use [Money] for amounts of
// money: a float64 cannot tell 12.50 from 12.499999999.
type FloatRule struct {
	chain
	x float64
}

// Value returns the float.
func (r FloatRule) Value() float64 { return r.x }

// OK reports whether every check of the chain so far passed.
func (r FloatRule) OK() bool { return !r.failed }

// Min fails ("min") if the float is less than min.
func (r FloatRule) Min(min float64) FloatRule {
	if !r.failed && r.x < min {
		r.failf(CodeMin, func() string { return "must be at least " + strconv.FormatFloat(min, 'f', -1, 64) })
	}
	return r
}

// Max fails ("max") if the float is greater than max.
func (r FloatRule) Max(max float64) FloatRule {
	if !r.failed && r.x > max {
		r.failf(CodeMax, func() string { return "must be at most " + strconv.FormatFloat(max, 'f', -1, 64) })
	}
	return r
}

// MoneyRule is a chain of checks of an amount of [Money]. After the first
// failure the remaining checks of the chain are skipped.
type MoneyRule struct {
	chain
	m Money
}

// Value returns the amount.
func (r MoneyRule) Value() Money { return r.m }

// OK reports whether every check of the chain so far passed.
func (r MoneyRule) OK() bool { return !r.failed }

// Min fails ("min") if the amount is less than min, such as
// validate.Cents(1) for 0.01.
func (r MoneyRule) Min(min Money) MoneyRule {
	if !r.failed && r.m < min {
		r.failf(CodeMin, func() string { return "must be at least " + min.String() })
	}
	return r
}

// Max fails ("max") if the amount is greater than max.
func (r MoneyRule) Max(max Money) MoneyRule {
	if !r.failed && r.m > max {
		r.failf(CodeMax, func() string { return "must be at most " + max.String() })
	}
	return r
}

// CountRule is a chain of checks of the length of a list. After the first
// failure the remaining checks of the chain are skipped.
type CountRule struct {
	chain
	n int
}

// OK reports whether every check of the chain so far passed.
func (r CountRule) OK() bool { return !r.failed }

// Min fails ("min_items") if the list has fewer than min elements.
func (r CountRule) Min(min int) CountRule {
	if !r.failed && r.n < min {
		r.failf(CodeMinItems, func() string { return "must have at least " + plural(min, "item") })
	}
	return r
}

// Max fails ("max_items") if the list has more than max elements.
func (r CountRule) Max(max int) CountRule {
	if !r.failed && r.n > max {
		r.failf(CodeMaxItems, func() string { return "must have at most " + plural(max, "item") })
	}
	return r
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
