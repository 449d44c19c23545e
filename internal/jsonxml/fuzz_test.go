package jsonxml

import (
	"errors"
	"testing"

	"github.com/busbar/busbar/internal/jsontree"
	"github.com/busbar/busbar/internal/jsontree/javanum"
)

// FuzzRoundTrip checks that any JSON converts to XML and back without
// panicking, and that JSON which needs none of MI's lossy rules (arrays
// kept by processing instructions, keys that are plain names, no null,
// empty or typed-looking strings) comes back unchanged.
func FuzzRoundTrip(f *testing.F) {
	for _, s := range []string{
		`{"a":1,"b":{"c":"x"}}`, `[1,[2,[]],{"k":[null]}]`, `{"@id":"1","$":"t"}`, `{"0":{"$x":[true]}}`,
		`"s"`, `{"a b":{"":1}}`, `{"jsonObject":{"jsonArray":[1]}}`, `{"x":{"$":{"y":1}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := jsontree.Parse(data)
		if err != nil {
			return
		}
		for _, o := range []Options{{}, {ProcessingInstructions: true, ValidNCNames: true}} {
			el := o.ToXML(v)
			back, err := o.FromXML(el)
			if err != nil {
				if !errors.Is(err, ErrMixedContent) && el.Name.Local != rootValue {
					t.Fatalf("FromXML(ToXML(%s)): %v", data, err)
				}
				continue
			}
			if _, err := jsontree.Parse([]byte(back.String())); err != nil {
				t.Fatalf("FromXML output does not parse: %v", err)
			}
			if o.ProcessingInstructions && lossless(v, true) && !jsontree.Equal(v, back) {
				t.Fatalf("round trip of %s gave %s", v, back)
			}
			_ = el.String() // MI writes names as keys give them, valid or not
		}
	})
}

// lossless reports whether v avoids every rule that changes a value on a
// round trip.
func lossless(v *jsontree.Value, top bool) bool {
	switch v.Kind {
	case jsontree.Null:
		return false
	case jsontree.String:
		return v.Str != "" && !blank(v.Str) && v.Str != "true" && v.Str != "false" && v.Str != "null" && !jsontree.ValidNumber(v.Str)
	case jsontree.Number:
		s, _ := bigDecimal(v.Str)
		return s == v.Str
	case jsontree.Bool:
		return true
	case jsontree.Array:
		for _, e := range v.Arr {
			if !lossless(e, false) {
				return false
			}
		}
		return !top || len(v.Arr) > 0
	}
	if len(v.Obj) == 0 {
		return false
	}
	seen := map[string]bool{}
	for i, m := range v.Obj {
		if seen[m.Key] || !plainKey(m.Key) || !lossless(m.Value, false) {
			return false
		}
		if i > 0 && v.Obj[i-1].Key == m.Key {
			return false
		}
		seen[m.Key] = true
	}
	return true
}

func plainKey(k string) bool {
	if k == "" || k[0] == '@' || k[0] == '$' || k == rootObject || k == rootArray || k == arrayItem || k == emptyObject {
		return false
	}
	return true
}

func bigDecimal(s string) (string, bool) { return javanum.BigDecimalString(s) }
