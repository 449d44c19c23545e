package xmltree

import (
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// AppendXML appends the serialisation of n to dst and returns the extended
// buffer. A DocumentNode is written as its children, without an XML
// declaration; an element as its subtree; a text node as escaped text.
//
// The output is namespace-correct whatever surgery the tree has been
// through: the writer tracks the bindings it has already written, writes
// each element's own declarations, and adds one wherever an element's or
// attribute's (Prefix, Space) is not in scope in the output. Where an
// element's own declaration contradicts its name, the name wins and the
// declaration is dropped; an attribute in a namespace but without a usable
// prefix gets one that is in scope or an invented nsN. Characters that XML
// cannot carry are written as U+FFFD, and comment or PI text that would end
// its markup early is altered, so the output always re-parses, provided
// that the names in the tree are valid XML names; they are written as they
// are.
func (n *Node) AppendXML(dst []byte) []byte {
	w := writerPool.Get().(*writer)
	w.buf = dst
	w.tree(n)
	dst = w.buf
	w.release()
	writerPool.Put(w)
	return dst
}

// String returns the serialisation of n as AppendXML writes it.
func (n *Node) String() string {
	return string(n.AppendXML(nil))
}

// WriteTo writes the serialisation of n to w.
func (n *Node) WriteTo(w io.Writer) (int64, error) {
	bp := bufPool.Get().(*[]byte)
	b := n.AppendXML((*bp)[:0])
	k, err := w.Write(b)
	if cap(b) <= 1<<20 {
		*bp = b
		bufPool.Put(bp)
	}
	return int64(k), err
}

var (
	bufPool    = sync.Pool{New: func() any { return new([]byte) }}
	writerPool = sync.Pool{New: func() any { return new(writer) }}
)

// skipAttr marks an attribute that must not be written; it cannot be a
// prefix because it is not a name.
const skipAttr = "\x00"

// writer is the state of one serialisation.
type writer struct {
	buf    []byte
	scope  nsScope
	marks  []int    // scope length at each open element
	names  []string // prefix chosen for each open element, for its end tag
	aPfx   []string // prefixes chosen for the current element's attributes
	pinned []string // prefixes the current element relies on from outer scope
	nextNS int
}

func (w *writer) release() {
	w.buf = nil
	w.scope.reset()
	w.marks = w.marks[:0]
	clear(w.names[:cap(w.names)])
	w.names = w.names[:0]
	clear(w.aPfx[:cap(w.aPfx)])
	w.aPfx = w.aPfx[:0]
	clear(w.pinned[:cap(w.pinned)])
	w.pinned = w.pinned[:0]
	w.nextNS = 0
}

// tree writes the subtree at root in document order without recursion, so
// that a tree built deeper than the parser's limit cannot exhaust the stack.
func (w *writer) tree(root *Node) {
	n := root
	for {
		if w.open(n) {
			n = n.FirstChild
			continue
		}
		for n != root && n.NextSibling == nil {
			n = n.Parent
			w.close(n)
		}
		if n == root {
			return
		}
		n = n.NextSibling
	}
}

// open writes n, or the start of n if it has children to descend into, and
// reports whether it does.
func (w *writer) open(n *Node) bool {
	switch n.Type {
	case DocumentNode:
		return n.FirstChild != nil
	case ElementNode:
		w.startTag(n)
		if n.FirstChild == nil {
			w.buf = append(w.buf, "/>"...)
			w.endScope()
			return false
		}
		w.buf = append(w.buf, '>')
		return true
	case TextNode:
		if n.CDATA && cdataSafe(n.Data) {
			w.cdata(n.Data)
		} else {
			w.buf = appendEscaped(w.buf, n.Data, &textEsc)
		}
	case CommentNode:
		w.buf = append(w.buf, "<!--"...)
		w.buf = appendRaw(w.buf, commentSafe(n.Data))
		w.buf = append(w.buf, "-->"...)
	case ProcInstNode:
		w.procInst(n)
	}
	return false
}

func (w *writer) close(n *Node) {
	if n.Type != ElementNode {
		return
	}
	w.buf = append(w.buf, "</"...)
	w.appendQName(w.names[len(w.names)-1], n.Name.Local)
	w.buf = append(w.buf, '>')
	w.endScope()
}

func (w *writer) endScope() {
	w.scope.pop(w.marks[len(w.marks)-1])
	w.marks = w.marks[:len(w.marks)-1]
	w.names[len(w.names)-1] = ""
	w.names = w.names[:len(w.names)-1]
}

func (w *writer) appendQName(prefix, local string) {
	if prefix != "" {
		w.buf = append(w.buf, prefix...)
		w.buf = append(w.buf, ':')
	}
	w.buf = append(w.buf, local...)
}

// startTag writes "<name decls attrs" for n and leaves its bindings in
// scope until endScope.
func (w *writer) startTag(n *Node) {
	mark := len(w.scope.b)
	w.marks = append(w.marks, mark)
	ep := w.elementPrefix(n, mark)
	w.names = append(w.names, ep)
	w.pinned = append(w.pinned[:0], ep)
	w.attrPrefixes(n, mark)

	w.buf = append(w.buf, '<')
	w.appendQName(ep, n.Name.Local)
	for _, b := range w.scope.b[mark:] {
		w.buf = append(w.buf, " xmlns"...)
		if b.prefix != "" {
			w.buf = append(w.buf, ':')
			w.buf = append(w.buf, b.prefix...)
		}
		w.buf = append(w.buf, `="`...)
		w.buf = appendEscaped(w.buf, b.uri, &attrEsc)
		w.buf = append(w.buf, '"')
	}
	for i, a := range n.Attrs {
		if w.aPfx[i] == skipAttr {
			continue
		}
		w.buf = append(w.buf, ' ')
		w.appendQName(w.aPfx[i], a.Name.Local)
		w.buf = append(w.buf, `="`...)
		w.buf = appendEscaped(w.buf, a.Value, &attrEsc)
		w.buf = append(w.buf, '"')
	}
}

// elementPrefix pushes n's own declarations and any the element's name
// needs, and returns the prefix to write the name with.
func (w *writer) elementPrefix(n *Node, mark int) string {
	sp, p := n.Name.Space, n.Name.Prefix
	usable := true
	switch {
	case sp == "":
		p = ""
	case sp == xmlURI:
		p = "xml"
	case p == "xml" || p == "xmlns":
		usable = false
	}
	var seen map[string]struct{} // large declaration lists only
	if len(n.NS) > dupScanLimit {
		seen = make(map[string]struct{}, len(n.NS))
	}
	for _, d := range n.NS {
		if !legalDecl(d) || usable && d.Prefix == p && d.URI != sp {
			continue
		}
		if seen != nil {
			if _, dup := seen[d.Prefix]; dup {
				continue
			}
			seen[d.Prefix] = struct{}{}
		} else if w.declaredHere(d.Prefix, mark) {
			continue
		}
		w.scope.push(d.Prefix, d.URI)
	}
	if !usable {
		if q, ok := w.findPrefix(sp, true); ok {
			return q
		}
		return w.invent(sp)
	}
	if p == "xml" {
		return p
	}
	if uri, _ := w.scope.lookup(p); uri != sp {
		w.scope.push(p, sp)
	}
	return p
}

// legalDecl reports whether a declaration may be written at all. The xml
// binding is implicit, so declaring it is skipped too.
func legalDecl(d NSDecl) bool {
	switch {
	case d.Prefix == "xml", d.Prefix == "xmlns", d.URI == xmlURI, d.URI == xmlnsURI:
		return false
	case d.Prefix != "" && d.URI == "":
		return false
	}
	return true
}

func (w *writer) declaredHere(prefix string, mark int) bool {
	for _, b := range w.scope.b[mark:] {
		if b.prefix == prefix {
			return true
		}
	}
	return false
}

// attrPrefixes fills w.aPfx with the prefix to write each attribute of n
// with, pushing declarations where needed, or skipAttr for attributes that
// would re-parse as namespace declarations or duplicates.
func (w *writer) attrPrefixes(n *Node, mark int) {
	w.aPfx = w.aPfx[:0]
	var seen map[[2]string]struct{}
	if len(n.Attrs) > dupScanLimit {
		seen = make(map[[2]string]struct{}, len(n.Attrs))
	}
	for i, a := range n.Attrs {
		var dup bool
		if seen != nil {
			k := [2]string{a.Name.Space, a.Name.Local}
			_, dup = seen[k]
			seen[k] = struct{}{}
		} else {
			dup = dupAttr(n.Attrs, i)
		}
		if dup || isNSAttr(a.Name) {
			w.aPfx = append(w.aPfx, skipAttr)
			continue
		}
		p := w.attrPrefix(a.Name, mark)
		w.aPfx = append(w.aPfx, p)
		w.pinned = append(w.pinned, p)
	}
}

// attrPrefix chooses the prefix for one attribute. A prefix that the
// element or an earlier attribute already relies on is never rebound here.
func (w *writer) attrPrefix(name Name, mark int) string {
	sp, p := name.Space, name.Prefix
	switch {
	case sp == "":
		return ""
	case sp == xmlURI:
		return "xml"
	}
	if p != "" && p != "xml" && p != "xmlns" {
		if uri, ok := w.scope.lookup(p); ok && uri == sp {
			return p
		}
		if !w.declaredHere(p, mark) && !slices.Contains(w.pinned, p) {
			w.scope.push(p, sp)
			return p
		}
	}
	if q, ok := w.findPrefix(sp, false); ok {
		return q
	}
	return w.invent(sp)
}

// isNSAttr reports whether an attribute name would be read back as a
// namespace declaration; such attributes belong in Node.NS.
func isNSAttr(n Name) bool {
	return n.Space == xmlnsURI || n.Prefix == "xmlns" || n.Space == "" && n.Local == "xmlns"
}

// dupAttr reports whether attrs[i] has the expanded name of an earlier one.
func dupAttr(attrs []Attr, i int) bool {
	for _, a := range attrs[:i] {
		if a.Name.Local == attrs[i].Name.Local && a.Name.Space == attrs[i].Name.Space {
			return true
		}
	}
	return false
}

// findPrefix returns an in-scope prefix bound to uri that no inner binding
// shadows; the default namespace qualifies only when allowDefault is set.
func (w *writer) findPrefix(uri string, allowDefault bool) (string, bool) {
	for i := len(w.scope.b) - 1; i >= 0; i-- {
		b := w.scope.b[i]
		if b.uri != uri || b.prefix == "" && !allowDefault {
			continue
		}
		if u, _ := w.scope.lookup(b.prefix); u == uri {
			return b.prefix, true
		}
	}
	return "", false
}

// invent binds uri to a fresh prefix nsN that nothing in scope uses.
func (w *writer) invent(uri string) string {
	for {
		w.nextNS++
		p := "ns" + strconv.Itoa(w.nextNS)
		if _, ok := w.scope.lookup(p); !ok {
			w.scope.push(p, uri)
			return p
		}
	}
}

func (w *writer) cdata(s string) {
	w.buf = append(w.buf, "<![CDATA["...)
	for {
		i := strings.Index(s, "]]>")
		if i < 0 {
			break
		}
		// Split between "]]" and ">" so neither section contains "]]>".
		w.buf = append(w.buf, s[:i+2]...)
		w.buf = append(w.buf, "]]><![CDATA["...)
		s = s[i+2:]
	}
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, "]]>"...)
}

func (w *writer) procInst(n *Node) {
	w.buf = append(w.buf, "<?"...)
	w.buf = append(w.buf, n.Name.Local...)
	if n.Data != "" {
		w.buf = append(w.buf, ' ')
		w.buf = appendRaw(w.buf, strings.ReplaceAll(n.Data, "?>", "? >"))
	}
	w.buf = append(w.buf, "?>"...)
}

// cdataSafe reports whether s can be written inside CDATA sections and read
// back unchanged: a CR would be normalised away, and characters outside the
// Char production cannot be written at all.
func cdataSafe(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if rawClass[c] == clsPlain {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			return false
		}
		size, ok := validRune(s, i)
		if !ok {
			return false
		}
		i += size
	}
	return true
}

// commentSafe alters comment text that would not survive as a comment:
// "--" may not occur in it, nor may it end with "-".
func commentSafe(s string) string {
	if !strings.Contains(s, "--") && !strings.HasSuffix(s, "-") {
		return s
	}
	s = strings.ReplaceAll(s, "--", "- -")
	s = strings.ReplaceAll(s, "--", "- -")
	if strings.HasSuffix(s, "-") {
		s += " "
	}
	return s
}

// Escape tables: zero means the byte is copied as is.
var textEsc, attrEsc = func() (t, a [256]byte) {
	for c := range 0x20 {
		t[c], a[c] = 1, 1
	}
	for c := 0x80; c < 0x100; c++ {
		t[c], a[c] = 1, 1
	}
	t['\t'], t['\n'] = 0, 0
	t['&'], t['<'], t['>'] = 1, 1, 1
	a['&'], a['<'], a['"'] = 1, 1, 1
	return t, a
}()

// appendEscaped appends s with markup characters, CR (and in attributes
// tab and LF) written as references, and characters XML cannot carry
// replaced by U+FFFD. Escaping every '>' in text also covers "]]>".
func appendEscaped(dst []byte, s string, esc *[256]byte) []byte {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if esc[c] == 0 {
			i++
			continue
		}
		var rep string
		size := 1
		switch c {
		case '&':
			rep = "&amp;"
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		case '"':
			rep = "&quot;"
		case '\t':
			rep = "&#x9;"
		case '\n':
			rep = "&#xA;"
		case '\r':
			rep = "&#xD;"
		default:
			if c >= utf8.RuneSelf {
				var ok bool
				if size, ok = validRune(s, i); ok {
					i += size
					continue
				}
			}
			rep = "\uFFFD"
		}
		dst = append(dst, s[last:i]...)
		dst = append(dst, rep...)
		i += size
		last = i
	}
	return append(dst, s[last:]...)
}

// appendRaw appends comment or PI text, replacing characters XML cannot
// carry by U+FFFD. A CR is kept: it re-parses as a line end.
func appendRaw(dst []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if rawClass[c] == clsPlain || c == '\r' {
			i++
			continue
		}
		size := 1
		if c >= utf8.RuneSelf {
			var ok bool
			if size, ok = validRune(s, i); ok {
				i += size
				continue
			}
		}
		dst = append(dst, s[last:i]...)
		dst = append(dst, "\uFFFD"...)
		i += size
		last = i
	}
	return append(dst, s[last:]...)
}
