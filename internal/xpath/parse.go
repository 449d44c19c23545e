package xpath

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

const (
	// maxNesting bounds how deeply parentheses, predicates and argument
	// lists may nest, so that the recursive-descent parser cannot overflow
	// the stack.
	maxNesting = 128
	// maxHeight bounds the height of the expression tree, which bounds the
	// recursion depth of evaluation (long operator chains nest without
	// parser recursion).
	maxHeight = 1024
)

type parser struct {
	src     string
	toks    []token
	i       int
	opts    *Options
	nesting int
	// plain disables the rewrites and fast paths, so that tests can check
	// them against the straightforward evaluation.
	plain bool
}

func (p *parser) peek() *token { return &p.toks[p.i] }

func (p *parser) advance() *token {
	t := &p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) errorf(pos int, format string, args ...any) error {
	return &SyntaxError{Offset: pos, Msg: fmt.Sprintf(format, args...), Src: p.src}
}

func (p *parser) describe(t *token) string {
	if t.kind == tEOF {
		return "end of expression"
	}
	return strconv.Quote(p.src[t.pos:t.end])
}

func (p *parser) unexpected(t *token) error {
	return p.errorf(t.pos, "unexpected %s", p.describe(t))
}

func (p *parser) expect(k tokKind, what string) error {
	if t := p.peek(); t.kind != k {
		return p.errorf(t.pos, "expected %s, found %s", what, p.describe(t))
	}
	p.advance()
	return nil
}

func (p *parser) checkHeight(e expr, pos int) (expr, error) {
	if e.info().height > maxHeight {
		return nil, p.errorf(pos, "expression nested too deeply")
	}
	return e, nil
}

func (p *parser) parseExpr() (expr, error) {
	p.nesting++
	defer func() { p.nesting-- }()
	if p.nesting > maxNesting {
		return nil, p.errorf(p.peek().pos, "expression nested too deeply")
	}
	return p.parseLevel(0)
}

// levels lists the binary operators from the loosest binding to the
// tightest; all are left-associative.
var levels = [][]tokKind{
	{tOr},
	{tAnd},
	{tEq, tNeq},
	{tLt, tLe, tGt, tGe},
	{tPlus, tMinus},
	{tMul, tDiv, tMod},
}

func (p *parser) parseLevel(lv int) (expr, error) {
	if lv == len(levels) {
		return p.parseUnary()
	}
	l, err := p.parseLevel(lv + 1)
	if err != nil {
		return nil, err
	}
	for {
		op := p.peek()
		if !slices.Contains(levels[lv], op.kind) {
			return l, nil
		}
		p.advance()
		r, err := p.parseLevel(lv + 1)
		if err != nil {
			return nil, err
		}
		if l, err = p.checkHeight(p.binary(op.kind, l, r), op.pos); err != nil {
			return nil, err
		}
	}
}

func (p *parser) binary(op tokKind, l, r expr) expr {
	if p.plain {
		switch op {
		case tOr:
			return &orExpr{combine(Boolean, l, r), l, r}
		case tAnd:
			return &andExpr{combine(Boolean, l, r), l, r}
		case tPlus, tMinus, tMul, tDiv, tMod:
			return &arithExpr{combine(Number, l, r), op, l, r}
		}
		return &cmpExpr{combine(Boolean, l, r), op, l, r}
	}
	switch op {
	case tOr:
		return &orExpr{combine(Boolean, l, r), l, r}
	case tAnd:
		return &andExpr{combine(Boolean, l, r), l, r}
	case tEq, tNeq, tLt, tLe, tGt, tGe:
		if lit, ok := literal(r); ok {
			return &cmpLitExpr{combine(Boolean, l, r), op, l, lit}
		}
		if lit, ok := literal(l); ok {
			return &cmpLitExpr{combine(Boolean, l, r), flip(op), r, lit}
		}
		return &cmpExpr{combine(Boolean, l, r), op, l, r}
	}
	a, aok := l.(*numberLit)
	b, bok := r.(*numberLit)
	if aok && bok {
		return numLit(arith(op, a.v, b.v))
	}
	return &arithExpr{combine(Number, l, r), op, l, r}
}

func numLit(v float64) *numberLit { return &numberLit{meta{typ: Number, height: 1}, v} }

func (p *parser) parseUnary() (expr, error) {
	pos, n := p.peek().pos, 0
	for p.peek().kind == tMinus {
		p.advance()
		n++
	}
	x, err := p.parseUnion()
	for ; err == nil && n > 0; n-- {
		if lit, ok := x.(*numberLit); ok {
			x = numLit(-lit.v)
		} else {
			x, err = p.checkHeight(&negExpr{combine(Number, x), x}, pos)
		}
	}
	return x, err
}

func (p *parser) parseUnion() (expr, error) {
	pos := p.peek().pos
	l, err := p.parsePath()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tPipe {
		op := p.advance()
		if err := p.checkNodeSet(l, pos, `operand of "|"`); err != nil {
			return nil, err
		}
		pos = p.peek().pos
		r, err := p.parsePath()
		if err != nil {
			return nil, err
		}
		if err := p.checkNodeSet(r, pos, `operand of "|"`); err != nil {
			return nil, err
		}
		if l, err = p.checkHeight(&unionExpr{combine(NodeSet, l, r), l, r}, op.pos); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// checkNodeSet fails if e is known at compile time not to be a node-set.
func (p *parser) checkNodeSet(e expr, pos int, what string) error {
	if t := e.info().typ; t != NodeSet && t != anyKind {
		return p.errorf(pos, "%s", notNodeSet(what, t))
	}
	return nil
}

func (p *parser) parsePath() (expr, error) {
	t := p.peek()
	switch t.kind {
	case tVar, tLParen, tLiteral, tNumber, tFuncName:
		return p.parseFilterPath()
	case tSlash:
		p.advance()
		if !canStartStep(p.peek().kind) {
			return p.makePath(startRoot, nil, nil, t.pos)
		}
		steps, err := p.parseSteps(nil)
		if err != nil {
			return nil, err
		}
		return p.makePath(startRoot, nil, steps, t.pos)
	case tSlashSlash:
		p.advance()
		steps, err := p.parseSteps([]step{descendantOrSelf()})
		if err != nil {
			return nil, err
		}
		return p.makePath(startRoot, nil, steps, t.pos)
	}
	if !canStartStep(t.kind) {
		return nil, p.unexpected(t)
	}
	steps, err := p.parseSteps(nil)
	if err != nil {
		return nil, err
	}
	return p.makePath(startContext, nil, steps, t.pos)
}

// parseFilterPath parses a filter expression and the relative location
// path that may follow it.
func (p *parser) parseFilterPath() (expr, error) {
	pos := p.peek().pos
	e, err := p.parseFilter()
	if err != nil {
		return nil, err
	}
	var steps []step
	switch op := p.peek(); op.kind {
	case tSlash:
	case tSlashSlash:
		steps = append(steps, descendantOrSelf())
	default:
		return e, nil
	}
	if err := p.checkNodeSet(e, pos, `expression before "/"`); err != nil {
		return nil, err
	}
	p.advance()
	if steps, err = p.parseSteps(steps); err != nil {
		return nil, err
	}
	return p.makePath(startExpr, e, steps, pos)
}

func descendantOrSelf() step {
	return step{axis: axisDescendantOrSelf, test: nodeTest{kind: testNode}}
}

func canStartStep(k tokKind) bool {
	switch k {
	case tDot, tDotDot, tAt, tAxisName, tNameTest, tNodeType:
		return true
	}
	return false
}

// parseSteps parses a relative location path, appending its steps.
func (p *parser) parseSteps(steps []step) ([]step, error) {
	for {
		s, err := p.parseStep()
		if err != nil {
			return nil, err
		}
		steps = append(steps, s)
		switch p.peek().kind {
		case tSlash:
			p.advance()
		case tSlashSlash:
			p.advance()
			steps = append(steps, descendantOrSelf())
		default:
			return steps, nil
		}
	}
}

func (p *parser) parseStep() (step, error) {
	t := p.peek()
	switch t.kind {
	case tDot:
		p.advance()
		return step{axis: axisSelf, test: nodeTest{kind: testNode}}, nil
	case tDotDot:
		p.advance()
		return step{axis: axisParent, test: nodeTest{kind: testNode}}, nil
	}
	s := step{axis: axisChild}
	switch t.kind {
	case tAt:
		p.advance()
		s.axis = axisAttribute
	case tAxisName:
		p.advance()
		ax, ok := axisNames[t.local]
		if !ok {
			return s, p.errorf(t.pos, "unknown axis %q", t.local)
		}
		s.axis = ax
		if err := p.expect(tColonColon, `"::"`); err != nil {
			return s, err
		}
	}
	var err error
	if s.test, err = p.parseNodeTest(); err != nil {
		return s, err
	}
	if s.preds, err = p.parsePredicates(); err != nil {
		return s, err
	}
	for _, e := range s.preds {
		m := e.info()
		s.positional = s.positional || m.pos || m.typ == Number || m.typ == anyKind
	}
	if len(s.preds) > 0 && !p.plain {
		if lit, ok := s.preds[0].(*numberLit); ok && lit.v >= 1 && lit.v <= 1<<30 && lit.v == math.Trunc(lit.v) {
			s.pos = int(lit.v)
		}
	}
	return s, nil
}

func (p *parser) parseNodeTest() (nodeTest, error) {
	t := p.peek()
	switch t.kind {
	case tNameTest:
		p.advance()
		if t.prefix == "" {
			if t.local == "*" {
				return nodeTest{kind: testAny}, nil
			}
			return nodeTest{kind: testName, local: t.local}, nil
		}
		space, err := p.resolvePrefix(t.prefix, t.pos)
		if err != nil {
			return nodeTest{}, err
		}
		if t.local == "*" {
			return nodeTest{kind: testSpace, space: space}, nil
		}
		return nodeTest{kind: testName, space: space, local: t.local}, nil
	case tNodeType:
		p.advance()
		nt := nodeTest{kind: nodeTypeTest(t.local)}
		if err := p.expect(tLParen, `"("`); err != nil {
			return nt, err
		}
		if lit := p.peek(); nt.kind == testPI && lit.kind == tLiteral {
			p.advance()
			nt.hasTarget, nt.local = true, lit.local
		}
		return nt, p.expect(tRParen, `")"`)
	}
	return nodeTest{}, p.errorf(t.pos, "expected a node test, found %s", p.describe(t))
}

func nodeTypeTest(name string) testKind {
	switch name {
	case "text":
		return testText
	case "comment":
		return testComment
	case "processing-instruction":
		return testPI
	}
	return testNode
}

func (p *parser) parsePredicates() ([]expr, error) {
	var preds []expr
	for p.peek().kind == tLBracket {
		p.advance()
		e, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		if err := p.expect(tRBracket, `"]"`); err != nil {
			return nil, err
		}
		preds = append(preds, e)
	}
	return preds, nil
}

// addPreds accounts in m for predicates, which are evaluated at a focus of
// their own: only their height and document use carry over.
func addPreds(m *meta, preds []expr) {
	for _, e := range preds {
		pm := e.info()
		m.height = max(m.height, pm.height+1)
		m.doc = m.doc || pm.doc
	}
}

func (p *parser) parseFilter() (expr, error) {
	pos := p.peek().pos
	e, err := p.parsePrimary()
	if err != nil || p.peek().kind != tLBracket {
		return e, err
	}
	if err := p.checkNodeSet(e, pos, "filtered expression"); err != nil {
		return nil, err
	}
	preds, err := p.parsePredicates()
	if err != nil {
		return nil, err
	}
	fe := &filterExpr{meta: combine(NodeSet, e), primary: e, preds: preds}
	addPreds(&fe.meta, preds)
	return p.checkHeight(fe, pos)
}

// makePath builds a path expression.
func (p *parser) makePath(start startKind, filter expr, steps []step, pos int) (expr, error) {
	out := steps
	if p.plain {
		for i := range steps {
			steps[i].plain = true
		}
	} else {
		out = simplify(steps)
	}
	if start == startExpr && len(out) == 0 && filter.info().typ == NodeSet {
		return filter, nil
	}
	pe := &pathExpr{start: start, filter: filter, steps: out}
	if filter != nil {
		pe.meta = combine(NodeSet, filter)
	} else {
		pe.meta = meta{typ: NodeSet, height: 1, ctx: true}
	}
	for i := range out {
		addPreds(&pe.meta, out[i].preds)
	}
	return p.checkHeight(pe, pos)
}

// simplify rewrites steps in place: self::node() steps are dropped,
// descendant-or-self::node() followed by a child or descendant step whose
// predicates ignore positions becomes one descendant step, so that //name
// walks the tree once instead of visiting the children of every node, and
// when the predicates do depend on positions (//name[1]) the two steps are
// fused so that no set of every node is built.
func simplify(steps []step) []step {
	out := steps[:0]
	for i := 0; i < len(steps); i++ {
		s := steps[i]
		switch {
		case s.axis == axisSelf && s.test.kind == testNode && len(s.preds) == 0:
			continue
		case s.axis == axisDescendantOrSelf && s.test.kind == testNode && len(s.preds) == 0 && i+1 < len(steps):
			n := steps[i+1]
			switch {
			case (n.axis == axisChild || n.axis == axisDescendant) && !n.positional:
				n.axis = axisDescendant
			case n.axis == axisChild:
				n.fromDescendants = true
			default:
				out = append(out, s)
				continue
			}
			out = append(out, n)
			i++
			continue
		}
		out = append(out, s)
	}
	return out
}

func (p *parser) parsePrimary() (expr, error) {
	t := p.peek()
	switch t.kind {
	case tVar:
		p.advance()
		return p.variable(t)
	case tLParen:
		p.advance()
		e, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		if err := p.expect(tRParen, `")"`); err != nil {
			return nil, err
		}
		return e, nil
	case tLiteral:
		p.advance()
		return &stringLit{meta{typ: String, height: 1}, t.local}, nil
	case tNumber:
		p.advance()
		return numLit(t.num), nil
	case tFuncName:
		return p.call()
	}
	return nil, p.unexpected(t)
}
