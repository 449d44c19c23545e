package mediator

import (
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/jsontree"
	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/xmltree"
	"github.com/busbar/busbar/internal/xpath"
)

// The enrich mediator on XML: MI's Source.evaluate and Target.insert.

// mediateXML is MI's XML path: Source.evaluate, then Target.insert. The
// remove action has no XML implementation in MI and changes nothing.
func (e *enrichMediator) mediateXML(c *engine.Context) error {
	if e.tgt.action == actRemove {
		c.Log().Debug("enrich: remove applies to JSON payloads only; nothing removed")
		return nil
	}
	nodes, err := e.src.nodes(c)
	if err != nil {
		return err
	}
	return e.tgt.insert(c, nodes)
}

// nodes evaluates the source as XML: elements (copies unless clone is
// false) and text nodes.
func (s *enrichSource) nodes(c *engine.Context) ([]*xmltree.Node, error) {
	m := c.Msg
	switch s.typ {
	case enrichCustom:
		if s.xpath == nil {
			return nil, nil
		}
		if s.xpath.IsJSONPath() {
			return s.jsonPathNodes(m)
		}
		return s.xpathNodes(c)
	case enrichBody, enrichEnvelope:
		env, err := m.Body.Envelope()
		if err != nil {
			return nil, err
		}
		n := env
		if s.typ == enrichBody {
			if n = firstPayload(env); n == nil {
				return nil, nil
			}
		}
		return []*xmltree.Node{s.copyOf(n)}, nil
	case enrichProperty:
		return s.propertyNodes(c), nil
	case enrichInline:
		if s.isText {
			return []*xmltree.Node{xmltree.NewText(s.inlineText)}, nil
		}
		return []*xmltree.Node{s.inlineEl.Clone()}, nil
	}
	return nil, nil
}

// firstPayload is the first element of an envelope's Body, or nil.
func firstPayload(env *xmltree.Node) *xmltree.Node {
	if body := message.SOAPBody(env); body != nil {
		return body.FirstChildElement()
	}
	return nil
}

// copyOf is n itself when the source is moved (clone="false"), else a copy.
func (s *enrichSource) copyOf(n *xmltree.Node) *xmltree.Node {
	if s.clone {
		return n.Clone()
	}
	return n
}

// xpathNodes takes the elements and text nodes an XPath selects, or its
// string result as text; attributes, numbers and booleans are dropped, as
// MI's Source does.
func (s *enrichSource) xpathNodes(c *engine.Context) ([]*xmltree.Node, error) {
	v, err := s.xpath.Value(c.Msg)
	if err != nil {
		return nil, err
	}
	switch v.Kind() {
	case xpath.String:
		return []*xmltree.Node{xmltree.NewText(v.String())}, nil
	case xpath.NodeSet:
	default:
		return nil, nil
	}
	var out []*xmltree.Node
	for _, r := range v.Nodes() {
		if r.IsAttr() || r.IsNamespace() {
			continue
		}
		switch n := r.Node(); n.Type {
		case xmltree.ElementNode:
			out = append(out, s.copyOf(n))
		case xmltree.TextNode:
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		c.Log().Warn("enrich: the source xpath selects nothing", "xpath", s.xpath.String())
	}
	return out, nil
}

// jsonPathNodes is a json-eval source on the XML path: a definite path's
// scalar becomes text and an object its JSON text; arrays give nothing, as
// SynapseJsonPath's node list holds no usable nodes for them.
func (s *enrichSource) jsonPathNodes(m *message.Message) ([]*xmltree.Node, error) {
	vals, err := s.xpath.EvalJSON(m)
	if err != nil || !s.xpath.JSONPath().IsDefinite() || len(vals) == 0 {
		return nil, err
	}
	switch v := vals[len(vals)-1]; v.Kind {
	case jsontree.String, jsontree.Number:
		return []*xmltree.Node{xmltree.NewText(v.Str)}, nil
	case jsontree.Bool, jsontree.Object:
		return []*xmltree.Node{xmltree.NewText(v.String())}, nil
	}
	return nil, nil
}

// propertyNodes reads a property as MI's Source does: XML, a string (as
// text), a node list, or JSON (as its text).
func (s *enrichSource) propertyNodes(c *engine.Context) []*xmltree.Node {
	v, _ := c.Msg.Get(message.ScopeDefault, s.property)
	switch t := v.(type) {
	case *xmltree.Node:
		return []*xmltree.Node{s.copyOf(t)}
	case string:
		return []*xmltree.Node{xmltree.NewText(t)}
	case message.NodeList:
		out := make([]*xmltree.Node, len(t))
		for i, n := range t {
			out[i] = s.copyOf(n)
		}
		return out
	case *jsontree.Value:
		return []*xmltree.Node{xmltree.NewText(t.String())}
	}
	c.Log().Warn("enrich: invalid source property type", "property", s.property)
	return nil
}

// insert is MI's Target.insert for XML.
func (t *enrichTarget) insert(c *engine.Context, nodes []*xmltree.Node) error {
	switch t.typ {
	case enrichCustom:
		return t.insertCustom(c, nodes)
	case enrichBody:
		return t.insertBody(c, nodes)
	case enrichEnvelope:
		return t.insertEnvelope(c.Msg, nodes)
	case enrichProperty:
		return t.insertProperty(c.Msg, nodes)
	}
	return fault.New(fault.DefaultError, "Invalid Target type")
}

// errInvalidTarget is MI's message for a custom target that selects no
// element, text or attribute.
const errInvalidTarget = "Invalid Target object to be enrich."

func (t *enrichTarget) insertCustom(c *engine.Context, nodes []*xmltree.Node) error {
	m := c.Msg
	if len(nodes) == 0 {
		c.Log().Warn("enrich: cannot enrich the message from an empty source")
		return nil
	}
	if t.propFunc {
		return t.insertPropFunc(m, nodes)
	}
	if t.xpath == nil || t.xpath.IsJSONPath() {
		return fault.New(fault.DefaultError, errInvalidTarget)
	}
	v, err := t.xpath.Value(m)
	if err != nil {
		return err
	}
	if v.Kind() != xpath.NodeSet || len(v.Nodes()) == 0 {
		return fault.New(fault.DefaultError, errInvalidTarget)
	}
	r := v.Nodes()[0]
	n := r.Node()
	// A target reached through a property ($ctx:...) is not the message's.
	env := m.Body.ParsedEnvelope()
	inMessage := env != nil && n.Root() == env.Root()
	switch {
	case r.IsAttr():
		if nodes[0].Type != xmltree.TextNode {
			return fault.Newf(fault.DefaultError, "an attribute target (%s) takes text, not an element", t.xpath)
		}
		n.Attrs[r.AttrIndex()].Value = nodes[0].Data
	case r.IsNamespace():
		return fault.New(fault.DefaultError, errInvalidTarget)
	case n.Type == xmltree.ElementNode:
		if t.action == actReplace && breaksEnvelope(n, nodes) {
			return fault.Newf(fault.DefaultError, "the target %s would replace the SOAP %s; use a target of type envelope or body", t.xpath, n.Name.Local)
		}
		if err := t.insertElement(nodes, n); err != nil {
			return err
		}
	case n.Type == xmltree.TextNode && n.Parent != nil:
		if _, ok := message.IsEnvelope(n.Parent); ok && nodes[0].Type == xmltree.TextNode {
			return fault.Newf(fault.DefaultError, "the target %s would replace the SOAP Envelope's content", t.xpath)
		}
		if err := replaceText(n, nodes[0]); err != nil {
			return err
		}
	default:
		return fault.New(fault.DefaultError, errInvalidTarget)
	}
	if inMessage {
		m.Body.XMLChanged()
	}
	return nil
}

// breaksEnvelope reports whether replacing n would leave the message
// without an envelope or a Body: replacing the Envelope at all, or the Body
// with elements.
func breaksEnvelope(n *xmltree.Node, nodes []*xmltree.Node) bool {
	if _, ok := message.IsEnvelope(n); ok {
		return true
	}
	if _, ok := message.IsEnvelope(n.Parent); ok && message.SOAPBody(n.Parent) == n {
		return hasElement(nodes)
	}
	return false
}

// replaceText is MI's text-node target: text replaces the parent's
// content; an element replaces the text node, appended to the parent.
func replaceText(n, src *xmltree.Node) error {
	p := n.Parent
	if src.Type == xmltree.TextNode {
		p.SetText(src.Data)
		return nil
	}
	if err := canInsert(src, p); err != nil {
		return err
	}
	n.Remove()
	p.AppendChild(src)
	return nil
}

// canInsert refuses to put a node inside itself, which a source moved with
// clone="false" into its own subtree would do.
func canInsert(n, parent *xmltree.Node) error {
	for a := parent; a != nil; a = a.Parent {
		if a == n {
			return fault.New(fault.DefaultError, "the enrich source contains the target, so it cannot be moved into it")
		}
	}
	return nil
}

// insertElement is MI's Target.insertElement: replace puts the source
// elements before e and drops e (text sets e's content), child appends,
// sibling inserts each right after e.
func (t *enrichTarget) insertElement(nodes []*xmltree.Node, e *xmltree.Node) error {
	p := e.Parent
	needParent := t.action == actSibling || t.action == actReplace && hasElement(nodes)
	if needParent && (p == nil || p.Type == xmltree.DocumentNode) {
		return fault.Newf(fault.DefaultError, "cannot %s the root element <%s>", enrichActionNames[t.action], e.Name.Local)
	}
	inserted := false
	for _, n := range nodes {
		if n.Type == xmltree.TextNode {
			if t.action == actReplace {
				e.SetText(n.Data)
			}
			continue
		}
		switch t.action {
		case actReplace:
			if n == e {
				p.AppendChild(n)
				continue
			}
			if err := canInsert(n, p); err != nil {
				return err
			}
			p.InsertBefore(n, e)
			inserted = true
		case actChild:
			if err := canInsert(n, e); err != nil {
				return err
			}
			e.AppendChild(n)
		case actSibling:
			if err := canInsert(n, p); err != nil {
				return err
			}
			p.InsertAfter(n, e)
		}
	}
	if inserted {
		e.Remove()
	}
	return nil
}

func hasElement(nodes []*xmltree.Node) bool {
	for _, n := range nodes {
		if n.Type == xmltree.ElementNode {
			return true
		}
	}
	return false
}

// insertBody enriches the body's first element; a JSON object or array
// text replacing it makes the payload JSON, and an empty body gets the
// source elements.
func (t *enrichTarget) insertBody(c *engine.Context, nodes []*xmltree.Node) error {
	m := c.Msg
	env, err := m.Body.Envelope()
	if err != nil {
		return err
	}
	body := message.SOAPBody(env)
	if body == nil {
		return fault.New(fault.DefaultError, "the message's SOAP envelope has no Body")
	}
	first := body.FirstChildElement()
	switch {
	case first == nil:
		for _, n := range nodes {
			if n.Type != xmltree.ElementNode {
				c.Log().Warn("enrich: only elements can be added to an empty body")
				continue
			}
			if err := canInsert(n, body); err != nil {
				return err
			}
			body.AppendChild(n)
		}
	case t.action == actReplace && len(nodes) > 0 && nodes[0].Type == xmltree.TextNode:
		if v, ok := gsonParse(nodes[0].Data); ok && (v.Kind == jsontree.Object || v.Kind == jsontree.Array) {
			setJSONPayload(m, v)
			return nil
		}
		fallthrough
	default:
		if err := t.insertElement(nodes, first); err != nil {
			return err
		}
	}
	m.Body.XMLChanged()
	return nil
}

// setJSONPayload makes v the payload the way MI stores a new JSON stream:
// the message type is left alone, so an XML message writes v in its XML
// form.
func setJSONPayload(m *message.Message, v *jsontree.Value) {
	f, ct := m.Body.Format(), m.Body.ContentType()
	m.Body.SetJSON(v)
	if f != message.FormatJSON && f != message.FormatNone {
		m.Body.SetFormat(f, ct)
	}
}

// insertEnvelope replaces the envelope with a source envelope.
func (t *enrichTarget) insertEnvelope(m *message.Message, nodes []*xmltree.Node) error {
	if len(nodes) == 0 {
		return fault.New(fault.DefaultError, "A SOAPEnvelope is expected")
	}
	n := nodes[0]
	ver, ok := message.IsEnvelope(n)
	if !ok || message.SOAPBody(n) == nil {
		return fault.New(fault.DefaultError, "A SOAPEnvelope is expected")
	}
	n.Remove()
	doc := xmltree.NewDocument()
	doc.AppendChild(n)
	format := message.FormatNone
	if f := m.Body.Format(); f == message.FormatSOAP11 || f == message.FormatSOAP12 {
		format = ver
	}
	m.Body.SetEnvelope(doc, n, format)
	return nil
}

// insertProperty stores the source in a property; child adds the source
// elements to XML the property holds (MI then keeps only the text of XML
// that was held as a string).
func (t *enrichTarget) insertProperty(m *message.Message, nodes []*xmltree.Node) error {
	if t.action == actChild {
		switch cur, _ := m.Get(message.ScopeDefault, t.property); v := cur.(type) {
		case *xmltree.Node:
			return t.insertElement(nodes, v)
		case string:
			if doc, err := xmltree.ParseString(v); err == nil {
				root := doc.DocumentElement()
				if err := t.insertElement(nodes, root); err != nil {
					return err
				}
				m.Set(message.ScopeDefault, t.property, root.DirectText())
				return nil
			}
		}
	}
	m.Set(message.ScopeDefault, t.property, storedNodes(nodes))
	return nil
}

// insertPropFunc handles a custom target written as get-property(...), as
// MI's Target.handleProperty does: child adds to a copy of XML held in the
// property, anything else stores the source. Scopes other than default,
// axis2 and operation are ignored, as in MI.
func (t *enrichTarget) insertPropFunc(m *message.Message, nodes []*xmltree.Node) error {
	if t.propKey == "" {
		return fault.Newf(fault.DefaultError, "the target %s names no property in single quotes", t.xpath)
	}
	switch t.propScope {
	case message.ScopeDefault, message.ScopeAxis2, message.ScopeOperation:
	default:
		return nil
	}
	cur, _ := m.Get(t.propScope, t.propKey)
	if el, ok := cur.(*xmltree.Node); ok && t.action == actChild && el.Type == xmltree.ElementNode {
		cp := el.Clone()
		if err := t.insertElement(nodes, cp); err != nil {
			return err
		}
		m.Set(t.propScope, t.propKey, cp)
		return nil
	}
	m.Set(t.propScope, t.propKey, storedNodes(nodes))
	return nil
}

// storedNodes is the property value for enriched nodes: one element as
// XML, one text as a string, anything else as a node list.
func storedNodes(nodes []*xmltree.Node) any {
	if len(nodes) == 1 {
		if nodes[0].Type == xmltree.TextNode {
			return nodes[0].Data
		}
		return nodes[0]
	}
	return message.NodeList(nodes)
}
