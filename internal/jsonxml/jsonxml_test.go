package jsonxml

import (
	"errors"
	"regexp"
	"testing"

	"github.com/busbar/busbar/internal/jsontree"
	"github.com/busbar/busbar/internal/xmltree"
)

func parseJSON(t *testing.T, s string) *jsontree.Value {
	t.Helper()
	v, err := jsontree.Parse([]byte(s))
	if err != nil {
		t.Fatalf("JSON %q: %v", s, err)
	}
	return v
}

func parseXML(t *testing.T, s string) *xmltree.Node {
	t.Helper()
	el, err := xmltree.ParseElement([]byte(s))
	if err != nil {
		t.Fatalf("XML %q: %v", s, err)
	}
	return el
}

// TestRoundTrip converts JSON to XML and back. Each case names the MI
// behaviour it reproduces and where it is established: BuilderFormatterTest
// and JsonFormatterTest are wso2-synapse's commons/json tests, "EI docs" the
// "Working with Message Payloads" page of WSO2 EI 6.x.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	pi := Options{ProcessingInstructions: true}
	tests := []struct {
		name      string
		opts      Options
		json, xml string
		back      string // "" means same as json
	}{
		{"object under jsonObject (JsonScanner SO_OBJECT)", Options{},
			`{"a":1,"b":{"c":"x"}}`, `<jsonObject><a>1</a><b><c>x</c></b></jsonObject>`, ``},
		{"named array as repeated elements (EI docs, JsonStreamBuilder)", Options{},
			`{"array":[1,2]}`, `<jsonObject><array>1</array><array>2</array></jsonObject>`, ``},
		{"named array with PI (BuilderFormatterTest xml5)", pi,
			`{"array":[1,2,3]}`, `<jsonObject><?xml-multiple array?><array>1</array><array>2</array><array>3</array></jsonObject>`, ``},
		{"single-element array lost without PI (JsonStreamBuilder default)", Options{},
			`{"a":[1]}`, `<jsonObject><a>1</a></jsonObject>`, `{"a":1}`},
		{"single-element array kept by PI", pi,
			`{"a":[1]}`, `<jsonObject><?xml-multiple a?><a>1</a></jsonObject>`, ``},
		{"empty array vanishes without PI (EI docs)", Options{},
			`{"a":[],"b":true}`, `<jsonObject><b>true</b></jsonObject>`, `{"b":true}`},
		{"empty arrays kept by PI alone (BuilderFormatterTest xml8)", pi,
			`{"hashtags":[],"symbols":[]}`, `<jsonObject><?xml-multiple hashtags?><?xml-multiple symbols?></jsonObject>`, ``},
		{"top-level array as jsonArray/jsonElement (EI docs anonymous arrays)", Options{},
			`[1,2]`, `<jsonArray><jsonElement>1</jsonElement><jsonElement>2</jsonElement></jsonArray>`, ``},
		{"top-level one-element array with PI (BuilderFormatterTest xml4)", pi,
			`[1]`, `<jsonArray><?xml-multiple jsonElement?><jsonElement>1</jsonElement></jsonArray>`, ``},
		{"top-level one-element array collapses without PI", Options{},
			`[1]`, `<jsonArray><jsonElement>1</jsonElement></jsonArray>`, `1`},
		{"empty top-level array comes back null (JsonStreamTargetImpl)", Options{},
			`[]`, `<jsonArray/>`, `null`},
		{"nulls in top-level array (BuilderFormatterTest xml11)", pi,
			`[null,null,1]`, `<jsonArray><?xml-multiple jsonElement?><jsonElement/><jsonElement/><jsonElement>1</jsonElement></jsonArray>`, ``},
		{"array in array wraps jsonArray (BuilderFormatterTest xml6)", pi,
			`{"array":[[1,2,4]]}`, `<jsonObject><?xml-multiple array?><array><jsonArray><?xml-multiple jsonElement?><jsonElement>1</jsonElement><jsonElement>2</jsonElement><jsonElement>4</jsonElement></jsonArray></array></jsonObject>`, ``},
		{"nested empty arrays (BuilderFormatterTest xml15)", pi,
			`[[],[[[],[]],[]]]`, `<jsonArray><?xml-multiple jsonElement?><jsonElement><jsonArray><?xml-multiple jsonElement?></jsonArray></jsonElement><jsonElement><jsonArray><?xml-multiple jsonElement?><jsonElement><jsonArray><?xml-multiple jsonElement?><jsonElement><jsonArray><?xml-multiple jsonElement?></jsonArray></jsonElement><jsonElement><jsonArray><?xml-multiple jsonElement?></jsonArray></jsonElement></jsonArray></jsonElement><jsonElement><jsonArray><?xml-multiple jsonElement?></jsonArray></jsonElement></jsonArray></jsonElement></jsonArray>`, ``},
		{"nested arrays without PI lose one-element levels", Options{},
			`{"a":[[1,2],[3]]}`, `<jsonObject><a><jsonArray><jsonElement>1</jsonElement><jsonElement>2</jsonElement></jsonArray></a><a><jsonArray><jsonElement>3</jsonElement></jsonArray></a></jsonObject>`, `{"a":[[1,2],3]}`},
		{"null as empty element (BuilderFormatterTest xml12)", Options{},
			`{"value":null}`, `<jsonObject><value/></jsonObject>`, ``},
		{"empty object and string come back null (EI docs)", Options{},
			`{"o":{},"s":""}`, `<jsonObject><o/><s/></jsonObject>`, `{"o":null,"s":null}`},
		{"keys starting with digits (BuilderFormatterTest xml1)", pi,
			`{"value":12.4,"12X12":"http://localhost/images/id/img_0_24_24.png","0":{"date":"19/12/12","venue":"NONVEG"},"1":[1,2,{"newArray":["one-Element"]}]}`,
			`<jsonObject><value>12.4</value><_JsonReader_PD_12X12>http://localhost/images/id/img_0_24_24.png</_JsonReader_PD_12X12><_JsonReader_PD_0><date>19/12/12</date><venue>NONVEG</venue></_JsonReader_PD_0><?xml-multiple 1?><_JsonReader_PD_1>1</_JsonReader_PD_1><_JsonReader_PD_1>2</_JsonReader_PD_1><_JsonReader_PD_1><?xml-multiple newArray?><newArray>one-Element</newArray></_JsonReader_PD_1></jsonObject>`, ``},
		{"key starting with $ (BuilderFormatterTest xml7)", Options{},
			`{"$schema":"UNKNOWN"}`, `<jsonObject><_JsonReader_PS_schema>UNKNOWN</_JsonReader_PS_schema></jsonObject>`, ``},
		{"number literals as text, back as BigDecimal spells them (AutoPrimitiveTarget)", Options{},
			`{"a":1.50,"b":1e5,"c":-0,"d":0.0000001}`, `<jsonObject><a>1.50</a><b>1e5</b><c>-0</c><d>0.0000001</d></jsonObject>`, `{"a":1.50,"b":1E+5,"c":0,"d":1E-7}`},
		{"numeric and boolean strings become primitives (AutoPrimitiveTarget)", Options{},
			`{"s":"123","t":"true","n":"null","x":"12a"}`, `<jsonObject><s>123</s><t>true</t><n>null</n><x>12a</x></jsonObject>`, `{"s":123,"t":true,"n":null,"x":"12a"}`},
		{"auto-primitive off keeps strings (synapse.commons.json.output.autoPrimitive=false)", Options{DisableAutoPrimitive: true},
			`{"s":123,"t":true}`, `<jsonObject><s>123</s><t>true</t></jsonObject>`, `{"s":"123","t":"true"}`},
		{"keep-string regex (disableAutoPrimitive.regex)", Options{KeepString: regexp.MustCompile(`^(?:0[0-9]+)$`)},
			`{"zip":"01234","n":"5"}`, `<jsonObject><zip>01234</zip><n>5</n></jsonObject>`, `{"zip":"01234","n":5}`},
		{"@ keys are attributes and $ is text (staxon mapping)", Options{},
			`{"a":{"@id":"1","$":"text"}}`, `<jsonObject><a id="1">text</a></jsonObject>`, ``},
		{"attributes stay strings (AutoPrimitiveTarget skips @)", Options{},
			`{"a":{"@id":7,"b":2}}`, `<jsonObject><a id="7"><b>2</b></a></jsonObject>`, `{"a":{"@id":"7","b":2}}`},
		{"top-level scalar as jsonValue (JsonUtil.getNewJsonPayload)", Options{},
			`"str"`, `<jsonValue>"str"</jsonValue>`, ``},
		{"array of objects", pi,
			`{"items":[{"a":1},{"a":2}]}`, `<jsonObject><?xml-multiple items?><items><a>1</a></items><items><a>2</a></items></jsonObject>`, ``},
		{"special characters escaped as XML text", Options{},
			`{"a":"<&>\"'"}`, `<jsonObject><a>&lt;&amp;&gt;"'</a></jsonObject>`, ``},
		{"valid NC names (synapse.commons.json.buildValidNCNames)", Options{ValidNCNames: true},
			`{"a b":1,"x:y":2,"😀":3,"1a b":4}`, `<jsonObject><a_JsonReader_32_b>1</a_JsonReader_32_b><x_JsonReader_58_y>2</x_JsonReader_58_y><_JsonReader_55357__JsonReader_56832_>3</_JsonReader_55357__JsonReader_56832_><_JsonReader_PD_1a_JsonReader_32_b>4</_JsonReader_PD_1a_JsonReader_32_b></jsonObject>`, ``},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			el := tc.opts.ToXML(parseJSON(t, tc.json))
			if got := el.String(); got != tc.xml {
				t.Errorf("ToXML(%s)\n got %s\nwant %s", tc.json, got, tc.xml)
			}
			back, err := tc.opts.FromXML(parseXML(t, el.String()))
			if err != nil {
				t.Fatalf("FromXML: %v", err)
			}
			want := tc.back
			if want == "" {
				want = tc.json
			}
			if got := back.String(); got != want {
				t.Errorf("FromXML(ToXML(%s))\n got %s\nwant %s", tc.json, got, want)
			}
		})
	}
}

const pizza = `<pizza>
    <name>Meat Sizzler</name>
    <price>500.0</price>
    <toppings>
        <topping><id>9999</id><name>Steak</name><extraPrice>4.00</extraPrice><category>NONVEG</category></topping>
        <topping><id>9998</id><name>Sun Dried Tomato</name><extraPrice>4.00</extraPrice><category>VEGETARIAN</category></topping>
    </toppings>
</pizza>`

const pizzaOne = `<pizza>
    <name>Meat Sizzler</name>
    <price>500.0</price>
    <toppings>
        <topping><id>9999</id><name>Steak</name><extraPrice>4.00</extraPrice><category>NONVEG</category></topping>
    </toppings>
</pizza>`

const pizzaOneJSON = `{"pizza":{"name":"Meat Sizzler","price":500.0,"toppings":{"topping":{"id":9999,"name":"Steak","extraPrice":4.00,"category":"NONVEG"}}}}`

// TestFromXML converts XML MI mediators could produce to JSON.
func TestFromXML(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts Options
		xml  string
		want string
	}{
		{"root name becomes the key (JsonUtilTest.testOMElementToJsonString)", Options{},
			`<name>WSO2</name>`, `{"name":"WSO2"}`},
		{"repeated elements make an array, literals kept (JsonFormatterTest case 2)", Options{},
			pizza, `{"pizza":{"name":"Meat Sizzler","price":500.0,"toppings":{"topping":[{"id":9999,"name":"Steak","extraPrice":4.00,"category":"NONVEG"},{"id":9998,"name":"Sun Dried Tomato","extraPrice":4.00,"category":"VEGETARIAN"}]}}}`},
		{"single element stays an object (JsonFormatterTest case 3)", Options{}, pizzaOne, pizzaOneJSON},
		{"empty element in array is null (JsonFormatterTest case 4)", Options{},
			`<t><topping><id>1</id></topping><topping/></t>`, `{"t":{"topping":[{"id":1},null]}}`},
		{"jsonObject root removed (JsonFormatterTest case 6)", Options{},
			`<jsonObject>` + pizzaOne + `</jsonObject>`, pizzaOneJSON},
		{"one-element jsonArray collapses (JsonFormatterTest case 7)", Options{},
			`<jsonArray><jsonElement>` + pizzaOne + `</jsonElement></jsonArray>`, pizzaOneJSON},
		{"jsonArray with empty jsonElement (JsonFormatterTest case 8)", Options{},
			`<jsonArray><jsonElement>` + pizzaOne + `</jsonElement><jsonElement/></jsonArray>`, `[` + pizzaOneJSON + `,null]`},
		{"jsonArray of numbers (JsonFormatterTest.testWriteTo)", Options{},
			`<jsonArray><jsonElement>10</jsonElement><jsonElement>20</jsonElement></jsonArray>`, `[10,20]`},
		{"nil attribute is just an attribute (JsonFormatterTest case 9)", Options{},
			`<root><abc nil="true"></abc></root>`, `{"root":{"abc":{"@nil":"true"}}}`},
		{"attribute and child (JsonFormatterTest case 10)", Options{},
			`<pizza name="Meat Sizzler"><price>500.0</price></pizza>`, `{"pizza":{"@name":"Meat Sizzler","price":500.0}}`},
		{"attribute and text (JsonFormatterTest case 11)", Options{},
			`<pizza-topping category="NONVEG">Steak</pizza-topping>`, `{"pizza-topping":{"@category":"NONVEG","$":"Steak"}}`},
		{"empty element is null (JsonFormatterTest case 12)", Options{},
			`<pizza><name>Meat Sizzler</name><description></description></pizza>`, `{"pizza":{"name":"Meat Sizzler","description":null}}`},
		{"empty element as empty string (enableXmlNullForEmptyElement=false)", Options{EmptyElementAsEmptyString: true},
			`<p><d/></p>`, `{"p":{"d":""}}`},
		{"namespaces dropped (JsonUtilTest.testTransformElementWithNamespaces)", Options{},
			`<ns:stock xmlns:ns="http://services.samples" xmlns:x="urn:x" x:a="1"><ns:name>WSO2</ns:name></ns:stock>`, `{"stock":{"@a":"1","name":"WSO2"}}`},
		{"default namespace dropped", Options{},
			`<stock xmlns="urn:s"><name>WSO2</name></stock>`, `{"stock":{"name":"WSO2"}}`},
		{"prefixes kept (synapse.commons.json.preserve.namespace)", Options{PreserveNamespaces: true},
			`<ns:stock xmlns:ns="urn:s" ns:a="1"><ns:name>WSO2</ns:name><plain>x</plain></ns:stock>`, `{"ns_stock":{"@ns_a":"1","ns_name":"WSO2","plain":"x"}}`},
		{"namespace separator (output.namespaceSepChar)", Options{PreserveNamespaces: true, NamespaceSeparator: "-"},
			`<ns:stock xmlns:ns="urn:s"/>`, `{"ns-stock":null}`},
		{"unnamed xml-multiple starts an array at the next element (JsonXMLStreamWriter.writePI)", Options{},
			`<r><?xml-multiple?><a>1</a><b>2</b></r>`, `{"r":{"a":[1],"b":2}}`},
		{"named xml-multiple with no elements is an empty array", Options{},
			`<r><?xml-multiple a?></r>`, `{"r":{"a":[]}}`},
		{"xml-multiple array ends at another name", Options{},
			`<r><?xml-multiple a?><a>1</a><b>2</b><a>3</a></r>`, `{"r":{"a":[1],"b":2,"a":3}}`},
		{"non-adjacent repeats make duplicate keys (AutoArrayTarget)", Options{},
			`<r><a>1</a><b>2</b><a>3</a></r>`, `{"r":{"a":1,"b":2,"a":3}}`},
		{"array item after an attribute keeps its text (AutoPrimitiveTarget lastName)", Options{},
			`<r><?xml-multiple a?><a k="v"/><a>5</a></r>`, `{"r":{"a":[{"@k":"v"},"5"]}}`},
		{"empty jsonObject is null (JsonStreamTargetImpl wrapper)", Options{},
			`<jsonObject/>`, `null`},
		{"jsonEmpty marker is an empty object (JsonStreamTargetImpl EMPTY)", Options{},
			`<jsonObject><a><jsonEmpty>_JsonScanner_EMPTY_OBJECT</jsonEmpty></a></jsonObject>`, `{"a":{}}`},
		{"wrapper name beside other members stays a key", Options{},
			`<r><jsonObject>1</jsonObject><b>2</b></r>`, `{"r":{"jsonObject":1,"b":2}}`},
		{"prefixes removed (XmlReaderDelegate)", Options{},
			`<jsonObject><_JsonReader_PD_1>a</_JsonReader_PD_1><_JsonReader_PS_ref>b</_JsonReader_PS_ref></jsonObject>`, `{"1":"a","$ref":"b"}`},
		{"comments ignored, CDATA is text", Options{},
			`<r><!-- c --><a><![CDATA[x<y]]></a></r>`, `{"r":{"a":"x<y"}}`},
		{"text pieces joined", Options{},
			`<r>a<!-- c -->b</r>`, `{"r":"ab"}`},
		{"whitespace-only text ignored", Options{},
			"<r>\n  <a> </a>\n</r>", `{"r":{"a":null}}`},
		{"jsonValue holds JSON text", Options{},
			`<jsonValue>42</jsonValue>`, `42`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.opts.FromXML(parseXML(t, tc.xml))
			if err != nil {
				t.Fatalf("FromXML(%s): %v", tc.xml, err)
			}
			if got.String() != tc.want {
				t.Errorf("FromXML(%s)\n got %s\nwant %s", tc.xml, got, tc.want)
			}
		})
	}
}

func TestFromXMLErrors(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		`<r>text<a/></r>`, // text before a child (JsonXMLStreamWriter: mixed content)
		`<r><a/>text</r>`, // text after a child
	} {
		if _, err := FromXML(parseXML(t, s)); !errors.Is(err, ErrMixedContent) {
			t.Errorf("FromXML(%s) = %v; want ErrMixedContent", s, err)
		}
	}
	if _, err := FromXML(parseXML(t, `<jsonValue>not json</jsonValue>`)); err == nil {
		t.Error("bad jsonValue accepted")
	}
	if _, err := FromXML(xmltree.NewText("x")); err == nil {
		t.Error("text node accepted")
	}
	doc, err := xmltree.ParseString(`<a>1</a>`)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := FromXML(doc); err != nil || v.String() != `{"a":1}` {
		t.Errorf("document node: %v %v", v, err)
	}
}
