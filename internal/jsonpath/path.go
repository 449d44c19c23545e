package jsonpath

import (
	"errors"
	"fmt"

	"github.com/busbar/busbar/internal/jsontree"
)

// Path is a compiled JSONPath expression.
type Path struct {
	src      string
	segs     []segment
	fromItem bool // the path starts with '@'
	definite bool
	located  bool // no function result can appear among the matches
}

// SyntaxError reports a path that does not compile. Offset is the byte
// offset in Src where the problem was found.
type SyntaxError struct {
	Offset int
	Msg    string
	Src    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("jsonpath: %s at offset %d in %q", e.Msg, e.Offset, e.Src)
}

// ErrNotLocatable is returned by Locate for a path ending in a function,
// whose result is computed rather than found in the document.
var ErrNotLocatable = errors.New("jsonpath: a function result has no location in the document")

// Compile parses a JSONPath expression. As in Jayway, a path that does not
// start with '$' or '@' is read as if "$." preceded it, and surrounding
// spaces are ignored; as in MI's SynapseJsonPath, one trailing '.' is
// dropped, so "$." means "$". Regular expressions in filters are compiled
// here, so a bad one is a compile error.
func Compile(src string) (*Path, error) {
	return compile(src, false)
}

// MustCompile is Compile for paths known to be valid; it panics otherwise.
func MustCompile(src string) *Path {
	p, err := Compile(src)
	if err != nil {
		panic(err)
	}
	return p
}

// String returns the expression the path was compiled from.
func (p *Path) String() string { return p.src }

// IsDefinite reports whether the path can match at most one value, which
// Jayway calls definite: it has no wildcard, deep scan, filter, slice,
// union of indexes, or several bracketed names followed by more path. (A
// deep scan whose path ends in a function is definite, because Jayway
// applies the function to all the scan's matches at once.)
func (p *Path) IsDefinite() bool { return p.definite }

// Select returns the values the path matches in document order. A missing
// key or index is not an error but no match, for indefinite and definite
// paths alike (Jayway throws PathNotFoundException for some definite cases,
// which json-eval() turns into an empty string; here they are simply
// empty). Function results are new values, not part of root. The error is
// non-nil only when a function cannot be evaluated, such as avg() of an
// array without numbers, where Jayway throws.
func (p *Path) Select(root *jsontree.Value) ([]*jsontree.Value, error) {
	c := newContext(root)
	c.run(p, root)
	if c.err != nil {
		return nil, c.err
	}
	vals := make([]*jsontree.Value, len(c.out))
	for i, m := range c.out {
		vals[i] = m.value
	}
	return vals, nil
}

// Locate returns where the path's matches are in root, in document order,
// so that they can be replaced, removed or given siblings. Bracketed names
// at the end of a path (['a','b']), which Select merges into one object,
// give one Location per name found.
func (p *Path) Locate(root *jsontree.Value) ([]Location, error) {
	if !p.located {
		return nil, ErrNotLocatable
	}
	c := newContext(root)
	c.locating = true
	c.run(p, root)
	if c.err != nil {
		return nil, c.err
	}
	locs := make([]Location, len(c.out))
	for i, m := range c.out {
		locs[i] = Location(m)
	}
	return locs, nil
}

// EvalString returns what MI's json-eval() yields for this path as a
// string, and ok=false when it yields nothing (the empty string):
//
//   - "$" alone: the whole document, compact.
//   - a definite path: the raw text of a matched string, the literal of a
//     number, true, false or null, or compact JSON for an object or array;
//     no match gives ok=false.
//   - an indefinite path: a JSON array of all matches, "[]" when there are
//     none (Jayway returns an empty list rather than failing).
//   - a function: its result, numbers spelt as Java spells them (length()
//     gives "4", sum() gives "6.0").
//
// Errors are those of Select; json-eval() logs them and yields "".
func (p *Path) EvalString(root *jsontree.Value) (string, bool, error) {
	if len(p.segs) == 0 {
		return root.String(), true, nil // the body as JSON text, as MI returns it
	}
	vals, err := p.Select(root)
	if err != nil {
		return "", false, err
	}
	if !p.definite {
		return jsontree.NewArray(vals...).String(), true, nil
	}
	if len(vals) == 0 {
		return "", false, nil
	}
	v := vals[len(vals)-1]
	switch v.Kind {
	case jsontree.String, jsontree.Number:
		return v.Str, true, nil
	case jsontree.Bool:
		if v.Bool {
			return "true", true, nil
		}
		return "false", true, nil
	case jsontree.Null:
		return "null", true, nil
	}
	return v.String(), true, nil
}

// Location is where a match sits in a document: its parent container and
// its key or index there, or the root itself.
type Location struct {
	parent *jsontree.Value
	key    string
	index  int
	value  *jsontree.Value
}

// Value returns the matched value.
func (l Location) Value() *jsontree.Value { return l.value }

// Parent returns the object or array holding the match, or nil for the
// root.
func (l Location) Parent() *jsontree.Value { return l.parent }

// IsRoot reports whether the match is the document itself.
func (l Location) IsRoot() bool { return l.parent == nil }

// Key returns the member name when the parent is an object.
func (l Location) Key() (string, bool) {
	if l.parent == nil || l.parent.Kind != jsontree.Object {
		return "", false
	}
	return l.key, true
}

// Index returns the position of the match when the parent is an array,
// after any edits made since Locate through other Locations.
func (l Location) Index() (int, bool) {
	if l.parent == nil || l.parent.Kind != jsontree.Array {
		return 0, false
	}
	i := l.find()
	return i, i >= 0
}

// find returns the current position of the match in its parent, or -1.
// Locations identify matches by node identity, with the original position
// as a hint, so edits through one Location do not misdirect another.
func (l Location) find() int {
	switch l.parent.Kind {
	case jsontree.Array:
		if l.index < len(l.parent.Arr) && l.parent.Arr[l.index] == l.value {
			return l.index
		}
		for i, e := range l.parent.Arr {
			if e == l.value {
				return i
			}
		}
	case jsontree.Object:
		if l.index < len(l.parent.Obj) && l.parent.Obj[l.index].Value == l.value {
			return l.index
		}
		for i, m := range l.parent.Obj {
			if m.Value == l.value {
				return i
			}
		}
	}
	return -1
}

// Set replaces the match with v. A match that has since been removed is
// left alone; the root is overwritten in place with v's contents, since the
// caller holds the root pointer.
func (l Location) Set(v *jsontree.Value) {
	if l.parent == nil {
		*l.value = *v
		return
	}
	i := l.find()
	switch {
	case i < 0:
	case l.parent.Kind == jsontree.Array:
		l.parent.Arr[i] = v
	default:
		l.parent.Obj[i].Value = v
	}
}

// Delete removes the match from its parent: the member from an object, the
// element from an array (later elements move down). Deleting the root makes
// it null.
func (l Location) Delete() {
	if l.parent == nil {
		*l.value = jsontree.Value{}
		return
	}
	i := l.find()
	switch {
	case i < 0:
	case l.parent.Kind == jsontree.Array:
		l.parent.RemoveAt(i)
	default:
		l.parent.Obj = append(l.parent.Obj[:i], l.parent.Obj[i+1:]...)
	}
}
