package mediator

import (
	"strings"

	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/jsonpath"
	"github.com/busbar/busbar/internal/jsontree"
	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/xmltree"
)

// The enrich mediator on JSON: MI's native JSON support (Source.evaluateJson,
// Target.insertJson, removeJsonFromBody/Property, renameKey), working on the
// JSON tree rather than its XML form.

// sourcePropertyJSON reads a property source as MI decides between its JSON
// and XML paths: JSON, or a string Gson reads as JSON (a bare string
// otherwise), stays JSON; XML, or a string holding null or nothing Gson can
// read, sends the message down the XML path.
func (e *enrichMediator) sourcePropertyJSON(m *message.Message) (js *jsontree.Value, isXML bool) {
	if e.src.typ != enrichProperty {
		return nil, false
	}
	v, _ := m.Get(message.ScopeDefault, e.src.property)
	switch t := v.(type) {
	case *jsontree.Value:
		return t, false
	case *xmltree.Node:
		return nil, true
	case message.NodeList:
		for _, n := range t {
			p, ok := gsonParse(n.Data)
			if n.Type != xmltree.TextNode || !ok || p.Kind != jsontree.Object && p.Kind != jsontree.Array {
				return nil, true
			}
			js = p
		}
		return js, false
	case string:
		if p, ok := gsonParse(t); ok {
			return p, p.Kind == jsontree.Null
		}
		if p, err := jsontree.Parse([]byte(`"` + t + `"`)); err == nil {
			return p, false
		}
		if !strings.ContainsAny(t, "\"\\") {
			return jsontree.NewString(t), false
		}
		return nil, true
	}
	return nil, false
}

// mediateJSON enriches the JSON payload directly.
func (e *enrichMediator) mediateJSON(c *engine.Context, propJS *jsontree.Value) error {
	if e.tgt.action == actRemove {
		return e.removeJSON(c.Msg)
	}
	src, err := e.src.jsonValue(c.Msg, propJS)
	if err != nil {
		return err
	}
	if e.tgt.typ == enrichKey {
		return e.tgt.renameKey(c.Msg, src)
	}
	return e.tgt.insertJSON(c, src)
}

func noSource(format string, args ...any) error {
	return fault.Newf(fault.DefaultError, "Failed to get the source for Enriching : "+format, args...)
}

func noResults(p *jsonpath.Path) error {
	return fault.Newf(fault.DefaultError, "No results for path: %s", p)
}

// jsonValue evaluates the source as JSON. A custom source with clone="false"
// is removed from the payload.
func (s *enrichSource) jsonValue(m *message.Message, propJS *jsontree.Value) (*jsontree.Value, error) {
	switch s.typ {
	case enrichCustom:
		return s.jsonPathValue(m)
	case enrichBody:
		root, err := m.Body.JSON()
		if err != nil {
			return nil, err
		}
		return root.Clone(), nil
	case enrichInline:
		if !s.isText {
			return nil, noSource("the local entry holds XML, not JSON")
		}
		if s.inlineJSON == nil {
			return nil, noSource("the inline content is not valid JSON")
		}
		return s.inlineJSON.Clone(), nil
	case enrichProperty:
		if propJS == nil {
			return nil, noSource("property %s holds no JSON", s.property)
		}
		return propJS.Clone(), nil
	}
	return nil, noSource("unsupported source type %s", enrichTypeNames[s.typ])
}

// jsonPathValue is what Jayway's read gives: the match of a definite path
// (none is an error) or an array of the matches of any other path.
func (s *enrichSource) jsonPathValue(m *message.Message) (*jsontree.Value, error) {
	root, err := m.Body.JSON()
	if err != nil {
		return nil, err
	}
	p := s.xpath.JSONPath()
	vals, err := p.Select(root)
	if err != nil {
		return nil, noSource("%v", err)
	}
	var v *jsontree.Value
	if p.IsDefinite() {
		if len(vals) == 0 {
			return nil, noResults(p)
		}
		v = vals[len(vals)-1]
	} else {
		v = jsontree.NewArray(vals...)
	}
	if s.clone {
		return v.Clone(), nil
	}
	if locs, err := p.Locate(root); err == nil {
		for _, l := range locs {
			l.Delete()
		}
		m.Body.JSONChanged()
	}
	return v, nil
}

// insertJSON puts a JSON source into a custom, body or property target.
// What MI only logs as an error leaves the message alone.
func (t *enrichTarget) insertJSON(c *engine.Context, src *jsontree.Value) error {
	m := c.Msg
	switch t.typ {
	case enrichCustom:
		return t.setJSONTarget(c, src)
	case enrichBody:
		switch {
		case t.action != actReplace:
			c.Log().Error("enrich: unsupported action for a JSON body target; only replace is supported", "action", enrichActionNames[t.action])
		case src.Kind != jsontree.Object && src.Kind != jsontree.Array:
			c.Log().Error("enrich: only JSON arrays and objects can be enriched to the body", "source", src.String())
		default:
			m.Body.SetJSON(src)
		}
	case enrichProperty:
		t.jsonProperty(c, src)
	}
	return nil
}

// jsonProperty stores the JSON text in a property (replace) or appends to
// the JSON array a property holds (child).
func (t *enrichTarget) jsonProperty(c *engine.Context, src *jsontree.Value) {
	m := c.Msg
	switch t.action {
	case actReplace:
		m.Set(message.ScopeDefault, t.property, src.String())
	case actChild:
		cur, ok := m.Get(message.ScopeDefault, t.property)
		if !ok {
			c.Log().Error("enrich: cannot find the target property", "property", t.property)
			return
		}
		arr, ok := gsonParse(message.ValueString(cur))
		if !ok || arr.Kind != jsontree.Array {
			c.Log().Error("enrich: cannot add a child, since the target property is not a JSON array", "property", t.property)
			return
		}
		arr.Append(src)
		m.Set(message.ScopeDefault, t.property, arr.String())
	default:
		c.Log().Error("enrich: action sibling is not supported when enriching properties with JSON data")
	}
}

// setJSONTarget is MI's setEnrichResultToBody: replace sets every match
// (none is an error); child appends to an array or merges into an object.
// For a path matching several values MI appends to the list of matches and
// sets every match to that list; so does this.
func (t *enrichTarget) setJSONTarget(c *engine.Context, src *jsontree.Value) error {
	m := c.Msg
	root, err := m.Body.JSON()
	if err != nil {
		return err
	}
	p := t.xpath.JSONPath()
	switch t.action {
	case actReplace:
		locs, err := p.Locate(root)
		if err != nil {
			return fault.Newf(fault.DefaultError, "cannot replace %s: %v", p, err)
		}
		if len(locs) == 0 {
			return noResults(p)
		}
		for _, l := range locs {
			l.Set(src.Clone())
		}
	case actChild:
		if err := t.jsonChild(c, root, p, src); err != nil {
			return err
		}
	default:
		c.Log().Error("enrich: action sibling is not supported for JSON; use child instead")
		return nil
	}
	m.Body.JSONChanged()
	return nil
}

func (t *enrichTarget) jsonChild(c *engine.Context, root *jsontree.Value, p *jsonpath.Path, src *jsontree.Value) error {
	vals, err := p.Select(root)
	if err != nil {
		return fault.Newf(fault.DefaultError, "cannot evaluate %s: %v", p, err)
	}
	var recv *jsontree.Value
	if p.IsDefinite() {
		if len(vals) == 0 {
			return noResults(p)
		}
		recv = vals[len(vals)-1]
	} else {
		recv = jsontree.NewArray(vals...)
	}
	switch {
	case recv.Kind == jsontree.Array:
		recv.Append(src)
	case recv.Kind == jsontree.Object && src.Kind == jsontree.Object:
		for _, mem := range src.Obj {
			recv.Set(mem.Key, mem.Value)
		}
	default:
		c.Log().Error("enrich: cannot append since the target element is not a JSON array or object", "target", recv.String())
	}
	if !p.IsDefinite() {
		locs, err := p.Locate(root)
		if err != nil {
			return fault.Newf(fault.DefaultError, "cannot set %s: %v", p, err)
		}
		for _, l := range locs {
			l.Set(recv.Clone())
		}
	}
	return nil
}

// renameKey is a key target: the key at the end of the target path gets
// the source's string as its name in every object the parent path selects.
// As with Jayway's renameKey, the member moves to the end of its object.
func (t *enrichTarget) renameKey(m *message.Message, src *jsontree.Value) error {
	var name string
	switch src.Kind {
	case jsontree.String, jsontree.Number:
		name = src.Str
	case jsontree.Bool:
		name = src.String()
	default:
		return fault.New(fault.DefaultError, "Failed to get the new key name from source for Enriching. Key name must be a string.")
	}
	root, err := m.Body.JSON()
	if err != nil {
		return err
	}
	vals, err := t.keyParent.Select(root)
	if err != nil {
		return fault.Newf(fault.DefaultError, "Failed to rename the key: %v", err)
	}
	if len(vals) == 0 && t.keyParent.IsDefinite() {
		return noResults(t.keyParent)
	}
	for _, v := range vals {
		if v.Kind != jsontree.Object {
			return fault.New(fault.DefaultError, "Can only rename properties in a map")
		}
		old := v.Get(t.keyName)
		if old == nil {
			return fault.Newf(fault.DefaultError, "No results for Key %s found in map!", t.keyName)
		}
		v.Set(name, old)
		v.Delete(t.keyName)
	}
	m.Body.JSONChanged()
	return nil
}

// removeJSON deletes the matches of each source path from the body or a
// property (MI's removeJsonFromBody and removeJsonFromProperty).
func (e *enrichMediator) removeJSON(m *message.Message) error {
	if e.src.removePaths == nil {
		return fault.New(fault.DefaultError, "source Xpath is mandatory for the Remove action")
	}
	switch e.tgt.typ {
	case enrichBody:
		root, err := m.Body.JSON()
		if err != nil {
			return err
		}
		doc, err := e.src.removeFrom(root)
		if err != nil {
			return err
		}
		if doc == nil {
			doc = jsontree.NewObject()
		}
		m.Body.SetJSON(doc)
	case enrichProperty:
		return e.removeFromProperty(m)
	default:
		return fault.Newf(fault.DefaultError, "Target type %d is invalid for the remove action", e.tgt.typ)
	}
	return nil
}

func (e *enrichMediator) removeFromProperty(m *message.Message) error {
	name := e.tgt.property
	var doc *jsontree.Value
	switch v, _ := m.Get(message.ScopeDefault, name); t := v.(type) {
	case string:
		p, ok := gsonParse(t)
		if !ok {
			return fault.Newf(fault.DefaultError, "Cannot perform the remove operation: property %s does not hold JSON", name)
		}
		doc = p
	case *jsontree.Value:
		doc = t.Clone()
	default:
		return fault.Newf(fault.DefaultError, "Cannot perform the remove operation. Data type of the property %s is not string | JSON", name)
	}
	doc, err := e.src.removeFrom(doc)
	if err != nil {
		return err
	}
	if doc == nil {
		m.Set(message.ScopeDefault, name, "")
		return nil
	}
	m.Set(message.ScopeDefault, name, doc.String())
	return nil
}

// removeFrom deletes each remove path's matches from doc and returns the
// result; "$" empties the document (nil). A definite path that matches
// nothing is MI's PathNotFoundException; one whose value is an empty
// array, like an indefinite path with no match, is left alone.
func (s *enrichSource) removeFrom(doc *jsontree.Value) (*jsontree.Value, error) {
	failed := func() error {
		return fault.New(fault.DefaultError, "Error occurred while executing the action : remove")
	}
	for _, p := range s.removePaths {
		if p == nil {
			doc = nil
			continue
		}
		if doc == nil {
			return nil, failed()
		}
		vals, err := p.Select(doc)
		if err != nil {
			return nil, failed()
		}
		switch {
		case p.IsDefinite() && len(vals) == 0:
			return nil, failed()
		case len(vals) == 0, p.IsDefinite() && vals[0].Kind == jsontree.Array && len(vals[0].Arr) == 0:
			continue
		}
		locs, err := p.Locate(doc)
		if err != nil {
			return nil, failed()
		}
		for _, l := range locs {
			l.Delete()
		}
	}
	return doc, nil
}
