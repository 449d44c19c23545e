package xmltree

import (
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"
)

// DefaultMaxDepth is the element nesting depth that Parse accepts. Real
// messages nest a few dozen levels; the limit keeps recursive consumers of
// the tree (XPath evaluation, mediators) safe from hostile input.
const DefaultMaxDepth = 1024

// Options tunes a parse. The zero value behaves like Parse.
type Options struct {
	// MaxDepth is the deepest element nesting accepted; zero or less means
	// DefaultMaxDepth.
	MaxDepth int
}

// SyntaxError reports malformed or rejected input. Line and Col are
// 1-based; Col counts characters, not bytes, and a CR LF pair ends one line.
type SyntaxError struct {
	Line, Col int
	Msg       string
}

// Error formats the error as "xml: line L, column C: message".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("xml: line %d, column %d: %s", e.Line, e.Col, e.Msg)
}

// Parse parses an XML document into a tree whose root is a DocumentNode.
//
// The input is copied once into a string, and names, URIs and text without
// references are substrings of that copy, so data may be reused or
// modified as soon as Parse returns; the price is that any string taken
// from the tree keeps the whole copy alive. Aliasing data with unsafe.String
// instead would save only that copy, one allocation and a memmove that
// BenchmarkParseString shows to be within run-to-run noise, while making
// every caller promise never to touch the buffer again, which a pooled
// HTTP body buffer cannot promise.
//
// Document type declarations are rejected, so no entity expansion or
// external resource access can happen, and nesting deeper than
// DefaultMaxDepth is refused. Whitespace outside the root element is
// dropped; whitespace inside it is kept as text nodes. Text, CDATA
// sections, comments and processing instructions are separate nodes even
// when adjacent. Errors are *SyntaxError.
//
// The tree may be read by several goroutines at once, but edits must not
// run concurrently with anything else on the same tree.
func Parse(data []byte) (*Node, error) {
	return Options{}.ParseString(string(data))
}

// ParseString is Parse for input that is already a string; it avoids the
// copy.
func ParseString(s string) (*Node, error) {
	return Options{}.ParseString(s)
}

// ParseElement parses a document and returns its root element, detached
// from the document node so that it can be inserted elsewhere. Comments and
// processing instructions outside the root element are dropped.
func ParseElement(data []byte) (*Node, error) {
	doc, err := Parse(data)
	if err != nil {
		return nil, err
	}
	root := doc.DocumentElement()
	root.Remove()
	return root, nil
}

// Parse is the package-level Parse with these options.
func (o Options) Parse(data []byte) (*Node, error) {
	return o.ParseString(string(data))
}

// ParseString is the package-level ParseString with these options.
func (o Options) ParseString(s string) (*Node, error) {
	p := parserPool.Get().(*parser)
	p.init(s, o)
	doc, err := p.document()
	p.release()
	parserPool.Put(p)
	return doc, err
}

var parserPool = sync.Pool{New: func() any { return new(parser) }}

// openElem is an element whose end tag has not been seen yet.
type openElem struct {
	n    *Node
	mark int // scope length before the element's declarations
}

// rawAttr is an attribute as written, before namespace processing.
type rawAttr struct {
	prefix, local, value string
	pos                  int
}

// parser holds the state of one parse. The slabs are handed over to the
// tree; the scratch stacks are kept across parses through parserPool.
type parser struct {
	s        string
	pos      int
	maxDepth int
	cur      *Node // node that new children are appended to
	root     *Node // document element, once seen

	nodes            []Node
	attrs            []Attr
	decls            []NSDecl
	nodeHint         int
	nodeNext         int
	attrHint, nsHint int
	scope            nsScope
	open             []openElem
	raw              []rawAttr
	buf              []byte // scratch for values that differ from the input
	arena            []byte // append-only store for such values; see str
	arenaNext        int
	asciiOnly        bool
}

func (p *parser) init(s string, o Options) {
	p.s, p.pos, p.maxDepth, p.asciiOnly = s, 0, o.MaxDepth, false
	if p.maxDepth <= 0 {
		p.maxDepth = DefaultMaxDepth
	}
	// Messages have about one node per '<' (a start tag and its text, an
	// end tag and the white space after it); the margin covers indented
	// documents whose leaves hold text. Later chunks are a quarter of the
	// estimate. The cap keeps a hostile run of '<' from reserving memory
	// up front.
	lt := strings.Count(s, "<")
	p.nodeHint = min(lt+lt/8+4, maxChunk)
	p.nodeNext = min(max(lt/4, 64), maxChunk)
	p.attrHint, p.nsHint = 16, 4
	p.arena, p.arenaNext = nil, min(max(len(s)/16, 256), 32<<10)
}

// maxChunk is the most nodes the parser allocates at once.
const maxChunk = 8192

func (p *parser) release() {
	p.s, p.cur, p.root = "", nil, nil
	p.nodes, p.attrs, p.decls, p.arena = nil, nil, nil, nil
	p.scope.reset()
	clear(p.open[:cap(p.open)])
	p.open = p.open[:0]
	clear(p.raw[:cap(p.raw)])
	p.raw = p.raw[:0]
	if cap(p.buf) > 64<<10 {
		p.buf = nil
	}
}

func (p *parser) errAt(off int, format string, args ...any) error {
	line, col := position(p.s, off)
	return &SyntaxError{Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

// position converts a byte offset into a line and a column in characters.
func position(s string, off int) (line, col int) {
	off = min(off, len(s))
	line, start := 1, 0
	for i := 0; i < off; i++ {
		switch s[i] {
		case '\n':
			line, start = line+1, i+1
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				continue
			}
			line, start = line+1, i+1
		}
	}
	return line, utf8.RuneCountInString(s[start:off]) + 1
}

func (p *parser) eof(what string) error {
	return p.errAt(len(p.s), "unexpected end of input in %s", what)
}

func (p *parser) newNode(t NodeType) *Node {
	if len(p.nodes) == cap(p.nodes) {
		p.nodes = make([]Node, 0, p.nodeHint)
		p.nodeHint = p.nodeNext
	}
	p.nodes = p.nodes[:len(p.nodes)+1]
	n := &p.nodes[len(p.nodes)-1]
	n.Type = t
	return n
}

// take carves n elements out of a slab. The result's capacity equals its
// length so that appending to one element's slice can never overwrite a
// neighbour's.
func take[T any](slab *[]T, n int, hint *int) []T {
	if cap(*slab)-len(*slab) < n {
		*slab = make([]T, 0, max(n, *hint))
		*hint = min(*hint*2, 1024)
	}
	l := len(*slab)
	*slab = (*slab)[:l+n]
	return (*slab)[l : l+n : l+n]
}

// str returns a string holding b, which is usually p.buf. Rather than
// allocate each decoded value separately, it appends the value to an arena
// and returns a string aliasing it. That is safe because an arena's bytes
// are never written again once appended: when one is full the parser starts
// a new one instead of growing it, and it never reuses one across parses.
func (p *parser) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if cap(p.arena)-len(p.arena) < len(b) {
		if len(b) > p.arenaNext/4 {
			return string(b)
		}
		p.arena = make([]byte, 0, p.arenaNext)
	}
	l := len(p.arena)
	p.arena = append(p.arena, b...)
	return unsafe.String(&p.arena[l], len(b))
}

func link(parent, c *Node) {
	c.Parent = parent
	if parent.LastChild == nil {
		parent.FirstChild = c
	} else {
		c.PrevSibling = parent.LastChild
		parent.LastChild.NextSibling = c
	}
	parent.LastChild = c
}

// document is the top-level loop: it dispatches on the markup at p.pos
// until the input is exhausted.
func (p *parser) document() (*Node, error) {
	doc := p.newNode(DocumentNode)
	p.cur = doc
	if err := p.prolog(); err != nil {
		return nil, err
	}
	for p.pos < len(p.s) {
		var err error
		if p.s[p.pos] != '<' {
			err = p.text()
		} else {
			err = p.markup()
		}
		if err != nil {
			return nil, err
		}
	}
	if len(p.open) > 0 {
		n := p.open[len(p.open)-1].n
		return nil, p.errAt(len(p.s), "unexpected end of input: element <%s> is not closed", qname(n.Name.Prefix, n.Name.Local))
	}
	if p.root == nil {
		return nil, p.errAt(len(p.s), "no root element")
	}
	return doc, nil
}

func (p *parser) markup() error {
	if p.pos+1 >= len(p.s) {
		return p.eof("markup")
	}
	switch p.s[p.pos+1] {
	case '/':
		return p.endTag()
	case '?':
		return p.procInst()
	case '!':
		return p.bang()
	}
	if p.cur.Type == DocumentNode && p.root != nil {
		return p.errAt(p.pos, "more than one root element")
	}
	return p.startTag()
}

func (p *parser) bang() error {
	rest := p.s[p.pos:]
	switch {
	case strings.HasPrefix(rest, "<!--"):
		return p.comment()
	case strings.HasPrefix(rest, "<![CDATA["):
		if p.cur.Type == DocumentNode {
			return p.errAt(p.pos, "CDATA section outside the root element")
		}
		return p.cdata()
	case strings.HasPrefix(rest, "<!DOCTYPE"):
		return p.errAt(p.pos, "DOCTYPE is not allowed")
	}
	return p.errAt(p.pos, "invalid markup: expected a comment or CDATA section after <!")
}

// prolog skips a byte order mark and reads the XML declaration, if any.
func (p *parser) prolog() error {
	s := p.s
	switch {
	case strings.HasPrefix(s, "\xEF\xBB\xBF"):
		p.pos = 3
	case strings.HasPrefix(s, "\xFE\xFF"), strings.HasPrefix(s, "\xFF\xFE"):
		return p.errAt(0, "UTF-16 input is not supported")
	}
	if strings.HasPrefix(s[p.pos:], "<?xml") && len(s) > p.pos+5 && isSpace(s[p.pos+5]) {
		return p.xmlDecl()
	}
	return nil
}

// xmlDecl reads <?xml version="1.0" encoding="..." standalone="..."?>.
func (p *parser) xmlDecl() error {
	p.pos += 5
	names := [...]string{"version", "encoding", "standalone"}
	next := 0
	for {
		ws := p.skipSpace()
		if strings.HasPrefix(p.s[p.pos:], "?>") {
			p.pos += 2
			break
		}
		if p.pos >= len(p.s) {
			return p.eof("XML declaration")
		}
		start := p.pos
		name := p.declName()
		i := next
		for i < len(names) && names[i] != name {
			i++
		}
		if !ws || i == len(names) || next == 0 && i != 0 {
			return p.errAt(start, "malformed XML declaration")
		}
		next = i + 1
		value, err := p.declValue()
		if err != nil {
			return err
		}
		if err := p.checkDecl(name, value, start); err != nil {
			return err
		}
	}
	if next == 0 {
		return p.errAt(p.pos, "XML declaration without version")
	}
	if !p.asciiOnly {
		return nil
	}
	for i := p.pos; i < len(p.s); i++ {
		if p.s[i] >= utf8.RuneSelf {
			return p.errAt(i, "non-ASCII character in a document declared US-ASCII")
		}
	}
	return nil
}

func (p *parser) checkDecl(name, value string, at int) error {
	switch name {
	case "version":
		if value != "1.0" {
			return p.errAt(at, "unsupported XML version %q", value)
		}
	case "encoding":
		switch {
		case strings.EqualFold(value, "UTF-8"):
		case strings.EqualFold(value, "US-ASCII"):
			p.asciiOnly = true
		default:
			return p.errAt(at, "unsupported encoding %q: only UTF-8 and US-ASCII are accepted", value)
		}
	case "standalone":
		if value != "yes" && value != "no" {
			return p.errAt(at, "invalid standalone value %q", value)
		}
	}
	return nil
}

func (p *parser) declName() string {
	start := p.pos
	for p.pos < len(p.s) && p.s[p.pos] >= 'a' && p.s[p.pos] <= 'z' {
		p.pos++
	}
	return p.s[start:p.pos]
}

func (p *parser) declValue() (string, error) {
	p.skipSpace()
	if p.pos >= len(p.s) || p.s[p.pos] != '=' {
		return "", p.errAt(p.pos, "malformed XML declaration: expected =")
	}
	p.pos++
	p.skipSpace()
	if p.pos >= len(p.s) {
		return "", p.eof("XML declaration")
	}
	q := p.s[p.pos]
	if q != '"' && q != '\'' {
		return "", p.errAt(p.pos, "malformed XML declaration: value must be quoted")
	}
	end := strings.IndexByte(p.s[p.pos+1:], q)
	if end < 0 {
		return "", p.eof("XML declaration")
	}
	v := p.s[p.pos+1 : p.pos+1+end]
	p.pos += end + 2
	return v, nil
}

func (p *parser) skipSpace() bool {
	start := p.pos
	for p.pos < len(p.s) && isSpace(p.s[p.pos]) {
		p.pos++
	}
	return p.pos > start
}

// qname reads a QName at p.pos: a Name with at most one colon, not first
// or last, and both parts NCNames.
func (p *parser) qname() (prefix, local string, err error) {
	// Fast path: ASCII names with at most one colon, ended by an ASCII
	// byte, which is what nearly every message uses.
	s, start := p.s, p.pos
	i := start
	if i < len(s) && nameByte[s[i]]&nameStartBit != 0 {
		i++
		for i < len(s) && nameByte[s[i]]&nameCharBit != 0 {
			i++
		}
		colon := -1
		if i+1 < len(s) && s[i] == ':' && nameByte[s[i+1]]&nameStartBit != 0 {
			colon = i
			for i += 2; i < len(s) && nameByte[s[i]]&nameCharBit != 0; i++ {
			}
		}
		if i < len(s) && s[i] < utf8.RuneSelf && s[i] != ':' {
			p.pos = i
			if colon < 0 {
				return "", s[start:i], nil
			}
			return s[start:colon], s[colon+1 : i], nil
		}
	}
	return p.qnameSlow()
}

func (p *parser) qnameSlow() (prefix, local string, err error) {
	s, start := p.s, p.pos
	i := p.nameStart(start)
	if i == start {
		if start >= len(s) {
			return "", "", p.eof("name")
		}
		if r, _ := decodeRune(s[start:]); r < 0 {
			return "", "", p.badChar(start)
		}
		return "", "", p.errAt(start, "invalid name start character %q", p.charAt(start))
	}
	colon := -1
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if nameCharASCII[c] {
				i++
				continue
			}
			if c != ':' {
				break
			}
			if colon >= 0 {
				return "", "", p.errAt(start, "name %q has more than one colon", p.nameAt(start))
			}
			colon = i
			if j := p.nameStart(i + 1); j > i+1 {
				i = j
				continue
			}
			return "", "", p.errAt(start, "invalid qualified name %q", p.nameAt(start))
		}
		r, size := decodeRune(s[i:])
		if !isNameRune(r) {
			break
		}
		i += size
	}
	p.pos = i
	if colon < 0 {
		return "", s[start:i], nil
	}
	return s[start:colon], s[colon+1 : i], nil
}

// nameStart returns the offset after a NameStartChar (other than ':') at
// i, or i if there is none.
func (p *parser) nameStart(i int) int {
	if i >= len(p.s) {
		return i
	}
	if c := p.s[i]; c < utf8.RuneSelf {
		if nameStartASCII[c] {
			return i + 1
		}
		return i
	}
	r, size := decodeRune(p.s[i:])
	if isNameStartRune(r) {
		return i + size
	}
	return i
}

func (p *parser) charAt(i int) string {
	r, _ := utf8.DecodeRuneInString(p.s[i:])
	return string(r)
}

// nameAt returns the run of name-like characters at i, for error messages.
func (p *parser) nameAt(i int) string {
	j := i
	for j < len(p.s) && j-i < 64 {
		c := p.s[j]
		if c < utf8.RuneSelf && !nameCharASCII[c] && c != ':' {
			break
		}
		j++
	}
	return strings.ToValidUTF8(p.s[i:j], "\uFFFD")
}

func qname(prefix, local string) string {
	if prefix == "" {
		return local
	}
	return prefix + ":" + local
}
