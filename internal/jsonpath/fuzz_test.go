package jsonpath

import (
	"errors"
	"testing"

	"github.com/busbar/busbar/internal/jsontree"
)

var fuzzDoc = func() *jsontree.Value {
	v, err := jsontree.Parse([]byte(bookstore))
	if err != nil {
		panic(err)
	}
	v.Set("misc", jsontree.NewArray(jsontree.NewNull(), jsontree.NewArray(), jsontree.NewObject(),
		jsontree.NewString("😀x"), jsontree.NewNumber("-1e3"), jsontree.NewBool(true)))
	return v
}()

// FuzzCompile checks that Compile never panics, reports only
// *SyntaxError, and that what compiles can be evaluated against a fixed
// document, selected, located and edited without panicking.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		`$.store.book[*].author`, `$..author`, `$.store.*`, `$..book[-2:]`, `$..book[0,1]`,
		`$..book[?(@.isbn)]`, `$..book[?(@.price <= $['expensive'])]`, `$..book[?(@.author =~ /.*REES/i)]`,
		`$..book.length()`, `$.misc[?(@ in [null, true])]`, `$['store','x'].book[1:-1]`,
		`$[?(!(@.a == 'x' && @.b nin [1,2]) || @.c size 2)]`, `$.misc.concat("a", $.expensive)`,
		`$..*`, `@.x`, `$.a[?(@.b empty true)].c.sum(1, -2)`, `$[?(@.t anyof ['a'])]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := Compile(src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Compile(%q) error %T: %v", src, err, err)
			}
			return
		}
		doc := fuzzDoc.Clone()
		if _, err := p.Select(doc); err != nil {
			return
		}
		if _, _, err := p.EvalString(doc); err != nil {
			t.Fatalf("EvalString failed where Select did not: %v", err)
		}
		locs, err := p.Locate(doc)
		if err != nil {
			return
		}
		for _, l := range locs {
			l.Set(jsontree.NewString("x"))
		}
		for _, l := range locs {
			l.Delete()
		}
		if _, err := jsontree.Parse([]byte(doc.String())); err != nil {
			t.Fatalf("edited document does not re-parse: %v", err)
		}
	})
}
