package mediator

import (
	"net/http"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/endpoint"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/expr"
	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/xmltree"
)

func init() {
	registry.RegisterMediator(registry.Spec{
		Element: "callout",
		Aliases: []string{"org.apache.synapse.mediators.builtin.CalloutMediator"},
		Summary: "Makes a blocking SOAP call with part of the message and puts the answer into the message, then continues.",
		Doc: "<source> picks what is sent: xpath (the first selected element goes into a new SOAP body), key (a property " +
			"holding XML), or type=\"envelope\" (the whole envelope; also the default). <target> receives the first element " +
			"of the response body at an xpath or in a property (key); without a target the response envelope replaces the " +
			"message. Failures are blocking-sender faults (ERROR_CODE 401002).",
		Attrs: []registry.Attr{
			{Name: "serviceURL", Type: "url", Doc: "Backend URL (or use endpointKey)."},
			{Name: "endpointKey", Type: "key", Doc: "Named endpoint to call."},
			{Name: "action", Doc: "SOAPAction to send."},
			{Name: "initAxis2ClientOptions", Type: "bool"},
			{Name: "useServerConfig"},
		},
		Children: []registry.Child{
			{Name: "source", Doc: "xpath, key, or type=\"envelope\"."},
			{Name: "target", Doc: "xpath or key."},
			{Name: "configuration", Doc: "Axis2 repository settings (ignored)."},
			{Name: "enableSec", Doc: "WS-Security (not supported)."},
		},
	}, newCallout)
}

type callout struct {
	ep       engine.EndpointRef
	action   string
	srcXPath *expr.Expr
	srcKey   string
	tgtXPath *expr.Expr
	tgtKey   string
	envelope bool
}

func newCallout(b registry.Builder, el *config.Element) (engine.Mediator, error) {
	c := &callout{action: el.Get("action")}
	switch {
	case el.Get("serviceURL") != "":
		c.ep = engine.EndpointRef{EP: endpoint.FixedURL(b, el, el.Get("serviceURL"))}
	case el.Get("endpointKey") != "":
		c.ep = b.EndpointRef(el.Get("endpointKey"), el.Pos)
	default:
		b.Errorf(el.Pos, "<callout> needs serviceURL or endpointKey")
	}
	if s := el.Child("source"); s != nil {
		switch {
		case s.Get("xpath") != "":
			c.srcXPath = b.Expr(s, s.Get("xpath"), s.Attr("xpath").Pos)
		case s.Get("key") != "":
			c.srcKey = s.Get("key")
		case s.Get("type") == "envelope":
			c.envelope = true
		default:
			b.Errorf(s.Pos, "<source> needs xpath, key or type=\"envelope\"")
		}
	} else {
		c.envelope = true
	}
	if t := el.Child("target"); t != nil {
		switch {
		case t.Get("xpath") != "":
			c.tgtXPath = b.Expr(t, t.Get("xpath"), t.Attr("xpath").Pos)
		case t.Get("key") != "":
			c.tgtKey = t.Get("key")
		default:
			b.Errorf(t.Pos, "<target> needs xpath or key")
		}
	}
	if s := el.Child("enableSec"); s != nil {
		b.Errorf(s.Pos, "WS-Security in callout is not supported by Busbar")
	}
	return c, nil
}

func (co *callout) Mediate(c *engine.Context) (bool, error) {
	req, err := co.request(c.Msg)
	if err != nil {
		return false, err
	}
	ep, err := co.ep.Resolve(c.G)
	if err != nil {
		return false, err
	}
	orig := c.Msg
	c.Msg = req
	err = c.Call(ep)
	c.Msg = orig
	if err != nil {
		return false, blockingFault(orig, fault.Wrap(err))
	}
	if req.Status >= 400 && !isSOAPFaultResponse(req) {
		orig.Status = req.Status
		return false, blockingStatusFault(orig)
	}
	return true, co.place(orig, req)
}

func isSOAPFaultResponse(m *message.Message) bool {
	env, err := m.Body.Envelope()
	return err == nil && message.IsSOAPFault(env)
}

// request builds the SOAP message the callout sends.
func (co *callout) request(m *message.Message) (*message.Message, error) {
	req := message.New()
	req.Method = http.MethodPost
	req.Header.Set("Content-Type", "text/xml; charset=UTF-8")
	if co.action != "" {
		req.Header.Set("SOAPAction", `"`+co.action+`"`)
	}
	doc, env, body := message.NewEnvelope(message.FormatSOAP11)
	var payload *xmltree.Node
	switch {
	case co.srcXPath != nil:
		nodes, err := co.srcXPath.EvalNodes(m)
		if err != nil {
			return nil, err
		}
		if len(nodes) == 0 || nodes[0].Node().Type != xmltree.ElementNode || nodes[0].IsAttr() {
			return nil, fault.Newf(fault.DefaultError, "callout source %s selects no element", co.srcXPath)
		}
		payload = nodes[0].Node().Clone()
	case co.srcKey != "":
		v, _ := m.Get("", co.srcKey)
		n, ok := v.(*xmltree.Node)
		if !ok {
			el, err := xmltree.ParseElement([]byte(message.ValueString(v)))
			if err != nil {
				return nil, fault.Newf(fault.DefaultError, "callout source property %s does not hold XML: %v", co.srcKey, err)
			}
			n = el
		}
		payload = n.Clone()
	default:
		menv, err := m.Body.Envelope()
		if err != nil {
			return nil, err
		}
		d := &xmltree.Node{Type: xmltree.DocumentNode}
		d.AppendChild(menv.Clone())
		req.Body.SetEnvelope(d, d.DocumentElement(), message.FormatSOAP11)
		return req, nil
	}
	body.AppendChild(payload)
	req.Body.SetEnvelope(doc, env, message.FormatSOAP11)
	return req, nil
}

// place puts the response into the original message.
func (co *callout) place(m, resp *message.Message) error {
	renv, err := resp.Body.Envelope()
	if err != nil {
		return err
	}
	first := message.SOAPBody(renv).FirstChildElement()
	switch {
	case co.tgtXPath != nil:
		nodes, err := co.tgtXPath.EvalNodes(m)
		if err != nil {
			return err
		}
		if len(nodes) == 0 || nodes[0].IsAttr() {
			return fault.Newf(fault.DefaultError, "callout target %s selects no element", co.tgtXPath)
		}
		if first != nil {
			nodes[0].Node().ReplaceWith(first.Clone())
		} else {
			nodes[0].Node().Remove()
		}
		m.Body.XMLChanged()
	case co.tgtKey != "":
		if first != nil {
			m.Set("", co.tgtKey, first.Clone())
		} else {
			m.Remove("", co.tgtKey)
		}
	default:
		d := &xmltree.Node{Type: xmltree.DocumentNode}
		d.AppendChild(renv.Clone())
		m.Body.SetEnvelope(d, d.DocumentElement(), message.FormatSOAP11)
	}
	return nil
}
