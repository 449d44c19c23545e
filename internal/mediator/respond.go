package mediator

import (
	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/registry"
)

func init() {
	registry.RegisterMediator(registry.Spec{
		Element: "respond",
		Aliases: []string{"org.apache.synapse.mediators.builtin.RespondMediator"},
		Summary: "Sends the current message back to the client and stops the flow.",
		Doc: "The status is HTTP_SC (axis2 scope) if set, else 500 for a SOAP fault or a makefault message " +
			"(unless FAULTS_AS_HTTP_200), 202 for SC_ACCEPTED, otherwise 200 (or the backend's status for a response).",
		Examples: []registry.Example{{
			Title: "Echo the request", Config: `<respond/>`,
			Input: `<ping/>`, InputType: "application/xml", Output: `<ping/>`, OutputType: "application/xml",
		}},
	}, func(registry.Builder, *config.Element) (engine.Mediator, error) { return respondMediator{}, nil })
}

type respondMediator struct{}

func (respondMediator) Mediate(c *engine.Context) (bool, error) {
	c.Msg.Response = true
	c.Msg.To = ""
	return false, c.Respond()
}
