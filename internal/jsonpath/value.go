package jsonpath

import (
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/busbar/busbar/internal/jsontree"
	"github.com/busbar/busbar/internal/jsontree/javanum"
)

type fkind uint8

const (
	fUndef fkind = iota // a path that matched nothing
	fNull
	fBool
	fNum
	fStr
	fJSON // an array or object
	fPattern
)

// fval is a filter operand's value, mirroring Jayway's ValueNode kinds.
type fval struct {
	kind fkind
	b    bool
	s    string // string content, number literal or pattern source
	j    *jsontree.Value
	re   *regexp.Regexp
}

func fromValue(v *jsontree.Value) fval {
	switch v.Kind {
	case jsontree.Null:
		return fval{kind: fNull}
	case jsontree.Bool:
		return fval{kind: fBool, b: v.Bool}
	case jsontree.Number:
		return fval{kind: fNum, s: v.Str}
	case jsontree.String:
		return fval{kind: fStr, s: v.Str}
	}
	return fval{kind: fJSON, j: v}
}

// errInvalid makes a filter false for the item being tested, as Jayway's
// InvalidPathException does when an operator gets operands it cannot use.
var errInvalid = errors.New("jsonpath: operand not usable with this operator")

// equals is Jayway's ValueNode.equals, which is not symmetric: a string
// equals a number whose BigDecimal spelling it is, and a number equals a
// string that parses as the same number.
func equals(l, r fval) bool {
	switch l.kind {
	case fStr:
		switch r.kind {
		case fStr:
			return l.s == r.s
		case fNum:
			s, _ := javanum.BigDecimalString(r.s)
			return l.s == s
		}
	case fNum:
		if r.kind == fNum || r.kind == fStr {
			c, ok := jsontree.CompareNumbers(l.s, r.s)
			return ok && c == 0
		}
	case fBool:
		return r.kind == fBool && l.b == r.b
	case fNull:
		return r.kind == fNull
	case fJSON:
		return r.kind == fJSON && jsontree.Equal(l.j, r.j)
	case fPattern:
		return r.kind == fPattern && l.s == r.s
	}
	return false
}

// list returns the elements of an array operand; ok=false for other JSON
// and errInvalid for non-JSON, as Jayway's asValueListNode does.
func (v fval) list() ([]fval, bool, error) {
	if v.kind != fJSON {
		return nil, false, errInvalid
	}
	if v.j.Kind != jsontree.Array {
		return nil, false, nil
	}
	out := make([]fval, len(v.j.Arr))
	for i, e := range v.j.Arr {
		out[i] = fromValue(e)
	}
	return out, true, nil
}

func contains(list []fval, x fval) bool {
	for _, e := range list {
		if equals(x, e) {
			return true
		}
	}
	return false
}

// relate applies a relational operator the way Jayway's evaluators do.
func relate(op string, l, r fval) (bool, error) {
	switch op {
	case "==":
		return equals(l, r), nil
	case "!=":
		return !equals(l, r), nil
	case "===":
		return l.kind == r.kind && equals(l, r), nil
	case "!==":
		return !(l.kind == r.kind && equals(l, r)), nil
	case "<", "<=", ">", ">=":
		return order(op, l, r), nil
	case "=~":
		return regexMatch(l, r), nil
	case "in", "nin":
		in, err := member(l, r)
		if op == "nin" {
			in = !in
		}
		return in, err
	case "subsetof", "anyof", "noneof":
		return setRelation(op, l, r)
	case "contains":
		return containsOp(l, r), nil
	case "size":
		return sizeOp(l, r), nil
	case "empty":
		return emptyOp(l, r)
	}
	// all, exists, type and matches need operands only Jayway's Java API
	// can build, so from a path string they always fail.
	return false, errInvalid
}

func order(op string, l, r fval) bool {
	var c int
	switch {
	case l.kind == fNum && r.kind == fNum:
		var ok bool
		if c, ok = jsontree.CompareNumbers(l.s, r.s); !ok {
			return false
		}
	case l.kind == fStr && r.kind == fStr:
		c = compareUTF16(l.s, r.s)
	default:
		return false
	}
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}

// compareUTF16 orders strings as Java's String.compareTo does, by UTF-16
// code units, which differs from Go's byte order only where a character
// beyond U+FFFF meets one in U+E000..U+FFFF.
func compareUTF16(a, b string) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	for i > 0 && !utf8.RuneStart(a[i]) {
		i--
	}
	if i == len(a) || i == len(b) {
		return cmp(len(a), len(b))
	}
	ra, _ := utf8.DecodeRuneInString(a[i:])
	rb, _ := utf8.DecodeRuneInString(b[i:])
	if c := cmp(firstUnit(ra), firstUnit(rb)); c != 0 || ra != rb {
		if c == 0 {
			return cmp(int(ra), int(rb))
		}
		return c
	}
	return strings.Compare(a[i:], b[i:]) // undecodable bytes
}

// firstUnit is the first UTF-16 code unit of r.
func firstUnit(r rune) int {
	if r >= 0x10000 {
		return 0xD800 + int(r-0x10000)>>10
	}
	return int(r)
}

func cmp(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

func regexMatch(l, r fval) bool {
	if (l.kind == fPattern) == (r.kind == fPattern) {
		return false
	}
	pat, in := l, r
	if r.kind == fPattern {
		pat, in = r, l
	}
	if in.kind == fJSON {
		list, ok, _ := in.list()
		if !ok {
			return pat.re.MatchString("")
		}
		for _, e := range list {
			if pat.re.MatchString(regexInput(e)) {
				return true
			}
		}
		return false
	}
	return pat.re.MatchString(regexInput(in))
}

// regexInput is the text Jayway matches a pattern against: strings as they
// are, numbers as BigDecimal spells them, booleans as words, else nothing.
func regexInput(v fval) string {
	switch v.kind {
	case fStr:
		return v.s
	case fNum:
		s, _ := javanum.BigDecimalString(v.s)
		return s
	case fBool:
		if v.b {
			return "true"
		}
		return "false"
	}
	return ""
}

func member(l, r fval) (bool, error) {
	list, ok, err := r.list()
	if err != nil || !ok {
		return false, err
	}
	return contains(list, l), nil
}

func setRelation(op string, l, r fval) (bool, error) {
	right, ok, err := r.list()
	if err != nil || !ok {
		return false, err
	}
	left, ok, err := l.list()
	if err != nil || !ok {
		return false, err
	}
	switch op {
	case "subsetof":
		for _, e := range left {
			if !contains(right, e) {
				return false, nil
			}
		}
		return true, nil
	case "anyof":
		for _, e := range left {
			if contains(right, e) {
				return true, nil
			}
		}
		return false, nil
	}
	for _, e := range left {
		if contains(right, e) {
			return false, nil
		}
	}
	return true, nil
}

func containsOp(l, r fval) bool {
	if l.kind == fStr && r.kind == fStr {
		return strings.Contains(l.s, r.s)
	}
	if l.kind == fJSON {
		list, ok, _ := l.list()
		return ok && contains(list, r)
	}
	return false
}

func sizeOp(l, r fval) bool {
	if r.kind != fNum {
		return false
	}
	want, ok := intValue(r.s)
	if !ok {
		return false
	}
	switch l.kind {
	case fStr:
		return utf16Len(l.s) == want
	case fJSON:
		if l.j.Kind != jsontree.Array {
			return want == -1
		}
		return len(l.j.Arr) == want
	}
	return false
}

// intValue is Java's BigDecimal.intValue for the literals that matter here.
func intValue(lit string) (int, bool) {
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || f > math.MaxInt32 || f < math.MinInt32 {
		return 0, false
	}
	return int(f), true
}

func emptyOp(l, r fval) (bool, error) {
	if r.kind != fBool {
		return false, errInvalid
	}
	switch l.kind {
	case fStr:
		return (l.s == "") == r.b, nil
	case fJSON:
		return (l.j.Len() == 0) == r.b, nil
	}
	return false, nil
}
