package endpoint

import (
	"strings"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/registry"
)

func init() {
	registry.RegisterEndpoint(registry.Spec{
		Element: "default",
		Aliases: []string{"org.apache.synapse.endpoints.DefaultEndpoint"},
		Summary: "Sends to the message's own destination (the To address, set with <header name=\"To\">).",
		Attrs: []registry.Attr{
			{Name: "format", Type: "enum", Values: []string{"soap11", "soap12", "pox", "json", "get", "rest"}},
		},
		Children: definitionChildren,
	}, newDefault)
	for _, kind := range []string{"wsdl", "failover", "loadbalance", "recipientlist", "session"} {
		registry.RegisterUnsupported(registry.KindEndpoint, kind, "Synapse "+kind+" endpoint.")
	}
}

// Default is a <default> endpoint.
type Default struct{ def *Definition }

func newDefault(b registry.Builder, el *config.Element, name string) (engine.Endpoint, error) {
	return &Default{def: ParseDefinition(b, el, name)}, nil
}

// Name is the endpoint's name.
func (d *Default) Name() string { return d.def.Name }

// Send delivers to the To address; a message without an absolute To
// address fails with 303001 as MI's default endpoint does.
func (d *Default) Send(c *engine.Context) error {
	to := c.Msg.To
	if !strings.HasPrefix(to, "http://") && !strings.HasPrefix(to, "https://") {
		f := fault.Newf(fault.EndpointAddressNoneReady, "Default endpoint %q: the message has no destination address (To is %q); set it with <header name=\"To\" value=\"http://...\"/>", d.def.Name, to)
		f.Status = 503
		return f
	}
	return deliver(c, d.def, outbound{method: methodOf(c), url: to})
}

func valueString(v any) string { return message.ValueString(v) }

// ToAddress returns the implicit endpoint of a send or call without an
// endpoint: it delivers to the message's To address with the global
// timeout, as Synapse's implicit send does.
func ToAddress() engine.Endpoint { return &Default{def: &Definition{InitialDuration: -1, Factor: 1}} }

// FixedURL returns an anonymous endpoint that sends to url exactly (no
// REST_URL_POSTFIX), used by callout's serviceURL.
func FixedURL(url string) engine.Endpoint {
	return &fixedURL{def: &Definition{InitialDuration: -1, Factor: 1}, url: url}
}

type fixedURL struct {
	def *Definition
	url string
}

func (f *fixedURL) Name() string { return "" }

func (f *fixedURL) Send(c *engine.Context) error {
	return deliver(c, f.def, outbound{method: methodOf(c), url: f.url})
}
