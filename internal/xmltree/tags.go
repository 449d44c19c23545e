package xmltree

import "strings"

// Element tags and namespace processing.

// dupScanLimit is the attribute count up to which duplicates are found by
// comparing every pair; beyond it a map keeps hostile input linear.
const dupScanLimit = 16

func (p *parser) startTag() error {
	start := p.pos
	p.pos++
	prefix, local, err := p.qname()
	if err != nil {
		return err
	}
	p.raw = p.raw[:0]
	empty := false
	for {
		ws := p.skipSpace()
		if p.pos >= len(p.s) {
			return p.eof("start tag")
		}
		c := p.s[p.pos]
		if c == '>' {
			p.pos++
			break
		}
		if c == '/' {
			if p.pos+1 < len(p.s) && p.s[p.pos+1] == '>' {
				p.pos += 2
				empty = true
				break
			}
			return p.errAt(p.pos, "expected /> in start tag <%s>", qname(prefix, local))
		}
		if !ws {
			return p.errAt(p.pos, "expected whitespace, > or /> in start tag <%s>", qname(prefix, local))
		}
		if err := p.attribute(); err != nil {
			return err
		}
	}
	if len(p.open) >= p.maxDepth {
		return p.errAt(start, "element nesting exceeds the maximum depth of %d", p.maxDepth)
	}
	n := p.newNode(ElementNode)
	n.Name.Prefix, n.Name.Local = prefix, local
	mark := len(p.scope.b)
	if len(p.raw) > 0 {
		if err := p.attributes(n); err != nil {
			return err
		}
	}
	if err := p.resolveElement(n, start); err != nil {
		return err
	}
	link(p.cur, n)
	if p.cur.Type == DocumentNode {
		p.root = n
	}
	if empty {
		p.scope.pop(mark)
		return nil
	}
	p.open = append(p.open, openElem{n, mark})
	p.cur = n
	return nil
}

func (p *parser) attribute() error {
	at := p.pos
	prefix, local, err := p.qname()
	if err != nil {
		return err
	}
	p.skipSpace()
	if p.pos >= len(p.s) {
		return p.eof("start tag")
	}
	if p.s[p.pos] != '=' {
		return p.errAt(p.pos, "expected = after attribute name %s", qname(prefix, local))
	}
	p.pos++
	p.skipSpace()
	v, err := p.attrValue()
	if err != nil {
		return err
	}
	p.raw = append(p.raw, rawAttr{prefix, local, v, at})
	return nil
}

func isDecl(r *rawAttr) bool {
	return r.prefix == "xmlns" || r.prefix == "" && r.local == "xmlns"
}

// attributes splits the raw attributes of n into namespace declarations,
// which are pushed onto the scope first because they apply to the element's
// own name and attributes, and ordinary attributes resolved against them.
func (p *parser) attributes(n *Node) error {
	if err := p.rawDuplicates(); err != nil {
		return err
	}
	nDecl := 0
	for i := range p.raw {
		if isDecl(&p.raw[i]) {
			nDecl++
		}
	}
	if nDecl > 0 {
		n.NS = take(&p.decls, nDecl, &p.nsHint)
		k := 0
		for i := range p.raw {
			r := &p.raw[i]
			if !isDecl(r) {
				continue
			}
			d := NSDecl{URI: r.value}
			if r.prefix != "" {
				d.Prefix = r.local
			}
			if err := p.checkNSDecl(d, r.pos); err != nil {
				return err
			}
			n.NS[k] = d
			k++
			p.scope.push(d.Prefix, d.URI)
		}
	}
	nAttr := len(p.raw) - nDecl
	if nAttr == 0 {
		return nil
	}
	n.Attrs = take(&p.attrs, nAttr, &p.attrHint)
	k := 0
	for i := range p.raw {
		r := &p.raw[i]
		if isDecl(r) {
			continue
		}
		a := &n.Attrs[k]
		k++
		a.Name.Prefix, a.Name.Local, a.Value = r.prefix, r.local, r.value
		if r.prefix == "" {
			continue
		}
		uri, ok := p.scope.lookup(r.prefix)
		if !ok {
			return p.errAt(r.pos, "undeclared namespace prefix %q in attribute %s", r.prefix, qname(r.prefix, r.local))
		}
		a.Name.Space = uri
	}
	return p.expandedDuplicates(n.Attrs)
}

func (p *parser) checkNSDecl(d NSDecl, at int) error {
	switch {
	case d.Prefix == "xmlns":
		return p.errAt(at, "the xmlns prefix must not be declared")
	case d.Prefix == "xml" && d.URI != xmlURI:
		return p.errAt(at, "the xml prefix must not be bound to %q", d.URI)
	case d.URI == xmlURI && d.Prefix != "xml":
		return p.errAt(at, "the XML namespace must not be bound to a prefix other than xml")
	case d.URI == xmlnsURI:
		return p.errAt(at, "the xmlns namespace must not be declared")
	case d.Prefix != "" && d.URI == "":
		return p.errAt(at, "namespace prefix %q must not be undeclared", d.Prefix)
	}
	return nil
}

func (p *parser) resolveElement(n *Node, at int) error {
	switch n.Name.Prefix {
	case "":
		n.Name.Space, _ = p.scope.lookup("")
	case "xmlns":
		return p.errAt(at, "element name <%s> must not use the xmlns prefix", qname(n.Name.Prefix, n.Name.Local))
	default:
		uri, ok := p.scope.lookup(n.Name.Prefix)
		if !ok {
			return p.errAt(at, "undeclared namespace prefix %q in element <%s>", n.Name.Prefix, qname(n.Name.Prefix, n.Name.Local))
		}
		n.Name.Space = uri
	}
	return nil
}

// rawDuplicates rejects an attribute name written twice in one tag.
func (p *parser) rawDuplicates() error {
	raw := p.raw
	if len(raw) <= dupScanLimit {
		for j := 1; j < len(raw); j++ {
			for i := range j {
				if raw[i].local == raw[j].local && raw[i].prefix == raw[j].prefix {
					return p.errAt(raw[j].pos, "duplicate attribute %s", qname(raw[j].prefix, raw[j].local))
				}
			}
		}
		return nil
	}
	seen := make(map[[2]string]struct{}, len(raw))
	for _, r := range raw {
		k := [2]string{r.prefix, r.local}
		if _, dup := seen[k]; dup {
			return p.errAt(r.pos, "duplicate attribute %s", qname(r.prefix, r.local))
		}
		seen[k] = struct{}{}
	}
	return nil
}

// expandedDuplicates rejects two attributes with different prefixes bound
// to the same namespace and the same local name (Namespaces in XML §6.3).
func (p *parser) expandedDuplicates(attrs []Attr) error {
	if len(attrs) < 2 {
		return nil
	}
	fail := func(a Attr) error {
		return p.errAt(p.rawPos(a.Name), "duplicate attribute %s: namespace %q and local name %q are already used", qname(a.Name.Prefix, a.Name.Local), a.Name.Space, a.Name.Local)
	}
	if len(attrs) <= dupScanLimit {
		for j := 1; j < len(attrs); j++ {
			for i := range j {
				if attrs[j].Name.Space != "" && attrs[i].Name.Local == attrs[j].Name.Local && attrs[i].Name.Space == attrs[j].Name.Space {
					return fail(attrs[j])
				}
			}
		}
		return nil
	}
	seen := make(map[[2]string]struct{}, len(attrs))
	for _, a := range attrs {
		if a.Name.Space == "" {
			continue
		}
		k := [2]string{a.Name.Space, a.Name.Local}
		if _, dup := seen[k]; dup {
			return fail(a)
		}
		seen[k] = struct{}{}
	}
	return nil
}

func (p *parser) rawPos(n Name) int {
	for _, r := range p.raw {
		if r.prefix == n.Prefix && r.local == n.Local {
			return r.pos
		}
	}
	return p.pos
}

func (p *parser) endTag() error {
	// Fast path: the end tag repeats the open element's name exactly and
	// is closed at once; that name was validated at the start tag.
	if len(p.open) > 0 {
		top := p.open[len(p.open)-1]
		if i := p.matchName(p.pos+2, top.n.Name); i >= 0 && i < len(p.s) && p.s[i] == '>' {
			p.pos = i + 1
			p.closeTop(top)
			return nil
		}
	}
	start := p.pos
	p.pos += 2
	prefix, local, err := p.qname()
	if err != nil {
		return err
	}
	p.skipSpace()
	if p.pos >= len(p.s) {
		return p.eof("end tag")
	}
	if p.s[p.pos] != '>' {
		return p.errAt(p.pos, "expected > in end tag </%s>", qname(prefix, local))
	}
	p.pos++
	if len(p.open) == 0 {
		return p.errAt(start, "unexpected end tag </%s>", qname(prefix, local))
	}
	top := p.open[len(p.open)-1]
	if top.n.Name.Local != local || top.n.Name.Prefix != prefix {
		return p.errAt(start, "unexpected end tag </%s>, expected </%s>", qname(prefix, local), qname(top.n.Name.Prefix, top.n.Name.Local))
	}
	p.closeTop(top)
	return nil
}

// matchName returns the offset after n's qualified name if the input at i
// starts with it, or -1.
func (p *parser) matchName(i int, n Name) int {
	s := p.s
	if n.Prefix != "" {
		if !strings.HasPrefix(s[i:], n.Prefix) || i+len(n.Prefix) >= len(s) || s[i+len(n.Prefix)] != ':' {
			return -1
		}
		i += len(n.Prefix) + 1
	}
	if !strings.HasPrefix(s[i:], n.Local) {
		return -1
	}
	return i + len(n.Local)
}

func (p *parser) closeTop(top openElem) {
	p.scope.pop(top.mark)
	p.open[len(p.open)-1] = openElem{}
	p.open = p.open[:len(p.open)-1]
	p.cur = top.n.Parent
}
