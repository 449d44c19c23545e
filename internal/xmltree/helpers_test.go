package xmltree

import (
	"strconv"
	"strings"
	"testing"
)

// dump renders a tree with every name expanded, so that tests can assert
// namespace resolution and text content in one string. An element is
// "(prefix:local{uri} xmlns:p=uri... attr{uri}=value... children...)".
func dump(n *Node) string {
	var b strings.Builder
	dumpTo(&b, n)
	return b.String()
}

func dumpTo(b *strings.Builder, n *Node) {
	switch n.Type {
	case DocumentNode:
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c != n.FirstChild {
				b.WriteByte(' ')
			}
			dumpTo(b, c)
		}
	case ElementNode:
		b.WriteString("(" + qname(n.Name.Prefix, n.Name.Local) + "{" + n.Name.Space + "}")
		for _, d := range n.NS {
			if d.Prefix == "" {
				b.WriteString(" xmlns=" + d.URI)
			} else {
				b.WriteString(" xmlns:" + d.Prefix + "=" + d.URI)
			}
		}
		for _, a := range n.Attrs {
			b.WriteString(" " + qname(a.Name.Prefix, a.Name.Local) + "{" + a.Name.Space + "}=" + strconv.Quote(a.Value))
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			b.WriteByte(' ')
			dumpTo(b, c)
		}
		b.WriteByte(')')
	case TextNode:
		if n.CDATA {
			b.WriteByte('C')
		}
		b.WriteString(strconv.Quote(n.Data))
	case CommentNode:
		b.WriteString("<!" + strconv.Quote(n.Data) + ">")
	case ProcInstNode:
		b.WriteString("<?" + n.Name.Local + " " + strconv.Quote(n.Data) + ">")
	}
}

func mustParse(t testing.TB, s string) *Node {
	t.Helper()
	doc, err := ParseString(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return doc
}

// reparse serialises n, parses the output and checks that the result is
// structurally equal to n; it returns the output.
func reparse(t *testing.T, n *Node) string {
	t.Helper()
	out := n.String()
	doc, err := ParseString(out)
	if err != nil {
		t.Fatalf("output does not re-parse: %v\n%s", err, out)
	}
	want := n
	if n.Type == ElementNode {
		doc = doc.DocumentElement()
	}
	if !Equal(want, doc) {
		t.Fatalf("re-parsed tree differs\nout:  %s\nwant: %s\ngot:  %s", out, dump(want), dump(doc))
	}
	return out
}
