package xpath

import (
	"testing"
)

type evalCase struct {
	name string
	ctx  string // expression selecting the context node; "" for the Env's
	src  string
	want string // as rendered by describe
}

// runEval evaluates the cases against testDoc.
func runEval(t *testing.T, cases []evalCase) {
	t.Helper()
	doc := parseDoc(t, testDoc)
	opts := testOptions(doc, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := &docEnv{doc: doc}
			e, err := Compile(tc.src, opts)
			if err != nil {
				t.Fatalf("Compile(%q): %v", tc.src, err)
			}
			var got Value
			if tc.ctx == "" {
				got, err = e.Evaluate(env)
			} else {
				at, cerr := MustCompile(tc.ctx, opts).Evaluate(env)
				if cerr != nil || len(at.Nodes()) != 1 {
					t.Fatalf("context %q: %v %v", tc.ctx, describe(at), cerr)
				}
				got, err = e.EvaluateRef(at.Nodes()[0], env)
			}
			if err != nil {
				t.Fatalf("Evaluate(%q): %v", tc.src, err)
			}
			if d := describe(got); d != tc.want {
				t.Errorf("%s\n got %s\nwant %s", tc.src, d, tc.want)
			}
			// The rewrites and fast paths must not change the result.
			plain, err := compile(tc.src, opts, true)
			if err != nil {
				t.Fatal(err)
			}
			if tc.ctx == "" {
				got, err = plain.Evaluate(env)
			} else {
				at, _ := MustCompile(tc.ctx, opts).Evaluate(env)
				got, err = plain.EvaluateRef(at.Nodes()[0], env)
			}
			if d := describe(got); err != nil || d != tc.want {
				t.Errorf("%s without rewrites: %s %v", tc.src, d, err)
			}
		})
	}
}

// TestRECExamples runs the examples of XPath 1.0 section 2.5, unabbreviated
// and abbreviated, adapted to testDoc.
func TestRECExamples(t *testing.T) {
	t.Parallel()
	c1, doc, p1, p6 := "el('c1')", "el('doc')", "el('p1')", "el('p6')"
	runEval(t, []evalCase{
		{"child para", c1, "child::para", "[p1 p2 p3 p4 p5 p6]"},
		{"child star", c1, "child::*", "[t1 p1 p2 p3 p4 p5 p6 s1 s2]"},
		{"child text", p6, "child::text()", `[text("P6") text("tail")]`},
		{"child node", p6, "child::node()", `[text("P6") e1 text("tail")]`},
		{"attribute name", p1, "attribute::type", "[p1@type]"},
		{"attribute star", "el('p3')", "attribute::*", "[p3@id p3@type p3@secretary]"},
		{"descendant para", c1, "descendant::para", "[p1 p2 p3 p4 p5 p6 p7 p8]"},
		{"ancestor div", "el('p10')", "ancestor::div", "[d1 d2]"},
		{"ancestor-or-self div", "el('d2')", "ancestor-or-self::div", "[d1 d2]"},
		{"descendant-or-self para", p6, "descendant-or-self::para", "[p6]"},
		{"descendant-or-self para below", c1, "descendant-or-self::para", "[p1 p2 p3 p4 p5 p6 p7 p8]"},
		{"self para", p1, "self::para", "[p1]"},
		{"self para no", c1, "self::para", "[]"},
		{"chapter descendant para", doc, "child::chapter/descendant::para", "[p1 p2 p3 p4 p5 p6 p7 p8 p10 p11]"},
		{"star child para", doc, "child::*/child::para", "[p1 p2 p3 p4 p5 p6 p9]"},
		{"root", p1, "/", "[/]"},
		{"root descendant para", p1, "/descendant::para", "[p1 p2 p3 p4 p5 p6 p7 p8 p9 p10 p11]"},
		{"olist item", "", "/descendant::olist/child::item", "[i1 i2]"},
		{"position 1", c1, "child::para[position()=1]", "[p1]"},
		{"position last", c1, "child::para[position()=last()]", "[p6]"},
		{"position last-1", c1, "child::para[position()=last()-1]", "[p5]"},
		{"position gt 1", c1, "child::para[position()>1]", "[p2 p3 p4 p5 p6]"},
		{"following-sibling chapter", c1, "following-sibling::chapter[position()=1]", "[c2]"},
		{"preceding-sibling chapter", "el('c3')", "preceding-sibling::chapter[position()=1]", "[c2]"},
		{"figure 42", "", "/descendant::figure[position()=42]", "[]"},
		{"chapter 5 section 2", "", "/child::doc/child::chapter[position()=5]/child::section[position()=2]", "[s4]"},
		{"type warning", c1, `child::para[attribute::type="warning"]`, "[p1 p3 p4 p5]"},
		{"type warning 3", c1, `child::para[attribute::type='warning'][position()=3]`, "[p4]"},
		{"type warning 5", c1, `child::para[attribute::type='warning'][position()=5]`, "[]"},
		{"5 then warning", c1, `child::para[position()=5][attribute::type="warning"]`, "[p5]"},
		{"2 then warning", c1, `child::para[position()=2][attribute::type="warning"]`, "[]"},
		{"title introduction", doc, "child::chapter[child::title='Introduction']", "[c1]"},
		{"chapter with title", doc, "child::chapter[child::title]", "[c1 c2]"},
		{"chapter or appendix", doc, "child::*[self::chapter or self::appendix]", "[c1 c2 a1 c3 c4 c5]"},
		{"chapter or appendix last", doc, "child::*[self::chapter or self::appendix][position()=last()]", "[c5]"},

		{"abbr para", c1, "para", "[p1 p2 p3 p4 p5 p6]"},
		{"abbr star", c1, "*", "[t1 p1 p2 p3 p4 p5 p6 s1 s2]"},
		{"abbr text", p6, "text()", `[text("P6") text("tail")]`},
		{"abbr attr", p1, "@type", "[p1@type]"},
		{"abbr attr star", "el('p3')", "@*", "[p3@id p3@type p3@secretary]"},
		{"abbr para 1", c1, "para[1]", "[p1]"},
		{"abbr para last", c1, "para[last()]", "[p6]"},
		{"abbr star para", doc, "*/para", "[p1 p2 p3 p4 p5 p6 p9]"},
		{"abbr doc chapter section", "", "/doc/chapter[5]/section[2]", "[s4]"},
		{"abbr chapter desc para", doc, "chapter//para", "[p1 p2 p3 p4 p5 p6 p7 p8 p10 p11]"},
		{"abbr //para", p1, "//para", "[p1 p2 p3 p4 p5 p6 p7 p8 p9 p10 p11]"},
		{"abbr //olist/item", "", "//olist/item", "[i1 i2]"},
		{"abbr dot", c1, ".", "[c1]"},
		{"abbr dot desc para", c1, ".//para", "[p1 p2 p3 p4 p5 p6 p7 p8]"},
		{"abbr dotdot", p1, "..", "[c1]"},
		{"abbr dotdot attr", p1, "../@xml:lang", "[c1@xml:lang]"},
		{"abbr type warning", c1, `para[@type="warning"]`, "[p1 p3 p4 p5]"},
		{"abbr type warning 4", c1, `para[@type="warning"][4]`, "[p5]"},
		{"abbr 5 warning", c1, `para[5][@type="warning"]`, "[p5]"},
		{"abbr chapter title", doc, `chapter[title="Introduction"]`, "[c1]"},
		{"abbr chapter with title", doc, "chapter[title]", "[c1 c2]"},
		{"abbr employee", doc, "employee[@secretary and @assistant]", "[emp1]"},
	})
}

func TestAxes(t *testing.T) {
	t.Parallel()
	attr := "el('p6')/@id"
	runEval(t, []evalCase{
		{"child of text", "el('p6')/text()[1]", "node()", "[]"},
		{"descendant node", "el('p6')", "descendant::node()", `[text("P6") e1 text("E1") text("tail")]`},
		{"descendant-or-self node", "el('s1')", "descendant-or-self::node()", `[s1 p7 text("P7")]`},
		{"parent of root", "", "/..", "[]"},
		{"parent of element", "el('p7')", "parent::*", "[s1]"},
		{"parent of text", "el('p7')/text()", "parent::para", "[p7]"},
		{"ancestor", "el('p7')", "ancestor::*", "[doc c1 s1]"},
		{"ancestor nearest", "el('p7')", "ancestor::*[1]", "[s1]"},
		{"ancestor farthest", "el('p7')", "ancestor::*[last()]", "[doc]"},
		{"ancestor-or-self node", "el('p7')", "ancestor-or-self::node()", "[/ doc c1 s1 p7]"},
		{"ancestor-or-self 2", "el('p7')", "ancestor-or-self::node()[2]", "[s1]"},
		{"following-sibling", "el('p5')", "following-sibling::*", "[p6 s1 s2]"},
		{"following-sibling 2", "el('p5')", "following-sibling::*[2]", "[s1]"},
		{"following-sibling none", "el('s2')", "following-sibling::*", "[]"},
		{"preceding-sibling", "el('p3')", "preceding-sibling::*", "[t1 p1 p2]"},
		{"preceding-sibling 1", "el('p3')", "preceding-sibling::*[1]", "[p2]"},
		{"preceding-sibling para last", "el('p3')", "preceding-sibling::para[last()]", "[p1]"},
		{"following", "el('p8')", "following::para", "[p9 p10 p11]"},
		{"following nearest", "el('e1')", "following::*[1]", "[s1]"},
		{"following nodes", "el('p6')", "following::node()[position() < 4]", `[s1 p7 text("P7")]`},
		{"following excludes descendants", "el('p6')", "following::emph", "[]"},
		{"preceding", "el('c2')", "preceding::*", "[c1 t1 p1 p2 p3 p4 p5 p6 e1 s1 p7 s2 p8]"},
		{"preceding nearest", "el('s1')", "preceding::*[1]", "[e1]"},
		{"preceding para nearest", "el('s1')", "preceding::para[1]", "[p6]"},
		{"preceding text", "el('s1')", "preceding::text()[1]", `[text("tail")]`},
		{"preceding excludes ancestors", "el('p7')", "preceding::section", "[]"},
		{"self node", "el('p7')", "self::node()", "[p7]"},
		{"attribute parent", attr, "..", "[p6]"},
		{"attribute ancestors", attr, "ancestor::*", "[doc c1 p6]"},
		{"attribute self node", attr, "self::node()", "[p6@id]"},
		{"attribute self element", attr, "self::*", "[]"},
		{"attribute descendant-or-self", attr, "descendant-or-self::node()", "[p6@id]"},
		{"attribute children", attr, "node()", "[]"},
		{"attribute siblings", attr, "following-sibling::node() | preceding-sibling::node()", "[]"},
		{"attribute following", attr, "following::*[1]", "[e1]"},
		{"attribute following text", attr, "following::text()[1]", `[text("P6")]`},
		{"attribute preceding", "el('p2')/@id", "preceding::*", "[t1 p1]"},
		{"attribute attributes", attr, "@*", "[]"},
		{"attribute namespaces", attr, "namespace::*", "[]"},
		{"namespace axis", "el('x1')", "namespace::*", "[ns(xml) ns(x)]"},
		{"namespace by name", "el('x1')", "namespace::x", "[ns(x)]"},
		{"namespace prefixed name test", "el('x1')", "namespace::q:x", "[]"},
		{"namespace default", "el('n1')", "namespace::node()", "[ns(xml) ns() ns(x)]"},
		{"namespace undeclared default", "el('n2')", "namespace::*", "[ns(xml) ns(x)]"},
		{"namespace string", "el('x1')", "string(namespace::x)", `"urn:x"`},
		{"namespace name", "el('x1')", "name(namespace::x)", `"x"`},
		{"namespace local-name", "el('x1')", "local-name(namespace::xml)", `"xml"`},
		{"namespace uri", "el('x1')", "namespace-uri(namespace::x)", `""`},
		{"namespace parent", "el('x1')", "namespace::x/..", "[x1]"},
		{"namespace self", "el('x1')", "namespace::x/self::node()", "[ns(x)]"},
		{"namespace before attributes", "el('x1')", "@* | namespace::*", "[ns(xml) ns(x) x1@id x1@x:a]"},
		{"namespace ancestors", "el('x1')", "namespace::x/ancestor::*", "[doc x1]"},
		{"namespace following", "el('x1')", "namespace::x/following::*[1]", "[n1]"},
		{"namespace preceding", "el('x1')", "namespace::x/preceding::*[1]", "[emp2]"},
		{"namespace of text", "el('x1')/text()", "namespace::*", "[]"},
		{"comment", "el('doc')", "comment()", `[comment("comment1")]`},
		{"pi", "el('doc')", "processing-instruction()", "[pi(target1)]"},
		{"pi target", "el('doc')", "processing-instruction('target1')", "[pi(target1)]"},
		{"pi other target", "el('doc')", "processing-instruction('other')", "[]"},
		{"pi string", "el('doc')", "string(processing-instruction())", `"data1"`},
		{"pi name", "el('doc')", "name(processing-instruction())", `"target1"`},
		{"text of doc", "el('doc')", "text()", `[text("text1")]`},
		{"namespaced element by prefix", "", "//q:item", "[x1]"},
		{"namespaced wildcard", "", "//q:*", "[x1]"},
		{"namespaced attribute", "", "//@q:a", "[x1@x:a]"},
		{"unprefixed does not match namespaced", "", "//item", "[i1 i2]"},
		{"default namespace element", "", "//d:n1", "[n1]"},
		{"default namespace not unprefixed", "", "//n1", "[]"},
		{"undeclared default", "", "//n2", "[n2]"},
		{"attribute wildcard with prefix", "el('x1')", "@q:*", "[x1@x:a]"},
		{"xml prefix always bound", "", "//@xml:lang", "[c1@xml:lang c2@xml:lang]"},
	})
}

func TestPaths(t *testing.T) {
	t.Parallel()
	runEval(t, []evalCase{
		{"positional after //", "", "//para[1]", "[p1 p7 p8 p9 p10 p11]"},
		{"last after //", "", "//para[last()]", "[p6 p7 p8 p9 p10 p11]"},
		{"positional after // from set", "", "//chapter//para[1]", "[p1 p7 p8 p10 p11]"},
		{"positional after // nested set", "", "//div//para[1]", "[p10]"},
		{"positional after // then step", "", "//section[2]/para", "[p8 p11]"},
		{"positional after // from variable", "", "$body//para[last()]/@id", "[p6@id p7@id p8@id p9@id p10@id p11@id]"},
		{"positional after // from attribute", "el('p1')/@id", ".//node()[1]", "[]"},
		{"filter last", "", "(//para)[last()]", "[p11]"},
		{"filter first then path", "", "(//para)[1]/@id", "[p1@id]"},
		{"filter position", "", "(//para)[position() > 9]", "[p10 p11]"},
		{"filter predicates chain", "", "(//para)[@type][2]", "[p3]"},
		{"predicate non-integer", "", "//para[1.5]", "[]"},
		{"predicate zero", "", "//para[0]", "[]"},
		{"predicate boolean", "", "//para[@secretary]", "[p3]"},
		{"predicate string", "", "//chapter['']", "[]"},
		{"predicate nested path", "", "//chapter[section/para = 'P11']", "[c5]"},
		{"predicate on reverse axis", "el('p11')", "ancestor::*[2]", "[c5]"},
		{"reverse axis result order", "el('p11')", "ancestor::*[position() < 3]", "[c5 s4]"},
		{"nested contexts child", "", "//*[@id='d1' or @id='d2']/*", "[d2 p10]"},
		{"nested contexts descendant", "", "//div//para", "[p10]"},
		{"nested contexts descendant-or-self", "", "//div/descendant-or-self::div", "[d1 d2]"},
		{"parent of set", "", "//para/..", "[c1 s1 s2 a1 d2 s4]"},
		{"ancestors of set", "", "//item/ancestor::*", "[doc c2 o1]"},
		{"following siblings of set", "", "//item/following-sibling::*", "[i2]"},
		{"preceding of set", "", "//section/preceding-sibling::section", "[s1 s3]"},
		{"attributes of set", "", "//employee/@*", "[emp1@id emp1@secretary emp1@assistant emp2@id emp2@secretary]"},
		{"self of set", "", "//*/self::section", "[s1 s2 s3 s4]"},
		{"descendant positional of set", "", "//chapter/descendant::para[2]", "[p2]"},
		{"descendant of attributes", "", "//employee/@*/descendant-or-self::node()", "[emp1@id emp1@secretary emp1@assistant emp2@id emp2@secretary]"},
		{"children of nested set", "", "(el('c1') | el('p6'))/node()", `[t1 p1 p2 p3 p4 p5 p6 text("P6") e1 text("tail") s1 s2]`},
		{"children of nested set with attribute", "", "(el('c1') | el('c1')/@id | el('s1'))/*", "[t1 p1 p2 p3 p4 p5 p6 s1 p7 s2]"},
		{"children of set with attribute", "", "(el('p1') | el('p1')/@id | el('p2'))/node()", `[text("P1") text("P2")]`},
		{"children of flat set", "", "(el('p1') | el('s1') | el('p9'))/node()", `[text("P1") p7 text("P9")]`},
		{"grandchildren of flat set", "", "//chapter/section/para", "[p7 p8 p11]"},
		{"self of mixed set", "", "(//employee/@* | //employee)/self::node()", "[emp1 emp1@id emp1@secretary emp1@assistant emp2 emp2@id emp2@secretary]"},
		{"union sorted", "", "el('p2') | el('p1') | el('p2')", "[p1 p2]"},
		{"union attr and element", "", "el('p1')/@* | el('p1')", "[p1 p1@id p1@type]"},
		{"union with children", "", "el('s1')/para | el('s1')", "[s1 p7]"},
		{"union empty", "", "//nothing | el('p1')", "[p1]"},
		{"union across documents", "", "count($ids | //para)", "13"},
		{"root from attribute", "el('p1')/@type", "/doc/@id", "[doc@id]"},
		{"root from foreign doc", "", "$ids/..", "[ids]"},
		{"variable path", "", "$body/chapter[2]/@id", "[c2@id]"},
		{"variable descendant", "", "$body//item", "[i1 i2]"},
		{"variable predicate", "", "$ids[. = 8]", "[id]"},
		{"variable absolute in predicate", "", "count($ids[/ids])", "2"},
		{"function path", "", "ext:rev()/@id", "[p1@id p2@id]"},
		{"function sorted", "", "ext:rev()", "[p1 p2]"},
		{"function filter", "", "ext:rev()[2]", "[p2]"},
		{"function passthrough", "", "ext:first(//title)", "[t1 t2]"},
		{"function passthrough path", "", "ext:first(//title)/..", "[c1 c2]"},
		{"dot dot chain", "el('p7')", "../../@id", "[c1@id]"},
		{"dot step dropped", "el('c1')", "./para/./.", "[p1 p2 p3 p4 p5 p6]"},
		{"root only", "", "/", "[/]"},
		{"double slash from context", "el('c5')", ".//para", "[p11]"},
		{"text runs", "", "count(//text())", "19"},
		{"wildcard descendant", "el('c2')", "descendant::*", "[t2 o1 i1 i2]"},
	})
}
