// Package compile turns a loaded deployment into an engine.Graph: it
// decodes every mediator and endpoint through its registered factory,
// compiles every expression, template and matcher, resolves references and
// detects sequence cycles, collecting all errors with their positions. The
// result is immutable; nothing on the request path walks XML or compiles
// anything.
package compile

import (
	"fmt"
	"sort"
	"strings"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/expr"
	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/store"
	"github.com/busbar/busbar/internal/uritemplate"
)

// Compile builds a graph. On any error it returns a nil graph (having
// closed whatever was opened) and the diagnostics.
func Compile(dep *config.Deployment, reg *registry.Registry, opts engine.Options) (*engine.Graph, *config.Diagnostics) {
	c := newCompiler(dep, reg, opts)
	c.run()
	c.diags.Sort()
	if c.diags.HasErrors() {
		_ = c.g.Close()
		return nil, c.diags
	}
	return c.g, c.diags
}

type compiler struct {
	dep   *config.Deployment
	reg   *registry.Registry
	g     *engine.Graph
	diags *config.Diagnostics

	localEntries map[string]*config.LocalEntry
	templates    map[string]*config.Template
	endpointDefs map[string]*config.Endpoint
	// calls records sequence-mediator references between named
	// sequences, for cycle detection.
	calls map[string][]callEdge
}

type callEdge struct {
	to  string
	pos config.Pos
}

func newCompiler(dep *config.Deployment, reg *registry.Registry, opts engine.Options) *compiler {
	if opts.Runtime == nil {
		opts.Runtime = engine.NewRuntime()
	}
	return &compiler{
		dep: dep, reg: reg, diags: &config.Diagnostics{},
		g: &engine.Graph{
			Proxies: map[string]*engine.Proxy{}, Sequences: map[string]*engine.Sequence{},
			Endpoints: map[string]engine.Endpoint{}, Templates: map[string]*engine.Template{},
			Stores: map[string]store.Store{}, Processors: map[string]engine.Processor{}, StoreParams: map[string]map[string]string{},
			LocalEntries: map[string]*engine.LocalEntry{}, Hash: dep.Hash, Options: opts,
		},
		localEntries: map[string]*config.LocalEntry{}, templates: map[string]*config.Template{},
		endpointDefs: map[string]*config.Endpoint{}, calls: map[string][]callEdge{},
	}
}

func (c *compiler) run() {
	for _, le := range c.dep.LocalEntries {
		c.localEntries[le.Name] = le
		c.g.LocalEntries[le.Name] = compileLocalEntry(le)
	}
	for _, t := range c.dep.Templates {
		c.templates[t.Name] = t
	}
	for _, e := range c.dep.Endpoints {
		c.endpointDefs[e.Name] = e
	}
	// Named sequences exist before anything refers to them, so references
	// are plain pointers even when sequences refer to each other.
	for _, s := range c.dep.Sequences {
		c.g.Sequences[s.Name] = &engine.Sequence{Name: s.Name, Path: s.Path}
	}
	c.builtins()
	c.stores()
	for _, s := range c.dep.Sequences {
		c.sequence(s)
	}
	for _, e := range c.dep.Endpoints {
		c.namedEndpoint(e)
	}
	for _, t := range c.dep.Templates {
		c.template(t)
	}
	for _, p := range c.dep.Proxies {
		c.proxy(p)
	}
	for _, a := range c.dep.APIs {
		c.api(a)
	}
	c.processors()
	sort.SliceStable(c.g.APIs, func(i, j int) bool { return len(c.g.APIs[i].Context) > len(c.g.APIs[j].Context) })
	c.checkContexts()
	c.detectCycles()
	c.g.Main = c.g.Sequences["main"]
	c.g.Fault = c.g.Sequences["fault"]
}

// builder returns a Builder positioned at path.
func (c *compiler) builder(path, owner string) *builder {
	return &builder{c: c, path: path, owner: owner}
}

func (c *compiler) sequence(s *config.Sequence) {
	seq := c.g.Sequences[s.Name]
	b := c.builder(s.Path, s.Name)
	built := b.Mediators(s.Elem, "")
	seq.Steps = built.Steps
	if s.OnError != "" {
		seq.OnError = b.SequenceRef(s.OnError, attrPos(s.Elem, "onError"))
	}
}

func attrPos(el *config.Element, name string) config.Pos {
	if a := el.Attr(name); a != nil {
		return a.Pos
	}
	return el.Pos
}

func (c *compiler) namedEndpoint(e *config.Endpoint) {
	b := c.builder(e.Path, "")
	if ep := b.endpoint(e.Elem, e.Name); ep != nil {
		c.g.Endpoints[e.Name] = ep
	}
}

func (c *compiler) template(t *config.Template) {
	if t.Sequence == nil {
		return
	}
	b := c.builder(t.Path, "")
	et := &engine.Template{Name: t.Name, Path: t.Path, Sequence: b.Mediators(t.Sequence, "sequence"), OnError: t.OnError}
	if t.OnError != "" {
		et.Sequence.OnError = b.SequenceRef(t.OnError, attrPos(t.Elem, "onError"))
	}
	for _, p := range t.Params {
		et.Params = append(et.Params, engine.TemplateParam{Name: p.Name, Default: p.Default, Mandatory: p.Mandatory})
	}
	c.g.Templates[t.Name] = et
}

func (c *compiler) seqRef(b *builder, ref config.SeqRef, seg string) engine.SeqRef {
	switch {
	case ref.Inline != nil:
		s := b.Mediators(ref.Inline, seg)
		if k := ref.Inline.Get("onError"); k != "" {
			s.OnError = b.SequenceRef(k, attrPos(ref.Inline, "onError"))
		}
		return engine.SeqRef{Seq: s, Pos: ref.Pos}
	case ref.Key != "":
		return b.SequenceRef(ref.Key, ref.Pos)
	}
	return engine.SeqRef{}
}

func (c *compiler) proxy(p *config.Proxy) {
	b := c.builder(p.Path, "")
	ep := &engine.Proxy{Name: p.Name, Path: p.Path, Transports: p.Transports, Pos: p.Pos}
	for _, t := range p.Transports {
		if t != "http" && t != "https" {
			c.diags.Warnf(p.Pos, p.Path, "transport %q is not supported by Busbar; the proxy is served over HTTP", t)
		}
	}
	ep.In = c.seqRef(b, p.In, "target/inSequence")
	ep.Out = c.seqRef(b, p.Out, "target/outSequence")
	ep.Fault = c.seqRef(b, p.Fault, "target/faultSequence")
	switch {
	case p.Endpoint.Inline != nil:
		b.path = p.Path + "/target"
		ep.Endpoint = engine.EndpointRef{EP: b.Endpoint(p.Endpoint.Inline), Pos: p.Endpoint.Pos}
	case p.Endpoint.Key != "":
		ep.Endpoint = b.EndpointRef(p.Endpoint.Key, p.Endpoint.Pos)
	}
	if !p.StartOnLoad {
		c.diags.Warnf(p.Pos, p.Path, "startOnLoad=false: the proxy is not served")
		return
	}
	c.g.Proxies[p.Name] = ep
}

func (c *compiler) api(a *config.API) {
	ea := &engine.API{Name: a.Name, Path: a.Path, Context: apiContext(a), Version: a.Version, Host: a.Host, Port: a.Port, Pos: a.Pos}
	for i, r := range a.Resources {
		b := c.builder(r.Path, "")
		er := &engine.Resource{Path: r.Path, Methods: r.Methods, Protocols: r.Protocols}
		er.Match = c.matcher(r)
		er.In = c.seqRef(b, r.In, "inSequence")
		er.Out = c.seqRef(b, r.Out, "outSequence")
		er.Fault = c.seqRef(b, r.Fault, "faultSequence")
		_ = i
		ea.Resources = append(ea.Resources, er)
	}
	ea.ResMismatch = c.g.Sequences["_resource_mismatch_handler_"]
	ea.MethodNA = c.g.Sequences["_method_not_allowed_handler_"]
	c.g.APIs = append(c.g.APIs, ea)
}

// apiContext folds the version into the context: a {version} placeholder
// is replaced, otherwise the version becomes the next path segment.
func apiContext(a *config.API) string {
	if a.Version == "" {
		return a.Context
	}
	if strings.Contains(a.Context, "{version}") {
		return strings.ReplaceAll(a.Context, "{version}", a.Version)
	}
	return a.Context + "/" + a.Version
}

func (c *compiler) matcher(r *config.Resource) engine.Matcher {
	switch {
	case r.URITemplate != "":
		t, err := uritemplate.Parse(r.URITemplate)
		if err != nil {
			c.diags.Errorf(attrPos(r.Elem, "uri-template"), r.Path, "%v", err)
			return uritemplate.Any{}
		}
		return t
	case r.URLMapping != "":
		m, err := uritemplate.ParseMapping(r.URLMapping)
		if err != nil {
			c.diags.Errorf(attrPos(r.Elem, "url-mapping"), r.Path, "%v", err)
			return uritemplate.Any{}
		}
		return m
	}
	return uritemplate.Any{}
}

// checkContexts reports two APIs serving the same context.
func (c *compiler) checkContexts() {
	seen := map[string]*engine.API{}
	for _, a := range c.g.APIs {
		k := a.Host + "|" + a.Context
		if prev, dup := seen[k]; dup {
			c.diags.Errorf(a.Pos, a.Path, "API context %q is already used by %s (at %s)", a.Context, prev.Path, prev.Pos)
			continue
		}
		seen[k] = a
	}
}

// detectCycles reports named sequences that call themselves through
// sequence mediators with static keys: that would recurse forever.
func (c *compiler) detectCycles() {
	const (
		unvisited = iota
		active
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(n string)
	visit = func(n string) {
		state[n] = active
		stack = append(stack, n)
		for _, e := range c.calls[n] {
			switch state[e.to] {
			case active:
				i := indexOf(stack, e.to)
				cycle := append(append([]string{}, stack[i:]...), e.to)
				c.diags.Errorf(e.pos, config.Path("sequence", n), "sequence cycle: %s", strings.Join(cycle, " -> "))
			case unvisited:
				visit(e.to)
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = done
	}
	names := make([]string, 0, len(c.calls))
	for n := range c.calls {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if state[n] == unvisited {
			visit(n)
		}
	}
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return 0
}

func compileLocalEntry(le *config.LocalEntry) *engine.LocalEntry {
	out := &engine.LocalEntry{Key: le.Name, Text: le.Text}
	if le.XML != nil {
		out.XML = ToXMLTree(le.XML).AppendXML(nil)
	}
	return out
}

// exprNS returns the namespace resolver for expressions written on el.
func exprNS(el *config.Element) expr.Namespaces {
	return func(prefix string) (string, bool) {
		if prefix == "" {
			// XPath 1.0: an unprefixed name test has no namespace,
			// whatever the default namespace of the configuration.
			return "", false
		}
		uri, ok := el.LookupNS(prefix)
		return uri, ok && uri != ""
	}
}

func describe(el *config.Element) string { return fmt.Sprintf("<%s>", el.Display()) }

// Load reads a deployment (folder or <definitions> file) and compiles it.
// The diagnostics hold the loader's and the compiler's findings together.
func Load(path string, reg *registry.Registry, opts engine.Options) (*engine.Graph, *config.Diagnostics) {
	dep, diags := config.Load(path)
	if diags.HasErrors() {
		// Compile anyway to report every error in one go; the graph is
		// discarded.
		g, cd := Compile(dep, reg, opts)
		if g != nil {
			_ = g.Close()
		}
		diags.Add(cd.List...)
		diags.Sort()
		return nil, diags
	}
	g, cd := Compile(dep, reg, opts)
	diags.Add(cd.List...)
	diags.Sort()
	return g, diags
}
