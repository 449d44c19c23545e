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
	trail    []trailStep
	depth    int
	// inFault is true while a fault sequence runs, so the invocation path
	// says how each mediator was entered.
	inFault bool
	// group counts the composite endpoints the current send is inside; a
	// leaf that is not ready fails with 303001 only when it is the root.
	group int
	base  *slog.Logger
	log   *slog.Logger
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

// trailStep is one entry of the invocation path.
type trailStep struct {
	info    *Info
	entered uint8
	left    uint8
}

// How a mediator was entered and left.
const (
	enteredRequest uint8 = iota
	enteredResponse
	enteredFault
)

const (
	leftRunning uint8 = iota
	leftOut
	leftStop
	leftFail
)

var enteredNames = [...]string{"request", "response", "fault"}
var leftNames = [...]string{"", "out", "stop", "fail"}

// maxTrail bounds the invocation path kept per message; a long-running
// flow keeps its most recent steps.
const maxTrail = 512

// enter records that a mediator starts (the invocation path of FAIL_INFO)
// and returns its index for leave.
func (c *Context) enter(info *Info) int {
	if len(c.trail) == maxTrail {
		n := copy(c.trail, c.trail[maxTrail/2:])
		c.trail = c.trail[:n]
	}
	e := enteredRequest
	switch {
	case c.inFault:
		e = enteredFault
	case c.Msg.Response:
		e = enteredResponse
	}
	c.trail = append(c.trail, trailStep{info: info, entered: e})
	return len(c.trail) - 1
}

// leave records how the mediator at index i finished.
func (c *Context) leave(i int, ok bool, err error) {
	if i >= len(c.trail) {
		return
	}
	switch {
	case err != nil:
		c.trail[i].left = leftFail
	case ok:
		c.trail[i].left = leftOut
	default:
		c.trail[i].left = leftStop
	}
}

// trailSteps is the invocation path as FAIL_INFO records it.
func (c *Context) trailSteps() []fault.Step {
	out := make([]fault.Step, len(c.trail))
	for i, t := range c.trail {
		out[i] = fault.Step{Path: t.info.Path, Entered: enteredNames[t.entered], Left: leftNames[t.left]}
	}
	return out
}

// Current returns the mediator running now (the last one entered and not
// yet left), or nil.
func (c *Context) Current() *Info {
	for i := len(c.trail) - 1; i >= 0; i-- {
		if c.trail[i].left == leftRunning {
			return c.trail[i].info
		}
	}
	if n := len(c.trail); n > 0 {
		return c.trail[n-1].info
	}
	return nil
}

// EnterGroup and LeaveGroup bracket a composite endpoint's send to a child.
func (c *Context) EnterGroup() { c.group++ }

// LeaveGroup ends what EnterGroup started.
func (c *Context) LeaveGroup() { c.group-- }

// InGroup reports whether the current send is a composite endpoint's child.
func (c *Context) InGroup() bool { return c.group > 0 }

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
		if fe.Trail == nil {
			fe.Trail = c.trailSteps()
		}
		c.Msg.SetFault(fe)
		c.X.fault = fe
		if fe.SkipHandlers {
			c.Log().Warn("endpoint timeout with responseAction discard: no fault sequence runs", "code", fe.Code.String(), "path", fe.Path)
			return
		}
		h, ok := c.popHandler()
		if !ok {
			c.Log().Warn("no fault handler left for the error", "code", fe.Code.String(), "error", fe.Message, "path", fe.Path)
			return
		}
		c.Log().Info("executing fault sequence", "sequence", h.Path, "code", fe.Code.String(), "error", fe.Message)
		c.inFault = true
		_, err := c.Run(h)
		c.inFault = false
		if err != nil {
			next := fault.Wrap(err)
			c.Log().Warn("fault sequence failed; trying the next fault handler", "sequence", h.Path, "code", next.Code.String(), "error", next.Message, "previousCode", fe.Code.String())
			fe = next
			continue
		}
		return
	}
}

// PopHandlerIf removes s from the top of the handler stack (an endpoint's
// onError after a successful send).
func (c *Context) PopHandlerIf(s *Sequence) { c.popIfTop(s) }

// Base returns the logger the context was created with (without the
// message attributes), for contexts derived from this one.
func (c *Context) Base() *slog.Logger { return c.base }
