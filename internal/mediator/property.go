package mediator

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/busbar/busbar/internal/compile"
	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/expr"
	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/jsontree"
	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/xmltree"
	"github.com/busbar/busbar/internal/xpath"
)

func init() {
	registry.RegisterMediator(registry.Spec{
		Element: "property",
		Aliases: []string{"org.apache.synapse.mediators.builtin.PropertyMediator"},
		Summary: "Sets or removes a message property in the default, transport (HTTP header), axis2, axis2-client or operation scope, optionally typed and cut by a regex.",
		Doc: "The value is a literal (`value`), an expression (`expression`: XPath with Synapse functions, or json-eval(...)), " +
			"or one inline XML element (stored as XML, type OM). `type` converts it as MI does: INTEGER and SHORT truncate a " +
			"decimal that comes from an expression, BOOLEAN is true for \"true\", \"yes\" (any case) or \"1\" and false otherwise, " +
			"OM keeps the expression's first selected element or parses the value as XML, JSON parses it (text that is not JSON " +
			"becomes a JSON string). A literal that does not convert is a configuration error; an expression result that does " +
			"not convert fails the flow. `pattern` must match the whole string value and the property becomes capture group " +
			"`group` (0 = the whole match), or \"\" when it does not match; as in MI it applies only to STRING values. A name " +
			"written as {expression} is computed per message.\n\n" +
			"Names with an effect: axis2 `messageType` (the format the message is written in; also sets axis2 `ContentType` " +
			"and the Content-Type header), axis2 `ContentType` (the Content-Type sent), axis2 `HTTP_SC` (the response status), " +
			"axis2 `HTTP_METHOD`, axis2 `NO_ENTITY_BODY` (send no body), axis2 `REST_URL_POSTFIX` (removing it stops address " +
			"endpoints from appending the request's sub-path), axis2 `FORCE_SC_ACCEPTED`, default `OUT_ONLY`, default " +
			"`FAULTS_AS_HTTP_200`, default `RESPONSE`=\"true\" (the message becomes a response, so a `<send/>` without an " +
			"endpoint answers the client). Removing axis2 `TRANSPORT_HEADERS` clears every HTTP header except Content-Type. " +
			"The transport scope reads and writes HTTP headers. A default-scope property named `To` is only a property: use " +
			"`<header name=\"To\">` to change the destination.",
		Attrs: []registry.Attr{
			{Name: "name", Required: true, Doc: "Property name, or {expression} to compute it per message."},
			{Name: "action", Type: "enum", Default: "set", Values: []string{"set", "remove"}, Doc: "remove deletes the property (value, expression and type are not used)."},
			{Name: "value", Doc: "Literal value."},
			{Name: "expression", Type: "expression", Doc: "XPath or json-eval(...) whose string value is stored."},
			{Name: "scope", Type: "enum", Default: "default", Values: propertyScopes,
				Doc: "registry, system, trace and analytics are Synapse scopes Busbar does not support (configuration error)."},
			{Name: "type", Type: "enum", Default: "STRING", Values: propertyTypeNames, Doc: "Type the value is converted to (case-insensitive)."},
			{Name: "pattern", Type: "regex", Doc: "Regular expression (RE2 syntax) that must match the whole value."},
			{Name: "group", Type: "int", Default: "0", Doc: "Capture group of pattern to keep; needs pattern."},
		},
		AnyChildren: true,
		Examples: []registry.Example{
			{
				Title:  "Keep a JSON field for later",
				Config: `<property name="orderId" expression="json-eval($.order.id)"/>`,
				Input:  `{"order":{"id":"A-17","total":12.5}}`, InputType: "application/json",
				Props: map[string]string{"orderId": "A-17"},
			},
			{
				Title:  "Answer in JSON whatever came in",
				Config: `<property name="messageType" value="application/json" scope="axis2"/><respond/>`,
				Input:  `<order><id>7</id></order>`, InputType: "application/xml",
				Output: `{"order":{"id":7}}`, OutputType: "application/json",
			},
			{
				Title:  "Cut a value with a regex group",
				Config: `<property name="domain" expression="//email" pattern="[^@]+@(.+)" group="1"/>`,
				Input:  `<user><email>ada@example.org</email></user>`, InputType: "application/xml",
				Props: map[string]string{"domain": "example.org"},
			},
		},
		Differences: []string{
			"The registry, system, trace and analytics scopes are configuration errors rather than silently writing to places Busbar does not have.",
			"Giving more than one of value, expression and an inline element is a configuration error; MI silently takes the first in that order.",
		},
	}, newProperty)

	registry.RegisterMediator(registry.Spec{
		Element: "propertyGroup",
		Aliases: []string{"org.apache.synapse.mediators.builtin.PropertyGroupMediator"},
		Summary: "Runs the `<property>` mediators it holds, in order (MI 4.x's compact form for many properties).",
		Doc:     "Each child is an ordinary property mediator with all its attributes; anything other than `<property>` is a configuration error.",
		Children: []registry.Child{
			{Name: "property", Multiple: true, Doc: "A property mediator."},
		},
		Examples: []registry.Example{{
			Title: "Set several properties at once",
			Config: `<propertyGroup><property name="customer" expression="//customer/@id"/>` +
				`<property name="HTTP_SC" value="201" scope="axis2"/><property name="source" value="web"/></propertyGroup>`,
			Input: `<order><customer id="c-9"/></order>`, InputType: "application/xml",
			Props: map[string]string{"customer": "c-9", "source": "web"},
		}},
	}, newPropertyGroup)
}

// propertyScopes are the scopes Busbar implements; unsupportedScopes are the
// other Synapse scopes, refused with a precise message.
var (
	propertyScopes = []string{message.ScopeDefault, message.ScopeTransport, message.ScopeAxis2,
		message.ScopeAxis2Client, message.ScopeOperation}
	unsupportedScopes = []string{"registry", "system", "trace", "analytics"}
)

// propType is a property mediator type.
type propType uint8

// The types, in the order of propertyTypeNames.
const (
	typeString propType = iota
	typeInteger
	typeBoolean
	typeDouble
	typeFloat
	typeLong
	typeShort
	typeOM
	typeJSON
)

var propertyTypeNames = []string{"STRING", "INTEGER", "BOOLEAN", "DOUBLE", "FLOAT", "LONG", "SHORT", "OM", "JSON"}

func (t propType) String() string { return propertyTypeNames[t] }

// Special property names.
const (
	propTransportHeaders = "TRANSPORT_HEADERS"
	propResponse         = "RESPONSE"
)

// propertyMediator is a compiled <property>. Exactly one of lit, om and ex
// holds the value when setting.
type propertyMediator struct {
	name   expr.Key
	scope  string
	remove bool
	typ    propType
	// lit is a literal already converted to typ (pattern applied); *xmltree.Node
	// and *jsontree.Value literals are cloned per message.
	lit     any
	om      *xmltree.Node
	ex      *expr.Expr
	pattern *regexp.Regexp
	group   int
}

func newProperty(b registry.Builder, el *config.Element) (engine.Mediator, error) {
	p := &propertyMediator{}
	p.name = propertyName(b, el)
	p.scope = propertyScope(b, el)
	p.remove = registry.Enum(b, el, "action", "set", "set", "remove") == "remove"
	p.typ = propType(indexOf(propertyTypeNames, registry.Enum(b, el, "type", "STRING", propertyTypeNames...)))
	p.compilePattern(b, el)
	if p.remove {
		for _, attr := range []string{"value", "expression", "type", "pattern"} {
			if a := el.Attr(attr); a != nil {
				b.Warnf(a.Pos, "%s is ignored when action=\"remove\"", attr)
			}
		}
		return p, nil
	}
	p.compileValue(b, el)
	return p, nil
}

// propertyName compiles the name, which may be {expression}.
func propertyName(b registry.Builder, el *config.Element) expr.Key {
	a := el.Attr("name")
	if a == nil {
		return expr.Key{} // checkSpec reported it
	}
	s := strings.TrimSpace(a.Value)
	switch {
	case s == "":
		b.Errorf(a.Pos, "<property> needs a non-empty name")
	case strings.HasPrefix(s, "{${"):
		b.Errorf(a.Pos, "name=%q: Synapse expressions (${...}) are not supported by Busbar yet; use {xpath} or {json-eval(...)}", a.Value)
	default:
		return b.Key(el, s, a.Pos)
	}
	return expr.Key{}
}

func propertyScope(b registry.Builder, el *config.Element) string {
	a := el.Attr("scope")
	if a == nil {
		return message.ScopeDefault
	}
	for _, s := range unsupportedScopes {
		if strings.EqualFold(strings.TrimSpace(a.Value), s) {
			b.Errorf(a.Pos, "scope %q is not supported by Busbar (supported: %s)", a.Value, strings.Join(propertyScopes, ", "))
			return message.ScopeDefault
		}
	}
	return registry.Enum(b, el, "scope", message.ScopeDefault, propertyScopes...)
}

func (p *propertyMediator) compilePattern(b registry.Builder, el *config.Element) {
	g := el.Attr("group")
	if el.Attr("pattern") == nil {
		if g != nil {
			b.Errorf(g.Pos, "group=%q is only allowed with a pattern", g.Value)
		}
		return
	}
	p.pattern = fullMatch(b, el, "pattern")
	if g != nil {
		n, err := strconv.Atoi(strings.TrimSpace(g.Value))
		if err != nil || n < 0 {
			b.Errorf(g.Pos, "group=%q must be a whole number of 0 or more", g.Value)
			return
		}
		p.group = n
	}
	switch {
	case p.pattern != nil && p.group > p.pattern.NumSubexp():
		b.Warnf(g.Pos, "group %d does not exist: the pattern has %d capture groups, so the property is always empty (as in MI)", p.group, p.pattern.NumSubexp())
	case p.typ != typeString && p.pattern != nil:
		b.Warnf(el.Attr("pattern").Pos, "pattern is ignored for type %s (MI applies it to STRING values only)", p.typ)
	}
}

// compileValue decides where the value comes from and converts a literal
// now, so that a literal that cannot be converted is a configuration error
// as in MI.
func (p *propertyMediator) compileValue(b registry.Builder, el *config.Element) {
	var child *config.Element
	for _, c := range el.Children {
		switch {
		case c.IsSynapse() && c.Name.Local == "description":
		case child != nil:
			b.Errorf(c.Pos, "<property> holds at most one XML element as its value; found another <%s>", c.Display())
		default:
			child = c
		}
	}
	va, xa := el.Attr("value"), el.Attr("expression")
	given := 0
	for _, x := range []bool{va != nil, xa != nil, child != nil} {
		if x {
			given++
		}
	}
	switch {
	case given == 0:
		b.Errorf(el.Pos, "<property> needs a value attribute, an expression attribute or an XML element child to set")
	case given > 1:
		b.Errorf(el.Pos, "<property> takes one of a value attribute, an expression attribute or an XML element child")
	case child != nil:
		if p.typ != typeString && p.typ != typeOM {
			b.Warnf(child.Pos, "an XML element value is always stored as OM; type %s is ignored", p.typ)
		}
		p.om = compile.ToXMLTree(child)
	case xa != nil:
		p.ex = b.Expr(el, xa.Value, xa.Pos)
	default:
		v, err := p.convert(p.cut(va.Value), false)
		if err != nil {
			b.Errorf(va.Pos, "value=%q: %v", va.Value, err)
		}
		p.lit = v
	}
}

func newPropertyGroup(b registry.Builder, el *config.Element) (engine.Mediator, error) {
	return &propertyGroup{seq: b.Mediators(el, "")}, nil
}

// propertyGroup runs its property mediators in order; they appear in the
// mediation path as propertyGroup[n]/property[m].
type propertyGroup struct{ seq *engine.Sequence }

func (g *propertyGroup) Mediate(c *engine.Context) (bool, error) { return c.Run(g.seq) }

func (p *propertyMediator) Mediate(c *engine.Context) (bool, error) {
	name, err := p.name.Eval(c.Msg)
	if err != nil {
		return false, err
	}
	if name == "" {
		// MI warns and carries on with an empty name; a property nobody can
		// read is harmless, a failed flow is not.
		c.Log().Warn("property name evaluated to an empty string; nothing set", "path", currentPath(c))
		return true, nil
	}
	if p.remove {
		p.removeFrom(c.Msg, name)
		return true, nil
	}
	v, err := p.value(c, name)
	if err != nil {
		return false, err
	}
	p.setIn(c.Msg, name, v)
	return true, nil
}

// value computes the typed value for this message.
func (p *propertyMediator) value(c *engine.Context, name string) (any, error) {
	switch {
	case p.om != nil:
		return p.om.Clone(), nil
	case p.ex == nil:
		switch t := p.lit.(type) {
		case *xmltree.Node:
			return t.Clone(), nil
		case *jsontree.Value:
			return t.Clone(), nil
		}
		return p.lit, nil
	}
	var s string
	if p.typ == typeOM && !p.ex.IsJSONPath() {
		v, err := p.ex.Value(c.Msg)
		if err != nil {
			return nil, err
		}
		if n := firstElement(v); n != nil {
			return n, nil
		}
		s = expr.StringOf(v)
	} else {
		var err error
		if s, err = p.ex.EvalString(c.Msg); err != nil {
			return nil, err
		}
	}
	v, err := p.convert(p.cut(s), true)
	if err != nil {
		return nil, fault.Newf(fault.DefaultError, "property %s: the value of %s cannot be converted: %v", name, p.ex, err)
	}
	return v, nil
}

// firstElement returns a copy of the first node of a node-set when it is an
// element, which is what an OM property of an expression is meant to hold.
// MI serialises the result and parses it again; for an element that has
// children and no text the outcome is the same, and an element with text
// (which MI cannot parse) is kept too. Anything else (nil) takes MI's
// string-and-parse route.
func firstElement(v xpath.Value) *xmltree.Node {
	nodes := v.Nodes()
	if len(nodes) == 0 || nodes[0].IsAttr() || nodes[0].IsNamespace() {
		return nil
	}
	switch n := nodes[0].Node(); {
	case n.Type == xmltree.ElementNode:
		return n.Clone()
	case n.Type == xmltree.DocumentNode && n.DocumentElement() != nil:
		return n.DocumentElement().Clone()
	}
	return nil
}

// cut applies pattern and group to a STRING value, as MI does after the
// conversion (so only to string results): the whole value must match; no
// match, or a group that did not take part, gives "".
func (p *propertyMediator) cut(s string) string {
	if p.pattern == nil || p.typ != typeString {
		return s
	}
	m := p.pattern.FindStringSubmatchIndex(s)
	if m == nil || 2*p.group+1 >= len(m) || m[2*p.group] < 0 {
		return ""
	}
	return s[m[2*p.group]:m[2*p.group+1]]
}

// convert turns a string into the property's type with Java's parsing
// rules, which MI uses. fromExpr enables MI's truncation of decimals for
// INTEGER and SHORT (XPath numbers come out as "12.0").
func (p *propertyMediator) convert(s string, fromExpr bool) (any, error) {
	switch p.typ {
	case typeBoolean:
		return strings.EqualFold(s, "true") || strings.EqualFold(s, "yes") || s == "1", nil
	case typeInteger:
		return javaInt(s, fromExpr, 32)
	case typeShort:
		n, err := javaInt(s, fromExpr, 16)
		return int16(n), err
	case typeLong:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a valid LONG", s)
		}
		return n, nil
	case typeDouble:
		return javaFloat(s, 64)
	case typeFloat:
		f, err := javaFloat(s, 32)
		return float32(f), err
	case typeOM:
		n, err := xmltree.ParseElement([]byte(s))
		if err != nil {
			return nil, fmt.Errorf("not XML: %v", err)
		}
		return n, nil
	case typeJSON:
		if v, err := jsontree.Parse([]byte(s)); err == nil {
			return v, nil
		}
		// MI retries text that is not JSON as a JSON string (Gson lenient).
		return jsontree.NewString(s), nil
	}
	return s, nil
}

// javaInt parses as Integer.parseInt / Short.parseShort: an optional sign
// and decimal digits, no spaces. With fromExpr a value holding "." is parsed
// as a double and narrowed as Java's (int) and (short) casts do, as MI does
// for XPath numbers.
func javaInt(s string, fromExpr bool, bits int) (int, error) {
	name := "INTEGER"
	if bits == 16 {
		name = "SHORT"
	}
	if fromExpr && strings.Contains(s, ".") {
		f, err := javaFloat(s, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a valid %s", s, name)
		}
		if math.IsNaN(f) {
			return 0, nil
		}
		n := int(math.Max(math.MinInt32, math.Min(math.MaxInt32, math.Trunc(f))))
		if bits == 16 {
			n = int(int16(n))
		}
		return n, nil
	}
	n, err := strconv.ParseInt(s, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("%q is not a valid %s", s, name)
	}
	return int(n), nil
}

// javaFloat parses as Double.parseDouble: surrounding white space and a
// trailing d/f suffix are allowed; out-of-range values become infinities.
func javaFloat(s string, bits int) (float64, error) {
	t := strings.TrimSpace(s)
	if n := len(t); n > 1 && strings.ContainsRune("dDfF", rune(t[n-1])) && !strings.HasPrefix(strings.ToLower(t), "0x") {
		t = t[:n-1]
	}
	f, err := strconv.ParseFloat(t, bits)
	if err != nil && !errors.Is(err, strconv.ErrRange) || strings.Contains(t, "_") || t == "" {
		return 0, fmt.Errorf("%q is not a valid number", s)
	}
	return f, nil
}

func (p *propertyMediator) setIn(m *message.Message, name string, v any) {
	switch p.scope {
	case message.ScopeDefault:
		m.Set(message.ScopeDefault, name, v)
		// Synapse's isResponse() reads a String RESPONSE property set to
		// "true"; the classic "reply from the in-sequence" flows rely on it.
		if s, ok := v.(string); ok && name == propResponse && strings.EqualFold(s, "true") {
			m.Response = true
		}
	case message.ScopeAxis2:
		m.Set(message.ScopeAxis2, name, v)
		if name == message.PropMessageType {
			// MI also sets ContentType and rewrites the Content-Type header
			// (MediatorPropertyUtils.handleSpecialProperties).
			ct := message.ValueString(v)
			m.Set(message.ScopeAxis2, message.PropContentType, ct)
			if m.Header.Get("Content-Type") != "" {
				m.Header.Set("Content-Type", ct)
			}
		}
	default:
		m.Set(p.scope, name, v)
	}
}

func (p *propertyMediator) removeFrom(m *message.Message, name string) {
	if p.scope == message.ScopeAxis2 && name == propTransportHeaders {
		// MI drops the whole header map; the Content-Type it then sends
		// comes from the message type, so Busbar keeps that one header.
		ct := m.Header.Values("Content-Type")
		m.Header = http.Header{}
		if len(ct) > 0 {
			m.Header["Content-Type"] = ct
		}
		return
	}
	m.Remove(p.scope, name)
}

// currentPath is the mediation path of the running mediator, for log
// records.
func currentPath(c *engine.Context) string {
	if cur := c.Current(); cur != nil {
		return cur.Path
	}
	return ""
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return 0
}
