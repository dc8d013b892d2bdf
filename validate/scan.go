package validate

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// nameScanner finds object members whose names are equal under Unicode
// case folding ("amount" and "Amount"), which encoding/json merges into
// one struct field (the last wins). Exact duplicates, invalid UTF-8 and
// malformed JSON are also reported, by jsontext itself. It reads tokens
// without building values and, pooled, allocates nothing for ordinary
// bodies.
type nameScanner struct {
	bb    bytes.Buffer
	dec   *jsontext.Decoder
	arena []byte    // folded names of the open objects
	names []nameRef // their positions in arena
	open  []int     // index into names where each open object starts; -1 for arrays
	big   []map[string]struct{}
}

type nameRef struct{ off, end int }

// smallObject is the member count up to which names are compared pairwise;
// larger objects use a map, so a body of many members stays linear.
const smallObject = 16

var scanners = sync.Pool{New: func() any {
	s := new(nameScanner)
	s.dec = jsontext.NewDecoder(&s.bb, jsontext.AllowDuplicateNames(true)) // we check them, folded
	return s
}}

// caseDuplicate is the result of a scan that found two names differing
// only in case.
type caseDup struct {
	ptr    jsontext.Pointer
	offset int64
}

// scanNames scans body. It returns the location of the first case-folded
// duplicate name, or a *jsontext.SyntacticError, or nil.
func scanNames(body []byte) (*caseDup, error) {
	s := scanners.Get().(*nameScanner)
	defer func() {
		if cap(s.arena) <= 64<<10 && s.bb.Cap() <= 64<<10 { // drop the occasional huge one
			s.bb.Reset()
			clear(s.big)
			s.big = s.big[:0]
			scanners.Put(s)
		}
	}()
	s.bb.Reset()
	s.bb.Write(body)
	s.dec.Reset(&s.bb, jsontext.AllowDuplicateNames(true))
	s.arena, s.names, s.open = s.arena[:0], s.names[:0], s.open[:0]
	for {
		kind := s.dec.PeekKind()
		depth := s.dec.StackDepth()
		if depth > 0 && len(s.open) > 0 && s.open[len(s.open)-1] >= 0 && kind != '}' {
			if _, n := s.dec.StackIndex(depth); n%2 == 0 { // an object member name comes next
				raw, err := s.dec.ReadValue()
				if err != nil {
					return nil, err
				}
				if s.addName(raw) {
					off := s.dec.InputOffset() - int64(len(raw))
					return &caseDup{ptr: s.dec.StackPointer(), offset: off}, nil
				}
				continue
			}
		}
		tok, err := s.dec.ReadToken()
		if err != nil {
			return nil, err
		}
		switch tok.Kind() {
		case '{':
			s.open = append(s.open, len(s.names))
		case '[':
			s.open = append(s.open, -1)
		case '}':
			start := s.open[len(s.open)-1]
			if start >= 0 && len(s.names)-start > smallObject {
				s.big = s.big[:len(s.big)-1]
			}
			s.open = s.open[:len(s.open)-1]
			if start >= 0 {
				s.arena = s.arena[:s.nameStart(start)]
				s.names = s.names[:start]
			}
		case ']':
			s.open = s.open[:len(s.open)-1]
		}
		if s.dec.StackDepth() == 0 {
			// The top-level value is complete; anything else is trailing
			// data, which the real decode reports.
			return nil, nil
		}
	}
}

func (s *nameScanner) nameStart(i int) int {
	if i < len(s.names) {
		return s.names[i].off
	}
	return len(s.arena)
}

// addName folds the quoted name raw into the arena and reports whether the
// innermost open object already has a name with the same folding.
func (s *nameScanner) addName(raw jsontext.Value) bool {
	start := s.open[len(s.open)-1]
	off := len(s.arena)
	if bytes.IndexByte(raw, '\\') >= 0 {
		var err error
		s.arena, err = jsontext.AppendUnquote(s.arena, raw)
		if err != nil { // already validated by the decoder
			s.arena = s.arena[:off]
		}
	} else {
		s.arena = append(s.arena, raw[1:len(raw)-1]...)
	}
	s.arena = appendFold(s.arena[:off], s.arena[off:])
	name := s.arena[off:]
	count := len(s.names) - start
	switch {
	case count < smallObject:
		for _, n := range s.names[start:] {
			if string(s.arena[n.off:n.end]) == string(name) {
				return true
			}
		}
	case count == smallObject:
		m := make(map[string]struct{}, 2*smallObject)
		for _, n := range s.names[start:] {
			m[string(s.arena[n.off:n.end])] = struct{}{}
		}
		s.big = append(s.big, m)
		fallthrough
	default:
		m := s.big[len(s.big)-1]
		if _, dup := m[string(name)]; dup {
			return true
		}
		m[string(name)] = struct{}{}
	}
	s.names = append(s.names, nameRef{off, len(s.arena)})
	return false
}

// appendFold appends the case folding of src to dst: every rune is mapped
// to the smallest rune of its Unicode simple-folding orbit, so two names
// fold alike exactly when strings.EqualFold holds for them. dst may alias
// the start of src's memory (folding never lengthens ASCII, and non-ASCII
// input is copied first).
func appendFold(dst, src []byte) []byte {
	ascii := true
	for _, c := range src {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		for _, c := range src {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A' // upper case is the smallest rune of the orbit
			}
			dst = append(dst, c)
		}
		return dst
	}
	tmp := string(src) // src may be overwritten below
	for _, r := range tmp {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		dst = utf8.AppendRune(dst, m)
	}
	return dst
}

// needsScan caches, per Go type, whether decoding it needs the name scan;
// see needsNameScan.
var needsScan sync.Map // reflect.Type -> bool

// scanFor reports whether bodies decoded into t need the case-folded name
// scan before decoding.
func scanFor(t reflect.Type) bool {
	if v, ok := needsScan.Load(t); ok {
		return v.(bool)
	}
	v := needsNameScan(t, map[reflect.Type]bool{})
	needsScan.Store(t, v)
	return v
}

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	valueType           = reflect.TypeFor[jsontext.Value]()
	unmarshalerFromType = reflect.TypeFor[jsonv2.UnmarshalerFrom]()
)

// needsNameScan reports whether a body decoded into t could hold two
// object names differing only in case without the decoder rejecting it.
// Struct fields match names case-sensitively, and RejectUnknownMembers
// rejects every other name, so purely structural types need no scan: a
// case-only duplicate of a field is an unknown member (reported as a
// duplicate after the fact), unless the struct has two fields whose names
// differ only in case ("id" and "ID"), which need the scan too. Maps, interfaces, raw values, fields matched
// case-insensitively and custom JSON unmarshalers (other than Money's) can
// take any names, so bodies for them are scanned first.
func needsNameScan(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	if t == moneyType || t == reflect.PointerTo(moneyType) {
		return false
	}
	if t == valueType || t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
		return true
	}
	if t.Implements(unmarshalerFromType) || reflect.PointerTo(t).Implements(unmarshalerFromType) {
		return true
	}
	switch t.Kind() {
	case reflect.Map, reflect.Interface:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return needsNameScan(t.Elem(), seen)
	case reflect.Struct:
		if foldedNamesCollide(t, map[string]bool{}, map[reflect.Type]bool{}) {
			return true
		}
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if (!f.IsExported() && !f.Anonymous) || tag == "-" {
				continue
			}
			if strings.Contains(tag, "case:ignore") || strings.Contains(tag, "nocase") ||
				strings.Contains(tag, ",unknown") || strings.Contains(tag, ",inline") {
				return true
			}
			if needsNameScan(f.Type, seen) {
				return true
			}
		}
	}
	return false
}

// foldedNamesCollide reports whether two JSON member names of struct t,
// counting the fields of embedded structs it inlines, are equal under case
// folding. names holds the folded names seen so far.
func foldedNamesCollide(t reflect.Type, names map[string]bool, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				if foldedNamesCollide(ft, names, seen) {
					return true
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		key := string(appendFold(nil, []byte(name)))
		if names[key] {
			return true
		}
		names[key] = true
	}
	return false
}
