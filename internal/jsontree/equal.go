package jsontree

// Equal reports whether a and b are the same JSON value: numbers are equal
// when their values are (1.0 equals 1), and objects when they have the same
// keys with equal values in any order, looking at the value Get returns for
// a repeated key. This is the equality JSONPath filters and most JSON
// libraries use; compare String() output instead to include member order and
// number spelling.
func Equal(a, b *Value) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case Null:
		return true
	case Bool:
		return a.Bool == b.Bool
	case Number:
		if c, ok := CompareNumbers(a.Str, b.Str); ok {
			return c == 0
		}
		return a.Str == b.Str
	case String:
		return a.Str == b.Str
	case Array:
		if len(a.Arr) != len(b.Arr) {
			return false
		}
		for i := range a.Arr {
			if !Equal(a.Arr[i], b.Arr[i]) {
				return false
			}
		}
		return true
	}
	return equalObjects(a, b)
}

func equalObjects(a, b *Value) bool {
	ka, kb := distinctKeys(a), distinctKeys(b)
	if ka != kb {
		return false
	}
	get := b.Get
	if len(b.Obj) > 16 {
		last := make(map[string]*Value, len(b.Obj))
		for _, m := range b.Obj {
			last[m.Key] = m.Value
		}
		get = func(k string) *Value { return last[k] }
	}
	for i, m := range a.Obj {
		if a.lookup(m.Key) != i {
			continue // shadowed by a later duplicate
		}
		if !Equal(m.Value, get(m.Key)) {
			return false
		}
	}
	return true
}

func distinctKeys(v *Value) int {
	if len(v.Obj) > 16 {
		seen := make(map[string]struct{}, len(v.Obj))
		for _, m := range v.Obj {
			seen[m.Key] = struct{}{}
		}
		return len(seen)
	}
	n := 0
	for i, m := range v.Obj {
		if v.lookup(m.Key) == i {
			n++
		}
	}
	return n
}
