// Package xmltree is Busbar's XML document model: a small, mutable,
// namespace-aware tree that message bodies are parsed into when a mediator
// needs their content, that XPath expressions are evaluated over, and that
// mediators such as enrich, header and payloadFactory edit in place. It keeps
// namespace prefixes as written so that a message re-serialised after an edit
// looks like the one that came in.
package xmltree

// NodeType says what a Node is; it follows the XPath 1.0 data model, with
// attributes and namespace declarations held on their element rather than as
// separate nodes.
type NodeType uint8

// Node types.
const (
	DocumentNode NodeType = iota
	ElementNode
	TextNode
	CommentNode
	ProcInstNode
)

// Name is a namespace-qualified name. Space is the namespace URI ("" for no
// namespace); Prefix is the prefix the name was written with, kept only so
// that serialisation can reproduce it.
type Name struct {
	Space  string
	Local  string
	Prefix string
}

// Attr is an attribute that is not a namespace declaration.
type Attr struct {
	Name  Name
	Value string
}

// NSDecl is a namespace declaration written on an element: xmlns="URI" when
// Prefix is empty, xmlns:Prefix="URI" otherwise.
type NSDecl struct {
	Prefix string
	URI    string
}

// Node is one node of a tree. Children form a doubly linked list so that
// edits (insert, remove, replace) are O(1) and never copy siblings.
//
// For ElementNode, Name, Attrs and NS are used. For TextNode, Data holds the
// text and CDATA records that it was written as a CDATA section. For
// CommentNode, Data is the comment text. For ProcInstNode, Name.Local is the
// target and Data the instruction. A DocumentNode has children only.
type Node struct {
	Type  NodeType
	Name  Name
	Attrs []Attr
	NS    []NSDecl
	Data  string
	CDATA bool

	Parent, FirstChild, LastChild, PrevSibling, NextSibling *Node
}
