package engine

import (
	"github.com/busbar/busbar/internal/fault"
)

// flowKind says which artifact took a message; responses are delivered
// according to it.
type flowKind uint8

const (
	flowMain flowKind = iota
	flowProxy
	flowAPI
)

func (x *Exchange) kind() flowKind {
	switch {
	case x.Proxy != nil:
		return flowProxy
	case x.Resource != nil:
		return flowAPI
	}
	return flowMain
}

// pushEntryHandlers sets up the fault handlers of a flow's entry, request
// and response alike (synapse-semantics §4.1): a proxy's fault sequence (or
// the global fault sequence), the global fault sequence below an API
// resource's own, or the global fault sequence alone.
func (c *Context) pushEntryHandlers() {
	x := c.X
	switch x.kind() {
	case flowProxy:
		if x.Proxy.Fault.IsSet() {
			if s, err := x.Proxy.Fault.Resolve(c.G); err == nil {
				c.PushHandler(s)
				return
			}
		}
		c.PushHandler(c.G.Fault)
	case flowAPI:
		c.PushHandler(c.G.Fault)
		if x.Resource.Fault.IsSet() {
			if s, err := x.Resource.Fault.Resolve(c.G); err == nil {
				c.PushHandler(s)
			}
		}
	default:
		c.PushHandler(c.G.Fault)
	}
}

func (c *Context) runProxy(p *Proxy) {
	c.X.Proxy, c.X.Artifact = p, p.Path
	c.pushEntryHandlers()
	if p.In.IsSet() {
		in, err := p.In.Resolve(c.G)
		if err != nil {
			c.HandleFault(err)
			return
		}
		ok, err := c.Run(in)
		if err != nil {
			c.HandleFault(err)
			return
		}
		if !ok || !p.Endpoint.IsSet() {
			return
		}
	}
	// A proxy whose inSequence completes (or that has none) sends to its
	// target endpoint.
	if err := c.SendTo(p.Endpoint, SeqRef{}); err != nil {
		c.HandleFault(err)
	}
}

func (c *Context) runAPI(a *API, r *Resource) {
	c.X.API, c.X.Resource, c.X.Artifact = a, r, a.Path
	c.pushEntryHandlers()
	if !r.In.IsSet() {
		c.Log().Debug("API resource has no inSequence; the request is dropped", "resource", r.Path)
		c.Drop()
		return
	}
	c.runEntry(r.In)
}

func (c *Context) runMain() {
	c.X.Artifact = "sequence[main]"
	c.pushEntryHandlers()
	if _, err := c.Run(c.G.Main); err != nil {
		c.HandleFault(err)
	}
}

func (c *Context) runEntry(ref SeqRef) {
	s, err := ref.Resolve(c.G)
	if err != nil {
		c.HandleFault(err)
		return
	}
	if _, err := c.Run(s); err != nil {
		c.HandleFault(err)
	}
}

// SendTo sends the message to an endpoint and delivers the response to the
// receive sequence if given, otherwise to the flow's out sequence (the
// proxy's or resource's outSequence, main for the main flow), or straight
// back to the client when there is none. It is the send mediator's request
// path and a proxy target's default.
func (c *Context) SendTo(ref EndpointRef, receive SeqRef) error {
	ep, err := ref.Resolve(c.G)
	if err != nil {
		return err
	}
	if err := c.Call(ep); err != nil {
		return err
	}
	return c.DeliverResponse(receive)
}

// Call sends the message to an endpoint and leaves the response in c.Msg
// (the call mediator's behaviour).
func (c *Context) Call(ep Endpoint) error {
	c.MarkSent()
	c.Msg.Remove("", "last_endpoint")
	if err := ep.Send(c); err != nil {
		fe := fault.Wrap(err)
		return fe
	}
	c.Msg.Response = true
	return nil
}

// DeliverResponse runs the response path with the message in c.Msg: the
// receive sequence if set, else the flow's out sequence, else it answers
// the client. Errors in the response path are handled there with the fault
// handlers registered for responses, never with the request path's.
func (c *Context) DeliverResponse(receive SeqRef) error {
	c.Msg.Response = true
	seqRef := receive
	if !seqRef.IsSet() {
		seqRef = c.outSequence()
	}
	if !seqRef.IsSet() {
		return c.Respond()
	}
	saved := c.handlers
	c.handlers = nil
	c.pushEntryHandlers()
	defer func() { c.handlers = saved }()
	s, err := seqRef.Resolve(c.G)
	if err != nil {
		c.HandleFault(err)
		return nil
	}
	if _, err := c.Run(s); err != nil {
		c.HandleFault(err)
	}
	return nil
}

func (c *Context) outSequence() SeqRef {
	x := c.X
	switch x.kind() {
	case flowProxy:
		return x.Proxy.Out
	case flowAPI:
		return x.Resource.Out
	}
	return SeqRef{Seq: c.G.Main}
}
