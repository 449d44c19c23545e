package endpoint

import (
	"net/url"
	"strings"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/registry"
)

func init() {
	registry.RegisterEndpoint(registry.Spec{
		Element: "address",
		Aliases: []string{"org.apache.synapse.endpoints.AddressEndpoint"},
		Summary: "Sends to a fixed URL; REST_URL_POSTFIX (the request path below an API or proxy) is appended.",
		Doc: "The address endpoint delivers the message to `uri` with the message's HTTP method. When the message came in " +
			"through an API or a proxy sub-path, the part of the path below the API context is appended to the URI " +
			"(MI's REST_URL_POSTFIX); remove that property in axis2 scope to send to the URI exactly.",
		Attrs: []registry.Attr{
			{Name: "uri", Type: "url", Required: true, Doc: "Backend URL (http or https)."},
			{Name: "format", Type: "enum", Values: []string{"soap11", "soap12", "pox", "json", "get", "rest"}, Doc: "Convert the message before sending."},
			{Name: "optimize", Type: "enum", Values: []string{"mtom", "swa"}, Doc: "Not supported; warned."},
			{Name: "encoding", Type: "string", Doc: "Character encoding (UTF-8 only)."},
		},
		Children: definitionChildren,
	}, newAddress)
}

// Address is an <address> endpoint.
type Address struct {
	leaf
	uri string
}

func newAddress(b registry.Builder, el *config.Element, name string) (engine.Endpoint, error) {
	uri := strings.TrimSpace(el.Get("uri"))
	if u, err := url.Parse(uri); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		b.Errorf(el.Pos, "address uri %q is not an http or https URL", uri)
	}
	if f := el.Get("format"); f != "" {
		registry.Enum(b, el, "format", "", "soap11", "soap12", "pox", "json", "get", "rest")
	}
	if el.Get("optimize") != "" {
		b.Warnf(el.Pos, "optimize=%q (MTOM/SwA) is not supported; the message is sent as is", el.Get("optimize"))
	}
	d := ParseDefinition(b, el, name)
	return &Address{leaf: newLeaf(b, el, d, "Address endpoint"), uri: uri}, nil
}

// Name is the endpoint's name ("" for anonymous ones).
func (a *Address) Name() string { return a.def.Name }

// Kind is the endpoint's element.
func (a *Address) Kind() string { return "address" }

// Send delivers the message.
func (a *Address) Send(c *engine.Context) error {
	return a.send(c, outbound{method: methodOf(c), url: joinPostfix(a.uri, c.Msg)})
}

func methodOf(c *engine.Context) string {
	if m := c.Msg.Method; m != "" {
		return m
	}
	return "POST"
}
