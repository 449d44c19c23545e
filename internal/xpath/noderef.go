package xpath

import (
	"strings"

	"github.com/busbar/busbar/internal/xmltree"
)

// xmlNamespace is the namespace URI permanently bound to the prefix xml.
const xmlNamespace = "http://www.w3.org/XML/1998/namespace"

type refKind uint8

const (
	refTree refKind = iota // a node of the tree itself
	refAttr                // an attribute of the element n
	refNS                  // a namespace node of the element n
)

// NodeRef identifies one node of the XPath data model. xmltree keeps
// attributes and namespace declarations on their element rather than as
// nodes, so a NodeRef is either a tree node (document, element, text,
// comment, processing instruction), or an element plus the index of one of
// its attributes, or an element plus one of its in-scope namespaces. The zero
// NodeRef denotes no node. NodeRefs are comparable with ==.
type NodeRef struct {
	n *xmltree.Node
	// decl is, for a namespace node, the element whose NS holds the
	// declaration (nil for the implicit xml namespace).
	decl *xmltree.Node
	i    int32
	k    refKind
}

// NodeOf returns a reference to the tree node n.
func NodeOf(n *xmltree.Node) NodeRef { return NodeRef{n: n} }

// AttrOf returns a reference to the i'th attribute of element el, or the zero
// NodeRef if there is no such attribute.
func AttrOf(el *xmltree.Node, i int) NodeRef {
	if el == nil || i < 0 || i >= len(el.Attrs) {
		return NodeRef{}
	}
	return NodeRef{n: el, i: int32(i), k: refAttr}
}

// IsZero reports whether r denotes no node.
func (r NodeRef) IsZero() bool { return r.n == nil }

// Node returns the tree node r denotes; for an attribute or namespace node it
// returns the element that owns it, which is also its XPath parent.
func (r NodeRef) Node() *xmltree.Node { return r.n }

// IsAttr reports whether r is an attribute node.
func (r NodeRef) IsAttr() bool { return r.k == refAttr }

// IsNamespace reports whether r is a namespace node.
func (r NodeRef) IsNamespace() bool { return r.k == refNS }

// AttrIndex returns the index of r's attribute in Node().Attrs, or -1 if r is
// not an attribute node.
func (r NodeRef) AttrIndex() int {
	if r.k != refAttr {
		return -1
	}
	return int(r.i)
}

// AttrValue returns the value of an attribute node, or "" if r is not one.
func (r NodeRef) AttrValue() string {
	if r.k != refAttr {
		return ""
	}
	return r.n.Attrs[r.i].Value
}

// namespace returns the prefix and URI of a namespace node.
func (r NodeRef) namespace() (prefix, uri string) {
	if r.decl == nil {
		return "xml", xmlNamespace
	}
	d := r.decl.NS[r.i]
	return d.Prefix, d.URI
}

// StringValue returns the XPath string-value of r: the concatenated text of
// an element or document, the value of an attribute, the URI of a namespace
// node, and the content of a text, comment or processing instruction.
func (r NodeRef) StringValue() string {
	switch r.k {
	case refAttr:
		return r.n.Attrs[r.i].Value
	case refNS:
		_, uri := r.namespace()
		return uri
	}
	if r.n == nil {
		return ""
	}
	switch r.n.Type {
	case xmltree.TextNode:
		return textRun(r.n)
	case xmltree.CommentNode, xmltree.ProcInstNode:
		return r.n.Data
	}
	return subtreeText(r.n)
}

// LocalName returns the local part of r's expanded-name: the local name of an
// element or attribute, the target of a processing instruction, the prefix
// of a namespace node, and "" for other nodes.
func (r NodeRef) LocalName() string {
	switch r.k {
	case refAttr:
		return r.n.Attrs[r.i].Name.Local
	case refNS:
		p, _ := r.namespace()
		return p
	}
	if r.n == nil {
		return ""
	}
	switch r.n.Type {
	case xmltree.ElementNode, xmltree.ProcInstNode:
		return r.n.Name.Local
	}
	return ""
}

// NamespaceURI returns the namespace URI of r's expanded-name, "" for nodes
// without one.
func (r NodeRef) NamespaceURI() string {
	switch r.k {
	case refAttr:
		return r.n.Attrs[r.i].Name.Space
	case refNS:
		return ""
	}
	if r.n == nil || r.n.Type != xmltree.ElementNode {
		return ""
	}
	return r.n.Name.Space
}

// Name returns r's name as a QName, using the prefix the element or attribute
// was written with.
func (r NodeRef) Name() string {
	var nm xmltree.Name
	switch {
	case r.k == refAttr:
		nm = r.n.Attrs[r.i].Name
	case r.k == refNS || r.n == nil:
		return r.LocalName()
	case r.n.Type == xmltree.ElementNode:
		nm = r.n.Name
	default:
		return r.LocalName()
	}
	if nm.Prefix == "" || nm.Space == "" {
		return nm.Local
	}
	return nm.Prefix + ":" + nm.Local
}

// equalsString reports whether r's string-value is s without building the
// string-value of an element whose text is split over several nodes.
func (r NodeRef) equalsString(s string) bool {
	if r.k != refTree || r.n == nil {
		return r.StringValue() == s
	}
	n := r.n
	switch n.Type {
	case xmltree.TextNode:
		rest := s
		for t := n; t != nil && t.Type == xmltree.TextNode; t = t.NextSibling {
			if !strings.HasPrefix(rest, t.Data) {
				return false
			}
			rest = rest[len(t.Data):]
		}
		return rest == ""
	case xmltree.CommentNode, xmltree.ProcInstNode:
		return n.Data == s
	}
	rest := s
	for d := n.FirstChild; d != nil; d = nextInSubtree(d, n) {
		if d.Type == xmltree.TextNode {
			if !strings.HasPrefix(rest, d.Data) {
				return false
			}
			rest = rest[len(d.Data):]
		}
	}
	return rest == ""
}

// textRun returns the text of the XPath text node that starts at n. xmltree
// may hold adjacent text nodes (text next to a CDATA section, or after an
// edit); XPath sees them as one.
func textRun(n *xmltree.Node) string {
	next := n.NextSibling
	if next == nil || next.Type != xmltree.TextNode {
		return n.Data
	}
	var b strings.Builder
	for t := n; t != nil && t.Type == xmltree.TextNode; t = t.NextSibling {
		b.WriteString(t.Data)
	}
	return b.String()
}

// subtreeText concatenates the text descendants of n, returning the text of
// a single text node as it is, without copying.
func subtreeText(n *xmltree.Node) string {
	var first string
	var b strings.Builder
	count := 0
	for d := n.FirstChild; d != nil; d = nextInSubtree(d, n) {
		if d.Type != xmltree.TextNode || d.Data == "" {
			continue
		}
		switch count {
		case 0:
			first = d.Data
		case 1:
			b.WriteString(first)
			fallthrough
		default:
			b.WriteString(d.Data)
		}
		count++
	}
	if count < 2 {
		return first
	}
	return b.String()
}

// nextInSubtree returns the node after d in document order within the
// subtree rooted at root, or nil when the subtree is exhausted. Walking the
// links needs no stack, so traversals do not allocate.
func nextInSubtree(d, root *xmltree.Node) *xmltree.Node {
	if d.FirstChild != nil {
		return d.FirstChild
	}
	for d != root {
		if d.NextSibling != nil {
			return d.NextSibling
		}
		d = d.Parent
	}
	return nil
}

// lastInSubtree returns the last node of the subtree rooted at n in document
// order.
func lastInSubtree(n *xmltree.Node) *xmltree.Node {
	for n.LastChild != nil {
		n = n.LastChild
	}
	return n
}

// isTextStart reports whether n is the first node of a run of adjacent text
// nodes that XPath sees as one text node. Runs made only of empty text are
// not XPath nodes at all.
func isTextStart(n *xmltree.Node) bool {
	if p := n.PrevSibling; p != nil && p.Type == xmltree.TextNode {
		return false
	}
	for t := n; t != nil && t.Type == xmltree.TextNode; t = t.NextSibling {
		if t.Data != "" {
			return true
		}
	}
	return false
}
