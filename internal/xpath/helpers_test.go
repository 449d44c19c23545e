package xpath

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/busbar/busbar/internal/xmltree"
)

// testDoc is the document most evaluation tests run against. Every element
// has an id so that results can be written compactly.
const testDoc = `<doc id="doc" xmlns:x="urn:x">` +
	`<chapter id="c1" xml:lang="en-US">` +
	`<title id="t1">Introduction</title>` +
	`<para id="p1" type="warning">P1</para>` +
	`<para id="p2">P2</para>` +
	`<para id="p3" type="warning" secretary="s">P3</para>` +
	`<para id="p4" type="warning">P4</para>` +
	`<para id="p5" type="warning">P5</para>` +
	`<para id="p6">P6<emph id="e1">E1</emph>tail</para>` +
	`<section id="s1"><para id="p7">P7</para></section>` +
	`<section id="s2"><para id="p8">P8</para></section>` +
	`</chapter>` +
	`<chapter id="c2" xml:lang="de"><title id="t2">Second</title>` +
	`<olist id="o1"><item id="i1" n="3">I1</item><item id="i2" n="4.5">I2</item></olist></chapter>` +
	`<appendix id="a1"><para id="p9">P9</para></appendix>` +
	`<chapter id="c3"><div id="d1"><div id="d2"><para id="p10">P10</para></div></div></chapter>` +
	`<chapter id="c4"/>` +
	`<chapter id="c5"><section id="s3"/><section id="s4"><para id="p11">P11</para></section></chapter>` +
	`<employee id="emp1" secretary="a" assistant="b"/>` +
	`<employee id="emp2" secretary="a"/>` +
	`<x:item id="x1" x:a="1">X1</x:item>` +
	`<n1 id="n1" xmlns="urn:d"><n2 id="n2" xmlns=""/></n1>` +
	`<!--comment1-->` +
	`<?target1 data1?>` +
	`text1` +
	`</doc>`

func parseDoc(tb testing.TB, s string) *xmltree.Node {
	tb.Helper()
	doc, err := xmltree.ParseString(s)
	if err != nil {
		tb.Fatalf("parse: %v", err)
	}
	return doc
}

// docEnv is an Env over a parsed document that counts how often it is asked
// for the context node.
type docEnv struct {
	doc   *xmltree.Node
	calls atomic.Int32
}

func (e *docEnv) ContextNode() (*xmltree.Node, error) {
	e.calls.Add(1)
	return e.doc, nil
}

type errEnv struct{ err error }

func (e errEnv) ContextNode() (*xmltree.Node, error) { return nil, e.err }

// byID finds the element with the given id attribute.
func byID(doc *xmltree.Node, id string) *xmltree.Node {
	for d := doc.FirstChild; d != nil; d = nextInSubtree(d, doc) {
		if v, ok := d.Attr("", "id"); ok && v == id && d.Type == xmltree.ElementNode {
			return d
		}
	}
	return nil
}

var errFail = errors.New("deliberate failure")

// testOptions resolves the prefixes q (urn:x, the same URI the document
// binds to x) and ext, a few extension functions and Synapse-style
// variables. It records the variable lookups it sees.
func testOptions(doc *xmltree.Node, seen *[]string) *Options {
	body := NodeSetValue(NodeOf(doc.FirstChild))
	return &Options{
		Namespaces: func(prefix string) (string, bool) {
			switch prefix {
			case "q":
				return "urn:x", true
			case "d":
				return "urn:d", true
			case "ext":
				return "urn:ext", true
			}
			return "", false
		},
		Functions: func(space, local string, nargs int) (Function, error) {
			switch {
			case space == "" && local == "el" && nargs == 1:
				return Function{Fn: func(c *Context, args []Value) (Value, error) {
					return NodeSetValue(NodeOf(byID(doc, args[0].String()))), nil
				}}, nil
			case space == "" && local == "get-property":
				if nargs != 1 {
					return Function{}, errors.New("get-property() takes 1 argument")
				}
				return Function{Fn: func(c *Context, args []Value) (Value, error) {
					return StringValue("prop:" + args[0].String()), nil
				}}, nil
			case space != "urn:ext":
				return Function{}, nil
			}
			fn := extFunction(local, doc)
			if want, ok := extArity[local]; ok && want != nargs {
				return Function{}, fmt.Errorf("ext:%s() takes %d arguments", local, want)
			}
			return fn, nil
		},
		Variables: func(prefix, space, local string) (Variable, error) {
			if seen != nil {
				*seen = append(*seen, fmt.Sprintf("%s|%s|%s", prefix, space, local))
			}
			switch prefix + ":" + local {
			case "ctx:foo":
				return Variable{Fn: func(*Context) (Value, error) { return StringValue("bar"), nil }}, nil
			case "trp:Content-Type":
				return Variable{Fn: func(*Context) (Value, error) { return StringValue("text/xml"), nil }}, nil
			case "q:foo":
				return Variable{Fn: func(*Context) (Value, error) { return StringValue("q-foo"), nil }}, nil
			case ":body":
				return Variable{Fn: func(*Context) (Value, error) { return body, nil }, NeedsNode: true}, nil
			case ":ids":
				return Variable{Fn: func(*Context) (Value, error) { return idsValue(), nil }}, nil
			case ":n":
				return Variable{Fn: func(*Context) (Value, error) { return NumberValue(42), nil }}, nil
			case ":flag":
				return Variable{Fn: func(*Context) (Value, error) { return BoolValue(true), nil }}, nil
			case ":broken":
				return Variable{Fn: func(*Context) (Value, error) { return Value{}, errFail }}, nil
			case "ctx:bad":
				return Variable{}, errors.New("no such property scope")
			}
			return Variable{}, nil
		},
	}
}

// idsValue is a node-set from a document of its own, standing in for a
// Synapse property that holds XML.
func idsValue() Value {
	doc, err := xmltree.ParseString(`<ids><id>7</id><id>8</id></ids>`)
	if err != nil {
		panic(err)
	}
	return NodeSetValue(NodeOf(doc.FirstChild.FirstChild), NodeOf(doc.FirstChild.LastChild))
}

// extArity is the number of arguments of the ext: functions that have a
// fixed number.
var extArity = map[string]int{"upper": 1, "first": 1, "rev": 0, "pos": 0, "self-id": 0, "fail": 0, "env": 0}

func extFunction(local string, doc *xmltree.Node) Function {
	switch local {
	case "upper":
		return Function{Fn: func(c *Context, args []Value) (Value, error) {
			return StringValue(strings.ToUpper(args[0].String())), nil
		}}
	case "nargs":
		return Function{Fn: func(c *Context, args []Value) (Value, error) {
			s := make([]string, len(args))
			for i, a := range args {
				s[i] = a.Kind().String()
			}
			return StringValue(strings.Join(s, ",")), nil
		}}
	case "rev":
		// Returns nodes out of document order; NodeSetValue sorts them.
		return Function{Fn: func(c *Context, args []Value) (Value, error) {
			return NodeSetValue(NodeOf(byID(doc, "p2")), NodeOf(byID(doc, "p1")), NodeOf(byID(doc, "p2"))), nil
		}}
	case "first":
		// Passes a node-set argument through.
		return Function{Fn: func(c *Context, args []Value) (Value, error) { return args[0], nil }}
	case "pos":
		return Function{UsesPosition: true, Fn: func(c *Context, args []Value) (Value, error) {
			return NumberValue(float64(c.Position())), nil
		}}
	case "self-id":
		return Function{NeedsNode: true, Fn: func(c *Context, args []Value) (Value, error) {
			n, err := c.Node()
			if err != nil {
				return Value{}, err
			}
			v, _ := n.Node().Attr("", "id")
			return StringValue(v), nil
		}}
	case "fail":
		return Function{Fn: func(c *Context, args []Value) (Value, error) { return Value{}, errFail }}
	case "env":
		return Function{Fn: func(c *Context, args []Value) (Value, error) {
			return BoolValue(c.Env() != nil && c.Size() == 1), nil
		}}
	}
	return Function{}
}

// describe renders a value compactly: numbers as XPath formats them,
// strings quoted, booleans as true/false, and node-sets as [a b c] with
// elements by id (or name), attributes as owner@name, and other nodes by
// kind.
func describe(v Value) string {
	switch v.Kind() {
	case String:
		return strconv.Quote(v.String())
	case Number, Boolean:
		return v.String()
	}
	parts := make([]string, len(v.Nodes()))
	for i, n := range v.Nodes() {
		parts[i] = describeNode(n)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func describeNode(n NodeRef) string {
	switch {
	case n.IsAttr():
		return describeNode(NodeOf(n.Node())) + "@" + n.Name()
	case n.IsNamespace():
		return "ns(" + n.LocalName() + ")"
	}
	x := n.Node()
	switch x.Type {
	case xmltree.DocumentNode:
		return "/"
	case xmltree.TextNode:
		return "text(" + strconv.Quote(n.StringValue()) + ")"
	case xmltree.CommentNode:
		return "comment(" + strconv.Quote(x.Data) + ")"
	case xmltree.ProcInstNode:
		return "pi(" + x.Name.Local + ")"
	}
	if id, ok := x.Attr("", "id"); ok {
		return id
	}
	return x.Name.Local
}
