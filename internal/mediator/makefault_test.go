package mediator_test

import (
	"net/http"
	"testing"

	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/testkit"
)

const s11 = `xmlns:s11="http://schemas.xmlsoap.org/soap/envelope/"`

var soapIn = testkit.Input{
	Body:        soap11(`<h:trace xmlns:h="urn:h">t1</h:trace><h:user xmlns:h="urn:h">u</h:user>`, `<getQuote><symbol>XYZ</symbol><info><a>1</a><b>2</b></info></getQuote>`),
	ContentType: "text/xml",
}

// fault11 and fault12 are the envelopes makefault builds: an empty Header
// unless the message had header blocks.
func fault11(header, fault string) string {
	return `<soapenv:Envelope xmlns:soapenv="` + soap11NS + `"><soapenv:Header>` + header + `</soapenv:Header><soapenv:Body><soapenv:Fault>` +
		fault + `</soapenv:Fault></soapenv:Body></soapenv:Envelope>`
}

func fault12(header, fault string) string {
	return `<soapenv:Envelope xmlns:soapenv="` + soap12NS + `"><soapenv:Header>` + header + `</soapenv:Header><soapenv:Body><soapenv:Fault>` +
		fault + `</soapenv:Fault></soapenv:Body></soapenv:Envelope>`
}

const traceHeaders = `<h:trace xmlns:h="urn:h">t1</h:trace><h:user xmlns:h="urn:h">u</h:user>`

func TestMakefaultSOAP11(t *testing.T) {
	t.Parallel()
	runOutCases(t, []outCase{
		{
			name:    "value code, reason and text detail; header blocks move into the fault",
			snippet: `<makefault version="soap11"><code ` + s11 + ` value="s11:Client"/><reason value="bad symbol"/><detail>see docs</detail></makefault>`,
			in:      soapIn,
			want: fault11(traceHeaders, `<faultcode xmlns:s11="`+soap11NS+`">s11:Client</faultcode><faultstring>bad symbol</faultstring>`+
				`<detail>see docs</detail>`),
			wantType: "text/xml",
			props:    map[string]string{engine.PropFaultResponse: "true"},
		},
		{
			name:     "version defaults to soap11; an expression code is in the envelope namespace",
			snippet:  `<makefault><code expression="'Server'"/><reason expression="concat('no ', //symbol)"/></makefault>`,
			in:       xmlOrder,
			want:     `<soapenv:Fault xmlns:soapenv="` + soap11NS + `"><faultcode>soapenv:Server</faultcode><faultstring>no </faultstring></soapenv:Fault>`,
			wantType: "application/xml",
		},
		{
			name:    "role becomes faultactor, an empty one included",
			snippet: `<makefault><code ` + s11 + ` value="s11:Server"/><reason value="r"/><role/></makefault>`,
			in:      testkit.Input{Body: soap11("", `<a/>`), ContentType: "text/xml"},
			want:    fault11("", `<faultcode xmlns:s11="`+soap11NS+`">s11:Server</faultcode><faultstring>r</faultstring><faultactor/>`),
		},
		{
			name:    "a role URI and a node, which SOAP 1.1 ignores",
			snippet: `<makefault version="soap11"><code ` + s11 + ` value="s11:Server"/><reason value="r"/><node>http://n</node><role>http://r</role></makefault>`,
			in:      testkit.Input{Body: soap11("", `<a/>`), ContentType: "text/xml"},
			want:    fault11("", `<faultcode xmlns:s11="`+soap11NS+`">s11:Server</faultcode><faultstring>r</faultstring><faultactor>http://r</faultactor>`),
		},
		{
			name:    "detail from an expression selecting elements",
			snippet: `<makefault><code ` + s11 + ` value="s11:Server"/><reason value="r"/><detail expression="//info/*"/></makefault>`,
			in:      soapIn,
			want:    fault11(traceHeaders, `<faultcode xmlns:s11="`+soap11NS+`">s11:Server</faultcode><faultstring>r</faultstring><detail><a>1</a><b>2</b></detail>`),
		},
		{
			name:    "detail from an expression giving a string",
			snippet: `<makefault><code ` + s11 + ` value="s11:Server"/><reason value="r"/><detail expression="concat('sym=', //symbol)"/></makefault>`,
			in:      soapIn,
			want:    fault11(traceHeaders, `<faultcode xmlns:s11="`+soap11NS+`">s11:Server</faultcode><faultstring>r</faultstring><detail>sym=XYZ</detail>`),
		},
		{
			name:    "an empty detail",
			snippet: `<makefault><code ` + s11 + ` value="s11:Server"/><reason value="r"/><detail/></makefault>`,
			in:      soapIn,
			want:    fault11(traceHeaders, `<faultcode xmlns:s11="`+soap11NS+`">s11:Server</faultcode><faultstring>r</faultstring><detail/>`),
		},
		{
			name: "detail elements keep the Synapse namespace unless xmlns=\"\"",
			snippet: `<makefault><code ` + s11 + ` value="s11:Server"/><reason value="r"/><detail>
				<e1>1</e1><e2 xmlns="">2</e2>
			</detail></makefault>`,
			in: soapIn,
			want: fault11(traceHeaders, `<faultcode xmlns:s11="`+soap11NS+`">s11:Server</faultcode><faultstring>r</faultstring>`+
				`<detail><e1 xmlns="http://ws.apache.org/ns/synapse">1</e1><e2>2</e2></detail>`),
		},
		{
			name:     "a JSON client gets the fault as JSON",
			snippet:  `<makefault><code ` + s11 + ` value="s11:Server"/><reason value="down"/></makefault>`,
			in:       jsonOrder,
			want:     `{"Fault":{"faultcode":"s11:Server","faultstring":"down"}}`,
			wantType: "application/json",
		},
	})
}

func TestMakefaultSOAP12(t *testing.T) {
	t.Parallel()
	const s12 = `xmlns:s12="http://www.w3.org/2003/05/soap-envelope"`
	runOutCases(t, []outCase{
		{
			name: "code, reason with xml:lang, node, role and detail",
			snippet: `<makefault version="soap12"><code ` + s12 + ` value="s12:Sender"/><reason expression="//symbol"/>` +
				`<node>http://busbar/n</node><role>http://busbar/r</role><detail expression="//info"/></makefault>`,
			in: testkit.Input{Body: soap12(`<h:trace xmlns:h="urn:h">t1</h:trace>`, `<q><symbol>XYZ</symbol><info><a>1</a></info></q>`), ContentType: "application/soap+xml"},
			want: fault12(`<h:trace xmlns:h="urn:h">t1</h:trace>`,
				`<soapenv:Code><soapenv:Value xmlns:s12="`+soap12NS+`">s12:Sender</soapenv:Value></soapenv:Code>`+
					`<soapenv:Reason><soapenv:Text xml:lang="en">XYZ</soapenv:Text></soapenv:Reason>`+
					`<soapenv:Node>http://busbar/n</soapenv:Node><soapenv:Role>http://busbar/r</soapenv:Role>`+
					`<soapenv:Detail><info><a>1</a></info></soapenv:Detail>`),
			wantType: "application/soap+xml",
		},
		{
			name:    "a SOAP 1.2 fault turns a SOAP 1.1 message into SOAP 1.2",
			snippet: `<makefault version="soap12"><code expression="'Receiver'"/><reason value="r"/></makefault>`,
			in:      soapIn,
			want: fault12(traceHeaders, `<soapenv:Code><soapenv:Value>soapenv:Receiver</soapenv:Value></soapenv:Code>`+
				`<soapenv:Reason><soapenv:Text xml:lang="en">r</soapenv:Text></soapenv:Reason>`),
			wantType: "application/soap+xml",
		},
		{
			name:     "a SOAP messageType follows the fault's version",
			snippet:  `<property name="messageType" value="text/xml" scope="axis2"/><makefault version="soap12"><code expression="'Receiver'"/><reason value="r"/></makefault>`,
			in:       soapIn,
			wantType: "application/soap+xml",
			want: fault12(traceHeaders, `<soapenv:Code><soapenv:Value>soapenv:Receiver</soapenv:Value></soapenv:Code>`+
				`<soapenv:Reason><soapenv:Text xml:lang="en">r</soapenv:Text></soapenv:Reason>`),
		},
	})
}

func TestMakefaultPOX(t *testing.T) {
	t.Parallel()
	runOutCases(t, []outCase{
		{name: "detail text comes first", snippet: `<makefault version="pox"><reason value="r"/><detail>d</detail></makefault>`, in: xmlOrder, want: `<Exception>d</Exception>`, wantType: "application/xml"},
		{name: "then the detail expression", snippet: `<makefault version="pox"><reason value="r"/><detail expression="//id"/></makefault>`, in: xmlOrder, want: `<Exception>7</Exception>`},
		{name: "then the reason value", snippet: `<makefault version="pox"><reason value="r"/><detail><x/></detail></makefault>`, in: xmlOrder, want: `<Exception>r</Exception>`},
		{name: "then the reason expression", snippet: `<makefault version="pox"><reason expression="//id"/></makefault>`, in: xmlOrder, want: `<Exception>7</Exception>`},
		{name: "code and reason are optional", snippet: `<makefault version="pox"/>`, in: xmlOrder, want: `<Exception/>`},
		{name: "JSON client", snippet: `<makefault version="pox"><reason value="no"/></makefault>`, in: jsonOrder, want: `{"Exception":"no"}`, wantType: "application/json"},
		{name: "unparsed JSON client", snippet: `<makefault version="pox"><detail>d</detail></makefault>`, in: testkit.Input{Body: `{`, ContentType: "application/json"}, want: `{"Exception":"d"}`},
		{
			name: "a SOAP message keeps its envelope and headers", snippet: `<makefault version="pox"><reason value="no"/></makefault>`, in: soapIn,
			want: soap11(traceHeaders, `<Exception>no</Exception>`), wantType: "text/xml",
		},
		{name: "a SOAP envelope without a Body gets a new one", snippet: `<makefault version="pox"><reason value="no"/></makefault>`, in: noBody, want: `<soapenv:Envelope xmlns:soapenv="` + soap11NS + `"><soapenv:Header/><soapenv:Body><Exception>no</Exception></soapenv:Body></soapenv:Envelope>`},
		{name: "a message without a body becomes plain XML", snippet: `<makefault version="pox"><reason value="no"/></makefault>`, in: testkit.Input{Method: "GET"}, want: `<Exception>no</Exception>`, wantType: "application/xml"},
	})
}

func TestMakefaultMessageState(t *testing.T) {
	t.Parallel()
	const replyTo = `<header name="ReplyTo" value="http://reply"/>`
	cases := []struct {
		name     string
		snippet  string
		response bool
		to       string
	}{
		{name: "marked as a response, To cleared", snippet: `<makefault version="pox"/>`, response: true},
		{name: "response=\"false\" keeps the request side", snippet: `<makefault version="pox" response="false"/>`, to: "/test"},
		{name: "To is ReplyTo for a response", snippet: replyTo + `<makefault version="pox"/>`, response: true, to: "http://reply"},
		{name: "SOAP: To is FaultTo", snippet: replyTo + `<header name="FaultTo" value="http://fault"/><makefault response="false"><code expression="'Server'"/><reason value="r"/></makefault>`, to: "http://fault"},
		{name: "SOAP: else ReplyTo", snippet: replyTo + `<makefault response="false"><code expression="'Server'"/><reason value="r"/></makefault>`, to: "http://reply"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := testkit.Run(t, tc.snippet, xmlOrder)
			if res.Err != nil || !res.Continue {
				t.Fatalf("makefault must continue the flow: continue=%v err=%v", res.Continue, res.Err)
			}
			if res.Msg.Response != tc.response || res.Msg.To != tc.to {
				t.Errorf("response=%v to=%q, want %v %q", res.Msg.Response, res.Msg.To, tc.response, tc.to)
			}
			if res.Prop(engine.PropFaultResponse) != "true" {
				t.Errorf("the message is not marked as a fault response")
			}
			if len(res.Responses) != 0 {
				t.Errorf("makefault must not answer the client")
			}
		})
	}
	t.Run("RelatesTo is the original message ID", func(t *testing.T) {
		t.Parallel()
		res := testkit.Run(t, `<makefault><code expression="'Server'"/><reason value="r"/></makefault>`, soapIn)
		if got := res.Msg.RelatesTo; got == "" || got != res.Msg.ID {
			t.Errorf("RelatesTo = %q, want %q", got, res.Msg.ID)
		}
	})
}

// TestMakefaultRespond goes end to end: the fault is answered with 500
// unless FAULTS_AS_HTTP_200 or HTTP_SC say otherwise.
func TestMakefaultRespond(t *testing.T) {
	t.Parallel()
	const mf = `<makefault><code ` + s11 + ` value="s11:Server"/><reason value="down"/></makefault>`
	cases := []struct {
		name    string
		snippet string
		status  int
	}{
		{name: "respond", snippet: mf + `<respond/>`, status: http.StatusInternalServerError},
		{name: "send without an endpoint", snippet: mf + `<send/>`, status: http.StatusInternalServerError},
		{name: "pox", snippet: `<makefault version="pox"><reason value="down"/></makefault><respond/>`, status: http.StatusInternalServerError},
		{name: "FAULTS_AS_HTTP_200", snippet: `<property name="FAULTS_AS_HTTP_200" value="true" scope="axis2"/>` + mf + `<respond/>`, status: http.StatusOK},
		{name: "HTTP_SC wins", snippet: mf + `<property name="HTTP_SC" value="503" scope="axis2"/><respond/>`, status: http.StatusServiceUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := testkit.Run(t, tc.snippet, soapIn)
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			if len(res.Responses) != 1 {
				t.Fatalf("got %d responses, want 1", len(res.Responses))
			}
			r := res.Responses[0]
			if r.Status != tc.status {
				t.Errorf("status = %d, want %d", r.Status, tc.status)
			}
			if mt := message.MediaType(r.ContentType); mt != "text/xml" {
				t.Errorf("content type = %q", r.ContentType)
			}
		})
	}
}

func TestMakefaultConfigErrors(t *testing.T) {
	t.Parallel()
	const reason = `<reason value="r"/>`
	runDiagCases(t, []diagCase{
		{name: "version spelt otherwise", snippet: `<makefault version="SOAP11"><code expression="'x'"/>` + reason + `</makefault>`, marker: `version`, cause: `version="SOAP11" must be soap11, soap12 or pox`},
		{name: "response not a boolean", snippet: `<makefault response="yes"><code expression="'x'"/>` + reason + `</makefault>`, marker: `response`, cause: `response="yes" must be true or false`},
		{name: "code required for soap11", snippet: `<makefault>` + reason + `</makefault>`, marker: `<makefault`, cause: `needs a <code> unless version="pox"`},
		{name: "code required for soap12", snippet: `<makefault version="soap12">` + reason + `</makefault>`, marker: `<makefault`, cause: `needs a <code>`},
		{name: "reason required", snippet: `<makefault><code expression="'x'"/></makefault>`, marker: `<makefault`, cause: `needs a <reason>`},
		{name: "code without value or expression", snippet: `<makefault><code/>` + reason + `</makefault>`, marker: `<code`, cause: `needs a value (prefix:name) or an expression`},
		{name: "reason without value or expression", snippet: `<makefault><code expression="'x'"/><reason/></makefault>`, marker: `<reason`, cause: `needs a value or an expression`},
		{name: "code not a QName", snippet: `<makefault><code value="Server"/>` + reason + `</makefault>`, marker: `value="Server"`, cause: `must be a QName, prefix:name`},
		{name: "unbound prefix", snippet: `<makefault><code value="soap:Server"/>` + reason + `</makefault>`, marker: `value="soap`, cause: `prefix "soap" of code value "soap:Server" is not bound`},
		{name: "soap11 code in the soap12 namespace", snippet: `<makefault><code xmlns:e="` + soap12NS + `" value="e:Server"/>` + reason + `</makefault>`, marker: `value="e`, cause: `a soap11 fault code must be in the namespace ` + soap11NS},
		{name: "soap11 code name", snippet: `<makefault><code ` + s11 + ` value="s11:Receiver"/>` + reason + `</makefault>`, marker: `value="s11`, cause: `one of VersionMismatch, MustUnderstand, Client, Server`},
		{name: "soap12 code name", snippet: `<makefault version="soap12"><code xmlns:e="` + soap12NS + `" value="e:Server"/>` + reason + `</makefault>`, marker: `value="e`, cause: `one of VersionMismatch, MustUnderstand, DataEncodingUnknown, Sender, Receiver`},
		{name: "node without a version", snippet: `<makefault><code expression="'x'"/>` + reason + `<node>http://n</node></makefault>`, marker: `<node`, cause: `give the version attribute`},
		{name: "node not a URI", snippet: `<makefault version="soap12"><code expression="'x'"/>` + reason + `<node>a b</node></makefault>`, marker: `<node`, cause: `<node> "a b" is not a valid URI`},
		{name: "role not a URI", snippet: `<makefault><code expression="'x'"/>` + reason + `<role>http://x/{y}</role></makefault>`, marker: `<role`, cause: `is not a valid URI`},
		{name: "bad detail expression", snippet: `<makefault><code expression="'x'"/>` + reason + `<detail expression="//["/></makefault>`, marker: `expression="//[`, cause: `invalid XPath`},
		{name: "unknown child", snippet: `<makefault version="pox"><text>x</text></makefault>`, marker: `<text`, cause: `unknown element`},
	})
}

func TestMakefaultWarnings(t *testing.T) {
	t.Parallel()
	g, diags := testkit.Compile(`<sequence name="__test"><makefault version="soap11"><code expression="'x'"/><reason value="r"/><node>http://n</node></makefault></sequence>`)
	if g == nil {
		t.Fatalf("does not compile: %v", diags.Err())
	}
	if len(diags.List) != 1 || diags.List[0].Msg != "<node> is ignored: only SOAP 1.2 faults have a node" {
		t.Errorf("diagnostics = %v", diags.List)
	}
}
