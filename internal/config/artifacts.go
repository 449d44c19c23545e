package config

import (
	"fmt"
	"strconv"
	"strings"
)

// CheckAttrs reports attributes of el that are not in known. MI tolerates
// unknown attributes, so they are warnings; the tooling's trace and
// statistics switches are accepted silently while disabled and reported when
// enabled, because Busbar does not implement them.
func CheckAttrs(ds *Diagnostics, el *Element, path string, known ...string) {
	for _, a := range el.Attrs {
		if a.Name.Space != "" {
			ds.Warnf(a.Pos, path, "attribute %s:%s on <%s> is not a Synapse attribute; ignored", a.Name.Prefix, a.Name.Local, el.Display())
			continue
		}
		if contains(known, a.Name.Local) || a.Name.Local == "description" {
			continue
		}
		switch a.Name.Local {
		case "trace", "statistics":
			v := strings.ToLower(a.Value)
			if v != "disable" && v != "" && v != "false" {
				ds.Warnf(a.Pos, path, "%s=%q: %s is not supported by Busbar; ignored", a.Name.Local, a.Value, a.Name.Local)
			}
			continue
		}
		ds.Warnf(a.Pos, path, "unknown attribute %q on <%s>; ignored", a.Name.Local, el.Display())
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (l *loader) api(el *Element) {
	name, ok := l.requireName(el, "name", "api")
	if !ok {
		return
	}
	a := &API{Artifact: Artifact{Name: name, Pos: el.Pos, Elem: el, Path: Path("api", name)}}
	CheckAttrs(l.diags, el, a.Path, "name", "context", "version", "version-type", "hostname", "port", "publishSwagger", "binds-to", "transports")
	a.Context = el.Get("context")
	if a.Context == "" {
		l.diags.Errorf(el.Pos, a.Path, "<api> needs a \"context\" attribute")
	} else if !strings.HasPrefix(a.Context, "/") {
		l.diags.Errorf(attrPos(el, "context"), a.Path, "API context %q must begin with '/'", a.Context)
	}
	a.Context = strings.TrimSuffix(a.Context, "/")
	a.Version = el.Get("version")
	a.VersionType = el.Get("version-type")
	if a.Version != "" && a.VersionType == "" {
		a.VersionType = "context"
	}
	if a.VersionType != "" && a.VersionType != "context" && a.VersionType != "url" {
		l.diags.Errorf(attrPos(el, "version-type"), a.Path, "version-type must be \"context\" or \"url\", not %q", a.VersionType)
	}
	a.Host = el.Get("hostname")
	if p := el.Get("port"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < -1 || n > 65535 {
			l.diags.Errorf(attrPos(el, "port"), a.Path, "port %q is not a port number", p)
		}
		a.Port = n
	}
	for _, c := range el.Children {
		switch {
		case c.IsSynapse() && c.Name.Local == "resource":
			if r := l.resource(c, a, len(a.Resources)+1); r != nil {
				a.Resources = append(a.Resources, r)
			}
		case c.IsSynapse() && c.Name.Local == "description":
		case c.IsSynapse() && c.Name.Local == "handlers":
			l.diags.Errorf(c.Pos, a.Path, "<handlers> (API handlers are Java classes) is not supported by Busbar")
		default:
			l.diags.Errorf(c.Pos, a.Path, "unknown element <%s> in <api>", c.Display())
		}
	}
	if len(a.Resources) == 0 {
		l.diags.Errorf(el.Pos, a.Path, "<api> has no <resource>")
	}
	if l.define("api", name, el.Pos, a.Path) {
		l.dep.APIs = append(l.dep.APIs, a)
	}
}

var httpMethods = map[string]bool{"GET": true, "POST": true, "PUT": true, "DELETE": true, "HEAD": true, "OPTIONS": true, "PATCH": true}

func (l *loader) resource(el *Element, a *API, index int) *Resource {
	r := &Resource{Elem: el, Pos: el.Pos, Path: fmt.Sprintf("%s/resource[%d]", a.Path, index)}
	CheckAttrs(l.diags, el, r.Path, "methods", "uri-template", "url-mapping", "inSequence", "outSequence", "faultSequence", "protocol", "content-type", "user-agent")
	for _, m := range strings.Fields(el.Get("methods")) {
		m = strings.ToUpper(m)
		if !httpMethods[m] {
			l.diags.Errorf(attrPos(el, "methods"), r.Path, "unknown HTTP method %q", m)
		}
		r.Methods = append(r.Methods, m)
	}
	r.URITemplate = el.Get("uri-template")
	r.URLMapping = el.Get("url-mapping")
	if r.URITemplate != "" && r.URLMapping != "" {
		l.diags.Errorf(el.Pos, r.Path, "a resource has either uri-template or url-mapping, not both")
	}
	if p := el.Get("protocol"); p != "" {
		r.Protocols = strings.Fields(strings.ReplaceAll(strings.ToLower(p), ",", " "))
	}
	r.In = l.seqRef(el, "inSequence", r.Path)
	r.Out = l.seqRef(el, "outSequence", r.Path)
	r.Fault = l.seqRef(el, "faultSequence", r.Path)
	for _, c := range el.Children {
		if !c.IsSynapse() || (c.Name.Local != "inSequence" && c.Name.Local != "outSequence" && c.Name.Local != "faultSequence" && c.Name.Local != "description") {
			l.diags.Errorf(c.Pos, r.Path, "unknown element <%s> in <resource>", c.Display())
		}
	}
	return r
}

// seqRef reads a sequence given as an attribute (key) or child element
// (inline); giving both is an error.
func (l *loader) seqRef(el *Element, name, path string) SeqRef {
	ref := SeqRef{Key: el.Get(name), Pos: attrPos(el, name)}
	if c := el.Child(name); c != nil {
		if ref.Key != "" {
			l.diags.Errorf(c.Pos, path, "%s is given both as an attribute and as an element", name)
		}
		if dup := el.ChildrenNamed(name); len(dup) > 1 {
			l.diags.Errorf(dup[1].Pos, path, "more than one <%s>", name)
		}
		ref.Inline, ref.Pos = c, c.Pos
		if k := c.Get("key"); k != "" && len(c.Children) == 0 {
			ref.Key, ref.Inline = k, nil
		}
	}
	return ref
}

func attrPos(el *Element, name string) Pos {
	if a := el.Attr(name); a != nil {
		return a.Pos
	}
	return el.Pos
}

func (l *loader) proxy(el *Element) {
	name, ok := l.requireName(el, "name", "proxy")
	if !ok {
		return
	}
	p := &Proxy{Artifact: Artifact{Name: name, Pos: el.Pos, Elem: el, Path: Path("proxy", name)}, StartOnLoad: true, Parameters: map[string]string{}}
	CheckAttrs(l.diags, el, p.Path, "name", "transports", "startOnLoad", "serviceGroup", "pinnedServers")
	if t := el.Get("transports"); t != "" {
		p.Transports = strings.Fields(strings.ReplaceAll(t, ",", " "))
	}
	if v := el.Get("startOnLoad"); strings.EqualFold(v, "false") {
		p.StartOnLoad = false
	}
	var target *Element
	for _, c := range el.Children {
		switch {
		case !c.IsSynapse():
			l.diags.Errorf(c.Pos, p.Path, "unknown element <%s> in <proxy>", c.Display())
		case c.Name.Local == "target":
			if target != nil {
				l.diags.Errorf(c.Pos, p.Path, "more than one <target>")
			}
			target = c
		case c.Name.Local == "parameter":
			p.Parameters[c.Get("name")] = strings.TrimSpace(c.Text())
		case c.Name.Local == "description":
		case c.Name.Local == "publishWSDL", c.Name.Local == "policy", c.Name.Local == "enableSec", c.Name.Local == "enableRM", c.Name.Local == "enableAddressing":
			l.diags.Warnf(c.Pos, p.Path, "<%s> is not supported by Busbar; ignored", c.Name.Local)
		default:
			l.diags.Errorf(c.Pos, p.Path, "unknown element <%s> in <proxy>", c.Display())
		}
	}
	if target == nil {
		l.diags.Errorf(el.Pos, p.Path, "<proxy> has no <target>")
	} else {
		l.target(target, p)
	}
	if l.define("proxy", name, el.Pos, p.Path) {
		l.dep.Proxies = append(l.dep.Proxies, p)
	}
}

func (l *loader) target(t *Element, p *Proxy) {
	path := p.Path + "/target"
	CheckAttrs(l.diags, t, path, "inSequence", "outSequence", "faultSequence", "endpoint")
	p.In = l.seqRef(t, "inSequence", path)
	p.Out = l.seqRef(t, "outSequence", path)
	p.Fault = l.seqRef(t, "faultSequence", path)
	p.Endpoint = EndpointRef{Key: t.Get("endpoint"), Pos: attrPos(t, "endpoint")}
	if c := t.Child("endpoint"); c != nil {
		if p.Endpoint.Key != "" {
			l.diags.Errorf(c.Pos, path, "endpoint is given both as an attribute and as an element")
		}
		p.Endpoint = EndpointRef{Inline: c, Pos: c.Pos}
	}
	for _, c := range t.Children {
		switch {
		case c.IsSynapse() && (c.Name.Local == "inSequence" || c.Name.Local == "outSequence" || c.Name.Local == "faultSequence" || c.Name.Local == "endpoint"):
		default:
			l.diags.Errorf(c.Pos, path, "unknown element <%s> in <target>", c.Display())
		}
	}
	if !p.In.IsSet() && !p.Endpoint.IsSet() {
		l.diags.Errorf(t.Pos, path, "<target> needs an inSequence or an endpoint")
	}
}

func (l *loader) sequence(el *Element) {
	name, ok := l.requireName(el, "name", "sequence")
	if !ok {
		return
	}
	s := &Sequence{Artifact: Artifact{Name: name, Pos: el.Pos, Elem: el, Path: Path("sequence", name)}, OnError: el.Get("onError")}
	CheckAttrs(l.diags, el, s.Path, "name", "onError")
	if l.define("sequence", name, el.Pos, s.Path) {
		l.dep.Sequences = append(l.dep.Sequences, s)
	}
}

func (l *loader) endpoint(el *Element) {
	name, ok := l.requireName(el, "name", "endpoint")
	if !ok {
		return
	}
	e := &Endpoint{Artifact: Artifact{Name: name, Pos: el.Pos, Elem: el, Path: Path("endpoint", name)}}
	if l.define("endpoint", name, el.Pos, e.Path) {
		l.dep.Endpoints = append(l.dep.Endpoints, e)
	}
}

func (l *loader) localEntry(el *Element) {
	key, ok := l.requireName(el, "key", "localEntry")
	if !ok {
		return
	}
	le := &LocalEntry{Artifact: Artifact{Name: key, Pos: el.Pos, Elem: el, Path: Path("localEntry", key)}, Src: el.Get("src")}
	CheckAttrs(l.diags, el, le.Path, "key", "src")
	switch {
	case len(el.Children) > 1:
		l.diags.Errorf(el.Children[1].Pos, le.Path, "a local entry holds one element, found %d", len(el.Children))
	case len(el.Children) == 1:
		le.XML = el.Children[0]
	default:
		le.Text = el.Text()
	}
	if le.Src != "" {
		l.diags.Errorf(attrPos(el, "src"), le.Path, "local entries loaded from a URL (src=) are not supported by Busbar yet")
	}
	if l.define("localEntry", key, el.Pos, le.Path) {
		l.dep.LocalEntries = append(l.dep.LocalEntries, le)
	}
}

func (l *loader) template(el *Element) {
	name, ok := l.requireName(el, "name", "template")
	if !ok {
		return
	}
	t := &Template{Artifact: Artifact{Name: name, Pos: el.Pos, Elem: el, Path: Path("template", name)}, OnError: el.Get("onError")}
	CheckAttrs(l.diags, el, t.Path, "name", "onError")
	for _, c := range el.Children {
		switch {
		case c.IsSynapse() && c.Name.Local == "parameter":
			p := TemplateParam{Name: c.Get("name"), Default: c.Get("defaultValue"), Mandatory: strings.EqualFold(c.Get("isMandatory"), "true"), Pos: c.Pos}
			CheckAttrs(l.diags, c, t.Path, "name", "defaultValue", "isMandatory")
			if p.Name == "" {
				l.diags.Errorf(c.Pos, t.Path, "template <parameter> needs a name")
			}
			t.Params = append(t.Params, p)
		case c.IsSynapse() && c.Name.Local == "sequence":
			t.Sequence = c
		case c.IsSynapse() && c.Name.Local == "endpoint":
			t.Endpoint = c
		case c.IsSynapse() && c.Name.Local == "description":
		default:
			l.diags.Errorf(c.Pos, t.Path, "unknown element <%s> in <template>", c.Display())
		}
	}
	if (t.Sequence == nil) == (t.Endpoint == nil) {
		l.diags.Errorf(el.Pos, t.Path, "<template> holds exactly one <sequence> or <endpoint>")
	}
	if l.define("template", name, el.Pos, t.Path) {
		l.dep.Templates = append(l.dep.Templates, t)
	}
}

func (l *loader) params(el *Element, path string) []Parameter {
	var out []Parameter
	for _, c := range el.Children {
		switch {
		case c.IsSynapse() && c.Name.Local == "parameter":
			name := c.Get("name")
			if name == "" {
				l.diags.Errorf(c.Pos, path, "<parameter> needs a name")
				continue
			}
			v := strings.TrimSpace(c.Text())
			if k := c.Get("key"); k != "" && v == "" {
				v = k
			}
			out = append(out, Parameter{Name: name, Value: v, Pos: c.Pos})
		case c.IsSynapse() && c.Name.Local == "description":
		default:
			l.diags.Errorf(c.Pos, path, "unknown element <%s> in <%s>", c.Display(), el.Name.Local)
		}
	}
	return out
}

func (l *loader) messageStore(el *Element) {
	name, ok := l.requireName(el, "name", "messageStore")
	if !ok {
		return
	}
	s := &MessageStore{Artifact: Artifact{Name: name, Pos: el.Pos, Elem: el, Path: Path("messageStore", name)}, Class: el.Get("class")}
	CheckAttrs(l.diags, el, s.Path, "name", "class")
	if s.Class == "" {
		// MI's default store class is the in-memory store.
		s.Class = "org.apache.synapse.message.store.impl.memory.InMemoryStore"
	}
	s.Params = l.params(el, s.Path)
	if l.define("messageStore", name, el.Pos, s.Path) {
		l.dep.Stores = append(l.dep.Stores, s)
	}
}

func (l *loader) messageProcessor(el *Element) {
	name, ok := l.requireName(el, "name", "messageProcessor")
	if !ok {
		return
	}
	p := &MessageProcessor{Artifact: Artifact{Name: name, Pos: el.Pos, Elem: el, Path: Path("messageProcessor", name)},
		Class: el.Get("class"), Store: el.Get("messageStore"), TargetEndpoint: el.Get("targetEndpoint")}
	CheckAttrs(l.diags, el, p.Path, "name", "class", "messageStore", "targetEndpoint")
	if p.Class == "" {
		l.diags.Errorf(el.Pos, p.Path, "<messageProcessor> needs a \"class\" attribute")
	}
	if p.Store == "" {
		l.diags.Errorf(el.Pos, p.Path, "<messageProcessor> needs a \"messageStore\" attribute")
	}
	p.Params = l.params(el, p.Path)
	if l.define("messageProcessor", name, el.Pos, p.Path) {
		l.dep.Processors = append(l.dep.Processors, p)
	}
}
