package xmltree

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that Parse never panics and that whatever it accepts
// serialises to a fixpoint: the output re-parses to an equal tree and
// serialises to the same bytes. It also checks that encoding/xml accepts
// every document Parse accepts (not the converse: encoding/xml is lenient
// about namespaces, misplaced text and more).
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		f.Add([]byte(tc.in))
	}
	for _, tc := range errorCases {
		f.Add([]byte(tc.in))
	}
	f.Add(benchOrder(1))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Parse(data)
		if err != nil {
			if _, ok := err.(*SyntaxError); !ok {
				t.Fatalf("error %T is not a *SyntaxError: %v", err, err)
			}
			return
		}
		out := doc.AppendXML(nil)
		doc2, err := Parse(out)
		if err != nil {
			t.Fatalf("output does not re-parse: %v\ninput:  %q\noutput: %q", err, data, out)
		}
		if !Equal(doc, doc2) {
			t.Fatalf("re-parsed tree differs\ninput:  %q\nfirst:  %s\nsecond: %s", data, dump(doc), dump(doc2))
		}
		if out2 := doc2.AppendXML(nil); !bytes.Equal(out, out2) {
			t.Fatalf("serialisation is not a fixpoint\ninput:  %q\nfirst:  %q\nsecond: %q", data, out, out2)
		}
		if err := stdlibAccepts(data); err != nil {
			t.Fatalf("encoding/xml rejects a document Parse accepted: %v\ninput: %q", err, data)
		}
	})
}

// stdlibAccepts tokenises data with encoding/xml.
func stdlibAccepts(data []byte) error {
	d := xml.NewDecoder(bytes.NewReader(data))
	// The only other encoding Parse accepts is US-ASCII, a subset of UTF-8.
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	for {
		_, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if olderNameTables(err) {
				return nil
			}
			return err
		}
	}
}

// olderNameTables reports whether encoding/xml rejected a name only because
// its name character tables follow XML 1.0 Fourth Edition (Unicode 2.0
// letters), while Parse follows the Fifth Edition's broader Name
// production. Such names are non-ASCII and valid by the Fifth Edition.
func olderNameTables(err error) bool {
	msg := err.Error()
	_, name, ok := strings.Cut(msg, "invalid XML name: ")
	if !ok || !utf8.ValidString(name) {
		return false
	}
	nonASCII := false
	for _, part := range strings.Split(name, ":") {
		if !isNCName(part) {
			return false
		}
		nonASCII = nonASCII || strings.IndexFunc(part, func(r rune) bool { return r >= utf8.RuneSelf }) >= 0
	}
	return nonASCII
}

// FuzzSurgery moves (or clones) an element of one parsed document into an
// element of another and checks that the result, and the moved subtree on
// its own, serialise to XML that re-parses to the same expanded names.
func FuzzSurgery(f *testing.F) {
	f.Add([]byte(`<a:r xmlns:a="urn:A" xmlns="urn:d"><a:i a:x="1"><n/></a:i></a:r>`), []byte(`<a:o xmlns:a="urn:B" xmlns="urn:e"><s/></a:o>`), uint8(1), uint8(1), false)
	f.Add([]byte(soap11), []byte(soap12), uint8(4), uint8(3), true)
	f.Add([]byte(`<r><p xmlns:q="u" q:a="1" b="2"/></r>`), []byte(`<q:r xmlns:q="v"/>`), uint8(1), uint8(0), false)
	f.Fuzz(func(t *testing.T, src, dst []byte, from, to uint8, clone bool) {
		a, err := Parse(src)
		if err != nil {
			return
		}
		b, err := Parse(dst)
		if err != nil {
			return
		}
		moved := nthElement(a, int(from))
		if clone {
			moved = moved.Clone()
		}
		nthElement(b, int(to)).AppendChild(moved)
		for _, n := range []*Node{b, moved} {
			out := n.String()
			c, err := ParseString(out)
			if err != nil {
				t.Fatalf("output does not re-parse: %v\n%s", err, out)
			}
			if n.Type == ElementNode {
				c = c.DocumentElement()
			}
			if !Equal(n, c) {
				t.Fatalf("expanded names changed\nout:  %s\nwant: %s\ngot:  %s", out, dump(n), dump(c))
			}
		}
	})
}

// nthElement returns the n-th element of doc in document order, wrapping.
func nthElement(doc *Node, n int) *Node {
	var all []*Node
	walk(doc, func(x *Node) {
		if x.Type == ElementNode {
			all = append(all, x)
		}
	})
	return all[n%len(all)]
}
