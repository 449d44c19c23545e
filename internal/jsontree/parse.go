package jsontree

import (
	"bytes"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of arrays and objects Parse accepts. It
// bounds the work and stack an untrusted payload can demand; real payloads
// are rarely deeper than a few dozen levels.
const MaxDepth = 1000

// maxSlab bounds a slab of Values, so that input full of commas inside
// strings cannot make Parse allocate far more than the document needs.
const maxSlab = 4096

// SyntaxError describes why Parse rejected its input. Offset is the byte
// offset of the offending byte; Line and Col are 1-based, Col counting
// characters (not bytes) from the start of the line.
type SyntaxError struct {
	Offset, Line, Col int
	Msg               string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("jsontree: %s at line %d, column %d (offset %d)", e.Msg, e.Line, e.Col, e.Offset)
}

// Parse parses one JSON text (RFC 8259: any value, surrounded by optional
// whitespace) into a tree. Strings keep invalid UTF-8 bytes as they are and
// turn escaped lone surrogates into U+FFFD, as encoding/json does. The tree
// shares memory with one private copy of data, so data may be reused
// afterwards.
func Parse(data []byte) (*Value, error) {
	p := parser{s: string(data)}
	// Every value but the root follows '[', '{' or ',', so counting those
	// (a fast vectorised scan) sizes the first slab to fit most documents
	// exactly; strings containing them only make it a little larger.
	n := 1 + bytes.Count(data, []byte{','}) + bytes.Count(data, []byte{'['}) + bytes.Count(data, []byte{'{'})
	p.slabSize = min(n, maxSlab)
	root := p.alloc()
	p.skipSpace()
	if err := p.value(root); err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.i < len(p.s) {
		return nil, p.errorf("invalid character %s after top-level value", quoteByte(p.s[p.i]))
	}
	return root, nil
}

// parser keeps the input as a string so that unescaped strings and number
// literals become substrings of it, which costs no allocation, and takes
// Values from slabs so that a document costs a handful of allocations
// rather than one per node. Slab memory starts zeroed, so node fields are
// set one by one rather than by struct assignment, which would also store
// the nil slices and cost write barriers while the collector runs.
type parser struct {
	s        string
	i        int
	depth    int
	slab     []Value
	slabSize int
	elems    []*Value
	members  []Member
	buf      []byte
}

func (p *parser) alloc() *Value {
	if len(p.slab) == cap(p.slab) {
		p.slab = make([]Value, 0, p.slabSize)
		p.slabSize = maxSlab
	}
	p.slab = p.slab[:len(p.slab)+1]
	return &p.slab[len(p.slab)-1]
}

func (p *parser) skipSpace() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) value(v *Value) error {
	if p.i >= len(p.s) {
		return p.errorf("unexpected end of input looking for a value")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object(v)
	case c == '[':
		return p.array(v)
	case c == '"':
		s, err := p.str()
		v.Kind, v.Str = String, s
		return err
	case c == 't':
		v.Kind, v.Bool = Bool, true
		return p.literal("true")
	case c == 'f':
		v.Kind = Bool
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return p.number(v)
	default:
		return p.errorf("invalid character %s looking for beginning of value", quoteByte(c))
	}
}

func (p *parser) literal(word string) error {
	for k := 0; k < len(word); k++ {
		if p.i >= len(p.s) {
			return p.errorf("unexpected end of input in literal %s", word)
		}
		if p.s[p.i] != word[k] {
			return p.errorf("invalid character %s in literal %s", quoteByte(p.s[p.i]), word)
		}
		p.i++
	}
	return nil
}

func (p *parser) number(v *Value) error {
	start := p.i
	end, ok := scanNumber(p.s, start)
	p.i = end
	if !ok {
		if end >= len(p.s) {
			return p.errorf("unexpected end of input in number")
		}
		return p.errorf("invalid character %s in number", quoteByte(p.s[end]))
	}
	v.Kind, v.Str = Number, p.s[start:end]
	return nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > MaxDepth {
		return p.errorf("nesting deeper than %d levels", MaxDepth)
	}
	p.i++
	p.skipSpace()
	return nil
}

func (p *parser) array(v *Value) error {
	if err := p.enter(); err != nil {
		return err
	}
	v.Kind = Array
	base := len(p.elems)
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		p.depth--
		return nil
	}
	for {
		e := p.alloc()
		if err := p.value(e); err != nil {
			return err
		}
		p.elems = append(p.elems, e)
		p.skipSpace()
		if p.i >= len(p.s) {
			return p.errorf("unexpected end of input in array")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
			p.skipSpace()
			continue
		case ']':
			p.i++
		default:
			return p.errorf("invalid character %s after array element", quoteByte(p.s[p.i]))
		}
		break
	}
	v.Arr = make([]*Value, len(p.elems)-base)
	copy(v.Arr, p.elems[base:])
	p.elems = p.elems[:base] // stale pointers die with the parser
	p.depth--
	return nil
}

func (p *parser) object(v *Value) error {
	if err := p.enter(); err != nil {
		return err
	}
	v.Kind = Object
	base := len(p.members)
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		p.depth--
		return nil
	}
	for {
		if p.i >= len(p.s) {
			return p.errorf("unexpected end of input looking for object key")
		}
		if p.s[p.i] != '"' {
			return p.errorf("invalid character %s looking for beginning of object key string", quoteByte(p.s[p.i]))
		}
		key, err := p.str()
		if err != nil {
			return err
		}
		p.skipSpace()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			if p.i >= len(p.s) {
				return p.errorf("unexpected end of input after object key")
			}
			return p.errorf("invalid character %s after object key", quoteByte(p.s[p.i]))
		}
		p.i++
		p.skipSpace()
		e := p.alloc()
		if err := p.value(e); err != nil {
			return err
		}
		p.members = append(p.members, Member{Key: key, Value: e})
		p.skipSpace()
		if p.i >= len(p.s) {
			return p.errorf("unexpected end of input in object")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
			p.skipSpace()
			continue
		case '}':
			p.i++
		default:
			return p.errorf("invalid character %s after object key:value pair", quoteByte(p.s[p.i]))
		}
		break
	}
	v.Obj = make([]Member, len(p.members)-base)
	copy(v.Obj, p.members[base:])
	p.members = p.members[:base]
	p.depth--
	return nil
}

// str reads a string starting at its opening quote. The common case, no
// escapes, returns a substring of the input.
func (p *parser) str() (string, error) {
	p.i++
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return p.s[start : p.i-1], nil
		case c == '\\':
			return p.strSlow(start)
		case c < 0x20:
			return "", p.errorf("invalid character %s in string literal", quoteByte(c))
		}
		p.i++
	}
	return "", p.errorf("unexpected end of input in string literal")
}

func (p *parser) strSlow(start int) (string, error) {
	b := append(p.buf[:0], p.s[start:p.i]...)
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			p.buf = b
			return string(b), nil
		case c < 0x20:
			return "", p.errorf("invalid character %s in string literal", quoteByte(c))
		case c != '\\':
			b = append(b, c)
			p.i++
			continue
		}
		p.i++
		if p.i >= len(p.s) {
			break
		}
		e := p.s[p.i]
		p.i++
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, err := p.unicodeEscape()
			if err != nil {
				return "", err
			}
			b = utf8.AppendRune(b, r)
		default:
			p.i--
			return "", p.errorf("invalid character %s in string escape code", quoteByte(e))
		}
	}
	return "", p.errorf("unexpected end of input in string literal")
}

// unicodeEscape reads the hex digits after \u, combining a surrogate pair
// when one follows and giving U+FFFD for a lone surrogate.
func (p *parser) unicodeEscape() (rune, error) {
	r, err := p.hex4()
	if err != nil {
		return 0, err
	}
	if !utf16.IsSurrogate(r) {
		return r, nil
	}
	if r < 0xDC00 && p.i+1 < len(p.s) && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
		save := p.i
		p.i += 2
		r2, err := p.hex4()
		if err != nil {
			return 0, err
		}
		if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
			return d, nil
		}
		p.i = save
	}
	return utf8.RuneError, nil
}

func (p *parser) hex4() (rune, error) {
	var r rune
	for k := 0; k < 4; k++ {
		if p.i >= len(p.s) {
			return 0, p.errorf("unexpected end of input in \\u escape")
		}
		c := p.s[p.i]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, p.errorf("invalid character %s in \\u hexadecimal character escape", quoteByte(c))
		}
		r = r<<4 | rune(d)
		p.i++
	}
	return r, nil
}

func (p *parser) errorf(format string, args ...any) error {
	off := min(p.i, len(p.s))
	line, col := 1, 1
	lineStart := 0
	for k := 0; k < off; k++ {
		if p.s[k] == '\n' {
			line++
			lineStart = k + 1
		}
	}
	col += utf8.RuneCountInString(p.s[lineStart:off])
	return &SyntaxError{Offset: off, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

func quoteByte(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	return fmt.Sprintf("%q", rune(c))
}
