package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/busbar/busbar/internal/testkit"
)

// closedPort returns a loopback address nobody listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

type answer struct {
	Error struct {
		Code    any    `json:"code"`
		Message string `json:"message"`
		Detail  string `json:"detail"`
		Path    string `json:"path"`
	} `json:"error"`
}

func decode(t *testing.T, body string) answer {
	t.Helper()
	var a answer
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatalf("not a JSON error answer: %q (%v)", body, err)
	}
	return a
}

// TestFaultSequenceOnConnectionRefused: an endpoint at a closed port fails
// with 101503 into the resource's fault sequence, which answers.
func TestFaultSequenceOnConnectionRefused(t *testing.T) {
	t.Parallel()
	srv := testkit.Serve(t, fmt.Sprintf(`
<api name="a" context="/a">
  <resource methods="POST">
    <inSequence><call><endpoint><address uri="http://%s/down"/></endpoint></call><respond/></inSequence>
    <faultSequence>
      <payloadFactory media-type="json"><format>{"failed":true,"code":"$1","msg":"$2"}</format>
        <args><arg expression="get-property('ERROR_CODE')"/><arg expression="get-property('ERROR_MESSAGE')"/></args></payloadFactory>
      <property name="HTTP_SC" value="503" scope="axis2"/>
      <respond/>
    </faultSequence>
  </resource>
</api>`, closedPort(t)))
	r := testkit.Do(t, "POST", srv.URL+"/a", "application/json", `{}`)
	if r.Status != 503 || r.Body != `{"failed":true,"code":"101503","msg":"Error connecting to the back end"}` {
		t.Fatalf("got %d %q", r.Status, r.Body)
	}
}

// TestDefaultAnswers: when no fault handler answers, the client still gets
// an answer in its own format (DESIGN §3.1).
func TestDefaultAnswers(t *testing.T) {
	t.Parallel()
	down := closedPort(t)
	srv := testkit.Serve(t, fmt.Sprintf(`
<api name="a" context="/a">
  <resource methods="POST" uri-template="/down"><inSequence><call><endpoint><address uri="http://%s/"/></endpoint></call><respond/></inSequence></resource>
  <resource methods="POST" uri-template="/throw"><inSequence><throwError type="ORDER_INVALID" errorMessage="order has no lines"/></inSequence></resource>
  <resource methods="POST" uri-template="/nokey"><inSequence><send><endpoint key="NoSuchEndpoint"/></send></inSequence></resource>
</api>`, down))
	r := testkit.Do(t, "POST", srv.URL+"/a/down", "application/json", `{}`)
	a := decode(t, r.Body)
	if r.Status != 502 || a.Error.Code != float64(101503) || a.Error.Path == "" {
		t.Fatalf("refused: %d %q", r.Status, r.Body)
	}
	r = testkit.Do(t, "POST", srv.URL+"/a/throw", "application/json", `{}`)
	a = decode(t, r.Body)
	if r.Status != 500 || a.Error.Code != "ORDER_INVALID" || a.Error.Message != "order has no lines" || !strings.HasSuffix(a.Error.Path, "throwError[1]") {
		t.Fatalf("throwError: %d %q", r.Status, r.Body)
	}
	r = testkit.Do(t, "POST", srv.URL+"/a/nokey", "text/xml", soap11Req)
	if r.Status != 503 || !strings.Contains(r.Body, "Fault") || !strings.Contains(r.Body, "305100") {
		t.Fatalf("missing key (SOAP): %d %q", r.Status, r.Body)
	}
}

// TestDropAnswers202: a deliberate drop before any send is answered 202
// with no body, as in MI.
func TestDropAnswers202(t *testing.T) {
	t.Parallel()
	srv := testkit.Serve(t, `<api name="d" context="/d"><resource><inSequence><drop/></inSequence></resource></api>`)
	r := testkit.Do(t, "POST", srv.URL+"/d", "application/json", `{"x":1}`)
	if r.Status != 202 || r.Body != "" {
		t.Fatalf("got %d %q", r.Status, r.Body)
	}
}

// TestFailingFaultSequenceFallsThrough: a fault sequence that fails hands
// over to the next handler (here the global fault sequence), and the
// client still gets an answer (synapse-semantics §4.5).
func TestFailingFaultSequenceFallsThrough(t *testing.T) {
	t.Parallel()
	srv := testkit.Serve(t, `
<sequence name="fault"><payloadFactory media-type="json"><format>{"global":"$1"}</format><args><arg expression="$ctx:ERROR_CODE"/></args></payloadFactory><respond/></sequence>
<api name="a" context="/a">
  <resource methods="POST">
    <inSequence><throwError type="FIRST"/></inSequence>
    <faultSequence><throwError type="SECOND"/></faultSequence>
  </resource>
</api>`)
	r := testkit.Do(t, "POST", srv.URL+"/a", "application/json", `{}`)
	if r.Status != 200 || r.Body != `{"global":"SECOND"}` {
		t.Fatalf("got %d %q", r.Status, r.Body)
	}
}

// TestSequenceOnError: a named sequence's onError handles errors inside it
// instead of the API's fault sequence.
func TestSequenceOnError(t *testing.T) {
	t.Parallel()
	srv := testkit.Serve(t, `
<sequence name="handler"><payloadFactory media-type="text"><format>handled $1</format><args><arg expression="$ctx:ERROR_CODE"/></args></payloadFactory><respond/></sequence>
<sequence name="work" onError="handler"><throwError type="INNER"/></sequence>
<api name="a" context="/a"><resource methods="POST"><inSequence><sequence key="work"/></inSequence><faultSequence><drop/></faultSequence></resource></api>`)
	r := testkit.Do(t, "POST", srv.URL+"/a", "text/plain", "x")
	if r.Status != 200 || r.Body != "handled INNER" {
		t.Fatalf("got %d %q", r.Status, r.Body)
	}
}

// TestRequestHeadersNotEchoed: answering from the request path does not
// send the request's credentials and request-only headers back.
func TestRequestHeadersNotEchoed(t *testing.T) {
	t.Parallel()
	srv := testkit.Serve(t, `<api name="e" context="/e"><resource><inSequence><property name="X-Kept" value="yes" scope="transport"/><respond/></inSequence></resource></api>`)
	r := testkit.Do(t, "POST", srv.URL+"/e", "application/json", `{}`, "Authorization", "Bearer secret", "Cookie", "s=1", "X-Custom", "x")
	if r.Status != 200 || r.Header.Get("Authorization") != "" || r.Header.Get("Cookie") != "" || r.Header.Get("User-Agent") != "" {
		t.Fatalf("request headers echoed: %v", r.Header)
	}
	if r.Header.Get("X-Kept") != "yes" || r.Header.Get("X-Custom") != "x" {
		t.Fatalf("other headers lost: %v", r.Header)
	}
}
