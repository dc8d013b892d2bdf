package validate

import (
	"net/http"
	"net/url"
	"strconv"
	"unicode/utf8"
)

// Params checks the query-string and path parameters of a request with the
// same rules as body fields, and returns their values:
//
//	p := validate.NewParams(r)
//	limit := p.QueryInt("limit").Default(20).Min(1).Max(100).Value()
//	id := p.Path("id").Required().UUID().Value()
//	if err := p.Err(); err != nil {
//		validate.WriteError(w, r, err) // 400 with every failure in "details"
//		return
//	}
//
// Errors are reported under the parameter's name. Values that are not valid
// UTF-8 (after percent-decoding) fail at once, as they do in a body. The query string is
// parsed once, when the Params is made; a malformed query string (a bad
// percent escape) is reported as one error of code "type" with an empty
// field, and its parameters are then treated as absent. A Params is not safe
// for concurrent use.
type Params struct {
	r *http.Request
	q url.Values
	c Collector
}

// NewParams returns a Params for r.
func NewParams(r *http.Request) *Params {
	p := &Params{r: r}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		p.c.Add("", CodeType, "query string is malformed")
		q = url.Values{}
	}
	p.q = q
	return p
}

// Query starts checks of the first value of query parameter name. An
// absent parameter is the empty string (see [StringRule.Default]).
func (p *Params) Query(name string) StringRule {
	vs := p.q[name]
	if len(vs) == 0 {
		return StringRule{chain: chain{f: p.c.Field(name)}}
	}
	return stringParam(p.c.Field(name), vs[0])
}

// QueryInt starts checks of query parameter name as a base-10 integer. A
// value that is not one fails at once ("type"); an absent one is zero until
// [IntRule.Default] or fails [IntRule.Required].
func (p *Params) QueryInt(name string) IntRule {
	vs := p.q[name]
	if len(vs) == 0 {
		return IntRule{chain: chain{f: p.c.Field(name)}}
	}
	return parseIntRule(p.c.Field(name), vs[0])
}

// Path starts checks of path value name (see http.Request.PathValue).
func (p *Params) Path(name string) StringRule {
	v := p.r.PathValue(name)
	return stringParam(p.c.Field(name), v)
}

// stringParam starts the checks of a parameter's value, which fails at once
// ("invalid_utf8") if it is not valid UTF-8 (a percent-encoded %FF), as a
// body string would: the handler then sees the empty string.
func stringParam(f Field, v string) StringRule {
	if utf8.ValidString(v) {
		return StringRule{chain: chain{f: f}, s: v}
	}
	r := StringRule{chain: chain{f: f}}
	r.fail(CodeInvalidUTF8, "must be valid UTF-8")
	return r
}

// PathInt starts checks of path value name as a base-10 integer.
func (p *Params) PathInt(name string) IntRule {
	v := p.r.PathValue(name)
	if v == "" {
		return IntRule{chain: chain{f: p.c.Field(name)}}
	}
	return parseIntRule(p.c.Field(name), v)
}

func parseIntRule(f Field, s string) IntRule {
	n, err := strconv.Atoi(s)
	r := IntRule{chain: chain{f: f}, n: n, present: true}
	if err != nil || (len(s) > 0 && s[0] == '+') {
		r.n = 0
		r.fail(CodeType, "must be an integer")
	}
	return r
}

// Err returns the failures as [Errors], or nil.
func (p *Params) Err() error { return p.c.Err() }
