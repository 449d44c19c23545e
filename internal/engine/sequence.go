package engine

import (
	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/fault"
)

// Mediator is one compiled mediator. Mediate returns false to stop the
// flow (send, drop, respond, loopback) and true to let the sequence go on.
// A returned error stops the sequence and goes to the fault handlers: there
// is no "continue with an error set" mode.
type Mediator interface {
	Mediate(c *Context) (bool, error)
}

// MediatorFunc adapts a function to Mediator.
type MediatorFunc func(c *Context) (bool, error)

// Mediate calls f.
func (f MediatorFunc) Mediate(c *Context) (bool, error) { return f(c) }

// Info identifies a mediator in the configuration: the same path appears in
// configuration errors, logs, faults and metrics.
type Info struct {
	// Name is the element name, e.g. "log".
	Name string
	// Path is the mediation path, e.g. "api[orders]/resource[1]/inSequence/log[2]".
	Path string
	Pos  config.Pos
}

// Step is a mediator in a sequence with its identity.
type Step struct {
	M    Mediator
	Info *Info
}

// Sequence is a compiled list of mediators: a named sequence, an inline
// inSequence/outSequence/faultSequence, or a branch such as filter/then.
type Sequence struct {
	Name    string
	Path    string
	Steps   []Step
	OnError SeqRef
}

// Mediate runs the sequence as a mediator (the sequence mediator, nested
// branches).
func (s *Sequence) Mediate(c *Context) (bool, error) { return c.Run(s) }

// SeqRef refers to a sequence by key, resolved at compile time when the
// key is static. A key that names no sequence fails when used, as in MI,
// which resolves keys per message.
type SeqRef struct {
	Key string
	Seq *Sequence
	Pos config.Pos
}

// IsSet reports whether the reference points anywhere.
func (r SeqRef) IsSet() bool { return r.Seq != nil || r.Key != "" }

// Resolve returns the sequence or a fault naming the missing key.
func (r SeqRef) Resolve(g *Graph) (*Sequence, error) {
	if r.Seq != nil {
		return r.Seq, nil
	}
	if s := g.Sequence(r.Key); s != nil {
		return s, nil
	}
	return nil, fault.Newf(fault.DefaultError, "Sequence named %s cannot be found", r.Key)
}

// Endpoint is a compiled endpoint. Send delivers c.Msg and, on success,
// leaves the response in c.Msg (same properties, response headers, status
// and body). A failure is returned as a *fault.Error carrying the Synapse
// code.
type Endpoint interface {
	Name() string
	Send(c *Context) error
}

// EndpointRef refers to an endpoint inline or by key.
type EndpointRef struct {
	Key string
	EP  Endpoint
	Pos config.Pos
}

// IsSet reports whether the reference points anywhere.
func (r EndpointRef) IsSet() bool { return r.EP != nil || r.Key != "" }

// Resolve returns the endpoint or the 305100 fault MI gives for an
// indirect endpoint whose key cannot be found.
func (r EndpointRef) Resolve(g *Graph) (Endpoint, error) {
	if r.EP != nil {
		return r.EP, nil
	}
	if ep := g.Endpoint(r.Key); ep != nil {
		return ep, nil
	}
	e := fault.Newf(fault.EndpointIndirectNotReady, "Couldn't find the endpoint with the key : %s", r.Key)
	e.Status = 503
	return nil, e
}

// MaxDepth bounds how deeply sequences may nest at run time, so a
// recursion through dynamic keys fails instead of exhausting the stack.
const MaxDepth = 256

// Run executes a sequence. A sequence with onError pushes it as the
// innermost fault handler and removes it again when the sequence completes
// normally; when the sequence stops (send, call, drop, respond) the handler
// stays, so it still applies to what follows, as in Synapse.
func (c *Context) Run(s *Sequence) (bool, error) {
	if c.depth >= MaxDepth {
		return false, fault.Newf(fault.DefaultError, "sequences nested deeper than %d at %s: is a sequence calling itself?", MaxDepth, s.Path)
	}
	c.depth++
	defer func() { c.depth-- }()
	var pushed *Sequence
	if s.OnError.IsSet() {
		h, err := s.OnError.Resolve(c.G)
		if err != nil {
			c.Log().Warn("onError sequence not found; using the enclosing fault handlers", "sequence", s.Path, "onError", s.OnError.Key)
		} else {
			c.PushHandler(h)
			pushed = h
		}
	}
	for i := range s.Steps {
		st := &s.Steps[i]
		at := c.enter(st.Info)
		ok, err := st.M.Mediate(c)
		c.leave(at, ok, err)
		if err != nil {
			return false, c.annotate(err, st.Info)
		}
		if !ok {
			return false, nil
		}
	}
	if pushed != nil {
		c.popIfTop(pushed)
	}
	return true, nil
}

// annotate turns err into a *fault.Error located at the mediator that
// failed (the innermost one wins, since it annotates first).
func (c *Context) annotate(err error, info *Info) *fault.Error {
	fe := fault.Wrap(err)
	return fe.WithPath(info.Path)
}
