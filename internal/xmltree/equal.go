package xmltree

// Equal reports whether a and b are structurally equal: same node types,
// element names equal as expanded names (prefixes and namespace
// declarations are ignored), attributes equal as sets of expanded names and
// values, and children equal in order. Adjacent text nodes are compared as
// one run of text and the CDATA flag is ignored, since neither affects the
// document's meaning.
func Equal(a, b *Node) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Type != b.Type {
		return false
	}
	switch a.Type {
	case ElementNode:
		if a.Name.Space != b.Name.Space || a.Name.Local != b.Name.Local || !sameAttrs(a.Attrs, b.Attrs) {
			return false
		}
	case TextNode, CommentNode:
		return a.Data == b.Data
	case ProcInstNode:
		return a.Name.Local == b.Name.Local && a.Data == b.Data
	}
	x, y := a.FirstChild, b.FirstChild
	for x != nil && y != nil {
		if x.Type == TextNode || y.Type == TextNode {
			var tx, ty string
			tx, x = textRun(x)
			ty, y = textRun(y)
			if tx != ty {
				return false
			}
			continue
		}
		if !Equal(x, y) {
			return false
		}
		x, y = x.NextSibling, y.NextSibling
	}
	return x == nil && y == nil
}

// textRun returns the text of the run of text nodes starting at n (empty
// if n is not text) and the node after the run.
func textRun(n *Node) (string, *Node) {
	if n == nil || n.Type != TextNode {
		return "", n
	}
	s := n.Data
	for n = n.NextSibling; n != nil && n.Type == TextNode; n = n.NextSibling {
		s += n.Data
	}
	return s, n
}

func sameAttrs(a, b []Attr) bool {
	if len(a) != len(b) {
		return false
	}
outer:
	for _, x := range a {
		for _, y := range b {
			if x.Name.Local == y.Name.Local && x.Name.Space == y.Name.Space {
				if x.Value != y.Value {
					return false
				}
				continue outer
			}
		}
		return false
	}
	return true
}
