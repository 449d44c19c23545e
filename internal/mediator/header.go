package mediator

import (
	"net/http"
	"strings"

	"github.com/busbar/busbar/internal/compile"
	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/expr"
	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/xmltree"
)

func init() {
	registry.RegisterMediator(registry.Spec{
		Element: "header",
		Aliases: []string{"org.apache.synapse.mediators.transform.HeaderMediator"},
		Summary: "Sets or removes a SOAP header block, a WS-Addressing property of the message (To, From, Action, FaultTo, ReplyTo, RelatesTo), or, with scope=\"transport\", an HTTP header.",
		Doc: "In the default scope `name` is a prefixed QName whose prefix is declared on the element or above it. Setting " +
			"adds a header block with that name and the value as text (type=\"OM\": the value parsed as XML, as a child) to " +
			"the envelope's soapenv:Header, creating the Header when needed and replacing blocks with the same namespace and " +
			"local name; removing deletes every such block. Without a name, the element's XML children are added as header " +
			"blocks in the same way.\n\n" +
			"The unprefixed names To, From, Action, FaultTo, ReplyTo and RelatesTo set the message's addressing properties " +
			"instead and leave the envelope alone: To is the address that a `<send/>` or `<call/>` without an endpoint, or a " +
			"`<default/>` endpoint, delivers to; the others are what get-property('From') and friends return, and Action is " +
			"logged as WSAction (it does not change the SOAPAction HTTP header, as in MI; set that with scope=\"transport\"). " +
			"Any other unprefixed name is a configuration error, as in MI.\n\n" +
			"With scope=\"transport\" the name is an HTTP header name; the body is read only if the expression needs it. " +
			"On a JSON message a SOAP header is visible to XPath ($header) but, as in MI, never changes the JSON that is sent.",
		Attrs: []registry.Attr{
			{Name: "name", Doc: "Header QName (default scope) or HTTP header name (transport scope)."},
			{Name: "value", Doc: "Literal value."},
			{Name: "expression", Type: "expression", Doc: "XPath or json-eval(...) whose string value is used."},
			{Name: "action", Type: "enum", Default: "set", Values: []string{"set", "remove"}, Doc: "remove needs a name."},
			{Name: "scope", Type: "enum", Default: "default", Values: []string{"default", "transport"}, Doc: "default: SOAP header or addressing; transport: HTTP header."},
			{Name: "type", Type: "enum", Default: "STRING", Values: []string{"STRING", "OM"}, Doc: "OM parses the value as XML and adds it as the block's child."},
		},
		AnyChildren: true,
		Examples: []registry.Example{
			{
				Title:     "Add a SOAP header block",
				Config:    `<header xmlns:t="urn:trace" name="t:TraceId" expression="concat('trace-', //ping/@n)"/>`,
				Input:     `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><ping n="7"/></soapenv:Body></soapenv:Envelope>`,
				InputType: "text/xml",
				Output: `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header><t:TraceId xmlns:t="urn:trace">trace-7</t:TraceId></soapenv:Header>` +
					`<soapenv:Body><ping n="7"/></soapenv:Body></soapenv:Envelope>`,
			},
			{
				Title: "Remove a security header before calling a backend",
				Config: `<header xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" ` +
					`name="wsse:Security" action="remove"/>`,
				Input: `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header>` +
					`<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"><token/></wsse:Security>` +
					`</soapenv:Header><soapenv:Body><ping/></soapenv:Body></soapenv:Envelope>`,
				InputType: "text/xml",
				Output:    `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header/><soapenv:Body><ping/></soapenv:Body></soapenv:Envelope>`,
			},
			{
				Title:  "Route with the To address",
				Config: `<header name="To" value="http://backend.example/orders"/><property name="dest" expression="get-property('To')"/>`,
				Input:  `{"id":1}`, InputType: "application/json",
				Props: map[string]string{"dest": "http://backend.example/orders"}, Output: `{"id":1}`,
			},
		},
		Differences: []string{
			"Setting a SOAP header replaces the blocks with the same namespace and local name; MI adds another block.",
			"action must be set or remove and scope default or transport; MI treats other action values as set.",
		},
	}, newHeader)
}

// wsaNames are the unprefixed header names that MI maps onto the message's
// addressing properties (SynapseConstants.HEADER_*). MessageID is not one
// of them in MI's factory, so it is rejected like any unqualified name.
var wsaNames = []string{"To", "From", "Action", "FaultTo", "ReplyTo", "RelatesTo"}

// headerMediator is a compiled <header>.
type headerMediator struct {
	remove    bool
	transport bool
	// httpName is the HTTP header (transport scope).
	httpName string
	// wsa is the addressing property (default scope, unprefixed name).
	wsa string
	// qname is the SOAP header block's name; blocks are inline header
	// elements (no name).
	qname  xmltree.Name
	blocks []*xmltree.Node
	val    expr.Param
	om     bool
}

func newHeader(b registry.Builder, el *config.Element) (engine.Mediator, error) {
	h := &headerMediator{
		remove:    registry.Enum(b, el, "action", "set", "set", "remove") == "remove",
		transport: registry.Enum(b, el, "scope", "default", "default", "transport") == "transport",
		om:        registry.Enum(b, el, "type", "STRING", "STRING", "OM") == "OM",
	}
	var inline []*config.Element
	for _, c := range el.Children {
		if !(c.IsSynapse() && c.Name.Local == "description") {
			inline = append(inline, c)
		}
	}
	name := el.Attr("name")
	switch {
	case name == nil && len(inline) == 0:
		b.Errorf(el.Pos, "<header> needs a name attribute, or XML header elements as children")
		return h, nil
	case name == nil:
		h.compileInline(b, el, inline)
		return h, nil
	case len(inline) > 0:
		b.Errorf(inline[0].Pos, "a <header> with a name takes its value from value or expression, not from child elements")
	}
	h.compileName(b, el, name)
	if !h.remove {
		h.val, _ = registry.ValueOrExpr(b, el, "value", "expression", true)
	}
	return h, nil
}

func (h *headerMediator) compileInline(b registry.Builder, el *config.Element, inline []*config.Element) {
	switch {
	case h.remove:
		b.Errorf(el.Pos, "<header action=\"remove\"> needs the name of the header to remove")
	case h.transport:
		b.Errorf(el.Pos, "an HTTP header (scope=\"transport\") needs a name and a value or expression")
	}
	for _, a := range []string{"value", "expression"} {
		if at := el.Attr(a); at != nil {
			b.Errorf(at.Pos, "a <header> without a name adds its child elements; %s is not used", a)
		}
	}
	for _, c := range inline {
		if c.Name.Space == "" {
			b.Errorf(c.Pos, "SOAP header blocks must be namespace qualified; <%s> has no namespace", c.Display())
			continue
		}
		h.blocks = append(h.blocks, compile.ToXMLTree(c))
	}
}

func (h *headerMediator) compileName(b registry.Builder, el *config.Element, a *config.Attr) {
	v := strings.TrimSpace(a.Value)
	if h.transport {
		if v == "" {
			b.Errorf(a.Pos, "<header> needs a non-empty name")
		}
		h.httpName = v
		return
	}
	prefix, local, ok := strings.Cut(v, ":")
	if !ok {
		for _, w := range wsaNames {
			if v == w {
				h.wsa = w
				return
			}
		}
		b.Errorf(a.Pos, "invalid SOAP header %q: SOAP headers must be namespace qualified (prefix:name with the prefix declared), "+
			"or one of the addressing names %s", a.Value, strings.Join(wsaNames, ", "))
		return
	}
	uri, found := el.LookupNS(prefix)
	if !found || uri == "" || local == "" || strings.Contains(local, ":") {
		b.Errorf(a.Pos, "invalid namespace prefix %q in name=%q: declare it with xmlns:%s on the element or above it", prefix, a.Value, prefix)
		return
	}
	h.qname = xmltree.Name{Space: uri, Local: local, Prefix: prefix}
}

func (h *headerMediator) Mediate(c *engine.Context) (bool, error) {
	m := c.Msg
	var v string
	if !h.remove && len(h.blocks) == 0 {
		var err error
		if v, err = h.val.Eval(c.Msg); err != nil {
			return false, err
		}
	}
	if h.transport && m.Header == nil {
		m.Header = http.Header{}
	}
	switch {
	case h.transport && h.remove:
		m.Header.Del(h.httpName)
	case h.transport:
		m.Header.Set(h.httpName, v)
	case h.wsa != "":
		setAddressing(m, h.wsa, v, h.remove)
	default:
		if err := h.editEnvelope(m, v); err != nil {
			return false, err
		}
	}
	return true, nil
}

// setAddressing sets or clears one of the message's WS-Addressing headers,
// which get-property reads ahead of properties, as in MI.
func setAddressing(m *message.Message, name, v string, remove bool) {
	if remove {
		v = ""
	}
	switch name {
	case "To":
		m.To = v
	case "From":
		m.From = v
	case "ReplyTo":
		m.ReplyTo = v
	case "FaultTo":
		m.FaultTo = v
	case "RelatesTo":
		m.RelatesTo = v
	case "Action":
		m.Action = v
	}
}

// editEnvelope adds or removes SOAP header blocks.
func (h *headerMediator) editEnvelope(m *message.Message, v string) error {
	var add []*xmltree.Node
	switch {
	case len(h.blocks) > 0:
		for _, b := range h.blocks {
			add = append(add, b.Clone())
		}
	case !h.remove:
		blk, err := h.block(v)
		if err != nil {
			return err
		}
		add = append(add, blk)
	}
	env, err := m.Body.Envelope()
	if err != nil {
		return err
	}
	hdr := message.SOAPHeader(env)
	if h.remove {
		if hdr == nil || removeBlocks(hdr, h.qname.Space, h.qname.Local) == 0 {
			return nil // nothing changed: keep the body as it came
		}
	} else if hdr == nil {
		hdr = message.EnsureSOAPHeader(env)
	}
	for _, blk := range add {
		removeBlocks(hdr, blk.Name.Space, blk.Name.Local)
		hdr.AppendChild(blk)
	}
	// A JSON message is written from its JSON; marking the envelope as
	// authoritative would round-trip the JSON through XML for a header that
	// has no place on the wire (MI keeps the JSON stream untouched too).
	if m.Body.Format() != message.FormatJSON {
		m.Body.XMLChanged()
	}
	return nil
}

// block builds the header block for a value.
func (h *headerMediator) block(v string) (*xmltree.Node, error) {
	blk := xmltree.NewElement(h.qname.Space, h.qname.Local, h.qname.Prefix)
	blk.NS = []xmltree.NSDecl{{Prefix: h.qname.Prefix, URI: h.qname.Space}}
	if !h.om {
		blk.AppendChild(xmltree.NewText(v))
		return blk, nil
	}
	child, err := xmltree.ParseElement([]byte(v))
	if err != nil {
		return nil, fault.Newf(fault.DefaultError, "header %s:%s of type OM: the value is not XML: %v", h.qname.Prefix, h.qname.Local, err)
	}
	blk.AppendChild(child)
	return blk, nil
}

// removeBlocks deletes the header blocks with an expanded name and says
// how many there were.
func removeBlocks(hdr *xmltree.Node, space, local string) int {
	n := 0
	for c := hdr.FirstChild; c != nil; {
		next := c.NextSibling
		if c.Type == xmltree.ElementNode && c.Name.Space == space && c.Name.Local == local {
			c.Remove()
			n++
		}
		c = next
	}
	return n
}
