package engine

import (
	"github.com/busbar/busbar/internal/expr"
	"github.com/busbar/busbar/internal/fault"
)

// ResolvingEndpoint is <endpoint key-expression="..."/>: the expression
// names the endpoint per message; a name that resolves to nothing fails
// with 305100 (synapse-semantics §6.5).
type ResolvingEndpoint struct {
	Key *expr.Expr
}

// Name returns the expression.
func (e *ResolvingEndpoint) Name() string { return "{" + e.Key.String() + "}" }

// Send evaluates the key and sends through the endpoint it names.
func (e *ResolvingEndpoint) Send(c *Context) error {
	name, err := e.Key.EvalString(c.Msg)
	if err != nil {
		return err
	}
	ep, err := EndpointRef{Key: name}.Resolve(c.G)
	if err != nil {
		return err
	}
	return ep.Send(c)
}

// MissingEndpoint stands for an endpoint that cannot be built at run time
// (a template endpoint whose template does not exist): every send fails
// with 305100, as MI's TemplateEndpoint does.
type MissingEndpoint struct {
	EPName string
	Reason string
}

// Name returns the endpoint's name.
func (e *MissingEndpoint) Name() string { return e.EPName }

// Send fails with 305100.
func (e *MissingEndpoint) Send(*Context) error {
	f := fault.New(fault.EndpointIndirectNotReady, e.Reason)
	f.Status = 503
	return f
}
