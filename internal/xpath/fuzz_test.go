package xpath

import (
	"slices"
	"strings"
	"testing"
)

// fuzzSeeds are expressions covering every construct; the table tests'
// expressions are added too.
var fuzzSeeds = []string{
	"//order/id = '42'",
	"/a/b[@c = 'd'][2]/following-sibling::*[last()]",
	"count(//*[self::a or self::b]) div 3 mod 2",
	"ancestor-or-self::node()[lang('en')]/@xml:lang",
	"namespace::* | @* | preceding::comment() | following::processing-instruction('x')",
	"substring(normalize-space(string(.)), -1 div 0, 0 div 0)",
	"translate(concat('a', $ctx:foo, ext:upper('b')), 'ab', 'B')",
	"(//para)[position() > 1 and position() < last()]/..",
	"$body//x:item[1]/text()",
	"- - -1 <= --'2' != true() > false()",
	"div div div * * * mod mod",
	"round(-0.5) + floor(2.5) + ceiling(-2.5) + sum(//@n)",
	"id('a b')/child::node()[1]",
	"'unterminated",
	"((((1))))",
	"child::b[2]/child::node()",
	"descendant::node()[self::text() or self::comment()]",
	"descendant-or-self::*[@c]/@c",
	"//x:item/parent::*/preceding-sibling::b",
	"//text()/ancestor::*[1]",
	"//b[last()]/preceding::node()[2]",
	"/a/b[1]/following::*",
	"//q:item/namespace::x/..",
	"//@*[name() = 'xml:lang']",
	"//b[@c = 'e']//q:item/@n * 2",
	"sum(//@n) = count(//b)",
	"//b = 'tu' or //b != 'v'",
	"//b/@c < //q:item/@n",
	"(//b | //q:item | /a)[position() = 2]",
	"//node()[last()]",
	"//b[2]/node()[1]",
	"//*[starts-with(name(), 'x')]",
	"local-name(//*[namespace-uri() = 'urn:x'])",
	"substring-before(//b[1], 'u')",
	"substring-after(string(/a), 'v')",
	"string-length(normalize-space(/a)) > 3",
	"boolean(//comment()) and not(//processing-instruction('z'))",
	"number(//@n) + round(-1.5) - ceiling(1.1) * floor(0.9)",
	"el('1')/b",
	"get-property('a') = 'prop:a'",
	"$ids[2]/..",
	"$n mod 5 div $flag",
	"ext:first(//b)[2]/@c",
	"//b[ext:pos() = 2]",
	"ext:rev()",
}

// fuzzDoc is small so that pathological expressions (nested
// predicates over every node) still finish quickly.
const fuzzDoc = `<a xmlns:x="urn:x" id="1" xml:lang="en"><b c="d">t<![CDATA[u]]></b><b c="e"><x:item n="2">v</x:item><!--c--><?x y?></b>w</a>`

func FuzzCompile(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	doc := parseDoc(f, fuzzDoc)
	opts := testOptions(doc, nil)
	ctx := doc.FirstChild.FirstChild
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Compile(src, opts)
		if err != nil {
			if _, ok := err.(*SyntaxError); !ok {
				t.Fatalf("Compile(%q) returned %T, not *SyntaxError", src, err)
			}
			_ = err.Error()
			return
		}
		if e.String() != src {
			t.Fatalf("String() = %q, want %q", e.String(), src)
		}
		// Each nested predicate multiplies the work by the document size;
		// skip evaluating the few inputs that would take seconds.
		if strings.Count(src, "[") > 4 {
			return
		}
		env := &docEnv{doc: doc}
		v1, err1 := e.Evaluate(env)
		v2, err2 := e.EvaluateAt(ctx, env)
		for _, v := range []Value{v1, v2} {
			_, _, _ = v.String(), v.Number(), v.Bool()
			for _, n := range v.Nodes() {
				_, _, _ = n.StringValue(), n.Name(), n.NamespaceURI()
			}
			if nodes := v.Nodes(); !slices.Equal(sortSet(slices.Clone(nodes)), nodes) {
				t.Fatalf("%q: node-set %s is not sorted and unique", src, describe(v))
			}
		}
		// The rewrites and fast paths must not change the result.
		plain, err := compile(src, opts, true)
		if err != nil {
			t.Fatalf("%q compiles only with rewrites: %v", src, err)
		}
		p1, perr1 := plain.Evaluate(env)
		p2, perr2 := plain.EvaluateAt(ctx, env)
		if describe(p1) != describe(v1) || (perr1 == nil) != (err1 == nil) ||
			describe(p2) != describe(v2) || (perr2 == nil) != (err2 == nil) {
			t.Fatalf("%q: %s %v, %s %v with rewrites; %s %v, %s %v without",
				src, describe(v1), err1, describe(v2), err2, describe(p1), perr1, describe(p2), perr2)
		}
		if !e.NeedsNode() && err1 == nil {
			// An expression that needs no node must give the same result
			// without an Env (extension functions may still see it).
			v3, err3 := e.Evaluate(nil)
			if err3 == nil && describe(v3) != describe(v1) && !strings.Contains(src, "env") {
				t.Fatalf("%q: %s with an Env, %s without", src, describe(v1), describe(v3))
			}
		}
		_ = err2
	})
}
