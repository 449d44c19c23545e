package mediator_test

import (
	"testing"

	"github.com/busbar/busbar/internal/jsontree"
	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/testkit"
	"github.com/busbar/busbar/internal/xmltree"
)

var (
	enrichXML      = testkit.Input{Body: `<order><id>7</id><who>Ann</who><items><item>pen</item><item>ink</item></items></order>`, ContentType: "application/xml"}
	enrichStudents = testkit.Input{
		Body:        `{"data":{"students":[{"id":"01","name":"Tom","modules":["CS001","CS002"]},{"id":"02","name":"Nick","modules":["CS011"]}]}}`,
		ContentType: "application/json",
	}
)

const enrichItems = `<items><item>pen</item><item>ink</item></items>`

func TestEnrichXML(t *testing.T) {
	t.Parallel()
	runOutCases(t, []outCase{
		{
			name:    "an element replaces the target",
			snippet: `<enrich><source xpath="//id"/><target xpath="//who"/></enrich>`,
			in:      enrichXML, want: `<order><id>7</id><id>7</id>` + enrichItems + `</order>`, wantType: "application/xml",
		},
		{
			name:    "several elements replace the target in order",
			snippet: `<enrich><source type="custom" xpath="//item"/><target action="replace" type="custom" xpath="//who"/></enrich>`,
			in:      enrichXML, want: `<order><id>7</id><item>pen</item><item>ink</item>` + enrichItems + `</order>`,
		},
		{
			name:    "a string replaces the target's content",
			snippet: `<enrich><source xpath="concat(//who, '!')"/><target xpath="//id"/></enrich>`,
			in:      enrichXML, want: `<order><id>Ann!</id><who>Ann</who>` + enrichItems + `</order>`,
		},
		{
			name:    "a text node replaces the target's content",
			snippet: `<enrich><source xpath="//who/text()"/><target xpath="//id"/></enrich>`,
			in:      enrichXML, want: `<order><id>Ann</id><who>Ann</who>` + enrichItems + `</order>`,
		},
		{
			name:    "child appends",
			snippet: `<enrich><source xpath="//id"/><target action="child" xpath="//items"/></enrich>`,
			in:      enrichXML, want: `<order><id>7</id><who>Ann</who><items><item>pen</item><item>ink</item><id>7</id></items></order>`,
		},
		{
			name:    "sibling inserts each after the target, so several end up reversed",
			snippet: `<enrich><source xpath="//item"/><target action="sibling" xpath="//id"/></enrich>`,
			in:      enrichXML, want: `<order><id>7</id><item>ink</item><item>pen</item><who>Ann</who>` + enrichItems + `</order>`,
		},
		{
			name:    "clone=false moves the source",
			snippet: `<enrich><source clone="false" xpath="//who"/><target action="child" xpath="//items"/></enrich>`,
			in:      enrichXML, want: `<order><id>7</id><items><item>pen</item><item>ink</item><who>Ann</who></items></order>`,
		},
		{
			name:    "an attribute target gets the text",
			snippet: `<enrich><source xpath="//who/text()"/><target xpath="//order/@ref"/></enrich>`,
			in:      testkit.Input{Body: `<order ref="1"><who>Ann</who></order>`, ContentType: "application/xml"},
			want:    `<order ref="Ann"><who>Ann</who></order>`,
		},
		{
			name:    "a text target: text replaces the parent's content",
			snippet: `<enrich><source type="inline">Bob</source><target xpath="//who/text()"/></enrich>`,
			in:      enrichXML, want: `<order><id>7</id><who>Bob</who>` + enrichItems + `</order>`,
		},
		{
			name:    "a text target: an element replaces the text",
			snippet: `<enrich><source xpath="//id"/><target xpath="//who/text()"/></enrich>`,
			in:      enrichXML, want: `<order><id>7</id><who><id>7</id></who>` + enrichItems + `</order>`,
		},
		{
			name:    "inline XML keeps the Synapse namespace unless xmlns=\"\"",
			snippet: `<enrich><source type="inline"><status>NEW</status></source><target action="child" xpath="//order"/></enrich><enrich><source type="inline"><n xmlns="">1</n></source><target action="child" xpath="//order"/></enrich>`,
			in:      testkit.Input{Body: `<order/>`, ContentType: "application/xml"},
			want:    `<order><status xmlns="http://ws.apache.org/ns/synapse">NEW</status><n>1</n></order>`,
		},
		{
			name:    "inline content from local entries",
			snippet: `<enrich><source type="inline" key="el"/><target xpath="//id"/></enrich><enrich><source type="inline" key="txt"/><target xpath="//who"/></enrich>`,
			extra:   `<localEntry key="el"><code xmlns="">A1</code></localEntry><localEntry key="txt">Zed</localEntry>`,
			in:      enrichXML, want: `<order><code>A1</code><who>Zed</who>` + enrichItems + `</order>`,
		},
		{
			name:    "an empty source leaves the message alone",
			snippet: `<enrich><source xpath="//missing"/><target xpath="//who"/></enrich>`,
			in:      enrichXML, want: enrichXML.Body,
		},
		{
			name:    "remove does nothing to XML",
			snippet: `<enrich><source xpath="//who"/><target action="remove" type="body"/></enrich>`,
			in:      enrichXML, want: enrichXML.Body,
		},
		{
			name: "the envelope through a property",
			snippet: `<enrich><source type="envelope"/><target type="property" property="env"/></enrich>` +
				`<payloadFactory><format><x xmlns=""/></format></payloadFactory>` +
				`<enrich><source type="property" property="env"/><target type="envelope"/></enrich>`,
			in:   testkit.Input{Body: soap11(`<h xmlns="urn:h"/>`, `<req>1</req>`), ContentType: "text/xml"},
			want: soap11(`<h xmlns="urn:h"/>`, `<req>1</req>`), wantType: "text/xml",
		},
		{
			name:    "an inline SOAP 1.2 envelope replaces a SOAP 1.1 one",
			snippet: `<enrich><source type="inline"><e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><r xmlns="">new</r></e:Body></e:Envelope></source><target type="envelope"/></enrich>`,
			in:      testkit.Input{Body: soap11("", `<req>1</req>`), ContentType: "text/xml"},
			want:    soap12("", `<r>new</r>`), wantType: "application/soap+xml",
		},
		{
			name:    "an empty body gets the source",
			snippet: `<enrich><source type="inline"><r xmlns="">x</r></source><target type="body"/></enrich>`,
			in:      testkit.Input{Body: soap11("", ""), ContentType: "text/xml"},
			want:    soap11("", `<r>x</r>`),
		},
		{
			name:    "JSON text replacing an XML body makes the payload JSON, written in the message's format",
			snippet: `<property name="j" value='{"a":1}'/><enrich><source type="property" property="j"/><target type="body"/></enrich>`,
			in:      enrichXML, want: `<jsonObject><a>1</a></jsonObject>`, wantType: "application/xml",
		},
		{
			name:    "a JSONPath source on an XML message gives text",
			snippet: `<enrich><source xpath="json-eval($.order.id)"/><target xpath="//who"/></enrich>`,
			in:      enrichXML, want: `<order><id>7</id><who>7</who>` + enrichItems + `</order>`,
		},
		{
			name:    "XPath on a JSON message edits its XML form and writes JSON",
			snippet: `<enrich><source xpath="//b"/><target xpath="//c"/></enrich>`,
			in:      testkit.Input{Body: `{"a":{"b":1},"c":2}`, ContentType: "application/json"},
			want:    `{"a":{"b":1},"b":1}`, wantType: "application/json",
		},
		{
			name:    "XML held in a property sends a JSON message down the XML path",
			snippet: `<property name="x" type="OM" value="&lt;n&gt;1&lt;/n&gt;"/><enrich><source type="property" property="x"/><target action="child" type="body"/></enrich>`,
			in:      testkit.Input{Body: `{"a":true}`, ContentType: "application/json"},
			want:    `{"a":true,"n":1}`,
		},
	})
}

func TestEnrichXMLProperties(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, snippet, prop, scope, want string
		list                             bool
	}{
		{name: "the body element", snippet: `<enrich><source type="body"/><target type="property" property="p"/></enrich>`, prop: "p", want: enrichXML.Body},
		{name: "text", snippet: `<enrich><source xpath="//who/text()"/><target type="property" property="p"/></enrich>`, prop: "p", want: "Ann"},
		{name: "several nodes", snippet: `<enrich><source xpath="//item"/><target type="property" property="p"/></enrich>`, prop: "p", want: `<item>pen</item><item>ink</item>`, list: true},
		{name: "get-property target", snippet: `<enrich><source xpath="//id"/><target xpath="get-property('p')"/></enrich>`, prop: "p", want: `<id>7</id>`},
		{name: "get-property target with a scope", snippet: `<enrich><source xpath="//id"/><target xpath="get-property('axis2', 'p')"/></enrich>`, prop: "p", scope: "axis2", want: `<id>7</id>`},
		{
			name: "child of XML held in a property, reached through $ctx",
			snippet: `<enrich><source type="inline"><Cars xmlns=""/></source><target action="child" type="property" property="Cars"/></enrich>` +
				`<enrich><source type="inline"><Car xmlns="">Lambo</Car></source><target action="child" xpath="$ctx:Cars"/></enrich>`,
			prop: "Cars", want: `<Cars><Car>Lambo</Car></Cars>`,
		},
		{
			name:    "child of XML held as a string keeps only its text (as in MI)",
			snippet: `<property name="s" value="&lt;r&gt;t&lt;/r&gt;"/><enrich><source type="inline"><c xmlns=""/></source><target action="child" type="property" property="s"/></enrich>`,
			prop:    "s", want: "t",
		},
		{
			name:    "get-property child adds to a copy",
			snippet: `<property name="p" type="OM" value="&lt;l/&gt;"/><enrich><source xpath="//id"/><target action="child" xpath="get-property('p')"/></enrich>`,
			prop:    "p", want: `<l><id>7</id></l>`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := testkit.Run(t, tc.snippet, enrichXML)
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			v, ok := res.Msg.Get(tc.scope, tc.prop)
			if !ok {
				t.Fatalf("property %s is not set", tc.prop)
			}
			got := message.ValueString(v)
			if n, ok := v.(*xmltree.Node); ok {
				got = n.String()
			}
			if _, ok := v.(message.NodeList); ok != tc.list {
				t.Errorf("property holds %T", v)
			}
			if tc.list {
				got = "<l>" + got + "</l>"
				tc.want = "<l>" + tc.want + "</l>"
			}
			checkBody(t, got, tc.want)
			// The message itself is untouched.
			checkBody(t, res.Body(t), enrichXML.Body)
		})
	}
}

func TestEnrichJSON(t *testing.T) {
	t.Parallel()
	runOutCases(t, []outCase{
		{
			name:    "a JSONPath source replaces the body, clone=false",
			snippet: `<enrich><source clone="false" type="custom" xpath="json-eval($.data)"/><target action="replace" type="body"/></enrich>`,
			in:      enrichStudents,
			want:    `{"students":[{"id":"01","name":"Tom","modules":["CS001","CS002"]},{"id":"02","name":"Nick","modules":["CS011"]}]}`, wantType: "application/json",
		},
		{
			name:    "a string property appended to an array",
			snippet: `<property name="m" value="CS004"/><enrich><source type="property" property="m"/><target action="child" xpath="json-eval($.data.students[0].modules)"/></enrich>`,
			in:      enrichStudents,
			want:    `{"data":{"students":[{"id":"01","name":"Tom","modules":["CS001","CS002","CS004"]},{"id":"02","name":"Nick","modules":["CS011"]}]}}`,
		},
		{
			name:    "a JSON property appended to an array",
			snippet: `<property name="m" value="&quot;CS013 II&quot;" type="JSON"/><enrich><source type="property" property="m" clone="false"/><target action="child" xpath="json-eval(data.students[1].modules)"/></enrich>`,
			in:      enrichStudents,
			want:    `{"data":{"students":[{"id":"01","name":"Tom","modules":["CS001","CS002"]},{"id":"02","name":"Nick","modules":["CS011","CS013 II"]}]}}`,
		},
		{
			name: "inline JSON appended to an array",
			snippet: `<enrich><source type="inline">
				{"id": "03", "name": "Mary"}
			</source><target action="child" xpath="json-eval($.data.students)"/></enrich>`,
			in:   enrichStudents,
			want: `{"data":{"students":[{"id":"01","name":"Tom","modules":["CS001","CS002"]},{"id":"02","name":"Nick","modules":["CS011"]},{"id":"03","name":"Mary"}]}}`,
		},
		{
			name:    "inline JSON merged into an object",
			snippet: `<enrich><source type="inline">{"id":"99","x":1}</source><target action="child" xpath="json-eval($.data.students[1])"/></enrich>`,
			in:      enrichStudents,
			want:    `{"data":{"students":[{"id":"01","name":"Tom","modules":["CS001","CS002"]},{"id":"99","name":"Nick","modules":["CS011"],"x":1}]}}`,
		},
		{
			name:    "replace sets every match",
			snippet: `<enrich><source type="inline">[]</source><target xpath="json-eval($.data.students[*].modules)"/></enrich>`,
			in:      enrichStudents,
			want:    `{"data":{"students":[{"id":"01","name":"Tom","modules":[]},{"id":"02","name":"Nick","modules":[]}]}}`,
		},
		{
			name:    "child on a path with several matches sets each to the matches plus the source (as in MI)",
			snippet: `<enrich><source type="inline">"X"</source><target action="child" xpath="json-eval($.data.students[*].modules)"/></enrich>`,
			in:      enrichStudents,
			want:    `{"data":{"students":[{"id":"01","name":"Tom","modules":[["CS001","CS002"],["CS011"],"X"]},{"id":"02","name":"Nick","modules":[["CS001","CS002"],["CS011"],"X"]}]}}`,
		},
		{
			name:    "clone=false moves a value inside the payload",
			snippet: `<enrich><source clone="false" xpath="json-eval($.data.students[1].id)"/><target xpath="json-eval($.data.students[0].id)"/></enrich>`,
			in:      enrichStudents,
			want:    `{"data":{"students":[{"id":"02","name":"Tom","modules":["CS001","CS002"]},{"name":"Nick","modules":["CS011"]}]}}`,
		},
		{
			name:    "the root as a child target",
			snippet: `<enrich><source type="inline">{"v":2}</source><target action="child" xpath="json-eval($.)"/></enrich>`,
			in:      testkit.Input{Body: `{"v":1,"w":0}`, ContentType: "application/json"},
			want:    `{"v":2,"w":0}`,
		},
		{
			name:    "remove several paths from the body",
			snippet: `<enrich><source clone="true" type="custom" xpath="json-eval($.data.students[*].modules,$.data.students[0])"/><target action="remove" type="body"/></enrich>`,
			in:      enrichStudents,
			want:    `{"data":{"students":[{"id":"02","name":"Nick"}]}}`,
		},
		{
			name:    "remove leaves an empty array and an indefinite path matching nothing alone",
			snippet: `<enrich><source xpath="json-eval($.e, $.x[*].y)"/><target action="remove" type="body"/></enrich>`,
			in:      testkit.Input{Body: `{"e":[],"x":[{"z":1}]}`, ContentType: "application/json"},
			want:    `{"e":[],"x":[{"z":1}]}`,
		},
		{
			name:    "remove the root",
			snippet: `<enrich><source xpath="json-eval($)"/><target action="remove" type="body"/></enrich>`,
			in:      enrichStudents,
			want:    `{}`,
		},
		{
			name:    "rename a key in every match; the member moves last",
			snippet: `<enrich><source clone="true" type="inline">firstName</source><target action="replace" type="key" xpath="json-eval($.data.students[*].name)"/></enrich>`,
			in:      enrichStudents,
			want:    `{"data":{"students":[{"id":"01","modules":["CS001","CS002"],"firstName":"Tom"},{"id":"02","modules":["CS011"],"firstName":"Nick"}]}}`,
		},
		{
			name:    "the body takes only an object or array",
			snippet: `<enrich><source type="inline">42</source><target type="body"/></enrich>`,
			in:      enrichStudents, want: enrichStudents.Body,
		},
		{
			name:    "sibling is not supported for JSON and changes nothing",
			snippet: `<enrich><source type="inline">{"a":1}</source><target action="sibling" xpath="json-eval($.data)"/></enrich>`,
			in:      enrichStudents, want: enrichStudents.Body,
		},
	})
}

func TestEnrichJSONProperties(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, snippet, prop, want string
	}{
		{name: "a string value keeps its quotes", snippet: `<enrich><source xpath="json-eval($.data.students[0].name)"/><target type="property" property="p"/></enrich>`, prop: "p", want: `"Tom"`},
		{name: "an indefinite path gives an array", snippet: `<enrich><source xpath="json-eval($..id)"/><target type="property" property="p"/></enrich>`, prop: "p", want: `["01","02"]`},
		{
			name:    "remove from a property",
			snippet: `<enrich><source clone="false" type="body"/><target type="property" property="p"/></enrich><enrich><source xpath="json-eval($.data.students[*].modules,$.data.students[0])"/><target action="remove" type="property" property="p"/></enrich>`,
			prop:    "p", want: `{"data":{"students":[{"id":"02","name":"Nick"}]}}`,
		},
		{name: "child of an array property", snippet: `<property name="p" value="[1]"/><enrich><source type="inline">{"a":2}</source><target action="child" type="property" property="p"/></enrich>`, prop: "p", want: `[1,{"a":2}]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := testkit.Run(t, tc.snippet, enrichStudents)
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			if got := res.Prop(tc.prop); got != tc.want {
				t.Errorf("property %s = %s, want %s", tc.prop, got, tc.want)
			}
			if got := res.Body(t); got != enrichStudents.Body {
				t.Errorf("body changed: %s", got)
			}
		})
	}
}

func TestEnrichFaults(t *testing.T) {
	t.Parallel()
	runFaultCases(t, []faultCase{
		{name: "an XML target that selects nothing", snippet: `<enrich><source xpath="//id"/><target xpath="//missing"/></enrich>`, in: enrichXML, want: "Invalid Target object to be enrich."},
		{name: "an XML target that is not a node", snippet: `<enrich><source xpath="//id"/><target xpath="string(//id)"/></enrich>`, in: enrichXML, want: "Invalid Target object to be enrich."},
		{name: "a JSONPath target on XML", snippet: `<enrich><source xpath="//id"/><target xpath="json-eval($.order)"/></enrich>`, in: enrichXML, want: "Invalid Target object to be enrich."},
		{name: "an attribute target given an element", snippet: `<enrich><source xpath="//who"/><target xpath="//order/@ref"/></enrich>`, in: testkit.Input{Body: `<order ref="1"><who>Ann</who></order>`, ContentType: "application/xml"}, want: "takes text, not an element"},
		{name: "a sibling of the envelope", snippet: `<enrich><source xpath="//id"/><target action="sibling" xpath="/*"/></enrich>`, in: enrichXML, want: "cannot sibling the root element <Envelope>"},
		{name: "replacing the Body with elements", snippet: `<enrich><source xpath="//id"/><target xpath="/*/*[local-name()='Body']"/></enrich>`, in: enrichXML, want: "would replace the SOAP Body"},
		{name: "replacing the envelope with text", snippet: `<enrich><source type="inline">x</source><target xpath="/*"/></enrich>`, in: enrichXML, want: "would replace the SOAP Envelope"},
		{name: "moving an element into itself", snippet: `<enrich><source clone="false" xpath="//items"/><target action="child" xpath="//item[1]"/></enrich>`, in: enrichXML, want: "the enrich source contains the target"},
		{name: "an envelope target given an element", snippet: `<enrich><source type="inline"><r xmlns=""/></source><target type="envelope"/></enrich>`, in: enrichXML, want: "A SOAPEnvelope is expected"},
		{name: "a key target on XML", snippet: `<enrich><source type="inline"><r xmlns=""/></source><target type="key" xpath="json-eval($.a.b)"/></enrich>`, in: enrichXML, want: "Invalid Target type"},
		{name: "a definite JSONPath source matching nothing", snippet: `<enrich><source xpath="json-eval($.nope)"/><target type="body"/></enrich>`, in: enrichStudents, want: "No results for path: $.nope"},
		{name: "replacing a JSONPath that matches nothing", snippet: `<enrich><source type="inline">1</source><target xpath="json-eval($.data.nope)"/></enrich>`, in: enrichStudents, want: "No results for path: $.data.nope"},
		{name: "removing a definite path that matches nothing", snippet: `<enrich><source xpath="json-eval($.nope)"/><target action="remove" type="body"/></enrich>`, in: enrichStudents, want: "Error occurred while executing the action : remove"},
		{name: "removing from a property without JSON", snippet: `<enrich><source xpath="json-eval($.a)"/><target action="remove" type="property" property="none"/></enrich>`, in: enrichStudents, want: "Data type of the property none is not string | JSON"},
		{name: "removing with a target that is custom by default", snippet: `<enrich><source xpath="json-eval($.a)"/><target action="remove" xpath="json-eval($.a)"/></enrich>`, in: enrichStudents, want: "Target type 0 is invalid for the remove action"},
		{name: "a missing JSON property source", snippet: `<enrich><source type="property" property="none"/><target type="body"/></enrich>`, in: enrichStudents, want: "Failed to get the source for Enriching"},
		{name: "a key name that is not a string", snippet: `<enrich><source type="inline">{"a":1}</source><target type="key" xpath="json-eval($.data.students[0].name)"/></enrich>`, in: enrichStudents, want: "Key name must be a string"},
		{name: "renaming a key that is missing", snippet: `<enrich><source type="inline">n</source><target type="key" xpath="json-eval($.data.students[0].nm)"/></enrich>`, in: enrichStudents, want: "No results for Key nm found in map!"},
		{name: "renaming in something that is not an object", snippet: `<enrich><source type="inline">n</source><target type="key" xpath="json-eval($.data.students.name)"/></enrich>`, in: enrichStudents, want: "Can only rename properties in a map"},
	})
}

func TestEnrichNoEntityBody(t *testing.T) {
	t.Parallel()
	res := testkit.Run(t, `<property name="NO_ENTITY_BODY" value="true" scope="axis2" type="BOOLEAN"/><enrich><source type="inline"><r xmlns=""/></source><target type="body"/></enrich>`, enrichXML)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if _, ok := res.Msg.Get(message.ScopeAxis2, message.PropNoEntityBody); ok {
		t.Errorf("NO_ENTITY_BODY is still set")
	}
}

// TestEnrichJSONStaysJSON checks that native JSON enrichment edits the JSON
// tree (numbers keep their spelling) rather than its XML form.
func TestEnrichJSONStaysJSON(t *testing.T) {
	t.Parallel()
	res := testkit.Run(t, `<enrich><source type="inline">{"n":1.50}</source><target action="child" xpath="json-eval($)"/></enrich>`,
		testkit.Input{Body: `{"big":12345678901234567890,"f":1.0e2}`, ContentType: "application/json"})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if !res.Msg.Body.HasJSONPayload() {
		t.Errorf("the payload is no longer JSON")
	}
	v, err := res.Msg.Body.JSON()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := jsontree.Parse([]byte(`{"big":12345678901234567890,"f":1.0e2,"n":1.50}`))
	if got := v.String(); got != want.String() {
		t.Errorf("body = %s, want %s", got, want)
	}
}

func TestEnrichConfigErrors(t *testing.T) {
	t.Parallel()
	runDiagCases(t, []diagCase{
		{name: "envelope to body", snippet: `<enrich><source type="envelope"/><target type="body"/></enrich>`, marker: `<enrich`, cause: `source type envelope cannot go to target type body`},
		{name: "envelope to explicit custom", snippet: `<enrich><source type="envelope"/><target type="custom" xpath="//a"/></enrich>`, marker: `<enrich`, cause: `source type envelope cannot go to target type custom`},
		{name: "envelope to envelope", snippet: `<enrich><source type="envelope"/><target type="envelope"/></enrich>`, marker: `<enrich`, cause: `wrong combination of source and target type`},
		{name: "body to body", snippet: `<enrich><source type="body"/><target type="body"/></enrich>`, marker: `<enrich`, cause: `source type body cannot go to target type body`},
		{name: "body to envelope", snippet: `<enrich><source type="body"/><target type="envelope"/></enrich>`, marker: `<enrich`, cause: `source type body cannot go to target type envelope`},
		{name: "custom to envelope", snippet: `<enrich><source xpath="//a"/><target type="envelope"/></enrich>`, marker: `<enrich`, cause: `source type custom cannot go to target type envelope`},
		{name: "envelope child", snippet: `<enrich><source type="property" property="p"/><target type="envelope" action="child"/></enrich>`, marker: `<enrich`, cause: `an envelope target only takes action="replace"`},
		{name: "remove from a property source", snippet: `<enrich><source type="property" property="p"/><target action="remove" type="body"/></enrich>`, marker: `<enrich`, cause: `remove takes a custom (xpath) source, not property`},
		{name: "remove with an explicit custom target", snippet: `<enrich><source xpath="json-eval($.a)"/><target action="remove" type="custom" xpath="json-eval($.a)"/></enrich>`, marker: `<enrich`, cause: `remove works on a body or property target, not custom`},
		{name: "key with child", snippet: `<enrich><source type="inline">k</source><target action="child" type="key" xpath="json-eval($.a.b)"/></enrich>`, marker: `<enrich`, cause: `only the replace action is supported for the target type key`},
		{name: "key from the body", snippet: `<enrich><source type="body"/><target type="key" xpath="json-eval($.a.b)"/></enrich>`, marker: `<enrich`, cause: `a body source cannot rename a key`},
		{name: "inline target", snippet: `<enrich><source type="body"/><target type="inline"/></enrich>`, marker: `type="inline"`, cause: `a <target> cannot be inline`},
		{name: "key source", snippet: `<enrich><source type="key"/><target type="body"/></enrich>`, marker: `type="key"`, cause: `type="key" is for <target>`},
		{name: "type spelt otherwise", snippet: `<enrich><source type="Body"/><target type="property" property="p"/></enrich>`, marker: `type="Body"`, cause: `unexpected source type "Body"`},
		{name: "unknown action", snippet: `<enrich><source type="body"/><target action="append" type="property" property="p"/></enrich>`, marker: `action=`, cause: `unexpected target action "append"`},
		{name: "variable", snippet: `<enrich><source type="body"/><target type="variable" property="p"/></enrich>`, marker: `type="variable"`, cause: `not supported by Busbar yet`},
		{name: "custom source without xpath", snippet: `<enrich><source/><target type="property" property="p"/></enrich>`, marker: `<source`, cause: `a custom <source> needs an xpath`},
		{name: "custom target without xpath", snippet: `<enrich><source type="body"/><target/></enrich>`, marker: `<target`, cause: `a custom <target> needs an xpath`},
		{name: "property source without property", snippet: `<enrich><source type="property"/><target type="body"/></enrich>`, marker: `<source`, cause: `needs a property attribute`},
		{name: "property target without property", snippet: `<enrich><source type="body"/><target type="property"/></enrich>`, marker: `<target`, cause: `needs a property attribute`},
		{name: "empty inline", snippet: `<enrich><source type="inline">  </source><target type="body"/></enrich>`, marker: `<source`, cause: `an inline <source> needs XML, JSON or text content, or a key`},
		{name: "inline key without an entry", snippet: `<enrich><source type="inline" key="nope"/><target type="body"/></enrich>`, marker: `key=`, cause: `names no local entry`},
		{name: "replace the JSON root", snippet: `<enrich><source type="inline">{}</source><target xpath="json-eval($)"/></enrich>`, marker: `xpath=`, cause: `replace is not supported for the root path`},
		{name: "inline expression", snippet: `<enrich><source type="inline">{"a":{$ctx:x}}</source><target type="body"/></enrich>`, marker: `<source`, cause: `inline expressions in an enrich source ({$ctx:x})`},
		{name: "inline expression in XML", snippet: `<enrich><source type="inline"><a xmlns="">{json-eval($.b)}</a></source><target type="body"/></enrich>`, marker: `<source`, cause: `({json-eval($.b)})`},
		{name: "key path without a key", snippet: `<enrich><source type="inline">k</source><target type="key" xpath="json-eval($)"/></enrich>`, marker: `xpath=`, cause: `must be json-eval(<path to the object>.<key>)`},
		{name: "key path as XPath", snippet: `<enrich><source type="inline">k</source><target type="key" xpath="//a/b"/></enrich>`, marker: `xpath=`, cause: `must be json-eval(`},
		{name: "bad remove path", snippet: `<enrich><source xpath="json-eval($.a,$.[)"/><target action="remove" type="body"/></enrich>`, marker: `xpath=`, cause: `invalid JSONPath "$.["`},
		{name: "bad xpath", snippet: `<enrich><source xpath="//a["/><target type="body"/></enrich>`, marker: `xpath=`, cause: `invalid XPath`},
		{name: "clone not a boolean", snippet: `<enrich><source type="body" clone="yes"/><target type="property" property="p"/></enrich>`, marker: `clone=`, cause: `must be true or false`},
		{name: "missing target", snippet: `<enrich><source type="body"/></enrich>`, marker: `<enrich`, cause: `needs a <target> child`},
	})
}
