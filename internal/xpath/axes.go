package xpath

import "github.com/busbar/busbar/internal/xmltree"

type axis uint8

const (
	axisChild axis = iota
	axisDescendant
	axisDescendantOrSelf
	axisParent
	axisAncestor
	axisAncestorOrSelf
	axisFollowingSibling
	axisPrecedingSibling
	axisFollowing
	axisPreceding
	axisAttribute
	axisNamespace
	axisSelf
)

var axisNames = map[string]axis{
	"child":              axisChild,
	"descendant":         axisDescendant,
	"descendant-or-self": axisDescendantOrSelf,
	"parent":             axisParent,
	"ancestor":           axisAncestor,
	"ancestor-or-self":   axisAncestorOrSelf,
	"following-sibling":  axisFollowingSibling,
	"preceding-sibling":  axisPrecedingSibling,
	"following":          axisFollowing,
	"preceding":          axisPreceding,
	"attribute":          axisAttribute,
	"namespace":          axisNamespace,
	"self":               axisSelf,
}

// reverse reports whether the axis yields nodes in reverse document order,
// which is the order proximity positions count in.
func (a axis) reverse() bool {
	switch a {
	case axisParent, axisAncestor, axisAncestorOrSelf, axisPreceding, axisPrecedingSibling:
		return true
	}
	return false
}

// flatFromOne reports whether the nodes the axis yields from a single node
// are never ancestors of one another.
func (a axis) flatFromOne() bool {
	switch a {
	case axisChild, axisParent, axisSelf, axisAttribute, axisNamespace,
		axisFollowingSibling, axisPrecedingSibling:
		return true
	}
	return false
}

type testKind uint8

const (
	testName    testKind = iota // QName: space and local
	testAny                     // *
	testSpace                   // prefix:*
	testNode                    // node()
	testText                    // text()
	testComment                 // comment()
	testPI                      // processing-instruction(), with a target if hasTarget
)

type nodeTest struct {
	kind      testKind
	hasTarget bool
	space     string
	local     string
}

// matchTree tests a tree node on an axis whose principal node type is element.
func (t *nodeTest) matchTree(n *xmltree.Node) bool {
	switch t.kind {
	case testName:
		return n.Type == xmltree.ElementNode && sameName(&n.Name, t)
	case testAny:
		return n.Type == xmltree.ElementNode
	case testSpace:
		return n.Type == xmltree.ElementNode && n.Name.Space == t.space
	case testNode:
		return n.Type != xmltree.TextNode || isTextStart(n)
	case testText:
		return n.Type == xmltree.TextNode && isTextStart(n)
	case testComment:
		return n.Type == xmltree.CommentNode
	case testPI:
		return n.Type == xmltree.ProcInstNode && (!t.hasTarget || n.Name.Local == t.local)
	}
	return false
}

// sameName compares an element name with a name test, rejecting most
// mismatches on the length and first byte without calling into memequal.
func sameName(n *xmltree.Name, t *nodeTest) bool {
	a, b := n.Local, t.local
	return len(a) == len(b) && (len(a) == 0 || a[0] == b[0]) && a == b && n.Space == t.space
}

// matchRef tests any node on an axis whose principal node type is element:
// attribute and namespace nodes pass only node().
func (t *nodeTest) matchRef(r NodeRef) bool {
	if r.k == refTree {
		return t.matchTree(r.n)
	}
	return t.kind == testNode
}

func (t *nodeTest) matchAttr(a *xmltree.Attr) bool {
	switch t.kind {
	case testName:
		return a.Name.Local == t.local && a.Name.Space == t.space
	case testAny, testNode:
		return true
	case testSpace:
		return a.Name.Space == t.space
	}
	return false
}

// matchNS tests a namespace node, whose expanded-name is its prefix with no
// namespace URI.
func (t *nodeTest) matchNS(prefix string) bool {
	switch t.kind {
	case testName:
		return t.space == "" && t.local == prefix
	case testAny, testNode:
		return true
	}
	return false
}

// collector appends nodes to out and tells the traversal to stop once limit
// nodes (if limit > 0) have been added.
type collector struct {
	out   []NodeRef
	start int
	limit int
}

func (c *collector) add(r NodeRef) (full bool) {
	c.out = append(c.out, r)
	return c.limit > 0 && len(c.out)-c.start >= c.limit
}

// gather appends to out the nodes that the axis of s yields from ctx and
// that pass the node test, in axis order (reverse document order for the
// reverse axes), stopping after limit nodes if limit > 0.
func (s *step) gather(ctx NodeRef, out []NodeRef, limit int) []NodeRef {
	c := collector{out: out, start: len(out), limit: limit}
	t := &s.test
	n := ctx.n
	switch s.axis {
	case axisSelf:
		if t.matchRef(ctx) {
			c.add(ctx)
		}
	case axisChild:
		if ctx.k == refTree {
			c.children(n, t)
		}
	case axisDescendantOrSelf:
		if t.matchRef(ctx) && c.add(ctx) {
			break
		}
		fallthrough
	case axisDescendant:
		if ctx.k == refTree {
			c.descendants(n, t)
		}
	case axisParent:
		p := n
		if ctx.k == refTree {
			p = n.Parent
		}
		if p != nil && t.matchTree(p) {
			c.add(NodeOf(p))
		}
	case axisAncestorOrSelf:
		if t.matchRef(ctx) && c.add(ctx) {
			break
		}
		fallthrough
	case axisAncestor:
		p := n
		if ctx.k == refTree {
			p = n.Parent
		}
		for ; p != nil; p = p.Parent {
			if t.matchTree(p) && c.add(NodeOf(p)) {
				break
			}
		}
	case axisFollowingSibling:
		if ctx.k == refTree {
			for x := n.NextSibling; x != nil; x = x.NextSibling {
				if t.matchTree(x) && c.add(NodeOf(x)) {
					break
				}
			}
		}
	case axisPrecedingSibling:
		if ctx.k == refTree {
			for x := n.PrevSibling; x != nil; x = x.PrevSibling {
				if t.matchTree(x) && c.add(NodeOf(x)) {
					break
				}
			}
		}
	case axisFollowing:
		c.following(ctx, t)
	case axisPreceding:
		c.preceding(n, t)
	case axisAttribute:
		if ctx.k == refTree && n.Type == xmltree.ElementNode {
			for i := range n.Attrs {
				if t.matchAttr(&n.Attrs[i]) && c.add(NodeRef{n: n, i: int32(i), k: refAttr}) {
					break
				}
			}
		}
	case axisNamespace:
		if ctx.k == refTree && n.Type == xmltree.ElementNode {
			c.namespaces(n, t)
		}
	}
	return c.out
}

func (c *collector) children(n *xmltree.Node, t *nodeTest) {
	if t.kind == testName {
		for x := n.FirstChild; x != nil; x = x.NextSibling {
			if x.Type == xmltree.ElementNode && sameName(&x.Name, t) && c.add(NodeOf(x)) {
				return
			}
		}
		return
	}
	for x := n.FirstChild; x != nil; x = x.NextSibling {
		if t.matchTree(x) && c.add(NodeOf(x)) {
			return
		}
	}
}

func (c *collector) descendants(root *xmltree.Node, t *nodeTest) {
	if t.kind == testName {
		for d := root.FirstChild; d != nil; d = nextInSubtree(d, root) {
			if d.Type == xmltree.ElementNode && sameName(&d.Name, t) && c.add(NodeOf(d)) {
				return
			}
		}
		return
	}
	for d := root.FirstChild; d != nil; d = nextInSubtree(d, root) {
		if t.matchTree(d) && c.add(NodeOf(d)) {
			return
		}
	}
}

// following yields everything after ctx in document order except its
// descendants. The nodes after an attribute or namespace node start with the
// descendants of its element.
func (c *collector) following(ctx NodeRef, t *nodeTest) {
	n := ctx.n
	if ctx.k != refTree {
		for d := n.FirstChild; d != nil; d = nextInSubtree(d, n) {
			if t.matchTree(d) && c.add(NodeOf(d)) {
				return
			}
		}
	}
	for x := n; x != nil; x = x.Parent {
		for s := x.NextSibling; s != nil; s = s.NextSibling {
			for d := s; d != nil; d = nextInSubtree(d, s) {
				if t.matchTree(d) && c.add(NodeOf(d)) {
					return
				}
			}
		}
	}
}

// preceding yields, nearest first, everything before n in document order
// except its ancestors. For an attribute or namespace node n is its element,
// which has the same preceding nodes.
func (c *collector) preceding(n *xmltree.Node, t *nodeTest) {
	for x := n; x != nil; x = x.Parent {
		for s := x.PrevSibling; s != nil; s = s.PrevSibling {
			d := lastInSubtree(s)
			for {
				if t.matchTree(d) && c.add(NodeOf(d)) {
					return
				}
				if d == s {
					break
				}
				if d.PrevSibling != nil {
					d = lastInSubtree(d.PrevSibling)
				} else {
					d = d.Parent
				}
			}
		}
	}
}

// namespaces yields the namespace nodes of element el: the implicit xml
// namespace, then every prefix declared on el or an ancestor and not
// redeclared or undeclared closer to el.
func (c *collector) namespaces(el *xmltree.Node, t *nodeTest) {
	if t.matchNS("xml") && c.add(NodeRef{n: el, i: -1, k: refNS}) {
		return
	}
	var buf [16]string
	seen := buf[:0]
	for d := el; d != nil && d.Type == xmltree.ElementNode; d = d.Parent {
	decls:
		for i, ns := range d.NS {
			if ns.Prefix == "xml" {
				continue
			}
			for _, p := range seen {
				if p == ns.Prefix {
					continue decls
				}
			}
			seen = append(seen, ns.Prefix)
			if ns.URI == "" {
				continue // xmlns="" undeclares the default namespace
			}
			if t.matchNS(ns.Prefix) && c.add(NodeRef{n: el, decl: d, i: int32(i), k: refNS}) {
				return
			}
		}
	}
}
