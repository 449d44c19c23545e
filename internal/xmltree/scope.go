package xmltree

// binding is one prefix→URI binding on a scope stack. prev is the index of
// the binding of the same prefix that it shadows, or -1; it is maintained
// only once the stack has an index.
type binding struct {
	prefix, uri string
	prev        int32
}

// indexThreshold is the stack size beyond which lookups go through a map.
// Real messages bind a handful of prefixes, and a linear scan over them is
// cheaper than hashing; a hostile document that binds thousands of prefixes
// on nested elements would otherwise make every lookup linear in its size.
const indexThreshold = 32

// nsScope is a stack of namespace bindings, innermost last. It serves both
// the parser (bindings read from the input) and the serialiser (bindings
// already written to the output).
type nsScope struct {
	b   []binding
	idx map[string]int32
}

func (s *nsScope) push(prefix, uri string) {
	prev := int32(-1)
	if s.idx != nil {
		if i, ok := s.idx[prefix]; ok {
			prev = i
		}
		s.idx[prefix] = int32(len(s.b))
	}
	s.b = append(s.b, binding{prefix, uri, prev})
	if s.idx == nil && len(s.b) > indexThreshold {
		s.buildIndex()
	}
}

func (s *nsScope) buildIndex() {
	s.idx = make(map[string]int32, len(s.b))
	for i := range s.b {
		b := &s.b[i]
		b.prev = -1
		if j, ok := s.idx[b.prefix]; ok {
			b.prev = j
		}
		s.idx[b.prefix] = int32(i)
	}
}

// pop removes the bindings pushed since the stack had length mark.
func (s *nsScope) pop(mark int) {
	if s.idx != nil {
		for i := len(s.b) - 1; i >= mark; i-- {
			b := s.b[i]
			if b.prev >= 0 {
				s.idx[b.prefix] = b.prev
			} else {
				delete(s.idx, b.prefix)
			}
		}
	}
	clear(s.b[mark:])
	s.b = s.b[:mark]
}

// lookup returns the URI bound to prefix. The xml prefix is always bound;
// an undeclared default namespace (xmlns="") reports "" and true.
func (s *nsScope) lookup(prefix string) (string, bool) {
	if prefix == "xml" {
		return xmlURI, true
	}
	if s.idx != nil {
		if i, ok := s.idx[prefix]; ok {
			return s.b[i].uri, true
		}
		return "", false
	}
	for i := len(s.b) - 1; i >= 0; i-- {
		if s.b[i].prefix == prefix {
			return s.b[i].uri, true
		}
	}
	return "", false
}

// reset empties the stack for reuse, dropping references into old input.
func (s *nsScope) reset() {
	clear(s.b[:cap(s.b)])
	s.b = s.b[:0]
	s.idx = nil
}
