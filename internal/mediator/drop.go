package mediator

import (
	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/registry"
)

func init() {
	registry.RegisterMediator(registry.Spec{
		Element: "drop",
		Aliases: []string{"org.apache.synapse.mediators.builtin.DropMediator"},
		Summary: "Stops the flow. A request dropped before anything was sent out is answered 202 Accepted, as in MI.",
		Examples: []registry.Example{{
			Title: "Stop after logging", Config: `<log level="custom"><property name="step" value="before drop"/></log><drop/>`,
			Input: `{"a":1}`, InputType: "application/json",
		}},
	}, func(registry.Builder, *config.Element) (engine.Mediator, error) { return dropMediator{}, nil })
}

type dropMediator struct{}

func (dropMediator) Mediate(c *engine.Context) (bool, error) {
	c.Msg.To = ""
	c.Drop()
	return false, nil
}
