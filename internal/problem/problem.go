// Package problem writes RFC 9457 "problem details" error responses
// (application/problem+json). Every middleware package of this module
// answers its default rejections through it, so all of them look alike:
//
//	{"type":"about:blank","title":"Too Many Requests","status":429,
//	 "error":"Too many requests","retryAfter":42}
//
// Besides the RFC members the body always carries "error", a short message:
// the field existing ChainSync clients read. Extension members (such as
// "details" for validation or "retryAfter" for rate limiting) follow in the
// order given.
//
// Strings are JSON-encoded with HTML escaping (<, > and & become \u003c,
// \u003e and \u0026), so nothing a client sent can be reflected as markup,
// even by a client that sniffs the body as HTML. Responses to HEAD carry the
// headers and no body.
package problem

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

// ContentType is the media type of problem details in JSON.
const ContentType = "application/problem+json"

// Member is one extension member of a problem.
type Member struct {
	// Name is the member's name in the JSON object.
	Name string
	// Value is encoded with encoding/json.
	Value any
}

// Problem is one problem details object.
type Problem struct {
	// Type is a URI reference identifying the problem type. Default
	// "about:blank".
	Type string
	// Title is a short summary of the problem type. Default: the status
	// text of Status.
	Title string
	// Status is the HTTP status code. Default 500.
	Status int
	// Detail explains this occurrence. Omitted when empty.
	Detail string
	// Instance is a URI reference to this occurrence. Omitted when empty.
	Instance string
	// Error is the short message of the "error" member. Default: Title.
	Error string
	// Extensions are further members, written in order. Members whose name
	// is one of the standard ones (type, title, status, detail, instance,
	// error) are ignored.
	Extensions []Member
}

// New returns a problem with the given status and "error" message.
func New(status int, message string, extensions ...Member) Problem {
	return Problem{Status: status, Error: message, Extensions: extensions}
}

func (p Problem) normalized() Problem {
	if p.Status == 0 {
		p.Status = http.StatusInternalServerError
	}
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
		if p.Title == "" {
			p.Title = "Status " + strconv.Itoa(p.Status)
		}
	}
	if p.Error == "" {
		p.Error = p.Title
	}
	return p
}

var standard = map[string]bool{"type": true, "title": true, "status": true, "detail": true, "instance": true, "error": true}

// MarshalJSON encodes the problem with its defaults applied.
func (p Problem) MarshalJSON() ([]byte, error) {
	p = p.normalized()
	var b bytes.Buffer
	b.WriteString(`{"type":`)
	writeString(&b, p.Type)
	b.WriteString(`,"title":`)
	writeString(&b, p.Title)
	b.WriteString(`,"status":`)
	b.WriteString(strconv.Itoa(p.Status))
	if p.Detail != "" {
		b.WriteString(`,"detail":`)
		writeString(&b, p.Detail)
	}
	if p.Instance != "" {
		b.WriteString(`,"instance":`)
		writeString(&b, p.Instance)
	}
	b.WriteString(`,"error":`)
	writeString(&b, p.Error)
	for _, m := range p.Extensions {
		if m.Name == "" || standard[m.Name] {
			continue
		}
		v, err := json.Marshal(m.Value)
		if err != nil {
			return nil, err
		}
		b.WriteByte(',')
		writeString(&b, m.Name)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func writeString(b *bytes.Buffer, s string) {
	v, _ := json.Marshal(s) // a string always marshals; invalid UTF-8 becomes U+FFFD
	b.Write(v)
}

// Write sends p as the response. Headers already set on w (such as
// Retry-After or WWW-Authenticate) are kept; Content-Type, Content-Length,
// X-Content-Type-Options and Cache-Control are set here. A HEAD request gets
// no body. If an extension cannot be encoded, the problem is sent without
// extensions rather than not at all.
func Write(w http.ResponseWriter, r *http.Request, p Problem) {
	p = p.normalized()
	body, err := p.MarshalJSON()
	if err != nil {
		p.Extensions = nil
		body, _ = p.MarshalJSON()
	}
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	if r != nil && r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

// Status writes a problem with only a status and an "error" message.
func Status(w http.ResponseWriter, r *http.Request, status int, message string) {
	Write(w, r, Problem{Status: status, Error: message})
}
