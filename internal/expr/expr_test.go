package expr_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/busbar/busbar/internal/expr"
	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/xmltree"
)

func msg(body, ct string) *message.Message {
	m := message.New()
	m.RequestURI = "/orders/7?q=a%20b&n=2"
	m.Header.Set("X-Trace", "t-1")
	m.Header.Set("Content-Type", ct)
	m.Body.ResetStream(io.NopCloser(strings.NewReader(body)), ct, int64(len(body)), 0)
	m.Set("", "user", "ada")
	m.Set("axis2", "HTTP_SC", "201")
	m.Set("operation", "op", "o1")
	el, _ := xmltree.ParseElement([]byte(`<saved><v>1</v></saved>`))
	m.Set("", "xml", el)
	return m
}

var ns = func(prefix string) (string, bool) {
	switch prefix {
	case "m":
		return "http://services.samples", true
	case "soapenv":
		return message.NSSOAP11, true
	}
	return "", false
}

const soap = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header><h>hv</h></soapenv:Header><soapenv:Body><m:getQuote xmlns:m="http://services.samples"><m:symbol>IBM</m:symbol><m:qty>3</m:qty></m:getQuote></soapenv:Body></soapenv:Envelope>`

// TestSynapseExpressions evaluates Synapse's functions and variables the
// way MI users write them.
func TestSynapseExpressions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, src, body, ct, want string
	}{
		{"get-property default", "get-property('user')", "", "", "ada"},
		{"get-property scope", "get-property('transport', 'X-Trace')", "", "", "t-1"},
		{"get-property axis2", "get-property('axis2', 'HTTP_SC')", "", "", "201"},
		{"get-property operation", "get-property('operation', 'op')", "", "", "o1"},
		{"get-property unknown scope is default", "get-property('nope', 'user')", "", "", "ada"},
		{"get-property OM value is a node-set", "get-property('xml')/v", "", "", "1"},
		{"missing property", "get-property('none')", "", "", ""},
		{"ctx variable", "$ctx:user", "", "", "ada"},
		{"trp variable", "$trp:X-Trace", "", "", "t-1"},
		{"axis2 variable", "$axis2:HTTP_SC", "", "", "201"},
		{"url variable", "$url:q", "", "", "a b"},
		{"body variable", "$body/m:getQuote/m:symbol", soap, "text/xml", "IBM"},
		{"header variable", "$header/h", soap, "text/xml", "hv"},
		{"descendant path in SOAP", "//m:qty * 2", soap, "text/xml", "6"},
		{"relative path from the envelope", "soapenv:Body/m:getQuote/m:symbol", soap, "text/xml", "IBM"},
		{"xpath over JSON", "//customer/name", `{"customer":{"name":"Ada","id":1}}`, "application/json", "Ada"},
		{"json-eval", "json-eval($.customer.id)", `{"customer":{"name":"Ada","id":1}}`, "application/json", "1"},
		{"json-eval object", "json-eval($.customer)", `{"customer":{"name":"Ada","id":1}}`, "application/json", `{"name":"Ada","id":1}`},
		{"json-eval over XML", "json-eval($.order.id)", `<order><id>9</id></order>`, "application/xml", "9"},
		{"json-eval missing", "json-eval($.nope)", `{"a":1}`, "application/json", ""},
		{"element without text serialises", "//customer", `<r><customer><n>A</n></customer></r>`, "application/xml", "<customer><n>A</n></customer>"},
		{"element with direct text", "//n", `<r><n>A</n><n>B</n></r>`, "application/xml", "AB"},
		{"base64Encode", "base64Encode('hello')", "", "", "aGVsbG8="},
		{"base64Decode", "base64Decode('aGVsbG8=')", "", "", "hello"},
		{"url-encode", "url-encode('a b&c*~')", "", "", "a+b%26c*%7E"},
		{"boolean", "get-property('user') = 'ada'", "", "", "true"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, err := expr.Compile(tc.src, ns)
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.EvalString(msg(tc.body, tc.ct))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("%s = %q, want %q", tc.src, got, tc.want)
			}
		})
	}
}

// TestNeedsBody: expressions that only read properties never parse the
// body (pass-through stays pass-through).
func TestNeedsBody(t *testing.T) {
	t.Parallel()
	for src, want := range map[string]bool{
		"get-property('x')": false, "$ctx:a = 'b'": false, "$trp:X-Route": false, "base64Encode($ctx:a)": false,
		"//a": true, "$body/x": true, "json-eval($.a)": true, "count(/*)": true,
	} {
		e := expr.MustCompile(src, nil)
		if e.NeedsBody() != want {
			t.Errorf("NeedsBody(%s) = %v, want %v", src, e.NeedsBody(), want)
		}
	}
	m := msg(`{"a":1}`, "application/json")
	if _, err := expr.MustCompile("$trp:X-Trace", nil).EvalString(m); err != nil || !m.Body.IsStream() {
		t.Fatalf("a header expression read the body (%v)", err)
	}
}

// TestCompileErrors: errors name the expression.
func TestCompileErrors(t *testing.T) {
	t.Parallel()
	for src, want := range map[string]string{
		"":                      "empty expression",
		"get-property()":        "get-property() takes 1 to 2 arguments",
		"$nosuch":               "unknown variable $nosuch",
		"$foo:bar":              "unknown variable $foo:bar",
		"json-eval($.a[?(@.)])": "invalid JSONPath",
		"//a[":                  "invalid XPath",
	} {
		_, err := expr.Compile(src, nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Compile(%q) = %v, want error containing %q", src, err, want)
		}
	}
}

// TestKeysAndDates covers {expression} keys and SYSTEM_DATE formats.
func TestKeysAndDates(t *testing.T) {
	t.Parallel()
	k, err := expr.ParseKey("{concat('seq', $ctx:user)}", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := k.Eval(msg("", "")); got != "seqada" {
		t.Fatalf("key = %q", got)
	}
	got, err := expr.MustCompile("get-property('SYSTEM_DATE', 'yyyy-MM-dd')", nil).EvalString(msg("", ""))
	if err != nil || got != time.Now().Format("2006-01-02") {
		t.Fatalf("SYSTEM_DATE = %q (%v)", got, err)
	}
	if l := expr.JavaDateLayout("yyyy-MM-dd'T'HH:mm:ss.SSSXXX"); l != "2006-01-02T15:04:05.000Z07:00" {
		t.Fatalf("layout %q", l)
	}
}

// FuzzCompile: compiling any text never panics, and whatever compiles
// evaluates against a message without panicking.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{"//a", "get-property('x')", "$ctx:a", "json-eval($.a[0].b)", "json-eval($..x[?(@.y > 1)])", "concat($body/a, 'x')", "base64Decode('!!')"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := expr.Compile(src, ns)
		if err != nil {
			return
		}
		_, _ = e.EvalString(msg(`{"a":[{"b":1}],"x":{"y":2}}`, "application/json"))
		_, _ = e.EvalBool(msg(soap, "text/xml"))
	})
}
