package xmltree

import (
	"iter"
	"strings"
)

// StringValue returns the XPath string-value of n: the concatenation of
// all descendant text for a document or element, and Data otherwise.
func (n *Node) StringValue() string {
	if n.Type != ElementNode && n.Type != DocumentNode {
		return n.Data
	}
	if c := n.FirstChild; c != nil && c == n.LastChild && c.Type == TextNode {
		return c.Data
	}
	var b strings.Builder
	walk(n, func(x *Node) {
		if x.Type == TextNode {
			b.WriteString(x.Data)
		}
	})
	return b.String()
}

// DirectText returns the concatenation of n's text children, ignoring
// text inside child elements, as Apache Axiom's OMElement.getText does.
func (n *Node) DirectText() string {
	var first *Node
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != TextNode {
			continue
		}
		if first == nil {
			first = c
			continue
		}
		if b.Len() == 0 {
			b.WriteString(first.Data)
		}
		b.WriteString(c.Data)
	}
	if b.Len() > 0 {
		return b.String()
	}
	if first != nil {
		return first.Data
	}
	return ""
}

// FirstChildElement returns n's first element child, or nil.
func (n *Node) FirstChildElement() *Node {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == ElementNode {
			return c
		}
	}
	return nil
}

// NextSiblingElement returns the next sibling of n that is an element, or
// nil.
func (n *Node) NextSiblingElement() *Node {
	for c := n.NextSibling; c != nil; c = c.NextSibling {
		if c.Type == ElementNode {
			return c
		}
	}
	return nil
}

// ChildElements iterates over n's element children. The loop body may
// remove the element it is given: the next one is found beforehand.
func (n *Node) ChildElements() iter.Seq[*Node] {
	return func(yield func(*Node) bool) {
		for c := n.FirstChildElement(); c != nil; {
			next := c.NextSiblingElement()
			if !yield(c) {
				return
			}
			c = next
		}
	}
}

// Attr returns the value of the attribute with the given namespace URI and
// local name.
func (n *Node) Attr(space, local string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name.Local == local && a.Name.Space == space {
			return a.Value, true
		}
	}
	return "", false
}

// Root returns the topmost ancestor of n, which is n itself if it has no
// parent.
func (n *Node) Root() *Node {
	for n.Parent != nil {
		n = n.Parent
	}
	return n
}

// DocumentElement returns the root element of the tree n belongs to: the
// first element child of its document node, or its topmost ancestor if
// that is an element. It returns nil for a tree without one.
func (n *Node) DocumentElement() *Node {
	r := n.Root()
	switch r.Type {
	case ElementNode:
		return r
	case DocumentNode:
		return r.FirstChildElement()
	}
	return nil
}

// element returns n if it is an element and its parent otherwise, which is
// where namespace lookups for a non-element start.
func (n *Node) element() *Node {
	if n.Type == ElementNode {
		return n
	}
	return n.Parent
}

// bindingsOf calls f with the bindings that element e establishes, in the
// order of precedence the serialiser gives them: the element's own name,
// its declarations, then the prefixes of its attributes. It stops when f
// returns false.
func bindingsOf(e *Node, f func(prefix, uri string) bool) bool {
	switch sp, p := e.Name.Space, e.Name.Prefix; {
	case sp == "":
		if !f("", "") {
			return false
		}
	case sp == xmlURI, p == "xml", p == "xmlns":
		// Written with xml or a substitute prefix: binds nothing new.
	default:
		if !f(p, sp) {
			return false
		}
	}
	for _, d := range e.NS {
		if !f(d.Prefix, d.URI) {
			return false
		}
	}
	for _, a := range e.Attrs {
		if a.Name.Prefix != "" && a.Name.Space != "" && a.Name.Space != xmlURI && !f(a.Name.Prefix, a.Name.Space) {
			return false
		}
	}
	return true
}

// LookupNamespaceURI returns the namespace URI that prefix ("" for the
// default namespace) is bound to at n. Bindings come from declarations in
// NS and also from element and attribute names, which the serialiser will
// declare; xml is always bound. An undeclared default namespace reports
// false.
func (n *Node) LookupNamespaceURI(prefix string) (string, bool) {
	if prefix == "xml" {
		return xmlURI, true
	}
	var uri string
	found := false
	for e := n.element(); e != nil && !found; e = e.Parent {
		if e.Type != ElementNode {
			continue
		}
		bindingsOf(e, func(p, u string) bool {
			if p == prefix {
				uri, found = u, true
			}
			return !found
		})
	}
	return uri, found && uri != ""
}

// LookupPrefix returns a prefix bound to uri at n, the nearest declaration
// first; it reports "" and true when uri is the default namespace there,
// which suits element names but not attribute names.
func (n *Node) LookupPrefix(uri string) (string, bool) {
	if uri == xmlURI {
		return "xml", true
	}
	if uri == "" {
		return "", false
	}
	var prefix string
	found := false
	for e := n.element(); e != nil && !found; e = e.Parent {
		if e.Type != ElementNode {
			continue
		}
		bindingsOf(e, func(p, u string) bool {
			if u == uri {
				if v, ok := n.LookupNamespaceURI(p); ok && v == uri {
					prefix, found = p, true
				}
			}
			return !found
		})
	}
	return prefix, found
}

// InScopeNamespaces returns the bindings in scope at n, nearest first, one
// per prefix, ending with the implicit xml binding as XPath's namespace
// axis has it. An undeclared default namespace is omitted.
func (n *Node) InScopeNamespaces() []NSDecl {
	var out []NSDecl
	var seen []string
	for e := n.element(); e != nil; e = e.Parent {
		if e.Type != ElementNode {
			continue
		}
		bindingsOf(e, func(p, u string) bool {
			for _, s := range seen {
				if s == p {
					return true
				}
			}
			seen = append(seen, p)
			if u != "" {
				out = append(out, NSDecl{Prefix: p, URI: u})
			}
			return true
		})
	}
	return append(out, NSDecl{Prefix: "xml", URI: xmlURI})
}
