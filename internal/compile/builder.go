package compile

import (
	"fmt"
	"sort"
	"strings"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/expr"
	"github.com/busbar/busbar/internal/registry"
)

// builder implements registry.Builder for one position in the graph.
type builder struct {
	c    *compiler
	path string
	// owner is the named sequence being compiled ("" elsewhere), for
	// cycle detection.
	owner string
}

var _ registry.Builder = (*builder)(nil)

func (b *builder) Path() string { return b.path }

func (b *builder) Errorf(pos config.Pos, format string, args ...any) {
	b.c.diags.Errorf(pos, b.path, format, args...)
}

func (b *builder) Warnf(pos config.Pos, format string, args ...any) {
	b.c.diags.Warnf(pos, b.path, format, args...)
}

func (b *builder) Options() engine.Options { return b.c.g.Options }

func (b *builder) OnClose(f func()) { b.c.g.AddCloser(closerFunc(f)) }

func (b *builder) Graph() *engine.Graph { return b.c.g }

type closerFunc func()

func (f closerFunc) Close() error { f(); return nil }

func (b *builder) Expr(el *config.Element, src string, pos config.Pos) *expr.Expr {
	e, err := expr.Compile(src, exprNS(el))
	if err != nil {
		b.Errorf(pos, "%v", err)
		return nil
	}
	return e
}

func (b *builder) Key(el *config.Element, src string, pos config.Pos) expr.Key {
	k, err := expr.ParseKey(src, exprNS(el))
	if err != nil {
		b.Errorf(pos, "%v", err)
	}
	return k
}

func (b *builder) LocalEntry(key string) *config.LocalEntry { return b.c.localEntries[key] }

func (b *builder) HasTemplate(name string) bool { return b.c.templates[name] != nil }

func (b *builder) SequenceRef(key string, pos config.Pos) engine.SeqRef {
	ref := engine.SeqRef{Key: key, Pos: pos, Seq: b.c.g.Sequences[key]}
	if ref.Seq == nil {
		b.Warnf(pos, "sequence %q is not defined; using it fails at run time", key)
	}
	return ref
}

// callSequence is SequenceRef for the sequence mediator, which also records
// the call for cycle detection.
func (b *builder) callSequence(key string, pos config.Pos) engine.SeqRef {
	if b.owner != "" {
		b.c.calls[b.owner] = append(b.c.calls[b.owner], callEdge{to: key, pos: pos})
	}
	return b.SequenceRef(key, pos)
}

// CallSequence is exported for the sequence mediator through an interface
// check, so the registry contract stays small.
func (b *builder) CallSequence(key string, pos config.Pos) engine.SeqRef {
	return b.callSequence(key, pos)
}

func (b *builder) EndpointRef(key string, pos config.Pos) engine.EndpointRef {
	if b.c.endpointDefs[key] == nil {
		b.Warnf(pos, "endpoint %q is not defined; sending to it fails at run time with 305100", key)
	}
	return engine.EndpointRef{Key: key, Pos: pos}
}

// Mediators compiles el's mediator children into a sequence at path
// b.path/seg.
func (b *builder) Mediators(el *config.Element, seg string) *engine.Sequence {
	base := b.path
	if seg != "" {
		base += "/" + seg
	}
	seq := &engine.Sequence{Path: base}
	i := 0
	for _, child := range el.Children {
		if child.IsSynapse() && child.Name.Local == "description" {
			continue
		}
		i++
		path := fmt.Sprintf("%s/%s[%d]", base, child.Name.Local, i)
		if m := b.mediator(child, path); m != nil {
			seq.Steps = append(seq.Steps, engine.Step{M: m, Info: &engine.Info{Name: child.Name.Local, Path: path, Pos: child.Pos}})
		}
	}
	return seq
}

func (b *builder) mediator(el *config.Element, path string) engine.Mediator {
	sub := &builder{c: b.c, path: path, owner: b.owner}
	if !el.IsSynapse() {
		sub.Errorf(el.Pos, "unknown element %s (namespace %q) where a mediator is expected", describe(el), el.Name.Space)
		return nil
	}
	e := b.c.reg.Lookup(registry.KindMediator, el.Name.Local)
	if e == nil {
		sub.Errorf(el.Pos, "unknown mediator <%s>%s", el.Name.Local, suggest(el.Name.Local, b.c.reg))
		return nil
	}
	if e.Spec.Status == registry.StatusUnsupported {
		sub.Errorf(el.Pos, "<%s> is a Synapse mediator that Busbar does not support yet", el.Name.Local)
		return nil
	}
	checkSpec(sub, el, &e.Spec)
	m, err := e.Mediator(sub, el)
	if err != nil {
		sub.Errorf(el.Pos, "%v", err)
		return nil
	}
	return m
}

// checkSpec applies what a spec says about attributes and children, so
// factories need not repeat it: unknown attributes warn, missing required
// ones and unknown children are errors.
func checkSpec(b *builder, el *config.Element, s *registry.Spec) {
	known := make([]string, 0, len(s.Attrs)+1)
	for _, a := range s.Attrs {
		known = append(known, a.Name)
		if a.Required {
			if _, ok := el.AttrValue(a.Name); !ok {
				b.Errorf(el.Pos, "<%s> needs a %q attribute", el.Name.Local, a.Name)
			}
		}
	}
	config.CheckAttrs(b.c.diags, el, b.path, known...)
	if s.Mediators || s.AnyChildren {
		return
	}
	for _, c := range el.Children {
		if !c.IsSynapse() || !hasChild(s, c.Name.Local) {
			b.Errorf(c.Pos, "unknown element %s in <%s>", describe(c), el.Name.Local)
		}
	}
	for _, ch := range s.Children {
		if ch.Required && el.Child(ch.Name) == nil {
			b.Errorf(el.Pos, "<%s> needs a <%s> child", el.Name.Local, ch.Name)
		}
	}
}

func hasChild(s *registry.Spec, name string) bool {
	for _, c := range s.Children {
		if c.Name == name {
			return true
		}
	}
	return name == "description"
}

// suggest proposes the closest known mediator name for a typo.
func suggest(name string, reg *registry.Registry) string {
	best, bestD := "", 3
	for _, e := range reg.Walk(registry.KindMediator) {
		if d := distance(strings.ToLower(name), strings.ToLower(e.Spec.Element)); d < bestD {
			best, bestD = e.Spec.Element, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean <%s>?)", best)
}

// distance is the Levenshtein distance between two short names.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// Endpoint compiles an inline <endpoint> element. Its path gets the
// element's position among its sibling endpoints, so the children of a
// group (and their state trackers) are told apart.
func (b *builder) Endpoint(el *config.Element) engine.Endpoint {
	sub := &builder{c: b.c, path: b.path + "/" + endpointSegment(el), owner: b.owner}
	return sub.endpoint(el, el.Get("name"))
}

func endpointSegment(el *config.Element) string {
	if el.Parent == nil {
		return "endpoint"
	}
	n := 0
	for _, c := range el.Parent.Children {
		if c.Name.Local == "endpoint" {
			n++
		}
		if c == el {
			break
		}
	}
	return fmt.Sprintf("endpoint[%d]", n)
}

func (b *builder) endpoint(el *config.Element, name string) engine.Endpoint {
	config.CheckAttrs(b.c.diags, el, b.path, "name", "key", "key-expression", "template", "uri", "onError")
	if key := el.Get("key"); key != "" {
		if len(el.Children) > 0 {
			b.Errorf(el.Pos, "an <endpoint key=...> refers to a named endpoint and has no children")
		}
		b.EndpointRef(key, attrPos(el, "key"))
		return &engine.IndirectEndpoint{Key: key}
	}
	if a := el.Attr("key-expression"); a != nil {
		if len(el.Children) > 0 {
			b.Errorf(el.Pos, "an <endpoint key-expression=...> resolves a named endpoint and has no children")
		}
		if e := b.Expr(el, a.Value, a.Pos); e != nil {
			return &engine.ResolvingEndpoint{Key: e}
		}
		return nil
	}
	if a := el.Attr("template"); a != nil {
		return b.templateEndpoint(el, a, name)
	}
	var def *config.Element
	for _, c := range el.Children {
		switch {
		case c.IsSynapse() && (c.Name.Local == "property" || c.Name.Local == "description" || c.Name.Local == "parameter" || c.Name.Local == "session"):
		case def == nil:
			def = c
		default:
			b.Errorf(c.Pos, "an endpoint has one definition; found another %s", describe(c))
		}
	}
	if def == nil {
		b.Errorf(el.Pos, "<endpoint> has no definition (address, http, default, ...)")
		return nil
	}
	e := b.c.reg.Lookup(registry.KindEndpoint, def.Name.Local)
	if !def.IsSynapse() || e == nil {
		b.Errorf(def.Pos, "unknown endpoint kind %s", describe(def))
		return nil
	}
	if e.Spec.Status == registry.StatusUnsupported {
		b.Errorf(def.Pos, "<%s> endpoints are not supported by Busbar yet", def.Name.Local)
		return nil
	}
	sub := &builder{c: b.c, path: b.path + "/" + def.Name.Local, owner: b.owner}
	checkSpec(sub, def, &e.Spec)
	ep, err := e.Endpoint(sub, def, name)
	if err != nil {
		sub.Errorf(def.Pos, "%v", err)
		return nil
	}
	return ep
}

// templateEndpoint builds <endpoint template="T" uri="..."><parameter
// name value/></endpoint> by substituting $name, $uri and every parameter
// into the template's endpoint, then compiling the result like any other
// endpoint. A missing template is a warning and fails at run time with
// 305100, as in MI.
func (b *builder) templateEndpoint(el *config.Element, a *config.Attr, name string) engine.Endpoint {
	t := b.c.templates[a.Value]
	if t == nil || t.Endpoint == nil {
		b.Warnf(a.Pos, "endpoint template %q is not defined; sending to this endpoint fails at run time with 305100", a.Value)
		return &engine.MissingEndpoint{EPName: name, Reason: fmt.Sprintf("Couldn't find the endpoint template with the key : %s", a.Value)}
	}
	params := map[string]string{"name": name, "uri": el.Get("uri")}
	for _, p := range el.ChildrenNamed("parameter") {
		params[p.Get("name")] = p.Get("value")
	}
	for _, p := range t.Params {
		if _, ok := params[p.Name]; !ok || params[p.Name] == "" {
			if p.Default != "" {
				params[p.Name] = p.Default
			} else if p.Mandatory {
				b.Errorf(el.Pos, "endpoint template %s needs the parameter %q", t.Name, p.Name)
			}
		}
	}
	inst := substitute(t.Endpoint, params, el)
	sub := &builder{c: b.c, path: b.path, owner: b.owner}
	return sub.endpoint(inst, name)
}

// substitute copies a template element, replacing $param in attribute
// values and text. Longer names are replaced first so $uri does not eat
// $uriSuffix.
func substitute(el *config.Element, params map[string]string, parent *config.Element) *config.Element {
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) })
	pairs := make([]string, 0, 2*len(names))
	for _, n := range names {
		pairs = append(pairs, "$"+n, params[n])
	}
	return copyElement(el, strings.NewReplacer(pairs...), parent)
}

func copyElement(el *config.Element, r *strings.Replacer, parent *config.Element) *config.Element {
	out := &config.Element{Name: el.Name, NS: el.NS, Pos: el.Pos, Parent: parent}
	for _, a := range el.Attrs {
		a.Value = r.Replace(a.Value)
		out.Attrs = append(out.Attrs, a)
	}
	for _, c := range el.Content {
		switch t := c.(type) {
		case *config.Element:
			ce := copyElement(t, r, out)
			out.Content = append(out.Content, ce)
			out.Children = append(out.Children, ce)
		case config.Text:
			t.Data = r.Replace(t.Data)
			out.Content = append(out.Content, t)
		default:
			out.Content = append(out.Content, c)
		}
	}
	return out
}
