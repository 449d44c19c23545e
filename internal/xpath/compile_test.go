package xpath

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	doc := parseDoc(t, testDoc)
	opts := testOptions(doc, nil)
	deepParens := strings.Repeat("(", 1000) + "1" + strings.Repeat(")", 1000)
	longChain := "a" + strings.Repeat(" + a", 2000)
	longMinus := strings.Repeat("-", 2000) + "a"
	cases := []struct {
		name, src string
		opts      *Options
		offset    int
		msg       string
	}{
		{"empty", "", opts, 0, "empty expression"},
		{"blank", "  \t", opts, 0, "empty expression"},
		{"dangling operator", "1 +", opts, 3, "unexpected end of expression"},
		{"unclosed call", "concat(", opts, 7, "unexpected end of expression"},
		{"unterminated literal", "x = 'abc", opts, 4, "unterminated string literal"},
		{"names without operator", "a b", opts, 2, `expected an operator, found "b"`},
		{"numbers without operator", "1 2", opts, 2, `unexpected "2"`},
		{"unknown function", "1 + unknown()", opts, 4, `unknown function "unknown"`},
		{"unknown function without options", "get-property('x')", nil, 0, `unknown function "get-property"`},
		{"unknown prefixed function", "ext:nope()", opts, 0, `unknown function "ext:nope"`},
		{"resolver error", "get-property()", opts, 0, "get-property() takes 1 argument"},
		{"undeclared function prefix", "zz:f()", opts, 0, `undeclared namespace prefix "zz"`},
		{"undeclared name test prefix", "//zz:a", opts, 2, `undeclared namespace prefix "zz"`},
		{"undeclared wildcard prefix", "zz:*", opts, 0, `undeclared namespace prefix "zz"`},
		{"unknown variable", "$x", opts, 0, `unknown variable "$x"`},
		{"unknown prefixed variable", "1 = $ctx:nope", opts, 4, `unknown variable "$ctx:nope"`},
		{"variable without options", "$ctx:foo", nil, 0, `unknown variable "$ctx:foo"`},
		{"variable resolver error", "$ctx:bad", opts, 0, "no such property scope"},
		{"count of number", "count(1)", opts, 6, "argument of count() is a number, not a node-set"},
		{"sum of string", "sum('a')", opts, 4, "argument of sum() is a string, not a node-set"},
		{"name of boolean", "name(true())", opts, 5, "argument of name() is a boolean, not a node-set"},
		{"count no args", "count()", opts, 0, "count() takes exactly 1 argument, got 0"},
		{"translate two args", "translate('a', 'b')", opts, 0, "translate() takes exactly 3 arguments, got 2"},
		{"true with arg", "true(1)", opts, 0, "true() takes no arguments, got 1"},
		{"concat one arg", "concat('a')", opts, 0, "concat() takes at least 2 arguments, got 1"},
		{"substring one arg", "substring('a')", opts, 0, "substring() takes 2 or 3 arguments, got 1"},
		{"name two args", "name(., .)", opts, 0, "name() takes at most 1 argument, got 2"},
		{"unknown axis", "foo::bar", opts, 0, `unknown axis "foo"`},
		{"axis without test", "child::", opts, 7, "expected a node test, found end of expression"},
		{"slash slash alone", "//", opts, 2, "expected a node test, found end of expression"},
		{"trailing slash", "a/", opts, 2, "expected a node test, found end of expression"},
		{"at alone", "@", opts, 1, "expected a node test, found end of expression"},
		{"function as node test", "child::foo()", opts, 7, `expected a node test, found "foo"`},
		{"unclosed predicate", "a[1", opts, 3, `expected "]", found end of expression`},
		{"unclosed paren", "(1", opts, 2, `expected ")", found end of expression`},
		{"bad argument separator", "concat('a' 'b')", opts, 11, `expected "," or ")", found "'b'"`},
		{"predicate on dot", ".[1]", opts, 1, `unexpected "["`},
		{"predicate on dotdot", "a/..[1]", opts, 4, `unexpected "["`},
		{"string before slash", "'a'/b", opts, 0, `expression before "/" is a string, not a node-set`},
		{"number before double slash", "1//b", opts, 0, `expression before "/" is a number, not a node-set`},
		{"union of number", "1 | //a", opts, 0, `operand of "|" is a number, not a node-set`},
		{"union with boolean", "//a | true()", opts, 6, `operand of "|" is a boolean, not a node-set`},
		{"filter of number", "1[1]", opts, 0, "filtered expression is a number, not a node-set"},
		{"bang", "a!b", opts, 1, `expected "!="`},
		{"lone colon", "a : b", opts, 2, `unexpected ":"`},
		{"invalid character", "a # b", opts, 2, "invalid character '#'"},
		{"invalid utf8", "a = \xff", opts, 4, "invalid UTF-8"},
		{"dangling prefix", "p:", opts, 0, `invalid name "p:"`},
		{"dollar alone", "$", opts, 0, `expected a variable name after "$"`},
		{"dollar space", "$ x", opts, 0, `expected a variable name after "$"`},
		{"dollar star", "$p:*", opts, 0, `expected a variable name after "$"`},
		{"prefixed axis", "q:child::a", opts, 7, `unexpected "::"`},
		{"pi with number", "processing-instruction(1)", opts, 23, `expected ")", found "1"`},
		{"node type with literal", "text('a')", opts, 5, `expected ")", found "'a'"`},
		{"node type without paren", "child::text", opts, -1, ""},
		{"operator at start", "* 2", opts, 2, `unexpected "2"`},
		{"close paren", ")", opts, 0, `unexpected ")"`},
		{"trailing tokens", "1)", opts, 1, `unexpected ")"`},
		{"comma", "a, b", opts, 1, `unexpected ","`},
		{"deep parentheses", deepParens, opts, 128, "expression nested too deeply"},
		{"deep predicates", strings.Repeat("a[", 500) + "1" + strings.Repeat("]", 500), opts, 256, "expression nested too deeply"},
		{"long chain", longChain, opts, 4094, "expression nested too deeply"},
		{"long unary chain", longMinus, opts, 0, "expression nested too deeply"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, err := Compile(tc.src, tc.opts)
			if tc.offset < 0 {
				if err != nil {
					t.Fatalf("Compile(%q): %v", tc.src, err)
				}
				return
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Compile(%.40q) = %v, %v; want a *SyntaxError", tc.src, e, err)
			}
			if se.Offset != tc.offset || se.Msg != tc.msg || se.Src != tc.src {
				t.Errorf("Compile(%.40q):\n got offset %d %q\nwant offset %d %q", tc.src, se.Offset, se.Msg, tc.offset, tc.msg)
			}
		})
	}
}

func TestSyntaxErrorText(t *testing.T) {
	t.Parallel()
	_, err := Compile("//a[\té = ]", nil)
	got := err.Error()
	want := "xpath: unexpected \"]\" at offset 10\n\t//a[ é = ]\n\t         ^"
	if got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
	if c := err.(*SyntaxError).Caret(); c != "//a[ é = ]\n         ^" {
		t.Errorf("Caret() =\n%s", c)
	}
}

func TestMustCompilePanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("MustCompile did not panic")
		}
	}()
	MustCompile("1 +", nil)
}

func TestVariableResolution(t *testing.T) {
	t.Parallel()
	doc := parseDoc(t, testDoc)
	var seen []string
	opts := testOptions(doc, &seen)
	for _, src := range []string{"$ctx:foo", "$q:foo", "$n", "$trp:Content-Type"} {
		if _, err := Compile(src, opts); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"ctx||foo", "q|urn:x|foo", "||n", "trp||Content-Type"}
	if !slices.Equal(seen, want) {
		t.Errorf("resolver saw %q, want %q", seen, want)
	}
}

func TestFunctionResolution(t *testing.T) {
	t.Parallel()
	type call struct {
		space, local string
		nargs        int
	}
	var seen []call
	opts := &Options{
		Namespaces: func(p string) (string, bool) { return "urn:" + p, p == "f" },
		Functions: func(space, local string, nargs int) (Function, error) {
			seen = append(seen, call{space, local, nargs})
			return Function{Fn: func(*Context, []Value) (Value, error) { return Value{}, nil }}, nil
		},
	}
	for _, src := range []string{"f:a(1, 2)", "b()", "count(//x) + c(1)", "string(f:concat('x', 'y'))"} {
		if _, err := Compile(src, opts); err != nil {
			t.Fatal(err)
		}
	}
	want := []call{{"urn:f", "a", 2}, {"", "b", 0}, {"", "c", 1}, {"urn:f", "concat", 2}}
	if !slices.Equal(seen, want) {
		t.Errorf("resolver saw %v, want %v", seen, want)
	}
}

func TestNeedsNode(t *testing.T) {
	t.Parallel()
	doc := parseDoc(t, testDoc)
	opts := testOptions(doc, nil)
	cases := []struct {
		src  string
		want bool
	}{
		{"1 + 2", false},
		{"'a'", false},
		{"$ctx:foo = 'x'", false},
		{"ext:upper('a') = 'A'", false},
		{"get-property('x')", false},
		{"position() = last()", false},
		{"true() and not(false())", false},
		{"string('a')", false},
		{"number('1')", false},
		{"string-length('abc')", false},
		{"concat('a', $ctx:foo)", false},
		{"id('x')", false},
		{"$ids/id", false},
		{"$ids[. = '7']", false},
		{"$ids[/ids]", false},
		{"count($ids//id[1])", false},
		{"(1 + 2) * 3", false},
		{"/", true},
		{".", true},
		{"..", true},
		{"a", true},
		{"@a", true},
		{"//a", true},
		{"count(//a)", true},
		{"string()", true},
		{"name()", true},
		{"local-name()", true},
		{"namespace-uri()", true},
		{"normalize-space()", true},
		{"string-length()", true},
		{"number()", true},
		{"lang('en')", true},
		{"$ids | a", true},
		{"$body/x", true},
		{"ext:self-id()", true},
		{"$ids[ext:self-id() = 'x']", true},
		{"$ctx:foo = 'x' or a", true},
	}
	for _, tc := range cases {
		t.Run(tc.src, func(t *testing.T) {
			t.Parallel()
			e := MustCompile(tc.src, opts)
			if got := e.NeedsNode(); got != tc.want {
				t.Errorf("NeedsNode(%q) = %v, want %v", tc.src, got, tc.want)
			}
			if e.String() != tc.src {
				t.Errorf("String() = %q", e.String())
			}
		})
	}
}
