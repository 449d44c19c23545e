package endpoint

import (
	"fmt"

	"github.com/busbar/busbar/internal/compile"
	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/registry"
)

// leaf is what address, http and default endpoints share: the definition,
// the state tracker, and the send that runs the state machine around the
// network call (synapse-semantics §1, §2, §3.4).
type leaf struct {
	def     *Definition
	tracker *Tracker
	// kind is how MI names the endpoint in 303001 messages
	// ("Address endpoint", "HTTP endpoint").
	kind    string
	onError engine.SeqRef
}

// newLeaf attaches the endpoint's tracker: by name for named endpoints,
// by configuration path for anonymous ones, reused across reloads while
// the definition is unchanged.
func newLeaf(b registry.Builder, el *config.Element, d *Definition, kind string) leaf {
	key := d.Name
	if key == "" {
		key = "anonymous:" + b.Path()
	}
	src := el
	if el.Parent != nil && el.Parent.Name.Local == "endpoint" {
		src = el.Parent
	}
	d.Source = compile.ToXMLTree(src).String()
	// The source is also the fingerprint: any change to the XML starts a
	// fresh tracker.
	l := leaf{def: d, kind: kind, tracker: States(b.Options().Runtime).Tracker(key, d.Source, d.policy())}
	if d.OnError != "" {
		l.onError = b.SequenceRef(d.OnError, src.Pos)
	}
	return l
}

// Tracker returns the endpoint's state machine (management API).
func (l *leaf) Tracker() *Tracker { return l.tracker }

// Definition returns the endpoint's definition.
func (l *leaf) Definition() *Definition { return l.def }

func (l *leaf) reportingName() string {
	if l.def.Name == "" {
		return "AnonymousEndpoint"
	}
	return l.def.Name
}

// send delivers c.Msg through the state machine: a root endpoint that is
// not ready fails at once with 303001 without touching the network; a
// response (any status) recovers the endpoint; a failure is classified by
// the state machine and then goes to the endpoint's onError sequence, if
// any, else to the enclosing fault handlers.
func (l *leaf) send(c *engine.Context, o outbound) error {
	if ok, st := l.tracker.Ready(); !ok && !c.InGroup() {
		return l.notReady(st)
	}
	pushed := l.pushOnError(c)
	err := deliver(c, l.def, o)
	if err == nil {
		err = l.forcedSOAPFault(c)
	}
	if err == nil {
		if before := l.tracker.State(); before == Timeout || before == Suspended {
			l.tracker.OnSuccess()
			c.Log().Info("endpoint recovered", "endpoint", l.tracker.name, "from", before.String())
		}
		if pushed != nil {
			c.PopHandlerIf(pushed)
		}
		return nil
	}
	fe := fault.Wrap(err)
	if fe.Inbound {
		// The client failed, not this endpoint.
		return fe
	}
	l.classify(c, fe)
	return fe
}

// classify runs the state machine for a failure and marks endpoint
// timeouts with responseAction discard so that no fault sequence runs.
func (l *leaf) classify(c *engine.Context, fe *fault.Error) {
	if fe.State >= 0 {
		// Synapse marks a message whose send failed in the transport.
		c.Msg.Set(message.ScopeDefault, "SENDING_FAULT", true)
	}
	before := l.tracker.State()
	outcome := l.tracker.OnFault(fe.Code)
	st := l.tracker.Status()
	switch {
	case outcome == SuspendedBy:
		c.Log().Warn("endpoint suspended", "endpoint", l.tracker.name, "code", fe.Code.String(), "duration_ms", st.LastSuspendDuration, "from", before.String())
	case outcome == TimedOut:
		c.Log().Warn("endpoint marked for suspension", "endpoint", l.tracker.name, "code", fe.Code.String(), "remainingRetries", st.RemainingRetries)
	case outcome == Ignored:
		c.Log().Debug("endpoint error ignored by its suspension settings", "endpoint", l.tracker.name, "code", fe.Code.String())
	}
	if isSendTimeout(fe) {
		c.Log().Warn("endpoint timed out; a late response will be discarded", "endpoint", l.tracker.name, "url", c.Msg.To, "action", l.timeoutAction())
		if l.def.TimeoutAction == ActionDiscard {
			fe.SkipHandlers = true
		}
	}
}

func (l *leaf) timeoutAction() string {
	if l.def.TimeoutAction == "" {
		return ActionFault + " (default)"
	}
	return l.def.TimeoutAction
}

// isSendTimeout tells an endpoint deadline expiry (MI's timeout handler,
// raw 101504 "Send timeout") from transport errors that happen to carry a
// timeout-class code.
func isSendTimeout(fe *fault.Error) bool {
	n, _ := fe.Code.Int()
	return n == fault.ConnectionTimeout && fe.Message == "Send timeout"
}

// pushOnError pushes the endpoint's onError sequence below the endpoint,
// so that it handles this endpoint's failures instead of the enclosing
// fault sequences (synapse-semantics §6.5).
func (l *leaf) pushOnError(c *engine.Context) *engine.Sequence {
	if !l.onError.IsSet() {
		return nil
	}
	s, err := l.onError.Resolve(c.G)
	if err != nil {
		c.Log().Warn("endpoint onError sequence not found; using the enclosing fault handlers", "endpoint", l.tracker.name, "onError", l.onError.Key)
		return nil
	}
	c.PushHandler(s)
	return s
}

// notReady is the 303001 fault of a root leaf that may not send (§1.6).
func (l *leaf) notReady(st State) *fault.Error {
	msg := fmt.Sprintf("Currently , %s : [ Name : %s ] [ State : %s ]", l.kind, l.reportingName(), st)
	if l.kind == "HTTP endpoint" {
		msg = fmt.Sprintf("Currently, %s : [ Name : %s ] [ State : %s ]", l.kind, l.reportingName(), st)
	}
	return &fault.Error{Code: fault.Num(fault.EndpointAddressNoneReady), Message: msg, Detail: msg, State: -1, Status: 503}
}

// forcedSOAPFault applies FORCE_ERROR_ON_SOAP_FAULT (§3.4): with the
// property set to exactly "true", a SOAP fault response is a failure with
// ERROR_CODE 500000 whose payload is the fault.
func (l *leaf) forcedSOAPFault(c *engine.Context) error {
	m := c.Msg
	if v, ok := m.Get(message.ScopeDefault, "FORCE_ERROR_ON_SOAP_FAULT"); !ok || message.ValueString(v) != "true" {
		return nil
	}
	if f := m.Body.Format(); f != message.FormatSOAP11 && f != message.FormatSOAP12 && f != message.FormatPOX {
		return nil
	}
	env, err := m.Body.Envelope()
	if err != nil || !message.IsSOAPFault(env) {
		return nil
	}
	m.Set(message.ScopeDefault, "SENDING_FAULT", true)
	msg := fmt.Sprintf("Received a SOAP fault from endpoint %s (FORCE_ERROR_ON_SOAP_FAULT)", l.reportingName())
	return &fault.Error{Code: fault.Num(fault.EndpointCustomError), Message: msg, Detail: msg, State: -1}
}
