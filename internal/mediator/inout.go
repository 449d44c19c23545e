package mediator

import (
	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/registry"
)

func init() {
	registry.RegisterMediator(registry.Spec{
		Element:   "in",
		Aliases:   []string{"org.apache.synapse.mediators.filters.InMediator"},
		Summary:   "Runs its mediators only for requests (the classic main-sequence style).",
		Mediators: true,
		Examples: []registry.Example{{
			Title: "Mark requests", Config: `<in><property name="dir" value="request"/></in><out><property name="dir" value="response"/></out>`,
			Input: `<a/>`, InputType: "application/xml", Props: map[string]string{"dir": "request"},
		}},
	}, func(b registry.Builder, el *config.Element) (engine.Mediator, error) {
		return &direction{seq: b.Mediators(el, ""), response: false}, nil
	})
	registry.RegisterMediator(registry.Spec{
		Element:   "out",
		Aliases:   []string{"org.apache.synapse.mediators.filters.OutMediator"},
		Summary:   "Runs its mediators only for responses (the classic main-sequence style).",
		Mediators: true,
	}, func(b registry.Builder, el *config.Element) (engine.Mediator, error) {
		return &direction{seq: b.Mediators(el, ""), response: true}, nil
	})
}

type direction struct {
	seq      *engine.Sequence
	response bool
}

func (d *direction) Mediate(c *engine.Context) (bool, error) {
	if c.Msg.Response != d.response {
		return true, nil
	}
	return c.Run(d.seq)
}
