package jsontree

import (
	"math"
	"strconv"
)

// Kind is the JSON type of a Value.
type Kind uint8

// The JSON types.
const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

var kindNames = [...]string{"null", "boolean", "number", "string", "array", "object"}

// String returns the JSON name of the kind, as used in error messages.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is one node of a JSON document. Which fields are meaningful depends
// on Kind: Str holds a string's content or a number's literal text, Bool a
// boolean, Arr an array's elements and Obj an object's members in document
// order. The zero Value is a JSON null.
type Value struct {
	Kind Kind
	Str  string
	Bool bool
	Arr  []*Value
	Obj  []Member
}

// Member is one name/value pair of an object.
type Member struct {
	Key   string
	Value *Value
}

// NewNull returns a new JSON null. (The name Null is the Kind constant.)
func NewNull() *Value { return &Value{} }

// NewBool returns a new JSON boolean.
func NewBool(b bool) *Value { return &Value{Kind: Bool, Bool: b} }

// NewString returns a new JSON string holding s.
func NewString(s string) *Value { return &Value{Kind: String, Str: s} }

// NewNumber returns a new JSON number written as literal. The literal is
// kept verbatim and not checked, because callers usually copy it from a
// source that already is JSON; use ValidNumber where it is not.
func NewNumber(literal string) *Value { return &Value{Kind: Number, Str: literal} }

// NewNumberInt returns a new JSON number for i.
func NewNumberInt(i int64) *Value {
	return &Value{Kind: Number, Str: strconv.FormatInt(i, 10)}
}

// NewNumberFloat returns a new JSON number for f, spelt as encoding/json
// spells float64 values. JSON has no NaN or infinity, so those become null.
func NewNumberFloat(f float64) *Value {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return NewNull()
	}
	return &Value{Kind: Number, Str: formatFloat(f)}
}

// formatFloat follows encoding/json so that numbers Busbar computes read the
// way Go services' output does.
func formatFloat(f float64) string {
	abs := math.Abs(f)
	fmtc := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		fmtc = 'e'
	}
	b := strconv.AppendFloat(nil, f, fmtc, -1, 64)
	if fmtc == 'e' {
		// Clean up e-09 to e-9, as encoding/json does.
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return string(b)
}

// NewObject returns a new object with the given members, which it adopts.
func NewObject(members ...Member) *Value { return &Value{Kind: Object, Obj: members} }

// NewArray returns a new array with the given elements, which it adopts.
func NewArray(elems ...*Value) *Value { return &Value{Kind: Array, Arr: elems} }

// Len returns the number of elements of an array or members of an object,
// and 0 for other kinds.
func (v *Value) Len() int {
	switch v.Kind {
	case Array:
		return len(v.Arr)
	case Object:
		return len(v.Obj)
	}
	return 0
}

// Get returns the value of the member named key, or nil if v is not an
// object or has no such member. When an object repeats a key, Get returns
// the last occurrence, as encoding/json and most other parsers do.
func (v *Value) Get(key string) *Value {
	if i := v.lookup(key); i >= 0 {
		return v.Obj[i].Value
	}
	return nil
}

// lookup returns the index of the last member named key, or -1.
func (v *Value) lookup(key string) int {
	if v == nil || v.Kind != Object {
		return -1
	}
	for i := len(v.Obj) - 1; i >= 0; i-- {
		if v.Obj[i].Key == key {
			return i
		}
	}
	return -1
}

// Set makes x the value of the member named key: it replaces the member Get
// would return, keeping its position, or appends a new member. It does
// nothing unless v is an object.
func (v *Value) Set(key string, x *Value) {
	if v.Kind != Object {
		return
	}
	if i := v.lookup(key); i >= 0 {
		v.Obj[i].Value = x
		return
	}
	v.Obj = append(v.Obj, Member{Key: key, Value: x})
}

// Delete removes every member named key and reports whether there was one.
func (v *Value) Delete(key string) bool {
	if v.Kind != Object {
		return false
	}
	kept := v.Obj[:0]
	for _, m := range v.Obj {
		if m.Key != key {
			kept = append(kept, m)
		}
	}
	removed := len(kept) < len(v.Obj)
	clear(v.Obj[len(kept):])
	v.Obj = kept
	return removed
}

// Index returns element i of an array, counting from the end when i is
// negative, or nil if v is not an array or i is out of range.
func (v *Value) Index(i int) *Value {
	if v == nil || v.Kind != Array {
		return nil
	}
	if i < 0 {
		i += len(v.Arr)
	}
	if i < 0 || i >= len(v.Arr) {
		return nil
	}
	return v.Arr[i]
}

// Append adds x at the end of an array. It does nothing unless v is an
// array.
func (v *Value) Append(x *Value) {
	if v.Kind == Array {
		v.Arr = append(v.Arr, x)
	}
}

// Insert puts x at index i of an array, shifting later elements up; i may
// equal the length to append. It does nothing unless v is an array and i is
// in range.
func (v *Value) Insert(i int, x *Value) {
	if v.Kind != Array || i < 0 || i > len(v.Arr) {
		return
	}
	v.Arr = append(v.Arr, nil)
	copy(v.Arr[i+1:], v.Arr[i:])
	v.Arr[i] = x
}

// RemoveAt removes element i of an array and reports whether it existed.
func (v *Value) RemoveAt(i int) bool {
	if v.Kind != Array || i < 0 || i >= len(v.Arr) {
		return false
	}
	copy(v.Arr[i:], v.Arr[i+1:])
	v.Arr[len(v.Arr)-1] = nil
	v.Arr = v.Arr[:len(v.Arr)-1]
	return true
}

// Clone returns a deep copy of v that shares nothing mutable with it.
func (v *Value) Clone() *Value {
	if v == nil {
		return nil
	}
	c := &Value{Kind: v.Kind, Str: v.Str, Bool: v.Bool}
	if v.Arr != nil {
		c.Arr = make([]*Value, len(v.Arr))
		for i, e := range v.Arr {
			c.Arr[i] = e.Clone()
		}
	}
	if v.Obj != nil {
		c.Obj = make([]Member, len(v.Obj))
		for i, m := range v.Obj {
			c.Obj[i] = Member{Key: m.Key, Value: m.Value.Clone()}
		}
	}
	return c
}
