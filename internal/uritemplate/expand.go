package uritemplate

import (
	"fmt"
	"strings"
)

// Expansion is a parsed RFC 6570 template for expansion (an http endpoint's
// uri-template), e.g. "http://host/orders/{uri.var.id}{?query.param.q}".
type Expansion struct {
	src   string
	parts []expPart
}

type expPart struct {
	lit  string
	op   byte // 0 for simple, or one of + # . / ; ? &
	vars []expVar
}

type expVar struct {
	name    string
	prefix  int
	explode bool
}

// ParseExpansion parses an RFC 6570 template (levels 1-4; explode applies to
// single values only, since message properties are strings).
func ParseExpansion(src string) (*Expansion, error) {
	e := &Expansion{src: src}
	s := src
	for len(s) > 0 {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			e.parts = append(e.parts, expPart{lit: s})
			break
		}
		if i > 0 {
			e.parts = append(e.parts, expPart{lit: s[:i]})
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("uri-template %q: unclosed '{'", src)
		}
		p, err := parseExpr(s[i+1 : i+j])
		if err != nil {
			return nil, fmt.Errorf("uri-template %q: %w", src, err)
		}
		e.parts = append(e.parts, p)
		s = s[i+j+1:]
	}
	return e, nil
}

func parseExpr(x string) (expPart, error) {
	var p expPart
	if x != "" && strings.IndexByte("+#./;?&", x[0]) >= 0 {
		p.op, x = x[0], x[1:]
	}
	for _, v := range strings.Split(x, ",") {
		ev := expVar{name: v}
		if strings.HasSuffix(v, "*") {
			ev.name, ev.explode = strings.TrimSuffix(v, "*"), true
		}
		if n, l, ok := strings.Cut(ev.name, ":"); ok {
			var k int
			if _, err := fmt.Sscanf(l, "%d", &k); err != nil || k <= 0 || k > 10000 {
				return p, fmt.Errorf("bad prefix length in %q", v)
			}
			ev.name, ev.prefix = n, k
		}
		if ev.name == "" {
			return p, fmt.Errorf("empty variable name")
		}
		p.vars = append(p.vars, ev)
	}
	return p, nil
}

func (e *Expansion) String() string { return e.src }

// HasVars reports whether the template has any expression.
func (e *Expansion) HasVars() bool {
	for _, p := range e.parts {
		if p.vars != nil {
			return true
		}
	}
	return false
}

// Expand fills the template; lookup returns a variable's value and whether
// it is defined. Undefined variables expand to nothing, as RFC 6570 says.
func (e *Expansion) Expand(lookup func(name string) (string, bool)) string {
	var b strings.Builder
	for _, p := range e.parts {
		if p.vars == nil {
			b.WriteString(p.lit)
			continue
		}
		p.expand(&b, lookup)
	}
	return b.String()
}

func (p expPart) expand(b *strings.Builder, lookup func(string) (string, bool)) {
	first := true
	for _, v := range p.vars {
		val, ok := lookup(v.name)
		if !ok {
			continue
		}
		if v.prefix > 0 && len([]rune(val)) > v.prefix {
			val = string([]rune(val)[:v.prefix])
		}
		sep, lead := separators(p.op)
		if first {
			b.WriteString(lead)
		} else {
			b.WriteString(sep)
		}
		first = false
		if p.op == ';' || p.op == '?' || p.op == '&' {
			b.WriteString(v.name)
			if val == "" && p.op == ';' {
				continue
			}
			b.WriteByte('=')
		}
		b.WriteString(escape(val, p.op == '+' || p.op == '#'))
	}
}

func separators(op byte) (sep, lead string) {
	switch op {
	case '+':
		return ",", ""
	case '#':
		return ",", "#"
	case '.':
		return ".", "."
	case '/':
		return "/", "/"
	case ';':
		return ";", ";"
	case '?':
		return "&", "?"
	case '&':
		return "&", "&"
	}
	return ",", ""
}

const hexDigits = "0123456789ABCDEF"

// escape percent-encodes everything but unreserved characters, and also
// keeps reserved characters (and existing %XX triplets) when allowReserved.
func escape(s string, allowReserved bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isUnreserved(c):
			b.WriteByte(c)
		case allowReserved && (isReserved(c) || c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2])):
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func isReserved(c byte) bool { return strings.IndexByte(":/?#[]@!$&'()*+,;=", c) >= 0 }

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
