package xpath

import "fmt"

// varRef is a reference to a variable resolved at compile time.
type varRef struct {
	meta
	name string
	v    Variable
}

func (e *varRef) eval(ev *evaluator, f focus) (Value, error) {
	ev.ctx = Context{ev: ev, f: f}
	v, err := e.v.Fn(&ev.ctx)
	if err != nil {
		return Value{}, fmt.Errorf("xpath: variable %s: %w", e.name, err)
	}
	v.kind &^= pooledBit
	return v, nil
}

// extCall is a call of an extension function resolved at compile time.
type extCall struct {
	meta
	name string
	fn   Function
	args []expr
	// lits holds the values of literal arguments (get-property('To')),
	// pushed without evaluating anything; isLit says which those are.
	lits  []Value
	isLit []bool
}

func (e *extCall) eval(ev *evaluator, f focus) (Value, error) {
	// Arguments go on the evaluator's stack rather than a fresh slice;
	// calls nested in the arguments push above them and pop before
	// returning.
	base := len(ev.args)
	for i, a := range e.args {
		if e.isLit[i] {
			ev.args = append(ev.args, e.lits[i])
			continue
		}
		v, err := a.eval(ev, f)
		if err != nil {
			ev.popArgs(base, true)
			return Value{}, err
		}
		ev.args = append(ev.args, v)
	}
	ev.ctx = Context{ev: ev, f: f}
	res, err := e.fn.Fn(&ev.ctx, ev.args[base:len(ev.args):len(ev.args)])
	// A node-set result may share an argument's buffer, so then the
	// buffers are left to the garbage collector.
	ev.popArgs(base, err == nil && res.Kind() != NodeSet)
	if err != nil {
		return Value{}, fmt.Errorf("xpath: %s(): %w", e.name, err)
	}
	res.kind &^= pooledBit
	return res, nil
}

// popArgs drops the arguments above base, recycling their buffers if
// recycle is set.
func (ev *evaluator) popArgs(base int, recycle bool) {
	for i := base; i < len(ev.args); i++ {
		if recycle {
			ev.release(ev.args[i])
		}
		ev.args[i] = Value{}
	}
	ev.args = ev.args[:base]
}
