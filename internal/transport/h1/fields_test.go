package h1

import (
	"net/http"
	"reflect"
	"testing"
)

func TestFields(t *testing.T) {
	type line struct {
		key, value string // key "" is a folded line
	}
	for _, tc := range []struct {
		name   string
		text   string
		lines  []line
		want   http.Header
		folded bool // Fold reports success
	}{
		{"single_values", "/a?b", []line{{"Host", "h"}, {"Content-Type", "text/xml"}}, http.Header{"Host": {"h"}, "Content-Type": {"text/xml"}}, true},
		{"repeated_in_order", "", []line{{"Set-Cookie", "a"}, {"X", "1"}, {"Set-Cookie", "b"}}, http.Header{"Set-Cookie": {"a", "b"}, "X": {"1"}}, true},
		{"folded_value", "t", []line{{"X-Long", "one"}, {"", "two"}, {"Y", ""}}, http.Header{"X-Long": {"one two"}, "Y": {""}}, true},
		{"fold_without_value", "", []line{{"", "two"}}, http.Header{}, false},
		{"grows_past_its_buffers", "", func() []line {
			var ls []line
			for range 40 {
				ls = append(ls, line{"X", "0123456789"})
			}
			return ls
		}(), func() http.Header {
			h := http.Header{}
			for range 40 {
				h["X"] = append(h["X"], "0123456789")
			}
			return h
		}(), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var arena [16]byte
			var list [2]Field
			f := NewFields(arena[:], list[:])
			f, end := f.Text([]byte(tc.text))
			folded := true
			for _, l := range tc.lines {
				if l.key == "" {
					var ok bool
					f, ok = f.Fold([]byte(l.value))
					folded = ok && folded
					continue
				}
				f = f.Add(l.key, []byte(l.value))
			}
			h := http.Header{}
			all := f.Build(h)
			if all[:end] != tc.text {
				t.Errorf("text %q, want %q", all[:end], tc.text)
			}
			if folded != tc.folded {
				t.Errorf("Fold reported %v", folded)
			}
			if !reflect.DeepEqual(h, tc.want) {
				t.Errorf("header %v, want %v", h, tc.want)
			}
			if vs := h["Set-Cookie"]; len(vs) == 2 {
				// A repeated value must not overwrite a neighbour's slot.
				h["X"] = append(h["X"], "extra")
				if h["Set-Cookie"][1] != "b" {
					t.Error("appending to one header changed another")
				}
			}
		})
	}
}
