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
	for _, kind := range []string{"wsdl"} {
		registry.RegisterUnsupported(registry.KindEndpoint, kind, "Synapse "+kind+" endpoint.")
	}
}

// Default is a <default> endpoint.
type Default struct{ leaf }

func newDefault(b registry.Builder, el *config.Element, name string) (engine.Endpoint, error) {
	d := ParseDefinition(b, el, name)
	return &Default{leaf: newLeaf(b, el, d, "Address endpoint")}, nil
}

// Name is the endpoint's name.
func (d *Default) Name() string { return d.def.Name }

// Kind is the endpoint's element.
func (d *Default) Kind() string { return "default" }

// Send delivers to the To address; a message without an absolute To
// address fails with 303001 as MI's default endpoint does.
func (d *Default) Send(c *engine.Context) error {
	to := c.Msg.To
	if !strings.HasPrefix(to, "http://") && !strings.HasPrefix(to, "https://") {
		f := fault.Newf(fault.EndpointAddressNoneReady, "Default endpoint %q: the message has no destination address (To is %q); set it with <header name=\"To\" value=\"http://...\"/>", d.def.Name, to)
		f.Status = 503
		return f
	}
	return d.send(c, outbound{method: methodOf(c), url: to})
}

func valueString(v any) string { return message.ValueString(v) }

// ToAddress returns the implicit endpoint of a send or call without an
// endpoint: it delivers to the message's To address with the global
// timeout, as Synapse's implicit send does. It has no state machine.
func ToAddress() engine.Endpoint { return toAddress{} }

type toAddress struct{}

func (toAddress) Name() string { return "" }

func (toAddress) Send(c *engine.Context) error {
	to := c.Msg.To
	if !strings.HasPrefix(to, "http://") && !strings.HasPrefix(to, "https://") {
		f := fault.Newf(fault.EndpointAddressNoneReady, "the message has no destination address (To is %q); give the send or call an endpoint, or set To with <header name=\"To\" value=\"http://...\"/>", to)
		f.Status = 503
		return f
	}
	return deliver(c, &Definition{InitialDuration: -1, Factor: 1}, outbound{method: methodOf(c), url: to})
}

// FixedURL returns an anonymous address endpoint that sends to url exactly
// (no REST_URL_POSTFIX), used by callout's serviceURL; b places its state
// tracker.
func FixedURL(b registry.Builder, el *config.Element, url string) engine.Endpoint {
	d := &Definition{InitialDuration: -1, Factor: 1}
	return &fixedURL{leaf: newLeaf(b, el, d, "Address endpoint"), url: url}
}

type fixedURL struct {
	leaf
	url string
}

func (f *fixedURL) Name() string { return "" }

// Kind is the endpoint's element.
func (f *fixedURL) Kind() string { return "address" }

func (f *fixedURL) Send(c *engine.Context) error {
	return f.send(c, outbound{method: methodOf(c), url: f.url})
}
