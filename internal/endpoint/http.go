package endpoint

import (
	"strings"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/uritemplate"
)

func init() {
	registry.RegisterEndpoint(registry.Spec{
		Element: "http",
		Aliases: []string{"org.apache.synapse.endpoints.HTTPEndpoint"},
		Summary: "Sends to a URL built from an RFC 6570 uri-template filled from message properties, with an optional fixed method.",
		Doc: "Variables in the template are message properties, e.g. `{uri.var.id}` (set by an API resource template) " +
			"or `{query.param.q}`; `{+var}` keeps reserved characters. REST_URL_POSTFIX is not appended.",
		Attrs: []registry.Attr{
			{Name: "uri-template", Type: "uri-template", Required: true, Doc: "RFC 6570 template of the backend URL."},
			{Name: "method", Type: "enum", Values: []string{"get", "post", "put", "delete", "patch", "head", "options"}, Doc: "HTTP method; default: the message's method."},
			{Name: "format", Type: "enum", Values: []string{"soap11", "soap12", "pox", "json", "get", "rest"}},
		},
		Children: definitionChildren,
	}, newHTTP)
}

// HTTP is an <http> endpoint.
type HTTP struct {
	leaf
	tmpl   *uritemplate.Expansion
	method string
}

func newHTTP(b registry.Builder, el *config.Element, name string) (engine.Endpoint, error) {
	src := el.Get("uri-template")
	src = strings.TrimPrefix(src, "legacy-encoding:")
	t, err := uritemplate.ParseExpansion(src)
	if err != nil {
		b.Errorf(el.Pos, "%v", err)
	}
	method := ""
	if el.Get("method") != "" {
		method = strings.ToUpper(registry.Enum(b, el, "method", "", "get", "post", "put", "delete", "patch", "head", "options"))
	}
	d := ParseDefinition(b, el, name)
	return &HTTP{leaf: newLeaf(b, el, d, "HTTP endpoint"), tmpl: t, method: method}, nil
}

// Name is the endpoint's name.
func (h *HTTP) Name() string { return h.def.Name }

// Kind is the endpoint's element.
func (h *HTTP) Kind() string { return "http" }

// Send expands the template and delivers the message.
func (h *HTTP) Send(c *engine.Context) error {
	m := c.Msg
	u := h.tmpl.Expand(func(name string) (string, bool) {
		v, ok := m.Get("", name)
		if !ok {
			return "", false
		}
		return valueString(v), true
	})
	method := h.method
	if method == "" {
		method = methodOf(c)
	} else {
		m.Method = method
	}
	return h.send(c, outbound{method: method, url: u})
}
