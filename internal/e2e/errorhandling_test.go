package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/busbar/busbar/internal/endpoint"
	"github.com/busbar/busbar/internal/testkit"
)

// switchable is a backend whose behaviour tests flip: healthy, closing the
// connection without answering, or hanging until the test ends.
type switchable struct {
	*backend
	mode  atomic.Int32 // 0 healthy, 1 close, 2 hang, 3 SOAP fault
	calls atomic.Int32
	stop  chan struct{}
}

const (
	healthy = iota
	closing
	hanging
	soapFaulting
)

func newSwitchable(t *testing.T) *switchable {
	s := &switchable{stop: make(chan struct{})}
	s.backend = newBackend(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		s.calls.Add(1)
		switch s.mode.Load() {
		case closing:
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		case hanging:
			select {
			case <-s.stop:
			case <-r.Context().Done():
			}
		case soapFaulting:
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(500)
			fmt.Fprint(w, `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>backend broke</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`)
		default:
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"ok":true}`)
		}
	})
	t.Cleanup(func() { close(s.stop) })
	return s
}

// errorAPI is an API calling endpoint E whose fault sequence reports what
// it saw; /plain has no fault sequence of its own.
const errorAPI = `
<api name="a" context="/a">
  <resource methods="POST" uri-template="/fs">
    <inSequence><call><endpoint key="E"/></call><respond/></inSequence>
    <faultSequence>
      <payloadFactory media-type="json"><format>{"code":"$1","message":"$2","origin":"$3"}</format>
        <args><arg expression="$ctx:ERROR_CODE"/><arg expression="$ctx:ERROR_MESSAGE"/><arg expression="get-property('FAIL_INFO')/origin"/></args></payloadFactory>
      <property name="HTTP_SC" value="500" scope="axis2"/>
      <respond/>
    </faultSequence>
  </resource>
  <resource methods="POST" uri-template="/plain"><inSequence><call><endpoint key="E"/></call><respond/></inSequence></resource>
</api>`

type seen struct{ Code, Message, Origin string }

func faultSeen(t *testing.T, r testkit.Reply) seen {
	t.Helper()
	var s seen
	if err := json.Unmarshal([]byte(r.Body), &s); err != nil {
		t.Fatalf("fault sequence did not answer: %d %q", r.Status, r.Body)
	}
	return s
}

func trackerOf(t *testing.T, srv *testkit.Server, name string) *endpoint.Tracker {
	t.Helper()
	ep, ok := srv.In.Graph().Endpoints[name].(interface{ Tracker() *endpoint.Tracker })
	if !ok {
		t.Fatalf("endpoint %s has no tracker", name)
	}
	return ep.Tracker()
}

// TestRule1_6_RootNotReadyFailsFast: a suspended root endpoint fails at
// once with 303001 and never touches the network; once its suspension
// expires the next request goes out, and a response makes it ACTIVE.
func TestRule1_6_RootNotReadyFailsFast(t *testing.T) {
	t.Parallel()
	be := newSwitchable(t)
	opts, clk := testkit.FakeRuntime()
	srv := testkit.StartServer(t, testkit.GraphWith(t, errorAPI+fmt.Sprintf(`<endpoint name="E"><address uri="%s/x"/></endpoint>`, be.URL), opts))
	be.mode.Store(closing)
	s := faultSeen(t, testkit.Do(t, "POST", srv.URL+"/a/fs", "application/json", `{}`))
	if s.Code != "101508" || s.Origin != "api[a]/resource[1]/inSequence/call[1]" {
		t.Fatalf("first failure: %+v", s)
	}
	tr := trackerOf(t, srv, "E")
	if tr.State() != endpoint.Suspended || tr.Status().LastSuspendDuration != 30000 {
		t.Fatalf("state %+v", tr.Status())
	}
	calls := be.calls.Load()
	s = faultSeen(t, testkit.Do(t, "POST", srv.URL+"/a/fs", "application/json", `{}`))
	if s.Code != "303001" || s.Message != "Currently , Address endpoint : [ Name : E ] [ State : SUSPENDED ]" || be.calls.Load() != calls {
		t.Fatalf("not-ready send: %+v, backend calls %d -> %d", s, calls, be.calls.Load())
	}
	r := testkit.Do(t, "POST", srv.URL+"/a/plain", "application/json", `{}`)
	if r.Status != 503 || !strings.Contains(r.Body, `"code":303001`) {
		t.Fatalf("default answer for a not-ready endpoint: %d %q", r.Status, r.Body)
	}
	be.mode.Store(healthy)
	clk.Advance(30 * time.Second)
	r = testkit.Do(t, "POST", srv.URL+"/a/fs", "application/json", `{}`)
	if r.Status != 200 || r.Body != `{"ok":true}` || tr.State() != endpoint.Active {
		t.Fatalf("after the suspension: %d %q %v", r.Status, r.Body, tr.State())
	}
}

// TestRule2_TimeoutActions: an endpoint timeout is an exact per-call
// deadline giving 101504 "Send timeout"; responseAction fault (and no
// responseAction, in Busbar) runs the state machine and the fault
// sequence; discard runs the state machine but no fault sequence, and the
// client still gets a prompt 504.
func TestRule2_TimeoutActions(t *testing.T) {
	t.Parallel()
	be := newSwitchable(t)
	be.mode.Store(hanging)
	tmpl := `<endpoint name="%s"><address uri="%s/slow"><timeout><duration>150</duration>%s</timeout><markForSuspension><retriesBeforeSuspension>1</retriesBeforeSuspension></markForSuspension></address></endpoint>`
	cfg := fmt.Sprintf(tmpl, "Fault", be.URL, "<responseAction>fault</responseAction>") +
		fmt.Sprintf(tmpl, "None", be.URL, "") +
		fmt.Sprintf(tmpl, "Discard", be.URL, "<responseAction>discard</responseAction>")
	for _, ep := range []string{"Fault", "None", "Discard"} {
		cfg += strings.NewReplacer(`name="a" context="/a"`, fmt.Sprintf(`name="%s" context="/%s"`, ep, ep), `key="E"`, fmt.Sprintf(`key="%s"`, ep)).Replace(errorAPI)
	}
	srv := testkit.Serve(t, cfg)
	for _, ep := range []string{"Fault", "None"} {
		start := time.Now()
		s := faultSeen(t, testkit.Do(t, "POST", srv.URL+"/"+ep+"/fs", "application/json", `{}`))
		if s.Code != "101504" || s.Message != "Send timeout" {
			t.Fatalf("%s: %+v", ep, s)
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("%s: the timeout was not enforced promptly", ep)
		}
		if st := trackerOf(t, srv, ep).Status(); st.State != "TIMEOUT" || st.RemainingRetries != 0 {
			t.Fatalf("%s: state %+v", ep, st)
		}
	}
	r := testkit.Do(t, "POST", srv.URL+"/Discard/fs", "application/json", `{}`)
	if r.Status != 504 || !strings.Contains(r.Body, `"code":101504`) {
		t.Fatalf("discard: %d %q (the fault sequence must not run)", r.Status, r.Body)
	}
	if trackerOf(t, srv, "Discard").State() != endpoint.Timeout {
		t.Fatal("discard skipped the state machine")
	}
}

// TestRule3_4_ForceErrorOnSOAPFault: with FORCE_ERROR_ON_SOAP_FAULT=true a
// SOAP fault response is ERROR_CODE 500000, suspends the endpoint and
// reaches the fault sequence with the fault as payload; without it the
// fault is an ordinary response and the endpoint stays ACTIVE.
func TestRule3_4_ForceErrorOnSOAPFault(t *testing.T) {
	t.Parallel()
	be := newSwitchable(t)
	be.mode.Store(soapFaulting)
	srv := testkit.Serve(t, fmt.Sprintf(`
<endpoint name="Forced"><address uri="%[1]s/f"/></endpoint>
<endpoint name="Plain"><address uri="%[1]s/p"/></endpoint>
<proxy name="Forced"><target>
  <inSequence><property name="FORCE_ERROR_ON_SOAP_FAULT" value="true"/><send><endpoint key="Forced"/></send></inSequence>
  <faultSequence><payloadFactory media-type="xml"><format><seen xmlns=""><code>$1</code><why>$2</why></seen></format>
    <args><arg expression="$ctx:ERROR_CODE"/><arg expression="//faultstring"/></args></payloadFactory><respond/></faultSequence>
</target></proxy>
<proxy name="Plain"><target><endpoint key="Plain"/></target></proxy>`, be.URL))
	r := testkit.Do(t, "POST", srv.URL+"/services/Forced", "text/xml", soap11Req)
	if !strings.Contains(r.Body, "<code>500000</code><why>backend broke</why>") {
		t.Fatalf("forced: %d %q", r.Status, r.Body)
	}
	if trackerOf(t, srv, "Forced").State() != endpoint.Suspended {
		t.Fatal("500000 did not suspend the endpoint")
	}
	r = testkit.Do(t, "POST", srv.URL+"/services/Plain", "text/xml", soap11Req)
	if r.Status != 500 || !strings.Contains(r.Body, "backend broke") || trackerOf(t, srv, "Plain").State() != endpoint.Active {
		t.Fatalf("plain: %d %q %v", r.Status, r.Body, trackerOf(t, srv, "Plain").State())
	}
}

// TestRule4_EndpointOnErrorAndAsyncHandlers: an endpoint's onError handles
// its failures instead of the enclosing fault sequence; after a send, the
// fault handlers active at the send (a named sequence's onError) handle the
// endpoint's failure (synapse-semantics §4.1, §4.2).
func TestRule4_EndpointOnErrorAndAsyncHandlers(t *testing.T) {
	t.Parallel()
	down := closedPort(t)
	srv := testkit.Serve(t, fmt.Sprintf(`
<sequence name="epHandler"><payloadFactory media-type="text"><format>endpoint onError $1</format><args><arg expression="$ctx:ERROR_CODE"/></args></payloadFactory><respond/></sequence>
<sequence name="seqHandler"><payloadFactory media-type="text"><format>sequence onError $1</format><args><arg expression="$ctx:ERROR_CODE"/></args></payloadFactory><respond/></sequence>
<sequence name="sender" onError="seqHandler"><send><endpoint><address uri="http://%[1]s/x"/></endpoint></send></sequence>
<endpoint name="WithOnError" onError="epHandler"><address uri="http://%[1]s/y"/></endpoint>
<api name="a" context="/a">
  <resource methods="POST" uri-template="/ep"><inSequence><call><endpoint key="WithOnError"/></call><respond/></inSequence>
    <faultSequence><payloadFactory media-type="text"><format>resource fault</format></payloadFactory><respond/></faultSequence></resource>
  <resource methods="POST" uri-template="/seq"><inSequence><sequence key="sender"/></inSequence>
    <faultSequence><payloadFactory media-type="text"><format>resource fault</format></payloadFactory><respond/></faultSequence></resource>
</api>`, down))
	if r := testkit.Do(t, "POST", srv.URL+"/a/ep", "text/plain", "x"); r.Body != "endpoint onError 101503" {
		t.Fatalf("endpoint onError: %q", r.Body)
	}
	if r := testkit.Do(t, "POST", srv.URL+"/a/seq", "text/plain", "x"); r.Body != "sequence onError 101503" {
		t.Fatalf("sequence onError after send: %q", r.Body)
	}
}

// TestRule4_ResponsePathFaults: an error in a proxy's outSequence goes to
// the proxy's fault sequence, not to anything of the request path.
func TestRule4_ResponsePathFaults(t *testing.T) {
	t.Parallel()
	be := newBackend(t, echo)
	srv := testkit.Serve(t, fmt.Sprintf(`
<proxy name="P"><target>
  <inSequence><send><endpoint><address uri="%s/"/></endpoint></send></inSequence>
  <outSequence><throwError type="OUT_FAILED" errorMessage="bad response"/></outSequence>
  <faultSequence><payloadFactory media-type="text"><format>proxy fault $1</format><args><arg expression="$ctx:ERROR_CODE"/></args></payloadFactory><respond/></faultSequence>
</target></proxy>`, be.URL))
	if r := testkit.Do(t, "POST", srv.URL+"/services/P", "text/plain", "x"); r.Body != "proxy fault OUT_FAILED" {
		t.Fatalf("got %d %q", r.Status, r.Body)
	}
}

// TestRule3_5_ResponseStatus: HTTP_SC overrides; SC_ACCEPTED gives 202; a
// SOAP fault answer is 500 unless FAULTS_AS_HTTP_200.
func TestRule3_5_ResponseStatus(t *testing.T) {
	t.Parallel()
	srv := testkit.Serve(t, `
<api name="s" context="/s">
  <resource uri-template="/sc"><inSequence><property name="HTTP_SC" value="418" scope="axis2"/><respond/></inSequence></resource>
  <resource uri-template="/accepted"><inSequence><property name="SC_ACCEPTED" value="true" scope="axis2"/><respond/></inSequence></resource>
  <resource uri-template="/fault"><inSequence><respond/></inSequence></resource>
  <resource uri-template="/fault200"><inSequence><property name="FAULTS_AS_HTTP_200" value="true" scope="axis2"/><respond/></inSequence></resource>
</api>`)
	fault := `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><e:Fault><faultcode>e:Client</faultcode><faultstring>x</faultstring></e:Fault></e:Body></e:Envelope>`
	for path, want := range map[string]int{"/s/sc": 418, "/s/accepted": 202, "/s/fault": 500, "/s/fault200": 200} {
		if r := testkit.Do(t, "POST", srv.URL+path, "text/xml", fault); r.Status != want {
			t.Errorf("%s: %d, want %d", path, r.Status, want)
		}
	}
}

// TestFailInfo: FAIL_INFO names the failing mediator, the invocation path
// with how each mediator was entered and left, and the predecessor fault
// when a fault sequence itself fails (DESIGN §4).
func TestFailInfo(t *testing.T) {
	t.Parallel()
	srv := testkit.Serve(t, `
<sequence name="Deep"><log level="custom"><property name="x" value="y"/></log><throwError type="DEEP" errorMessage="deep failure"/></sequence>
<sequence name="fault">
  <payloadFactory media-type="text"><format>$1|$2|$3|$4|$5</format><args>
    <arg expression="get-property('FAIL_INFO')/origin"/>
    <arg expression="get-property('FAIL_INFO')/errorCode"/>
    <arg expression="get-property('FAIL_INFO')/predecessor/failInfo/origin"/>
    <arg expression="get-property('FAIL_INFO')/predecessor/failInfo/invocationPath/step[@path='sequence[Deep]/log[1]']/@left"/>
    <arg expression="count(get-property('FAIL_INFO')/invocationPath/step[@entered='fault'])"/>
  </args></payloadFactory>
  <respond/>
</sequence>
<api name="a" context="/a"><resource>
  <inSequence><sequence key="Deep"/></inSequence>
  <faultSequence><throwError type="AGAIN"/></faultSequence>
</resource></api>`)
	r := testkit.Do(t, "POST", srv.URL+"/a", "text/plain", "x")
	want := "api[a]/resource[1]/faultSequence/throwError[1]|AGAIN|sequence[Deep]/throwError[2]|out|1"
	if r.Body != want {
		t.Fatalf("got  %q\nwant %q", r.Body, want)
	}
}

// TestStateSurvivesReload: a recompiled graph on the same runtime keeps an
// endpoint's state while its definition is unchanged.
func TestStateSurvivesReload(t *testing.T) {
	t.Parallel()
	opts, _ := testkit.FakeRuntime()
	down := closedPort(t)
	cfg := fmt.Sprintf(`<endpoint name="E"><address uri="http://%s/"/></endpoint>`, down)
	g1 := testkit.GraphWith(t, errorAPI+cfg, opts)
	srv := testkit.StartServer(t, g1)
	testkit.Do(t, "POST", srv.URL+"/a/fs", "application/json", `{}`)
	srv.In.Swap(testkit.GraphWith(t, errorAPI+cfg, opts))
	if trackerOf(t, srv, "E").State() != endpoint.Suspended {
		t.Fatal("an unchanged endpoint lost its state on reload")
	}
	srv.In.Swap(testkit.GraphWith(t, errorAPI+strings.Replace(cfg, "/\"", "/v2\"", 1), opts))
	if trackerOf(t, srv, "E").State() != endpoint.Active {
		t.Fatal("a changed endpoint kept its old state")
	}
}

// TestRule2_2_DynamicTimeout: a {xpath} duration is evaluated per message
// and capped by the global timeout.
func TestRule2_2_DynamicTimeout(t *testing.T) {
	t.Parallel()
	be := newSwitchable(t)
	be.mode.Store(hanging)
	opts := testkit.DefaultOptions
	opts.GlobalTimeoutMS = 200
	srv := testkit.StartServer(t, testkit.GraphWith(t, errorAPI+fmt.Sprintf(`<endpoint name="E"><address uri="%s/"><timeout><duration>{$trp:X-Timeout}</duration><responseAction>fault</responseAction></timeout></address></endpoint>`, be.URL), opts))
	start := time.Now()
	s := faultSeen(t, testkit.Do(t, "POST", srv.URL+"/a/fs", "application/json", `{}`, "X-Timeout", "600000"))
	if s.Code != "101504" || time.Since(start) > 5*time.Second {
		t.Fatalf("a dynamic timeout above the global one was not capped: %+v after %v", s, time.Since(start))
	}
}

// TestStateChangesAreLogged: a suspension is logged at warn with the
// endpoint, the code and the duration, and the message's ID and artifact.
func TestStateChangesAreLogged(t *testing.T) {
	t.Parallel()
	logs := &testkit.LogBuffer{}
	srv := testkit.StartServerLog(t, testkit.Graph(t, errorAPI+fmt.Sprintf(`<endpoint name="E"><address uri="http://%s/"/></endpoint>`, closedPort(t))), logs.Logger())
	testkit.Do(t, "POST", srv.URL+"/a/fs", "application/json", `{}`)
	for _, want := range []string{`level=WARN msg="endpoint suspended"`, "endpoint=E code=101503 duration_ms=30000", "artifact=api[a]", "msgId=urn:uuid:"} {
		if !strings.Contains(logs.String(), want) {
			t.Fatalf("logs lack %q:\n%s", want, logs.String())
		}
	}
}
