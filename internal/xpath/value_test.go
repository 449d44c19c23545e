package xpath

import (
	"math"
	"strings"
	"testing"
)

func TestFormatNumber(t *testing.T) {
	t.Parallel()
	cases := []struct {
		f    float64
		want string
	}{
		{0, "0"},
		{math.Copysign(0, -1), "0"},
		{1, "1"},
		{-1, "-1"},
		{42, "42"},
		{1.5, "1.5"},
		{-0.25, "-0.25"},
		{math.NaN(), "NaN"},
		{math.Inf(1), "Infinity"},
		{math.Inf(-1), "-Infinity"},
		{1e21, "1000000000000000000000"},
		{1e-7, "0.0000001"},
		{123456789012345.5, "123456789012345.5"},
		{9007199254740993, "9007199254740992"},
		{1.7976931348623157e308, "17976931348623157" + strings.Repeat("0", 292)},
		{5e-324, "0." + strings.Repeat("0", 323) + "5"},
	}
	for _, tc := range cases {
		if got := FormatNumber(tc.f); got != tc.want {
			t.Errorf("FormatNumber(%v) = %q, want %q", tc.f, got, tc.want)
		}
	}
}

func TestParseNumber(t *testing.T) {
	t.Parallel()
	cases := []struct {
		s    string
		want float64
	}{
		{"0", 0},
		{"12", 12},
		{"-12", -12},
		{" 12 ", 12},
		{"\t\r\n1.5\n", 1.5},
		{".5", 0.5},
		{"5.", 5},
		{"-.5", -0.5},
		{"007", 7},
		{"123456789012345678", 123456789012345678},
		{"1e400", math.NaN()},
		{"1" + strings.Repeat("0", 400), math.Inf(1)},
		{"", math.NaN()},
		{" ", math.NaN()},
		{"-", math.NaN()},
		{".", math.NaN()},
		{"+1", math.NaN()},
		{"1e3", math.NaN()},
		{"0x10", math.NaN()},
		{"1 2", math.NaN()},
		{"--1", math.NaN()},
		{"Infinity", math.NaN()},
		{"NaN", math.NaN()},
		{"\u00a01", math.NaN()},
		{"1,5", math.NaN()},
	}
	for _, tc := range cases {
		got := ParseNumber(tc.s)
		if got != tc.want && !(math.IsNaN(got) && math.IsNaN(tc.want)) {
			t.Errorf("ParseNumber(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
	if x := ParseNumber("-0"); x != 0 || !math.Signbit(x) {
		t.Errorf("ParseNumber(-0) = %v, want negative zero", x)
	}
}

func TestValueConversions(t *testing.T) {
	t.Parallel()
	doc := parseDoc(t, `<a><b>12</b><b>x</b></a>`)
	b1 := NodeOf(doc.FirstChild.FirstChild)
	b2 := NodeOf(doc.FirstChild.LastChild)
	cases := []struct {
		name string
		v    Value
		kind Kind
		s    string
		n    float64
		b    bool
	}{
		{"zero value", Value{}, NodeSet, "", math.NaN(), false},
		{"string", StringValue("3"), String, "3", 3, true},
		{"empty string", StringValue(""), String, "", math.NaN(), false},
		{"number", NumberValue(2.5), Number, "2.5", 2.5, true},
		{"zero", NumberValue(0), Number, "0", 0, false},
		{"NaN", NumberValue(math.NaN()), Number, "NaN", math.NaN(), false},
		{"true", BoolValue(true), Boolean, "true", 1, true},
		{"false", BoolValue(false), Boolean, "false", 0, false},
		{"node-set", NodeSetValue(b2, b1), NodeSet, "12", 12, true},
		{"node-set NaN", NodeSetValue(b2), NodeSet, "x", math.NaN(), true},
		{"node-set of zero refs", NodeSetValue(NodeRef{}), NodeSet, "", math.NaN(), false},
	}
	for _, tc := range cases {
		v := tc.v
		n := v.Number()
		if v.Kind() != tc.kind || v.String() != tc.s || v.Bool() != tc.b ||
			n != tc.n && !(math.IsNaN(n) && math.IsNaN(tc.n)) {
			t.Errorf("%s: kind %v string %q number %v bool %v; want %v %q %v %v",
				tc.name, v.Kind(), v.String(), n, v.Bool(), tc.kind, tc.s, tc.n, tc.b)
		}
	}
	if StringValue("x").Nodes() != nil {
		t.Error("Nodes() of a string is not nil")
	}
	for k, want := range map[Kind]string{NodeSet: "node-set", String: "string", Number: "number", Boolean: "boolean", anyKind: "value"} {
		if k.String() != want {
			t.Errorf("Kind(%d).String() = %q", k, k.String())
		}
	}
}

func TestNodeRefAccessors(t *testing.T) {
	t.Parallel()
	doc := parseDoc(t, `<p:a xmlns:p="urn:p" p:x="1" y="2">t<![CDATA[u]]>v<!--c--><?pi d?></p:a>`)
	a := doc.FirstChild
	text := a.FirstChild
	cases := []struct {
		name                      string
		r                         NodeRef
		sv, nm, local, uri, value string
		attr, ns                  bool
		index                     int
	}{
		{"element", NodeOf(a), "tuv", "p:a", "a", "urn:p", "", false, false, -1},
		{"prefixed attribute", AttrOf(a, 0), "1", "p:x", "x", "urn:p", "1", true, false, 0},
		{"attribute", AttrOf(a, 1), "2", "y", "y", "", "2", true, false, 1},
		{"text run", NodeOf(text), "tuv", "", "", "", "", false, false, -1},
		{"comment", NodeOf(a.LastChild.PrevSibling), "c", "", "", "", "", false, false, -1},
		{"pi", NodeOf(a.LastChild), "d", "pi", "pi", "", "", false, false, -1},
		{"document", NodeOf(doc), "tuv", "", "", "", "", false, false, -1},
		{"namespace", NodeRef{n: a, decl: a, i: 0, k: refNS}, "urn:p", "p", "p", "", "", false, true, -1},
		{"zero", NodeRef{}, "", "", "", "", "", false, false, -1},
		{"bad attribute index", AttrOf(a, 5), "", "", "", "", "", false, false, -1},
	}
	for _, tc := range cases {
		r := tc.r
		got := []any{r.StringValue(), r.Name(), r.LocalName(), r.NamespaceURI(), r.AttrValue(), r.IsAttr(), r.IsNamespace(), r.AttrIndex()}
		want := []any{tc.sv, tc.nm, tc.local, tc.uri, tc.value, tc.attr, tc.ns, tc.index}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: got %v, want %v", tc.name, got, want)
				break
			}
		}
	}
	if !(NodeRef{}).IsZero() || NodeOf(a).IsZero() || NodeOf(a).Node() != a {
		t.Error("IsZero or Node wrong")
	}
}
