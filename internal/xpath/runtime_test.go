package xpath

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/busbar/busbar/internal/xmltree"
)

func TestEvaluationErrors(t *testing.T) {
	t.Parallel()
	doc := parseDoc(t, testDoc)
	opts := testOptions(doc, nil)
	envErr := errors.New("body is not XML")
	cases := []struct {
		name, src string
		env       Env
		is        error
		msg       string
	}{
		{"nil env", "//para", nil, ErrNoContextNode, ""},
		{"nil node", "string()", &docEnv{}, ErrNoContextNode, ""},
		{"env error", "count(//a)", errEnv{envErr}, envErr, ""},
		{"env error in union", "$ids | //a", errEnv{envErr}, envErr, ""},
		{"env error in lang", "lang('en')", errEnv{envErr}, envErr, ""},
		{"function error", "ext:fail()", nil, errFail, "xpath: ext:fail(): deliberate failure"},
		{"function error in argument", "ext:upper(ext:fail())", nil, errFail, ""},
		{"function error in predicate", "//para[ext:fail()]", &docEnv{doc: doc}, errFail, ""},
		{"function error in filter", "(//para)[ext:fail()]", &docEnv{doc: doc}, errFail, ""},
		{"function error in later step", "//chapter/para[ext:fail()]", &docEnv{doc: doc}, errFail, ""},
		{"function error in comparison", "1 = ext:fail()", nil, errFail, ""},
		{"variable error", "$broken", nil, errFail, "xpath: variable $broken: deliberate failure"},
		{"count of number variable", "count($n)", nil, nil, "xpath: argument of count() is a number, not a node-set"},
		{"path from number variable", "$n/x", nil, nil, `xpath: expression before "/" is a number, not a node-set`},
		{"filter of string variable", "$ctx:foo[1]", nil, nil, "xpath: filtered expression is a string, not a node-set"},
		{"union of boolean variable", "$flag | $ids", nil, nil, `xpath: operand of "|" is a boolean, not a node-set`},
		{"union right operand", "$ids | $flag", nil, nil, `xpath: operand of "|" is a boolean, not a node-set`},
		{"name of number", "name($n)", nil, nil, "xpath: argument of name() is a number, not a node-set"},
		{"sum of string", "sum($ctx:foo)", nil, nil, "xpath: argument of sum() is a string, not a node-set"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := MustCompile(tc.src, opts).Evaluate(tc.env)
			if err == nil {
				t.Fatalf("Evaluate(%q) = %s, want an error", tc.src, describe(v))
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("Evaluate(%q) = %v, want %v", tc.src, err, tc.is)
			}
			if tc.msg != "" && err.Error() != tc.msg {
				t.Errorf("Evaluate(%q) = %q, want %q", tc.src, err, tc.msg)
			}
		})
	}
}

func TestLazyContextNode(t *testing.T) {
	t.Parallel()
	doc := parseDoc(t, testDoc)
	opts := testOptions(doc, nil)
	cases := []struct {
		src   string
		calls int32
	}{
		{"$ctx:foo = 'bar'", 0},
		{"ext:upper('a')", 0},
		{"count($ids/..)", 0},
		{"//para", 1},
		{"//para | //title | .", 1},
		{"string() = name()", 1},
		{"$ctx:foo = 'x' and //para", 0},
		{"$ctx:foo = 'bar' and //para", 1},
		{"ext:self-id()", 1},
	}
	for _, tc := range cases {
		t.Run(tc.src, func(t *testing.T) {
			t.Parallel()
			env := &docEnv{doc: doc}
			if _, err := MustCompile(tc.src, opts).Evaluate(env); err != nil {
				t.Fatal(err)
			}
			if got := env.calls.Load(); got != tc.calls {
				t.Errorf("ContextNode called %d times, want %d", got, tc.calls)
			}
		})
	}
}

func TestEvaluateAt(t *testing.T) {
	t.Parallel()
	doc := parseDoc(t, testDoc)
	e := MustCompile("string(@id)", nil)
	v, err := e.EvaluateAt(byID(doc, "p4"), nil)
	if err != nil || v.String() != "p4" {
		t.Errorf("EvaluateAt = %v, %v", v, err)
	}
	// A nil node falls back to the Env.
	v, err = MustCompile("count(/doc)", nil).EvaluateAt(nil, &docEnv{doc: doc})
	if err != nil || v.Number() != 1 {
		t.Errorf("EvaluateAt(nil) = %v, %v", v, err)
	}
	// Absolute paths start at the root of the context node's tree, even
	// one that is not a document.
	frag := byID(parseDoc(t, `<r><a id="x"><b/></a></r>`), "x")
	frag.Parent.FirstChild, frag.Parent.LastChild, frag.Parent = nil, nil, nil
	v, err = MustCompile("name(/)", nil).EvaluateAt(frag.FirstChild, nil)
	if err != nil || v.String() != "a" {
		t.Errorf("root of a detached element: %v, %v", v, err)
	}
}

// TestResultsAreOwned checks that node-sets returned by Evaluate are not
// scratch buffers that a later evaluation overwrites.
func TestResultsAreOwned(t *testing.T) {
	t.Parallel()
	doc := parseDoc(t, testDoc)
	env := &docEnv{doc: doc}
	first, err := MustCompile("//para", nil).Evaluate(env)
	if err != nil {
		t.Fatal(err)
	}
	before := describe(first)
	for range 100 {
		if _, err := MustCompile("//title | //item", nil).Evaluate(env); err != nil {
			t.Fatal(err)
		}
	}
	if after := describe(first); after != before {
		t.Errorf("result changed from %s to %s", before, after)
	}
}

func TestConcurrentEvaluation(t *testing.T) {
	t.Parallel()
	doc := parseDoc(t, testDoc)
	opts := testOptions(doc, nil)
	exprs := []struct{ src, want string }{
		{"//para[@type='warning']", "[p1 p3 p4 p5]"},
		{"count(//*)", "35"},
		{"ext:upper($ctx:foo)", `"BAR"`},
		{"//item/@n = 4.5", "true"},
		{"(//para)[last()]/preceding::title", "[t1 t2]"},
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Go(func() {
			env := &docEnv{doc: doc}
			for i := range 200 {
				x := exprs[(g+i)%len(exprs)]
				v, err := MustCompile(x.src, opts).Evaluate(env)
				if err != nil {
					errs <- err
					return
				}
				if got := describe(v); got != x.want {
					errs <- fmt.Errorf("%s = %s, want %s", x.src, got, x.want)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestDocumentOrder(t *testing.T) {
	t.Parallel()
	doc := parseDoc(t, `<a xmlns:p="urn:p" x="1" y="2"><b xmlns:q="urn:q" z="3"><c/></b><d/></a>`)
	other := parseDoc(t, `<o/>`)
	a := doc.FirstChild
	b, d := a.FirstChild, a.LastChild
	c := b.FirstChild
	nsB := (&step{axis: axisNamespace, test: nodeTest{kind: testNode}}).gather(NodeOf(b), nil, 0)
	if len(nsB) != 3 {
		t.Fatalf("namespaces of b: %d", len(nsB))
	}
	ordered := []NodeRef{
		NodeOf(doc), NodeOf(a), AttrOf(a, 0), AttrOf(a, 1),
		NodeOf(b), nsB[0], nsB[1], nsB[2], AttrOf(b, 0), NodeOf(c), NodeOf(d),
	}
	for i, x := range ordered {
		for j, y := range ordered {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := compareOrder(x, y); got != want {
				t.Errorf("compareOrder(%d, %d) = %d, want %d", i, j, got, want)
			}
		}
	}
	shuffled := slices.Clone(ordered)
	slices.Reverse(shuffled)
	shuffled = append(shuffled, ordered[3], ordered[0])
	if got := sortSet(shuffled); !slices.Equal(got, ordered) {
		t.Errorf("sortSet = %v", got)
	}
	// Nodes of different documents get some consistent order.
	o := NodeOf(other.FirstChild)
	if compareOrder(o, NodeOf(a)) != -compareOrder(NodeOf(a), o) || compareOrder(o, NodeOf(a)) == 0 {
		t.Error("cross-document order is not antisymmetric")
	}
	if compareOrder(o, NodeOf(c)) != compareOrder(o, NodeOf(a)) {
		t.Error("cross-document order is not per document")
	}
}

func TestSiblingOrderLongLists(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("<r>")
	for i := range 300 {
		fmt.Fprintf(&b, "<e i='%d'/>", i)
	}
	b.WriteString("</r>")
	doc := parseDoc(t, b.String())
	v, err := MustCompile("//e[@i mod 7 = 0] | //e[@i mod 5 = 0] | //e[@i = 299]", nil).EvaluateAt(doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	prev := -1
	for _, n := range v.Nodes() {
		i := int(ParseNumber(n.Node().Attrs[0].Value))
		if i <= prev {
			t.Fatalf("out of order: %d after %d", i, prev)
		}
		prev = i
	}
	if len(v.Nodes()) != 43+60-9+1 {
		t.Errorf("union has %d nodes", len(v.Nodes()))
	}
}

func TestTextRuns(t *testing.T) {
	t.Parallel()
	doc := parseDoc(t, `<r><a>foo<![CDATA[bar]]>baz<b/>x<![CDATA[]]></a><c><![CDATA[]]></c></r>`)
	// An edit can leave an empty text node behind.
	empty := &xmltree.Node{Type: xmltree.TextNode}
	c := doc.FirstChild.LastChild
	c.FirstChild.NextSibling, empty.PrevSibling, empty.Parent, c.LastChild = empty, c.FirstChild, c, empty
	runs := []struct{ src, want string }{
		{"count(/r/a/text())", "2"},
		{"string(/r/a/text()[1])", "foobarbaz"},
		{"/r/a/text() = 'foobarbaz'", "true"},
		{"/r/a/text() = 'foobar'", "false"},
		{"count(/r/a/node())", "3"},
		{"name(/r/a/text()[1]/following-sibling::node()[1])", "b"},
		{"string(/r/a/b/preceding-sibling::node())", "foobarbaz"},
		{"count(/r/a/b/following::text())", "1"},
		{"count(/r/c/node())", "0"},
		{"count(//text())", "2"},
		{"string(/r/a)", "foobarbazx"},
	}
	for _, r := range runs {
		v, err := MustCompile(r.src, nil).EvaluateAt(doc, nil)
		if err != nil {
			t.Fatal(err)
		}
		if v.String() != r.want {
			t.Errorf("%s = %q, want %q", r.src, v.String(), r.want)
		}
	}
}

// TestAllocations checks the allocation budget of the request path.
func TestAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop evaluators")
	}
	doc := parseDoc(t, benchDoc)
	env := &docEnv{doc: doc}
	opts := benchOptions()
	cases := []struct {
		src  string
		max  float64
		want string
	}{
		{"//order/id = '42'", 0, "true"},
		{"/soapenv:Envelope/soapenv:Body/m:orders/order[2]/id = '42'", 0, "true"},
		{"ext:fn('X') = 'y'", 0, "true"},
		{"count(//item) > 3 and //order[id = '42']/customer/@tier = 'gold'", 0, "true"},
		{"$ctx:foo = 'bar'", 0, "true"},
	}
	for _, tc := range cases {
		e := MustCompile(tc.src, opts)
		var got Value
		allocs := testing.AllocsPerRun(100, func() {
			got, _ = e.Evaluate(env)
		})
		if got.String() != tc.want {
			t.Errorf("%s = %s, want %s", tc.src, got.String(), tc.want)
		}
		if allocs > tc.max {
			t.Errorf("%s: %v allocations, want at most %v", tc.src, allocs, tc.max)
		}
	}
}
