package e2e

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/busbar/busbar/internal/testkit"
)

// TestMainSequenceInOut: the classic main sequence with <in>/<out> and a
// send to an address; the response comes back through main's <out>.
func TestMainSequenceInOut(t *testing.T) {
	t.Parallel()
	be := newBackend(t, echo)
	srv := testkit.Serve(t, fmt.Sprintf(`
<sequence name="main">
  <in><property name="X-Dir" value="in" scope="transport"/><send><endpoint><address uri="%s/svc"/></endpoint></send></in>
  <out><property name="X-Seen" value="out" scope="transport"/><send/></out>
</sequence>`, be.URL))
	r := testkit.Do(t, "POST", srv.URL+"/anything", "application/xml", `<a>1</a>`)
	if r.Status != 200 || r.Body != `<a>1</a>` || r.Header.Get("X-Seen") != "out" {
		t.Fatalf("got %d %q %v", r.Status, r.Body, r.Header)
	}
	if be.last(t).Header.Get("X-Dir") != "in" {
		t.Fatal("in path did not run")
	}
}

// TestSendReceive: send with receive= delivers the response to that
// sequence instead of the out sequence.
func TestSendReceive(t *testing.T) {
	t.Parallel()
	be := newBackend(t, echo)
	srv := testkit.Serve(t, fmt.Sprintf(`
<sequence name="gotIt"><property name="X-Receive" value="yes" scope="transport"/><respond/></sequence>
<api name="a" context="/a"><resource methods="POST">
  <inSequence><send receive="gotIt"><endpoint><address uri="%s/x"/></endpoint></send></inSequence>
  <outSequence><property name="X-Out" value="wrong" scope="transport"/><respond/></outSequence>
</resource></api>`, be.URL))
	r := testkit.Do(t, "POST", srv.URL+"/a", "application/json", `{"k":"v"}`)
	if r.Status != 200 || r.Body != `{"k":"v"}` || r.Header.Get("X-Receive") != "yes" || r.Header.Get("X-Out") != "" {
		t.Fatalf("got %d %q %v", r.Status, r.Body, r.Header)
	}
}

// TestCallContinues: call returns the backend response into the same
// sequence; blocking call turns an HTTP 500 into a 401002 fault.
func TestCallContinues(t *testing.T) {
	t.Parallel()
	be := newBackend(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		if r.URL.Path == "/fail" {
			w.WriteHeader(500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"stock":5}`))
	})
	srv := testkit.Serve(t, fmt.Sprintf(`
<api name="a" context="/a">
  <resource methods="GET" uri-template="/ok"><inSequence>
    <call><endpoint><http method="get" uri-template="%[1]s/stock"/></endpoint></call>
    <payloadFactory media-type="json"><format>{"available":$1}</format><args><arg evaluator="json" expression="$.stock"/></args></payloadFactory>
    <respond/>
  </inSequence></resource>
  <resource methods="GET" uri-template="/blocking"><inSequence>
    <call blocking="true"><endpoint><http method="get" uri-template="%[1]s/fail"/></endpoint></call>
    <respond/>
  </inSequence>
  <faultSequence><payloadFactory media-type="text"><format>$1 $2 $3</format><args><arg expression="$ctx:ERROR_CODE"/><arg expression="$axis2:HTTP_SC"/><arg expression="$ctx:BLOCKING_SENDER_ERROR"/></args></payloadFactory><property name="HTTP_SC" value="502" scope="axis2"/><respond/></faultSequence>
  </resource>
</api>`, be.URL))
	r := testkit.Do(t, "GET", srv.URL+"/a/ok", "", "")
	if r.Status != 200 || r.Body != `{"available":5}` {
		t.Fatalf("call: %d %q", r.Status, r.Body)
	}
	r = testkit.Do(t, "GET", srv.URL+"/a/blocking", "", "")
	if r.Status != 502 || r.Body != "401002 500 true" {
		t.Fatalf("blocking: %d %q", r.Status, r.Body)
	}
}

// TestLoopbackAndTemplate: loopback moves to the outSequence; a sequence
// template receives parameters through $func:.
func TestLoopbackAndTemplate(t *testing.T) {
	t.Parallel()
	srv := testkit.Serve(t, `
<template name="stamp"><parameter name="who"/><parameter name="greeting" defaultValue="hello"/><sequence>
  <property name="X-Greeting" expression="concat($func:greeting, ' ', $func:who)" scope="transport"/>
</sequence></template>
<api name="a" context="/a"><resource methods="POST">
  <inSequence><call-template target="stamp"><with-param name="who" value="{//name}"/></call-template><loopback/></inSequence>
  <outSequence><property name="X-Out" value="yes" scope="transport"/><respond/></outSequence>
</resource></api>`)
	r := testkit.Do(t, "POST", srv.URL+"/a", "application/xml", `<p><name>Ada</name></p>`)
	if r.Status != 200 || r.Body != `<p><name>Ada</name></p>` || r.Header.Get("X-Greeting") != "hello Ada" || r.Header.Get("X-Out") != "yes" {
		t.Fatalf("got %d %q %v", r.Status, r.Body, r.Header)
	}
}

// TestCallEndsWithoutRespond: a flow that calls a backend and ends without
// responding answers with the message it holds (MI would leave the client
// waiting; see docs/differences-from-wso2.md).
func TestCallEndsWithoutRespond(t *testing.T) {
	t.Parallel()
	be := newBackend(t, echo)
	srv := testkit.Serve(t, fmt.Sprintf(`<api name="a" context="/a"><resource methods="POST"><inSequence><call><endpoint><address uri="%s/"/></endpoint></call></inSequence></resource></api>`, be.URL))
	r := testkit.Do(t, "POST", srv.URL+"/a", "application/json", `{"n":1}`)
	if r.Status != 200 || r.Body != `{"n":1}` {
		t.Fatalf("got %d %q", r.Status, r.Body)
	}
}
