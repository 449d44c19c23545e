package mediator

import (
	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/registry"
)

func init() {
	registry.RegisterMediator(registry.Spec{
		Element: "loopback",
		Aliases: []string{"org.apache.synapse.mediators.builtin.LoopBackMediator"},
		Summary: "Turns the request into the response and moves it to the out path (the outSequence, or straight to the client).",
		Examples: []registry.Example{{
			Title: "Answer from the in path", Config: `<payloadFactory media-type="json"><format>{"ok":true}</format></payloadFactory><loopback/>`,
			Input: `{}`, InputType: "application/json", Output: `{"ok":true}`, OutputType: "application/json",
		}},
	}, func(registry.Builder, *config.Element) (engine.Mediator, error) { return loopback{}, nil })
}

type loopback struct{}

func (loopback) Mediate(c *engine.Context) (bool, error) {
	c.Msg.To = ""
	if c.Msg.Response {
		// Already on the out path: looping back again would re-run the
		// out sequence forever, so answer the client instead.
		return false, c.Respond()
	}
	return false, c.DeliverResponse(engine.SeqRef{})
}
