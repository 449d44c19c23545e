// Package uritemplate implements the two uses of URI templates in Synapse
// configurations: matching a request path against an API resource's
// uri-template (binding the uri.var.* variables), and expanding an http
// endpoint's uri-template (RFC 6570) from message properties. Templates are
// parsed once at load time; matching and expansion do no parsing.
package uritemplate

import (
	"fmt"
	"net/url"
	"strings"
)

// Template is a parsed resource uri-template such as
// "/orders/{id}/items?status={status}".
type Template struct {
	src   string
	path  []part
	query []queryPart
}

// part is a literal or a variable in the path of a template.
type part struct {
	lit      string
	name     string
	reserved bool // {+name}: may match '/'
	wildcard bool // '*': matches anything
}

type queryPart struct {
	key, name, lit string
}

// Parse parses a resource uri-template.
func Parse(src string) (*Template, error) {
	t := &Template{src: src}
	p, q, hasQ := strings.Cut(src, "?")
	if !strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("uri-template %q must begin with '/'", src)
	}
	parts, err := parsePath(p)
	if err != nil {
		return nil, fmt.Errorf("uri-template %q: %w", src, err)
	}
	t.path = parts
	if hasQ {
		for _, kv := range strings.Split(q, "&") {
			if kv == "" {
				continue
			}
			k, v, _ := strings.Cut(kv, "=")
			qp := queryPart{key: k}
			if strings.HasPrefix(v, "{") && strings.HasSuffix(v, "}") {
				qp.name = strings.TrimPrefix(v[1:len(v)-1], "+")
				if qp.name == "" {
					return nil, fmt.Errorf("uri-template %q: empty variable name", src)
				}
			} else {
				qp.lit = v
			}
			t.query = append(t.query, qp)
		}
	}
	return t, nil
}

func parsePath(p string) ([]part, error) {
	var parts []part
	for len(p) > 0 {
		i := strings.IndexAny(p, "{*")
		if i < 0 {
			parts = append(parts, part{lit: p})
			break
		}
		if i > 0 {
			parts = append(parts, part{lit: p[:i]})
		}
		if p[i] == '*' {
			parts = append(parts, part{wildcard: true})
			p = p[i+1:]
			continue
		}
		j := strings.IndexByte(p[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("unclosed '{'")
		}
		name := p[i+1 : i+j]
		pt := part{name: name}
		if strings.HasPrefix(name, "+") {
			pt.name, pt.reserved = name[1:], true
		}
		if pt.name == "" || strings.ContainsAny(pt.name, "{}/") {
			return nil, fmt.Errorf("bad variable name %q", name)
		}
		parts = append(parts, pt)
		p = p[i+j+1:]
	}
	return parts, nil
}

func (t *Template) String() string { return t.src }

// Match reports whether a request path (no query) and raw query match,
// calling vars for each bound variable (values are percent-decoded).
// A trailing slash on the request is tolerated.
func (t *Template) Match(path, rawQuery string, vars func(name, value string)) bool {
	var bound [][2]string
	if !matchParts(t.path, path, &bound) {
		if len(path) <= 1 || path[len(path)-1] != '/' || !matchParts(t.path, path[:len(path)-1], &bound) {
			return false
		}
	}
	if len(t.query) > 0 {
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return false
		}
		for _, qp := range t.query {
			vs, ok := q[qp.key]
			if !ok {
				return false
			}
			v := ""
			if len(vs) > 0 {
				v = vs[0]
			}
			if qp.name == "" {
				if v != qp.lit {
					return false
				}
				continue
			}
			bound = append(bound, [2]string{qp.name, v})
		}
	}
	if vars != nil {
		for _, b := range bound {
			vars(b[0], b[1])
		}
	}
	return true
}

// matchParts matches parts against s, backtracking over variables; bound
// collects variable values.
func matchParts(parts []part, s string, bound *[][2]string) bool {
	if len(parts) == 0 {
		return s == ""
	}
	p := parts[0]
	if p.lit != "" {
		if !strings.HasPrefix(s, p.lit) {
			return false
		}
		return matchParts(parts[1:], s[len(p.lit):], bound)
	}
	mark := len(*bound)
	// Try the longest match first so that the last variable takes the rest.
	limit := len(s)
	if !p.reserved && !p.wildcard {
		if i := strings.IndexByte(s, '/'); i >= 0 {
			limit = i
		}
	}
	for n := limit; n >= 0; n-- {
		if n == 0 && !p.wildcard {
			break
		}
		if p.name != "" {
			v, err := url.PathUnescape(s[:n])
			if err != nil {
				v = s[:n]
			}
			*bound = append(*bound, [2]string{p.name, v})
		}
		if matchParts(parts[1:], s[n:], bound) {
			return true
		}
		*bound = (*bound)[:mark]
	}
	return false
}

// Mapping is a servlet-style url-mapping: an exact path, a prefix ending in
// "/*", an extension "*.ext", or "/" and "/*" which match everything.
type Mapping struct {
	src    string
	exact  string
	prefix string
	ext    string
	all    bool
}

// ParseMapping parses a url-mapping.
func ParseMapping(src string) (*Mapping, error) {
	m := &Mapping{src: src}
	switch {
	case src == "/" || src == "/*":
		m.all = true
	case strings.HasPrefix(src, "*."):
		m.ext = src[1:]
	case strings.HasSuffix(src, "/*"):
		m.prefix = strings.TrimSuffix(src, "/*")
	case strings.HasPrefix(src, "/"):
		m.exact = src
	default:
		return nil, fmt.Errorf("url-mapping %q must be an exact path, a /prefix/*, or *.extension", src)
	}
	if strings.ContainsAny(m.prefix+m.exact, "*") {
		return nil, fmt.Errorf("url-mapping %q: '*' is only allowed as \"/*\" at the end or \"*.\" at the start", src)
	}
	return m, nil
}

func (m *Mapping) String() string { return m.src }

// Match reports whether the path matches; url-mappings bind no variables.
func (m *Mapping) Match(path, _ string, _ func(name, value string)) bool {
	switch {
	case m.all:
		return true
	case m.exact != "":
		return path == m.exact || path == m.exact+"/"
	case m.ext != "":
		return strings.HasSuffix(path, m.ext)
	}
	return path == m.prefix || strings.HasPrefix(path, m.prefix+"/")
}

// Rank orders url-mappings as the servlet rules do: exact before longer
// prefixes before shorter ones before extensions before the default.
func (m *Mapping) Rank() int {
	switch {
	case m.exact != "":
		return 1 << 20
	case m.all:
		return 0
	case m.ext != "":
		return 1
	}
	return 2 + len(m.prefix)
}

// Any matches every path (a resource with neither uri-template nor
// url-mapping).
type Any struct{}

// Match always matches.
func (Any) Match(string, string, func(string, string)) bool { return true }

func (Any) String() string { return "/*" }
