package mediator

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/busbar/busbar/internal/compile"
	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/expr"
	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/jsontree"
	"github.com/busbar/busbar/internal/jsonxml"
	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/xmltree"
)

func init() {
	registry.RegisterMediator(registry.Spec{
		Element: "payloadFactory",
		Aliases: []string{"org.apache.synapse.mediators.transform.PayloadFactoryMediator"},
		Summary: "Replaces the payload with a template in XML, JSON or text whose placeholders $1, $2, ... are filled from <args>.",
		Doc: "The template is <format>: one inline element (an element that is a SOAP Envelope replaces the whole envelope, " +
			"headers included), inline JSON or text, or `<format key=\"entry\"/>` naming a local entry. Indentation " +
			"(whitespace-only text) is removed from inline and local-entry XML, and elements written without `xmlns=\"\"` " +
			"keep the Synapse namespace, as in MI. `$n` is the n-th <arg> (`$10` is the tenth); `$` not followed by a " +
			"digit is literal. Each <arg> is `value=\"literal\"` or `expression=\"xpath\"` (or a JSONPath with " +
			"`evaluator=\"json\"` or written as json-eval(...)); `literal=\"true\"` makes a JSON template take the value " +
			"as a string (in XML and text templates it changes nothing, as in MI); `deepCheck` is accepted and ignored, " +
			"as in MI.\n\n" +
			"Values are inserted as MI's RegexTemplateProcessor inserts them. In an XML template a value that is XML " +
			"(it starts with an element and ends with '>') is inserted as XML, anything else XML-escaped; a JSON object " +
			"or array from a JSONPath becomes XML with MI's JSON-to-XML mapping. In a JSON template a string is " +
			"JSON-escaped (the template supplies the quotes; with QUOTE_STRING_IN_PAYLOAD_FACTORY_JSON=true the " +
			"quotes are added for anything but numbers, true, false and null), a value starting with '{' or '[' is " +
			"inserted as it is, and XML from an XPath becomes JSON with MI's XML-to-JSON mapping (escapeXmlChars=\"true\" " +
			"escapes control characters in inserted JSON). value= literals are always XML-escaped unless they are XML, " +
			"in JSON and text templates too, as in MI.\n\n" +
			"media-type=\"xml\" replaces the SOAP body's content (a JSON or text message becomes application/xml); " +
			"\"json\" makes the body that JSON (application/json); \"text\" makes it text/plain. A result that does not " +
			"parse is a fault (ERROR_CODE 0) naming the generated content.",
		Attrs: []registry.Attr{
			{Name: "media-type", Type: "enum", Values: []string{"xml", "json", "text"}, Default: "xml", Doc: "Kind of template and of the resulting payload."},
			{Name: "template-type", Type: "enum", Values: []string{"default", "freemarker"}, Default: "default", Doc: "Only the default ($n) templates are supported; freemarker is a configuration error."},
			{Name: "escapeXmlChars", Type: "bool", Default: "false", Doc: "In JSON templates, escape control characters in JSON inserted from a JSONPath."},
		},
		Children: []registry.Child{
			{Name: "format", Required: true, Doc: "The template, inline or key=\"localEntry\"."},
			{Name: "args", Doc: "<arg value|expression [evaluator=\"xml|json\"] [literal=\"true\"]/> for $1, $2, ..."},
		},
		Examples: []registry.Example{
			{
				Title: "Build a SOAP request from JSON",
				Config: `<payloadFactory media-type="xml"><format><m:getQuote xmlns:m="http://services.samples"><m:symbol>$1</m:symbol><m:qty>$2</m:qty></m:getQuote></format>` +
					`<args><arg evaluator="json" expression="$.symbol"/><arg value="5 &amp; more"/></args></payloadFactory>`,
				Input: `{"symbol":"IBM"}`, InputType: "application/json",
				Output:     `<m:getQuote xmlns:m="http://services.samples"><m:symbol>IBM</m:symbol><m:qty>5 &amp; more</m:qty></m:getQuote>`,
				OutputType: "application/xml",
			},
			{
				Title: "Build JSON from XML",
				Config: `<payloadFactory media-type="json"><format>{"name":"$1","total":$2,"items":$3}</format><args>` +
					`<arg expression="//customer"/><arg expression="sum(//price)"/><arg expression="//items"/></args></payloadFactory>`,
				Input:     `<order><customer>Ann "A"</customer><items><price>2</price><price>3</price></items></order>`,
				InputType: "application/xml",
				Output:    `{"name":"Ann \"A\"","total":5,"items":{"items":{"price":[2,3]}}}`, OutputType: "application/json",
			},
			{
				Title:  "Plain text",
				Config: `<payloadFactory media-type="text"><format>Hello $1, you owe $$2.</format><args><arg expression="//name"/><arg value="10"/></args></payloadFactory>`,
				Input:  `<p><name>Bob</name></p>`, InputType: "application/xml", Output: `Hello Bob, you owe $10.`, OutputType: "text/plain",
			},
		},
		Differences: []string{
			"template-type=\"freemarker\" and inline Synapse expressions (${...}) are configuration errors: Busbar does not support them yet.",
			"A JSON result that does not parse is a fault at the payloadFactory; MI stores it unparsed and fails later (or sends it as it is).",
			"<format key> must name a local entry present at load time; a dynamic key ({...}) is a configuration error.",
			"An expression written as json-eval(...) is a JSONPath even without evaluator=\"json\"; MI rejects it as an invalid XPath.",
		},
	}, newPayloadFactory)
}

type pfMedia uint8

const (
	pfXML pfMedia = iota
	pfJSON
	pfText
)

// pfArg is one compiled <arg>.
type pfArg struct {
	ex      *expr.Expr
	lit     string // a value= literal, already XML-escaped unless it is XML
	litXML  bool   // the literal is XML
	json    bool   // ex is a JSONPath
	literal bool   // literal="true"
}

// pfPart is template text followed by the placeholder of one arg (arg < 0
// for the text after the last placeholder).
type pfPart struct {
	text string
	arg  int
}

type payloadFactory struct {
	media     pfMedia
	parts     []pfPart
	args      []pfArg
	escapeXML bool
}

// pfPadding wraps an XML template so that the result is one document
// whatever the arguments hold, as MI's template processor does.
const (
	pfPadOpen  = "<pfPadding>"
	pfPadClose = "</pfPadding>"
)

func newPayloadFactory(b registry.Builder, el *config.Element) (engine.Mediator, error) {
	p := &payloadFactory{escapeXML: registry.Bool(b, el, "escapeXmlChars", false)}
	p.media = pfMediaOf(b, el)
	if a := el.Attr("template-type"); a != nil {
		switch strings.ToLower(strings.TrimSpace(a.Value)) {
		case "freemarker":
			b.Errorf(a.Pos, "template-type=\"freemarker\" is not supported by Busbar yet; use the default ($n) template")
		case "default", "regex":
		default:
			b.Warnf(a.Pos, "template-type=%q is not a known template type; the default ($n) template is used, as in MI", a.Value)
		}
	}
	if args := el.Child("args"); args != nil {
		p.args = pfArgs(b, args, p.media)
	}
	f := el.Child("format")
	if f == nil {
		return p, nil
	}
	warnChildAttrs(b, f, "key")
	tpl, ok := pfTemplate(b, f, p.media)
	if !ok {
		return p, nil
	}
	if x := synapseExpr(tpl); x != "" {
		b.Errorf(f.Pos, "the format uses an inline Synapse expression (%s), which Busbar does not support yet; use $n and <args>", clipForError(x, 60))
		return p, nil
	}
	p.parts = splitPFTemplate(b, f.Pos, tpl, len(p.args), p.media == pfXML)
	p.checkStatic(b, f.Pos)
	return p, nil
}

func pfMediaOf(b registry.Builder, el *config.Element) pfMedia {
	a := el.Attr("media-type")
	if a == nil {
		return pfXML
	}
	switch a.Value {
	case "xml":
		return pfXML
	case "json":
		return pfJSON
	case "text":
		return pfText
	}
	b.Errorf(a.Pos, "media-type=%q must be xml, json or text", a.Value)
	return pfXML
}

// pfArgs compiles <args>. A value= literal is constant, so MI's per-message
// XML escaping of it is done here once.
func pfArgs(b registry.Builder, args *config.Element, media pfMedia) []pfArg {
	var out []pfArg
	for _, a := range args.Children {
		if !a.IsSynapse() || a.Name.Local != "arg" {
			b.Errorf(a.Pos, "<args> holds only <arg> elements; found <%s>", a.Display())
			continue
		}
		warnChildAttrs(b, a, "value", "expression", "evaluator", "literal", "deepCheck")
		arg := pfArg{literal: registry.Bool(b, a, "literal", false)}
		val, hasVal := a.AttrValue("value")
		src, hasExpr := a.AttrValue("expression")
		switch {
		case hasVal:
			if hasExpr {
				b.Warnf(a.Pos, "<arg> has both value and expression; the value is used, as in MI")
			}
			arg.litXML = looksLikeXML(val)
			arg.lit = val
			if !arg.litXML {
				arg.lit = escapeXML10(val)
			}
		case hasExpr:
			arg.ex, arg.json = pfArgExpr(b, a, src)
		default:
			b.Errorf(a.Pos, "<arg> needs a value or an expression attribute")
		}
		out = append(out, arg)
	}
	return out
}

// pfArgExpr compiles an arg expression: a JSONPath with evaluator="json"
// (json-eval(...) around it is optional, as in MI), otherwise XPath, or
// JSONPath when written as json-eval(...).
func pfArgExpr(b registry.Builder, a *config.Element, src string) (*expr.Expr, bool) {
	pos := a.Attr("expression").Pos
	if strings.TrimSpace(src) == "" {
		b.Errorf(pos, "the expression of an <arg> cannot be empty")
		return nil, false
	}
	ev := a.Get("evaluator")
	switch ev {
	case "", "xml", "json":
	default:
		b.Warnf(a.Attr("evaluator").Pos, "evaluator=%q is neither xml nor json; the expression is read as XPath, as in MI", ev)
	}
	if ev == "json" && !strings.HasPrefix(strings.TrimSpace(src), "json-eval(") {
		src = "json-eval(" + strings.TrimSpace(src) + ")"
	}
	e := b.Expr(a, src, pos)
	return e, e != nil && e.IsJSONPath()
}

// pfTemplate returns the template text of <format>: the local entry named
// by key, or the inline content. Whitespace-only text is dropped first, as
// MI's factory removes indentation.
func pfTemplate(b registry.Builder, f *config.Element, media pfMedia) (string, bool) {
	if a := f.Attr("key"); a != nil {
		return pfKeyTemplate(b, a)
	}
	if media == pfXML {
		for _, c := range f.Children {
			t := compile.ToXMLTree(c)
			dropIndentation(t)
			return t.String(), true
		}
	}
	var sb strings.Builder
	for _, n := range f.Content {
		if t, ok := n.(config.Text); ok && strings.TrimSpace(t.Data) != "" {
			sb.WriteString(t.Data)
		}
	}
	return sb.String(), true
}

func pfKeyTemplate(b registry.Builder, a *config.Attr) (string, bool) {
	key := strings.TrimSpace(a.Value)
	if strings.HasPrefix(key, "{") && strings.HasSuffix(key, "}") {
		b.Errorf(a.Pos, "a format key computed per message (%s) is not supported by Busbar yet; name a local entry", key)
		return "", false
	}
	le := b.LocalEntry(key)
	if le == nil {
		b.Errorf(a.Pos, "format key %q names no local entry (registry resources are not supported)", key)
		return "", false
	}
	if le.XML != nil {
		t := compile.ToXMLTree(le.XML)
		dropIndentation(t)
		return t.String(), true
	}
	return le.Text, true
}

// dropIndentation removes whitespace-only text nodes from a subtree, as
// MI's removeIndentations does to formats.
func dropIndentation(n *xmltree.Node) {
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		switch {
		case c.Type == xmltree.TextNode && strings.TrimSpace(c.Data) == "":
			c.Remove()
		case c.Type == xmltree.ElementNode:
			dropIndentation(c)
		}
		c = next
	}
}

// synapseExpr returns the first inline Synapse expression ${...} in tpl
// (which MI 4.4 evaluates in templates), or "".
func synapseExpr(tpl string) string {
	for i := 0; i+2 < len(tpl); i++ {
		if tpl[i] == '$' && tpl[i+1] == '{' {
			if j := strings.IndexByte(tpl[i+2:], '}'); j > 0 {
				return tpl[i : i+j+3]
			}
		}
	}
	return ""
}

// splitPFTemplate cuts a template at its $n placeholders. MI replaces them
// in order and stops at the first one with no arg ($0, or beyond the last
// arg): the rest of the template is then left as written, which is kept
// here and reported as a warning.
func splitPFTemplate(b registry.Builder, pos config.Pos, tpl string, nargs int, xml bool) []pfPart {
	if xml {
		tpl = pfPadOpen + tpl + pfPadClose
	}
	var parts []pfPart
	start := 0
	for i := 0; i < len(tpl); i++ {
		if tpl[i] != '$' || i+1 == len(tpl) || !pfDigit(tpl[i+1]) {
			continue
		}
		j := i + 1
		for j < len(tpl) && pfDigit(tpl[j]) {
			j++
		}
		n, err := strconv.Atoi(tpl[i+1 : j])
		if err != nil || n < 1 || n > nargs {
			b.Warnf(pos, "placeholder %s has no <arg> (there are %d); as in MI, it and the rest of the format are left unreplaced", tpl[i:j], nargs)
			break
		}
		parts = append(parts, pfPart{text: tpl[start:i], arg: n - 1})
		start = j
		i = j - 1
	}
	return append(parts, pfPart{text: tpl[start:], arg: -1})
}

func pfDigit(c byte) bool { return c >= '0' && c <= '9' }

// checkStatic reports a template without placeholders that can never give
// a valid payload, which would otherwise fail on every message.
func (p *payloadFactory) checkStatic(b registry.Builder, pos config.Pos) {
	if len(p.parts) != 1 {
		return
	}
	out := strings.TrimSpace(p.parts[0].text)
	switch p.media {
	case pfJSON:
		if out == "" {
			return
		}
		if _, err := jsontree.Parse([]byte(out)); err != nil {
			b.Errorf(pos, "the format is not valid JSON: %v", err)
		}
	case pfXML:
		doc, err := xmltree.ParseString(out)
		if err != nil {
			b.Errorf(pos, "the format is not well-formed XML: %v", err)
		} else if doc.DocumentElement().FirstChildElement() == nil {
			b.Errorf(pos, "the format holds no XML element")
		}
	}
}

func (p *payloadFactory) Mediate(c *engine.Context) (bool, error) {
	m := c.Msg
	vals := make([]pfValue, len(p.args))
	for i := range p.args {
		v, err := p.args[i].eval(m, p.media)
		if err != nil {
			return false, err
		}
		vals[i] = v
	}
	quote := p.media == pfJSON && m.Flag(message.ScopeDefault, "QUOTE_STRING_IN_PAYLOAD_FACTORY_JSON")
	var sb strings.Builder
	for _, part := range p.parts {
		sb.WriteString(part.text)
		if part.arg < 0 {
			continue
		}
		s, err := p.replacement(vals[part.arg], quote)
		if err != nil {
			return false, err
		}
		sb.WriteString(s)
	}
	m.Remove(message.ScopeAxis2, message.PropNoEntityBody)
	switch p.media {
	case pfJSON:
		return true, setJSONResult(m, strings.TrimSpace(sb.String()))
	case pfText:
		setTextResult(m, strings.TrimSpace(sb.String()))
		return true, nil
	}
	return true, setXMLResult(m, sb.String())
}

// pfKind is how MI's inferReplacementType classifies a value.
type pfKind uint8

const (
	pfStr pfKind = iota
	pfXMLValue
	pfJSONValue
)

// pfValue is an evaluated arg.
type pfValue struct {
	s       string
	kind    pfKind
	literal bool
}

// eval evaluates an arg as MI's getArgValues does: an expression's string
// result is XML-escaped for XML templates unless it is XML, or JSON from a
// JSONPath.
func (a *pfArg) eval(m *message.Message, media pfMedia) (pfValue, error) {
	if a.ex == nil {
		if a.litXML {
			return pfValue{s: a.lit, kind: pfXMLValue}, nil
		}
		return pfValue{s: a.lit}, nil
	}
	s, err := a.ex.EvalString(m)
	if err != nil {
		return pfValue{}, err
	}
	isXML := looksLikeXML(s)
	isJSON := a.json && startsJSON(s)
	if !isXML && media == pfXML && !isJSON {
		s = escapeXML10(s)
	}
	v := pfValue{s: s, literal: a.literal}
	switch {
	case a.literal:
	case !a.json && isXML:
		v.kind = pfXMLValue
	case isJSON:
		v.kind = pfJSONValue
	}
	return v, nil
}

// replacement is MI's prepareReplacementValue: what a placeholder becomes.
func (p *payloadFactory) replacement(v pfValue, quote bool) (string, error) {
	switch {
	case p.media == pfJSON && v.kind == pfXMLValue:
		return xmlArgToJSON(v.s)
	case p.media == pfXML && v.kind == pfJSONValue:
		return jsonArgToXML(v.s)
	case p.media != pfJSON:
		return v.s, nil
	case v.kind == pfJSONValue && p.escapeXML:
		return escapeJSONControls(v.s), nil
	case v.kind == pfStr && (v.literal || !startsJSON(v.s)):
		s := escapeJSONString(v.s)
		if t := strings.TrimSpace(v.s); quote && t != "true" && t != "false" && t != "null" && !jsontree.ValidNumber(t) {
			s = `"` + s + `"`
		}
		return s, nil
	}
	return v.s, nil
}

// xmlArgToJSON converts XML from an XPath into the JSON MI inserts: the
// value wrapped in <jsonObject> and converted, so <a>1</a> gives {"a":1}.
// Content that turns out not to be well-formed is taken as a string, as
// MI does when building it fails.
func xmlArgToJSON(s string) (string, error) {
	doc, err := xmltree.ParseString("<jsonObject>" + s + "</jsonObject>")
	if err != nil {
		return escapeJSONString(s), nil
	}
	v, err := jsonxml.FromXML(doc)
	if err != nil {
		return "", fault.Newf(fault.DefaultError, "Error converting XML to JSON: %v", err)
	}
	return v.String(), nil
}

// jsonArgToXML converts a JSON object or array from a JSONPath into the XML
// MI inserts: the members (or array items) of MI's JSON-to-XML form,
// without its jsonObject or jsonArray wrapper.
func jsonArgToXML(s string) (string, error) {
	v, err := jsontree.Parse([]byte(s))
	if err != nil {
		return "", fault.Newf(fault.DefaultError, "Error converting JSON to XML, please check your JSON Path expressions return valid JSON: %v", err)
	}
	var sb strings.Builder
	for c := range jsonxml.ToXML(v).ChildElements() {
		sb.WriteString(c.String())
	}
	return sb.String(), nil
}

// setXMLResult installs the result of an XML template: its first element
// replaces the SOAP body's content, or the whole envelope if it is one.
func setXMLResult(m *message.Message, out string) error {
	doc, err := xmltree.ParseString(out)
	if err != nil {
		return fault.Newf(fault.DefaultError, "Error creating SOAP Envelope from source %s: %v", clipForError(strings.TrimSuffix(strings.TrimPrefix(out, pfPadOpen), pfPadClose), 512), err)
	}
	first := doc.DocumentElement().FirstChildElement()
	if first == nil {
		return fault.New(fault.DefaultError, "Generated content is not a valid XML payload")
	}
	first.Remove()
	prevFormat, prevCT := m.OutFormat()
	xmlType := prevFormat.IsXML() && isXMLMessageType(prevCT)
	b := &m.Body
	soap := b.Format() == message.FormatSOAP11 || b.Format() == message.FormatSOAP12
	if ver, ok := message.IsEnvelope(first); ok {
		if message.SOAPBody(first) == nil {
			return fault.New(fault.DefaultError, "Generated content is not a valid SOAP envelope: it has no Body")
		}
		d := xmltree.NewDocument()
		d.AppendChild(first)
		f := message.FormatPOX
		if soap {
			f = ver
		}
		b.SetEnvelope(d, first, f)
	} else if soap {
		if err := setSOAPPayload(b, first); err != nil {
			return err
		}
	} else {
		d, env, body := message.NewEnvelope(message.FormatSOAP11)
		body.AppendChild(first)
		b.SetEnvelope(d, env, message.FormatPOX)
	}
	if !xmlType {
		// MI switches any other message type to application/xml.
		b.SetFormat(message.FormatPOX, message.CTXML)
		setMessageType(m, message.CTXML)
	}
	return nil
}

// setSOAPPayload replaces the content of a SOAP message's Body, keeping
// its headers. An envelope without a Body is refused rather than given to
// Body.SetPayload, which needs one.
func setSOAPPayload(b *message.Body, el *xmltree.Node) error {
	env, err := b.Envelope()
	if err != nil {
		return err
	}
	if message.SOAPBody(env) == nil {
		return fault.New(fault.DefaultError, "the message's SOAP envelope has no Body")
	}
	return b.SetPayload(el)
}

// isXMLMessageType reports whether MI's payloadFactory keeps a message type
// for an XML result.
func isXMLMessageType(ct string) bool {
	switch message.MediaType(ct) {
	case message.CTXML, message.CTSOAP11, message.CTSOAP12:
		return true
	}
	return false
}

// setMessageType records a new content type as MI's payloadFactory does:
// the axis2 messageType (when a flow has set one) and the Content-Type
// header follow the new payload.
func setMessageType(m *message.Message, ct string) {
	if _, ok := m.Get(message.ScopeAxis2, message.PropMessageType); ok {
		m.Set(message.ScopeAxis2, message.PropMessageType, ct)
	}
	m.Header.Set("Content-Type", ct)
}

func setJSONResult(m *message.Message, out string) error {
	if out == "" {
		out = "{}"
	}
	v, err := jsontree.Parse([]byte(out))
	if err != nil {
		return fault.Newf(fault.DefaultError, "Error creating JSON Payload from source %s: %v", clipForError(out, 512), err)
	}
	m.Body.SetJSON(v)
	setMessageType(m, message.CTJSON)
	return nil
}

// setTextResult makes the payload MI's text wrapper holding out.
func setTextResult(m *message.Message, out string) {
	el := xmltree.NewElement(message.NSPayload, "text", "")
	el.NS = []xmltree.NSDecl{{URI: message.NSPayload}}
	el.AppendChild(xmltree.NewText(out))
	b := &m.Body
	if f := b.Format(); f == message.FormatSOAP11 || f == message.FormatSOAP12 {
		if err := setSOAPPayload(b, el); err == nil {
			b.SetFormat(message.FormatText, message.CTText)
			setMessageType(m, message.CTText)
			return
		}
	}
	d, env, body := message.NewEnvelope(message.FormatSOAP11)
	body.AppendChild(el)
	b.SetEnvelope(d, env, message.FormatText)
	setMessageType(m, message.CTText)
}

// looksLikeXML is MI's TemplateProcessor.isXML: the trimmed value is at
// least four characters, ends with '>' and starts (after any XML
// declaration, comments and processing instructions) with a well-formed
// start tag. Like MI's lazy parser it does not check what follows the
// first start tag, so several elements in a row are XML too.
func looksLikeXML(v string) bool {
	s := strings.TrimSpace(v)
	if len(s) < 4 || s[len(s)-1] != '>' {
		return false
	}
	for {
		var end int
		switch {
		case strings.HasPrefix(s, "<?"):
			end = strings.Index(s, "?>") + 2
		case strings.HasPrefix(s, "<!--"):
			end = strings.Index(s, "-->") + 3
		default:
			return startTagParses(s)
		}
		if end < 3 {
			return false
		}
		s = strings.TrimLeft(s[end:], " \t\r\n")
	}
}

// startTagParses reports whether s starts with a start tag that is well
// formed on its own (names, attributes, namespace prefixes declared).
func startTagParses(s string) bool {
	if len(s) < 2 || s[0] != '<' || s[1] == '/' || s[1] == '!' {
		return false
	}
	var q byte
	end := -1
	for i := 1; i < len(s) && end < 0; i++ {
		switch c := s[i]; {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '"' || c == '\'':
			q = c
		case c == '>':
			end = i
		}
	}
	if end < 0 {
		return false
	}
	tag := s[:end+1]
	if !strings.HasSuffix(tag, "/>") {
		name := tag[1:]
		if i := strings.IndexAny(name, " \t\r\n/>"); i >= 0 {
			name = name[:i]
		}
		tag += "</" + name + ">"
	}
	_, err := xmltree.ParseString(tag)
	return err == nil
}

// startsJSON is MI's isJson: the trimmed value starts with '{' or '['.
func startsJSON(s string) bool {
	t := strings.TrimLeft(s, " \t\r\n")
	return t != "" && (t[0] == '{' || t[0] == '[')
}

// escapeXML10 is Apache Commons Text's escapeXml10, which MI applies to
// values inserted into XML: the five predefined entities, characters XML
// 1.0 cannot hold removed, and C1 controls as character references.
func escapeXML10(s string) string {
	if !strings.ContainsAny(s, "&<>\"'") && plainXMLChars(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"':
			b.WriteString("&quot;")
		case r == '\'':
			b.WriteString("&apos;")
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r', r == 0xFFFE, r == 0xFFFF, r == utf8.RuneError:
		case r >= 0x7F && r <= 0x84, r >= 0x86 && r <= 0x9F:
			fmt.Fprintf(&b, "&#%d;", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func plainXMLChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c >= 0x7F {
			return false
		}
	}
	return true
}

// escapeJSONString is MI's escapeSpecialChars: backslash, quote and the
// five named control characters escaped, for a value placed between quotes.
func escapeJSONString(s string) string {
	if !strings.ContainsAny(s, "\\\"\b\f\n\r\t") {
		return s
	}
	return jsonEscaper.Replace(s)
}

var jsonEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\b", `\b`, "\f", `\f`, "\n", `\n`, "\r", `\r`, "\t", `\t`)

// escapeJSONControls is MI's escapeXMLSpecialChars (escapeXmlChars="true"):
// only the five named control characters are escaped.
func escapeJSONControls(s string) string {
	return jsonControlEscaper.Replace(s)
}

var jsonControlEscaper = strings.NewReplacer("\b", `\b`, "\f", `\f`, "\n", `\n`, "\r", `\r`, "\t", `\t`)

// clipForError shortens s to about n bytes for an error message, without cutting
// a character.
func clipForError(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// warnChildAttrs warns about attributes Synapse does not define on a
// child element (MI ignores them), as compile does for mediator elements.
func warnChildAttrs(b registry.Builder, el *config.Element, known ...string) {
	for _, a := range el.Attrs {
		if a.Name.Space != "" || a.Name.Local == "description" || slices.Contains(known, a.Name.Local) {
			continue
		}
		b.Warnf(a.Pos, "unknown attribute %q on <%s>; ignored", a.Name.Local, el.Display())
	}
}
