package xpath

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokKind uint8

const (
	tEOF tokKind = iota
	tLParen
	tRParen
	tLBracket
	tRBracket
	tDot
	tDotDot
	tAt
	tComma
	tColonColon
	tSlash
	tSlashSlash
	tPipe
	tPlus
	tMinus
	tEq
	tNeq
	tLt
	tLe
	tGt
	tGe
	tMul
	tAnd
	tOr
	tMod
	tDiv
	tNameTest // prefix and local; local is "*" for * and prefix:*
	tNodeType // local: comment, text, processing-instruction or node
	tFuncName // prefix and local
	tAxisName // local
	tLiteral  // local holds the text between the quotes
	tNumber   // num
	tVar      // prefix and local
)

// isOperator reports whether k is an Operator in the sense of the REC's
// lexical disambiguation rules.
func (k tokKind) isOperator() bool { return k >= tSlash && k <= tDiv }

type token struct {
	kind     tokKind
	pos, end int // byte offsets in the source
	prefix   string
	local    string
	num      float64
}

var punct = [256]tokKind{
	'(': tLParen, ')': tRParen, '[': tLBracket, ']': tRBracket, '@': tAt,
	',': tComma, '|': tPipe, '+': tPlus, '-': tMinus, '=': tEq,
}

// lexer splits an expression into tokens, applying the disambiguation rules
// of XPath 1.0 section 3.7, which need only the preceding token.
type lexer struct {
	src  string
	i    int
	toks []token
}

func lex(src string) ([]token, error) {
	l := &lexer{src: src, toks: make([]token, 0, len(src)/3+2)}
	for {
		l.i = skipSpace(src, l.i)
		if l.i >= len(src) {
			l.toks = append(l.toks, token{kind: tEOF, pos: len(src), end: len(src)})
			return l.toks, nil
		}
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		t.end = l.i
		l.toks = append(l.toks, t)
	}
}

func (l *lexer) errorf(pos int, msg string) error {
	return &SyntaxError{Offset: pos, Msg: msg, Src: l.src}
}

// operatorExpected reports whether the REC's first disambiguation rule
// applies: there is a preceding token and it is not one of @ :: ( [ , or an
// Operator, so * is multiplication and a name must be an operator name.
func (l *lexer) operatorExpected() bool {
	if len(l.toks) == 0 {
		return false
	}
	switch k := l.toks[len(l.toks)-1].kind; k {
	case tAt, tColonColon, tLParen, tLBracket, tComma:
		return false
	default:
		return !k.isOperator()
	}
}

func (l *lexer) peekByte(off int) byte {
	if l.i+off < len(l.src) {
		return l.src[l.i+off]
	}
	return 0
}

func (l *lexer) next() (token, error) {
	start := l.i
	t := token{pos: start}
	c := l.src[start]
	if k := punct[c]; k != tEOF {
		t.kind = k
		l.i++
		return t, nil
	}
	switch {
	case c == '!':
		if l.peekByte(1) != '=' {
			return t, l.errorf(start, `expected "!="`)
		}
		t.kind, l.i = tNeq, start+2
	case c == '<' || c == '>':
		t.kind = tGt
		if c == '<' {
			t.kind = tLt
		}
		l.i++
		if l.peekByte(0) == '=' {
			t.kind++
			l.i++
		}
	case c == '/':
		t.kind, l.i = tSlash, start+1
		if l.peekByte(0) == '/' {
			t.kind, l.i = tSlashSlash, start+2
		}
	case c == ':':
		if l.peekByte(1) != ':' {
			return t, l.errorf(start, `unexpected ":"`)
		}
		t.kind, l.i = tColonColon, start+2
	case c == '.' && l.peekByte(1) == '.':
		t.kind, l.i = tDotDot, start+2
	case c == '.' && !isDigit(l.peekByte(1)):
		t.kind, l.i = tDot, start+1
	case c == '.' || isDigit(c):
		return l.number(t)
	case c == '"' || c == '\'':
		end := strings.IndexByte(l.src[start+1:], c)
		if end < 0 {
			return t, l.errorf(start, "unterminated string literal")
		}
		t.kind, t.local, l.i = tLiteral, l.src[start+1:start+1+end], start+end+2
	case c == '$':
		l.i++
		prefix, local, ok := l.qname()
		if !ok || local == "*" {
			return t, l.errorf(start, `expected a variable name after "$"`)
		}
		t.kind, t.prefix, t.local = tVar, prefix, local
	case c == '*':
		l.i++
		if l.operatorExpected() {
			t.kind = tMul
		} else {
			t.kind, t.local = tNameTest, "*"
		}
	default:
		return l.name(t)
	}
	return t, nil
}

func (l *lexer) number(t token) (token, error) {
	j := l.i
	for j < len(l.src) && isDigit(l.src[j]) {
		j++
	}
	if j < len(l.src) && l.src[j] == '.' {
		j++
		for j < len(l.src) && isDigit(l.src[j]) {
			j++
		}
	}
	// The text is digits with at most one point, so only a range error is
	// possible, and then ParseFloat returns the right infinity.
	t.num, _ = strconv.ParseFloat(l.src[l.i:j], 64)
	t.kind, l.i = tNumber, j
	return t, nil
}

// name lexes a token that starts with a name: an operator name, a name test,
// a node type, a function name or an axis name.
func (l *lexer) name(t token) (token, error) {
	start := l.i
	if r, size := utf8.DecodeRuneInString(l.src[start:]); !isNameStart(r) || size == 1 && r == utf8.RuneError {
		if size == 1 && r == utf8.RuneError {
			return t, l.errorf(start, "invalid UTF-8")
		}
		return t, l.errorf(start, "invalid character "+strconv.QuoteRune(r))
	}
	if l.operatorExpected() {
		local := l.ncname()
		switch local {
		case "and":
			t.kind = tAnd
		case "or":
			t.kind = tOr
		case "mod":
			t.kind = tMod
		case "div":
			t.kind = tDiv
		default:
			return t, l.errorf(start, "expected an operator, found "+strconv.Quote(local))
		}
		return t, nil
	}
	prefix, local, ok := l.qname()
	if !ok {
		return t, l.errorf(start, "invalid name "+strconv.Quote(l.src[start:l.i]))
	}
	t.prefix, t.local, t.kind = prefix, local, tNameTest
	if local == "*" {
		return t, nil
	}
	j := skipSpace(l.src, l.i)
	switch {
	case j < len(l.src) && l.src[j] == '(':
		t.kind = tFuncName
		if prefix == "" && isNodeType(local) {
			t.kind = tNodeType
		}
	case prefix == "" && strings.HasPrefix(l.src[j:], "::"):
		t.kind = tAxisName
	}
	return t, nil
}

func isNodeType(s string) bool {
	switch s {
	case "comment", "text", "processing-instruction", "node":
		return true
	}
	return false
}

// qname lexes NCName, NCName:NCName or NCName:*. A colon followed by another
// colon is an axis separator, not part of the name.
func (l *lexer) qname() (prefix, local string, ok bool) {
	local = l.ncname()
	if local == "" {
		return "", "", false
	}
	if l.peekByte(0) != ':' || l.peekByte(1) == ':' {
		return "", local, true
	}
	l.i++
	if l.peekByte(0) == '*' {
		l.i++
		return local, "*", true
	}
	prefix, local = local, l.ncname()
	return prefix, local, local != ""
}

// ncname lexes an NCName at the current position, returning "" if there is
// none.
func (l *lexer) ncname() string {
	start := l.i
	for l.i < len(l.src) {
		r, size := rune(l.src[l.i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(l.src[l.i:])
		}
		if size == 1 && r == utf8.RuneError || l.i == start && !isNameStart(r) || l.i > start && !isNameChar(r) {
			break
		}
		l.i += size
	}
	return l.src[start:l.i]
}

func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

// isNameStart reports whether r may start an NCName (XML 1.0 fifth edition,
// without the colon).
func isNameStart(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || r == '_'
	}
	return 0xC0 <= r && r <= 0xD6 || 0xD8 <= r && r <= 0xF6 || 0xF8 <= r && r <= 0x2FF ||
		0x370 <= r && r <= 0x37D || 0x37F <= r && r <= 0x1FFF || 0x200C <= r && r <= 0x200D ||
		0x2070 <= r && r <= 0x218F || 0x2C00 <= r && r <= 0x2FEF || 0x3001 <= r && r <= 0xD7FF ||
		0xF900 <= r && r <= 0xFDCF || 0xFDF0 <= r && r <= 0xFFFD || 0x10000 <= r && r <= 0xEFFFF
}

// isNameChar reports whether r may continue an NCName.
func isNameChar(r rune) bool {
	switch {
	case r < utf8.RuneSelf:
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || r == '_' ||
			'0' <= r && r <= '9' || r == '-' || r == '.'
	case isNameStart(r):
		return true
	}
	return r == 0xB7 || 0x300 <= r && r <= 0x36F || 0x203F <= r && r <= 0x2040
}
