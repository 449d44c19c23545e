package jsonpath

import (
	"errors"
	"testing"

	"github.com/busbar/busbar/internal/jsontree"
)

func TestLocateEdits(t *testing.T) {
	t.Parallel()
	const doc = `{"a":{"x":1,"y":2},"arr":[1,2,3,4],"items":[{"p":5},{"p":20},{"p":30}]}`
	tests := []struct {
		name, path string
		edit       func(l Location)
		want       string
	}{
		{"replace member", `$.a.x`, func(l Location) { l.Set(jsontree.NewString("new")) },
			`{"a":{"x":"new","y":2},"arr":[1,2,3,4],"items":[{"p":5},{"p":20},{"p":30}]}`},
		{"delete member", `$.a.y`, func(l Location) { l.Delete() },
			`{"a":{"x":1},"arr":[1,2,3,4],"items":[{"p":5},{"p":20},{"p":30}]}`},
		{"delete several elements in order", `$.arr[?(@ > 1)]`, func(l Location) { l.Delete() },
			`{"a":{"x":1,"y":2},"arr":[1],"items":[{"p":5},{"p":20},{"p":30}]}`},
		{"replace filtered elements", `$.items[?(@.p > 10)]`, func(l Location) { l.Set(jsontree.NewNull()) },
			`{"a":{"x":1,"y":2},"arr":[1,2,3,4],"items":[{"p":5},null,null]}`},
		{"insert sibling after each match", `$.arr[0,2]`, func(l Location) {
			i, _ := l.Index()
			l.Parent().Insert(i+1, jsontree.NewString("s"))
		}, `{"a":{"x":1,"y":2},"arr":[1,"s",2,3,"s",4],"items":[{"p":5},{"p":20},{"p":30}]}`},
		{"add child to each match", `$.items[*]`, func(l Location) { l.Value().Set("q", jsontree.NewBool(true)) },
			`{"a":{"x":1,"y":2},"arr":[1,2,3,4],"items":[{"p":5,"q":true},{"p":20,"q":true},{"p":30,"q":true}]}`},
		{"deep scan delete", `$..p`, func(l Location) { l.Delete() },
			`{"a":{"x":1,"y":2},"arr":[1,2,3,4],"items":[{},{},{}]}`},
		{"merged names locate separately", `$.a['x','y']`, func(l Location) { l.Set(jsontree.NewNumber("0")) },
			`{"a":{"x":0,"y":0},"arr":[1,2,3,4],"items":[{"p":5},{"p":20},{"p":30}]}`},
		{"set root", `$`, func(l Location) { l.Set(parse(t, `{"r":1}`)) }, `{"r":1}`},
		{"delete root", `$`, func(l Location) { l.Delete() }, `null`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := parse(t, doc)
			locs, err := MustCompile(tc.path).Locate(root)
			if err != nil {
				t.Fatal(err)
			}
			if len(locs) == 0 {
				t.Fatalf("%s located nothing", tc.path)
			}
			for _, l := range locs {
				tc.edit(l)
			}
			if got := root.String(); got != tc.want {
				t.Errorf("%s\n got %s\nwant %s", tc.path, got, tc.want)
			}
		})
	}
}

func TestLocationAccessors(t *testing.T) {
	t.Parallel()
	root := parse(t, `{"o":{"k":[10,20]}}`)
	locs, err := MustCompile(`$.o.k[1]`).Locate(root)
	if err != nil || len(locs) != 1 {
		t.Fatalf("Locate: %v %v", locs, err)
	}
	l := locs[0]
	if i, ok := l.Index(); !ok || i != 1 || l.Value().Str != "20" || l.IsRoot() {
		t.Errorf("index location: %d %v %v", i, ok, l.Value())
	}
	if _, ok := l.Key(); ok {
		t.Error("array element has a key")
	}
	locs, _ = MustCompile(`$.o.k`).Locate(root)
	if k, ok := locs[0].Key(); !ok || k != "k" || locs[0].Parent() != root.Get("o") {
		t.Errorf("member location: %q %v", k, ok)
	}
	if _, err := MustCompile(`$.o.k.length()`).Locate(root); !errors.Is(err, ErrNotLocatable) {
		t.Errorf("function path: %v", err)
	}
}
