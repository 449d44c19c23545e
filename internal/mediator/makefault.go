package mediator

import (
	"net/url"
	"slices"
	"strings"

	"github.com/busbar/busbar/internal/compile"
	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/expr"
	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/xmltree"
	"github.com/busbar/busbar/internal/xpath"
)

func init() {
	registry.RegisterMediator(registry.Spec{
		Element: "makefault",
		Aliases: []string{"org.apache.synapse.mediators.transform.FaultMediator"},
		Summary: "Turns the message into a SOAP 1.1, SOAP 1.2 or plain-XML fault; a following <respond/> or <send/> returns it with HTTP 500.",
		Doc: "SOAP faults (version soap11, the default, or soap12) get a new envelope with an empty Header into which the " +
			"original SOAP header blocks are moved, a Fault with the code, the reason (SOAP 1.2: xml:lang=\"en\"), the " +
			"node (SOAP 1.2 only), the role (faultactor in SOAP 1.1) and the detail. `<code value=\"prefix:Name\">` must " +
			"use the SOAP envelope namespace of the version and one of its codes (SOAP 1.1: VersionMismatch, " +
			"MustUnderstand, Client, Server; SOAP 1.2: VersionMismatch, MustUnderstand, DataEncodingUnknown, Sender, " +
			"Receiver); `<code expression>` gives the local name, unchecked. <detail> is an expression (selected nodes " +
			"are copied, anything else becomes text), child elements (which, as in MI, keep the Synapse namespace " +
			"unless written with xmlns=\"\"), or text. RelatesTo becomes the original message ID and To becomes " +
			"FaultTo, else ReplyTo (the addressing headers the header mediator sets), else empty.\n\n" +
			"version=\"pox\" replaces the first element of the body with <Exception> holding, in this order of " +
			"preference, the detail text, the detail expression, the reason value or the reason expression; code and " +
			"reason are optional.\n\n" +
			"The message is marked as a fault, so the client gets HTTP 500 unless FAULTS_AS_HTTP_200 is true or HTTP_SC " +
			"is set, and (unless response=\"false\") as a response whose To is ReplyTo. A SOAP message keeps the fault's SOAP version; other " +
			"messages keep their format, so a JSON client gets the fault as JSON. makefault does not send anything.",
		Attrs: []registry.Attr{
			{Name: "version", Type: "enum", Values: []string{"soap11", "soap12", "pox"}, Default: "soap11", Doc: "Kind of fault to build."},
			{Name: "response", Type: "bool", Default: "true", Doc: "Mark the message as a response."},
		},
		Children: []registry.Child{
			{Name: "code", Doc: "value=\"prefix:Name\" or expression=\"xpath\"; required except for pox."},
			{Name: "reason", Doc: "value or expression; required except for pox."},
			{Name: "node", Doc: "URI of the SOAP 1.2 node that failed."},
			{Name: "role", Doc: "URI of the role (SOAP 1.1 faultactor, SOAP 1.2 Role)."},
			{Name: "detail", Doc: "expression=\"xpath\", child elements, or text."},
		},
		Examples: []registry.Example{
			{
				Title: "SOAP 1.1 fault answered to the client",
				Config: `<makefault version="soap11"><code xmlns:soap11Env="http://schemas.xmlsoap.org/soap/envelope/" value="soap11Env:Client"/>` +
					`<reason expression="concat('Unknown symbol ', //symbol)"/><detail>Try another one.</detail></makefault><respond/>`,
				Input:     `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><getQuote><symbol>XYZ</symbol></getQuote></soapenv:Body></soapenv:Envelope>`,
				InputType: "text/xml",
				Output: `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header/><soapenv:Body><soapenv:Fault>` +
					`<faultcode xmlns:soap11Env="http://schemas.xmlsoap.org/soap/envelope/">soap11Env:Client</faultcode><faultstring>Unknown symbol XYZ</faultstring>` +
					`<detail>Try another one.</detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`,
				OutputType: "text/xml",
			},
			{
				Title: "SOAP 1.2 fault with node, role and detail elements",
				Config: `<makefault version="soap12" xmlns:s12="http://www.w3.org/2003/05/soap-envelope"><code value="s12:Receiver"/><reason value="Backend down"/>` +
					`<node>http://busbar/node</node><role>http://busbar/role</role><detail><retryAfter xmlns="">30</retryAfter></detail></makefault>`,
				Input:     `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><ping/></s:Body></s:Envelope>`,
				InputType: "application/soap+xml",
				Output: `<soapenv:Envelope xmlns:soapenv="http://www.w3.org/2003/05/soap-envelope"><soapenv:Header/><soapenv:Body><soapenv:Fault>` +
					`<soapenv:Code><soapenv:Value xmlns:s12="http://www.w3.org/2003/05/soap-envelope">s12:Receiver</soapenv:Value></soapenv:Code>` +
					`<soapenv:Reason><soapenv:Text xml:lang="en">Backend down</soapenv:Text></soapenv:Reason><soapenv:Node>http://busbar/node</soapenv:Node>` +
					`<soapenv:Role>http://busbar/role</soapenv:Role><soapenv:Detail><retryAfter>30</retryAfter></soapenv:Detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`,
				OutputType: "application/soap+xml",
			},
			{
				Title:     "Plain fault for a JSON client",
				Config:    `<makefault version="pox"><reason expression="concat('no stock for ', //item)"/></makefault><respond/>`,
				Input:     `{"item":"pen"}`,
				InputType: "application/json",
				Output:    `{"Exception":"no stock for pen"}`, OutputType: "application/json",
			},
		},
		Differences: []string{
			"A <node> without a version attribute is a configuration error; MI's factory fails with a NullPointerException.",
		},
	}, newMakefault)
}

// faultVersion is the kind of fault makefault builds.
type faultVersion uint8

const (
	faultSOAP11 faultVersion = iota
	faultSOAP12
	faultPOX
)

// Fault codes each SOAP version defines (SOAP11Constants, SOAP12Constants).
var faultCodes = map[faultVersion][]string{
	faultSOAP11: {"VersionMismatch", "MustUnderstand", "Client", "Server"},
	faultSOAP12: {"VersionMismatch", "MustUnderstand", "DataEncodingUnknown", "Sender", "Receiver"},
}

// makefault is a compiled <makefault>; it is immutable once built.
type makefault struct {
	version  faultVersion
	response bool
	// code and codePrefix are a checked <code value>; codeEx is <code
	// expression> instead.
	code, codePrefix string
	codeEx           *expr.Expr
	reason           expr.Param
	hasReason        bool
	node, role       *string
	detailText       *string
	detailEx         *expr.Expr
	detailEls        []*xmltree.Node
}

func newMakefault(b registry.Builder, el *config.Element) (engine.Mediator, error) {
	f := &makefault{response: true}
	versionSet := faultVersionOf(b, el, f)
	if a := el.Attr("response"); a != nil {
		switch a.Value {
		case "true":
		case "false":
			f.response = false
		default:
			b.Errorf(a.Pos, "response=%q must be true or false", a.Value)
		}
	}
	f.compileCode(b, el)
	if r := el.Child("reason"); r != nil {
		warnChildAttrs(b, r, "value", "expression")
		f.reason, f.hasReason = faultParam(b, r, "reason")
	} else if f.version != faultPOX {
		b.Errorf(el.Pos, "<makefault> needs a <reason> unless version=\"pox\"")
	}
	if n := el.Child("node"); n != nil {
		switch {
		case !versionSet:
			b.Errorf(n.Pos, "a <node> is only for SOAP 1.2 faults; give the version attribute (version=\"soap12\")")
		case f.version != faultSOAP12:
			b.Warnf(n.Pos, "<node> is ignored: only SOAP 1.2 faults have a node")
		default:
			f.node = faultURI(b, n, "node")
		}
	}
	if r := el.Child("role"); r != nil {
		f.role = faultURI(b, r, "role")
	}
	if d := el.Child("detail"); d != nil {
		f.compileDetail(b, d)
	}
	return f, nil
}

// faultVersionOf reads version (exact spelling, as MI compares it) and
// reports whether it was given.
func faultVersionOf(b registry.Builder, el *config.Element, f *makefault) bool {
	a := el.Attr("version")
	if a == nil {
		return false
	}
	switch a.Value {
	case "soap11":
	case "soap12":
		f.version = faultSOAP12
	case "pox":
		f.version = faultPOX
	default:
		b.Errorf(a.Pos, "version=%q must be soap11, soap12 or pox", a.Value)
	}
	return true
}

// compileCode reads <code>: a value is a QName whose prefix must be bound,
// and for SOAP faults it must be one of the version's codes in its envelope
// namespace, as MI's FaultMediatorFactory checks.
func (f *makefault) compileCode(b registry.Builder, el *config.Element) {
	c := el.Child("code")
	if c == nil {
		if f.version != faultPOX {
			b.Errorf(el.Pos, "<makefault> needs a <code> unless version=\"pox\"")
		}
		return
	}
	warnChildAttrs(b, c, "value", "expression")
	a := c.Attr("value")
	if a == nil {
		if x := c.Attr("expression"); x != nil {
			f.codeEx = b.Expr(c, x.Value, x.Pos)
		} else {
			b.Errorf(c.Pos, "<code> needs a value (prefix:name) or an expression attribute")
		}
		return
	}
	if c.Attr("expression") != nil {
		b.Warnf(c.Pos, "<code> has both value and expression; the value is used, as in MI")
	}
	prefix, local, ok := strings.Cut(a.Value, ":")
	if !ok {
		b.Errorf(a.Pos, "code value %q must be a QName, prefix:name", a.Value)
		return
	}
	ns, bound := c.LookupNS(prefix)
	if !bound || ns == "" {
		b.Errorf(a.Pos, "the prefix %q of code value %q is not bound to a namespace", prefix, a.Value)
		return
	}
	if f.version != faultPOX {
		want := faultEnvNS(f.version)
		if ns != want {
			b.Errorf(a.Pos, "code value %q: a %s fault code must be in the namespace %s, not %s", a.Value, f.versionName(), want, ns)
			return
		}
		if !slices.Contains(faultCodes[f.version], local) {
			b.Errorf(a.Pos, "code value %q: a %s fault code is one of %s", a.Value, f.versionName(), strings.Join(faultCodes[f.version], ", "))
			return
		}
	}
	f.code, f.codePrefix = local, prefix
}

func (f *makefault) versionName() string {
	return [...]string{"soap11", "soap12", "pox"}[f.version]
}

func faultEnvNS(v faultVersion) string {
	if v == faultSOAP12 {
		return message.NSSOAP12
	}
	return message.NSSOAP11
}

// faultParam reads a value or expression attribute; the value wins when
// both are given, as in MI.
func faultParam(b registry.Builder, el *config.Element, what string) (expr.Param, bool) {
	if v, ok := el.AttrValue("value"); ok {
		if el.Attr("expression") != nil {
			b.Warnf(el.Pos, "<%s> has both value and expression; the value is used, as in MI", what)
		}
		return expr.Param{Lit: v}, true
	}
	if x := el.Attr("expression"); x != nil {
		e := b.Expr(el, x.Value, x.Pos)
		return expr.Param{Ex: e}, e != nil
	}
	b.Errorf(el.Pos, "<%s> needs a value or an expression attribute", what)
	return expr.Param{}, false
}

// faultURI reads the URI text of <node> or <role>, which MI parses as a
// java.net.URI.
func faultURI(b registry.Builder, el *config.Element, what string) *string {
	s := el.Text()
	if !validURI(s) {
		b.Errorf(el.Pos, "<%s> %q is not a valid URI", what, s)
		return nil
	}
	return &s
}

// validURI approximates java.net.URI's syntax check: no spaces, control
// characters or characters URIs must escape, and escapes well formed.
func validURI(s string) bool {
	for _, r := range s {
		if r <= ' ' || r == 0x7f || strings.ContainsRune("\"<>\\^`{|}", r) {
			return false
		}
	}
	_, err := url.Parse(s)
	return err == nil
}

// compileDetail reads <detail>: an expression, else its child elements,
// else its text (empty for <detail/>).
func (f *makefault) compileDetail(b registry.Builder, d *config.Element) {
	warnChildAttrs(b, d, "expression")
	if x := d.Attr("expression"); x != nil {
		f.detailEx = b.Expr(d, x.Value, x.Pos)
		return
	}
	if len(d.Children) > 0 {
		for _, c := range d.Children {
			f.detailEls = append(f.detailEls, compile.ToXMLTree(c))
		}
		return
	}
	t := d.Text()
	f.detailText = &t
}

func (f *makefault) Mediate(c *engine.Context) (bool, error) {
	m := c.Msg
	var err error
	if f.version == faultPOX {
		err = f.makePOX(m)
	} else {
		err = f.makeSOAP(m)
	}
	if err != nil {
		return false, err
	}
	m.Set(message.ScopeDefault, engine.PropFaultResponse, "true")
	if f.response {
		m.Response = true
		m.To = m.ReplyTo
	}
	return true, nil
}

// makeSOAP replaces the envelope with a SOAP fault envelope
// (FaultMediator.makeSOAPFault).
func (f *makefault) makeSOAP(m *message.Message) error {
	ver := message.FormatSOAP11
	if f.version == faultSOAP12 {
		ver = message.FormatSOAP12
	}
	doc, env, body := message.NewEnvelope(ver)
	header := message.EnsureSOAPHeader(env)
	flt := xmltree.NewElement(env.Name.Space, "Fault", "soapenv")
	body.AppendChild(flt)
	if err := f.faultCode(m, flt); err != nil {
		return err
	}
	if err := f.faultReason(m, flt); err != nil {
		return err
	}
	if f.node != nil {
		flt.AppendChild(faultTextElement(env.Name.Space, "Node", "soapenv", *f.node))
	}
	if f.role != nil {
		if f.version == faultSOAP12 {
			flt.AppendChild(faultTextElement(env.Name.Space, "Role", "soapenv", *f.role))
		} else {
			flt.AppendChild(faultTextElement("", "faultactor", "", *f.role))
		}
	}
	if err := f.faultDetail(m, flt); err != nil {
		return err
	}
	moveHeaderBlocks(m, header)
	f.install(m, doc, env, ver)
	m.To = m.FaultTo
	if m.To == "" {
		m.To = m.ReplyTo
	}
	m.RelatesTo = m.ID
	return nil
}

// install makes the fault envelope the body. A SOAP (or empty) message
// takes the fault's SOAP version, as Axis2 does when the envelope changes;
// other formats stay, so the fault is written as JSON to a JSON client.
func (f *makefault) install(m *message.Message, doc, env *xmltree.Node, ver message.Format) {
	format := message.FormatNone
	switch m.Body.Format() {
	case message.FormatSOAP11, message.FormatSOAP12, message.FormatNone:
		format = ver
	}
	m.Body.SetEnvelope(doc, env, format)
	if v, ok := m.Get(message.ScopeAxis2, message.PropMessageType); ok {
		if mt := message.MediaType(message.ValueString(v)); mt == message.CTSOAP11 || mt == message.CTSOAP12 {
			m.Set(message.ScopeAxis2, message.PropMessageType, message.ContentTypeOf(ver))
		}
	}
}

// moveHeaderBlocks moves the original message's SOAP header blocks into the
// fault's header. A body that is not parsed and is not SOAP has none, and
// one that does not parse gives none rather than failing the fault.
func moveHeaderBlocks(m *message.Message, to *xmltree.Node) {
	old := m.Body.ParsedEnvelope()
	if f := m.Body.Format(); old == nil && (f == message.FormatSOAP11 || f == message.FormatSOAP12) {
		old, _ = m.Body.Envelope()
	}
	h := message.SOAPHeader(old)
	if h == nil {
		return
	}
	for c := h.FirstChild; c != nil; {
		next := c.NextSibling
		if c.Type == xmltree.ElementNode {
			to.AppendChild(c)
		}
		c = next
	}
}

func faultTextElement(space, local, prefix, text string) *xmltree.Node {
	el := xmltree.NewElement(space, local, prefix)
	if text != "" {
		el.AppendChild(xmltree.NewText(text))
	}
	return el
}

// faultCode writes the code as a QName: a value with its own prefix,
// declared on the element that holds it as Axiom does; an expression's
// result as the local name in the envelope namespace.
func (f *makefault) faultCode(m *message.Message, flt *xmltree.Node) error {
	prefix, local := f.codePrefix, f.code
	if f.codeEx != nil {
		s, err := f.codeEx.EvalString(m)
		if err != nil {
			return err
		}
		prefix, local = "soapenv", s
	}
	ns := flt.Name.Space
	var holder *xmltree.Node
	if f.version == faultSOAP12 {
		code := xmltree.NewElement(ns, "Code", "soapenv")
		holder = xmltree.NewElement(ns, "Value", "soapenv")
		code.AppendChild(holder)
		flt.AppendChild(code)
	} else {
		holder = xmltree.NewElement("", "faultcode", "")
		flt.AppendChild(holder)
	}
	if prefix != "soapenv" {
		holder.NS = append(holder.NS, xmltree.NSDecl{Prefix: prefix, URI: ns})
	}
	holder.AppendChild(xmltree.NewText(prefix + ":" + local))
	return nil
}

func (f *makefault) faultReason(m *message.Message, flt *xmltree.Node) error {
	s, err := f.reason.Eval(m)
	if err != nil {
		return err
	}
	ns := flt.Name.Space
	if f.version == faultSOAP12 {
		reason := xmltree.NewElement(ns, "Reason", "soapenv")
		t := faultTextElement(ns, "Text", "soapenv", s)
		t.SetAttr(xmltree.Name{Space: "http://www.w3.org/XML/1998/namespace", Local: "lang", Prefix: "xml"}, "en")
		reason.AppendChild(t)
		flt.AppendChild(reason)
		return nil
	}
	flt.AppendChild(faultTextElement("", "faultstring", "", s))
	return nil
}

// faultDetail adds the detail; with none, the fault has no detail element.
func (f *makefault) faultDetail(m *message.Message, flt *xmltree.Node) error {
	var d *xmltree.Node
	if f.version == faultSOAP12 {
		d = xmltree.NewElement(flt.Name.Space, "Detail", "soapenv")
	} else {
		d = xmltree.NewElement("", "detail", "")
	}
	switch {
	case f.detailText != nil:
		d.SetText(*f.detailText)
	case f.detailEx != nil:
		v, err := f.detailEx.Value(m)
		if err != nil {
			return err
		}
		if v.Kind() != xpath.NodeSet {
			d.SetText(expr.StringOf(v))
			break
		}
		for _, r := range v.Nodes() {
			if n := r.Node(); !r.IsAttr() && !r.IsNamespace() && (n.Type == xmltree.ElementNode || n.Type == xmltree.TextNode) {
				d.AppendChild(n.Clone())
			}
		}
	case len(f.detailEls) > 0:
		for _, el := range f.detailEls {
			d.AppendChild(el.Clone())
		}
	default:
		return nil
	}
	flt.AppendChild(d)
	return nil
}

// makePOX replaces the body's first element with <Exception>
// (FaultMediator.makePOXFault).
func (f *makefault) makePOX(m *message.Message) error {
	text, err := f.poxText(m)
	if err != nil {
		return err
	}
	exc := faultTextElement("", "Exception", "", text)
	b := &m.Body
	env := b.ParsedEnvelope()
	if env == nil && b.Format().IsXML() {
		env, _ = b.Envelope()
	}
	if env == nil || message.SOAPBody(env) == nil {
		doc, e, body := message.NewEnvelope(message.FormatSOAP11)
		body.AppendChild(exc)
		format := b.Format()
		if format == message.FormatNone {
			format = message.FormatPOX
		}
		b.SetEnvelope(doc, e, format)
		return nil
	}
	body := message.SOAPBody(env)
	if first := body.FirstChildElement(); first != nil {
		first.Remove()
	}
	body.AppendChild(exc)
	b.XMLChanged()
	return nil
}

// poxText is the <Exception> text: the detail text, the detail expression,
// the reason value or the reason expression, the first that is set.
func (f *makefault) poxText(m *message.Message) (string, error) {
	switch {
	case f.detailText != nil:
		return *f.detailText, nil
	case f.detailEx != nil:
		return f.detailEx.EvalString(m)
	case f.hasReason:
		return f.reason.Eval(m)
	}
	return "", nil
}
