package jsonpath

import (
	"github.com/busbar/busbar/internal/jsontree"
)

// context is one evaluation: the document, the matches found so far, and
// the state Jayway keeps per read.
type context struct {
	root     *jsontree.Value
	out      []Location
	locating bool // Locate: bracketed names give one match each
	require  bool // existence check: a missing property fails the path
	missing  bool
	err      error
	cache    map[*Path]fval // $-paths in filters, evaluated once per read
	free     *[]*context    // contexts for operands, reused across items
}

func newContext(root *jsontree.Value) *context {
	return &context{root: root}
}

// sub returns a context for evaluating a path inside this one; release
// hands it back so that a filter costs no allocation per item tested.
func (c *context) sub(require bool) *context {
	if c.cache == nil {
		c.cache = map[*Path]fval{}
		c.free = new([]*context)
	}
	if n := len(*c.free); n > 0 {
		s := (*c.free)[n-1]
		*c.free = (*c.free)[:n-1]
		s.require = require
		return s
	}
	return &context{root: c.root, require: require, cache: c.cache, free: c.free}
}

func (c *context) release(s *context) {
	clear(s.out)
	s.out, s.missing, s.err = s.out[:0], false, nil
	*c.free = append(*c.free, s)
}

func (c *context) stopped() bool { return c.err != nil || c.missing }

// run evaluates p with doc as the node '$' or '@' stands for.
func (c *context) run(p *Path, doc *jsontree.Value) {
	c.walk(p, 0, Location{value: doc})
}

func (c *context) walk(p *Path, i int, at Location) {
	if c.stopped() {
		return
	}
	if i == len(p.segs) {
		c.out = append(c.out, at)
		return
	}
	seg := &p.segs[i]
	v := at.value
	switch seg.kind {
	case segProp:
		c.property(p, i, v)
	case segWild:
		c.children(p, i+1, v)
	case segScan:
		c.scan(p, i+1, at)
	case segIndex:
		if v.Kind == jsontree.Array {
			for _, k := range seg.idx {
				c.element(p, i+1, v, k)
			}
		}
	case segSlice:
		if v.Kind == jsontree.Array {
			c.slice(p, i, v)
		}
	case segFilter:
		c.filter(p, i, at)
	case segFunc:
		r, err := c.call(seg, v)
		if err != nil {
			c.err = err
			return
		}
		if r != nil {
			c.walk(p, i+1, Location{value: r})
		}
	}
}

func (c *context) property(p *Path, i int, v *jsontree.Value) {
	seg := &p.segs[i]
	if v.Kind != jsontree.Object {
		return
	}
	leaf := i == len(p.segs)-1
	if len(seg.names) > 1 && leaf && !c.locating {
		c.merged(seg.names, v)
		return
	}
	for _, name := range seg.names {
		k := lastIndex(v, name)
		if k < 0 {
			if c.require {
				c.missing = true
				return
			}
			continue
		}
		c.walk(p, i+1, Location{parent: v, key: name, index: k, value: v.Obj[k].Value})
	}
}

// merged is Jayway's ['a','b'] at the end of a path: one new object with
// the members found.
func (c *context) merged(names []string, v *jsontree.Value) {
	m := jsontree.NewObject()
	for _, name := range names {
		x := v.Get(name)
		if x == nil {
			if c.require {
				c.missing = true
				return
			}
			continue
		}
		m.Set(name, x)
	}
	c.out = append(c.out, Location{value: m})
}

func lastIndex(v *jsontree.Value, key string) int {
	for k := len(v.Obj) - 1; k >= 0; k-- {
		if v.Obj[k].Key == key {
			return k
		}
	}
	return -1
}

func (c *context) children(p *Path, next int, v *jsontree.Value) {
	switch v.Kind {
	case jsontree.Object:
		for k, m := range v.Obj {
			c.walk(p, next, Location{parent: v, key: m.Key, index: k, value: m.Value})
		}
	case jsontree.Array:
		for k, e := range v.Arr {
			c.walk(p, next, Location{parent: v, index: k, value: e})
		}
	}
}

// element follows index k of array v, counting from the end when k is
// negative; an index out of range is no match.
func (c *context) element(p *Path, next int, v *jsontree.Value, k int) {
	if k < 0 {
		k += len(v.Arr)
	}
	if k >= 0 && k < len(v.Arr) {
		c.walk(p, next, Location{parent: v, index: k, value: v.Arr[k]})
	}
}

// slice follows Jayway's ArraySliceToken: [from:] and [:to] count negative
// bounds from the end, but [from:to] does not adjust them, so [1:-1] is
// empty and [-3:-1] still works through negative indexes.
func (c *context) slice(p *Path, i int, v *jsontree.Value) {
	seg := &p.segs[i]
	n := len(v.Arr)
	from, to := 0, n
	switch {
	case seg.hasFrom && !seg.hasTo:
		from = seg.from
		if from < 0 {
			from = max(n+from, 0)
		}
	case seg.hasFrom:
		from, to = seg.from, min(n, seg.to)
		if from >= to {
			return
		}
	default:
		to = seg.to
		if to < 0 {
			to += n
		}
		to = min(n, to)
	}
	for k := from; k < to; k++ {
		c.element(p, i+1, v, k)
	}
}

func (c *context) filter(p *Path, i int, at Location) {
	f := p.segs[i].filter
	v := at.value
	switch v.Kind {
	case jsontree.Object:
		if c.accept(f, v) {
			c.walk(p, i+1, at)
		}
	case jsontree.Array:
		for k, e := range v.Arr {
			if c.accept(f, e) {
				c.walk(p, i+1, Location{parent: v, index: k, value: e})
			}
		}
	}
}

// accept tests item against a filter; an operator that cannot use its
// operands makes the whole filter false for this item, as in Jayway.
func (c *context) accept(f expr, item *jsontree.Value) bool {
	ok, err := f.eval(c, item)
	if err != nil && err != errInvalid && c.err == nil {
		c.err = err
	}
	return ok && err == nil
}

// scan is Jayway's deep scan: every node from at down, in document order,
// to which the next segment applies, continues the path.
func (c *context) scan(p *Path, j int, at Location) {
	if c.stopped() {
		return
	}
	v := at.value
	if v.Kind != jsontree.Object && v.Kind != jsontree.Array {
		return
	}
	if c.scanApplies(&p.segs[j], v) {
		c.walk(p, j, at)
	}
	if v.Kind == jsontree.Object {
		for k, m := range v.Obj {
			c.scan(p, j, Location{parent: v, key: m.Key, index: k, value: m.Value})
		}
		return
	}
	for k, e := range v.Arr {
		c.scan(p, j, Location{parent: v, index: k, value: e})
	}
}

func (c *context) scanApplies(seg *segment, v *jsontree.Value) bool {
	switch seg.kind {
	case segProp:
		if v.Kind != jsontree.Object {
			return false
		}
		for _, name := range seg.names {
			if v.Get(name) == nil {
				return false
			}
		}
		return true
	case segIndex, segSlice:
		return v.Kind == jsontree.Array
	case segWild:
		return true
	case segFilter:
		return c.accept(seg.filter, v)
	}
	return false
}

func (e orExpr) eval(c *context, item *jsontree.Value) (bool, error) {
	for _, x := range e {
		ok, err := x.eval(c, item)
		if ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

func (e andExpr) eval(c *context, item *jsontree.Value) (bool, error) {
	for _, x := range e {
		ok, err := x.eval(c, item)
		if !ok || err != nil {
			return false, err
		}
	}
	return true, nil
}

func (e notExpr) eval(c *context, item *jsontree.Value) (bool, error) {
	ok, err := e.e.eval(c, item)
	return !ok, err
}

func (e *relExpr) eval(c *context, item *jsontree.Value) (bool, error) {
	l, err := c.operand(e.left, item)
	if err != nil {
		return false, err
	}
	r, err := c.operand(e.right, item)
	if err != nil {
		return false, err
	}
	return relate(e.op, l, r)
}

// eval is Jayway's existence check: the path is followed requiring every
// property on the way; a definite path must then have matched something.
func (e *existsExpr) eval(c *context, item *jsontree.Value) (bool, error) {
	s := c.sub(true)
	defer c.release(s)
	s.run(e.path, c.docFor(e.path, item))
	if s.err != nil {
		return false, s.err
	}
	found := !s.missing && (!e.path.definite || len(s.out) > 0)
	return found == e.want, nil
}

func (c *context) docFor(p *Path, item *jsontree.Value) *jsontree.Value {
	if p.fromItem {
		return item
	}
	return c.root
}

// operand evaluates a path operand: a definite path gives its match or
// undefined, an indefinite one the array of its matches.
func (c *context) operand(o operand, item *jsontree.Value) (fval, error) {
	if o.path == nil {
		return o.lit, nil
	}
	if !o.path.fromItem {
		if v, ok := c.cache[o.path]; ok {
			return v, nil
		}
	}
	s := c.sub(false)
	defer c.release(s)
	s.run(o.path, c.docFor(o.path, item))
	if s.err != nil {
		return fval{}, s.err
	}
	var v fval
	switch {
	case !o.path.definite:
		vals := make([]*jsontree.Value, len(s.out))
		for k, m := range s.out {
			vals[k] = m.value
		}
		v = fval{kind: fJSON, j: jsontree.NewArray(vals...)}
	case len(s.out) > 0:
		v = fromValue(s.out[len(s.out)-1].value)
	}
	if !o.path.fromItem {
		c.cache[o.path] = v
	}
	return v, nil
}
