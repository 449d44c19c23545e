package mediator

import (
	"log/slog"
	"mime"
	"strings"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/expr"
	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/xmltree"
)

func init() {
	registry.RegisterMediator(registry.Spec{
		Element: "log",
		Aliases: []string{"org.apache.synapse.mediators.builtin.LogMediator"},
		Summary: "Writes one line about the message to the Busbar log, in MI's format, and lets the flow continue.",
		Doc: "The line is built as MI builds it, parts joined by `separator`:\n\n" +
			"- `simple`: `To: …` then, when present, `From`, `WSAction`, `SOAPAction`, `ReplyTo`, then `MessageID` and " +
			"`Direction: request|response`, then the properties;\n" +
			"- `headers`: each SOAP header block as `localName : text`, then the properties;\n" +
			"- `full`: what `simple` writes, then `Payload: <JSON text>` for a JSON message or `Envelope: <SOAP envelope>` " +
			"for anything else;\n" +
			"- `custom`: the properties only.\n\n" +
			"Each `<property>` is written `name = value`. A `<message>` child (MI 4.4) is written first; without a level it is " +
			"written with the properties only. `category` chooses the log level: TRACE and DEBUG log at debug, INFO at " +
			"info, WARN at warn, ERROR and FATAL at error; nothing is evaluated when that level is not enabled. The record " +
			"carries msgId, artifact and the mediation path. simple and custom never read the body unless a property " +
			"expression needs it, so they keep a pass-through message streaming. As in MI, a property whose XPath fails to " +
			"evaluate fails the flow, and a json-eval that fails logs an empty value.",
		Attrs: []registry.Attr{
			{Name: "level", Type: "enum", Default: "simple", Values: []string{"simple", "headers", "full", "custom"}, Doc: "Which fixed parts the line has (see above)."},
			{Name: "category", Type: "enum", Default: "INFO", Values: logCategories, Doc: "Case-insensitive."},
			{Name: "separator", Default: ", ", Doc: `Between the parts of the line; the two characters \n and \t stand for a new line and a tab.`},
			{Name: "logFullPayload", Type: "bool", Default: "false", Doc: "true forces level full (MI 4.4)."},
			{Name: "logMessageID", Type: "bool", Default: "false", Doc: "true starts a custom or `<message>` line with the MessageID (MI 4.4)."},
		},
		Children: []registry.Child{
			{Name: "property", Multiple: true, Doc: "name, and value or expression (XPath or json-eval(...))."},
			{Name: "message", Doc: "Text written at the start of the line. ${...} Synapse expressions are not supported yet."},
		},
		Examples: []registry.Example{
			{
				Title: "Log selected fields and pass the message through",
				Config: `<log level="custom" category="WARN"><property name="order" expression="json-eval($.id)"/>` +
					`<property name="note" value="large order"/></log>`,
				Input: `{"id":"A-17","total":9000}`, InputType: "application/json", Output: `{"id":"A-17","total":9000}`,
			},
			{
				Title:  "Log the whole message",
				Config: `<log level="full" separator="\n"/>`,
				Input:  `<order><id>7</id></order>`, InputType: "application/xml", Output: `<order><id>7</id></order>`,
			},
		},
		Differences: []string{
			"When the body cannot be parsed, level headers logs no header blocks and level full logs the raw bytes " +
				"(`Payload: …`) and the parse error instead of failing the flow, so a fault sequence that logs a malformed " +
				"request still runs.",
			"No correlation_id part: Busbar has no correlation id yet.",
		},
	}, newLog)
}

var logCategories = []string{"INFO", "TRACE", "DEBUG", "WARN", "ERROR", "FATAL"}

// logLevel is what a log line holds besides the properties.
type logLevel uint8

const (
	logCustom logLevel = iota
	logSimple
	logHeaders
	logFull
	// logTemplate is MI 4.4's level when a <message> is given without a
	// level: like custom, with the message first.
	logTemplate
)

type logProp struct {
	name string
	val  expr.Param
}

// logMediator is a compiled <log>.
type logMediator struct {
	level    logLevel
	slevel   slog.Level
	sep      string
	template string
	msgID    bool
	props    []logProp
}

func newLog(b registry.Builder, el *config.Element) (engine.Mediator, error) {
	l := &logMediator{level: logSimple, sep: ", "}
	switch registry.Enum(b, el, "level", "simple", "simple", "headers", "full", "custom") {
	case "headers":
		l.level = logHeaders
	case "full":
		l.level = logFull
	case "custom":
		l.level = logCustom
	}
	switch registry.Enum(b, el, "category", "INFO", logCategories...) {
	case "TRACE", "DEBUG":
		l.slevel = slog.LevelDebug
	case "WARN":
		l.slevel = slog.LevelWarn
	case "ERROR", "FATAL":
		l.slevel = slog.LevelError
	default:
		l.slevel = slog.LevelInfo
	}
	if s, ok := el.AttrValue("separator"); ok {
		l.sep = unescapeLogText(s)
	}
	l.msgID = registry.Bool(b, el, "logMessageID", false)
	if msg := el.Child("message"); msg != nil {
		l.compileMessage(b, el, msg)
	}
	if registry.Bool(b, el, "logFullPayload", false) {
		l.level = logFull
	}
	for _, p := range el.ChildrenNamed("property") {
		if lp, ok := compileLogProp(b, p); ok {
			l.props = append(l.props, lp)
		}
	}
	return l, nil
}

func (l *logMediator) compileMessage(b registry.Builder, el, msg *config.Element) {
	if len(msg.Children) > 0 {
		b.Errorf(msg.Children[0].Pos, "<message> holds text only; found <%s>", msg.Children[0].Display())
	}
	text := msg.Text()
	if i := strings.Index(text, "${"); i >= 0 {
		b.Errorf(msg.Pos, "<message> uses a Synapse expression (%s), which Busbar does not support yet; "+
			"write the text without ${...} and log values with <property expression=\"...\"/>", exprSnippet(text[i:]))
		return
	}
	l.template = unescapeLogText(text)
	if _, ok := el.AttrValue("level"); !ok {
		l.level = logTemplate
	}
}

func compileLogProp(b registry.Builder, p *config.Element) (logProp, bool) {
	for _, a := range p.Attrs {
		switch a.Name.Local {
		case "name", "value", "expression", "scope", "description":
		default:
			b.Warnf(a.Pos, "unknown attribute %q on a log <property>; ignored", a.Name.Local)
		}
	}
	name := strings.TrimSpace(p.Get("name"))
	if name == "" {
		b.Errorf(p.Pos, "a log <property> needs a name")
		return logProp{}, false
	}
	if v := p.Attr("value"); v != nil && strings.TrimSpace(v.Value) == "" {
		// MI refuses an empty value too (MediatorPropertyFactory).
		b.Errorf(v.Pos, "log property %q has an empty value", name)
		return logProp{}, false
	}
	val, ok := registry.ValueOrExpr(b, p, "value", "expression", true)
	return logProp{name: p.Get("name"), val: val}, ok
}

// unescapeLogText turns the two-character sequences \n and \t into a new
// line and a tab, as MI does for separators and message templates.
func unescapeLogText(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	return strings.NewReplacer(`\n`, "\n", `\t`, "\t").Replace(s)
}

// exprSnippet is the ${...} expression at the start of s, for messages.
func exprSnippet(s string) string {
	if end := strings.IndexByte(s, '}'); end >= 0 && end < 80 {
		return s[:end+1]
	}
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

func (l *logMediator) Mediate(c *engine.Context) (bool, error) {
	log := c.Log()
	if !log.Enabled(c.Ctx, l.slevel) {
		return true, nil
	}
	w := logLine{sep: l.sep}
	var bodyErr error
	switch l.level {
	case logCustom, logTemplate:
		if l.msgID {
			w.kv("MessageID: ", c.Msg.ID)
		}
		w.part(l.template)
	case logHeaders:
		w.part(l.template)
		bodyErr = w.headers(c.Msg)
	default:
		w.part(l.template)
		w.simple(c.Msg)
	}
	if err := l.properties(&w, c); err != nil {
		return false, err
	}
	if l.level == logFull {
		bodyErr = w.payload(c.Msg)
	}
	attrs := make([]any, 0, 4)
	attrs = append(attrs, "path", currentPath(c))
	if bodyErr != nil {
		attrs = append(attrs, "bodyError", bodyErr.Error())
	}
	log.Log(c.Ctx, l.slevel, w.b.String(), attrs...)
	return true, nil
}

// properties appends the custom properties. An XPath that fails fails the
// flow, as in MI (a json-eval that cannot be evaluated gives "").
func (l *logMediator) properties(w *logLine, c *engine.Context) error {
	for _, p := range l.props {
		v, err := p.val.Eval(c.Msg)
		if err != nil {
			return err
		}
		w.sepIfAny()
		w.b.WriteString(p.name)
		w.b.WriteString(" = ")
		w.b.WriteString(v)
	}
	return nil
}

// logLine builds MI's log text: parts joined by the separator, empty
// parts skipped (MI trims a leading separator; skipping also avoids the
// doubled separator MI writes after MessageID when there is no message).
type logLine struct {
	b   strings.Builder
	sep string
}

func (w *logLine) sepIfAny() {
	if w.b.Len() > 0 {
		w.b.WriteString(w.sep)
	}
}

func (w *logLine) part(s string) {
	if s != "" {
		w.sepIfAny()
		w.b.WriteString(s)
	}
}

func (w *logLine) kv(key, v string) {
	w.sepIfAny()
	w.b.WriteString(key)
	w.b.WriteString(v)
}

// simple writes MI's simple fields; none of them needs the body.
func (w *logLine) simple(m *message.Message) {
	w.kv("To: ", m.To)
	if v, ok := m.Get(message.ScopeDefault, "From"); ok {
		w.kv("From: ", message.ValueString(v))
	}
	soapAction, hasSOAPAction := soapActionOf(m)
	if m.Action != "" {
		w.kv("WSAction: ", m.Action)
	} else if hasSOAPAction {
		// Axis2 takes the WS-Addressing action from SOAPAction when the
		// request carries no addressing headers.
		w.kv("WSAction: ", soapAction)
	}
	if hasSOAPAction {
		w.kv("SOAPAction: ", soapAction)
	}
	if v, ok := m.Get(message.ScopeDefault, "ReplyTo"); ok {
		w.kv("ReplyTo: ", message.ValueString(v))
	}
	w.kv("MessageID: ", m.ID)
	if m.Response {
		w.kv("Direction: ", "response")
	} else {
		w.kv("Direction: ", "request")
	}
}

// soapActionOf returns the SOAP action the way Axis2 finds it: the
// SOAPAction header (quotes removed), or for SOAP 1.2 the action parameter
// of the Content-Type.
func soapActionOf(m *message.Message) (string, bool) {
	if vs := m.Header.Values("SOAPAction"); len(vs) > 0 {
		return strings.Trim(vs[0], `"`), true
	}
	ct := m.Header.Get("Content-Type")
	if message.MediaType(ct) != message.CTSOAP12 || !strings.Contains(ct, "action") {
		return "", false
	}
	if _, params, err := mime.ParseMediaType(ct); err == nil {
		if a, ok := params["action"]; ok {
			return a, true
		}
	}
	return "", false
}

// headers writes each SOAP header block as "localName : text". A body
// that cannot be parsed has no header blocks to show; the error is
// returned for the record rather than failing the flow.
func (w *logLine) headers(m *message.Message) error {
	env, err := m.Body.Envelope()
	if err != nil {
		return err
	}
	hdr := message.SOAPHeader(env)
	if hdr == nil {
		return nil
	}
	for c := hdr.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == xmltree.ElementNode {
			w.sepIfAny()
			w.b.WriteString(c.Name.Local)
			w.b.WriteString(" : ")
			w.b.WriteString(c.DirectText())
		}
	}
	return nil
}

// payload writes the JSON text of a JSON message (without converting it)
// or the SOAP envelope of anything else, as MI's full level does. A body
// that cannot be parsed is written as read.
func (w *logLine) payload(m *message.Message) error {
	if m.Body.Format() == message.FormatJSON {
		raw, err := m.Body.Raw()
		if err != nil {
			return err
		}
		w.kv("Payload: ", string(raw))
		return nil
	}
	env, err := m.Body.Envelope()
	if err != nil {
		if raw, rerr := m.Body.Raw(); rerr == nil {
			w.kv("Payload: ", string(raw))
		}
		return err
	}
	w.sepIfAny()
	w.b.WriteString("Envelope: ")
	w.b.Write(env.AppendXML(nil))
	return nil
}
