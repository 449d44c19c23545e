package engine

import (
	"context"
	"log/slog"

	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/message"
)

// Context is one message's journey through a graph: the message, the graph
// version it runs on, the inbound exchange it answers, and Synapse's fault
// handler stack. Mediators receive it; it is owned by one goroutine.
type Context struct {
	// Ctx bounds outbound calls; it is not cancelled when the client goes
	// away, because a message already accepted must still be mediated.
	Ctx context.Context
	Msg *message.Message
	G   *Graph
	X   *Exchange

	handlers []*Sequence
	trail    []*Info
	depth    int
	base     *slog.Logger
	log      *slog.Logger
}

// NewContext prepares a context for a message on a graph.
func NewContext(ctx context.Context, g *Graph, m *message.Message, x *Exchange, log *slog.Logger) *Context {
	if log == nil {
		log = slog.Default()
	}
	if x == nil {
		x = &Exchange{}
	}
	return &Context{Ctx: ctx, G: g, Msg: m, X: x, base: log}
}

// Log returns a logger whose lines carry the message ID and the artifact,
// built on first use so that messages that log nothing pay nothing.
func (c *Context) Log() *slog.Logger {
	if c.log == nil {
		c.log = c.base.With("msgId", c.Msg.ID, "artifact", c.X.Artifact)
	}
	return c.log
}

// PushHandler pushes a fault sequence onto the handler stack.
func (c *Context) PushHandler(s *Sequence) { c.handlers = append(c.handlers, s) }

func (c *Context) popIfTop(s *Sequence) {
	if n := len(c.handlers); n > 0 && c.handlers[n-1] == s {
		c.handlers = c.handlers[:n-1]
	}
}

func (c *Context) popHandler() (*Sequence, bool) {
	n := len(c.handlers)
	if n == 0 {
		return nil, false
	}
	h := c.handlers[n-1]
	c.handlers = c.handlers[:n-1]
	return h, true
}

// Handlers returns a copy of the current fault-handler stack, bottom first
// (for FAIL_INFO and tests).
func (c *Context) Handlers() []*Sequence { return append([]*Sequence(nil), c.handlers...) }

// enter records that a mediator starts (the invocation path of FAIL_INFO).
func (c *Context) enter(info *Info) { c.trail = append(c.trail, info) }

// Trail returns the mediators entered so far, in order.
func (c *Context) Trail() []*Info { return c.trail }

// Current returns the mediator running now, or nil.
func (c *Context) Current() *Info {
	if n := len(c.trail); n > 0 {
		return c.trail[n-1]
	}
	return nil
}

// HandleFault runs the fault handlers for err: the top handler is popped
// and run with the error properties set; if that sequence fails too, the
// next handler gets the new error (synapse-semantics §4.5). When no handler
// is left the fault stays unhandled and the client gets Busbar's default
// answer (DESIGN §3.1).
func (c *Context) HandleFault(err error) {
	fe := fault.Wrap(err)
	if fe.Path == "" {
		if cur := c.Current(); cur != nil {
			fe.Path = cur.Path
		}
	}
	for {
		c.Msg.SetFault(fe)
		c.X.fault = fe
		h, ok := c.popHandler()
		if !ok {
			c.Log().Warn("no fault handler left for the error", "code", fe.Code.String(), "error", fe.Message, "path", fe.Path)
			return
		}
		c.Log().Info("executing fault sequence", "sequence", h.Path, "code", fe.Code.String(), "error", fe.Message)
		if _, err := c.Run(h); err != nil {
			next := fault.Wrap(err)
			c.Log().Warn("fault sequence failed; trying the next fault handler", "sequence", h.Path, "code", next.Code.String(), "error", next.Message, "previousCode", fe.Code.String())
			fe = next
			continue
		}
		return
	}
}
