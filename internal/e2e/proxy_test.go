package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/busbar/busbar/internal/testkit"
)

const soap11Req = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><m:getQuote xmlns:m="http://services.samples"><m:request><m:symbol>IBM</m:symbol></m:request></m:getQuote></soapenv:Body></soapenv:Envelope>`

const soap12Req = `<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><m:getQuote xmlns:m="http://services.samples"><m:symbol>MSFT</m:symbol></m:getQuote></soap:Body></soap:Envelope>`

// TestProxyPassThrough: a proxy with only a target endpoint forwards the
// request untouched (method, body bytes, headers) and returns the backend's
// status, headers and body untouched.
func TestProxyPassThrough(t *testing.T) {
	t.Parallel()
	be := newBackend(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		w.Header().Set("Content-Type", "text/xml; charset=UTF-8")
		w.Header().Set("X-Backend", "stock")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(body)
	})
	srv := testkit.Serve(t, fmt.Sprintf(`<proxy name="StockQuote" transports="http"><target><endpoint><address uri="%s/services/SimpleStockQuoteService"/></endpoint></target></proxy>`, be.URL))
	cases := []struct {
		name, ct, body string
	}{
		{"soap11", "text/xml; charset=UTF-8", soap11Req},
		{"soap12", "application/soap+xml; charset=UTF-8", soap12Req},
		{"json", "application/json", `{"symbol":"IBM","qty":[1,2,3]}`},
		{"binary", "application/octet-stream", "\x00\x01\x02not xml"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := testkit.Do(t, "POST", srv.URL+"/services/StockQuote", tc.ct, tc.body, "SOAPAction", `"urn:getQuote"`, "X-Custom", "kept")
			if r.Status != http.StatusCreated || r.Body != tc.body || r.Header.Get("X-Backend") != "stock" {
				t.Fatalf("got %d %q %v", r.Status, r.Body, r.Header)
			}
		})
	}
	seen := be.last(t)
	if seen.Method != "POST" || seen.Path != "/services/SimpleStockQuoteService" || seen.Header.Get("X-Custom") != "kept" || seen.Header.Get("SOAPAction") != `"urn:getQuote"` {
		t.Fatalf("backend saw %+v", seen)
	}
}

// TestProxyInOutSequences: the classic proxy with inSequence/outSequence;
// the response of send goes through the outSequence and back with <send/>.
func TestProxyInOutSequences(t *testing.T) {
	t.Parallel()
	be := newBackend(t, echo)
	srv := testkit.Serve(t, fmt.Sprintf(`
<proxy name="P">
  <target>
    <inSequence>
      <property name="X-Trace" value="in" scope="transport"/>
      <send><endpoint><address uri="%s/echo"/></endpoint></send>
    </inSequence>
    <outSequence>
      <property name="X-Out" expression="$trp:X-Backend" scope="transport"/>
      <send/>
    </outSequence>
  </target>
</proxy>`, be.URL))
	r := testkit.Do(t, "POST", srv.URL+"/services/P", "text/xml", soap11Req)
	if r.Status != 200 || r.Body != soap11Req || r.Header.Get("X-Out") != "echo" {
		t.Fatalf("got %d %q %v", r.Status, r.Body, r.Header)
	}
	if got := be.last(t).Header.Get("X-Trace"); got != "in" {
		t.Fatalf("backend X-Trace = %q", got)
	}
}

// TestProxySubPathPostfix: /services/NAME/sub is appended to an address
// endpoint (REST_URL_POSTFIX), with the query.
func TestProxySubPathPostfix(t *testing.T) {
	t.Parallel()
	be := newBackend(t, echo)
	srv := testkit.Serve(t, fmt.Sprintf(`<proxy name="P"><target endpoint="E"/></proxy><endpoint name="E"><address uri="%s/base"/></endpoint>`, be.URL))
	testkit.Do(t, "GET", srv.URL+"/services/P/items/7?x=1", "", "")
	if got := be.last(t).Path; got != "/base/items/7?x=1" {
		t.Fatalf("backend path = %q", got)
	}
}

// TestSOAP12Fault: makefault soap12 + respond gives a SOAP 1.2 fault with
// HTTP 500.
func TestSOAP12Fault(t *testing.T) {
	t.Parallel()
	srv := testkit.Serve(t, `
<proxy name="F"><target><inSequence>
  <makefault version="soap12"><code xmlns:soap12Env="http://www.w3.org/2003/05/soap-envelope" value="soap12Env:Receiver"/><reason value="no quote today"/></makefault>
  <respond/>
</inSequence></target></proxy>`)
	r := testkit.Do(t, "POST", srv.URL+"/services/F", "application/soap+xml", soap12Req)
	if r.Status != 500 || !strings.Contains(r.Body, "no quote today") || !strings.Contains(r.Body, "http://www.w3.org/2003/05/soap-envelope") {
		t.Fatalf("got %d %q", r.Status, r.Body)
	}
}
