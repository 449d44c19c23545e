package jsonpath

import (
	"strconv"
	"strings"

	"github.com/busbar/busbar/internal/jsontree"
)

type segKind uint8

const (
	segProp segKind = iota
	segWild
	segScan
	segIndex
	segSlice
	segFilter
	segFunc
)

// segment is one step of a path, in the shape of Jayway's path tokens.
type segment struct {
	kind     segKind
	names    []string // segProp
	idx      []int    // segIndex
	from, to int      // segSlice, with hasFrom/hasTo
	hasFrom  bool
	hasTo    bool
	filter   expr   // segFilter
	fn       string // segFunc
	args     []funcArg
	inverted bool // segFunc applied to a whole leading deep scan
}

func (s *segment) definite() bool {
	switch s.kind {
	case segProp, segFunc:
		return true
	case segIndex:
		return len(s.idx) == 1
	}
	return false
}

// funcArg is a function parameter: a JSON literal or a path evaluated
// against the document root. Jayway ignores parameters of any other form
// (a single-quoted string, true, [..]), and so does this package.
type funcArg struct {
	lit  *jsontree.Value
	path *Path
}

type compiler struct {
	src   string // as given, for errors
	s     string // normalised path
	shift int    // len(s) prefix added ahead of src positions
	i     int
}

func (c *compiler) fail(at int, msg string) error {
	return &SyntaxError{Offset: max(0, min(at-c.shift, len(c.src))), Msg: msg, Src: c.src}
}

func compile(src string, inFilter bool) (*Path, error) {
	c := &compiler{src: src}
	lead := len(src) - len(strings.TrimLeft(src, " "))
	s := strings.Trim(src, " ")
	c.shift = -lead
	if !inFilter && strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "..") {
		s = s[:len(s)-1]
	}
	if s == "" {
		return nil, c.fail(0, "path is empty")
	}
	if s[0] != '$' && s[0] != '@' {
		s = "$." + s
		c.shift += 2
	}
	c.s = s
	if strings.HasSuffix(s, ".") {
		return nil, c.fail(len(s)-1, "path must not end with a '.' or '..'")
	}
	p := &Path{src: src, fromItem: s[0] == '@'}
	c.i = 1
	if c.i < len(s) && s[c.i] != '.' && s[c.i] != '[' {
		return nil, c.fail(c.i, "illegal character, expected '.' or '['")
	}
	for c.i < len(s) {
		if err := c.token(p); err != nil {
			return nil, err
		}
	}
	if err := finish(p); err != nil {
		return nil, c.fail(len(s), err.Error())
	}
	return p, nil
}

// finish applies Jayway's rewrite of "$..x.fn()" into fn over all of
// "$..x" and works out the path's properties.
func finish(p *Path) error {
	n := len(p.segs)
	if n > 1 && p.segs[0].kind == segScan && p.segs[n-1].kind == segFunc {
		if n == 2 {
			return indexError("a deep scan needs a name, wildcard, index or filter before " + p.segs[1].fn + "()")
		}
		fn := p.segs[n-1]
		inner := &Path{src: p.src, segs: p.segs[:n-1], fromItem: false}
		if err := finish(inner); err != nil {
			return err
		}
		fn.args = []funcArg{{path: inner}}
		fn.inverted = true
		p.segs = []segment{fn}
	}
	p.definite, p.located = true, true
	for i := range p.segs {
		seg := &p.segs[i]
		if !seg.definite() || seg.kind == segProp && len(seg.names) > 1 && i < len(p.segs)-1 {
			p.definite = false
		}
		if p.segs[i].kind == segFunc {
			p.located = false
		}
	}
	return nil
}

func (c *compiler) token(p *Path) error {
	switch c.s[c.i] {
	case '[':
		return c.bracket(p)
	case '.':
		return c.dot(p)
	case '*':
		c.i++
		p.segs = append(p.segs, segment{kind: segWild})
		return nil
	}
	return c.property(p)
}

func (c *compiler) dot(p *Path) error {
	if c.i+1 < len(c.s) && c.s[c.i+1] == '.' {
		p.segs = append(p.segs, segment{kind: segScan})
		c.i += 2
	} else {
		c.i++
	}
	if c.i >= len(c.s) {
		return c.fail(c.i, "path must not end with a '.'")
	}
	if c.s[c.i] == '.' {
		return c.fail(c.i, "character '.' is not valid here")
	}
	return c.token(p)
}

// property reads a dot-notated name, or a function call name(args).
func (c *compiler) property(p *Path) error {
	start := c.i
	if c.s[start] == ' ' {
		return c.fail(start, "could not parse token")
	}
	for c.i < len(c.s) {
		switch c.s[c.i] {
		case ' ':
			return c.fail(c.i, "use bracket notation ['my prop'] if a property contains blank characters")
		case '.', '[':
			p.segs = append(p.segs, segment{kind: segProp, names: []string{c.s[start:c.i]}})
			return nil
		case '(':
			return c.function(p, start)
		}
		c.i++
	}
	p.segs = append(p.segs, segment{kind: segProp, names: []string{c.s[start:]}})
	return nil
}

var functions = map[string]bool{
	"avg": true, "stddev": true, "sum": true, "min": true, "max": true, "concat": true,
	"length": true, "size": true, "append": true, "keys": true, "first": true, "last": true, "index": true,
}

func (c *compiler) function(p *Path, start int) error {
	name := c.s[start:c.i]
	open := c.i
	end := c.closeParen(open)
	if end < 0 {
		return c.fail(open, "arguments to function "+name+" are not closed properly")
	}
	if !functions[name] {
		return c.fail(start, "function "+name+"() does not exist")
	}
	args, err := c.funcArgs(open+1, end)
	if err != nil {
		return err
	}
	p.segs = append(p.segs, segment{kind: segFunc, fn: name, args: args})
	c.i = end + 1
	return nil
}

// closeParen returns the index of the ')' matching the '(' at open,
// skipping double-quoted strings, or -1.
func (c *compiler) closeParen(open int) int {
	depth := 0
	for j := open; j < len(c.s); j++ {
		switch c.s[j] {
		case '"':
			k := nextUnescaped(c.s, j, '"')
			if k < 0 {
				return -1
			}
			j = k
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return -1
}

// funcArgs splits s[from:to] at top-level commas. As in Jayway, an argument
// starting with '{', a digit, '"' or '-' is JSON, one starting with '$' or
// '@' a path, and anything else is ignored.
func (c *compiler) funcArgs(from, to int) ([]funcArg, error) {
	var args []funcArg
	depth, start := 0, from
	for j := from; j <= to; j++ {
		if j < to {
			switch c.s[j] {
			case '"':
				if k := nextUnescaped(c.s, j, '"'); k > 0 {
					j = k
				}
				continue
			case '(', '[', '{':
				depth++
				continue
			case ')', ']', '}':
				depth--
				continue
			case ',':
				if depth != 0 {
					continue
				}
			default:
				continue
			}
		}
		arg, err := c.funcArg(start, j)
		if err != nil {
			return nil, err
		}
		if arg != nil {
			args = append(args, *arg)
		}
		start = j + 1
	}
	return args, nil
}

func (c *compiler) funcArg(from, to int) (*funcArg, error) {
	text := strings.Trim(c.s[from:to], " \t\r\n")
	if text == "" {
		return nil, nil
	}
	switch ch := text[0]; {
	case ch == '$' || ch == '@':
		sub, err := compile(text, true)
		if err != nil {
			return nil, c.fail(from, "bad path argument: "+err.(*SyntaxError).Msg)
		}
		return &funcArg{path: sub}, nil
	case ch == '{' || ch == '"' || ch == '-' || ch >= '0' && ch <= '9':
		v, err := jsontree.Parse([]byte(text))
		if err != nil {
			return nil, c.fail(from, "bad JSON argument "+text)
		}
		return &funcArg{lit: v}, nil
	}
	return nil, nil
}

// nextUnescaped returns the index of the next q after s[from] that is not
// escaped by a backslash, or -1.
func nextUnescaped(s string, from int, q byte) int {
	for j := from + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case q:
			return j
		}
	}
	return -1
}

// nextSignificant returns the index of the first non-space byte after
// s[from], or len(s).
func nextSignificant(s string, from int) int {
	j := from + 1
	for j < len(s) && s[j] == ' ' {
		j++
	}
	return j
}

func (c *compiler) bracket(p *Path) error {
	j := nextSignificant(c.s, c.i)
	if j >= len(c.s) {
		return c.fail(c.i, "unclosed '['")
	}
	switch ch := c.s[j]; {
	case ch == '\'' || ch == '"':
		return c.names(p, j, ch)
	case ch >= '0' && ch <= '9' || ch == '-' || ch == ':':
		return c.indexes(p)
	case ch == '*':
		k := nextSignificant(c.s, j)
		if k >= len(c.s) || c.s[k] != ']' {
			return c.fail(j+1, "expected wildcard token to end with ']'")
		}
		p.segs = append(p.segs, segment{kind: segWild})
		c.i = k + 1
		return nil
	case ch == '?':
		return c.filterToken(p, j)
	}
	return c.fail(c.i, "could not parse token, expected ?, ', 0-9 or *")
}

// names reads ['a'] or ['a', 'b'] with quote q.
func (c *compiler) names(p *Path, j int, q byte) error {
	var names []string
	for {
		end := nextUnescaped(c.s, j, q)
		if end < 0 {
			return c.fail(j, "property has not been closed, missing closing "+string(q))
		}
		names = append(names, unescape(c.s[j+1:end]))
		k := nextSignificant(c.s, end)
		if k >= len(c.s) {
			return c.fail(k, "property has not been closed, missing closing ]")
		}
		switch c.s[k] {
		case ']':
			p.segs = append(p.segs, segment{kind: segProp, names: names})
			c.i = k + 1
			return nil
		case ',':
			j = nextSignificant(c.s, k)
			if j >= len(c.s) || c.s[j] != q {
				return c.fail(j, "found empty property")
			}
		default:
			return c.fail(k, "property must be separated by comma or terminated by ]")
		}
	}
}

func (c *compiler) indexes(p *Path) error {
	end := strings.IndexByte(c.s[c.i:], ']')
	if end < 0 {
		return c.fail(c.i, "unclosed '['")
	}
	end += c.i
	expr := strings.Trim(c.s[c.i+1:end], " ")
	for k := 0; k < len(expr); k++ {
		if ch := expr[k]; !(ch >= '0' && ch <= '9' || ch == ',' || ch == '-' || ch == ':' || ch == ' ') {
			return c.fail(c.i, "could not parse token, expected ?, ', 0-9 or *")
		}
	}
	seg, err := parseIndexes(expr)
	if err != nil {
		return c.fail(c.i+1, err.Error())
	}
	p.segs = append(p.segs, seg)
	c.i = end + 1
	return nil
}

type indexError string

func (e indexError) Error() string { return string(e) }

// parseIndexes reads "1", "1, 2" or a slice "1:2", ":2", "-2:". Like Java's
// String.split, which Jayway uses, trailing empty fields vanish and any
// third field (a step) is ignored.
func parseIndexes(expr string) (segment, error) {
	if !strings.Contains(expr, ":") {
		var seg segment
		seg.kind = segIndex
		for _, f := range strings.Split(expr, ",") {
			n, err := strconv.ParseInt(strings.TrimSpace(f), 10, 32)
			if err != nil {
				return seg, indexError("failed to parse array index " + strconv.Quote(f))
			}
			seg.idx = append(seg.idx, int(n))
		}
		return seg, nil
	}
	if strings.ContainsAny(expr, ", ") {
		return segment{}, indexError("failed to parse slice " + strconv.Quote(expr))
	}
	fields := strings.Split(expr, ":")
	for len(fields) > 0 && fields[len(fields)-1] == "" {
		fields = fields[:len(fields)-1]
	}
	seg := segment{kind: segSlice}
	var err error
	if len(fields) > 0 && fields[0] != "" {
		seg.from, err = atoi32(fields[0])
		seg.hasFrom = true
	}
	if err == nil && len(fields) > 1 && fields[1] != "" {
		seg.to, err = atoi32(fields[1])
		seg.hasTo = true
	}
	if err != nil || !seg.hasFrom && !seg.hasTo {
		return seg, indexError("failed to parse slice " + strconv.Quote(expr))
	}
	return seg, nil
}

func atoi32(s string) (int, error) {
	n, err := strconv.ParseInt(s, 10, 32)
	return int(n), err
}

// filterToken reads [?(...)], whose parentheses are matched skipping quoted
// strings and regular expressions.
func (c *compiler) filterToken(p *Path, q int) error {
	open := nextSignificant(c.s, q)
	if open >= len(c.s) || c.s[open] != '(' {
		return c.fail(q, "expected '(' after '?' in filter")
	}
	end := matchClose(c.s, open, '(', ')', true)
	if end < 0 {
		return c.fail(open, "filter parentheses do not match")
	}
	k := nextSignificant(c.s, end)
	if k >= len(c.s) || c.s[k] != ']' {
		return c.fail(end+1, "expected ']' after filter")
	}
	f, err := parseFilter(c, open, end+1)
	if err != nil {
		return err
	}
	p.segs = append(p.segs, segment{kind: segFilter, filter: f})
	c.i = k + 1
	return nil
}

// matchClose returns the index of the closer matching s[open], skipping
// quoted strings and, when regex is set, /regular expressions/.
func matchClose(s string, open int, opener, closer byte, regex bool) int {
	depth := 0
	for j := open; j < len(s); j++ {
		switch ch := s[j]; {
		case ch == '\'' || ch == '"' || regex && ch == '/':
			k := nextUnescaped(s, j, ch)
			if k < 0 {
				return -1
			}
			j = k
		case ch == opener:
			depth++
		case ch == closer:
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return -1
}

// unescape resolves the backslash escapes Jayway allows in quoted names and
// string literals.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch != '\\' || i+1 >= len(s) {
			b.WriteByte(ch)
			continue
		}
		i++
		switch e := s[i]; e {
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'b':
			b.WriteByte('\b')
		case 'u':
			if i+4 < len(s) {
				if r, err := strconv.ParseUint(s[i+1:i+5], 16, 16); err == nil {
					b.WriteRune(rune(r))
					i += 4
					continue
				}
			}
			b.WriteByte('u')
		default:
			b.WriteByte(e)
		}
	}
	return b.String()
}
