package xpath

import (
	"errors"
	"sync"

	"github.com/busbar/busbar/internal/xmltree"
)

// Env is the evaluation environment: the message an expression is evaluated
// against. ContextNode is called at most once per evaluation, and only if the
// expression needs the node, so an implementation can parse the message body
// lazily.
type Env interface {
	ContextNode() (*xmltree.Node, error)
}

// ErrNoContextNode is returned when an expression needs a context node and
// there is none: the Env is nil or its ContextNode returned a nil node.
var ErrNoContextNode = errors.New("xpath: expression needs a context node and none is available")

// Context is what an extension function or variable sees of the evaluation
// it is called from. It is only valid during the call and must not be kept.
type Context struct {
	ev *evaluator
	f  focus
}

// Env returns the environment the expression is being evaluated in; it may be
// nil.
func (c *Context) Env() Env { return c.ev.env }

// Node returns the context node, asking the Env for it if nobody has yet.
func (c *Context) Node() (NodeRef, error) { return c.ev.contextNode(c.f) }

// Position returns the context position (1 outside predicates).
func (c *Context) Position() int { return c.f.pos }

// Size returns the context size (1 outside predicates).
func (c *Context) Size() int { return c.f.size }

// focus is the XPath context of a subexpression apart from what is fixed for
// the whole evaluation. A zero node stands for the Env's context node, which
// is fetched on first use.
type focus struct {
	node      NodeRef
	pos, size int
}

// maxPooledNodes bounds the buffers kept for reuse, so that one huge
// evaluation does not pin memory for the life of the process.
const maxPooledNodes = 1 << 16

// evaluator holds the per-evaluation state. Evaluators are pooled, so their
// buffers survive from one evaluation to the next and a warm evaluation of a
// typical expression allocates nothing of its own.
type evaluator struct {
	env     Env
	top     NodeRef
	topErr  error
	topDone bool
	free    [][]NodeRef // node buffers not in use
	args    []Value     // argument stack for extension functions
	strs    []string    // scratch for comparing node-sets
	ctx     Context
}

var evaluators = sync.Pool{New: func() any { return new(evaluator) }}

// Evaluate evaluates e with the Env's context node as context node (fetched
// only if e needs it), context position 1 and context size 1. env may be nil
// for expressions that need no node.
func (e *Expr) Evaluate(env Env) (Value, error) {
	return e.run(env, NodeRef{})
}

// EvaluateAt evaluates e with n as the context node; env is still available
// to extension functions and variables. A nil n behaves like Evaluate.
func (e *Expr) EvaluateAt(n *xmltree.Node, env Env) (Value, error) {
	return e.run(env, NodeOf(n))
}

// EvaluateRef is EvaluateAt for any node, including attribute and namespace
// nodes.
func (e *Expr) EvaluateRef(r NodeRef, env Env) (Value, error) {
	return e.run(env, r)
}

func (e *Expr) run(env Env, at NodeRef) (Value, error) {
	ev := evaluators.Get().(*evaluator)
	ev.env = env
	v, err := e.root.eval(ev, focus{node: at, pos: 1, size: 1})
	if err != nil {
		v = Value{}
	} else if v.pooled() {
		var nodes []NodeRef
		if len(v.nodes) > 0 {
			nodes = append(make([]NodeRef, 0, len(v.nodes)), v.nodes...)
		}
		ev.put(v.nodes)
		v = Value{nodes: nodes}
	}
	ev.env, ev.top, ev.topErr, ev.topDone = nil, NodeRef{}, nil, false
	ev.ctx = Context{}
	evaluators.Put(ev)
	return v, err
}

// contextNode returns the focus node, or the Env's context node if the focus
// is the top level.
func (ev *evaluator) contextNode(f focus) (NodeRef, error) {
	if f.node.n != nil {
		return f.node, nil
	}
	if !ev.topDone {
		ev.topDone = true
		switch {
		case ev.env == nil:
			ev.topErr = ErrNoContextNode
		default:
			n, err := ev.env.ContextNode()
			switch {
			case err != nil:
				ev.topErr = err
			case n == nil:
				ev.topErr = ErrNoContextNode
			default:
				ev.top = NodeOf(n)
			}
		}
	}
	return ev.top, ev.topErr
}

// get returns an empty node buffer.
func (ev *evaluator) get() []NodeRef {
	if n := len(ev.free); n > 0 {
		b := ev.free[n-1]
		ev.free = ev.free[:n-1]
		return b
	}
	return make([]NodeRef, 0, 16)
}

// put recycles a buffer. It is cleared so that pooled evaluators do not keep
// old documents alive. It is kept out of line because inlined into every
// eval method (through release) it bloats their stack frames, which costs
// more than the call.
//
//go:noinline
func (ev *evaluator) put(b []NodeRef) {
	if cap(b) == 0 || cap(b) > maxPooledNodes {
		return
	}
	clear(b[:cap(b)])
	ev.free = append(ev.free, b[:0])
}

// release recycles the buffer of a consumed value, if it has one.
func (ev *evaluator) release(v Value) {
	if v.pooled() {
		ev.put(v.nodes)
	}
}

func (ev *evaluator) evalBool(e expr, f focus) (bool, error) {
	v, err := e.eval(ev, f)
	if err != nil {
		return false, err
	}
	b := v.Bool()
	ev.release(v)
	return b, nil
}

func (ev *evaluator) evalNumber(e expr, f focus) (float64, error) {
	v, err := e.eval(ev, f)
	if err != nil {
		return 0, err
	}
	x := v.Number()
	ev.release(v)
	return x, nil
}

func (ev *evaluator) evalString(e expr, f focus) (string, error) {
	v, err := e.eval(ev, f)
	if err != nil {
		return "", err
	}
	s := v.String()
	ev.release(v)
	return s, nil
}
