package mediator

import (
	"strings"

	"github.com/busbar/busbar/internal/compile"
	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/expr"
	"github.com/busbar/busbar/internal/jsonpath"
	"github.com/busbar/busbar/internal/jsontree"
	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/xmltree"
)

func init() {
	registry.RegisterMediator(registry.Spec{
		Element: "enrich",
		Aliases: []string{"org.apache.synapse.mediators.elementary.EnrichMediator"},
		Summary: "Copies or moves part of the message, a property or inline content (the source) into the message or a property (the target).",
		Doc: "<source type> is custom (an xpath, the default), envelope, body (the body's first element), property or " +
			"inline (XML, JSON or text written inside <source>, or key=\"localEntry\"); clone=\"false\" moves the source " +
			"instead of copying it. <target type> is custom (xpath), envelope, body, property or key, and action is " +
			"replace (default), child, sibling or remove. Combinations MI refuses are configuration errors: envelope " +
			"sources go only to properties, body sources not to the body or envelope, custom sources not to the " +
			"envelope, envelope targets only replace, remove needs a custom source and a body or property target, and " +
			"key targets need replace.\n\n" +
			"On XML (and on JSON whose XML form is enriched) it follows MI's Source/Target: replace puts the source " +
			"elements in place of the target element (text replaces the target's content), child appends them, " +
			"sibling inserts each after the target (so several end up in reverse order); a text target's parent gets " +
			"the text, an attribute target gets the text as its value; a property target stores the nodes (child " +
			"adds them to the XML the property holds). A JSON object or array text replacing the body makes the " +
			"payload JSON. A target that selects nothing is a fault (\"Invalid Target object to be enrich.\"); an empty " +
			"source leaves the message alone. remove does nothing to XML, as in MI.\n\n" +
			"When the message is JSON and every custom source and target is a json-eval JSONPath (no envelope, no " +
			"inline XML), the JSON is enriched directly, as MI's native JSON support does: replace sets every match " +
			"(a path matching nothing is a fault), child appends to an array or merges into an object, the body " +
			"takes an object or array, a property target gets the JSON text; remove deletes every match of each " +
			"comma-separated path in the body or a property; type=\"key\" renames the key at the end of the target " +
			"path to the source's string, moving it last as MI does.",
		Children: []registry.Child{
			{Name: "source", Required: true, Doc: "clone, type (custom|envelope|body|property|inline), xpath, property, key; inline content."},
			{Name: "target", Required: true, Doc: "action (replace|child|sibling|remove), type (custom|envelope|body|property|key), xpath, property."},
		},
		Examples: []registry.Example{
			{
				Title: "Keep the original payload in a property and restore it",
				Config: `<enrich><source type="body"/><target type="property" property="orig"/></enrich>` +
					`<payloadFactory><format><tmp xmlns=""/></format></payloadFactory>` +
					`<enrich><source type="property" property="orig"/><target type="body"/></enrich>`,
				Input: `<order><id>7</id></order>`, InputType: "application/xml", Output: `<order><id>7</id></order>`,
			},
			{
				Title:  "Add an inline element as a child",
				Config: `<enrich><source type="inline" clone="true"><status xmlns="">NEW</status></source><target action="child" xpath="//order"/></enrich>`,
				Input:  `<order><id>7</id></order>`, InputType: "application/xml", Output: `<order><id>7</id><status>NEW</status></order>`,
			},
			{
				Title:  "Append to a JSON array",
				Config: `<enrich><source type="inline">{"id":"03","name":"Mary"}</source><target action="child" xpath="json-eval($.students)"/></enrich>`,
				Input:  `{"students":[{"id":"01","name":"Tom"}]}`, InputType: "application/json",
				Output: `{"students":[{"id":"01","name":"Tom"},{"id":"03","name":"Mary"}]}`, OutputType: "application/json",
			},
			{
				Title:  "Remove parts of a JSON payload",
				Config: `<enrich><source xpath="json-eval($.students[*].modules,$.secret)"/><target action="remove" type="body"/></enrich>`,
				Input:  `{"students":[{"id":"01","modules":["CS1"]}],"secret":"x"}`, InputType: "application/json",
				Output: `{"students":[{"id":"01"}]}`,
			},
		},
		Differences: []string{
			"Inline expressions in an inline source ({$ctx:x}, {json-eval(...)}) and type=\"variable\" are configuration errors: Busbar does not support them yet.",
			"A key-type target path that cannot be split into a parent path and a key, and an inline key that names no local entry, are configuration errors; MI fails on every message.",
		},
	}, newEnrich)
}

// enrichType is MI's source and target type, numbered as EnrichMediator's
// constants because MI's messages print the number.
type enrichType int

const (
	enrichCustom enrichType = iota
	enrichEnvelope
	enrichBody
	enrichProperty
	enrichInline
	enrichKey
)

var enrichTypeNames = []string{"custom", "envelope", "body", "property", "inline", "key"}

// enrichAction is the target action.
type enrichAction uint8

const (
	actReplace enrichAction = iota
	actChild
	actSibling
	actRemove
)

var enrichActionNames = []string{"replace", "child", "sibling", "remove"}

// enrichSource is a compiled <source>.
type enrichSource struct {
	typ      enrichType
	clone    bool
	xpath    *expr.Expr
	property string
	// Inline content: an element (copied on each use) or text; fromKey
	// says it came from a local entry.
	inlineEl   *xmltree.Node
	inlineText string
	isText     bool
	fromKey    bool
	// inlineJSON is the inline text read as JSON (nil if it is not JSON),
	// copied on each use.
	inlineJSON *jsontree.Value
	// removePaths are the comma-separated JSONPaths of a remove action;
	// nil stands for "$".
	removePaths []*jsonpath.Path
}

// enrichTarget is a compiled <target>.
type enrichTarget struct {
	typ      enrichType
	action   enrichAction
	xpath    *expr.Expr
	property string
	// propFunc is set for a custom xpath written as get-property(...),
	// which MI handles as a property target.
	propFunc           bool
	propScope, propKey string
	// keyParent and keyName split a key-type target path.
	keyParent *jsonpath.Path
	keyName   string
	root      bool // the target JSONPath is $
}

// enrichMediator is a compiled <enrich>; it is immutable once built.
type enrichMediator struct {
	src    enrichSource
	tgt    enrichTarget
	native bool // MI's isNativeJsonSupportEnabled
}

func newEnrich(b registry.Builder, el *config.Element) (engine.Mediator, error) {
	e := &enrichMediator{}
	se, te := el.Child("source"), el.Child("target")
	if se == nil || te == nil {
		return e, nil
	}
	warnChildAttrs(b, se, "clone", "type", "xpath", "property", "key")
	warnChildAttrs(b, te, "action", "type", "xpath", "property")
	srcType, _, ok1 := enrichTypeOf(b, se, "source")
	tgtType, tgtExplicit, ok2 := enrichTypeOf(b, te, "target")
	action, ok3 := enrichActionOf(b, te)
	if !ok1 || !ok2 || !ok3 || !validEnrichCombination(b, el, srcType, tgtType, tgtExplicit, action) {
		return e, nil
	}
	e.src = enrichSource{typ: srcType, clone: registry.Bool(b, se, "clone", true)}
	e.tgt = enrichTarget{typ: tgtType, action: action}
	e.src.compile(b, se, action)
	e.tgt.compile(b, te)
	e.native = e.nativeJSON()
	return e, nil
}

// enrichTypeOf reads type=, spelt exactly as MI expects. explicit says it
// was written, which matters because MI checks combinations against the
// written types only.
func enrichTypeOf(b registry.Builder, el *config.Element, what string) (enrichType, bool, bool) {
	a := el.Attr("type")
	if a == nil {
		return enrichCustom, false, true
	}
	switch a.Value {
	case "variable":
		b.Errorf(a.Pos, "<%s type=\"variable\"> is not supported by Busbar yet", what)
		return 0, true, false
	case "inline":
		if what == "target" {
			b.Errorf(a.Pos, "a <target> cannot be inline (type is custom, envelope, body, property or key)")
			return 0, true, false
		}
	case "key":
		if what == "source" {
			b.Errorf(a.Pos, "type=\"key\" is for <target>; an inline source from a local entry is type=\"inline\" key=\"...\"")
			return 0, true, false
		}
	}
	for i, n := range enrichTypeNames {
		if a.Value == n {
			return enrichType(i), true, true
		}
	}
	b.Errorf(a.Pos, "unexpected %s type %q (custom, envelope, body, property, inline or key)", what, a.Value)
	return 0, true, false
}

func enrichActionOf(b registry.Builder, te *config.Element) (enrichAction, bool) {
	a := te.Attr("action")
	if a == nil {
		return actReplace, true
	}
	for i, n := range enrichActionNames {
		if a.Value == n {
			return enrichAction(i), true
		}
	}
	b.Errorf(a.Pos, "unexpected target action %q (replace, child, sibling or remove)", a.Value)
	return 0, false
}

// validEnrichCombination applies EnrichMediatorFactory's checks. As in MI,
// a target without a type attribute escapes the source/target type checks
// even though it is custom.
func validEnrichCombination(b registry.Builder, el *config.Element, src, tgt enrichType, tgtExplicit bool, action enrichAction) bool {
	t := enrichType(-1)
	if tgtExplicit {
		t = tgt
	}
	bad := func(format string, args ...any) bool {
		b.Errorf(el.Pos, format, args...)
		return false
	}
	switch {
	case src == enrichEnvelope && (t == enrichCustom || t == enrichEnvelope || t == enrichBody),
		src == enrichBody && (t == enrichEnvelope || t == enrichBody),
		src == enrichCustom && t == enrichEnvelope:
		return bad("wrong combination of source and target type: source type %s cannot go to target type %s", enrichTypeNames[src], enrichTypeNames[t])
	case action == actRemove && src != enrichCustom:
		return bad("wrong combination of source type and target action: remove takes a custom (xpath) source, not %s", enrichTypeNames[src])
	case action == actRemove && (t == enrichCustom || t == enrichEnvelope):
		return bad("wrong combination of target type and target action: remove works on a body or property target, not %s", enrichTypeNames[t])
	case t == enrichKey && src == enrichBody:
		return bad("wrong combination of source type and target type: a body source cannot rename a key")
	case t == enrichKey && action != actReplace:
		return bad("only the replace action is supported for the target type key")
	case tgt == enrichEnvelope && action != actReplace:
		return bad("an envelope target only takes action=\"replace\" (child or sibling would put an envelope in an envelope)")
	}
	return true
}

func (s *enrichSource) compile(b registry.Builder, se *config.Element, action enrichAction) {
	switch s.typ {
	case enrichCustom:
		a := se.Attr("xpath")
		if a == nil {
			b.Errorf(se.Pos, "a custom <source> needs an xpath attribute")
			return
		}
		if action == actRemove && strings.HasPrefix(strings.TrimSpace(a.Value), "json-eval(") {
			s.compileRemovePaths(b, a)
			return
		}
		s.xpath = b.Expr(se, a.Value, a.Pos)
		if action == actRemove {
			b.Warnf(a.Pos, "remove only works with a json-eval source on a JSON payload; with an XPath source this enrich changes nothing, as in MI")
		}
	case enrichProperty:
		s.property = se.Get("property")
		if s.property == "" {
			b.Errorf(se.Pos, "a property <source> needs a property attribute")
		}
	case enrichInline:
		s.compileInline(b, se)
		if s.isText {
			s.inlineJSON, _ = gsonParse(s.inlineText)
		}
	}
}

// compileRemovePaths splits json-eval(p1,p2,...) at commas, as MI does
// before deleting each path.
func (s *enrichSource) compileRemovePaths(b registry.Builder, a *config.Attr) {
	inner := strings.TrimSpace(a.Value)
	inner = strings.TrimSuffix(strings.TrimPrefix(inner, "json-eval("), ")")
	for _, p := range strings.Split(inner, ",") {
		p = strings.TrimSpace(p)
		if p == "$" || p == "$." {
			s.removePaths = append(s.removePaths, nil)
			continue
		}
		jp, err := jsonpath.Compile(p)
		if err != nil {
			b.Errorf(a.Pos, "invalid JSONPath %q in the remove source: %v", p, err)
			continue
		}
		s.removePaths = append(s.removePaths, jp)
	}
}

// compileInline reads inline content: the first child element, else the
// text, else a local entry named by key.
func (s *enrichSource) compileInline(b registry.Builder, se *config.Element) {
	switch {
	case len(se.Children) > 0:
		s.inlineEl = compile.ToXMLTree(se.Children[0])
		checkInlineExpressions(b, se.Pos, s.inlineEl.DirectText())
	case strings.TrimSpace(se.Text()) != "":
		s.inlineText, s.isText = se.Text(), true
		checkInlineExpressions(b, se.Pos, s.inlineText)
	case se.Get("key") != "":
		key := se.Get("key")
		le := b.LocalEntry(key)
		if le == nil {
			b.Errorf(se.Attr("key").Pos, "inline source key %q names no local entry (registry resources are not supported)", key)
			return
		}
		s.fromKey = true
		if le.XML != nil {
			s.inlineEl = compile.ToXMLTree(le.XML)
		} else {
			s.inlineText, s.isText = le.Text, true
		}
	default:
		b.Errorf(se.Pos, "an inline <source> needs XML, JSON or text content, or a key attribute")
	}
}

// checkInlineExpressions refuses MI's inline expressions ({$ctx:x},
// {json-eval(...)}), found with MI's pattern \{[^\s",<>}\]]+\}.
func checkInlineExpressions(b registry.Builder, pos config.Pos, text string) {
	for i := 0; i < len(text); i++ {
		if text[i] != '{' {
			continue
		}
		j := i + 1
		for j < len(text) && !strings.ContainsRune(" \t\r\n\f\v\",<>}]", rune(text[j])) {
			j++
		}
		if j > i+1 && j < len(text) && text[j] == '}' {
			b.Errorf(pos, "inline expressions in an enrich source (%s) are not supported by Busbar yet", text[i:j+1])
			return
		}
	}
}

func (t *enrichTarget) compile(b registry.Builder, te *config.Element) {
	switch t.typ {
	case enrichCustom:
		a := te.Attr("xpath")
		if a == nil {
			b.Errorf(te.Pos, "a custom <target> needs an xpath attribute")
			return
		}
		t.xpath = b.Expr(te, a.Value, a.Pos)
		if t.xpath == nil {
			return
		}
		src := strings.TrimSpace(a.Value)
		if t.xpath.IsJSONPath() {
			p := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(src, "json-eval("), ")"))
			t.root = p == "$" || p == "$."
			if t.root && t.action == actReplace {
				b.Errorf(a.Pos, "action replace is not supported for the root path in a custom target; use type=\"body\" action=\"replace\" instead")
			}
		}
		if strings.HasPrefix(src, "get-property(") {
			t.compilePropFunc(src)
		}
	case enrichProperty:
		t.property = te.Get("property")
		if t.property == "" {
			b.Errorf(te.Pos, "a property <target> needs a property attribute")
		}
	case enrichKey:
		t.compileKey(b, te)
	}
}

// compilePropFunc reads the quoted names of a get-property(...) target as
// MI's Target.handleProperty does: one name, or scope then name.
func (t *enrichTarget) compilePropFunc(src string) {
	var quoted []string
	for rest := src; ; {
		i := strings.IndexByte(rest, '\'')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i+1:], '\'')
		if j < 0 {
			break
		}
		quoted = append(quoted, rest[i+1:i+1+j])
		rest = rest[i+j+2:]
	}
	t.propFunc = true
	t.propScope = message.ScopeDefault
	switch {
	case len(quoted) > 1:
		t.propScope, t.propKey = quoted[0], quoted[1]
	case len(quoted) == 1:
		t.propKey = quoted[0]
	}
}

// compileKey splits a key target json-eval(parent.key) at its last '.'.
func (t *enrichTarget) compileKey(b registry.Builder, te *config.Element) {
	a := te.Attr("xpath")
	if a == nil {
		b.Errorf(te.Pos, "a key <target> needs an xpath attribute: json-eval(<path to the object>.<key>)")
		return
	}
	src := strings.TrimSpace(a.Value)
	inner, ok := strings.CutPrefix(src, "json-eval(")
	inner, ok2 := strings.CutSuffix(inner, ")")
	i := strings.LastIndexByte(inner, '.')
	if !ok || !ok2 || i < 1 || i == len(inner)-1 {
		b.Errorf(a.Pos, "a key target xpath must be json-eval(<path to the object>.<key>), not %q", src)
		return
	}
	p, err := jsonpath.Compile(inner[:i])
	if err != nil {
		b.Errorf(a.Pos, "invalid JSONPath %q in the key target: %v", inner[:i], err)
		return
	}
	t.keyParent, t.keyName = p, inner[i+1:]
}

// nativeJSON is MI's isNativeJsonSupportEnabled: no envelope, no inline
// XML, and custom sources and targets only as JSONPath.
func (e *enrichMediator) nativeJSON() bool {
	s, t := &e.src, &e.tgt
	if s.typ == enrichEnvelope || t.typ == enrichEnvelope || s.typ == enrichInline && s.inlineXML() {
		return false
	}
	srcJSON := s.typ == enrichCustom && (s.xpath != nil && s.xpath.IsJSONPath() || s.removePaths != nil)
	tgtJSON := t.typ == enrichCustom && t.xpath != nil && t.xpath.IsJSONPath()
	return (s.typ != enrichCustom || srcJSON) && (t.typ != enrichCustom || tgtJSON)
}

// inlineXML says inline content is XML as MI's factory decides: an element,
// or text that is neither JSON (as Gson reads it) nor {...}. Content from a
// key is decided per message.
func (s *enrichSource) inlineXML() bool {
	if s.fromKey {
		return false
	}
	if !s.isText {
		return true
	}
	if v, ok := gsonParse(s.inlineText); ok {
		return v.Kind == jsontree.Null
	}
	t := strings.TrimSpace(s.inlineText)
	return !(strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}"))
}

func (e *enrichMediator) Mediate(c *engine.Context) (bool, error) {
	m := c.Msg
	var err error
	if e.native && m.Body.HasJSONPayload() {
		if js, isXML := e.sourcePropertyJSON(m); !isXML {
			err = e.mediateJSON(c, js)
		} else {
			err = e.mediateXML(c)
		}
	} else {
		err = e.mediateXML(c)
	}
	if err != nil {
		return false, err
	}
	if e.tgt.typ == enrichBody || e.tgt.typ == enrichEnvelope {
		m.Remove(message.ScopeAxis2, message.PropNoEntityBody)
	}
	return true, nil
}

// gsonParse reads s as Gson's lenient JsonParser does for what MI meets in
// practice: standard JSON, or one unquoted or single-quoted token, which
// Gson takes as a string. Anything else is not JSON.
func gsonParse(s string) (*jsontree.Value, bool) {
	t := strings.TrimSpace(s)
	if t == "" {
		return nil, false
	}
	if v, err := jsontree.Parse([]byte(t)); err == nil {
		return v, true
	}
	if len(t) >= 2 && t[0] == '\'' && t[len(t)-1] == '\'' && !strings.ContainsRune(t[1:len(t)-1], '\'') {
		return jsontree.NewString(t[1 : len(t)-1]), true
	}
	if strings.ContainsAny(t, " \t\r\n\f/\\;#={}[]:,\"'") {
		return nil, false
	}
	return jsontree.NewString(t), true
}
