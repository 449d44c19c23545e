package xmltree

import (
	"strings"
	"unicode/utf8"
)

// Character data, attribute values, comments, processing instructions and
// CDATA sections. Each has a fast path that returns a substring of the
// input and falls back to building the value in p.buf only when a
// reference or a carriage return forces the text to differ from the input.

// validRune reports the size of the character at s[i] and whether it is a
// well-formed UTF-8 encoding of an XML Char.
func validRune(s string, i int) (int, bool) {
	r, size := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && size == 1 {
		return 1, false
	}
	return size, isChar(r)
}

func (p *parser) badChar(i int) error {
	r, size := utf8.DecodeRuneInString(p.s[i:])
	if r == utf8.RuneError && size == 1 {
		return p.errAt(i, "invalid UTF-8")
	}
	return p.errAt(i, "illegal character U+%04X", r)
}

// text reads character data up to the next '<'.
func (p *parser) text() error {
	s, start := p.s, p.pos
	if p.cur.Type == DocumentNode {
		i := start
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i < len(s) && s[i] != '<' {
			return p.errAt(i, "text is not allowed outside the root element")
		}
		p.pos = i
		return nil
	}
	i := start
	for i < len(s) {
		c := s[i]
		if textClass[c] == clsPlain {
			i++
			continue
		}
		switch {
		case c == '<':
			p.pos = i
			p.addText(s[start:i])
			return nil
		case c >= utf8.RuneSelf:
			size, ok := validRune(s, i)
			if !ok {
				return p.badChar(i)
			}
			i += size
		case c == ']':
			if strings.HasPrefix(s[i:], "]]>") {
				return p.errAt(i, "]]> is not allowed in text")
			}
			i++
		case c == '&' || c == '\r':
			return p.textSlow(start, i)
		default:
			return p.badChar(i)
		}
	}
	// An unclosed element; the caller reports it.
	p.pos = i
	p.addText(s[start:i])
	return nil
}

func (p *parser) addText(data string) {
	n := p.newNode(TextNode)
	n.Data = data
	link(p.cur, n)
}

// textSlow continues text at i, where a reference or CR was found, building
// the value in p.buf.
func (p *parser) textSlow(start, i int) error {
	s := p.s
	p.buf = append(p.buf[:0], s[start:i]...)
	for i < len(s) {
		j := i
		for j < len(s) && textClass[s[j]] == clsPlain {
			j++
		}
		p.buf = append(p.buf, s[i:j]...)
		if i = j; i >= len(s) {
			break
		}
		var err error
		switch c := s[i]; {
		case c == '<':
			p.pos = i
			p.addText(p.str(p.buf))
			return nil
		case c == '&':
			p.buf, i, err = p.reference(p.buf, i)
		case c == '\r':
			p.buf, i = append(p.buf, '\n'), skipLF(s, i+1)
		case c >= utf8.RuneSelf:
			size, ok := validRune(s, i)
			if !ok {
				return p.badChar(i)
			}
			p.buf, i = append(p.buf, s[i:i+size]...), i+size
		case c == ']':
			if strings.HasPrefix(s[i:], "]]>") {
				return p.errAt(i, "]]> is not allowed in text")
			}
			p.buf, i = append(p.buf, c), i+1
		default:
			err = p.badChar(i)
		}
		if err != nil {
			return err
		}
	}
	p.pos = i
	p.addText(p.str(p.buf))
	return nil
}

func skipLF(s string, i int) int {
	if i < len(s) && s[i] == '\n' {
		return i + 1
	}
	return i
}

// reference decodes the entity or character reference at s[i] ('&') and
// appends its replacement to buf.
func (p *parser) reference(buf []byte, i int) ([]byte, int, error) {
	s := p.s
	j := i + 1
	if j < len(s) && s[j] == '#' {
		j++
		hex := j < len(s) && s[j] == 'x'
		if hex {
			j++
		}
		k := j
		for k < len(s) && k-j < 32 && isHexDigit(s[k]) {
			k++
		}
		if k >= len(s) || s[k] != ';' {
			return buf, i, p.errAt(i, "malformed character reference")
		}
		r, ok := charRef(s[j:k], hex)
		if !ok {
			return buf, i, p.errAt(i, "invalid character reference %s", s[i:k+1])
		}
		return utf8.AppendRune(buf, r), k + 1, nil
	}
	k := j
	for k < len(s) && k-j < 64 && s[k] < utf8.RuneSelf && (nameCharASCII[s[k]] || s[k] == ':') {
		k++
	}
	if k >= len(s) || s[k] != ';' || k == j {
		return buf, i, p.errAt(i, "malformed entity reference")
	}
	c, ok := predefined(s[j:k])
	if !ok {
		return buf, i, p.errAt(i, "undefined entity %s", s[i:k+1])
	}
	return append(buf, c), k + 1, nil
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// attrValue reads a quoted attribute value at p.pos.
func (p *parser) attrValue() (string, error) {
	s := p.s
	if p.pos >= len(s) {
		return "", p.eof("start tag")
	}
	q := s[p.pos]
	if q != '"' && q != '\'' {
		return "", p.errAt(p.pos, "attribute value must be quoted")
	}
	start := p.pos + 1
	for i := start; i < len(s); {
		c := s[i]
		if attrClass[c] == clsPlain {
			i++
			continue
		}
		switch {
		case c == q:
			p.pos = i + 1
			return s[start:i], nil
		case c == '"' || c == '\'':
			i++
		case c >= utf8.RuneSelf:
			size, ok := validRune(s, i)
			if !ok {
				return "", p.badChar(i)
			}
			i += size
		case c == '<':
			return "", p.errAt(i, "< is not allowed in attribute values")
		case c == '&' || c == '\t' || c == '\n' || c == '\r':
			return p.attrSlow(start, i, q)
		default:
			return "", p.badChar(i)
		}
	}
	return "", p.eof("attribute value")
}

// attrSlow continues an attribute value at i, expanding references and
// normalising white space as XML 1.0 §3.3.3 requires for CDATA attributes.
func (p *parser) attrSlow(start, i int, q byte) (string, error) {
	s := p.s
	buf := append(p.buf[:0], s[start:i]...)
	for i < len(s) {
		c := s[i]
		var err error
		switch {
		case c == q:
			p.pos, p.buf = i+1, buf
			return p.str(buf), nil
		case attrClass[c] == clsPlain || c == '"' || c == '\'':
			buf, i = append(buf, c), i+1
		case c == '&':
			buf, i, err = p.reference(buf, i)
		case c == '\t' || c == '\n':
			buf, i = append(buf, ' '), i+1
		case c == '\r':
			buf, i = append(buf, ' '), skipLF(s, i+1)
		case c == '<':
			err = p.errAt(i, "< is not allowed in attribute values")
		case c >= utf8.RuneSelf:
			size, ok := validRune(s, i)
			if !ok {
				return "", p.badChar(i)
			}
			buf, i = append(buf, s[i:i+size]...), i+size
		default:
			err = p.badChar(i)
		}
		if err != nil {
			return "", err
		}
	}
	return "", p.eof("attribute value")
}

// rawText validates s[start:end] as a run of Chars in which no references
// are recognised and returns it with line ends normalised.
func (p *parser) rawText(start, end int) (string, error) {
	s := p.s
	cr := false
	for i := start; i < end; {
		c := s[i]
		if rawClass[c] == clsPlain {
			i++
			continue
		}
		switch {
		case c >= utf8.RuneSelf:
			size, ok := validRune(s, i)
			if !ok {
				return "", p.badChar(i)
			}
			i += size
		case c == '\r':
			cr = true
			i++
		default:
			return "", p.badChar(i)
		}
	}
	if !cr {
		return s[start:end], nil
	}
	return strings.ReplaceAll(strings.ReplaceAll(s[start:end], "\r\n", "\n"), "\r", "\n"), nil
}

func (p *parser) comment() error {
	start := p.pos + 4
	rel := strings.Index(p.s[start:], "--")
	if rel < 0 {
		return p.eof("comment")
	}
	end := start + rel
	if end+2 >= len(p.s) {
		return p.eof("comment")
	}
	if p.s[end+2] != '>' {
		return p.errAt(end, "-- is not allowed inside a comment")
	}
	data, err := p.rawText(start, end)
	if err != nil {
		return err
	}
	p.pos = end + 3
	n := p.newNode(CommentNode)
	n.Data = data
	link(p.cur, n)
	return nil
}

func (p *parser) procInst() error {
	start := p.pos
	p.pos += 2
	prefix, target, err := p.qname()
	if err != nil {
		return err
	}
	switch {
	case prefix != "":
		return p.errAt(start+2, "processing instruction target %s must not contain a colon", qname(prefix, target))
	case target == "xml":
		return p.errAt(start, "XML declaration is only allowed at the start of the document")
	case strings.EqualFold(target, "xml"):
		return p.errAt(start+2, "processing instruction target %q is reserved", target)
	}
	data := ""
	if strings.HasPrefix(p.s[p.pos:], "?>") {
		p.pos += 2
	} else {
		if !p.skipSpace() {
			if p.pos >= len(p.s) {
				return p.eof("processing instruction")
			}
			return p.errAt(p.pos, "expected white space or ?> after processing instruction target %s", target)
		}
		rel := strings.Index(p.s[p.pos:], "?>")
		if rel < 0 {
			return p.eof("processing instruction")
		}
		if data, err = p.rawText(p.pos, p.pos+rel); err != nil {
			return err
		}
		p.pos += rel + 2
	}
	n := p.newNode(ProcInstNode)
	n.Name.Local, n.Data = target, data
	link(p.cur, n)
	return nil
}

func (p *parser) cdata() error {
	start := p.pos + len("<![CDATA[")
	rel := strings.Index(p.s[start:], "]]>")
	if rel < 0 {
		return p.eof("CDATA section")
	}
	data, err := p.rawText(start, start+rel)
	if err != nil {
		return err
	}
	p.pos = start + rel + 3
	n := p.newNode(TextNode)
	n.Data, n.CDATA = data, true
	link(p.cur, n)
	return nil
}
