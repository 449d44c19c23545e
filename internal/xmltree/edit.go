package xmltree

import "slices"

// Construction and in-place editing. Structural edits are O(1) apart from
// the ancestor walk that refuses to create a cycle, which is O(depth).
// Misuse that would corrupt the tree (inserting a document node, inserting
// a node into its own subtree, a reference node that is not a child) panics,
// as it is a programming error rather than a property of the input.

// NewDocument returns an empty document node.
func NewDocument() *Node {
	return &Node{Type: DocumentNode}
}

// NewElement returns a detached element. No namespace declaration is
// needed: the serialiser declares prefix for space wherever the output
// lacks that binding.
func NewElement(space, local, prefix string) *Node {
	return &Node{Type: ElementNode, Name: Name{Space: space, Local: local, Prefix: prefix}}
}

// NewText returns a detached text node.
func NewText(s string) *Node {
	return &Node{Type: TextNode, Data: s}
}

// NewCDATA returns a detached text node that is written as a CDATA section.
func NewCDATA(s string) *Node {
	return &Node{Type: TextNode, Data: s, CDATA: true}
}

// NewComment returns a detached comment.
func NewComment(s string) *Node {
	return &Node{Type: CommentNode, Data: s}
}

// NewProcInst returns a detached processing instruction.
func NewProcInst(target, data string) *Node {
	return &Node{Type: ProcInstNode, Name: Name{Local: target}, Data: data}
}

// checkInsert panics unless c may become a child of n.
func (n *Node) checkInsert(c *Node) {
	if n.Type != ElementNode && n.Type != DocumentNode {
		panic("xmltree: only elements and documents have children")
	}
	if c == nil || c.Type == DocumentNode {
		panic("xmltree: cannot insert a nil or document node")
	}
	for a := n; a != nil; a = a.Parent {
		if a == c {
			panic("xmltree: cannot insert a node into its own subtree")
		}
	}
}

// unlink detaches n from its parent and siblings.
func (n *Node) unlink() {
	p := n.Parent
	if p == nil {
		return
	}
	if n.PrevSibling != nil {
		n.PrevSibling.NextSibling = n.NextSibling
	} else {
		p.FirstChild = n.NextSibling
	}
	if n.NextSibling != nil {
		n.NextSibling.PrevSibling = n.PrevSibling
	} else {
		p.LastChild = n.PrevSibling
	}
	n.Parent, n.PrevSibling, n.NextSibling = nil, nil, nil
}

// AppendChild makes c the last child of n, first detaching c from wherever
// it is.
func (n *Node) AppendChild(c *Node) {
	n.checkInsert(c)
	c.unlink()
	link(n, c)
}

// PrependChild makes c the first child of n, first detaching c from
// wherever it is.
func (n *Node) PrependChild(c *Node) {
	n.InsertBefore(c, n.FirstChild)
}

// InsertBefore inserts c as a child of n just before ref, first detaching c
// from wherever it is. A nil ref appends. It panics if ref is not a child
// of n.
func (n *Node) InsertBefore(c, ref *Node) {
	n.checkInsert(c)
	if ref == nil {
		c.unlink()
		link(n, c)
		return
	}
	if ref.Parent != n {
		panic("xmltree: InsertBefore reference node is not a child")
	}
	if c == ref {
		return
	}
	c.unlink()
	c.Parent, c.PrevSibling, c.NextSibling = n, ref.PrevSibling, ref
	if ref.PrevSibling != nil {
		ref.PrevSibling.NextSibling = c
	} else {
		n.FirstChild = c
	}
	ref.PrevSibling = c
}

// InsertAfter inserts c as a child of n just after ref, first detaching c
// from wherever it is. A nil ref prepends. It panics if ref is not a child
// of n.
func (n *Node) InsertAfter(c, ref *Node) {
	if ref == nil {
		n.InsertBefore(c, n.FirstChild)
		return
	}
	if ref.Parent != n {
		panic("xmltree: InsertAfter reference node is not a child")
	}
	if c == ref {
		return
	}
	n.checkInsert(c)
	c.unlink()
	n.InsertBefore(c, ref.NextSibling)
}

// Remove detaches n from its parent; n keeps its own subtree.
func (n *Node) Remove() {
	n.unlink()
}

// ReplaceWith puts m where n is and detaches n. It does nothing if n has no
// parent or m is n.
func (n *Node) ReplaceWith(m *Node) {
	p := n.Parent
	if p == nil || m == n {
		return
	}
	p.InsertBefore(m, n)
	n.unlink()
}

// RemoveChildren detaches all children of n. It is O(children) because each
// child is left fully detached, ready to be inserted elsewhere.
func (n *Node) RemoveChildren() {
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		c.Parent, c.PrevSibling, c.NextSibling = nil, nil, nil
		c = next
	}
	n.FirstChild, n.LastChild = nil, nil
}

// SetText replaces the children of n by a single text node holding s, or
// by nothing if s is empty, so that the element is written as <a/>.
func (n *Node) SetText(s string) {
	n.RemoveChildren()
	if s != "" {
		n.AppendChild(NewText(s))
	}
}

// SetAttr sets the attribute with name's Space and Local, replacing its
// value and prefix if it exists and appending it otherwise. A name of the
// form xmlns or xmlns:p is a namespace declaration and is set in NS.
func (n *Node) SetAttr(name Name, value string) {
	if isNSAttr(name) {
		prefix := ""
		if name.Prefix == "xmlns" || name.Space == xmlnsURI && name.Local != "xmlns" {
			prefix = name.Local
		}
		n.setNS(prefix, value)
		return
	}
	for i := range n.Attrs {
		a := &n.Attrs[i]
		if a.Name.Local == name.Local && a.Name.Space == name.Space {
			a.Name.Prefix, a.Value = name.Prefix, value
			return
		}
	}
	n.Attrs = append(n.Attrs, Attr{Name: name, Value: value})
}

func (n *Node) setNS(prefix, uri string) {
	for i := range n.NS {
		if n.NS[i].Prefix == prefix {
			n.NS[i].URI = uri
			return
		}
	}
	n.NS = append(n.NS, NSDecl{Prefix: prefix, URI: uri})
}

// RemoveAttr removes the attribute with the given namespace and local name
// and reports whether there was one.
func (n *Node) RemoveAttr(space, local string) bool {
	for i, a := range n.Attrs {
		if a.Name.Local == local && a.Name.Space == space {
			copy(n.Attrs[i:], n.Attrs[i+1:])
			n.Attrs[len(n.Attrs)-1] = Attr{}
			n.Attrs = n.Attrs[:len(n.Attrs)-1]
			return true
		}
	}
	return false
}

// Clone returns a deep, detached copy of n. Strings are shared, which is
// safe because they are immutable; attribute and declaration slices are
// copied. The copy of an element also declares the bindings that its
// subtree's names take from n's ancestors, so that it stays
// self-describing wherever it is inserted. All nodes of the copy come from
// one allocation.
func (n *Node) Clone() *Node {
	var nodes, attrs, decls int
	walk(n, func(x *Node) {
		nodes++
		attrs += len(x.Attrs)
		decls += len(x.NS)
	})
	c := cloner{nodes: make([]Node, nodes)}
	if attrs > 0 {
		c.attrs = make([]Attr, 0, attrs)
	}
	if decls > 0 {
		c.decls = make([]NSDecl, 0, decls)
	}
	root := c.copy(n)
	src, dst := n, root
	for {
		if src.FirstChild != nil {
			src = src.FirstChild
			x := c.copy(src)
			link(dst, x)
			dst = x
			continue
		}
		for src != n && src.NextSibling == nil {
			src, dst = src.Parent, dst.Parent
		}
		if src == n {
			break
		}
		src = src.NextSibling
		x := c.copy(src)
		link(dst.Parent, x)
		dst = x
	}
	if n.Type == ElementNode && n.Parent != nil {
		root.NS = append(root.NS, inheritedBindings(n)...)
	}
	return root
}

type cloner struct {
	nodes []Node
	attrs []Attr
	decls []NSDecl
	next  int
}

func (c *cloner) copy(src *Node) *Node {
	x := &c.nodes[c.next]
	c.next++
	x.Type, x.Name, x.Data, x.CDATA = src.Type, src.Name, src.Data, src.CDATA
	if len(src.Attrs) > 0 {
		l := len(c.attrs)
		c.attrs = append(c.attrs, src.Attrs...)
		x.Attrs = c.attrs[l:len(c.attrs):len(c.attrs)]
	}
	if len(src.NS) > 0 {
		l := len(c.decls)
		c.decls = append(c.decls, src.NS...)
		x.NS = c.decls[l:len(c.decls):len(c.decls)]
	}
	return x
}

// walk calls f for every node of the subtree at root in document order.
func walk(root *Node, f func(*Node)) {
	n := root
	for {
		f(n)
		if n.FirstChild != nil {
			n = n.FirstChild
			continue
		}
		for n != root && n.NextSibling == nil {
			n = n.Parent
		}
		if n == root {
			return
		}
		n = n.NextSibling
	}
}

// inheritedBindings returns the bindings that names in n's subtree use and
// that n's ancestors, not n itself, provide.
func inheritedBindings(n *Node) []NSDecl {
	var out []NSDecl
	var seen []string // prefixes already considered, so each is looked up once
	consider := func(prefix, space string) {
		if space == "" || prefix == "xml" || prefix == "xmlns" || slices.Contains(seen, prefix) {
			return
		}
		seen = append(seen, prefix)
		for _, d := range n.NS {
			if d.Prefix == prefix {
				return
			}
		}
		if uri, ok := n.Parent.LookupNamespaceURI(prefix); ok && uri == space {
			out = append(out, NSDecl{Prefix: prefix, URI: space})
		}
	}
	walk(n, func(x *Node) {
		if x.Type != ElementNode {
			return
		}
		consider(x.Name.Prefix, x.Name.Space)
		for _, a := range x.Attrs {
			if a.Name.Prefix != "" {
				consider(a.Name.Prefix, a.Name.Space)
			}
		}
	})
	return out
}
