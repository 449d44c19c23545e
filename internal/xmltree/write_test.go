package xmltree

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func elem(space, local, prefix string, children ...*Node) *Node {
	e := NewElement(space, local, prefix)
	for _, c := range children {
		e.AppendChild(c)
	}
	return e
}

func withAttr(e *Node, space, local, prefix, value string) *Node {
	e.SetAttr(Name{Space: space, Local: local, Prefix: prefix}, value)
	return e
}

func withNS(e *Node, decls ...NSDecl) *Node {
	e.NS = append(e.NS, decls...)
	return e
}

func TestAppendXMLEscaping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		node func() *Node
		want string
	}{
		{"text markup", func() *Node { return NewText("a&b<c>d]]>e") }, `a&amp;b&lt;c&gt;d]]&gt;e`},
		{"text white space", func() *Node { return NewText("1\r\n2\t3") }, "1&#xD;\n2\t3"},
		{"text unrepresentable characters", func() *Node { return NewText("a\x00b\xffc\uFFFEd\x1b") }, "a\uFFFDb\uFFFDc\uFFFDd\uFFFD"},
		{"text in element", func() *Node { return elem("", "a", "", NewText("x < y")) }, `<a>x &lt; y</a>`},
		{"attribute", func() *Node { return withAttr(NewElement("", "a", ""), "", "x", "", "\"&<>'\t\n\r") }, `<a x="&quot;&amp;&lt;>'&#x9;&#xA;&#xD;"/>`},
		{"attribute invalid UTF-8", func() *Node { return withAttr(NewElement("", "a", ""), "", "x", "", "\xc3(") }, "<a x=\"\uFFFD(\"/>"},
		{"namespace URI escaped", func() *Node { return NewElement(`urn:a"&<`, "a", "p") }, `<p:a xmlns:p="urn:a&quot;&amp;&lt;"/>`},
		{"cdata", func() *Node { return elem("", "a", "", NewCDATA("<x>&")) }, `<a><![CDATA[<x>&]]></a>`},
		{"cdata containing terminator", func() *Node { return elem("", "a", "", NewCDATA("a]]>b")) }, `<a><![CDATA[a]]]]><![CDATA[>b]]></a>`},
		{"cdata containing two terminators", func() *Node { return elem("", "a", "", NewCDATA("]]>]]>")) }, `<a><![CDATA[]]]]><![CDATA[>]]]]><![CDATA[>]]></a>`},
		{"cdata ending in brackets", func() *Node { return elem("", "a", "", NewCDATA("x]]")) }, `<a><![CDATA[x]]]]></a>`},
		{"cdata with CR falls back to text", func() *Node { return elem("", "a", "", NewCDATA("a\r]]>")) }, `<a>a&#xD;]]&gt;</a>`},
		{"cdata with control falls back to text", func() *Node { return elem("", "a", "", NewCDATA("a\x01")) }, "<a>a\uFFFD</a>"},
		{"cdata with non-ASCII", func() *Node { return elem("", "a", "", NewCDATA("é😀")) }, `<a><![CDATA[é😀]]></a>`},
		{"cdata with invalid UTF-8 falls back to text", func() *Node { return elem("", "a", "", NewCDATA("é\xff")) }, "<a>é\uFFFD</a>"},
		{"comment", func() *Node { return NewComment(" ok ") }, `<!-- ok -->`},
		{"comment with non-ASCII and invalid UTF-8", func() *Node { return NewComment("é\xff") }, "<!--é\uFFFD-->"},
		{"comment with double hyphens", func() *Node { return NewComment("a--b---c-") }, `<!--a- -b- - -c- -->`},
		{"comment with control", func() *Node { return NewComment("a\x02") }, "<!--a\uFFFD-->"},
		{"processing instruction", func() *Node { return NewProcInst("t", "x?>y") }, `<?t x? >y?>`},
		{"processing instruction without data", func() *Node { return NewProcInst("t", "") }, `<?t?>`},
		{"document without declaration", func() *Node {
			d := NewDocument()
			d.AppendChild(NewComment("c"))
			d.AppendChild(NewElement("", "r", ""))
			return d
		}, `<!--c--><r/>`},
		{"empty document", NewDocument, ``},
		{"nested empty and full", func() *Node { return elem("", "a", "", NewElement("", "b", ""), elem("", "c", "", NewText("t"))) }, `<a><b/><c>t</c></a>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := tc.node()
			if got := n.String(); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if got := string(n.AppendXML([]byte("prefix:"))); got != "prefix:"+tc.want {
				t.Errorf("AppendXML did not append: %s", got)
			}
			if n.Type == ElementNode || n.Type == DocumentNode {
				if _, err := ParseString("<w>" + tc.want + "</w>"); err != nil {
					t.Errorf("output does not parse: %v", err)
				}
			}
		})
	}
}

func TestCDATARoundTrip(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"a]]>b", "]]>", "]]]>>", "x]", "x]]", "]]>]]>"} {
		t.Run(s, func(t *testing.T) {
			t.Parallel()
			doc := mustParse(t, elem("", "a", "", NewCDATA(s)).String())
			if got := doc.StringValue(); got != s {
				t.Errorf("text after round trip %q, want %q", got, s)
			}
		})
	}
}

func TestNamespaceFixups(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		node func() *Node
		want string
	}{
		{"prefixed element declared", func() *Node { return NewElement("urn:a", "x", "a") }, `<a:x xmlns:a="urn:a"/>`},
		{"default namespace declared", func() *Node { return NewElement("urn:a", "x", "") }, `<x xmlns="urn:a"/>`},
		{"binding inherited in output", func() *Node {
			return elem("urn:a", "x", "a", NewElement("urn:a", "y", "a"))
		}, `<a:x xmlns:a="urn:a"><a:y/></a:x>`},
		{"default namespace undeclared for no-namespace child", func() *Node {
			return elem("urn:p", "p", "", NewElement("", "c", ""))
		}, `<p xmlns="urn:p"><c xmlns=""/></p>`},
		{"default namespace redeclared for child", func() *Node {
			return elem("urn:p", "p", "", elem("urn:q", "c", "", NewElement("urn:p", "d", "")))
		}, `<p xmlns="urn:p"><c xmlns="urn:q"><d xmlns="urn:p"/></c></p>`},
		{"prefix rebound in child", func() *Node {
			return elem("urn:1", "a", "p", NewElement("urn:2", "b", "p"), NewElement("urn:1", "c", "p"))
		}, `<p:a xmlns:p="urn:1"><p:b xmlns:p="urn:2"/><p:c/></p:a>`},
		{"attribute without prefix gets one", func() *Node {
			return withAttr(NewElement("", "e", ""), "urn:x", "at", "", "v")
		}, `<e xmlns:ns1="urn:x" ns1:at="v"/>`},
		{"attribute reuses prefix in scope", func() *Node {
			return withNS(elem("", "r", "", withAttr(NewElement("", "c", ""), "urn:x", "at", "", "v")), NSDecl{"x", "urn:x"})
		}, `<r xmlns:x="urn:x"><c x:at="v"/></r>`},
		{"attribute never uses default namespace", func() *Node {
			return withAttr(NewElement("urn:d", "e", ""), "urn:d", "at", "", "v")
		}, `<e xmlns="urn:d" xmlns:ns1="urn:d" ns1:at="v"/>`},
		{"attribute prefix clashes with element prefix", func() *Node {
			return withAttr(NewElement("urn:1", "e", "p"), "urn:2", "at", "p", "v")
		}, `<p:e xmlns:p="urn:1" xmlns:ns1="urn:2" ns1:at="v"/>`},
		{"two attributes same prefix different namespaces", func() *Node {
			e := withAttr(NewElement("", "e", ""), "urn:1", "a", "q", "1")
			return withAttr(e, "urn:2", "b", "q", "2")
		}, `<e xmlns:q="urn:1" xmlns:ns1="urn:2" q:a="1" ns1:b="2"/>`},
		{"attribute does not rebind prefix element inherits", func() *Node {
			c := withAttr(NewElement("urn:A", "c", "q"), "urn:B", "at", "q", "v")
			return elem("urn:A", "r", "q", c)
		}, `<q:r xmlns:q="urn:A"><q:c xmlns:ns1="urn:B" ns1:at="v"/></q:r>`},
		{"attribute does not rebind prefix earlier attribute inherits", func() *Node {
			c := withAttr(NewElement("", "c", ""), "urn:A", "a", "q", "1")
			c = withAttr(c, "urn:B", "b", "q", "2")
			return withNS(elem("", "r", "", c), NSDecl{"q", "urn:A"})
		}, `<r xmlns:q="urn:A"><c xmlns:ns1="urn:B" q:a="1" ns1:b="2"/></r>`},
		{"attribute may rebind prefix nothing here uses", func() *Node {
			c := withAttr(NewElement("", "c", ""), "urn:B", "at", "q", "v")
			return withNS(elem("", "r", "", c), NSDecl{"q", "urn:A"})
		}, `<r xmlns:q="urn:A"><c xmlns:q="urn:B" q:at="v"/></r>`},
		{"invented prefix avoids prefixes in scope", func() *Node {
			c := withAttr(NewElement("", "c", ""), "urn:x", "at", "", "v")
			return withNS(elem("", "r", "", c), NSDecl{"ns1", "urn:other"})
		}, `<r xmlns:ns1="urn:other"><c xmlns:ns2="urn:x" ns2:at="v"/></r>`},
		{"own declaration contradicting name dropped", func() *Node {
			return withNS(NewElement("urn:1", "e", "p"), NSDecl{"p", "urn:2"}, NSDecl{"o", "urn:o"})
		}, `<p:e xmlns:o="urn:o" xmlns:p="urn:1"/>`},
		{"own default declaration contradicting no-namespace name dropped", func() *Node {
			return withNS(NewElement("", "e", ""), NSDecl{"", "urn:2"})
		}, `<e/>`},
		{"redundant own declaration kept", func() *Node {
			return withNS(elem("urn:1", "e", "p", withNS(NewElement("urn:1", "f", "p"), NSDecl{"p", "urn:1"})), NSDecl{"p", "urn:1"})
		}, `<p:e xmlns:p="urn:1"><p:f xmlns:p="urn:1"/></p:e>`},
		{"illegal own declarations skipped", func() *Node {
			return withNS(NewElement("", "e", ""), NSDecl{"p", ""}, NSDecl{"xml", "urn:x"}, NSDecl{"xmlns", "urn:y"},
				NSDecl{"q", xmlnsURI}, NSDecl{"r", xmlURI}, NSDecl{"s", "urn:s"}, NSDecl{"s", "urn:dup"})
		}, `<e xmlns:s="urn:s"/>`},
		{"many own declarations with duplicates", func() *Node {
			e := NewElement("", "e", "")
			for i := range 20 {
				e.NS = append(e.NS, NSDecl{string(rune('a' + i%18)), "urn:" + string(rune('a'+i))})
			}
			return e
		}, `<e xmlns:a="urn:a" xmlns:b="urn:b" xmlns:c="urn:c" xmlns:d="urn:d" xmlns:e="urn:e" xmlns:f="urn:f" xmlns:g="urn:g" xmlns:h="urn:h" xmlns:i="urn:i" xmlns:j="urn:j" xmlns:k="urn:k" xmlns:l="urn:l" xmlns:m="urn:m" xmlns:n="urn:n" xmlns:o="urn:o" xmlns:p="urn:p" xmlns:q="urn:q" xmlns:r="urn:r"/>`},
		{"xml prefix on element with other namespace", func() *Node { return NewElement("urn:z", "e", "xml") }, `<ns1:e xmlns:ns1="urn:z"/>`},
		{"xmlns prefix on element", func() *Node {
			return withNS(NewElement("urn:z", "e", "xmlns"), NSDecl{"z", "urn:z"})
		}, `<z:e xmlns:z="urn:z"/>`},
		{"prefix without namespace ignored", func() *Node { return withAttr(NewElement("", "e", "p"), "", "a", "q", "1") }, `<e a="1"/>`},
		{"xml namespace attribute", func() *Node { return withAttr(NewElement("", "e", ""), xmlURI, "lang", "", "en") }, `<e xml:lang="en"/>`},
		{"namespace attributes in Attrs skipped", func() *Node {
			e := NewElement("", "e", "")
			e.Attrs = []Attr{{Name{Local: "xmlns"}, "urn:x"}, {Name{Prefix: "xmlns", Local: "p"}, "urn:p"}, {Name{Space: xmlnsURI, Local: "q"}, "urn:q"}, {Name{Local: "ok"}, "1"}}
			return e
		}, `<e ok="1"/>`},
		{"duplicate attributes in Attrs skipped", func() *Node {
			e := NewElement("", "e", "")
			e.Attrs = []Attr{{Name{Local: "a"}, "1"}, {Name{Local: "a"}, "2"}, {Name{Space: "u", Local: "b", Prefix: "p"}, "3"}, {Name{Space: "u", Local: "b", Prefix: "q"}, "4"}}
			return e
		}, `<e xmlns:p="u" a="1" p:b="3"/>`},
		{"many attributes with duplicates", func() *Node {
			e := NewElement("", "e", "")
			for i := range 20 {
				e.Attrs = append(e.Attrs, Attr{Name{Local: string(rune('a' + i%18))}, "v"})
			}
			return e
		}, `<e a="v" b="v" c="v" d="v" e="v" f="v" g="v" h="v" i="v" j="v" k="v" l="v" m="v" n="v" o="v" p="v" q="v" r="v"/>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := tc.node()
			if got := n.String(); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			doc := mustParse(t, n.String())
			if got, want := dumpExpanded(doc.DocumentElement()), dumpExpanded(n); got != want {
				t.Errorf("expanded names changed\ngot:  %s\nwant: %s", got, want)
			}
		})
	}
}

// dumpExpanded renders only expanded names, text and the attributes that
// survive serialisation, for comparing a built tree with its re-parse.
func dumpExpanded(n *Node) string {
	var b strings.Builder
	walk(n, func(x *Node) {
		switch x.Type {
		case ElementNode:
			b.WriteString("{" + x.Name.Space + "}" + x.Name.Local)
			for i, a := range x.Attrs {
				if !isNSAttr(a.Name) && !dupAttr(x.Attrs, i) {
					b.WriteString(" @{" + a.Name.Space + "}" + a.Name.Local + "=" + a.Value)
				}
			}
			b.WriteString(";")
		case TextNode:
			b.WriteString("'" + x.Data + "';")
		}
	})
	return b.String()
}

func TestSurgery(t *testing.T) {
	t.Parallel()
	t.Run("move subtree between documents", func(t *testing.T) {
		t.Parallel()
		src := mustParse(t, `<a:root xmlns:a="urn:A" xmlns="urn:default"><a:item a:id="1"><name>n</name><x:y xmlns:x="urn:X" x:z="2"/></a:item></a:root>`)
		dst := mustParse(t, `<a:other xmlns:a="urn:DIFFERENT" xmlns="urn:B"><slot/></a:other>`)
		item := src.DocumentElement().FirstChild
		dst.DocumentElement().FirstChild.AppendChild(item)
		if src.String() != `<a:root xmlns:a="urn:A" xmlns="urn:default"/>` {
			t.Errorf("source after move: %s", src)
		}
		want := `<a:other xmlns:a="urn:DIFFERENT" xmlns="urn:B"><slot><a:item xmlns:a="urn:A" a:id="1"><name xmlns="urn:default">n</name><x:y xmlns:x="urn:X" x:z="2"/></a:item></slot></a:other>`
		if got := reparse(t, dst); got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})
	t.Run("no-namespace element into default namespace", func(t *testing.T) {
		t.Parallel()
		src := mustParse(t, `<r><plain><inner/></plain></r>`)
		dst := mustParse(t, `<e xmlns="urn:e"><slot/></e>`)
		dst.DocumentElement().FirstChild.AppendChild(src.DocumentElement().FirstChild)
		want := `<e xmlns="urn:e"><slot><plain xmlns=""><inner/></plain></slot></e>`
		if got := reparse(t, dst); got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})
	t.Run("soap body child written alone", func(t *testing.T) {
		t.Parallel()
		env := mustParse(t, soap11).DocumentElement()
		var body *Node
		for c := range env.ChildElements() {
			if c.Name.Local == "Body" {
				body = c
			}
		}
		payload := body.FirstChildElement()
		want := `<m:getQuote xmlns:m="urn:quotes"><m:symbol>IBM</m:symbol></m:getQuote>`
		if got := reparse(t, payload); got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
		header := env.FirstChildElement()
		want = `<soapenv:Header xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><m:Trace xmlns:m="urn:quotes" soapenv:mustUnderstand="0">t-1</m:Trace></soapenv:Header>`
		if got := reparse(t, header); got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})
	t.Run("default namespaced subtree written alone", func(t *testing.T) {
		t.Parallel()
		doc := mustParse(t, `<Envelope xmlns="urn:env"><Body><req xmlns="urn:app"><a/></req><b/></Body></Envelope>`)
		body := doc.DocumentElement().FirstChild
		want := `<Body xmlns="urn:env"><req xmlns="urn:app"><a/></req><b/></Body>`
		if got := reparse(t, body); got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})
	t.Run("soap 1.2 payload into soap 1.1 envelope", func(t *testing.T) {
		t.Parallel()
		in := mustParse(t, `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:o="urn:orders"><s:Body><o:order s:role="x"><o:id>7</o:id></o:order></s:Body></s:Envelope>`)
		out := mustParse(t, `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>`)
		payload := in.DocumentElement().FirstChild.FirstChild
		out.DocumentElement().FirstChild.AppendChild(payload.Clone())
		want := `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><o:order xmlns:o="urn:orders" xmlns:s="http://www.w3.org/2003/05/soap-envelope" s:role="x"><o:id>7</o:id></o:order></s:Body></s:Envelope>`
		if got := reparse(t, out); got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})
	t.Run("renamed element keeps descendants right", func(t *testing.T) {
		t.Parallel()
		doc := mustParse(t, `<p:a xmlns:p="urn:old"><p:b/></p:a>`)
		doc.DocumentElement().Name.Space = "urn:new"
		want := `<p:a xmlns:p="urn:new"><p:b xmlns:p="urn:old"/></p:a>`
		if got := reparse(t, doc); got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	w.n = len(p) / 2
	return w.n, errors.New("disk full")
}

func TestWriteTo(t *testing.T) {
	t.Parallel()
	doc := mustParse(t, soap12)
	var buf bytes.Buffer
	n, err := doc.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) || buf.String() != soap12 {
		t.Fatalf("WriteTo = %d, %v; wrote %s", n, err, buf.String())
	}
	fw := &failWriter{}
	n, err = doc.WriteTo(fw)
	if err == nil || n != int64(fw.n) {
		t.Fatalf("WriteTo to failing writer = %d, %v", n, err)
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	shared := mustParse(t, soap11)
	want := shared.String()
	done := make(chan error)
	for i := range 8 {
		go func() {
			var err error
			for range 50 {
				if got := shared.String(); got != want {
					err = errors.New("concurrent serialisation differs: " + got)
					break
				}
				doc, perr := ParseString(string(benchOrder(i + 1)))
				if perr != nil {
					err = perr
					break
				}
				_ = doc.StringValue()
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
