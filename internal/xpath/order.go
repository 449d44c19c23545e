package xpath

import (
	"cmp"
	"slices"
	"unsafe"

	"github.com/busbar/busbar/internal/xmltree"
)

// compareOrder orders two nodes in document order: an element comes before
// its namespace nodes, which come before its attribute nodes, which come
// before its children. Nodes of different trees are ordered by the address
// of their roots, which is arbitrary but stable because Go's collector does
// not move objects.
func compareOrder(a, b NodeRef) int {
	if a.n == b.n {
		if a.k != b.k {
			return cmp.Compare(kindRank(a.k), kindRank(b.k))
		}
		switch a.k {
		case refAttr:
			return cmp.Compare(a.i, b.i)
		case refNS:
			da, ia := nsRank(a)
			db, ib := nsRank(b)
			if da != db {
				return cmp.Compare(da, db)
			}
			return cmp.Compare(ia, ib)
		}
		return 0
	}
	return compareTree(a.n, b.n)
}

func kindRank(k refKind) int {
	switch k {
	case refNS:
		return 1
	case refAttr:
		return 2
	}
	return 0
}

// nsRank orders the namespace nodes of one element the way the namespace
// axis yields them: xml first, then by how far up the declaration is, then
// by its position among that element's declarations.
func nsRank(r NodeRef) (dist, idx int) {
	if r.decl == nil {
		return -1, 0
	}
	for n := r.n; n != r.decl && n != nil; n = n.Parent {
		dist++
	}
	return dist, int(r.i)
}

// compareTree orders two tree nodes by comparing their ancestor chains, so it
// needs no precomputed numbering and stays valid while trees are edited.
func compareTree(a, b *xmltree.Node) int {
	if a == b {
		return 0
	}
	da, db := depth(a), depth(b)
	x, y := a, b
	for ; da > db; da-- {
		x = x.Parent
	}
	for ; db > da; db-- {
		y = y.Parent
	}
	if x == y {
		// One is an ancestor of the other; the ancestor comes first.
		if x == b {
			return 1
		}
		return -1
	}
	for x.Parent != y.Parent {
		x, y = x.Parent, y.Parent
	}
	if x.Parent == nil {
		return cmp.Compare(uintptr(unsafe.Pointer(x)), uintptr(unsafe.Pointer(y)))
	}
	return siblingOrder(x, y)
}

func depth(n *xmltree.Node) int {
	d := 0
	for n = n.Parent; n != nil; n = n.Parent {
		d++
	}
	return d
}

// siblingOrder orders two distinct siblings by walking forward from both at
// once, which stops after the shorter of the distance between them and the
// distance from the later one to the end of the list.
func siblingOrder(x, y *xmltree.Node) int {
	p, q := x.NextSibling, y.NextSibling
	for {
		switch {
		case p == y:
			return -1
		case q == x:
			return 1
		case p == nil:
			return 1
		case q == nil:
			return -1
		}
		p, q = p.NextSibling, q.NextSibling
	}
}

// normalizeSet drops zero refs and puts nodes into document order without
// duplicates, in place.
func normalizeSet(nodes []NodeRef) []NodeRef {
	nodes = slices.DeleteFunc(nodes, NodeRef.IsZero)
	return sortSet(nodes)
}

// sortSet puts nodes into document order without duplicates, in place. It
// checks first, because most sets that reach it are already in order.
func sortSet(nodes []NodeRef) []NodeRef {
	for i := 1; i < len(nodes); i++ {
		if compareOrder(nodes[i-1], nodes[i]) >= 0 {
			slices.SortFunc(nodes, compareOrder)
			return slices.Compact(nodes)
		}
	}
	return nodes
}

// mergeSets appends the union of the sorted sets a and b to out in document
// order.
func mergeSets(out, a, b []NodeRef) []NodeRef {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch c := compareOrder(a[i], b[j]); {
		case c < 0:
			out = append(out, a[i])
			i++
		case c > 0:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// isAncestor reports whether a is a proper ancestor of tree node b.
func isAncestor(a, b *xmltree.Node) bool {
	for p := b.Parent; p != nil; p = p.Parent {
		if p == a {
			return true
		}
	}
	return false
}

// nested reports whether some node of the sorted set nodes is an ancestor of
// another. In document order the descendants of a node directly follow it,
// so only neighbours need checking.
func nested(nodes []NodeRef) bool {
	for i := 1; i < len(nodes); i++ {
		a, b := nodes[i-1], nodes[i]
		if a.k != refTree || a.n.FirstChild == nil {
			continue
		}
		if b.k != refTree {
			if b.n == a.n || isAncestor(a.n, b.n) {
				return true
			}
			continue
		}
		if isAncestor(a.n, b.n) {
			return true
		}
	}
	return false
}
