package mediator

import (
	"fmt"
	"net/http"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/endpoint"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/registry"
)

func init() {
	registry.RegisterMediator(registry.Spec{
		Element: "call",
		Aliases: []string{"org.apache.synapse.mediators.builtin.CallMediator"},
		Summary: "Calls an endpoint and continues the sequence with the response as the message.",
		Doc: "Non-blocking semantics (the default): the response continues the flow after the call, endpoint failures go " +
			"to the fault handlers active at the call, and any HTTP status is a response. blocking=\"true\" uses the blocking " +
			"sender's rules: a failure or an HTTP status of 400 or more is a fault with ERROR_CODE 401002, HTTP_SC and " +
			"BLOCKING_SENDER_ERROR=true. With OUT_ONLY=true the call does not wait for a response.",
		Attrs: []registry.Attr{
			{Name: "blocking", Type: "bool", Default: "false"},
			{Name: "initAxis2ClientOptions", Type: "bool", Doc: "Accepted for compatibility."},
		},
		Children: []registry.Child{{Name: "endpoint", Doc: "Inline or <endpoint key=\"name\"/>; without one the To address is used."}},
	}, newCall)
}

type callMediator struct {
	ep       engine.EndpointRef
	blocking bool
}

func newCall(b registry.Builder, el *config.Element) (engine.Mediator, error) {
	m := &callMediator{blocking: registry.Bool(b, el, "blocking", false)}
	registry.Bool(b, el, "initAxis2ClientOptions", true)
	if e := el.Child("endpoint"); e != nil {
		m.ep = engine.EndpointRef{EP: b.Endpoint(e), Pos: e.Pos}
	} else {
		m.ep = engine.EndpointRef{EP: endpoint.ToAddress()}
	}
	return m, nil
}

func (m *callMediator) Mediate(c *engine.Context) (bool, error) {
	if m.ep.EP == nil {
		return false, fault.New(fault.DefaultError, "call mediator has no usable endpoint")
	}
	ep, err := m.ep.Resolve(c.G)
	if err != nil {
		return false, err
	}
	if c.Msg.Flag(message.ScopeDefault, "OUT_ONLY") {
		return m.fireAndForget(c, ep)
	}
	if err := c.Call(ep); err != nil {
		if m.blocking {
			return false, blockingFault(c.Msg, fault.Wrap(err))
		}
		return false, err
	}
	if m.blocking && c.Msg.Status >= 400 {
		return false, blockingStatusFault(c.Msg)
	}
	return true, nil
}

// fireAndForget sends and continues without waiting for the mediation of
// a response; the response body is discarded.
func (m *callMediator) fireAndForget(c *engine.Context, ep engine.Endpoint) (bool, error) {
	if err := c.Call(ep); err != nil {
		return false, err
	}
	c.Msg.Body.Close()
	c.Msg.Body.SetBytes(nil, "")
	c.Msg.Response = false
	return true, nil
}

// blockingFault is what Synapse's blocking sender reports for a failed
// call: ERROR_CODE 401002 and BLOCKING_SENDER_ERROR, with the transport's
// classification kept as the predecessor.
func blockingFault(m *message.Message, cause *fault.Error) *fault.Error {
	m.Set(message.ScopeDefault, "BLOCKING_SENDER_ERROR", "true")
	return &fault.Error{Code: fault.Num(fault.BlockingSenderFailed), Message: cause.Message, Detail: cause.Detail, Cause: cause, State: -1, Status: engine.DefaultStatus(cause), Prev: cause}
}

// blockingStatusFault turns an HTTP error status into a blocking-sender
// fault, keeping the response as the message, as Axis2's blocking client
// does.
func blockingStatusFault(m *message.Message) *fault.Error {
	m.Set(message.ScopeDefault, "BLOCKING_SENDER_ERROR", "true")
	msg := fmt.Sprintf("Transport error: %d Error: %s", m.Status, http.StatusText(m.Status))
	return &fault.Error{Code: fault.Num(fault.BlockingSenderFailed), Message: msg, Detail: msg, State: -1, Status: 502}
}
