package engine

import (
	"net/url"
	"strings"

	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/uritemplate"
)

// dispatch picks what serves a message (synapse-semantics §4.7): a proxy
// service at /services/NAME, else the API whose context is the longest
// prefix of the path, else the main sequence.
func (g *Graph) dispatch(c *Context) {
	m := c.Msg
	path, rawQuery, _ := strings.Cut(m.RequestURI, "?")
	if p, postfix := g.matchProxy(path); p != nil {
		m.Set(message.ScopeAxis2, message.PropRESTURLPost, postfix+queryPart(rawQuery))
		c.runProxy(p)
		return
	}
	if a, rest := g.matchAPI(path, m.Header.Get("Host")); a != nil {
		g.dispatchAPI(c, a, rest, rawQuery)
		return
	}
	c.runMain()
}

func queryPart(q string) string {
	if q == "" {
		return ""
	}
	return "?" + q
}

// matchProxy recognises /services/NAME, /services/NAME/..., and MI's
// /services/NAME.SOAP11Endpoint style suffixes.
func (g *Graph) matchProxy(path string) (*Proxy, string) {
	rest, ok := strings.CutPrefix(path, "/services/")
	if !ok || len(g.Proxies) == 0 {
		return nil, ""
	}
	name, postfix := rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		name, postfix = rest[:i], rest[i:]
	}
	if p := g.Proxies[name]; p != nil {
		return p, postfix
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		if p := g.Proxies[name[:i]]; p != nil {
			return p, postfix
		}
	}
	return nil, ""
}

// matchAPI returns the API with the longest context that prefixes path at a
// segment boundary (and whose hostname, if set, matches), and the rest.
func (g *Graph) matchAPI(path, host string) (*API, string) {
	for _, a := range g.APIs {
		rest, ok := strings.CutPrefix(path, a.Context)
		if !ok || (rest != "" && rest[0] != '/') {
			continue
		}
		if a.Host != "" && !hostMatches(a.Host, a.Port, host) {
			continue
		}
		if rest == "" {
			rest = "/"
		}
		return a, rest
	}
	return nil, ""
}

func hostMatches(want string, port int, host string) bool {
	h, p, hasPort := strings.Cut(host, ":")
	if !strings.EqualFold(h, want) {
		return false
	}
	return port <= 0 || !hasPort || p == itoa(port)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for ; n > 0; n /= 10 {
		i--
		b[i] = byte('0' + n%10)
	}
	return string(b[i:])
}

// dispatchAPI selects the resource in Synapse's dispatcher order:
// url-mapping resources, then uri-template ones, then resources with
// neither; a path that matches only with another method is 405, no match is
// 404 (or the _resource_mismatch_handler_/_method_not_allowed_handler_
// sequences when defined).
func (g *Graph) dispatchAPI(c *Context, a *API, rest, rawQuery string) {
	m := c.Msg
	m.Set(message.ScopeDefault, "REST_API_CONTEXT", a.Context)
	m.Set(message.ScopeDefault, "REST_FULL_REQUEST_PATH", m.RequestURI)
	m.Set(message.ScopeDefault, "REST_SUB_REQUEST_PATH", rest+queryPart(rawQuery))
	m.Set(message.ScopeDefault, "SYNAPSE_REST_API", a.Name)
	m.Set(message.ScopeDefault, "API_NAME", a.Name)
	if a.Version != "" {
		m.Set(message.ScopeDefault, "SYNAPSE_REST_API_VERSION", a.Version)
	}
	m.Set(message.ScopeAxis2, message.PropRESTURLPost, rest+queryPart(rawQuery))
	if rest == "/" {
		// MI gives an API called at its bare context an empty postfix.
		m.Set(message.ScopeAxis2, message.PropRESTURLPost, queryPart(rawQuery))
	}
	r, pathMatched := a.selectResource(m.Method, rest, rawQuery, func(name, value string) {
		m.Set(message.ScopeDefault, "uri.var."+name, value)
	})
	c.X.API, c.X.Artifact = a, a.Path
	if r != nil {
		setQueryParams(m, rawQuery)
		c.runAPI(a, r)
		return
	}
	status, handler := 404, a.ResMismatch
	if pathMatched {
		status, handler = 405, a.MethodNA
	}
	if handler != nil {
		c.pushEntryHandlers()
		c.runEntry(SeqRef{Seq: handler})
		return
	}
	c.respondEmpty(status)
}

// setQueryParams exposes query parameters as query.param.NAME properties,
// which MI's $url: and get-property('query.param.x') read.
func setQueryParams(m *message.Message, rawQuery string) {
	if rawQuery == "" {
		return
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return
	}
	for k, vs := range q {
		if len(vs) > 0 {
			m.Set(message.ScopeDefault, "query.param."+k, vs[0])
		}
	}
}

func (a *API) selectResource(method, path, rawQuery string, bind func(name, value string)) (*Resource, bool) {
	pathMatched := false
	for _, tier := range [...]func(*Resource) bool{isMapping, isTemplate, isDefault} {
		best, bestRank := (*Resource)(nil), -1
		for _, r := range a.Resources {
			if !tier(r) || !r.Match.Match(path, rawQuery, nil) {
				continue
			}
			if !r.allows(method) {
				pathMatched = true
				continue
			}
			rank := 0
			if mp, ok := r.Match.(*uritemplate.Mapping); ok {
				rank = mp.Rank()
			}
			if rank > bestRank {
				best, bestRank = r, rank
			}
			if !isMappingRes(r) {
				break
			}
		}
		if best != nil {
			best.Match.Match(path, rawQuery, bind)
			return best, true
		}
	}
	return nil, pathMatched
}

func isMappingRes(r *Resource) bool { _, ok := r.Match.(*uritemplate.Mapping); return ok }

func isMapping(r *Resource) bool { return isMappingRes(r) }

func isTemplate(r *Resource) bool { _, ok := r.Match.(*uritemplate.Template); return ok }

func isDefault(r *Resource) bool { return !isMapping(r) && !isTemplate(r) }

func (r *Resource) allows(method string) bool {
	if len(r.Methods) == 0 {
		return true
	}
	for _, m := range r.Methods {
		if m == method {
			return true
		}
	}
	return false
}

// respondEmpty answers with a status and no body (API dispatch misses).
func (c *Context) respondEmpty(status int) {
	c.X.responded = true
	m := c.Msg
	m.Header = map[string][]string{}
	m.Body.SetBytes(nil, "")
	if err := c.X.Responder.Respond(m, status); err != nil {
		c.Log().Warn("writing the answer failed", "error", err)
	}
}
