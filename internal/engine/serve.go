package engine

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/message"
)

// Responder writes the answer to the client of an exchange. The engine
// decides the status; the transport writes headers and body. Respond is
// called at most once per exchange.
type Responder interface {
	Respond(m *message.Message, status int) error
}

// Exchange is one inbound request and what has happened to it so far: which
// artifact took it, whether it was answered, whether anything was sent out,
// and the last fault.
type Exchange struct {
	Responder Responder
	// Artifact names what serves the message, e.g. "proxy[StockQuote]".
	Artifact string
	Proxy    *Proxy
	API      *API
	Resource *Resource

	reqFormat message.Format
	accept    string
	responded bool
	sent      bool
	dropped   bool
	fault     *fault.Error
}

// Responded reports whether the client has been answered.
func (x *Exchange) Responded() bool { return x.responded }

// Fault returns the last fault handled in this exchange, or nil.
func (x *Exchange) Fault() *fault.Error { return x.fault }

// Serve mediates one inbound message on g and answers the client through
// r. It returns when the flow has finished and the answer is written.
func (g *Graph) Serve(ctx context.Context, m *message.Message, r Responder, log *slog.Logger) {
	// One allocation holds the context, the exchange and the first slots
	// of the handler stack and invocation trail.
	f := &flowState{}
	f.x = Exchange{Responder: r, reqFormat: m.Body.Format(), accept: m.Header.Get("Accept")}
	f.c = Context{Ctx: ctx, G: g, Msg: m, X: &f.x, base: log, handlers: f.handlers[:0], trail: f.trail[:0]}
	defer f.c.recoverPanic()
	g.dispatch(&f.c)
	f.c.finish()
}

// recoverPanic turns a panic in mediation (a bug) into a logged internal
// error and an answer, so that one bad message neither kills the process
// nor leaves its client waiting.
func (c *Context) recoverPanic() {
	r := recover()
	if r == nil {
		return
	}
	path := ""
	if cur := c.Current(); cur != nil {
		path = cur.Path
	}
	c.Log().Error("internal error while mediating; please report it", "panic", fmt.Sprint(r), "path", path, "stack", string(debug.Stack()))
	if !c.X.responded {
		f := fault.Newf(fault.DefaultError, "internal error in Busbar: %v", r)
		f.Path = path
		c.respondDefault(f)
	}
}

// flowState is everything one inbound message needs from the engine.
type flowState struct {
	c        Context
	x        Exchange
	handlers [4]*Sequence
	trail    [16]trailStep
}

// finish makes sure the client gets an answer. A flow that failed and
// whose fault handlers did not respond gets the default fault answer; a
// deliberate drop, or a flow that never sent anything out, gets MI's 202;
// a flow that got a backend response and simply ended answers with the
// message it holds (MI would leave the client waiting).
func (c *Context) finish() {
	x := c.X
	if x.responded {
		return
	}
	switch {
	case x.fault != nil:
		c.respondDefault(x.fault)
	case c.Msg.Flag(message.ScopeAxis2, message.PropForceSCAccept) || x.dropped || !x.sent:
		c.respondAccepted()
	default:
		_ = c.Respond()
	}
}

// Respond sends c.Msg to the client with the status of synapse-semantics
// §3.5. A second call in the same exchange is ignored.
func (c *Context) Respond() error {
	if c.X.responded {
		c.Log().Debug("response already sent; ignoring another respond")
		return nil
	}
	c.X.responded = true
	if err := c.X.Responder.Respond(c.Msg, c.status()); err != nil {
		c.Log().Warn("writing the response to the client failed", "error", err)
	}
	return nil
}

// status decides the HTTP status of a response (synapse-semantics §3.5).
func (c *Context) status() int {
	m := c.Msg
	if m.Status != 0 {
		return m.Status
	}
	if m.Flag(message.ScopeDefault, "SC_ACCEPTED") || m.Flag(message.ScopeAxis2, "SC_ACCEPTED") {
		return 202
	}
	if c.isFault() && !m.Flag(message.ScopeDefault, "FAULTS_AS_HTTP_200") && !m.Flag(message.ScopeAxis2, "FAULTS_AS_HTTP_200") {
		return 500
	}
	return 200
}

// isFault reports whether the answer is a SOAP fault or a makefault
// message. An unparsed SOAP body is parsed to tell: this path only runs
// for answers without a status (a backend's response always has one), so
// pass-through never pays for it.
func (c *Context) isFault() bool {
	if c.Msg.Flag(message.ScopeDefault, PropFaultResponse) {
		return true
	}
	env := c.Msg.Body.ParsedEnvelope()
	if env == nil && (c.Msg.Body.Format() == message.FormatSOAP11 || c.Msg.Body.Format() == message.FormatSOAP12) {
		env, _ = c.Msg.Body.Envelope()
	}
	return env != nil && message.IsSOAPFault(env)
}

// PropFaultResponse marks a message built by makefault (Synapse's
// "processing fault"), answered with HTTP 500.
const PropFaultResponse = "__busbar.faultResponse"

func (c *Context) respondAccepted() {
	c.X.responded = true
	m := c.Msg
	m.Header = map[string][]string{}
	m.Body.SetBytes(nil, "")
	if err := c.X.Responder.Respond(m, 202); err != nil {
		c.Log().Warn("writing the 202 answer failed", "error", err)
	}
}

// Drop records a deliberate stop (the drop mediator): the client gets 202
// if nothing else answers it.
func (c *Context) Drop() { c.X.dropped = true }

// MarkSent records that the message went to a backend; after that, a flow
// that ends without answering answers with the message it holds.
func (c *Context) MarkSent() { c.X.sent = true }
