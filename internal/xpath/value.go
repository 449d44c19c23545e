package xpath

import (
	"math"
	"strconv"
)

// Kind is the type of an XPath 1.0 value.
type Kind uint8

// The four XPath 1.0 value types. NodeSet is the zero Kind, so the zero
// Value is the empty node-set.
const (
	NodeSet Kind = iota
	String
	Number
	Boolean

	// anyKind is the static type of an expression whose type is only known
	// once it has been evaluated: a variable or an extension function.
	anyKind
)

// String returns the XPath name of the type.
func (k Kind) String() string {
	switch k {
	case NodeSet:
		return "node-set"
	case String:
		return "string"
	case Number:
		return "number"
	case Boolean:
		return "boolean"
	}
	return "value"
}

// article returns the type name with its indefinite article, for messages.
func (k Kind) article() string {
	if k == anyKind {
		return "a value"
	}
	return "a " + k.String()
}

// Value is an XPath value: a node-set, a string, a number or a boolean. It is
// a plain struct so that passing values around does not allocate. Node-sets
// are always in document order without duplicates.
//
// The fields are laid out so that a (Value, error) result fits in registers.
type Value struct {
	// kind is the Kind, with pooledBit set when nodes is an evaluator's
	// scratch buffer that may be recycled once the value is consumed.
	kind  Kind
	num   float64 // a number, or a boolean as 1 or 0
	str   string
	nodes []NodeRef
}

const pooledBit Kind = 0x80

// pooledSet returns a node-set held in an evaluator's scratch buffer.
func pooledSet(nodes []NodeRef) Value { return Value{kind: NodeSet | pooledBit, nodes: nodes} }

func (v Value) pooled() bool { return v.kind&pooledBit != 0 }

// StringValue returns the string s as a Value.
func StringValue(s string) Value { return Value{kind: String, str: s} }

// NumberValue returns the number f as a Value.
func NumberValue(f float64) Value { return Value{kind: Number, num: f} }

// BoolValue returns the boolean b as a Value.
func BoolValue(b bool) Value {
	if b {
		return Value{kind: Boolean, num: 1}
	}
	return Value{kind: Boolean}
}

// NodeSetValue returns a node-set holding nodes. Zero NodeRefs are dropped,
// and the nodes are put into document order and deduplicated in place, so the
// caller's slice may be reordered.
func NodeSetValue(nodes ...NodeRef) Value {
	return Value{kind: NodeSet, nodes: normalizeSet(nodes)}
}

// Kind returns the type of v.
func (v Value) Kind() Kind { return v.kind &^ pooledBit }

// Nodes returns the nodes of a node-set in document order, or nil if v is not
// a node-set. The slice must not be modified.
func (v Value) Nodes() []NodeRef {
	if v.Kind() != NodeSet {
		return nil
	}
	return v.nodes
}

// String converts v to a string as the XPath string() function does: the
// string-value of the first node of a node-set, numbers as FormatNumber, and
// "true" or "false".
func (v Value) String() string {
	switch v.Kind() {
	case String:
		return v.str
	case Number:
		return FormatNumber(v.num)
	case Boolean:
		if v.num != 0 {
			return "true"
		}
		return "false"
	}
	if len(v.nodes) == 0 {
		return ""
	}
	return v.nodes[0].StringValue()
}

// Number converts v to a number as the XPath number() function does.
func (v Value) Number() float64 {
	switch v.Kind() {
	case Number, Boolean:
		return v.num
	case String:
		return ParseNumber(v.str)
	}
	if len(v.nodes) == 0 {
		return math.NaN()
	}
	return ParseNumber(v.nodes[0].StringValue())
}

// Bool converts v to a boolean as the XPath boolean() function does.
func (v Value) Bool() bool {
	switch v.Kind() {
	case Boolean:
		return v.num != 0
	case Number:
		return v.num != 0 && !math.IsNaN(v.num)
	case String:
		return v.str != ""
	}
	return len(v.nodes) > 0
}

// FormatNumber formats f as XPath 1.0 converts a number to a string: NaN,
// Infinity and -Infinity by name, integers without a decimal point, negative
// zero as 0, and everything else in plain decimal notation (never with an
// exponent) with just enough digits to identify the number.
func FormatNumber(f float64) string {
	switch {
	case f != f:
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		// FormatInt serves small integers from a static table.
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// ParseNumber converts s to a number as XPath 1.0 converts a string: optional
// surrounding whitespace, an optional minus sign and decimal digits with an
// optional decimal point. Anything else, including exponents, a plus sign and
// the empty string, is NaN.
func ParseNumber(s string) float64 {
	s = trimSpace(s)
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits, intPart := 0, int64(0)
	for ; i < len(s) && isDigit(s[i]); i++ {
		digits++
		intPart = intPart*10 + int64(s[i]-'0')
	}
	if i == len(s) && digits > 0 && digits < 16 {
		// A short integer is exact in float64; skip ParseFloat.
		if s[0] == '-' {
			return -float64(intPart)
		}
		return float64(intPart)
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && isDigit(s[i]); i++ {
			digits++
		}
	}
	if i != len(s) || digits == 0 {
		return math.NaN()
	}
	// The syntax is already checked, so the only possible error is a range
	// error, for which ParseFloat returns the correctly rounded ±Inf or 0.
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isSpace reports whether c is XML whitespace, the only whitespace XPath 1.0
// knows.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func trimSpace(s string) string {
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}
