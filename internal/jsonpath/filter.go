package jsonpath

import (
	"strings"

	"github.com/busbar/busbar/internal/jsontree"
)

// expr is a compiled filter expression.
type expr interface {
	eval(c *context, item *jsontree.Value) (bool, error)
}

type orExpr []expr
type andExpr []expr
type notExpr struct{ e expr }

// relExpr compares two operands; op is one of Jayway's relational
// operators.
type relExpr struct {
	left, right operand
	op          string
}

// existsExpr is a bare path in a filter, [?(@.isbn)], or its negation.
type existsExpr struct {
	path *Path
	want bool
}

// operand is a literal or a path evaluated against the item or the root.
type operand struct {
	lit  fval
	path *Path
}

// filterParser follows Jayway's FilterCompiler: || over && over operands,
// an operand being !operand, (expression), a relation or an existence
// check.
type filterParser struct {
	c   *compiler
	s   string
	i   int
	end int
}

func parseFilter(c *compiler, open, end int) (expr, error) {
	fp := &filterParser{c: c, s: c.s, i: open, end: end}
	e, err := fp.or()
	if err != nil {
		return nil, err
	}
	fp.skip()
	if fp.i < fp.end {
		return nil, fp.fail("expected end of filter expression")
	}
	return e, nil
}

func (f *filterParser) fail(msg string) error { return f.c.fail(f.i, msg) }

func (f *filterParser) skip() {
	for f.i < f.end && f.s[f.i] == ' ' {
		f.i++
	}
}

func (f *filterParser) peek() byte {
	f.skip()
	if f.i < f.end {
		return f.s[f.i]
	}
	return 0
}

func (f *filterParser) accept(tok string) bool {
	f.skip()
	if strings.HasPrefix(f.s[f.i:f.end], tok) {
		f.i += len(tok)
		return true
	}
	return false
}

func (f *filterParser) or() (expr, error) {
	var ops orExpr
	for {
		e, err := f.and()
		if err != nil {
			return nil, err
		}
		ops = append(ops, e)
		if !f.accept("||") {
			break
		}
	}
	if len(ops) == 1 {
		return ops[0], nil
	}
	return ops, nil
}

func (f *filterParser) and() (expr, error) {
	var ops andExpr
	for {
		e, err := f.unary()
		if err != nil {
			return nil, err
		}
		ops = append(ops, e)
		if !f.accept("&&") {
			break
		}
	}
	if len(ops) == 1 {
		return ops[0], nil
	}
	return ops, nil
}

func (f *filterParser) unary() (expr, error) {
	if f.peek() == '!' {
		save := f.i
		f.i++
		if ch := f.peek(); ch != '$' && ch != '@' {
			e, err := f.unary()
			if err != nil {
				return nil, err
			}
			return notExpr{e}, nil
		}
		f.i = save // !@.x is a negated existence check
	}
	if f.peek() == '(' {
		f.i++
		e, err := f.or()
		if err != nil {
			return nil, err
		}
		if f.peek() != ')' {
			return nil, f.fail("expected ')'")
		}
		f.i++
		return e, nil
	}
	return f.relation()
}

func (f *filterParser) relation() (expr, error) {
	left, negated, err := f.operand()
	if err != nil {
		return nil, err
	}
	save := f.i
	if op, ok := f.operator(); ok {
		right, _, err := f.operand()
		if err != nil {
			return nil, err
		}
		return &relExpr{left: left, op: op, right: right}, nil
	}
	f.i = save
	if left.path == nil {
		return nil, f.fail("expected a relational operator after a literal")
	}
	return &existsExpr{path: left.path, want: !negated}, nil
}

var symbolOps = map[string]bool{
	"==": true, "!=": true, "===": true, "!==": true, "<": true, "<=": true, ">": true, ">=": true, "=~": true,
}

var wordOps = map[string]bool{
	"in": true, "nin": true, "contains": true, "all": true, "size": true, "exists": true, "type": true,
	"matches": true, "empty": true, "subsetof": true, "anyof": true, "noneof": true,
}

func isOpChar(ch byte) bool { return ch == '<' || ch == '>' || ch == '=' || ch == '~' || ch == '!' }

// operator reads a run of operator characters, or a word up to the next
// space, and recognises it case-insensitively as Jayway does.
func (f *filterParser) operator() (string, bool) {
	f.skip()
	start := f.i
	if f.i < f.end && isOpChar(f.s[f.i]) {
		for f.i < f.end && isOpChar(f.s[f.i]) {
			f.i++
		}
		op := f.s[start:f.i]
		return op, symbolOps[op]
	}
	for f.i < f.end && f.s[f.i] != ' ' {
		f.i++
	}
	op := strings.ToLower(f.s[start:f.i])
	return op, wordOps[op]
}

func (f *filterParser) operand() (operand, bool, error) {
	switch f.peek() {
	case '$', '@':
		p, err := f.path(false)
		return operand{path: p}, false, err
	case '!':
		f.i++
		if ch := f.peek(); ch != '$' && ch != '@' {
			return operand{}, false, f.fail("unexpected character '!'")
		}
		p, err := f.path(true)
		return operand{path: p}, true, err
	}
	v, err := f.literal()
	return operand{lit: v}, false, err
}

// path reads a path operand: up to an operator character, a space or a
// closing parenthesis that does not end a function call, skipping over
// bracketed parts.
func (f *filterParser) path(negated bool) (*Path, error) {
	start := f.i
	f.i++
	for f.i < f.end {
		ch := f.s[f.i]
		if ch == '[' {
			k := matchClose(f.s[:f.end], f.i, '[', ']', false)
			if k < 0 {
				return nil, f.fail("square brackets do not match in filter")
			}
			f.i = k + 1
			continue
		}
		if isOpChar(ch) || ch == ' ' || ch == ')' && !f.closesCall(start) {
			break
		}
		f.i++
	}
	p, err := compile(f.s[start:f.i], true)
	if err != nil {
		se := err.(*SyntaxError)
		return nil, f.c.fail(start+se.Offset, se.Msg)
	}
	return p, nil
}

// closesCall reports whether the ')' at f.i closes an empty call such as
// .length(), which Jayway recognises by a '(' just before it and a '.'
// earlier in the path.
func (f *filterParser) closesCall(start int) bool {
	k := f.i - 1
	for k > start && f.s[k] == ' ' {
		k--
	}
	if k <= start || f.s[k] != '(' {
		return false
	}
	return strings.LastIndexByte(f.s[start:k], '.') >= 0
}

func (f *filterParser) literal() (fval, error) {
	start := f.i
	switch ch := f.peek(); ch {
	case '\'', '"':
		end := nextUnescaped(f.s[:f.end], f.i, ch)
		if end < 0 {
			return fval{}, f.fail("string literal does not have matching quotes")
		}
		f.i = end + 1
		return fval{kind: fStr, s: unescape(f.s[start+1 : end])}, nil
	case 't', 'f':
		for _, w := range []string{"true", "false"} {
			if strings.HasPrefix(f.s[f.i:f.end], w) {
				f.i += len(w)
				return fval{kind: fBool, b: w == "true"}, nil
			}
		}
		return fval{}, f.fail("expected boolean literal")
	case 'n':
		if strings.HasPrefix(f.s[f.i:f.end], "null") {
			f.i += 4
			return fval{kind: fNull}, nil
		}
		return fval{}, f.fail("expected null")
	case '[', '{':
		return f.jsonLiteral(ch)
	case '/':
		return f.pattern()
	}
	for f.i < f.end && isNumberChar(f.s[f.i]) {
		f.i++
	}
	lit := f.s[start:f.i]
	if _, ok := jsontree.CompareNumbers(lit, "0"); !ok {
		f.i = start
		return fval{}, f.fail("failed to parse filter, expected a value")
	}
	return fval{kind: fNum, s: lit}, nil
}

func isNumberChar(ch byte) bool {
	return ch >= '0' && ch <= '9' || ch == '-' || ch == '.' || ch == 'e' || ch == 'E'
}

func (f *filterParser) jsonLiteral(open byte) (fval, error) {
	closer := byte(']')
	if open == '{' {
		closer = '}'
	}
	end := matchClose(f.s[:f.end], f.i, open, closer, false)
	if end < 0 {
		return fval{}, f.fail("JSON literal is not closed")
	}
	v, err := parseLenientJSON(f.s[f.i : end+1])
	if err != nil {
		return fval{}, f.fail("bad JSON literal: " + err.Error())
	}
	f.i = end + 1
	return fromValue(v), nil
}

func (f *filterParser) pattern() (fval, error) {
	start := f.i
	end := nextUnescaped(f.s[:f.end], f.i, '/')
	if end < 0 {
		return fval{}, f.fail("pattern not closed, expected '/'")
	}
	k := end + 1
	for k < f.end && strings.IndexByte("dixmsuU", f.s[k]) >= 0 {
		k++
	}
	re, err := compileJavaRegex(f.s[start+1:end], f.s[end+1:k])
	if err != nil {
		return fval{}, f.fail("bad regular expression: " + err.Error())
	}
	f.i = k
	return fval{kind: fPattern, re: re, s: f.s[start:k]}, nil
}

// parseLenientJSON parses a filter's JSON literal, which Jayway reads with
// json-smart's permissive mode: single-quoted strings are allowed, so they
// are rewritten as double-quoted ones first.
func parseLenientJSON(s string) (*jsontree.Value, error) {
	if !strings.Contains(s, "'") {
		return jsontree.Parse([]byte(s))
	}
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch != '\'' && ch != '"' {
			b = append(b, ch)
			continue
		}
		end := nextUnescaped(s, i, ch)
		if end < 0 {
			end = len(s)
		}
		if ch == '"' {
			b = append(b, s[i:min(end+1, len(s))]...)
		} else {
			b = jsontree.AppendString(b, unescape(s[i+1:end]))
		}
		i = end
	}
	return jsontree.Parse(b)
}
