package mediator

import (
	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/endpoint"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/registry"
)

func init() {
	registry.RegisterMediator(registry.Spec{
		Element: "send",
		Aliases: []string{"org.apache.synapse.mediators.builtin.SendMediator"},
		Summary: "Sends a request to an endpoint and stops this flow; the response goes to the receive sequence, the outSequence, or the client. On a response, sends it to the client.",
		Doc: "Without an endpoint, a request goes to its To address and a response back to the client. " +
			"Endpoint failures go to the fault handlers that were active when the message was sent.",
		Attrs: []registry.Attr{
			{Name: "receive", Type: "key", Doc: "Sequence that gets the response instead of the outSequence."},
			{Name: "buildmessage", Type: "bool", Doc: "Accepted for compatibility; Busbar builds the message only when needed."},
		},
		Children: []registry.Child{{Name: "endpoint", Doc: "Inline or <endpoint key=\"name\"/>."}},
	}, newSend)
}

type sendMediator struct {
	ep      engine.EndpointRef
	hasEP   bool
	receive engine.SeqRef
}

func newSend(b registry.Builder, el *config.Element) (engine.Mediator, error) {
	s := &sendMediator{}
	if r := el.Attr("receive"); r != nil {
		s.receive = b.SequenceRef(r.Value, r.Pos)
	}
	registry.Bool(b, el, "buildmessage", false)
	if e := el.Child("endpoint"); e != nil {
		s.ep = engine.EndpointRef{EP: b.Endpoint(e), Pos: e.Pos}
		s.hasEP = true
	} else {
		s.ep = engine.EndpointRef{EP: endpoint.ToAddress()}
	}
	return s, nil
}

func (s *sendMediator) Mediate(c *engine.Context) (bool, error) {
	if c.Msg.Response && !s.hasEP {
		c.Msg.To = ""
		return false, c.Respond()
	}
	if s.ep.EP == nil {
		return false, nil
	}
	if c.Msg.Response {
		// Sending a response on to another endpoint makes it a request
		// again.
		c.Msg.Response = false
	}
	return false, c.SendTo(s.ep, s.receive)
}
