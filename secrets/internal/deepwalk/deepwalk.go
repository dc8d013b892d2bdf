// Package deepwalk is a test helper of secrets and its subpackages: it
// tells whether bytes can be read out of a value by reflection, as
// spew-style deep printers read it.
package deepwalk

import (
	"bytes"
	"encoding/binary"
	"reflect"
)

// Reachable reports whether needle can be read out of v by a reflection
// printer that, like spew-style deep dumpers, reads unexported fields and
// follows pointers, interfaces, maps and slices (it cannot look into a
// closure, nor through unsafe.Pointer). Integer arrays are checked in both
// byte orders, which catches an AES key schedule.
func Reachable(v any, needle []byte) bool {
	w := walker{needle: needle, seen: map[uintptr]bool{}}
	return w.walk(reflect.ValueOf(v), 0)
}

type walker struct {
	needle []byte
	seen   map[uintptr]bool
}

func (w *walker) walk(v reflect.Value, depth int) bool {
	if !v.IsValid() || depth > 64 {
		return false
	}
	switch v.Kind() {
	case reflect.String:
		return bytes.Contains([]byte(v.String()), w.needle)
	case reflect.Pointer, reflect.Map, reflect.Slice:
		if v.IsNil() {
			return false
		}
		if p := v.Pointer(); v.Kind() != reflect.Slice {
			if w.seen[p] {
				return false
			}
			w.seen[p] = true
		}
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return w.walk(v.Elem(), depth+1)
	case reflect.Struct:
		for i := range v.NumField() {
			if w.walk(v.Field(i), depth+1) {
				return true
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if w.walk(it.Key(), depth+1) || w.walk(it.Value(), depth+1) {
				return true
			}
		}
	case reflect.Slice, reflect.Array:
		if b, ok := w.intBytes(v); ok {
			return bytes.Contains(b[0], w.needle) || bytes.Contains(b[1], w.needle)
		}
		for i := range v.Len() {
			if w.walk(v.Index(i), depth+1) {
				return true
			}
		}
	}
	return false
}

// intBytes renders an array or slice of unsigned integers as bytes, big-
// and little-endian.
func (w *walker) intBytes(v reflect.Value) ([2][]byte, bool) {
	var out [2][]byte
	switch v.Type().Elem().Kind() {
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
	default:
		return out, false
	}
	size := int(v.Type().Elem().Size())
	for i := range v.Len() {
		x := v.Index(i).Uint()
		var be, le [8]byte
		binary.BigEndian.PutUint64(be[:], x)
		binary.LittleEndian.PutUint64(le[:], x)
		out[0] = append(out[0], be[8-size:]...)
		out[1] = append(out[1], le[:size]...)
	}
	return out, true
}
