package jsontree

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that what it accepts re-parses
// and re-serialises identically, and that it accepts exactly what
// encoding/json accepts (documents nested beyond MaxDepth excepted).
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"a":[1,2.5e3,-0,true,false,null,"x\u00e9\n"]}`, `[]`, `{}`, `""`, `0`, `-1.0E+2`,
		`{"a":1,"a":2}`, `"\ud83d\ude00"`, `"\ud800"`, "\"\xff\"", `[1,]`, `{"a" 1}`, ` [ [ ] ] `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Parse(data)
		valid := json.Valid(data)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not *SyntaxError", err)
			}
			if strings.Contains(se.Msg, "nesting") {
				return
			}
			if valid {
				t.Fatalf("Parse rejected what encoding/json accepts: %v", err)
			}
			return
		}
		if !valid {
			t.Fatalf("Parse accepted what encoding/json rejects: %q", data)
		}
		out := v.AppendJSON(nil)
		w, err := Parse(out)
		if err != nil {
			t.Fatalf("re-parse of %q failed: %v", out, err)
		}
		if again := w.AppendJSON(nil); string(again) != string(out) {
			t.Fatalf("re-serialisation differs:\n%q\n%q", out, again)
		}
		if !Equal(v, w) {
			t.Fatalf("re-parsed value not Equal: %q", out)
		}
	})
}
