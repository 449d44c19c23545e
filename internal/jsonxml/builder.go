package jsonxml

import "github.com/busbar/busbar/internal/jsontree"

// builder turns the writer's name/value/object events into a tree the way
// staxon's AutoArrayTarget and MI's JsonStreamTargetImpl turn them into
// text: a name equal to the previous member's name continues that member
// as an array, and an object whose only member is one of MI's wrapper
// names stands for that member's value.
type builder struct {
	stack []*frame
}

type frame struct {
	fields []field
}

type field struct {
	name  string
	vals  []*jsontree.Value
	array bool
}

func (b *builder) top() *frame { return b.stack[len(b.stack)-1] }

func (b *builder) startObject() { b.stack = append(b.stack, &frame{}) }

func (b *builder) name(n string) {
	f := b.top()
	if k := len(f.fields); k > 0 && f.fields[k-1].name == n {
		f.fields[k-1].array = true
		return
	}
	f.fields = append(f.fields, field{name: n})
}

func (b *builder) startArray() {
	f := b.top()
	f.fields[len(f.fields)-1].array = true
}

func (b *builder) value(v *jsontree.Value) {
	f := b.top()
	last := &f.fields[len(f.fields)-1]
	last.vals = append(last.vals, v)
}

// endObject closes the innermost object and returns its value.
func (b *builder) endObject() *jsontree.Value {
	f := b.top()
	b.stack = b.stack[:len(b.stack)-1]
	if len(f.fields) == 1 {
		switch fd := &f.fields[0]; fd.name {
		case rootObject, rootArray, arrayItem:
			return fd.value()
		case emptyObject:
			if !fd.array && len(fd.vals) == 1 && fd.vals[0].Kind == jsontree.String && fd.vals[0].Str == emptyMarker {
				return jsontree.NewObject()
			}
		}
	}
	obj := jsontree.NewObject()
	obj.Obj = make([]jsontree.Member, len(f.fields))
	for i := range f.fields {
		obj.Obj[i] = jsontree.Member{Key: f.fields[i].name, Value: f.fields[i].value()}
	}
	return obj
}

// endObjectInto closes the innermost object as the value of the current
// member of the one around it.
func (b *builder) endObjectInto() { b.value(b.endObject()) }

func (fd *field) value() *jsontree.Value {
	if fd.array {
		return jsontree.NewArray(fd.vals...)
	}
	if len(fd.vals) == 0 {
		return jsontree.NewNull()
	}
	return fd.vals[0]
}
