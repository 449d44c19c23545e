package jsontree

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"object keeps key order", `{"b":1,"a":2,"c":3}`, `{"b":1,"a":2,"c":3}`},
		{"number literals survive", `[1.50, 1e5, -0, 0.000001, 1E+2, 12345678901234567890123]`, `[1.50,1e5,-0,0.000001,1E+2,12345678901234567890123]`},
		{"whitespace dropped", " {\n\t\"a\" : [ 1 , 2 ] \r\n} ", `{"a":[1,2]}`},
		{"duplicate keys kept in order", `{"a":1,"b":2,"a":3}`, `{"a":1,"b":2,"a":3}`},
		{"scalar top level", `"x"`, `"x"`},
		{"literals", `[true,false,null]`, `[true,false,null]`},
		{"empty containers", `{"a":{},"b":[]}`, `{"a":{},"b":[]}`},
		{"html characters not escaped", `"<a href=\"x\">&amp;</a>"`, `"<a href=\"x\">&amp;</a>"`},
		{"solidus escape normalised", `"a\/b"`, `"a/b"`},
		{"unicode escape decoded", `"\u00e9\u4e2d"`, `"é中"`},
		{"surrogate pair decoded", `"\ud83d\ude00"`, `"😀"`},
		{"lone surrogate becomes U+FFFD", `"\ud800x"`, `"` + "\uFFFD" + `x"`},
		{"control characters escaped", `"\u0001\b\f\n\r\t"`, `"\u0001\b\f\n\r\t"`},
		{"quote and backslash escaped", `"\"\\"`, `"\"\\"`},
		{"non-ASCII kept raw", `"日本"`, `"日本"`},
		{"invalid UTF-8 kept", "\"\xff\"", "\"\xff\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := Parse([]byte(tc.in))
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if got := v.String(); got != tc.want {
				t.Errorf("Parse(%q).String() = %q; want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in       string
		off, line, col int
		msg            string
	}{
		{"empty input", ``, 0, 1, 1, "unexpected end of input"},
		{"trailing comma in array", `[1,]`, 3, 1, 4, "invalid character ']'"},
		{"trailing comma in object", `{"a":1,}`, 7, 1, 8, "looking for beginning of object key"},
		{"single quotes", `{'a':1}`, 1, 1, 2, "invalid character '\\''"},
		{"leading zero", `01`, 1, 1, 2, "after top-level value"},
		{"bare fraction", `.5`, 0, 1, 1, "looking for beginning of value"},
		{"missing exponent digits", `1e`, 2, 1, 3, "end of input in number"},
		{"raw newline in string", "\"a\nb\"", 2, 1, 3, "in string literal"},
		{"bad escape", `"\x"`, 2, 1, 3, "string escape"},
		{"bad hex escape", `"\u12g4"`, 5, 1, 6, "hexadecimal"},
		{"two values", `1 2`, 2, 1, 3, "after top-level value"},
		{"misspelt literal", `nul`, 3, 1, 4, "end of input in literal null"},
		{"line and column count characters", "{\n  \"é\": x}", 10, 2, 8, "invalid character 'x'"},
		{"unclosed object", `{"a":1`, 6, 1, 7, "end of input in object"},
		{"missing colon", `{"a" 1}`, 5, 1, 6, "after object key"},
		{"NaN", `NaN`, 0, 1, 1, "looking for beginning of value"},
		{"BOM", "\ufeff{}", 0, 1, 1, "looking for beginning of value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.in))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error = %v; want *SyntaxError", tc.in, err)
			}
			if se.Offset != tc.off || se.Line != tc.line || se.Col != tc.col || !strings.Contains(se.Msg, tc.msg) {
				t.Errorf("Parse(%q) = %+v; want offset %d line %d col %d msg containing %q", tc.in, se, tc.off, tc.line, tc.col, tc.msg)
			}
			if json.Valid([]byte(tc.in)) {
				t.Errorf("encoding/json accepts %q", tc.in)
			}
		})
	}
}

func TestParseDepth(t *testing.T) {
	t.Parallel()
	ok := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	if _, err := Parse([]byte(ok)); err != nil {
		t.Errorf("depth %d rejected: %v", MaxDepth, err)
	}
	deep := "[" + ok + "]"
	_, err := Parse([]byte(deep))
	var se *SyntaxError
	if !errors.As(err, &se) || !strings.Contains(se.Msg, "nesting") || se.Offset != MaxDepth {
		t.Errorf("depth %d: got %v; want nesting error at offset %d", MaxDepth+1, err, MaxDepth)
	}
}

func TestParseSharesNoInput(t *testing.T) {
	t.Parallel()
	data := []byte(`{"key":"value","n":12}`)
	v, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	for i := range data {
		data[i] = 'x'
	}
	if got := v.String(); got != `{"key":"value","n":12}` {
		t.Errorf("tree changed with its input: %s", got)
	}
}
