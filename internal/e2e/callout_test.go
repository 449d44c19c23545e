package e2e

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/busbar/busbar/internal/endpoint"
	"github.com/busbar/busbar/internal/testkit"
	"github.com/busbar/busbar/internal/transport/httpin"
)

// TestCallout: a blocking SOAP call with part of the message, its answer
// put back at an XPath target, then the flow goes on.
func TestCallout(t *testing.T) {
	t.Parallel()
	be := newBackend(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		w.Header().Set("Content-Type", "text/xml")
		if !strings.Contains(string(body), "<symbol>IBM</symbol>") || r.Header.Get("SOAPAction") != `"urn:getPrice"` {
			w.WriteHeader(500)
			return
		}
		fmt.Fprint(w, `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><price>42</price></soapenv:Body></soapenv:Envelope>`)
	})
	srv := testkit.Serve(t, fmt.Sprintf(`
<api name="c" context="/c"><resource methods="POST">
  <inSequence>
    <callout serviceURL="%s/price" action="urn:getPrice">
      <source xpath="//symbol"/>
      <target xpath="//quote"/>
    </callout>
    <respond/>
  </inSequence>
  <faultSequence><payloadFactory media-type="text"><format>fault $1</format><args><arg expression="$ctx:ERROR_CODE"/></args></payloadFactory><respond/></faultSequence>
</resource></api>`, be.URL))
	r := testkit.Do(t, "POST", srv.URL+"/c", "application/xml", `<order><symbol>IBM</symbol><quote/></order>`)
	if r.Status != 200 || r.Body != `<order><symbol>IBM</symbol><price>42</price></order>` {
		t.Fatalf("got %d %q", r.Status, r.Body)
	}
	r = testkit.Do(t, "POST", srv.URL+"/c", "application/xml", `<order><symbol>SUN</symbol><quote/></order>`)
	if r.Body != "fault 401002" {
		t.Fatalf("failing callout: %d %q", r.Status, r.Body)
	}
	if be.last(t).Method != "POST" {
		t.Fatal("callout did not POST")
	}
}

// TestHTTPEdges: HEAD, an oversize Content-Length refused before reading,
// and a request without a body.
func TestHTTPEdges(t *testing.T) {
	t.Parallel()
	srv := testkit.Serve(t, `<api name="e" context="/e"><resource><inSequence><payloadFactory media-type="json"><format>{"m":"$1"}</format><args><arg expression="$axis2:HTTP_METHOD"/></args></payloadFactory><respond/></inSequence></resource></api>`)
	r := testkit.Do(t, "HEAD", srv.URL+"/e", "", "")
	if r.Status != 200 || r.Body != "" {
		t.Fatalf("HEAD: %d %q", r.Status, r.Body)
	}
	r = testkit.Do(t, "GET", srv.URL+"/e", "", "")
	if r.Status != 200 || r.Body != `{"m":"GET"}` {
		t.Fatalf("GET: %d %q", r.Status, r.Body)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/e", strings.NewReader("x"))
	req.ContentLength = 64 << 20
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		defer resp.Body.Close()
		if resp.StatusCode != 413 {
			t.Fatalf("oversize Content-Length: %d", resp.StatusCode)
		}
	}
}

// TestStalledUpload: a client that stops sending in the middle of a body
// gets an answer once the body timeout passes, instead of holding the
// message (and the backend connection it streams to) forever.
func TestStalledUpload(t *testing.T) {
	t.Parallel()
	be := newBackend(t, echo)
	srv := testkit.StartServerOpts(t, testkit.Graph(t, fmt.Sprintf(`<proxy name="P"><target><endpoint><address uri="%s/"/></endpoint></target></proxy>`, be.URL)),
		httpin.Options{BodyTimeout: 200 * time.Millisecond})
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /services/P HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nonly ten b")
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer for a stalled upload: %v", err)
	}
	if resp.StatusCode < 400 {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

// TestStalledUploadDoesNotSuspend: the client's failure is not held
// against the backend endpoint.
func TestStalledUploadDoesNotSuspend(t *testing.T) {
	t.Parallel()
	be := newBackend(t, echo)
	srv := testkit.StartServerOpts(t, testkit.Graph(t, fmt.Sprintf(`<endpoint name="E"><address uri="%s/"/></endpoint><proxy name="P"><target endpoint="E"/></proxy>`, be.URL)),
		httpin.Options{BodyTimeout: 100 * time.Millisecond})
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /services/P HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\npartial")
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || resp.StatusCode != 400 {
		t.Fatalf("answer %v %v", resp, err)
	}
	if st := trackerOf(t, srv, "E").State(); st != endpoint.Active {
		t.Fatalf("the backend endpoint was blamed: %v", st)
	}
}
