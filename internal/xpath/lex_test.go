package xpath

import (
	"fmt"
	"strings"
	"testing"
)

// tokenString renders tokens as kind names, with names and values where
// they matter.
func tokenString(toks []token) string {
	names := map[tokKind]string{
		tLParen: "(", tRParen: ")", tLBracket: "[", tRBracket: "]", tDot: ".", tDotDot: "..",
		tAt: "@", tComma: ",", tColonColon: "::", tSlash: "/", tSlashSlash: "//", tPipe: "|",
		tPlus: "+", tMinus: "-", tEq: "=", tNeq: "!=", tLt: "<", tLe: "<=", tGt: ">", tGe: ">=",
		tMul: "mul", tAnd: "and", tOr: "or", tMod: "mod", tDiv: "div",
	}
	var parts []string
	for _, t := range toks {
		var s string
		switch t.kind {
		case tEOF:
			continue
		case tNameTest:
			s = "name:" + qn(t)
		case tNodeType:
			s = "type:" + t.local
		case tFuncName:
			s = "func:" + qn(t)
		case tAxisName:
			s = "axis:" + t.local
		case tLiteral:
			s = "lit:" + t.local
		case tNumber:
			s = fmt.Sprint("num:", t.num)
		case tVar:
			s = "var:" + qn(t)
		default:
			s = names[t.kind]
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func qn(t token) string {
	if t.prefix == "" {
		return t.local
	}
	return t.prefix + ":" + t.local
}

func TestLexer(t *testing.T) {
	t.Parallel()
	cases := []struct{ src, want string }{
		{"div div div", "name:div div name:div"},
		{"* * *", "name:* mul name:*"},
		{"and and or", "name:and and name:or"},
		{"mod mod mod mod mod", "name:mod mod name:mod mod name:mod"},
		{"child::div", "axis:child :: name:div"},
		{"child :: div", "axis:child :: name:div"},
		{"a/div/*", "name:a / name:div / name:*"},
		{"@*|@and", "@ name:* | @ name:and"},
		{"(*)", "( name:* )"},
		{"[*]", "[ name:* ]"},
		{"f(*, *)", "func:f ( name:* , name:* )"},
		{"2*3", "num:2 mul num:3"},
		{"a*b", "name:a mul name:b"},
		{")*2", ") mul num:2"},
		{"]div 2", "] div num:2"},
		{".*2", ". mul num:2"},
		{"..*2", ".. mul num:2"},
		{"'x'*2", "lit:x mul num:2"},
		{"$v*2", "var:v mul num:2"},
		{"- *", "- name:*"},
		{"= div", "= name:div"},
		{"text()", "type:text ( )"},
		{"text ()", "type:text ( )"},
		{"text", "name:text"},
		{"node()", "type:node ( )"},
		{"comment()", "type:comment ( )"},
		{"processing-instruction('x')", "type:processing-instruction ( lit:x )"},
		{"p:text()", "func:p:text ( )"},
		{"p:local", "name:p:local"},
		{"p:*", "name:p:*"},
		{"$p:local", "var:p:local"},
		{"$trp:Content-Type", "var:trp:Content-Type"},
		{"concat ('a', \"b\")", "func:concat ( lit:a , lit:b )"},
		{`'it"s' "it's"`, `lit:it"s lit:it's`},
		{"1 .5 2. 3.25 007", "num:1 num:0.5 num:2 num:3.25 num:7"},
		{"1.2.3", "num:1.2 num:0.3"},
		{"a-b -c", "name:a-b - name:c"},
		{"a - -b", "name:a - - name:b"},
		{"a!=b<=c>=d<e>f", "name:a != name:b <= name:c >= name:d < name:e > name:f"},
		{"//a//b", "// name:a // name:b"},
		{"ancestor-or-self::node()", "axis:ancestor-or-self :: type:node ( )"},
		{"été/ü·x", "name:été / name:ü·x"},
		{"_a.b-c", "name:_a.b-c"},
		{"a\n\r\tor b", "name:a or name:b"},
	}
	for _, tc := range cases {
		t.Run(tc.src, func(t *testing.T) {
			t.Parallel()
			toks, err := lex(tc.src)
			if err != nil {
				t.Fatalf("lex(%q): %v", tc.src, err)
			}
			if got := tokenString(toks); got != tc.want {
				t.Errorf("lex(%q)\n got %s\nwant %s", tc.src, got, tc.want)
			}
		})
	}
}

func TestTokenOffsets(t *testing.T) {
	t.Parallel()
	toks, err := lex(" $a:b  = 'x' ")
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]int{{1, 5}, {7, 8}, {9, 12}, {13, 13}}
	for i, w := range want {
		if toks[i].pos != w[0] || toks[i].end != w[1] {
			t.Errorf("token %d at [%d,%d), want %v", i, toks[i].pos, toks[i].end, w)
		}
	}
}
