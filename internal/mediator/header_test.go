package mediator_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/testkit"
	"github.com/busbar/busbar/internal/xmltree"
)

const (
	ns11 = `xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"`
	ns12 = `xmlns:soapenv="http://www.w3.org/2003/05/soap-envelope"`
)

// envelope builds a SOAP envelope in the namespace declaration ns with an
// optional header content.
func envelope(ns, header, body string) string {
	h := ""
	if header != "-" {
		h = `<soapenv:Header>` + header + `</soapenv:Header>`
	}
	return `<soapenv:Envelope ` + ns + `>` + h + `<soapenv:Body>` + body + `</soapenv:Body></soapenv:Envelope>`
}

func sameXML(t *testing.T, got, want string) {
	t.Helper()
	a, err1 := xmltree.Parse([]byte(got))
	b, err2 := xmltree.Parse([]byte(want))
	if err1 != nil || err2 != nil || !xmltree.Equal(a, b) {
		t.Errorf("XML differs\n got: %s\nwant: %s", got, want)
	}
}

func TestHeaderSOAP(t *testing.T) {
	t.Parallel()
	const tr = `xmlns:t="urn:trace"`
	versions := []struct {
		name, ns, ct string
	}{
		{"SOAP 1.1", ns11, "text/xml"},
		{"SOAP 1.2", ns12, "application/soap+xml"},
	}
	cases := []struct {
		name, snippet, header, wantHeader string
	}{
		{"set creates the Header", `<header ` + tr + ` name="t:Id" value="42"/>`, "-", `<t:Id ` + tr + `>42</t:Id>`},
		{"set from the body", `<header ` + tr + ` name="t:Id" expression="//n"/>`, "-", `<t:Id ` + tr + `>7</t:Id>`},
		{"set appends after other blocks", `<header ` + tr + ` name="t:Id" value="42"/>`, `<o:Other xmlns:o="urn:o"/>`,
			`<o:Other xmlns:o="urn:o"/><t:Id ` + tr + `>42</t:Id>`},
		{"set replaces the same block", `<header ` + tr + ` name="t:Id" value="new"/>`, `<t:Id ` + tr + `>old</t:Id><t:Id ` + tr + `>older</t:Id>`,
			`<t:Id ` + tr + `>new</t:Id>`},
		{"prefix declared above", `<filter xpath="true()" ` + tr + `><header name="t:Id" value="1"/></filter>`, "-", `<t:Id ` + tr + `>1</t:Id>`},
		{"same namespace, other prefix", `<header xmlns:x="urn:trace" name="x:Id" value="2"/>`, `<t:Id ` + tr + `>1</t:Id>`, `<x:Id xmlns:x="urn:trace">2</x:Id>`},
		{"remove deletes every block with the name", `<header ` + tr + ` name="t:Id" action="remove"/>`,
			`<t:Id ` + tr + `>1</t:Id><o:Id xmlns:o="urn:o"/><t:Id ` + tr + `>2</t:Id>`, `<o:Id xmlns:o="urn:o"/>`},
		{"type OM adds XML", `<header ` + tr + ` name="t:Ctx" value="&lt;user&gt;ada&lt;/user&gt;" type="OM"/>`, "-",
			`<t:Ctx ` + tr + `><user>ada</user></t:Ctx>`},
		{"inline blocks", `<header><t:A ` + tr + ` mustUnderstand="1">a</t:A><t:B ` + tr + `/></header>`, `<t:A ` + tr + `>old</t:A>`,
			`<t:A ` + tr + ` mustUnderstand="1">a</t:A><t:B ` + tr + `/>`},
	}
	for _, v := range versions {
		for _, tc := range cases {
			t.Run(v.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				in := testkit.Input{Body: envelope(v.ns, tc.header, `<p><n>7</n></p>`), ContentType: v.ct}
				res := run(t, tc.snippet, in)
				sameXML(t, res.Body(t), envelope(v.ns, tc.wantHeader, `<p><n>7</n></p>`))
				if f, _ := res.Msg.OutFormat(); f != message.FormatOf(v.ct) {
					t.Errorf("format changed to %v", f)
				}
			})
		}
	}
}

func TestHeaderRemoveAbsentLeavesBodyUntouched(t *testing.T) {
	t.Parallel()
	for _, header := range []string{"-", `<o:Other xmlns:o="urn:o"/>`} {
		in := testkit.Input{Body: envelope(ns11, header, `<p/>`), ContentType: "text/xml"}
		res := run(t, `<header xmlns:t="urn:trace" name="t:Id" action="remove"/>`, in)
		if !res.Msg.Body.Untouched() {
			t.Errorf("header %s: body marked as changed", header)
		}
		if res.Body(t) != in.Body {
			t.Errorf("body = %s", res.Body(t))
		}
	}
}

func TestHeaderPOX(t *testing.T) {
	t.Parallel()
	res := run(t, `<header xmlns:t="urn:trace" name="t:Id" value="42"/><property name="seen" expression="$header/t:Id" xmlns:t="urn:trace"/>`,
		testkit.Input{Body: `<order><id>1</id></order>`, ContentType: "application/xml"})
	if got := res.Body(t); got != `<order><id>1</id></order>` {
		t.Errorf("POX body = %s", got)
	}
	if res.Prop("seen") != "42" {
		t.Errorf("$header does not see the block: %q", res.Prop("seen"))
	}
}

func TestHeaderJSONStaysJSON(t *testing.T) {
	t.Parallel()
	body := `{"n": 1.50, "a": [1]}`
	res := run(t, `<header xmlns:t="urn:trace" name="t:Id" value="42"/><property name="seen" expression="$header/t:Id" xmlns:t="urn:trace"/>`,
		testkit.Input{Body: body, ContentType: "application/json"})
	if got := res.Body(t); got != body {
		t.Errorf("JSON body = %s", got)
	}
	if !res.Msg.Body.Untouched() {
		t.Error("the JSON body was re-serialised")
	}
	if res.Prop("seen") != "42" {
		t.Errorf("$header does not see the block: %q", res.Prop("seen"))
	}
}

func TestHeaderTransport(t *testing.T) {
	t.Parallel()
	in := testkit.Input{Body: `{"a":1}`, ContentType: "application/json", Header: http.Header{"Authorization": {"Basic x"}, "X-Keep": {"k"}}}
	cases := []struct {
		name, snippet, header, want string
	}{
		{"set", `<header name="X-Api-Key" scope="transport" value="secret"/>`, "X-Api-Key", "secret"},
		{"set replaces", `<header name="Authorization" scope="transport" value="Bearer t"/>`, "Authorization", "Bearer t"},
		{"set from a property", `<property name="k" value="v1"/><header name="X-K" scope="transport" expression="get-property('k')"/>`, "X-K", "v1"},
		{"set from JSON", `<header name="X-A" scope="transport" expression="json-eval($.a)"/>`, "X-A", "1"},
		{"remove", `<header name="authorization" scope="transport" action="remove"/>`, "Authorization", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := run(t, tc.snippet, in)
			if got := res.Msg.Header.Get(tc.header); got != tc.want {
				t.Errorf("%s = %q, want %q", tc.header, got, tc.want)
			}
			if res.Msg.Header.Get("X-Keep") != "k" {
				t.Error("an unrelated header changed")
			}
			if !res.Msg.Body.Untouched() {
				t.Error("the body was changed")
			}
		})
	}
	res := run(t, `<header name="X-Api-Key" scope="transport" value="s"/>`, in)
	if !res.Msg.Body.IsStream() {
		t.Error("a transport header with a literal read the body")
	}
}

func TestHeaderAddressing(t *testing.T) {
	t.Parallel()
	in := testkit.Input{Body: `<a><u>http://b.example/x</u></a>`, ContentType: "application/xml", Header: http.Header{"SOAPAction": {`"urn:orig"`}}}
	cases := []struct {
		name, snippet, prop, want string
	}{
		{"To", `<header name="To" expression="//u"/>`, "To", "http://b.example/x"},
		{"From", `<header name="From" value="urn:me"/>`, "From", "urn:me"},
		{"ReplyTo", `<header name="ReplyTo" value="http://r"/>`, "ReplyTo", "http://r"},
		{"FaultTo", `<header name="FaultTo" value="http://f"/>`, "FaultTo", "http://f"},
		{"RelatesTo", `<header name="RelatesTo" value="urn:uuid:1"/>`, "RelatesTo", "urn:uuid:1"},
		{"Action", `<header name="Action" value="urn:new"/>`, "Action", "urn:new"},
		{"Action unset reads SOAPAction", ``, "Action", "urn:orig"},
		{"remove To", `<header name="To" action="remove"/>`, "To", ""},
		{"remove From", `<header name="From" value="urn:me"/><header name="From" action="remove"/>`, "From", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := run(t, tc.snippet+`<property name="got" expression="get-property('`+tc.prop+`')"/>`, in)
			if got := res.Prop("got"); got != tc.want {
				t.Errorf("get-property('%s') = %q, want %q", tc.prop, got, tc.want)
			}
			if tc.prop == "To" && res.Msg.To != tc.want {
				t.Errorf("Msg.To = %q", res.Msg.To)
			}
			if res.Msg.Body.Format() != message.FormatPOX || !res.Msg.Body.Untouched() {
				t.Error("addressing headers must not touch the envelope")
			}
		})
	}
}

// TestHeaderToDrivesTheDefaultEndpoint checks the reason To matters: a
// <call/> without an endpoint goes to the To address.
func TestHeaderToDrivesTheDefaultEndpoint(t *testing.T) {
	t.Parallel()
	res := testkit.Run(t, `<header name="To" value="not-a-url"/><call/>`, testkit.Input{Body: `<a/>`, ContentType: "application/xml"})
	if res.Err == nil || !strings.Contains(res.Err.Message, `To is "not-a-url"`) {
		t.Fatalf("want the default endpoint to refuse To=not-a-url, got %v", res.Err)
	}
}

func TestHeaderOMFault(t *testing.T) {
	t.Parallel()
	res := testkit.Run(t, `<header xmlns:t="urn:t" name="t:X" value="not xml" type="OM"/>`, testkit.Input{Body: envelope(ns11, "-", "<p/>"), ContentType: "text/xml"})
	if res.Err == nil || !strings.Contains(res.Err.Message, "not XML") {
		t.Fatalf("fault = %v", res.Err)
	}
}

func TestHeaderMalformedBodyFails(t *testing.T) {
	t.Parallel()
	res := testkit.Run(t, `<header xmlns:t="urn:t" name="t:X" value="1"/>`, testkit.Input{Body: `<a>`, ContentType: "text/xml"})
	if res.Err == nil || res.Err.Status != 400 {
		t.Fatalf("fault = %v", res.Err)
	}
}

func TestHeaderConfigErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, snippet, marker, cause string
	}{
		{"unqualified name", `<header name="Trace" value="1"/>`, `name=`, `SOAP headers must be namespace qualified`},
		{"MessageID is not an addressing name in MI", `<header name="MessageID" value="1"/>`, `name=`, `invalid SOAP header "MessageID"`},
		{"undeclared prefix", `<header name="t:Id" value="1"/>`, `name=`, `invalid namespace prefix "t"`},
		{"empty local name", `<header xmlns:t="urn:t" name="t:" value="1"/>`, `name=`, `invalid namespace prefix "t"`},
		{"set without value", `<header xmlns:t="urn:t" name="t:Id"/>`, `<header`, `needs a "value" or an "expression" attribute`},
		{"value and expression", `<header xmlns:t="urn:t" name="t:Id" value="1" expression="//a"/>`, `<header`, `has both "value" and "expression"`},
		{"nothing at all", `<header/>`, `<header`, `needs a name attribute, or XML header elements`},
		{"remove without a name", `<header action="remove"><t:A xmlns:t="urn:t"/></header>`, `<header`, `needs the name of the header to remove`},
		{"inline in transport scope", `<header scope="transport"><t:A xmlns:t="urn:t"/></header>`, `<header`, `needs a name and a value`},
		{"inline block without namespace", `<header><A xmlns=""/></header>`, `<A`, `must be namespace qualified`},
		{"name and children", `<header xmlns:t="urn:t" name="t:Id" value="1"><t:A/></header>`, `<t:A/>`, `not from child elements`},
		{"bad scope", `<header name="X" scope="axis2" value="1"/>`, `scope=`, `scope="axis2" must be one of default, transport`},
		{"bad action", `<header name="To" action="delete"/>`, `action=`, `action="delete" must be one of set, remove`},
		{"bad type", `<header xmlns:t="urn:t" name="t:Id" value="1" type="JSON"/>`, `type=`, `type="JSON" must be one of STRING, OM`},
		{"bad expression", `<header name="To" expression="//a["/>`, `expression=`, `invalid XPath`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantConfigError(t, tc.snippet, tc.marker, tc.cause)
		})
	}
}
