package mediator_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/busbar/busbar/internal/jsontree"
	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/testkit"
	"github.com/busbar/busbar/internal/xmltree"
)

// run runs snippet and fails the test on a fault.
func run(t *testing.T, snippet string, in testkit.Input) testkit.Result {
	t.Helper()
	res := testkit.Run(t, snippet, in)
	if res.Err != nil {
		t.Fatalf("unexpected fault: %v", res.Err)
	}
	return res
}

var xmlIn = testkit.Input{Body: `<order><id>42</id><total>12.75</total><email>ada@example.org</email></order>`, ContentType: "application/xml"}

func TestPropertyScopes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, snippet, scope, prop, want string
	}{
		{"default", `<property name="p" value="v"/>`, "default", "p", "v"},
		{"explicit default", `<property name="p" value="v" scope="default"/>`, "default", "p", "v"},
		{"transport sets a header", `<property name="X-Trace" value="t1" scope="transport"/>`, "transport", "x-trace", "t1"},
		{"axis2", `<property name="p" value="v" scope="axis2"/>`, "axis2", "p", "v"},
		{"axis2-client", `<property name="p" value="v" scope="axis2-client"/>`, "axis2-client", "p", "v"},
		{"operation", `<property name="p" value="v" scope="operation"/>`, "operation", "p", "v"},
		{"readable through get-property", `<property name="p" value="v" scope="operation"/><property name="q" expression="get-property('operation', 'p')"/>`, "default", "q", "v"},
		{"readable through $axis2", `<property name="p" value="v" scope="axis2"/><property name="q" expression="$axis2:p"/>`, "default", "q", "v"},
		{"dynamic name", `<property name="{concat('order-', //id)}" value="seen"/>`, "default", "order-42", "seen"},
		{"expression", `<property name="p" expression="//total"/>`, "default", "p", "12.75"},
		{"expression from a header", `<property name="p" expression="$trp:Content-Type"/>`, "default", "p", "application/xml"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := run(t, tc.snippet, xmlIn)
			if got := res.Msg.GetString(tc.scope, tc.prop); got != tc.want {
				t.Errorf("%s:%s = %q, want %q", tc.scope, tc.prop, got, tc.want)
			}
		})
	}
}

func TestPropertyRemove(t *testing.T) {
	t.Parallel()
	in := testkit.Input{Body: `<a/>`, ContentType: "application/xml", Header: http.Header{"X-A": {"1"}, "X-B": {"2"}}, Props: map[string]string{"p": "v"}}
	cases := []struct {
		name, snippet, scope, prop string
	}{
		{"default", `<property name="p" action="remove"/>`, "default", "p"},
		{"transport", `<property name="X-A" action="remove" scope="transport"/>`, "transport", "X-A"},
		{"axis2", `<property name="q" value="1" scope="axis2"/><property name="q" action="remove" scope="axis2"/>`, "axis2", "q"},
		{"operation", `<property name="q" value="1" scope="operation"/><property name="q" action="remove" scope="operation"/>`, "operation", "q"},
		{"ERROR_CODE is just a property", `<property name="ERROR_CODE" value="101503"/><property name="ERROR_CODE" action="remove"/>`, "default", "ERROR_CODE"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := run(t, tc.snippet, in)
			if v, ok := res.Msg.Get(tc.scope, tc.prop); ok {
				t.Errorf("%s:%s still set to %v", tc.scope, tc.prop, v)
			}
			if res.Msg.Header.Get("X-B") != "2" {
				t.Error("an unrelated header went away")
			}
		})
	}
}

func TestPropertyTypes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, snippet string
		want          any
	}{
		{"STRING is the default", `<property name="p" value="5"/>`, "5"},
		{"INTEGER", `<property name="p" value="-42" type="INTEGER"/>`, -42},
		{"INTEGER from an XPath number truncates", `<property name="p" expression="//total * 2" type="INTEGER"/>`, 25},
		{"INTEGER from a negative decimal truncates towards zero", `<property name="p" expression="0 - //total" type="INTEGER"/>`, -12},
		{"SHORT", `<property name="p" value="123" type="SHORT"/>`, int16(123)},
		{"SHORT from a decimal", `<property name="p" expression="//total" type="SHORT"/>`, int16(12)},
		{"LONG", `<property name="p" value="9007199254740993" type="LONG"/>`, int64(9007199254740993)},
		{"DOUBLE", `<property name="p" expression="//total" type="DOUBLE"/>`, 12.75},
		{"DOUBLE with Java suffix and spaces", `<property name="p" value=" 2.5d " type="DOUBLE"/>`, 2.5},
		{"FLOAT", `<property name="p" value="1.5" type="FLOAT"/>`, float32(1.5)},
		{"BOOLEAN true", `<property name="p" value="TRUE" type="BOOLEAN"/>`, true},
		{"BOOLEAN yes", `<property name="p" value="yes" type="BOOLEAN"/>`, true},
		{"BOOLEAN 1", `<property name="p" expression="//id - 41" type="BOOLEAN"/>`, true},
		{"BOOLEAN anything else is false", `<property name="p" value="no" type="BOOLEAN"/>`, false},
		{"type is case-insensitive", `<property name="p" value="7" type="integer"/>`, 7},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := run(t, tc.snippet, xmlIn)
			got, _ := res.Msg.Get("default", "p")
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("p = %#v (%T), want %#v (%T)", got, got, tc.want, tc.want)
			}
		})
	}
}

func TestPropertyStructuredTypes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, snippet, want string
		json                bool
	}{
		{"OM from a value", `<property name="p" value="&lt;a&gt;&lt;b&gt;1&lt;/b&gt;&lt;/a&gt;" type="OM"/>`, `<a><b>1</b></a>`, false},
		{"OM from an inline element", `<property name="p"><cfg xmlns=""><url>http://x</url></cfg></property>`, `<cfg xmlns=""><url>http://x</url></cfg>`, false},
		{"OM from an XPath keeps the first element", `<property name="p" expression="//id" type="OM"/>`, `<id>42</id>`, false},
		{"OM from a string that is XML", `<property name="p" expression="concat('&lt;n&gt;', //id, '&lt;/n&gt;')" type="OM"/>`, `<n>42</n>`, false},
		{"JSON object", `<property name="p" value='{"a":[1,2]}' type="JSON"/>`, `{"a":[1,2]}`, true},
		{"JSON from json-eval", `<property name="p" expression="json-eval($.order)" type="JSON"/>`, `{"id":42,"total":12.75,"email":"ada@example.org"}`, true},
		{"JSON from plain text is a string", `<property name="p" value="hello" type="JSON"/>`, `"hello"`, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := run(t, tc.snippet, xmlIn)
			got, _ := res.Msg.Get("default", "p")
			var s string
			switch v := got.(type) {
			case *xmltree.Node:
				if tc.json {
					t.Fatalf("got XML %s, want JSON", v)
				}
				s = v.String()
			case *jsontree.Value:
				if !tc.json {
					t.Fatalf("got JSON %s, want XML", v)
				}
				s = v.String()
			default:
				t.Fatalf("p is a %T (%v)", got, got)
			}
			if s != tc.want {
				t.Errorf("p = %s, want %s", s, tc.want)
			}
		})
	}
}

// TestPropertyOMIsCopiedPerMessage makes sure a literal OM value is not
// shared between messages, since later mediators may edit it.
func TestPropertyOMIsCopiedPerMessage(t *testing.T) {
	t.Parallel()
	g := testkit.Graph(t, `<sequence name="__test"><property name="p"><cfg xmlns=""><n>1</n></cfg></property></sequence>`)
	a := testkit.RunOn(t, g, "__test", testkit.Input{})
	b := testkit.RunOn(t, g, "__test", testkit.Input{})
	va, _ := a.Msg.Get("default", "p")
	vb, _ := b.Msg.Get("default", "p")
	if va.(*xmltree.Node) == vb.(*xmltree.Node) {
		t.Fatal("two messages share one OM value")
	}
}

func TestPropertyOMReadableByXPath(t *testing.T) {
	t.Parallel()
	res := run(t, `<property name="cfg"><cfg xmlns=""><url>http://x</url></cfg></property><property name="u" expression="$ctx:cfg/url"/>`, testkit.Input{})
	if got := res.Prop("u"); got != "http://x" {
		t.Errorf("u = %q", got)
	}
}

func TestPropertyPattern(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, snippet, want string
	}{
		{"group 1", `<property name="p" expression="//email" pattern="[^@]+@(.+)" group="1"/>`, "example.org"},
		{"group 0 is the whole match", `<property name="p" expression="//email" pattern="[^@]+@.+"/>`, "ada@example.org"},
		{"the whole value must match", `<property name="p" expression="//email" pattern="example"/>`, ""},
		{"on a literal", `<property name="p" value="v1.2.3" pattern="v(\d+)\..*" group="1"/>`, "1"},
		{"group beyond the pattern gives empty", `<property name="p" expression="//email" pattern="(.*)" group="2"/>`, ""},
		{"not applied to typed values", `<property name="p" value="12" type="INTEGER" pattern="(1)2" group="1"/>`, "12"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := run(t, tc.snippet, xmlIn)
			if got := res.Prop("p"); got != tc.want {
				t.Errorf("p = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPropertyRunTimeConversionFault(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, snippet, want string
	}{
		{"INTEGER", `<property name="p" expression="//email" type="INTEGER"/>`, `"ada@example.org" is not a valid INTEGER`},
		{"LONG with a decimal", `<property name="p" expression="//total" type="LONG"/>`, `"12.75" is not a valid LONG`},
		{"DOUBLE", `<property name="p" expression="//email" type="DOUBLE"/>`, `is not a valid number`},
		{"OM", `<property name="p" expression="string(//email)" type="OM"/>`, `not XML`},
		{"SHORT out of range", `<property name="p" expression="concat(//id, '000')" type="SHORT"/>`, `"42000" is not a valid SHORT`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := testkit.Run(t, tc.snippet, xmlIn)
			if res.Err == nil {
				t.Fatal("want a fault")
			}
			if !strings.Contains(res.Err.Message, tc.want) || !strings.Contains(res.Err.Message, "property p") {
				t.Errorf("fault message %q lacks %q", res.Err.Message, tc.want)
			}
			if res.Err.Path != "sequence[__test]/property[1]" {
				t.Errorf("fault path = %q", res.Err.Path)
			}
		})
	}
}

func TestPropertySpecialNames(t *testing.T) {
	t.Parallel()
	t.Run("messageType makes an XML message JSON", func(t *testing.T) {
		t.Parallel()
		res := run(t, `<property name="messageType" value="application/json" scope="axis2"/>`, xmlIn)
		if got := res.Body(t); got != `{"order":{"id":42,"total":12.75,"email":"ada@example.org"}}` {
			t.Errorf("body = %s", got)
		}
		if got := res.Msg.GetString("axis2", "ContentType"); got != "application/json" {
			t.Errorf("ContentType = %q", got)
		}
		if got := res.Msg.Header.Get("Content-Type"); got != "application/json" {
			t.Errorf("Content-Type header = %q", got)
		}
	})
	t.Run("messageType text/xml makes a JSON message SOAP", func(t *testing.T) {
		t.Parallel()
		res := run(t, `<property name="messageType" value="text/xml" scope="axis2"/>`, testkit.Input{Body: `{"a":1}`, ContentType: "application/json"})
		if got := res.Body(t); !strings.HasPrefix(got, `<soapenv:Envelope`) || !strings.Contains(got, `<jsonObject><a>1</a></jsonObject>`) {
			t.Errorf("body = %s", got)
		}
	})
	t.Run("HTTP_SC sets the status", func(t *testing.T) {
		t.Parallel()
		res := run(t, `<property name="HTTP_SC" value="404" scope="axis2"/>`, xmlIn)
		if res.Msg.Status != 404 {
			t.Errorf("status = %d", res.Msg.Status)
		}
	})
	t.Run("HTTP_SC from an expression", func(t *testing.T) {
		t.Parallel()
		res := run(t, `<property name="HTTP_SC" expression="//id + 158" scope="axis2"/>`, xmlIn)
		if res.Msg.Status != 200 {
			t.Errorf("status = %d", res.Msg.Status)
		}
	})
	t.Run("removing TRANSPORT_HEADERS keeps only Content-Type", func(t *testing.T) {
		t.Parallel()
		in := xmlIn
		in.Header = http.Header{"Authorization": {"Basic x"}, "X-Trace": {"1"}}
		res := run(t, `<property name="TRANSPORT_HEADERS" action="remove" scope="axis2"/>`, in)
		if len(res.Msg.Header) != 1 || res.Msg.Header.Get("Content-Type") != "application/xml" {
			t.Errorf("headers = %v", res.Msg.Header)
		}
		if !res.Msg.Body.IsStream() {
			t.Error("body was read")
		}
	})
	t.Run("removing REST_URL_POSTFIX", func(t *testing.T) {
		t.Parallel()
		res := run(t, `<property name="REST_URL_POSTFIX" value="/a/b" scope="axis2"/><property name="REST_URL_POSTFIX" action="remove" scope="axis2"/>`, xmlIn)
		if p, ok := res.Msg.Postfix(); ok {
			t.Errorf("postfix still set: %q", p)
		}
	})
	t.Run("RESPONSE=true makes the message a response", func(t *testing.T) {
		t.Parallel()
		res := run(t, `<property name="RESPONSE" value="true"/>`, xmlIn)
		if !res.Msg.Response {
			t.Error("not a response")
		}
	})
	flags := []struct{ snippet, scope, name string }{
		{`<property name="NO_ENTITY_BODY" value="true" scope="axis2" type="BOOLEAN"/>`, "axis2", "NO_ENTITY_BODY"},
		{`<property name="FORCE_SC_ACCEPTED" value="true" scope="axis2"/>`, "axis2", "FORCE_SC_ACCEPTED"},
		{`<property name="OUT_ONLY" value="true"/>`, "default", "OUT_ONLY"},
		{`<property name="FAULTS_AS_HTTP_200" value="TRUE"/>`, "default", "FAULTS_AS_HTTP_200"},
	}
	for _, f := range flags {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			res := run(t, f.snippet, xmlIn)
			if !res.Msg.Flag(f.scope, f.name) {
				t.Errorf("%s:%s is not set", f.scope, f.name)
			}
		})
	}
}

// TestPropertyFaultsAsHTTP200 checks the effect end to end: a SOAP fault
// answered with FAULTS_AS_HTTP_200 goes out with 200. The log mediator
// parses the body, which is how the engine notices the fault.
func TestPropertyFaultsAsHTTP200(t *testing.T) {
	t.Parallel()
	fault := `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault>` +
		`<faultcode>soapenv:Server</faultcode><faultstring>x</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`
	cases := []struct {
		name, snippet string
		want          int
	}{
		{"fault is 500", `<log level="headers"/><respond/>`, 500},
		{"FAULTS_AS_HTTP_200 makes it 200", `<property name="FAULTS_AS_HTTP_200" value="true"/><log level="headers"/><respond/>`, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := run(t, tc.snippet, testkit.Input{Body: fault, ContentType: "text/xml"})
			if len(res.Responses) != 1 || res.Responses[0].Status != tc.want {
				t.Errorf("responses %+v, want status %d", res.Responses, tc.want)
			}
		})
	}
}

func TestPropertyGroup(t *testing.T) {
	t.Parallel()
	res := run(t, `<propertyGroup description="ids"><property name="a" expression="//id"/><property name="b" expression="concat(get-property('a'), '!')"/>`+
		`<property name="HTTP_SC" value="201" scope="axis2"/><property name="a" action="remove"/></propertyGroup>`, xmlIn)
	if res.Prop("b") != "42!" || res.Msg.Status != 201 {
		t.Errorf("b = %q, status %d", res.Prop("b"), res.Msg.Status)
	}
	if _, ok := res.Msg.Get("default", "a"); ok {
		t.Error("a was not removed")
	}
	if !res.Msg.Body.Untouched() {
		t.Error("the body was changed")
	}
}

func TestPropertyGroupFaultPath(t *testing.T) {
	t.Parallel()
	res := testkit.Run(t, `<propertyGroup><property name="a" value="1"/><property name="n" expression="//email" type="INTEGER"/></propertyGroup>`, xmlIn)
	if res.Err == nil || res.Err.Path != "sequence[__test]/propertyGroup[1]/property[2]" {
		t.Fatalf("fault %v at %q", res.Err, res.Err.Path)
	}
}

func TestPropertyKeepsStreaming(t *testing.T) {
	t.Parallel()
	res := run(t, `<property name="a" value="1"/><property name="b" expression="get-property('a')" scope="transport"/>`+
		`<property name="c" value="2" type="INTEGER" scope="axis2"/><property name="p" action="remove"/>`, xmlIn)
	if !res.Msg.Body.IsStream() {
		t.Error("the body was read")
	}
	if res.Msg.Header.Get("b") != "1" {
		t.Errorf("header b = %q", res.Msg.Header.Get("b"))
	}
}

func TestPropertyEmptyDynamicNameSetsNothing(t *testing.T) {
	t.Parallel()
	res := run(t, `<property name="{//missing}" value="v"/><property name="after" value="yes"/>`, xmlIn)
	if len(res.Msg.Props()) != 1 || res.Prop("after") != "yes" {
		t.Errorf("properties: %v", res.Msg.Props())
	}
}

func TestPropertyXPathErrorFails(t *testing.T) {
	t.Parallel()
	res := testkit.Run(t, `<property name="p" expression="base64Decode('%%%')"/>`, xmlIn)
	if res.Err == nil {
		t.Fatal("want a fault")
	}
}

func TestPropertyConfigErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, snippet, marker, cause string
	}{
		{"no name", `<property value="1"/>`, `<property`, `<property> needs a "name" attribute`},
		{"empty name", `<property name=" " value="1"/>`, `name=`, `non-empty name`},
		{"Synapse expression name", `<property name="{${payload.id}}" value="1"/>`, `name=`, `Synapse expressions (${...}) are not supported`},
		{"nothing to set", `<property name="p"/>`, `<property`, `needs a value attribute, an expression attribute or an XML element child`},
		{"value and expression", `<property name="p" value="1" expression="//a"/>`, `<property`, `takes one of a value attribute, an expression attribute or an XML element child`},
		{"value and element", `<property name="p" value="1"><a/></property>`, `<property`, `takes one of`},
		{"two elements", `<property name="p"><a/><b/></property>`, `<b/>`, `at most one XML element`},
		{"registry scope", `<property name="p" value="1" scope="registry"/>`, `scope=`, `scope "registry" is not supported by Busbar`},
		{"system scope", `<property name="p" value="1" scope="system"/>`, `scope=`, `scope "system" is not supported by Busbar`},
		{"trace scope", `<property name="p" value="1" scope="trace"/>`, `scope=`, `scope "trace" is not supported by Busbar`},
		{"analytics scope", `<property name="p" value="1" scope="analytics"/>`, `scope=`, `scope "analytics" is not supported by Busbar`},
		{"unknown scope", `<property name="p" value="1" scope="session"/>`, `scope=`, `scope="session" must be one of default, transport, axis2, axis2-client, operation`},
		{"unknown type", `<property name="p" value="1" type="DATE"/>`, `type=`, `type="DATE" must be one of STRING, INTEGER`},
		{"unknown action", `<property name="p" value="1" action="delete"/>`, `action=`, `action="delete" must be one of set, remove`},
		{"literal not an INTEGER", `<property name="p" value="4x" type="INTEGER"/>`, `value=`, `"4x" is not a valid INTEGER`},
		{"literal INTEGER with a decimal", `<property name="p" value="4.5" type="INTEGER"/>`, `value=`, `"4.5" is not a valid INTEGER`},
		{"literal not XML", `<property name="p" value="plain" type="OM"/>`, `value=`, `not XML`},
		{"group without pattern", `<property name="p" value="1" group="1"/>`, `group=`, `group="1" is only allowed with a pattern`},
		{"negative group", `<property name="p" value="1" pattern="(.)" group="-1"/>`, `group=`, `must be a whole number of 0 or more`},
		{"bad pattern", `<property name="p" value="1" pattern="(a"/>`, `pattern=`, `is not a valid regular expression`},
		{"bad expression", `<property name="p" expression="//a["/>`, `expression=`, `invalid XPath`},
		{"bad dynamic name", `<property name="{//a[}" value="1"/>`, `name=`, `invalid XPath`},
		{"propertyGroup with another mediator", `<propertyGroup><property name="a" value="1"/><log/></propertyGroup>`, `<log/>`, `unknown element <log> in <propertyGroup>`},
		{"error inside propertyGroup", `<propertyGroup><property name="a" value="x" type="LONG"/></propertyGroup>`, `value=`, `"x" is not a valid LONG`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantConfigError(t, tc.snippet, tc.marker, tc.cause)
		})
	}
}

func TestPropertyConfigWarnings(t *testing.T) {
	t.Parallel()
	cases := []struct{ snippet, want string }{
		{`<property name="p" value="1" pattern="(a)" group="3"/>`, "group 3 does not exist"},
		{`<property name="p" value="1" type="INTEGER" pattern="(1)"/>`, "pattern is ignored for type INTEGER"},
		{`<property name="p" action="remove" value="1"/>`, `value is ignored when action="remove"`},
	}
	for _, tc := range cases {
		_, diags := testkit.Compile(`<sequence name="__test">` + tc.snippet + `</sequence>`)
		if diags.HasErrors() {
			t.Errorf("%s: %v", tc.snippet, diags.Err())
			continue
		}
		found := false
		for _, w := range diags.Warnings() {
			found = found || strings.Contains(w.Msg, tc.want)
		}
		if !found {
			t.Errorf("%s: warnings %v lack %q", tc.snippet, diags.Warnings(), tc.want)
		}
	}
}

// TestPropertyTypedValuesRender checks how typed values read back as
// strings (get-property), which is what later mediators see.
func TestPropertyTypedValuesRender(t *testing.T) {
	t.Parallel()
	res := run(t, `<property name="i" value="7" type="INTEGER"/><property name="b" value="yes" type="BOOLEAN"/>`+
		`<property name="s" value="3" type="SHORT"/><property name="l" value="8" type="LONG"/>`+
		`<property name="all" expression="concat(get-property('i'), ',', get-property('b'), ',', get-property('s'), ',', get-property('l'))"/>`, testkit.Input{})
	if got := res.Prop("all"); got != "7,true,3,8" {
		t.Errorf("all = %q", got)
	}
	if got := message.ValueString(int16(3)); got != "3" {
		t.Errorf("int16 renders as %q", got)
	}
}
