package e2e

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/busbar/busbar/internal/endpoint"
	"github.com/busbar/busbar/internal/testkit"
)

// node is a backend on a fixed loopback port that a test can stop and
// restart on the same port. It answers with its name, records the bodies
// it received, and can be told to close connections instead of answering.
type node struct {
	name   string
	addr   string
	mu     sync.Mutex
	srv    *http.Server
	bodies [][]byte
	paths  []string
	hits   atomic.Int32
	broken atomic.Bool
	cookie bool
}

func newNode(t *testing.T, name string) *node {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n := &node{name: name, addr: ln.Addr().String()}
	n.serve(ln)
	t.Cleanup(n.stop)
	return n
}

func (n *node) url() string { return "http://" + n.addr }

func (n *node) serve(ln net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(n.handle)}
	n.mu.Lock()
	n.srv = srv
	n.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

func (n *node) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	n.hits.Add(1)
	n.mu.Lock()
	n.bodies = append(n.bodies, body)
	n.paths = append(n.paths, r.URL.RequestURI())
	n.mu.Unlock()
	if n.broken.Load() {
		if c, _, err := w.(http.Hijacker).Hijack(); err == nil {
			c.Close()
		}
		return
	}
	if n.cookie && r.Header.Get("Cookie") == "" {
		http.SetCookie(w, &http.Cookie{Name: "JSESSIONID", Value: n.name + "-session", Path: "/"})
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("X-Node", n.name)
	_, _ = io.WriteString(w, n.name)
}

func (n *node) stop() {
	n.mu.Lock()
	srv := n.srv
	n.srv = nil
	n.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

func (n *node) restart(t *testing.T) {
	t.Helper()
	var ln net.Listener
	var err error
	testkit.Eventually(t, 5*time.Second, func() bool { ln, err = net.Listen("tcp", n.addr); return err == nil }, "the port to be free again")
	n.serve(ln)
}

func (n *node) lastPath() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.paths) == 0 {
		return ""
	}
	return n.paths[len(n.paths)-1]
}

func (n *node) lastBody() []byte {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.bodies) == 0 {
		return nil
	}
	return n.bodies[len(n.bodies)-1]
}

// groupAPI exposes endpoint E at /g (POST) with a fault sequence that
// reports the code.
const groupAPI = `<api name="g" context="/g"><resource methods="POST GET">
  <inSequence><call><endpoint key="E"/></call><respond/></inSequence>
  <faultSequence><payloadFactory media-type="text"><format>fault $1</format><args><arg expression="$ctx:ERROR_CODE"/></args></payloadFactory><property name="HTTP_SC" value="502" scope="axis2"/><respond/></faultSequence>
</resource></api>`

func call(t *testing.T, srv *testkit.Server) string {
	t.Helper()
	return testkit.Do(t, "POST", srv.URL+"/g", "text/plain", "hello").Body
}

// TestFailoverAndBack: the secondary takes over when the primary dies,
// and traffic returns to the primary once it is ready again (dynamic
// failover, synapse-semantics §6.1).
func TestFailoverAndBack(t *testing.T) {
	t.Parallel()
	a, b := newNode(t, "primary"), newNode(t, "secondary")
	opts, clk := testkit.FakeRuntime()
	srv := testkit.StartServer(t, testkit.GraphWith(t, groupAPI+fmt.Sprintf(`<endpoint name="E"><failover>
  <endpoint name="A"><address uri="%s/"/></endpoint><endpoint name="B"><address uri="%s/"/></endpoint></failover></endpoint>`, a.url(), b.url()), opts))
	if got := call(t, srv); got != "primary" {
		t.Fatalf("healthy: %q", got)
	}
	a.stop()
	if got := call(t, srv); got != "secondary" {
		t.Fatalf("primary down: %q", got)
	}
	if got := call(t, srv); got != "secondary" {
		t.Fatalf("primary suspended: %q", got)
	}
	a.restart(t)
	clk.Advance(31 * time.Second)
	if got := call(t, srv); got != "primary" {
		t.Fatalf("primary back: %q", got)
	}
	fo := srv.In.Graph().Endpoints["E"].(*endpoint.Failover)
	if fo.Retried() != 1 {
		t.Fatalf("failovers counted: %d", fo.Retried())
	}
}

// TestStaticFailoverSticks: with dynamic="false" the group stays on the
// child that answered.
func TestStaticFailoverSticks(t *testing.T) {
	t.Parallel()
	a, b := newNode(t, "primary"), newNode(t, "secondary")
	opts, clk := testkit.FakeRuntime()
	srv := testkit.StartServer(t, testkit.GraphWith(t, groupAPI+fmt.Sprintf(`<endpoint name="E"><failover dynamic="false">
  <endpoint><address uri="%s/"/></endpoint><endpoint><address uri="%s/"/></endpoint></failover></endpoint>`, a.url(), b.url()), opts))
	a.broken.Store(true)
	if got := call(t, srv); got != "secondary" {
		t.Fatalf("failover: %q", got)
	}
	a.broken.Store(false)
	clk.Advance(time.Minute)
	if got := call(t, srv); got != "secondary" {
		t.Fatalf("static failover went back: %q", got)
	}
}

// TestAllChildrenDown: every child is tried exactly once and the client
// gets a prompt 303000.
func TestAllChildrenDown(t *testing.T) {
	t.Parallel()
	a, b := newNode(t, "a"), newNode(t, "b")
	a.broken.Store(true)
	b.broken.Store(true)
	srv := testkit.Serve(t, groupAPI+fmt.Sprintf(`<endpoint name="E"><failover>
  <endpoint><address uri="%s/"/></endpoint><endpoint><address uri="%s/"/></endpoint></failover></endpoint>`, a.url(), b.url()))
	start := time.Now()
	if got := call(t, srv); got != "fault 303000" {
		t.Fatalf("got %q", got)
	}
	if a.hits.Load() != 1 || b.hits.Load() != 1 || time.Since(start) > 5*time.Second {
		t.Fatalf("tries: a=%d b=%d in %v", a.hits.Load(), b.hits.Load(), time.Since(start))
	}
	// Both are now suspended: the next message fails without any call.
	if got := call(t, srv); got != "fault 303000" || a.hits.Load() != 1 || b.hits.Load() != 1 {
		t.Fatalf("second message: %q a=%d b=%d", got, a.hits.Load(), b.hits.Load())
	}
}

// TestNonRetryCode: a child's retryConfig can forbid failing over for a
// code; the group answers 303000 without trying the next child.
func TestNonRetryCode(t *testing.T) {
	t.Parallel()
	a, b := newNode(t, "a"), newNode(t, "b")
	a.broken.Store(true)
	srv := testkit.Serve(t, groupAPI+fmt.Sprintf(`<endpoint name="E"><failover>
  <endpoint><address uri="%s/"><retryConfig><disabledErrorCodes>101508</disabledErrorCodes></retryConfig></address></endpoint>
  <endpoint><address uri="%s/"/></endpoint></failover></endpoint>`, a.url(), b.url()))
	if got := call(t, srv); got != "fault 303000" || b.hits.Load() != 0 {
		t.Fatalf("got %q, secondary hits %d", got, b.hits.Load())
	}
}

// TestRoundRobinSplit and weighted split.
func TestLoadBalanceSplit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, algo string
		weights    []int
		want       []int32
	}{
		{"round robin", "", []int{1, 1, 1}, []int32{10, 10, 10}},
		{"weighted", `algorithm="org.apache.synapse.endpoints.algorithms.WeightedRoundRobin"`, []int{3, 1, 2}, []int32{15, 5, 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var nodes []*node
			var children string
			for i, w := range tc.weights {
				n := newNode(t, fmt.Sprintf("n%d", i))
				nodes = append(nodes, n)
				children += fmt.Sprintf(`<endpoint><address uri="%s/"/><property name="loadbalance.weight" value="%d"/></endpoint>`, n.url(), w)
			}
			srv := testkit.Serve(t, groupAPI+fmt.Sprintf(`<endpoint name="E"><loadbalance %s>%s</loadbalance></endpoint>`, tc.algo, children))
			for range 30 {
				call(t, srv)
			}
			for i, n := range nodes {
				if n.hits.Load() != tc.want[i] {
					t.Fatalf("node %d got %d, want %d", i, n.hits.Load(), tc.want[i])
				}
			}
		})
	}
}

// TestLoadBalanceDeadMember: with failover on, a dead child's turns go to
// the others and every client succeeds; with failover off, its turn
// fails to the fault sequence.
func TestLoadBalanceDeadMember(t *testing.T) {
	t.Parallel()
	for _, fo := range []string{"true", "false"} {
		t.Run("failover="+fo, func(t *testing.T) {
			t.Parallel()
			a, b := newNode(t, "a"), newNode(t, "b")
			b.broken.Store(true)
			srv := testkit.Serve(t, groupAPI+fmt.Sprintf(`<endpoint name="E"><loadbalance failover="%s">
  <endpoint><address uri="%s/"/></endpoint><endpoint><address uri="%s/"/></endpoint></loadbalance></endpoint>`, fo, a.url(), b.url()))
			var ok, failed int
			for range 6 {
				switch got := call(t, srv); {
				case got == "a":
					ok++
				case strings.HasPrefix(got, "fault 1015"):
					failed++
				default:
					t.Fatalf("unexpected answer %q", got)
				}
			}
			if fo == "true" && (ok != 6 || b.hits.Load() != 1) {
				t.Fatalf("failover on: ok=%d, dead member hit %d times", ok, b.hits.Load())
			}
			if fo == "false" && (failed != 1 || ok != 5) {
				t.Fatalf("failover off: ok=%d failed=%d", ok, failed)
			}
		})
	}
}

// TestSessionAffinity: a client's HTTP session stays on the member that
// started it, and breaks with 309003 when that member fails.
func TestSessionAffinity(t *testing.T) {
	t.Parallel()
	a, b := newNode(t, "a"), newNode(t, "b")
	a.cookie, b.cookie = true, true
	srv := testkit.Serve(t, groupAPI+fmt.Sprintf(`<endpoint name="E">
  <session type="http"><sessionTimeout>60000</sessionTimeout></session>
  <loadbalance><endpoint><address uri="%s/"/></endpoint><endpoint><address uri="%s/"/></endpoint></loadbalance></endpoint>`, a.url(), b.url()))
	first := testkit.Do(t, "POST", srv.URL+"/g", "text/plain", "x")
	cookie := strings.Split(first.Header.Get("Set-Cookie"), ";")[0]
	if cookie == "" {
		t.Fatalf("no session cookie: %v", first.Header)
	}
	for range 5 {
		r := testkit.Do(t, "POST", srv.URL+"/g", "text/plain", "x", "Cookie", cookie)
		if r.Body != first.Body {
			t.Fatalf("session moved from %s to %s", first.Body, r.Body)
		}
	}
	owner := map[string]*node{"a": a, "b": b}[first.Body]
	owner.broken.Store(true)
	if r := testkit.Do(t, "POST", srv.URL+"/g", "text/plain", "x", "Cookie", cookie); r.Body != "fault 309003" {
		t.Fatalf("failed session member: %q", r.Body)
	}
	// Without the cookie a client is balanced normally.
	if r := testkit.Do(t, "POST", srv.URL+"/g", "text/plain", "x"); r.Body == "" || strings.HasPrefix(r.Body, "fault") {
		t.Fatalf("new client: %q", r.Body)
	}
}

// TestRecipientList: every ready recipient gets a copy; a dead one does
// not hold up the others; the flow continues with the first response.
func TestRecipientList(t *testing.T) {
	t.Parallel()
	a, b, c := newNode(t, "a"), newNode(t, "b"), newNode(t, "c")
	a.broken.Store(true)
	srv := testkit.Serve(t, groupAPI+fmt.Sprintf(`<endpoint name="E"><recipientlist>
  <endpoint><address uri="%s/"/></endpoint><endpoint><address uri="%s/"/></endpoint><endpoint><address uri="%s/"/></endpoint></recipientlist></endpoint>`, a.url(), b.url(), c.url()))
	if got := call(t, srv); got != "b" {
		t.Fatalf("got %q", got)
	}
	for _, n := range []*node{a, b, c} {
		if n.hits.Load() != 1 || string(n.lastBody()) != "hello" {
			t.Fatalf("%s: hits %d body %q", n.name, n.hits.Load(), n.lastBody())
		}
	}
}

// TestDynamicRecipientsAndKeys: a recipient list from an expression, a
// key-expression endpoint, a key-expression that names nothing (305100),
// and a template endpoint.
func TestDynamicRecipientsAndKeys(t *testing.T) {
	t.Parallel()
	a, b := newNode(t, "a"), newNode(t, "b")
	srv := testkit.Serve(t, fmt.Sprintf(`
<endpoint name="EA"><address uri="%[1]s/"/></endpoint>
<template name="T"><parameter name="name"/><parameter name="uri"/><parameter name="timeout" defaultValue="5000"/>
  <endpoint name="$name"><address uri="$uri"><timeout><duration>$timeout</duration></timeout></address></endpoint></template>
<endpoint name="FromTemplate" template="T" uri="%[2]s/"/>
<api name="k" context="/k">
  <resource uri-template="/dyn"><inSequence><property name="targets" value="%[1]s/,%[2]s/"/>
    <call><endpoint><recipientlist><endpoints value="{get-property('targets')}" max-cache="4"/></recipientlist></endpoint></call><respond/></inSequence></resource>
  <resource uri-template="/key"><inSequence><call><endpoint key-expression="$trp:X-Target"/></call><respond/></inSequence>
    <faultSequence><payloadFactory media-type="text"><format>fault $1</format><args><arg expression="$ctx:ERROR_CODE"/></args></payloadFactory><respond/></faultSequence></resource>
  <resource uri-template="/tmpl"><inSequence><call><endpoint key="FromTemplate"/></call><respond/></inSequence></resource>
</api>`, a.url(), b.url()))
	if r := testkit.Do(t, "POST", srv.URL+"/k/dyn", "text/plain", "x"); r.Body != "a" || b.hits.Load() != 1 {
		t.Fatalf("dynamic recipients: %q, b hits %d", r.Body, b.hits.Load())
	}
	if r := testkit.Do(t, "POST", srv.URL+"/k/key", "text/plain", "x", "X-Target", "EA"); r.Body != "a" {
		t.Fatalf("key-expression: %q", r.Body)
	}
	if r := testkit.Do(t, "POST", srv.URL+"/k/key", "text/plain", "x", "X-Target", "Nope"); r.Body != "fault 305100" {
		t.Fatalf("key-expression miss: %q", r.Body)
	}
	if r := testkit.Do(t, "POST", srv.URL+"/k/tmpl", "text/plain", "x"); r.Body != "b" {
		t.Fatalf("template endpoint: %q", r.Body)
	}
}

// TestResendIsByteIdentical: the child that takes over receives exactly
// the bytes the failed child received, for JSON, XML and a 1 MiB binary
// body, with the same headers.
func TestResendIsByteIdentical(t *testing.T) {
	t.Parallel()
	bin := make([]byte, 1<<20)
	_, _ = rand.Read(bin)
	for _, tc := range []struct {
		name, ct string
		body     []byte
	}{
		{"json", "application/json", []byte(`{"order": {"id": 7, "lines": [1, 2, 3]},  "note": "kept   as is"}`)},
		{"xml", "application/xml", []byte(`<?xml version="1.0"?><order xmlns="urn:o"  id="7"><!-- c --><line>1</line></order>`)},
		{"binary", "application/octet-stream", bin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, b := newNode(t, "a"), newNode(t, "b")
			a.broken.Store(true)
			srv := testkit.Serve(t, groupAPI+fmt.Sprintf(`<endpoint name="E"><failover>
  <endpoint><address uri="%s/"/></endpoint><endpoint><address uri="%s/"/></endpoint></failover></endpoint>`, a.url(), b.url()))
			r := testkit.Do(t, "POST", srv.URL+"/g", tc.ct, string(tc.body), "X-Trace", "t1")
			if r.Body != "b" {
				t.Fatalf("got %q", r.Body)
			}
			if !bytes.Equal(a.lastBody(), tc.body) || !bytes.Equal(b.lastBody(), tc.body) {
				t.Fatalf("bodies differ: primary %d bytes, secondary %d bytes, sent %d", len(a.lastBody()), len(b.lastBody()), len(tc.body))
			}
		})
	}
}

// TestSessionRules: 309001 when the session's child is not ready, and an
// idle session expires after sessionTimeout.
func TestSessionRules(t *testing.T) {
	t.Parallel()
	a, b := newNode(t, "a"), newNode(t, "b")
	a.cookie, b.cookie = true, true
	opts, clk := testkit.FakeRuntime()
	srv := testkit.StartServer(t, testkit.GraphWith(t, groupAPI+fmt.Sprintf(`<endpoint name="E">
  <session type="http"><sessionTimeout>1000</sessionTimeout></session>
  <loadbalance><endpoint name="A"><address uri="%s/"/></endpoint><endpoint name="B"><address uri="%s/"/></endpoint></loadbalance></endpoint>`, a.url(), b.url()), opts))
	first := testkit.Do(t, "POST", srv.URL+"/g", "text/plain", "x")
	cookie := strings.Split(first.Header.Get("Set-Cookie"), ";")[0]
	owner := map[string]string{"a": "A", "b": "B"}[first.Body]
	lb := srv.In.Graph().Endpoints["E"].(*endpoint.Loadbalance)
	for _, c := range lb.Children() {
		if c.Name() == owner {
			c.(interface{ Tracker() *endpoint.Tracker }).Tracker().SwitchOff()
		}
	}
	if r := testkit.Do(t, "POST", srv.URL+"/g", "text/plain", "x", "Cookie", cookie); r.Body != "fault 309001" {
		t.Fatalf("session child off: %q", r.Body)
	}
	for _, c := range lb.Children() {
		c.(interface{ Tracker() *endpoint.Tracker }).Tracker().SwitchOn()
	}
	clk.Advance(2 * time.Second)
	// The session expired: the same cookie is balanced anew, so over a
	// few requests both children are used.
	seen := map[string]bool{}
	for range 4 {
		seen[testkit.Do(t, "POST", srv.URL+"/g", "text/plain", "x", "Cookie", cookie).Body] = true
		clk.Advance(2 * time.Second)
	}
	if !seen["a"] || !seen["b"] {
		t.Fatalf("an expired session still pinned the client: %v", seen)
	}
}

// TestMembers: a load balancer over <member>s rewrites the message's
// address to each member, sets a failed member aside and takes it back
// once it accepts connections again.
func TestMembers(t *testing.T) {
	t.Parallel()
	a, b := newNode(t, "a"), newNode(t, "b")
	ha, pa, _ := net.SplitHostPort(a.addr)
	hb, pb, _ := net.SplitHostPort(b.addr)
	srv := testkit.Serve(t, groupAPI+fmt.Sprintf(`<endpoint name="E"><loadbalance>
  <member hostName="%s" httpPort="%s"/><member hostName="%s" httpPort="%s"/></loadbalance></endpoint>`, ha, pa, hb, pb))
	got := map[string]int{}
	for range 4 {
		got[call(t, srv)]++
	}
	if got["a"] != 2 || got["b"] != 2 {
		t.Fatalf("split %v", got)
	}
	b.stop()
	for range 4 {
		if r := call(t, srv); r != "a" {
			t.Fatalf("with b down: %q", r)
		}
	}
	b.restart(t)
	testkit.Eventually(t, 10*time.Second, func() bool { return call(t, srv) == "b" }, "member b to be re-activated")
	if !strings.HasSuffix(b.lastPath(), "/g") {
		t.Fatalf("member got path %q", b.lastPath())
	}
}
