package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/busbar/busbar/internal/testkit"
)

// TestAPIDispatch covers resource selection: uri-template variables,
// url-mapping precedence, methods, versions, and the 404/405 misses of
// synapse-semantics §4.7.
func TestAPIDispatch(t *testing.T) {
	t.Parallel()
	srv := testkit.Serve(t, `
<api name="orders" context="/orders">
  <resource methods="GET" uri-template="/{id}">
    <inSequence><payloadFactory media-type="json"><format>{"res":"byId","id":"$1"}</format><args><arg expression="$ctx:uri.var.id"/></args></payloadFactory><respond/></inSequence>
  </resource>
  <resource methods="GET" uri-template="/{id}/items?status={st}">
    <inSequence><payloadFactory media-type="json"><format>{"res":"items","id":"$1","status":"$2"}</format><args><arg expression="get-property('uri.var.id')"/><arg expression="get-property('uri.var.st')"/></args></payloadFactory><respond/></inSequence>
  </resource>
  <resource methods="POST PUT" url-mapping="/bulk/*">
    <inSequence><payloadFactory media-type="json"><format>{"res":"bulk","method":"$1"}</format><args><arg expression="$axis2:HTTP_METHOD"/></args></payloadFactory><respond/></inSequence>
  </resource>
</api>
<api name="v" context="/shop" version="2.0" version-type="url">
  <resource methods="GET"><inSequence><payloadFactory media-type="text"><format>v$1</format><args><arg expression="$ctx:SYNAPSE_REST_API_VERSION"/></args></payloadFactory><respond/></inSequence></resource>
</api>`)
	cases := []struct {
		name, method, path string
		status             int
		body               string
	}{
		{"template var", "GET", "/orders/42", 200, `{"res":"byId","id":"42"}`},
		{"template with query", "GET", "/orders/42/items?status=open", 200, `{"res":"items","id":"42","status":"open"}`},
		{"url-mapping prefix", "PUT", "/orders/bulk/x/y", 200, `{"res":"bulk","method":"PUT"}`},
		{"method not allowed", "DELETE", "/orders/42", 405, ""},
		{"no resource", "GET", "/orders/42/nothing/here", 404, ""},
		{"versioned context", "GET", "/shop/2.0/anything", 200, "v2.0"},
		{"unknown context goes to main", "GET", "/nowhere", 404, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := testkit.Do(t, tc.method, srv.URL+tc.path, "", "")
			if r.Status != tc.status || strings.TrimSpace(r.Body) != tc.body {
				t.Fatalf("%s %s = %d %q, want %d %q", tc.method, tc.path, r.Status, r.Body, tc.status, tc.body)
			}
		})
	}
}

// TestAPIToBackend: an API routes to an address endpoint with the path
// below the context appended, and to an http endpoint built from a
// uri-template without it.
func TestAPIToBackend(t *testing.T) {
	t.Parallel()
	be := newBackend(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"path":%q}`, r.URL.RequestURI())
	})
	srv := testkit.Serve(t, fmt.Sprintf(`
<endpoint name="Catalog"><address uri="%[1]s/catalog"/></endpoint>
<endpoint name="Item"><http method="get" uri-template="%[1]s/items/{uri.var.id}?full={query.param.full}"/></endpoint>
<api name="shop" context="/shop">
  <resource methods="GET" uri-template="/catalog/*"><inSequence><call><endpoint key="Catalog"/></call><respond/></inSequence></resource>
  <resource methods="GET" uri-template="/item/{id}"><inSequence><send><endpoint key="Item"/></send></inSequence></resource>
</api>`, be.URL))
	r := testkit.Do(t, "GET", srv.URL+"/shop/catalog/books?page=2", "", "")
	if r.Status != 200 || r.Body != `{"path":"/catalog/catalog/books?page=2"}` {
		t.Fatalf("address: %d %q", r.Status, r.Body)
	}
	r = testkit.Do(t, "GET", srv.URL+"/shop/item/a%20b?full=yes", "", "")
	if r.Status != 200 || r.Body != `{"path":"/items/a%20b?full=yes"}` {
		t.Fatalf("http: %d %q", r.Status, r.Body)
	}
}

// TestContentBasedRouting: XPath over XML and SOAP, XPath over JSON (MI's
// jsonObject form), and JSONPath, in filter and switch.
func TestContentBasedRouting(t *testing.T) {
	t.Parallel()
	srv := testkit.Serve(t, `
<api name="route" context="/route">
  <resource methods="POST">
    <inSequence>
      <switch source="//symbol">
        <case regex="IBM"><property name="venue" value="NYSE"/></case>
        <default><property name="venue" value="other"/></default>
      </switch>
      <filter source="json-eval($.qty)" regex="\d+"><then><property name="qtyOK" value="yes"/></then><else><property name="qtyOK" value="no"/></else></filter>
      <payloadFactory media-type="json"><format>{"venue":"$1","qtyOK":"$2"}</format><args><arg expression="$ctx:venue"/><arg expression="$ctx:qtyOK"/></args></payloadFactory>
      <respond/>
    </inSequence>
  </resource>
</api>`)
	cases := []struct{ name, ct, body, want string }{
		{"json", "application/json", `{"symbol":"IBM","qty":10}`, `{"venue":"NYSE","qtyOK":"yes"}`},
		{"xml", "application/xml", `<order><symbol>SUN</symbol><qty>x</qty></order>`, `{"venue":"other","qtyOK":"no"}`},
		// JSONPath over XML sees MI's XML-to-JSON form, where the payload's
		// root element is the top key: $.qty does not exist, $.order.qty would.
		{"soap", "text/xml", `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><order><symbol>IBM</symbol><qty>3</qty></order></e:Body></e:Envelope>`, `{"venue":"NYSE","qtyOK":"no"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := testkit.Do(t, "POST", srv.URL+"/route", tc.ct, tc.body)
			if r.Status != 200 || r.Body != tc.want {
				t.Fatalf("got %d %q, want %q", r.Status, r.Body, tc.want)
			}
		})
	}
}

// TestBadInput: an unparsable body that a mediator needs answers 400 with a
// clear message (ERROR_CODE 601000) and the server keeps serving; an
// oversize body answers 413 before mediation.
func TestBadInput(t *testing.T) {
	t.Parallel()
	srv := testkit.Serve(t, `
<api name="in" context="/in">
  <resource methods="POST"><inSequence><filter xpath="//a = 1"><then><property name="x" value="1"/></then></filter><respond/></inSequence></resource>
</api>`)
	for _, tc := range []struct{ name, ct, body string }{
		{"json", "application/json", `{"a": 1,`},
		{"xml", "application/xml", `<a>1</b>`},
	} {
		r := testkit.Do(t, "POST", srv.URL+"/in", tc.ct, tc.body)
		if r.Status != 400 {
			t.Fatalf("%s: status %d %q", tc.name, r.Status, r.Body)
		}
		if tc.ct == "application/json" {
			var ans struct {
				Error struct {
					Code    int    `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			}
			if err := json.Unmarshal([]byte(r.Body), &ans); err != nil || ans.Error.Code != 601000 || !strings.Contains(ans.Error.Message, "json") {
				t.Fatalf("%s: answer %q (%v)", tc.name, r.Body, err)
			}
		}
	}
	// The 413 comes before the body is read; a client that sends
	// Expect: 100-continue (as curl does for large bodies) sees it without
	// uploading anything.
	big := strings.Repeat("x", 11<<20)
	r := testkit.Do(t, "POST", srv.URL+"/in", "text/plain", big, "Expect", "100-continue")
	if r.Status != 413 {
		t.Fatalf("oversize: %d", r.Status)
	}
	r = testkit.Do(t, "POST", srv.URL+"/in", "application/xml", `<a>1</a>`)
	if r.Status != 200 || r.Body != `<a>1</a>` {
		t.Fatalf("server stopped serving well: %d %q", r.Status, r.Body)
	}
}
