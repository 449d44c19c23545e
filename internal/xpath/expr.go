package xpath

import (
	"fmt"
	"math"
)

// expr is a compiled subexpression.
type expr interface {
	eval(ev *evaluator, f focus) (Value, error)
	info() *meta
}

// meta is what the compiler knows about a subexpression.
type meta struct {
	typ    Kind  // static result type, anyKind if unknown
	height int32 // height of the expression tree, bounded at compile time
	// ctx: evaluating it reads the focus node. doc: it calls an extension
	// flagged NeedsNode, which may read the message wherever it appears.
	// pos: it reads the focus position or size.
	ctx, doc, pos bool
}

func (m *meta) info() *meta { return m }

// combine returns the meta of an expression of type typ over subexpressions
// evaluated at the same focus.
func combine(typ Kind, subs ...expr) meta {
	m := meta{typ: typ}
	for _, s := range subs {
		i := s.info()
		m.height = max(m.height, i.height)
		m.ctx = m.ctx || i.ctx
		m.doc = m.doc || i.doc
		m.pos = m.pos || i.pos
	}
	m.height++
	return m
}

type numberLit struct {
	meta
	v float64
}

func (e *numberLit) eval(*evaluator, focus) (Value, error) { return NumberValue(e.v), nil }

type stringLit struct {
	meta
	v string
}

func (e *stringLit) eval(*evaluator, focus) (Value, error) { return StringValue(e.v), nil }

type orExpr struct {
	meta
	l, r expr
}

func (e *orExpr) eval(ev *evaluator, f focus) (Value, error) {
	b, err := ev.evalBool(e.l, f)
	if err != nil || b {
		return BoolValue(b), err
	}
	b, err = ev.evalBool(e.r, f)
	return BoolValue(b), err
}

type andExpr struct {
	meta
	l, r expr
}

func (e *andExpr) eval(ev *evaluator, f focus) (Value, error) {
	b, err := ev.evalBool(e.l, f)
	if err != nil || !b {
		return BoolValue(false), err
	}
	b, err = ev.evalBool(e.r, f)
	return BoolValue(b), err
}

type arithExpr struct {
	meta
	op   tokKind
	l, r expr
}

func (e *arithExpr) eval(ev *evaluator, f focus) (Value, error) {
	a, err := ev.evalNumber(e.l, f)
	if err != nil {
		return Value{}, err
	}
	b, err := ev.evalNumber(e.r, f)
	if err != nil {
		return Value{}, err
	}
	return NumberValue(arith(e.op, a, b)), nil
}

func arith(op tokKind, a, b float64) float64 {
	switch op {
	case tPlus:
		return a + b
	case tMinus:
		return a - b
	case tMul:
		return a * b
	case tDiv:
		return a / b
	}
	// XPath's mod truncates like Java's %: the result has the sign of
	// the dividend.
	return math.Mod(a, b)
}

type negExpr struct {
	meta
	x expr
}

func (e *negExpr) eval(ev *evaluator, f focus) (Value, error) {
	a, err := ev.evalNumber(e.x, f)
	return NumberValue(-a), err
}

type unionExpr struct {
	meta
	l, r expr
}

func (e *unionExpr) eval(ev *evaluator, f focus) (Value, error) {
	a, err := ev.evalNodeSet(e.l, f, `operand of "|"`)
	if err != nil {
		return Value{}, err
	}
	b, err := ev.evalNodeSet(e.r, f, `operand of "|"`)
	if err != nil {
		ev.release(a)
		return Value{}, err
	}
	switch {
	case len(b.nodes) == 0:
		ev.release(b)
		return a, nil
	case len(a.nodes) == 0:
		ev.release(a)
		return b, nil
	}
	out := mergeSets(ev.get(), a.nodes, b.nodes)
	ev.release(a)
	ev.release(b)
	return pooledSet(out), nil
}

// evalNodeSet evaluates e and fails unless the result is a node-set; what
// names the role of e for the message.
func (ev *evaluator) evalNodeSet(e expr, f focus, what string) (Value, error) {
	v, err := e.eval(ev, f)
	if err != nil {
		return Value{}, err
	}
	if v.Kind() != NodeSet {
		return Value{}, fmt.Errorf("xpath: %s is %s, not a node-set", what, v.Kind().article())
	}
	return v, nil
}

type cmpExpr struct {
	meta
	op   tokKind
	l, r expr
}

func (e *cmpExpr) eval(ev *evaluator, f focus) (Value, error) {
	a, err := e.l.eval(ev, f)
	if err != nil {
		return Value{}, err
	}
	b, err := e.r.eval(ev, f)
	if err != nil {
		ev.release(a)
		return Value{}, err
	}
	res := ev.compare(e.op, a, b)
	ev.release(a)
	ev.release(b)
	return BoolValue(res), nil
}

// cmpLitExpr is a comparison with a literal, the commonest kind in
// Synapse configurations (//id = '42', get-property('x') = 'y'); the
// literal operand is kept as a ready Value.
type cmpLitExpr struct {
	meta
	op  tokKind
	x   expr
	lit Value
}

func (e *cmpLitExpr) eval(ev *evaluator, f focus) (Value, error) {
	a, err := e.x.eval(ev, f)
	if err != nil {
		return Value{}, err
	}
	res := ev.compare(e.op, a, e.lit)
	ev.release(a)
	return BoolValue(res), nil
}

// literal returns the value of a literal expression.
func literal(e expr) (Value, bool) {
	switch x := e.(type) {
	case *stringLit:
		return StringValue(x.v), true
	case *numberLit:
		return NumberValue(x.v), true
	}
	return Value{}, false
}

// flip returns the operator that gives the same result with the operands
// swapped.
func flip(op tokKind) tokKind {
	switch op {
	case tLt:
		return tGt
	case tGt:
		return tLt
	case tLe:
		return tGe
	case tGe:
		return tLe
	}
	return op
}

// compare implements the comparison rules of XPath 1.0 section 3.4.
func (ev *evaluator) compare(op tokKind, a, b Value) bool {
	ak, bk := a.Kind(), b.Kind()
	switch {
	case ak == NodeSet && bk == NodeSet:
		return ev.compareSets(op, a.nodes, b.nodes)
	case ak == NodeSet:
		return compareSetAtom(op, a.nodes, b)
	case bk == NodeSet:
		return compareSetAtom(flip(op), b.nodes, a)
	}
	if op == tEq || op == tNeq {
		var eq bool
		switch {
		case ak == Boolean || bk == Boolean:
			eq = a.Bool() == b.Bool()
		case ak == Number || bk == Number:
			eq = a.Number() == b.Number()
		default:
			eq = a.str == b.str
		}
		return eq == (op == tEq)
	}
	return compareNum(op, a.Number(), b.Number())
}

func compareNum(op tokKind, x, y float64) bool {
	switch op {
	case tEq:
		return x == y
	case tNeq:
		return x != y
	case tLt:
		return x < y
	case tLe:
		return x <= y
	case tGt:
		return x > y
	}
	return x >= y
}

// compareSetAtom compares a node-set with a string, number or boolean: true
// if some node's string-value (converted as the other operand requires)
// satisfies the comparison.
func compareSetAtom(op tokKind, nodes []NodeRef, atom Value) bool {
	switch k := atom.Kind(); {
	case k == Boolean:
		set := BoolValue(len(nodes) > 0)
		if op == tEq || op == tNeq {
			return (set.num == atom.num) == (op == tEq)
		}
		return compareNum(op, set.num, atom.num)
	case k == String && op == tEq:
		for _, n := range nodes {
			if n.equalsString(atom.str) {
				return true
			}
		}
		return false
	case k == String && op == tNeq:
		for _, n := range nodes {
			if !n.equalsString(atom.str) {
				return true
			}
		}
		return false
	}
	y := atom.Number()
	for _, n := range nodes {
		if compareNum(op, ParseNumber(n.StringValue()), y) {
			return true
		}
	}
	return false
}

// compareSets compares two node-sets: true if some pair of nodes, one from
// each, satisfies the comparison of their string-values (as numbers for the
// relational operators).
func (ev *evaluator) compareSets(op tokKind, a, b []NodeRef) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	switch op {
	case tEq:
		if len(a)*len(b) > 1024 {
			return equalAny(a, b)
		}
		strs := ev.strs[:0]
		for _, n := range b {
			strs = append(strs, n.StringValue())
		}
		found := false
	outer:
		for _, n := range a {
			s := n.StringValue()
			for _, t := range strs {
				if s == t {
					found = true
					break outer
				}
			}
		}
		clear(strs)
		ev.strs = strs[:0]
		return found
	case tNeq:
		// Some pair differs unless every string-value is the same.
		s := a[0].StringValue()
		for _, n := range a[1:] {
			if !n.equalsString(s) {
				return true
			}
		}
		for _, n := range b {
			if !n.equalsString(s) {
				return true
			}
		}
		return false
	}
	// Some pair satisfies x < y exactly when min(a) < max(b), and likewise
	// for the other operators; NaNs never satisfy anything.
	aMin, aMax, okA := numRange(a)
	bMin, bMax, okB := numRange(b)
	if !okA || !okB {
		return false
	}
	switch op {
	case tLt:
		return aMin < bMax
	case tLe:
		return aMin <= bMax
	case tGt:
		return aMax > bMin
	}
	return aMax >= bMin
}

// equalAny reports whether some node of a has the string-value of some node
// of b, hashing instead of comparing every pair.
func equalAny(a, b []NodeRef) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	set := make(map[string]struct{}, len(a))
	for _, n := range a {
		set[n.StringValue()] = struct{}{}
	}
	for _, n := range b {
		if _, ok := set[n.StringValue()]; ok {
			return true
		}
	}
	return false
}

// numRange returns the smallest and largest non-NaN number among the
// string-values of nodes.
func numRange(nodes []NodeRef) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, n := range nodes {
		x := ParseNumber(n.StringValue())
		if x != x {
			continue
		}
		ok = true
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi, ok
}
