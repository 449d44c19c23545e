package mediator_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/testkit"
	"github.com/busbar/busbar/internal/xmltree"
)

const (
	soap11NS = "http://schemas.xmlsoap.org/soap/envelope/"
	soap12NS = "http://www.w3.org/2003/05/soap-envelope"
)

// soap11 and soap12 wrap a body (and optional header) in an envelope.
func soap11(header, body string) string {
	if header != "" {
		header = `<soapenv:Header>` + header + `</soapenv:Header>`
	}
	return `<soapenv:Envelope xmlns:soapenv="` + soap11NS + `">` + header + `<soapenv:Body>` + body + `</soapenv:Body></soapenv:Envelope>`
}

func soap12(header, body string) string {
	if header != "" {
		header = `<soapenv:Header>` + header + `</soapenv:Header>`
	}
	return `<soapenv:Envelope xmlns:soapenv="` + soap12NS + `">` + header + `<soapenv:Body>` + body + `</soapenv:Body></soapenv:Envelope>`
}

// outCase is a mediation expected to succeed: the body written in the
// outgoing format (XML compared structurally, anything else as text) and
// its media type.
type outCase struct {
	name     string
	snippet  string
	in       testkit.Input
	want     string
	wantType string
	props    map[string]string
	extra    string
}

func runOutCases(t *testing.T, cases []outCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := testkit.Run(t, tc.snippet, tc.in, tc.extra)
			if res.Err != nil {
				t.Fatalf("unexpected fault: %v", res.Err)
			}
			got := res.Body(t)
			if len(res.Responses) > 0 {
				got = res.Responses[len(res.Responses)-1].Body
			}
			checkBody(t, got, tc.want)
			if tc.wantType != "" {
				_, ct := res.Msg.OutFormat()
				if len(res.Responses) > 0 {
					ct = res.Responses[len(res.Responses)-1].ContentType
				}
				if mt := message.MediaType(ct); mt != tc.wantType {
					t.Errorf("content type = %q, want %q", mt, tc.wantType)
				}
			}
			for k, want := range tc.props {
				if got := res.Prop(k); got != want {
					t.Errorf("property %s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

// checkBody compares XML structurally (xmltree.Equal) and other content
// as text.
func checkBody(t *testing.T, got, want string) {
	t.Helper()
	if !strings.HasPrefix(strings.TrimSpace(want), "<") {
		if got != want {
			t.Errorf("body:\n got: %s\nwant: %s", got, want)
		}
		return
	}
	g, err := xmltree.ParseString(got)
	if err != nil {
		t.Fatalf("body is not XML (%v): %s", err, got)
	}
	w, err := xmltree.ParseString(want)
	if err != nil {
		t.Fatalf("bad expected XML (%v): %s", err, want)
	}
	if !xmltree.Equal(g, w) {
		t.Errorf("body:\n got: %s\nwant: %s", got, want)
	}
}

// faultCase is a mediation expected to fail with a message.
type faultCase struct {
	name    string
	snippet string
	in      testkit.Input
	want    string
}

func runFaultCases(t *testing.T, cases []faultCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := testkit.Run(t, tc.snippet, tc.in)
			if res.Err == nil {
				t.Fatalf("expected a fault, got body %s", res.Body(t))
			}
			if !strings.Contains(res.Err.Message, tc.want) {
				t.Errorf("fault = %q, want it to contain %q", res.Err.Message, tc.want)
			}
		})
	}
}

// diagPrefix is what testkit.Compile puts before a sequence body on line 1
// of test.xml.
const diagPrefix = `<definitions xmlns="http://ws.apache.org/ns/synapse"><sequence name="__test">`

// diagCase is a snippet that must not compile: the diagnostic is at the
// first occurrence of marker in the snippet and mentions cause.
type diagCase struct {
	name    string
	snippet string
	marker  string
	cause   string
	extra   string
}

func runDiagCases(t *testing.T, cases []diagCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			i := strings.Index(tc.snippet, tc.marker)
			if i < 0 {
				t.Fatalf("marker %q not in snippet", tc.marker)
			}
			pos := fmt.Sprintf("test.xml:1:%d", len(diagPrefix)+i+1)
			g, diags := testkit.Compile(`<sequence name="__test">` + tc.snippet + `</sequence>` + tc.extra)
			if g != nil || !diags.HasErrors() {
				t.Fatalf("expected a configuration error, got none")
			}
			all := diags.Err().Error()
			for _, line := range strings.Split(all, "\n") {
				if strings.HasPrefix(line, pos+": error: ") && strings.Contains(line, tc.cause) {
					return
				}
			}
			t.Errorf("want an error at %s containing %q, got:\n%s", pos, tc.cause, all)
		})
	}
}

var (
	noBody    = testkit.Input{Body: `<soapenv:Envelope xmlns:soapenv="` + soap11NS + `"><soapenv:Header/></soapenv:Envelope>`, ContentType: "text/xml"}
	xmlOrder  = testkit.Input{Body: `<order><id>7</id><who>Ann &amp; "Bo" &lt;x&gt;</who><items><item>pen</item><item>ink</item></items></order>`, ContentType: "application/xml"}
	jsonOrder = testkit.Input{Body: `{"id":7,"who":"Ann \"Bo\"\n","tags":["a","b"],"addr":{"city":"Oslo","zip":"0150"},"ok":true,"none":null}`, ContentType: "application/json"}
)

func TestPayloadFactoryXML(t *testing.T) {
	t.Parallel()
	runOutCases(t, []outCase{
		{
			name:    "replaces the SOAP 1.1 payload and keeps the header",
			snippet: `<payloadFactory><format><q:quote xmlns:q="urn:q"><q:sym>$1</q:sym></q:quote></format><args><arg expression="//sym"/></args></payloadFactory>`,
			in:      testkit.Input{Body: soap11(`<h:trace xmlns:h="urn:h">1</h:trace>`, `<req><sym>IBM</sym></req>`), ContentType: "text/xml"},
			want:    soap11(`<h:trace xmlns:h="urn:h">1</h:trace>`, `<q:quote xmlns:q="urn:q"><q:sym>IBM</q:sym></q:quote>`), wantType: "text/xml",
		},
		{
			name:    "keeps SOAP 1.2",
			snippet: `<payloadFactory><format><r xmlns="">$1</r></format><args><arg value="ok"/></args></payloadFactory>`,
			in:      testkit.Input{Body: soap12("", `<req/>`), ContentType: "application/soap+xml"},
			want:    soap12("", `<r>ok</r>`), wantType: "application/soap+xml",
		},
		{
			name:    "an element written without xmlns keeps the Synapse namespace",
			snippet: `<payloadFactory><format><r><v>$1</v></r></format><args><arg value="1"/></args></payloadFactory>`,
			in:      xmlOrder,
			want:    `<r xmlns="http://ws.apache.org/ns/synapse"><v>1</v></r>`, wantType: "application/xml",
		},
		{
			name: "indentation is removed and xmlns=\"\" suppresses the namespace",
			snippet: `<payloadFactory media-type="xml">
				<format>
					<r xmlns="">
						<v>$1</v>
					</r>
				</format>
				<args><arg value="1"/></args>
			</payloadFactory>`,
			in:   xmlOrder,
			want: `<r><v>1</v></r>`,
		},
		{
			name:    "XPath strings are XML-escaped in elements and attributes",
			snippet: `<payloadFactory><format><r xmlns="" who="$1"><w>$1</w></r></format><args><arg expression="//who"/></args></payloadFactory>`,
			in:      xmlOrder,
			want:    `<r who="Ann &amp; &quot;Bo&quot; &lt;x&gt;"><w>Ann &amp; "Bo" &lt;x&gt;</w></r>`,
		},
		{
			name:    "an XPath selecting XML inserts it as XML",
			snippet: `<payloadFactory><format><r xmlns="">$1</r></format><args><arg expression="//items"/></args></payloadFactory>`,
			in:      xmlOrder,
			want:    `<r><items><item>pen</item><item>ink</item></items></r>`,
		},
		{
			name:    "literal does not stop XML from being inserted as XML in an XML template",
			snippet: `<payloadFactory><format><r xmlns="">$1</r></format><args><arg expression="//items" literal="true"/></args></payloadFactory>`,
			in:      xmlOrder,
			want:    `<r><items><item>pen</item><item>ink</item></items></r>`,
		},
		{
			name:    "a value that is XML is inserted as XML, other values escaped",
			snippet: `<payloadFactory><format><r xmlns="">$1|$2</r></format><args><arg value="&lt;b&gt;x&lt;/b&gt;"/><arg value="a&lt;b"/></args></payloadFactory>`,
			in:      xmlOrder,
			want:    `<r><b>x</b>|a&lt;b</r>`,
		},
		{
			name:    "several elements from one XPath are all inserted",
			snippet: `<payloadFactory><format><r xmlns="">$1</r></format><args><arg expression="//items/*"/></args></payloadFactory>`,
			in:      testkit.Input{Body: `<o><items><i><n>1</n></i><i><n>2</n></i></items></o>`, ContentType: "application/xml"},
			want:    `<r><i><n>1</n></i><i><n>2</n></i></r>`,
		},
		{
			name:    "a JSON object from a JSONPath becomes XML",
			snippet: `<payloadFactory><format><r xmlns="">$1</r></format><args><arg evaluator="json" expression="$.addr"/></args></payloadFactory>`,
			in:      jsonOrder,
			want:    `<r><city>Oslo</city><zip>0150</zip></r>`, wantType: "application/xml",
		},
		{
			name:    "a JSON array from a JSONPath becomes jsonElement items",
			snippet: `<payloadFactory><format><r xmlns="">$1</r></format><args><arg expression="json-eval($.tags)"/></args></payloadFactory>`,
			in:      jsonOrder,
			want:    `<r><jsonElement>a</jsonElement><jsonElement>b</jsonElement></r>`,
		},
		{
			name:    "JSONPath strings are XML-escaped",
			snippet: `<payloadFactory><format><r xmlns="">$1</r></format><args><arg evaluator="json" expression="json-eval($.who)"/></args></payloadFactory>`,
			in:      jsonOrder,
			want:    "<r>Ann &quot;Bo&quot;\n</r>",
		},
		{
			name:    "only the first element of the result is used",
			snippet: `<payloadFactory><format>&lt;a/&gt;&lt;b/&gt;</format></payloadFactory>`,
			in:      xmlOrder,
			want:    `<a/>`,
		},
		{
			name: "a SOAP envelope format replaces the whole envelope",
			snippet: `<payloadFactory><format><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header><t xmlns="urn:t">$1</t></soapenv:Header>` +
				`<soapenv:Body><r xmlns="">$2</r></soapenv:Body></soapenv:Envelope></format><args><arg value="h"/><arg value="b"/></args></payloadFactory>`,
			in:   testkit.Input{Body: soap11(`<old xmlns="urn:o"/>`, `<req/>`), ContentType: "text/xml"},
			want: soap11(`<t xmlns="urn:t">h</t>`, `<r>b</r>`), wantType: "text/xml",
		},
		{
			name: "a SOAP 1.2 envelope format turns a SOAP 1.1 message into SOAP 1.2",
			snippet: `<payloadFactory><format><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><r xmlns="">$1</r></s:Body></s:Envelope></format>` +
				`<args><arg value="b"/></args></payloadFactory>`,
			in:   testkit.Input{Body: soap11("", `<req/>`), ContentType: "text/xml"},
			want: soap12("", `<r>b</r>`), wantType: "application/soap+xml",
		},
		{
			name:    "an XML result on a JSON message makes it application/xml",
			snippet: `<payloadFactory><format><r xmlns="">$1</r></format><args><arg expression="json-eval($.id)"/></args></payloadFactory>`,
			in:      jsonOrder,
			want:    `<r>7</r>`, wantType: "application/xml",
		},
		{
			name:    "a SOAP envelope format on a JSON message writes its body as plain XML",
			snippet: `<payloadFactory><format><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><r xmlns="">x</r></soapenv:Body></soapenv:Envelope></format></payloadFactory>`,
			in:      jsonOrder,
			want:    `<r>x</r>`, wantType: "application/xml",
		},
		{
			name:    "messageType follows the XML result",
			snippet: `<property name="messageType" value="application/json" scope="axis2"/><payloadFactory><format><r xmlns="">x</r></format></payloadFactory>`,
			in:      xmlOrder,
			want:    `<r>x</r>`, wantType: "application/xml",
		},
		{
			name:    "a template from an XML local entry",
			snippet: `<payloadFactory><format key="tpl"/><args><arg expression="//id"/></args></payloadFactory>`,
			extra: `<localEntry key="tpl">
				<r xmlns="urn:r">
					<id>$1</id>
				</r>
			</localEntry>`,
			in:   xmlOrder,
			want: `<r xmlns="urn:r"><id>7</id></r>`,
		},
	})
}

func TestPayloadFactoryJSON(t *testing.T) {
	t.Parallel()
	runOutCases(t, []outCase{
		{
			name:    "strings are escaped inside the template's quotes, numbers and JSON are inserted as they are",
			snippet: `<payloadFactory media-type="json"><format>{"who":"$1","id":$2,"addr":$3,"tags":$4,"ok":$5}</format><args>` + `<arg evaluator="json" expression="$.who"/><arg evaluator="json" expression="$.id"/><arg evaluator="json" expression="$.addr"/><arg evaluator="json" expression="$.tags"/><arg evaluator="json" expression="$.ok"/></args></payloadFactory>`,
			in:      jsonOrder,
			want:    `{"who":"Ann \"Bo\"\n","id":7,"addr":{"city":"Oslo","zip":"0150"},"tags":["a","b"],"ok":true}`, wantType: "application/json",
		},
		{
			name:    "XML from an XPath becomes JSON",
			snippet: `<payloadFactory media-type="json"><format>{"items":$1}</format><args><arg expression="//items"/></args></payloadFactory>`,
			in:      xmlOrder,
			want:    `{"items":{"items":{"item":["pen","ink"]}}}`, wantType: "application/json",
		},
		{
			name:    "literal keeps XML as a string",
			snippet: `<payloadFactory media-type="json"><format>{"items":"$1"}</format><args><arg expression="//items" literal="true"/></args></payloadFactory>`,
			in:      xmlOrder,
			want:    `{"items":"<items><item>pen</item><item>ink</item></items>"}`,
		},
		{
			name:    "literal keeps a JSON object as a string",
			snippet: `<payloadFactory media-type="json"><format>{"addr":"$1"}</format><args><arg evaluator="json" expression="$.addr" literal="true"/></args></payloadFactory>`,
			in:      jsonOrder,
			want:    `{"addr":"{\"city\":\"Oslo\",\"zip\":\"0150\"}"}`,
		},
		{
			name:    "XPath text is not XML-escaped in JSON, value literals are (as in MI)",
			snippet: `<payloadFactory media-type="json"><format>{"who":"$1","v":"$2"}</format><args><arg expression="//who"/><arg value="a&amp;b"/></args></payloadFactory>`,
			in:      xmlOrder,
			want:    `{"who":"Ann & \"Bo\" <x>","v":"a&amp;b"}`,
		},
		{
			name:    "a value literal that is XML becomes JSON",
			snippet: `<payloadFactory media-type="json"><format>{"v":$1}</format><args><arg value="&lt;a&gt;&lt;b&gt;1&lt;/b&gt;&lt;/a&gt;"/></args></payloadFactory>`,
			in:      xmlOrder,
			want:    `{"v":{"a":{"b":1}}}`,
		},
		{
			name:    "QUOTE_STRING_IN_PAYLOAD_FACTORY_JSON quotes everything but numbers, booleans and null",
			snippet: `<property name="QUOTE_STRING_IN_PAYLOAD_FACTORY_JSON" value="true"/><payloadFactory media-type="json"><format>{"a":$1,"b":$2,"c":$3,"d":$4,"e":$5}</format><args><arg value="x y"/><arg value="-1.5e3"/><arg value="true"/><arg value="null"/><arg value="01"/></args></payloadFactory>`,
			in:      xmlOrder,
			want:    `{"a":"x y","b":-1.5e3,"c":true,"d":null,"e":"01"}`,
		},
		{
			name:    "a JSON template on an XML message sets application/json and the Content-Type header",
			snippet: `<payloadFactory media-type="json"><format>{"id":$1}</format><args><arg expression="//id"/></args></payloadFactory><property name="ct" expression="$trp:Content-Type"/>`,
			in:      xmlOrder,
			want:    `{"id":7}`, wantType: "application/json", props: map[string]string{"ct": "application/json"},
		},
		{
			name:    "messageType follows the JSON result",
			snippet: `<property name="messageType" value="application/xml" scope="axis2"/><payloadFactory media-type="json"><format>[1]</format></payloadFactory>`,
			in:      xmlOrder,
			want:    `[1]`, wantType: "application/json",
		},
		{
			name:    "an empty result is an empty object",
			snippet: `<payloadFactory media-type="json"><format>$1</format><args><arg value=" "/></args></payloadFactory>`,
			in:      xmlOrder,
			want:    `{}`,
		},
		{
			name:    "a template from a text local entry",
			snippet: `<payloadFactory media-type="json"><format key="tpl"/><args><arg evaluator="json" expression="$.id"/></args></payloadFactory>`,
			extra:   `<localEntry key="tpl"><![CDATA[{"id":$1}]]></localEntry>`,
			in:      jsonOrder,
			want:    `{"id":7}`,
		},
		{
			name: "the inline template's CDATA and surrounding indentation",
			snippet: `<payloadFactory media-type="json">
				<format>
					<![CDATA[{"id": $1}]]>
				</format>
				<args><arg evaluator="json" expression="$.id"/></args>
			</payloadFactory>`,
			in:   jsonOrder,
			want: `{"id":7}`,
		},
	})
}

func TestPayloadFactoryText(t *testing.T) {
	t.Parallel()
	args := ""
	for i := 1; i <= 11; i++ {
		args += fmt.Sprintf(`<arg value="v%d"/>`, i)
	}
	runOutCases(t, []outCase{
		{
			name:    "placeholders past $9, and $ not followed by a digit",
			snippet: `<payloadFactory media-type="text"><format> $1 $10 $11 $x $ $$2 </format><args>` + args + `</args></payloadFactory>`,
			in:      xmlOrder,
			want:    `v1 v10 v11 $x $ $v2`, wantType: "text/plain",
		},
		{
			name:    "value literals are XML-escaped in text too (as in MI)",
			snippet: `<payloadFactory media-type="text"><format>$1 $2</format><args><arg value="a&amp;b"/><arg expression="//who"/></args></payloadFactory>`,
			in:      xmlOrder,
			want:    `a&amp;b Ann & "Bo" <x>`,
		},
		{
			name:    "a placeholder without an arg leaves the rest of the format unreplaced",
			snippet: `<payloadFactory media-type="text"><format>$1 $3 $2 $1</format><args><arg value="a"/><arg value="b"/></args></payloadFactory>`,
			in:      xmlOrder,
			want:    `a $3 $2 $1`,
		},
		{
			name:    "text on a SOAP message",
			snippet: `<payloadFactory media-type="text"><format>hi</format></payloadFactory>`,
			in:      testkit.Input{Body: soap11("", `<req/>`), ContentType: "text/xml"},
			want:    `hi`, wantType: "text/plain",
		},
	})
}

func TestPayloadFactoryFaults(t *testing.T) {
	t.Parallel()
	runFaultCases(t, []faultCase{
		{
			name:    "a JSON result that does not parse",
			snippet: `<payloadFactory media-type="json"><format>{"a":$1}</format><args><arg value="x y"/></args></payloadFactory>`,
			in:      xmlOrder,
			want:    `Error creating JSON Payload from source {"a":x y}`,
		},
		{
			name:    "an XML result that does not parse",
			snippet: `<payloadFactory><format><r xmlns="" a="$1"/></format><args><arg value="&lt;b/&gt;"/></args></payloadFactory>`,
			in:      xmlOrder,
			want:    `Error creating SOAP Envelope from source <r xmlns="" a="<b/>"/>`,
		},
		{
			name:    "an XML result without an element",
			snippet: `<payloadFactory><format>$1</format><args><arg value="text only"/></args></payloadFactory>`,
			in:      xmlOrder,
			want:    `Generated content is not a valid XML payload`,
		},
	})
}

func TestPayloadFactoryProperties(t *testing.T) {
	t.Parallel()
	res := testkit.Run(t, `<property name="NO_ENTITY_BODY" value="true" scope="axis2" type="BOOLEAN"/><payloadFactory><format><r xmlns=""/></format></payloadFactory>`, xmlOrder)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if _, ok := res.Msg.Get(message.ScopeAxis2, message.PropNoEntityBody); ok {
		t.Errorf("NO_ENTITY_BODY is still set")
	}
}

func TestPayloadFactoryConfigErrors(t *testing.T) {
	t.Parallel()
	runDiagCases(t, []diagCase{
		{name: "media type", snippet: `<payloadFactory media-type="JSON"><format>{}</format></payloadFactory>`, marker: `media-type`, cause: `media-type="JSON" must be xml, json or text`},
		{name: "freemarker", snippet: `<payloadFactory template-type="freemarker"><format>{}</format></payloadFactory>`, marker: `template-type`, cause: `not supported by Busbar yet`},
		{name: "no format", snippet: `<payloadFactory><args/></payloadFactory>`, marker: `<payloadFactory`, cause: `needs a <format> child`},
		{name: "arg without value or expression", snippet: `<payloadFactory><format><a/></format><args><arg literal="true"/></args></payloadFactory>`, marker: `<arg literal`, cause: `needs a value or an expression`},
		{name: "empty expression", snippet: `<payloadFactory><format><a/></format><args><arg expression=" "/></args></payloadFactory>`, marker: `expression`, cause: `cannot be empty`},
		{name: "bad XPath", snippet: `<payloadFactory><format><a/></format><args><arg expression="//a["/></args></payloadFactory>`, marker: `expression`, cause: `invalid XPath`},
		{name: "bad JSONPath", snippet: `<payloadFactory><format><a/></format><args><arg evaluator="json" expression="$.a[?(@.b &lt;)]"/></args></payloadFactory>`, marker: `expression`, cause: `invalid JSONPath`},
		{name: "literal not a boolean", snippet: `<payloadFactory><format><a/></format><args><arg value="1" literal="yes"/></args></payloadFactory>`, marker: `literal`, cause: `must be true or false`},
		{name: "not an arg", snippet: `<payloadFactory><format><a/></format><args><param value="1"/></args></payloadFactory>`, marker: `<param`, cause: `holds only <arg> elements`},
		{name: "missing local entry", snippet: `<payloadFactory><format key="nope"/></payloadFactory>`, marker: `key=`, cause: `names no local entry`},
		{name: "dynamic key", snippet: `<payloadFactory><format key="{//k}"/></payloadFactory>`, marker: `key=`, cause: `not supported by Busbar yet`},
		{name: "inline Synapse expression", snippet: `<payloadFactory media-type="json"><format>{"a":"${payload.a}"}</format></payloadFactory>`, marker: `<format`, cause: `inline Synapse expression (${payload.a})`},
		{name: "static template that is not JSON", snippet: `<payloadFactory media-type="json"><format>{"a":}</format></payloadFactory>`, marker: `<format`, cause: `not valid JSON`},
		{name: "static XML template from a text entry", snippet: `<payloadFactory><format key="t"/></payloadFactory>`, marker: `<format`, cause: `not well-formed XML`, extra: `<localEntry key="t">&lt;a&gt;</localEntry>`},
		{name: "unknown child", snippet: `<payloadFactory><format><a/></format><arg value="1"/></payloadFactory>`, marker: `<arg`, cause: `unknown element`},
	})
}

func TestPayloadFactoryWarnings(t *testing.T) {
	t.Parallel()
	g, diags := testkit.Compile(`<sequence name="__test"><payloadFactory media-type="text"><format>$1 $2</format><args><arg value="a"/></args></payloadFactory></sequence>`)
	if g == nil {
		t.Fatalf("does not compile: %v", diags.Err())
	}
	var found bool
	for _, d := range diags.List {
		found = found || strings.Contains(d.String(), "placeholder $2 has no <arg>")
	}
	if !found {
		t.Errorf("no warning about $2: %v", diags.List)
	}
}
