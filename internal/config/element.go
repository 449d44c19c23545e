// Package config reads a deployment (a WSO2 Micro Integrator folder of
// Synapse XML artifacts, or one <definitions> file) into a typed model. Every
// element and attribute keeps its file:line:col so that any later error, in
// compile or at run time, can point at the line that caused it. Mediators and
// endpoint definitions stay as Element trees here; their own factories decode
// them during compile, each against its registered spec.
package config

import (
	"fmt"
	"strings"
)

// NSSynapse is the Synapse configuration namespace.
const NSSynapse = "http://ws.apache.org/ns/synapse"

// Pos is a position in a configuration file.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string {
	if p.File == "" {
		return fmt.Sprintf("%d:%d", p.Line, p.Col)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Name is a namespace-qualified name with the prefix it was written with.
type Name struct {
	Space  string
	Local  string
	Prefix string
}

// Attr is an attribute with its position.
type Attr struct {
	Name  Name
	Value string
	Pos   Pos
}

// NSDecl is a namespace declaration (Prefix "" is the default namespace).
type NSDecl struct {
	Prefix string
	URI    string
}

// Node is an item of mixed content: *Element, Text, Comment or ProcInst.
type Node interface{ node() }

// Text is character data (CDATA says it was written as a CDATA section).
type Text struct {
	Data  string
	CDATA bool
}

// Comment is an XML comment.
type Comment struct{ Data string }

// ProcInst is a processing instruction.
type ProcInst struct{ Target, Data string }

func (*Element) node() {}
func (Text) node()     {}
func (Comment) node()  {}
func (ProcInst) node() {}

// Element is one configuration element with its position, attributes,
// namespace declarations and content in document order.
type Element struct {
	Name     Name
	Attrs    []Attr
	NS       []NSDecl
	Content  []Node
	Children []*Element
	Parent   *Element
	Pos      Pos
}

// IsSynapse reports whether the element is in the Synapse namespace (or in
// no namespace, which MI also accepts in practice).
func (e *Element) IsSynapse() bool { return e.Name.Space == NSSynapse || e.Name.Space == "" }

// Attr returns the unqualified attribute name, or nil.
func (e *Element) Attr(name string) *Attr {
	for i := range e.Attrs {
		if e.Attrs[i].Name.Local == name && e.Attrs[i].Name.Space == "" {
			return &e.Attrs[i]
		}
	}
	return nil
}

// AttrValue returns an unqualified attribute's value and whether it exists.
func (e *Element) AttrValue(name string) (string, bool) {
	if a := e.Attr(name); a != nil {
		return a.Value, true
	}
	return "", false
}

// Get returns an attribute's value or "".
func (e *Element) Get(name string) string {
	v, _ := e.AttrValue(name)
	return v
}

// Child returns the first child element in the Synapse namespace with the
// given local name.
func (e *Element) Child(local string) *Element {
	for _, c := range e.Children {
		if c.Name.Local == local && c.IsSynapse() {
			return c
		}
	}
	return nil
}

// ChildrenNamed returns the Synapse-namespace children with a local name.
func (e *Element) ChildrenNamed(local string) []*Element {
	var out []*Element
	for _, c := range e.Children {
		if c.Name.Local == local && c.IsSynapse() {
			out = append(out, c)
		}
	}
	return out
}

// Text returns the concatenated character data directly inside e.
func (e *Element) Text() string {
	var b strings.Builder
	for _, n := range e.Content {
		if t, ok := n.(Text); ok {
			b.WriteString(t.Data)
		}
	}
	return b.String()
}

// LookupNS resolves a prefix using the declarations in scope at e.
func (e *Element) LookupNS(prefix string) (string, bool) {
	if prefix == "xml" {
		return "http://www.w3.org/XML/1998/namespace", true
	}
	for x := e; x != nil; x = x.Parent {
		for _, d := range x.NS {
			if d.Prefix == prefix {
				return d.URI, d.URI != "" || prefix == ""
			}
		}
	}
	return "", prefix == ""
}

// InScopeNS returns every namespace binding in scope at e, innermost first
// wins.
func (e *Element) InScopeNS() map[string]string {
	out := map[string]string{}
	for x := e; x != nil; x = x.Parent {
		for _, d := range x.NS {
			if _, ok := out[d.Prefix]; !ok {
				out[d.Prefix] = d.URI
			}
		}
	}
	return out
}

// Display is the element's name as written, e.g. "filter" or "m:order".
func (e *Element) Display() string {
	if e.Name.Prefix != "" {
		return e.Name.Prefix + ":" + e.Name.Local
	}
	return e.Name.Local
}
