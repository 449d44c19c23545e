package xpath

import "fmt"

// call parses a function call and resolves the function.
func (p *parser) call() (expr, error) {
	name := p.advance()
	p.advance() // the lexer only makes a function name of a name before "("
	var args []expr
	var argPos []int
	if p.peek().kind != tRParen {
		for {
			argPos = append(argPos, p.peek().pos)
			a, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			args = append(args, a)
			if p.peek().kind != tComma {
				break
			}
			p.advance()
		}
	}
	if err := p.expect(tRParen, `"," or ")"`); err != nil {
		return nil, err
	}
	if name.prefix == "" {
		if spec, ok := coreFuncs[name.local]; ok {
			return p.coreCall(name, spec, args, argPos)
		}
	}
	qname := name.local
	space := ""
	if name.prefix != "" {
		qname = name.prefix + ":" + name.local
		var err error
		if space, err = p.resolvePrefix(name.prefix, name.pos); err != nil {
			return nil, err
		}
	}
	if p.opts == nil || p.opts.Functions == nil {
		return nil, p.errorf(name.pos, "unknown function %q", qname)
	}
	fn, err := p.opts.Functions(space, name.local, len(args))
	if err != nil {
		return nil, p.errorf(name.pos, "%s", err.Error())
	}
	if fn.Fn == nil {
		return nil, p.errorf(name.pos, "unknown function %q", qname)
	}
	c := &extCall{meta: combine(anyKind, args...), name: qname, fn: fn, args: args}
	c.lits, c.isLit = make([]Value, len(args)), make([]bool, len(args))
	for i, a := range args {
		c.lits[i], c.isLit[i] = literal(a)
	}
	c.pos = c.pos || fn.UsesPosition
	if fn.NeedsNode {
		c.ctx, c.doc = true, true
	}
	return p.checkHeight(c, name.pos)
}

func (p *parser) coreCall(name *token, spec coreSpec, args []expr, argPos []int) (expr, error) {
	if n := len(args); n < spec.min || spec.max >= 0 && n > spec.max {
		return nil, p.errorf(name.pos, "%s", arityMessage(name.local, spec, n))
	}
	if spec.nodeArg {
		for i, a := range args {
			if err := p.checkNodeSet(a, argPos[i], "argument of "+name.local+"()"); err != nil {
				return nil, err
			}
		}
	}
	c := &coreCall{meta: combine(spec.typ, args...), fn: spec.fn, name: name.local, args: args}
	c.what = "argument of " + c.name + "()"
	switch {
	case spec.ctxArg && len(args) == 0, spec.fn == fnLang:
		c.ctx = true
	case spec.fn == fnLast, spec.fn == fnPosition:
		c.pos = true
	}
	return p.checkHeight(c, name.pos)
}

func arityMessage(name string, spec coreSpec, n int) string {
	plural := func(k int) string {
		if k == 1 {
			return "1 argument"
		}
		return fmt.Sprintf("%d arguments", k)
	}
	switch {
	case spec.max == 0:
		return fmt.Sprintf("%s() takes no arguments, got %d", name, n)
	case spec.min == spec.max:
		return fmt.Sprintf("%s() takes exactly %s, got %d", name, plural(spec.min), n)
	case spec.max < 0:
		return fmt.Sprintf("%s() takes at least %s, got %d", name, plural(spec.min), n)
	case spec.min == 0:
		return fmt.Sprintf("%s() takes at most %s, got %d", name, plural(spec.max), n)
	}
	return fmt.Sprintf("%s() takes %d or %d arguments, got %d", name, spec.min, spec.max, n)
}

// variable resolves a variable reference. Unlike other prefixes, an
// undeclared variable prefix is passed to the resolver (see Options).
func (p *parser) variable(t *token) (expr, error) {
	qname := "$" + t.local
	space := ""
	if t.prefix != "" {
		qname = "$" + t.prefix + ":" + t.local
		space, _ = p.lookupPrefix(t.prefix)
	}
	if p.opts == nil || p.opts.Variables == nil {
		return nil, p.errorf(t.pos, "unknown variable %q", qname)
	}
	v, err := p.opts.Variables(t.prefix, space, t.local)
	if err != nil {
		return nil, p.errorf(t.pos, "%s", err.Error())
	}
	if v.Fn == nil {
		return nil, p.errorf(t.pos, "unknown variable %q", qname)
	}
	m := meta{typ: anyKind, height: 1, ctx: v.NeedsNode, doc: v.NeedsNode}
	return &varRef{meta: m, name: qname, v: v}, nil
}

func (p *parser) lookupPrefix(prefix string) (string, bool) {
	if prefix == "xml" {
		return xmlNamespace, true
	}
	if p.opts == nil || p.opts.Namespaces == nil {
		return "", false
	}
	return p.opts.Namespaces(prefix)
}

func (p *parser) resolvePrefix(prefix string, pos int) (string, error) {
	uri, ok := p.lookupPrefix(prefix)
	if !ok {
		return "", p.errorf(pos, "undeclared namespace prefix %q", prefix)
	}
	return uri, nil
}
