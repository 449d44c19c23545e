package xpath

import (
	"math"
	"strings"
	"unicode/utf8"

	"github.com/busbar/busbar/internal/xmltree"
)

type coreFn uint8

const (
	fnLast coreFn = iota
	fnPosition
	fnCount
	fnID
	fnLocalName
	fnNamespaceURI
	fnName
	fnString
	fnConcat
	fnStartsWith
	fnContains
	fnSubstringBefore
	fnSubstringAfter
	fnSubstring
	fnStringLength
	fnNormalizeSpace
	fnTranslate
	fnBoolean
	fnNot
	fnTrue
	fnFalse
	fnLang
	fnNumber
	fnSum
	fnFloor
	fnCeiling
	fnRound
)

// coreSpec describes a function of the XPath 1.0 core library.
type coreSpec struct {
	fn       coreFn
	min, max int // max < 0: no upper limit
	typ      Kind
	ctxArg   bool // called without arguments, it reads the context node
	nodeArg  bool // its argument must be a node-set
}

var coreFuncs = map[string]coreSpec{
	"last":             {fn: fnLast, typ: Number},
	"position":         {fn: fnPosition, typ: Number},
	"count":            {fn: fnCount, min: 1, max: 1, typ: Number, nodeArg: true},
	"id":               {fn: fnID, min: 1, max: 1, typ: NodeSet},
	"local-name":       {fn: fnLocalName, max: 1, typ: String, ctxArg: true, nodeArg: true},
	"namespace-uri":    {fn: fnNamespaceURI, max: 1, typ: String, ctxArg: true, nodeArg: true},
	"name":             {fn: fnName, max: 1, typ: String, ctxArg: true, nodeArg: true},
	"string":           {fn: fnString, max: 1, typ: String, ctxArg: true},
	"concat":           {fn: fnConcat, min: 2, max: -1, typ: String},
	"starts-with":      {fn: fnStartsWith, min: 2, max: 2, typ: Boolean},
	"contains":         {fn: fnContains, min: 2, max: 2, typ: Boolean},
	"substring-before": {fn: fnSubstringBefore, min: 2, max: 2, typ: String},
	"substring-after":  {fn: fnSubstringAfter, min: 2, max: 2, typ: String},
	"substring":        {fn: fnSubstring, min: 2, max: 3, typ: String},
	"string-length":    {fn: fnStringLength, max: 1, typ: Number, ctxArg: true},
	"normalize-space":  {fn: fnNormalizeSpace, max: 1, typ: String, ctxArg: true},
	"translate":        {fn: fnTranslate, min: 3, max: 3, typ: String},
	"boolean":          {fn: fnBoolean, min: 1, max: 1, typ: Boolean},
	"not":              {fn: fnNot, min: 1, max: 1, typ: Boolean},
	"true":             {fn: fnTrue, typ: Boolean},
	"false":            {fn: fnFalse, typ: Boolean},
	"lang":             {fn: fnLang, min: 1, max: 1, typ: Boolean},
	"number":           {fn: fnNumber, max: 1, typ: Number, ctxArg: true},
	"sum":              {fn: fnSum, min: 1, max: 1, typ: Number, nodeArg: true},
	"floor":            {fn: fnFloor, min: 1, max: 1, typ: Number},
	"ceiling":          {fn: fnCeiling, min: 1, max: 1, typ: Number},
	"round":            {fn: fnRound, min: 1, max: 1, typ: Number},
}

// coreCall is a call of a core library function.
type coreCall struct {
	meta
	fn   coreFn
	name string
	what string // "argument of name()", for type errors
	args []expr
}

func (c *coreCall) eval(ev *evaluator, f focus) (Value, error) {
	switch c.fn {
	case fnLast:
		return NumberValue(float64(f.size)), nil
	case fnPosition:
		return NumberValue(float64(f.pos)), nil
	case fnTrue:
		return BoolValue(true), nil
	case fnFalse:
		return BoolValue(false), nil
	case fnCount, fnSum, fnID:
		return c.nodeSetFn(ev, f)
	case fnLocalName, fnNamespaceURI, fnName:
		return c.nameFn(ev, f)
	case fnBoolean, fnNot:
		b, err := ev.evalBool(c.args[0], f)
		return BoolValue(b != (c.fn == fnNot)), err
	case fnLang:
		return c.lang(ev, f)
	case fnNumber, fnFloor, fnCeiling, fnRound:
		return c.numberFn(ev, f)
	case fnString, fnStringLength, fnNormalizeSpace:
		return c.stringFn(ev, f)
	case fnConcat:
		return c.concat(ev, f)
	case fnSubstring:
		return c.substring(ev, f)
	case fnTranslate:
		return c.translate(ev, f)
	}
	return c.twoStrings(ev, f)
}

// argNodes evaluates argument i, which must be a node-set.
func (c *coreCall) argNodes(ev *evaluator, f focus, i int) (Value, error) {
	return ev.evalNodeSet(c.args[i], f, c.what)
}

func (c *coreCall) nodeSetFn(ev *evaluator, f focus) (Value, error) {
	if c.fn == fnID {
		// Without a DTD no attribute is of type ID, so id() selects
		// nothing; its argument is still evaluated for its errors.
		v, err := c.args[0].eval(ev, f)
		ev.release(v)
		return Value{}, err
	}
	v, err := c.argNodes(ev, f, 0)
	if err != nil {
		return Value{}, err
	}
	var x float64
	if c.fn == fnCount {
		x = float64(len(v.nodes))
	} else {
		for _, n := range v.nodes {
			x += ParseNumber(n.StringValue())
		}
	}
	ev.release(v)
	return NumberValue(x), nil
}

// nameFn implements local-name, namespace-uri and name, which look at the
// first node of their argument or at the context node.
func (c *coreCall) nameFn(ev *evaluator, f focus) (Value, error) {
	var n NodeRef
	if len(c.args) == 0 {
		var err error
		if n, err = ev.contextNode(f); err != nil {
			return Value{}, err
		}
	} else {
		v, err := c.argNodes(ev, f, 0)
		if err != nil {
			return Value{}, err
		}
		if len(v.nodes) > 0 {
			n = v.nodes[0]
		}
		ev.release(v)
		if n.n == nil {
			return StringValue(""), nil
		}
	}
	switch c.fn {
	case fnLocalName:
		return StringValue(n.LocalName()), nil
	case fnNamespaceURI:
		return StringValue(n.NamespaceURI()), nil
	}
	return StringValue(n.Name()), nil
}

// lang reports whether the xml:lang in scope at the context node is the
// argument language or a sublanguage of it, ignoring case.
func (c *coreCall) lang(ev *evaluator, f focus) (Value, error) {
	want, err := ev.evalString(c.args[0], f)
	if err != nil {
		return Value{}, err
	}
	n, err := ev.contextNode(f)
	if err != nil {
		return Value{}, err
	}
	for e := n.n; e != nil; e = e.Parent {
		if e.Type != xmltree.ElementNode {
			continue
		}
		for _, a := range e.Attrs {
			if a.Name.Local == "lang" && a.Name.Space == xmlNamespace {
				v := a.Value
				ok := strings.EqualFold(v, want) ||
					len(v) > len(want) && v[len(want)] == '-' && strings.EqualFold(v[:len(want)], want)
				return BoolValue(ok), nil
			}
		}
	}
	return BoolValue(false), nil
}

func (c *coreCall) numberFn(ev *evaluator, f focus) (Value, error) {
	var x float64
	if len(c.args) == 0 {
		n, err := ev.contextNode(f)
		if err != nil {
			return Value{}, err
		}
		x = ParseNumber(n.StringValue())
	} else {
		var err error
		if x, err = ev.evalNumber(c.args[0], f); err != nil {
			return Value{}, err
		}
	}
	switch c.fn {
	case fnFloor:
		x = math.Floor(x)
	case fnCeiling:
		x = math.Ceil(x)
	case fnRound:
		x = round(x)
	}
	return NumberValue(x), nil
}

// round rounds half up, towards positive infinity, keeping the sign of zero
// results as XPath requires (round(-0.4) is -0).
func round(x float64) float64 {
	if x != x || math.IsInf(x, 0) || x == 0 {
		return x
	}
	r := math.Floor(x)
	if x-r >= 0.5 {
		r++
	}
	if r == 0 && x < 0 {
		return math.Copysign(0, -1)
	}
	return r
}

// stringArg evaluates argument i as a string, or takes the string-value of
// the context node when the function was called without arguments.
func (c *coreCall) stringArg(ev *evaluator, f focus, i int) (string, error) {
	if i >= len(c.args) {
		n, err := ev.contextNode(f)
		if err != nil {
			return "", err
		}
		return n.StringValue(), nil
	}
	return ev.evalString(c.args[i], f)
}

func (c *coreCall) stringFn(ev *evaluator, f focus) (Value, error) {
	s, err := c.stringArg(ev, f, 0)
	if err != nil {
		return Value{}, err
	}
	switch c.fn {
	case fnStringLength:
		return NumberValue(float64(utf8.RuneCountInString(s))), nil
	case fnNormalizeSpace:
		return StringValue(normalizeSpace(s)), nil
	}
	return StringValue(s), nil
}

func (c *coreCall) concat(ev *evaluator, f focus) (Value, error) {
	var b strings.Builder
	for _, a := range c.args {
		s, err := ev.evalString(a, f)
		if err != nil {
			return Value{}, err
		}
		b.WriteString(s)
	}
	return StringValue(b.String()), nil
}

// twoStrings implements the functions of two string arguments.
func (c *coreCall) twoStrings(ev *evaluator, f focus) (Value, error) {
	s, err := ev.evalString(c.args[0], f)
	if err != nil {
		return Value{}, err
	}
	t, err := ev.evalString(c.args[1], f)
	if err != nil {
		return Value{}, err
	}
	switch c.fn {
	case fnStartsWith:
		return BoolValue(strings.HasPrefix(s, t)), nil
	case fnContains:
		return BoolValue(strings.Contains(s, t)), nil
	case fnSubstringBefore:
		if i := strings.Index(s, t); i >= 0 {
			return StringValue(s[:i]), nil
		}
		return StringValue(""), nil
	}
	if i := strings.Index(s, t); i >= 0 {
		return StringValue(s[i+len(t):]), nil
	}
	return StringValue(""), nil
}

func (c *coreCall) substring(ev *evaluator, f focus) (Value, error) {
	s, err := ev.evalString(c.args[0], f)
	if err != nil {
		return Value{}, err
	}
	start, err := ev.evalNumber(c.args[1], f)
	if err != nil {
		return Value{}, err
	}
	length := math.Inf(1)
	if len(c.args) == 3 {
		if length, err = ev.evalNumber(c.args[2], f); err != nil {
			return Value{}, err
		}
	}
	return StringValue(substring(s, start, length)), nil
}

// substring returns the characters of s whose 1-based position p satisfies
// round(start) <= p < round(start) + round(length), evaluated in IEEE
// arithmetic so that NaN and the infinities behave as the REC specifies.
// The selected characters are contiguous, so the result is a slice of s.
func substring(s string, start, length float64) string {
	lo := round(start)
	hi := lo + round(length)
	from, to, p := -1, len(s), 1.0
	for i := range s {
		if p >= lo && p < hi {
			if from < 0 {
				from = i
			}
		} else if from >= 0 {
			to = i
			break
		}
		p++
	}
	if from < 0 {
		return ""
	}
	return s[from:to]
}

// normalizeSpace strips leading and trailing whitespace and collapses inner
// runs of it to one space, returning s itself when nothing changes.
func normalizeSpace(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if isSpace(s[i]) && (s[i] != ' ' || i == 0 || i == len(s)-1 || s[i+1] == ' ') {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		j := i
		for j < len(s) && !isSpace(s[j]) {
			j++
		}
		if i < j {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(s[i:j])
		}
		i = j
	}
	return b.String()
}

func (c *coreCall) translate(ev *evaluator, f focus) (Value, error) {
	var s [3]string
	for i := range s {
		var err error
		if s[i], err = ev.evalString(c.args[i], f); err != nil {
			return Value{}, err
		}
	}
	return StringValue(translate(s[0], s[1], s[2])), nil
}

// translate replaces each character of s found in from by the character at
// the same position in to, or drops it if to is shorter; the first
// occurrence in from wins.
func translate(s, from, to string) string {
	if !strings.ContainsAny(s, from) {
		return s
	}
	fr, tr := []rune(from), []rune(to)
	var b strings.Builder
	b.Grow(len(s))
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		i := 0
		for i < len(fr) && fr[i] != r {
			i++
		}
		switch {
		case i == len(fr):
			b.WriteString(s[:size]) // as it was, even if not valid UTF-8
		case i < len(tr):
			b.WriteRune(tr[i])
		}
		s = s[size:]
	}
	return b.String()
}
