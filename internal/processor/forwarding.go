package processor

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/store"
)

var (
	pReply = param{name: "message.processor.reply.sequence", typ: "key", doc: "Sequence that receives the backend's response of an in-out message. " +
		"It must exist for in-out messages, and must end normally: a reply sequence that stops the flow (ends with drop) " +
		"counts as not delivered and the message is sent again, as in MI."}
	pFailStore = param{name: "message.processor.failMessagesStore", typ: "key", doc: "Store that a message exhausting its attempts is moved to " +
		"(when max.delivery.drop is not Enabled); if it cannot take the message the processor deactivates."}
	pNonRetry = param{name: "non.retry.status.codes", typ: "list", doc: "Comma-separated HTTP statuses that count as delivered instead of failed. " +
		"As in MI a response status matches when it is a substring of a listed token (so 4000 also matches 400)."}
	pTargetParam = param{name: "target.endpoint", typ: "key", doc: "Legacy: the target endpoint as a parameter, when the targetEndpoint attribute is absent."}

	forwardingParams = append([]param{
		pInterval, pCron, pRetry, maxAttemptsParam("4"), pDrop, pFailStore, pNonRetry, pReply, pFault, pDeactivate,
		pActive, pMembers, pStoreAttempts, pStoreRetry, pTargetParam,
	}, mpIgnored...)
)

func init() {
	registry.RegisterProcessor(registry.Spec{
		Element: "scheduled-forwarding",
		Aliases: []string{
			"org.apache.synapse.message.processor.impl.forwarder.ScheduledMessageForwardingProcessor",
			// The pre-4.x name MI still maps to the same class.
			"org.apache.synapse.message.processors.forward.ScheduledMessageForwardingProcessor",
		},
		Summary: "Delivers the messages of a store to an endpoint, in order, retrying each one and keeping every message it cannot deliver.",
		Doc: "MI's scheduled message forwarding processor (store-and-forward), written " +
			"`<messageProcessor name=\"...\" class=\"...\" messageStore=\"S\" targetEndpoint=\"E\">` with `<parameter>` " +
			"children. On each run (one message per run, or every message there is on a `cronExpression` firing) it leases " +
			"the message at the head of store S and sends a fresh copy of it through the named endpoint E (the endpoint's " +
			"suspension and timeout state machine applies). A message whose `OUT_ONLY` property is `true` is delivered when the backend answers 2xx " +
			"or a non-retry status; any other message is in-out: its response must also go through the reply sequence, " +
			"which must end normally. A failed attempt runs the fault sequence, waits `client.retry.interval` and tries the " +
			"same message again, so with `member.count` 1 the messages behind it wait (strict order). After " +
			"`max.delivery.attempts` the message is dropped if `max.delivery.drop` is exactly `Enabled`, else moved to " +
			"`message.processor.failMessagesStore` if set, else recorded in Busbar's failed-message store (and removed from " +
			"the store once recorded), where operators inspect, edit and resubmit it. When none of these can take it, the " +
			"processor deactivates: the message stays first in the store, the deactivate sequence runs, and activating " +
			"the processor again (management API or `busbar ctl`) resumes with that message. Without `targetEndpoint` each " +
			"message must name its endpoint in the legacy `target.endpoint` property; a missing endpoint deactivates the " +
			"processor, as in MI. `FORCE_ERROR_ON_SOAP_FAULT=true` on the stored message makes a SOAP fault a failed attempt.",
		Attrs: attrs(forwardingParams),
		Examples: []registry.Example{{
			Title: "Forward stored orders, 5 attempts 2 s apart, then keep the failures",
			Config: `<messageStore name="Orders"/>
<endpoint name="OrdersBackend"><address uri="http://localhost:9000/orders"/></endpoint>
<messageProcessor name="OrdersForwarder" messageStore="Orders" targetEndpoint="OrdersBackend"
    class="org.apache.synapse.message.processor.impl.forwarder.ScheduledMessageForwardingProcessor">
  <parameter name="interval">1000</parameter>
  <parameter name="client.retry.interval">2000</parameter>
  <parameter name="max.delivery.attempts">5</parameter>
  <parameter name="non.retry.status.codes">400,404</parameter>
</messageProcessor>`,
		}},
		Differences: []string{
			"A message that exhausts its attempts is recorded in the failed-message store and removed from the store once " +
				"recorded (MI deactivates the processor); only when there is no failed-message store does Busbar deactivate as MI does.",
			"An in-out message with no reply sequence deactivates the processor before it is sent; MI sends it first, so the " +
				"backend receives it again after reactivation.",
			"A failed attempt sets ERROR_CODE 401002 as MI's blocking sender does, with the transport's own code kept as the " +
				"predecessor in FAIL_INFO; a bad HTTP status also sets the error properties (MI leaves them unset).",
			"The fault sequence also runs when the reply sequence returns false; the deactivate sequence also runs when the " +
				"processor deactivates without a message in hand (with an empty message).",
			"targetEndpoint is honoured for the deprecated class name too (MI ignores it there).",
		},
	}, newForwarding)
}

// Forwarder is the scheduled message forwarding processor (synapse-
// semantics §7.3).
type Forwarder struct {
	*base
	redelivery
	// target is the endpoint name; "" means the message's
	// target.endpoint property names it.
	target   string
	reply    engine.SeqRef
	nonRetry []string
}

var _ Managed = (*Forwarder)(nil)

func newForwarding(b registry.Builder, def *config.MessageProcessor) (engine.Processor, error) {
	bs, p := newBase(b, def, TypeForwarding, forwardingParams)
	if bs == nil {
		return nil, nil
	}
	bs.drain = true
	bs.members = p.int(pMembers.name, 1, 1)
	f := &Forwarder{base: bs, redelivery: readRedelivery(b, p, bs, 4)}
	f.target = targetEndpoint(b, def, p)
	f.reply = seqParam(b, p, pReply.name)
	warnStoppingReply(b, p, f.reply)
	if v := p.str(pNonRetry.name); v != "" {
		f.nonRetry = strings.Split(v, ",")
		for _, tok := range f.nonRetry {
			if _, err := strconv.Atoi(strings.TrimSpace(tok)); err != nil && strings.TrimSpace(tok) != "" {
				b.Warnf(p.pos(pNonRetry.name), "non.retry.status.codes token %q is not a status code; as in MI it matches only statuses written inside it", tok)
			}
		}
	}
	if name := p.str(pFailStore.name); name != "" {
		f.failStore = b.Graph().Stores[name]
		switch {
		case f.failStore == nil:
			b.Errorf(p.pos(pFailStore.name), "message store %q (message.processor.failMessagesStore) is not defined", name)
		case name == def.Store:
			b.Warnf(p.pos(pFailStore.name), "message.processor.failMessagesStore is the processor's own store: a message that exhausts its attempts goes to the back of the queue and is tried again, forever")
		}
	}
	return f, nil
}

// targetEndpoint reads the target endpoint (attribute, else MI's legacy
// target.endpoint parameter) and warns when it names nothing.
func targetEndpoint(b registry.Builder, def *config.MessageProcessor, p *params) string {
	name, pos := def.TargetEndpoint, def.Pos
	if a := def.Elem.Attr("targetEndpoint"); a != nil {
		pos = a.Pos
	}
	if name == "" && p.has(pTargetParam.name) {
		name, pos = p.str(pTargetParam.name), p.pos(pTargetParam.name)
	}
	if name == "" {
		b.Warnf(def.Pos, "no targetEndpoint: every message must name its endpoint in the target.endpoint property, or the processor deactivates (as in MI)")
		return ""
	}
	b.EndpointRef(name, pos)
	return name
}

// warnStoppingReply points out a reply sequence that ends by stopping the
// flow: MI (and Busbar) count that as not delivered and resend.
func warnStoppingReply(b registry.Builder, p *params, ref engine.SeqRef) {
	if ref.Seq == nil || len(ref.Seq.Steps) == 0 {
		return
	}
	info := ref.Seq.Steps[len(ref.Seq.Steps)-1].Info
	if info == nil {
		return
	}
	if last := info.Name; last == "drop" || last == "respond" {
		b.Warnf(p.pos(pReply.name), "the reply sequence %q ends with <%s/>, which stops the flow: as in MI every response then counts as not delivered and the message is sent again until its attempts run out; end the reply sequence without it", ref.Key, last)
	}
}

// Start starts the workers (member.count of them).
func (f *Forwarder) Start() { f.startDelivering(&f.redelivery, f.attempt) }

// Status adds the target endpoint to the common snapshot.
func (f *Forwarder) Status() map[string]any {
	st := f.status()
	st["targetEndpoint"] = f.target
	st["maxDeliveryAttempts"] = f.maxAttempts
	return st
}

// attempt sends a fresh copy of the stored message through the target
// endpoint and decides whether it was delivered (ForwardingService.
// tryToDispatchToEndpoint, validateResponse).
func (f *Forwarder) attempt(ctx context.Context, sm *store.Message) outcome {
	m := store.Restore(sm)
	c := f.newContext(ctx, m)
	key := f.target
	if key == "" {
		key = m.GetString(message.ScopeDefault, "target.endpoint")
	}
	if key == "" {
		return deactivation(c, "neither a targetEndpoint nor the message's target.endpoint property names the endpoint to deliver to")
	}
	ep, err := engine.EndpointRef{Key: key}.Resolve(f.g)
	if err != nil {
		return deactivation(c, fmt.Sprintf("the target endpoint %q does not exist", key))
	}
	outOnly := m.Flag(message.ScopeDefault, "OUT_ONLY")
	var reply *engine.Sequence
	if !outOnly {
		// Checked before sending (MI checks after): the backend must not
		// get a message that will be sent again after reactivation.
		if !f.reply.IsSet() {
			return deactivation(c, "the message is in-out (OUT_ONLY is not true) and message.processor.reply.sequence is not set; nothing was sent")
		}
		if reply, err = f.reply.Resolve(f.g); err != nil {
			return deactivation(c, fmt.Sprintf("the reply sequence %q does not exist; nothing was sent", f.reply.Key))
		}
	}
	if err := c.Call(ep); err != nil {
		return failure(c, blockingFault(m, fault.Wrap(err)), f.path, key)
	}
	if !f.accepted(m.Status) {
		return failure(c, statusFault(m), f.path, key)
	}
	if outOnly {
		return outcome{kind: delivered, c: c, endpoint: key}
	}
	ok, err := c.Run(reply)
	switch {
	case err != nil:
		return failure(c, fault.Wrap(err), f.path, key)
	case !ok:
		fe := fault.Newf(fault.DefaultError, "the reply sequence %s stopped the flow (it returned false): the message counts as not delivered, as in MI", seqName(reply))
		return failure(c, fe, f.path, key)
	}
	return outcome{kind: delivered, c: c, endpoint: key}
}

// accepted: a 2xx status, or one of non.retry.status.codes, which MI
// matches by substring (a configured "4000" matches 400).
func (f *Forwarder) accepted(status int) bool {
	if status >= 200 && status < 300 {
		return true
	}
	if status == 0 {
		return false
	}
	code := strconv.Itoa(status)
	for _, tok := range f.nonRetry {
		if strings.Contains(strings.TrimSpace(tok), code) {
			return true
		}
	}
	return false
}

// blockingFault is what MI's blocking sender reports for a failed send:
// ERROR_CODE 401002 and BLOCKING_SENDER_ERROR, the transport's
// classification kept as the predecessor.
func blockingFault(m *message.Message, c *fault.Error) *fault.Error {
	m.Set(message.ScopeDefault, "BLOCKING_SENDER_ERROR", "true")
	return &fault.Error{Code: fault.Num(fault.BlockingSenderFailed), Message: c.Message, Detail: c.Detail, Cause: c, State: -1, Prev: c}
}

// statusFault is the blocking client's error for a status that is
// neither 2xx nor a non-retry code; the response stays the message.
func statusFault(m *message.Message) *fault.Error {
	m.Set(message.ScopeDefault, "BLOCKING_SENDER_ERROR", "true")
	msg := fmt.Sprintf("Transport error: %d Error: %s", m.Status, http.StatusText(m.Status))
	if m.Status == 0 {
		msg = "the response has no HTTP status"
	}
	return fault.New(fault.BlockingSenderFailed, msg)
}
