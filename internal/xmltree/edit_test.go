package xmltree

import (
	"slices"
	"testing"
)

// checkLinks verifies the parent and sibling invariants of a subtree.
func checkLinks(t *testing.T, root *Node) {
	t.Helper()
	walk(root, func(n *Node) {
		var prev *Node
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Parent != n || c.PrevSibling != prev {
				t.Fatalf("broken links at %s under %s", dump(c), dump(n))
			}
			prev = c
		}
		if n.LastChild != prev {
			t.Fatalf("LastChild of %s is wrong", dump(n))
		}
	})
}

func TestEdit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		edit func(r *Node)
		want string
	}{
		{"append child", `<r><a/></r>`, func(r *Node) { r.AppendChild(NewElement("", "b", "")) }, `<r><a/><b/></r>`},
		{"append to empty", `<r/>`, func(r *Node) { r.AppendChild(NewText("t")) }, `<r>t</r>`},
		{"prepend child", `<r><a/></r>`, func(r *Node) { r.PrependChild(NewElement("", "b", "")) }, `<r><b/><a/></r>`},
		{"prepend to empty", `<r/>`, func(r *Node) { r.PrependChild(NewComment("c")) }, `<r><!--c--></r>`},
		{"insert before first", `<r><a/><b/></r>`, func(r *Node) { r.InsertBefore(NewElement("", "x", ""), r.FirstChild) }, `<r><x/><a/><b/></r>`},
		{"insert before middle", `<r><a/><b/></r>`, func(r *Node) { r.InsertBefore(NewElement("", "x", ""), r.LastChild) }, `<r><a/><x/><b/></r>`},
		{"insert before nil appends", `<r><a/></r>`, func(r *Node) { r.InsertBefore(NewElement("", "x", ""), nil) }, `<r><a/><x/></r>`},
		{"insert after last", `<r><a/><b/></r>`, func(r *Node) { r.InsertAfter(NewElement("", "x", ""), r.LastChild) }, `<r><a/><b/><x/></r>`},
		{"insert after first", `<r><a/><b/></r>`, func(r *Node) { r.InsertAfter(NewElement("", "x", ""), r.FirstChild) }, `<r><a/><x/><b/></r>`},
		{"insert after nil prepends", `<r><a/></r>`, func(r *Node) { r.InsertAfter(NewElement("", "x", ""), nil) }, `<r><x/><a/></r>`},
		{"move sibling forward", `<r><a/><b/><c/></r>`, func(r *Node) { r.AppendChild(r.FirstChild) }, `<r><b/><c/><a/></r>`},
		{"move sibling backward", `<r><a/><b/><c/></r>`, func(r *Node) { r.InsertBefore(r.LastChild, r.FirstChild) }, `<r><c/><a/><b/></r>`},
		{"insert after own previous sibling", `<r><a/><b/></r>`, func(r *Node) { r.InsertAfter(r.LastChild, r.FirstChild) }, `<r><a/><b/></r>`},
		{"insert before itself", `<r><a/><b/></r>`, func(r *Node) { r.InsertBefore(r.FirstChild, r.FirstChild) }, `<r><a/><b/></r>`},
		{"insert after itself", `<r><a/><b/></r>`, func(r *Node) { r.InsertAfter(r.FirstChild, r.FirstChild) }, `<r><a/><b/></r>`},
		{"move from deeper level", `<r><a><b/></a></r>`, func(r *Node) { r.AppendChild(r.FirstChild.FirstChild) }, `<r><a/><b/></r>`},
		{"remove middle", `<r><a/><b/><c/></r>`, func(r *Node) { r.FirstChild.NextSibling.Remove() }, `<r><a/><c/></r>`},
		{"remove only child", `<r><a/></r>`, func(r *Node) { r.FirstChild.Remove() }, `<r/>`},
		{"remove detached is no-op", `<r/>`, func(r *Node) { NewText("x").Remove() }, `<r/>`},
		{"replace with", `<r><a/><b/></r>`, func(r *Node) { r.FirstChild.ReplaceWith(NewText("t")) }, `<r>t<b/></r>`},
		{"replace with sibling", `<r><a/><b/></r>`, func(r *Node) { r.FirstChild.ReplaceWith(r.LastChild) }, `<r><b/></r>`},
		{"replace with itself", `<r><a/></r>`, func(r *Node) { r.FirstChild.ReplaceWith(r.FirstChild) }, `<r><a/></r>`},
		{"replace detached is no-op", `<r/>`, func(r *Node) { NewText("x").ReplaceWith(NewText("y")) }, `<r/>`},
		{"remove children", `<r>a<b/>c</r>`, func(r *Node) { r.RemoveChildren() }, `<r/>`},
		{"set text", `<r>a<b>x</b>c</r>`, func(r *Node) { r.SetText("1 < 2") }, `<r>1 &lt; 2</r>`},
		{"set empty text", `<r>a</r>`, func(r *Node) { r.SetText("") }, `<r/>`},
		{"set attribute new", `<r/>`, func(r *Node) { r.SetAttr(Name{Local: "a"}, "1") }, `<r a="1"/>`},
		{"set attribute replaces", `<r a="1" b="2"/>`, func(r *Node) { r.SetAttr(Name{Local: "a"}, "3") }, `<r a="3" b="2"/>`},
		{"set attribute replaces prefix", `<r xmlns:p="u" xmlns:q="u" p:a="1"/>`, func(r *Node) { r.SetAttr(Name{Space: "u", Local: "a", Prefix: "q"}, "3") }, `<r xmlns:p="u" xmlns:q="u" q:a="3"/>`},
		{"set attribute does not touch neighbour", `<r><a x="1"/><b y="2"/></r>`, func(r *Node) { r.FirstChild.SetAttr(Name{Local: "z"}, "3") }, `<r><a x="1" z="3"/><b y="2"/></r>`},
		{"set default namespace declaration", `<r/>`, func(r *Node) { r.SetAttr(Name{Local: "xmlns"}, "urn:d") }, `<r/>`},
		{"set prefix declaration", `<r xmlns:p="a"/>`, func(r *Node) { r.SetAttr(Name{Prefix: "xmlns", Local: "p"}, "b") }, `<r xmlns:p="b"/>`},
		{"set prefix declaration by namespace", `<r/>`, func(r *Node) { r.SetAttr(Name{Space: xmlnsURI, Local: "q"}, "b") }, `<r xmlns:q="b"/>`},
		{"remove attribute", `<r a="1" b="2" c="3"/>`, func(r *Node) { r.RemoveAttr("", "b") }, `<r a="1" c="3"/>`},
		{"remove namespaced attribute", `<r xmlns:p="u" a="1" p:a="2"/>`, func(r *Node) { r.RemoveAttr("u", "a") }, `<r xmlns:p="u" a="1"/>`},
		{"remove then set attribute", `<r><a x="1" y="2"/><b z="3"/></r>`, func(r *Node) {
			r.FirstChild.RemoveAttr("", "x")
			r.FirstChild.SetAttr(Name{Local: "w"}, "4")
			r.FirstChild.SetAttr(Name{Local: "v"}, "5")
		}, `<r><a y="2" w="4" v="5"/><b z="3"/></r>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := mustParse(t, tc.in)
			root := doc.DocumentElement()
			tc.edit(root)
			checkLinks(t, doc)
			got := doc.String()
			if tc.name == "set default namespace declaration" {
				if !slices.Equal(root.NS, []NSDecl{{"", "urn:d"}}) || root.Name.Space != "" {
					t.Errorf("NS = %v", root.NS)
				}
				return
			}
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestEditPanics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		do   func()
	}{
		{"insert into own subtree", func() {
			a := elem("", "a", "", NewElement("", "b", ""))
			a.FirstChild.AppendChild(a)
		}},
		{"insert into itself", func() { a := NewElement("", "a", ""); a.AppendChild(a) }},
		{"insert document", func() { NewElement("", "a", "").AppendChild(NewDocument()) }},
		{"insert nil", func() { NewElement("", "a", "").AppendChild(nil) }},
		{"insert into text", func() { NewText("t").AppendChild(NewText("u")) }},
		{"reference not a child", func() { NewElement("", "a", "").InsertBefore(NewText("t"), NewText("u")) }},
		{"after reference not a child", func() { NewElement("", "a", "").InsertAfter(NewText("t"), NewText("u")) }},
		{"replace with ancestor", func() {
			a := elem("", "a", "", NewElement("", "b", ""))
			a.FirstChild.ReplaceWith(a)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			tc.do()
		})
	}
}

func TestRemoveChildrenDetaches(t *testing.T) {
	t.Parallel()
	doc := mustParse(t, `<r><a/><b/></r>`)
	r := doc.DocumentElement()
	a, b := r.FirstChild, r.LastChild
	r.RemoveChildren()
	for _, c := range []*Node{a, b} {
		if c.Parent != nil || c.PrevSibling != nil || c.NextSibling != nil {
			t.Fatalf("%s still linked", c)
		}
	}
	other := NewElement("", "o", "")
	other.AppendChild(b)
	other.AppendChild(a)
	checkLinks(t, other)
	if got := other.String(); got != `<o><b/><a/></o>` {
		t.Errorf("got %s", got)
	}
}

func TestClone(t *testing.T) {
	t.Parallel()
	t.Run("deep and independent", func(t *testing.T) {
		t.Parallel()
		doc := mustParse(t, `<r a="1"><x:c xmlns:x="urn:x" x:b="2">t<!--c--><?p d?><![CDATA[z]]></x:c></r>`)
		c := doc.Clone()
		checkLinks(t, c)
		if !Equal(doc, c) || c.String() != doc.String() || c.Parent != nil {
			t.Fatalf("clone differs: %s", c)
		}
		c.DocumentElement().SetAttr(Name{Local: "a"}, "changed")
		c.DocumentElement().FirstChild.NS[0].URI = "urn:changed"
		c.DocumentElement().FirstChild.FirstChild.Data = "changed"
		if got := doc.String(); got != `<r a="1"><x:c xmlns:x="urn:x" x:b="2">t<!--c--><?p d?><![CDATA[z]]></x:c></r>` {
			t.Errorf("original changed: %s", got)
		}
	})
	t.Run("element carries inherited bindings", func(t *testing.T) {
		t.Parallel()
		doc := mustParse(t, `<r xmlns="urn:d" xmlns:a="urn:a" xmlns:b="urn:b" xmlns:unused="urn:u"><a:x b:at="1"><y/><a:z xmlns:a="urn:inner"/></a:x></r>`)
		x := doc.DocumentElement().FirstChild
		c := x.Clone()
		want := []NSDecl{{"a", "urn:a"}, {"b", "urn:b"}, {"", "urn:d"}}
		if !slices.Equal(c.NS, want) {
			t.Errorf("NS = %v, want %v", c.NS, want)
		}
		if len(x.NS) != 0 {
			t.Errorf("original NS changed: %v", x.NS)
		}
		if got := c.String(); got != `<a:x xmlns:a="urn:a" xmlns:b="urn:b" xmlns="urn:d" b:at="1"><y/><a:z xmlns:a="urn:inner"/></a:x>` {
			t.Errorf("got %s", got)
		}
	})
	t.Run("leaf nodes", func(t *testing.T) {
		t.Parallel()
		for _, n := range []*Node{NewText("t"), NewCDATA("c"), NewComment("m"), NewProcInst("p", "d"), NewElement("u", "e", "p")} {
			c := n.Clone()
			if c == n || !Equal(c, n) || c.CDATA != n.CDATA || c.Name != n.Name {
				t.Errorf("clone of %s differs: %s", n, c)
			}
		}
	})
}

func TestTextValues(t *testing.T) {
	t.Parallel()
	doc := mustParse(t, `<r>a<b>b<c>c</c></b><!--x--><?p y?><![CDATA[d]]>e</r>`)
	r := doc.DocumentElement()
	tests := []struct {
		name, got, want string
	}{
		{"document string value", doc.StringValue(), "abcde"},
		{"element string value", r.StringValue(), "abcde"},
		{"single text child", r.FirstChild.NextSibling.FirstChild.NextSibling.StringValue(), "c"},
		{"text node", r.FirstChild.StringValue(), "a"},
		{"comment", r.FirstChild.NextSibling.NextSibling.StringValue(), "x"},
		{"direct text", r.DirectText(), "ade"},
		{"direct text single", r.FirstChild.NextSibling.DirectText(), "b"},
		{"direct text none", NewElement("", "e", "").DirectText(), ""},
		{"empty string value", NewElement("", "e", "").StringValue(), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

func TestElementNavigation(t *testing.T) {
	t.Parallel()
	doc := mustParse(t, `<r>t<a/><!--c--><b/>u<c/></r>`)
	r := doc.DocumentElement()
	if r.FirstChildElement().Name.Local != "a" || r.FirstChildElement().NextSiblingElement().Name.Local != "b" {
		t.Fatal("FirstChildElement/NextSiblingElement wrong")
	}
	if r.LastChild.NextSiblingElement() != nil || NewElement("", "e", "").FirstChildElement() != nil {
		t.Fatal("expected nil")
	}
	var names []string
	for e := range r.ChildElements() {
		names = append(names, e.Name.Local)
		e.Remove()
	}
	if !slices.Equal(names, []string{"a", "b", "c"}) || r.String() != `<r>t<!--c-->u</r>` {
		t.Fatalf("iterated %v, left %s", names, r)
	}
	doc = mustParse(t, `<r><a/><b/></r>`)
	for e := range doc.DocumentElement().ChildElements() {
		if e.Name.Local != "a" {
			t.Fatal("break not honoured")
		}
		break
	}
	if doc.Root() != doc || doc.DocumentElement().FirstChild.Root() != doc || doc.DocumentElement().DocumentElement() != doc.DocumentElement() {
		t.Fatal("Root/DocumentElement wrong")
	}
	e := elem("", "top", "", NewText("x"))
	if e.FirstChild.Root() != e || e.FirstChild.DocumentElement() != e || NewText("x").DocumentElement() != nil || NewDocument().DocumentElement() != nil {
		t.Fatal("Root/DocumentElement wrong for detached trees")
	}
}

func TestAttr(t *testing.T) {
	t.Parallel()
	r := mustParse(t, `<r xmlns:p="urn:p" a="1" p:a="2"/>`).DocumentElement()
	tests := []struct {
		space, local, want string
		ok                 bool
	}{
		{"", "a", "1", true},
		{"urn:p", "a", "2", true},
		{"urn:q", "a", "", false},
		{"", "xmlns", "", false},
	}
	for _, tc := range tests {
		if got, ok := r.Attr(tc.space, tc.local); got != tc.want || ok != tc.ok {
			t.Errorf("Attr(%q, %q) = %q, %v", tc.space, tc.local, got, ok)
		}
	}
	if r.RemoveAttr("urn:q", "a") {
		t.Error("RemoveAttr of a missing attribute reported true")
	}
}

func TestNamespaceLookup(t *testing.T) {
	t.Parallel()
	doc := mustParse(t, `<r xmlns="urn:d" xmlns:p="urn:p"><p:a xmlns:p="urn:p2" xmlns:q="urn:p"><b xmlns="">t</b><c/></p:a></r>`)
	r := doc.DocumentElement()
	a := r.FirstChild
	b, c := a.FirstChild, a.LastChild
	uriTests := []struct {
		name   string
		n      *Node
		prefix string
		want   string
		ok     bool
	}{
		{"default at root", r, "", "urn:d", true},
		{"prefix at root", r, "p", "urn:p", true},
		{"rebound prefix", a, "p", "urn:p2", true},
		{"inherited default", a, "", "urn:d", true},
		{"undeclared default", b, "", "", false},
		{"from text node", b.FirstChild, "q", "urn:p", true},
		{"xml predefined", c, "xml", xmlURI, true},
		{"unknown", c, "z", "", false},
		{"from document", doc, "p", "", false},
		{"implicit from element name", NewElement("urn:n", "e", "n"), "n", "urn:n", true},
		{"implicit from attribute name", withAttr(NewElement("", "e", ""), "urn:at", "x", "at", "1"), "at", "urn:at", true},
	}
	for _, tc := range uriTests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got, ok := tc.n.LookupNamespaceURI(tc.prefix); got != tc.want || ok != tc.ok {
				t.Errorf("LookupNamespaceURI(%q) = %q, %v", tc.prefix, got, ok)
			}
		})
	}
	prefixTests := []struct {
		name string
		n    *Node
		uri  string
		want string
		ok   bool
	}{
		{"default namespace", r, "urn:d", "", true},
		{"prefixed", r, "urn:p", "p", true},
		{"shadowed prefix skipped", c, "urn:p", "q", true},
		{"default undeclared", b, "urn:d", "", false},
		{"xml", b, xmlURI, "xml", true},
		{"no namespace", r, "", "", false},
		{"unknown", r, "urn:none", "", false},
	}
	for _, tc := range prefixTests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got, ok := tc.n.LookupPrefix(tc.uri); got != tc.want || ok != tc.ok {
				t.Errorf("LookupPrefix(%q) = %q, %v", tc.uri, got, ok)
			}
		})
	}
	t.Run("in-scope namespaces", func(t *testing.T) {
		t.Parallel()
		// c's own name binds the default namespace, so it comes first.
		want := []NSDecl{{"", "urn:d"}, {"p", "urn:p2"}, {"q", "urn:p"}, {"xml", xmlURI}}
		if got := c.InScopeNamespaces(); !slices.Equal(got, want) {
			t.Errorf("at c: %v, want %v", got, want)
		}
		want = []NSDecl{{"p", "urn:p2"}, {"q", "urn:p"}, {"xml", xmlURI}}
		if got := b.InScopeNamespaces(); !slices.Equal(got, want) {
			t.Errorf("at b: %v, want %v", got, want)
		}
		if got := doc.InScopeNamespaces(); !slices.Equal(got, []NSDecl{{"xml", xmlURI}}) {
			t.Errorf("at document: %v", got)
		}
	})
}

func TestEqual(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{"prefixes ignored", `<p:a xmlns:p="u"/>`, `<a xmlns="u"/>`, true},
		{"namespaces differ", `<a xmlns="u"/>`, `<a xmlns="v"/>`, false},
		{"local names differ", `<a/>`, `<b/>`, false},
		{"attribute order ignored", `<a x="1" y="2"/>`, `<a y="2" x="1"/>`, true},
		{"attribute values differ", `<a x="1"/>`, `<a x="2"/>`, false},
		{"attribute namespaces differ", `<a xmlns:p="u" p:x="1"/>`, `<a xmlns:p="v" p:x="1"/>`, false},
		{"attribute counts differ", `<a x="1"/>`, `<a x="1" y="2"/>`, false},
		{"attribute names differ", `<a x="1"/>`, `<a y="1"/>`, false},
		{"text runs merged", `<a>x<![CDATA[y]]></a>`, `<a>xy</a>`, true},
		{"text differs", `<a>x</a>`, `<a>y</a>`, false},
		{"child count differs", `<a><b/></a>`, `<a><b/><b/></a>`, false},
		{"child kind differs", `<a><b/></a>`, `<a>b</a>`, false},
		{"comments compared", `<a><!--x--></a>`, `<a><!--y--></a>`, false},
		{"processing instructions compared", `<a><?p x?></a>`, `<a><?q x?></a>`, false},
		{"element vs empty text", `<a><b/></a>`, `<a><![CDATA[]]><b/></a>`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, b := mustParse(t, tc.a), mustParse(t, tc.b)
			if got := Equal(a, b); got != tc.want {
				t.Errorf("Equal = %v", got)
			}
			if got := Equal(b, a); got != tc.want {
				t.Errorf("Equal reversed = %v", got)
			}
		})
	}
	if !Equal(nil, nil) || Equal(nil, NewText("")) || Equal(NewText(""), NewComment("")) {
		t.Error("nil or type handling wrong")
	}
}
