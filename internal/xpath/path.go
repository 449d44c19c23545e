package xpath

import (
	"fmt"
	"slices"

	"github.com/busbar/busbar/internal/xmltree"
)

// step is one location step.
type step struct {
	axis  axis
	test  nodeTest
	preds []expr
	// pos > 0 says the first predicate is the constant position pos, so the
	// axis walk can stop at the pos'th match.
	pos int
	// positional says some predicate depends on proximity positions, so the
	// step's results cannot be computed for a merged set of context nodes.
	positional bool
	// fromDescendants says the step applies to every descendant-or-self of
	// the context nodes: it is a positional child step after //, fused with
	// the descendant-or-self::node() step so that no set of every node in
	// the document is built.
	fromDescendants bool
	// plain disables the fast paths (for tests).
	plain bool
}

type startKind uint8

const (
	startContext startKind = iota // relative location path
	startRoot                     // absolute location path
	startExpr                     // path from a filter expression
)

// pathExpr is a location path, or a filter expression followed by steps.
type pathExpr struct {
	meta
	start  startKind
	filter expr
	steps  []step
}

func (p *pathExpr) eval(ev *evaluator, f focus) (Value, error) {
	var cur []NodeRef
	pooled, flat, first := false, false, 0
	if p.start == startExpr {
		v, err := ev.evalNodeSet(p.filter, f, `expression before "/"`)
		if err != nil {
			return Value{}, err
		}
		cur, pooled = v.nodes, v.pooled()
	} else {
		n, err := ev.contextNode(f)
		if err != nil {
			return Value{}, err
		}
		if p.start == startRoot {
			for n.n.Parent != nil {
				n = NodeOf(n.n.Parent)
			}
			if n.k != refTree {
				n = NodeOf(n.n)
			}
		}
		buf := ev.get()
		if len(p.steps) == 0 {
			return pooledSet(append(buf, n)), nil
		}
		if p.steps[0].fromDescendants {
			cur, err = ev.applyDescendants(&p.steps[0], []NodeRef{n}, buf)
		} else {
			cur, err = ev.applyStep(&p.steps[0], n, buf)
		}
		if err != nil {
			ev.put(cur)
			return Value{}, err
		}
		pooled, flat, first = true, !p.steps[0].fromDescendants && p.steps[0].axis.flatFromOne(), 1
	}
	for i := first; i < len(p.steps) && len(cur) > 0; i++ {
		out, outFlat, err := ev.applySteps(&p.steps[i], cur, flat, ev.get())
		if pooled {
			ev.put(cur)
		}
		if err != nil {
			ev.put(out)
			return Value{}, err
		}
		cur, pooled, flat = out, true, outFlat
	}
	if pooled {
		return pooledSet(cur), nil
	}
	return Value{nodes: cur}, nil
}

// applySteps applies s to every node of the sorted set cur, appending the
// results to out in document order. flat says no node of cur is an ancestor
// of another (false may just mean unknown); it returns the same about out.
func (ev *evaluator) applySteps(s *step, cur []NodeRef, flat bool, out []NodeRef) ([]NodeRef, bool, error) {
	var err error
	if s.fromDescendants {
		out, err = ev.applyDescendants(s, cur, out)
		return out, false, err
	}
	if len(cur) == 1 && !s.plain {
		out, err = ev.applyStep(s, cur[0], out)
		return out, s.axis.flatFromOne(), err
	}
	axis := s.axis
	if s.plain {
		axis = axisParent // takes the generic path below
	}
	switch axis {
	case axisAttribute, axisNamespace, axisSelf, axisChild:
		// From a sorted set these axes yield sorted results, except that
		// the children of nested nodes interleave.
		for _, c := range cur {
			if out, err = ev.applyStep(s, c, out); err != nil {
				return out, false, err
			}
		}
		switch {
		case s.axis == axisSelf:
			return out, flat, nil
		case s.axis != axisChild:
			return out, true, nil
		case flat:
			return out, true, nil
		case len(out) < len(cur):
			// Checking the smaller output is cheaper, as when a
			// positional step picks a few children of many nodes.
			return sortSet(out), false, nil
		case !nested(cur):
			return out, true, nil
		}
		return sortSet(out), false, nil
	case axisDescendant, axisDescendantOrSelf:
		if s.positional {
			break
		}
		// Skip nodes inside a subtree already walked: their results are
		// already in, and what remains comes out sorted and unique.
		var last *xmltree.Node
		sorted := true
		for _, c := range cur {
			if c.k != refTree {
				sorted = false
			} else if last != nil && isAncestor(last, c.n) {
				continue
			} else {
				last = c.n
			}
			if out, err = ev.applyStep(s, c, out); err != nil {
				return out, false, err
			}
		}
		if !sorted {
			out = sortSet(out)
		}
		return out, false, nil
	}
	for _, c := range cur {
		if out, err = ev.applyStep(s, c, out); err != nil {
			return out, false, err
		}
	}
	return sortSet(out), false, nil
}

// applyDescendants applies s to every node that has children and is a
// descendant-or-self of a node of the sorted set cur.
func (ev *evaluator) applyDescendants(s *step, cur []NodeRef, out []NodeRef) ([]NodeRef, error) {
	var last *xmltree.Node
	var err error
	for _, c := range cur {
		if c.k != refTree || last != nil && isAncestor(last, c.n) {
			continue
		}
		last = c.n
		for d := c.n; d != nil; d = nextInSubtree(d, c.n) {
			if d.FirstChild != nil {
				if out, err = ev.applyStep(s, NodeOf(d), out); err != nil {
					return out, err
				}
			}
		}
	}
	return sortSet(out), nil
}

// applyStep appends to out, in document order, the nodes that step s selects
// from the context node ctx.
func (ev *evaluator) applyStep(s *step, ctx NodeRef, out []NodeRef) ([]NodeRef, error) {
	start := len(out)
	preds := s.preds
	if s.pos > 0 {
		out = s.gather(ctx, out, s.pos)
		if len(out)-start < s.pos {
			out = out[:start]
		} else {
			out[start] = out[len(out)-1]
			out = out[:start+1]
		}
		preds = preds[1:]
	} else {
		out = s.gather(ctx, out, 0)
	}
	var err error
	for _, p := range preds {
		if len(out) == start {
			break
		}
		if out, err = ev.filter(out, start, p); err != nil {
			return out, err
		}
	}
	if s.axis.reverse() {
		slices.Reverse(out[start:])
	}
	return out, nil
}

// filter keeps the nodes of buf[start:] for which predicate p holds, with
// proximity positions counted in the order the nodes are in.
func (ev *evaluator) filter(buf []NodeRef, start int, p expr) ([]NodeRef, error) {
	if lit, ok := p.(*numberLit); ok {
		i := lit.v
		if i >= 1 && i <= float64(len(buf)-start) && i == float64(int(i)) {
			buf[start] = buf[start+int(i)-1]
			return buf[:start+1], nil
		}
		return buf[:start], nil
	}
	size := len(buf) - start
	j := start
	for i := start; i < len(buf); i++ {
		v, err := p.eval(ev, focus{node: buf[i], pos: i - start + 1, size: size})
		if err != nil {
			return buf, err
		}
		var keep bool
		if v.Kind() == Number {
			keep = v.num == float64(i-start+1)
		} else {
			keep = v.Bool()
		}
		ev.release(v)
		if keep {
			buf[j] = buf[i]
			j++
		}
	}
	return buf[:j], nil
}

// filterExpr is a primary expression with predicates.
type filterExpr struct {
	meta
	primary expr
	preds   []expr
}

func (e *filterExpr) eval(ev *evaluator, f focus) (Value, error) {
	v, err := ev.evalNodeSet(e.primary, f, "filtered expression")
	if err != nil {
		return Value{}, err
	}
	buf := v.nodes
	if !v.pooled() {
		buf = append(ev.get(), v.nodes...)
	}
	for _, p := range e.preds {
		if len(buf) == 0 {
			break
		}
		if buf, err = ev.filter(buf, 0, p); err != nil {
			ev.put(buf)
			return Value{}, err
		}
	}
	return pooledSet(buf), nil
}

// notNodeSet is the compile-time counterpart of evalNodeSet's error.
func notNodeSet(what string, k Kind) string {
	return fmt.Sprintf("%s is %s, not a node-set", what, k.article())
}
