package h1

import "net/http"

// Fields gathers a head's header values (and any other text of the head
// kept as a string, such as a request target) into one arena, so that they
// all become substrings of one string when the head is complete: one
// allocation for the head's text instead of one per value. The arena and
// the list start in buffers the caller provides, usually arrays on its
// stack, and grow on the heap only for unusually large heads. The methods
// that add take and return the value (f = f.Add(...)) rather than a
// pointer, which keeps the caller's arrays on its stack.
type Fields struct {
	arena []byte
	list  []Field
}

// Field is a header line read: its canonical name and where its value
// lies in the arena.
type Field struct {
	key      string
	from, to int
}

// NewFields starts a head in the given buffers (both used from length 0).
func NewFields(arena []byte, list []Field) Fields {
	return Fields{arena: arena[:0], list: list[:0]}
}

// Text appends text that is not a header value and returns where it ends
// in the string Build returns.
func (f Fields) Text(b []byte) (Fields, int) {
	f.arena = append(f.arena, b...)
	return f, len(f.arena)
}

// Add appends one header line's value under its canonical name.
func (f Fields) Add(key string, v []byte) Fields {
	from := len(f.arena)
	f.arena = append(f.arena, v...)
	f.list = append(f.list, Field{key, from, len(f.arena)})
	return f
}

// Fold continues the last value with an obs-fold line (RFC 9112 §5.2:
// replaced by one space). It reports false when there is no value to
// continue.
func (f Fields) Fold(v []byte) (Fields, bool) {
	if len(f.list) == 0 {
		return f, false
	}
	f.arena = append(f.arena, ' ')
	f.arena = append(f.arena, v...)
	f.list[len(f.list)-1].to = len(f.arena)
	return f, true
}

// Build adds the values to h in the order they were read and returns the
// arena as one string (for the caller's Text offsets).
func (f Fields) Build(h http.Header) string {
	all := string(f.arena)
	vals := make([]string, len(f.list))
	for n, fl := range f.list {
		v := all[fl.from:fl.to]
		if prev, ok := h[fl.key]; ok {
			h[fl.key] = append(prev, v)
		} else {
			// One backing array for the usual single values: a slice
			// with no spare capacity, so that a repeated header's
			// append copies instead of overwriting its neighbour.
			vals[n] = v
			h[fl.key] = vals[n : n+1 : n+1]
		}
	}
	return all
}
