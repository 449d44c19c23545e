package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/busbar/busbar/internal/admin"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/failed"
	"github.com/busbar/busbar/internal/testkit"
)

// seqLedger is a backend that records deliveries by sequence number.
type seqLedger struct {
	mu   sync.Mutex
	seen map[int]int
}

func newSeqLedger(t *testing.T) (*seqLedger, string) {
	l := &seqLedger{seen: map[int]int{}}
	url := newBackendTB(t, func(w http.ResponseWriter, r *http.Request) {
		var m struct{ Seq int }
		body, _ := io.ReadAll(r.Body)
		if json.Unmarshal(body, &m) != nil {
			w.WriteHeader(400)
			return
		}
		l.mu.Lock()
		l.seen[m.Seq]++
		l.mu.Unlock()
	})
	return l, url
}

func (l *seqLedger) undelivered(acked []int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range acked {
		if l.seen[s] == 0 {
			n++
		}
	}
	return n
}

func (l *seqLedger) duplicates() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, c := range l.seen {
		n += max(c-1, 0)
	}
	return n
}

// brokerOutage runs store-and-forward over a shared store while the
// service behind it is stopped and started again: every message answered
// 202 is delivered, whatever happened to the broker; messages refused
// while it was down were refused to their client (never 202 and lost).
func brokerOutage(t *testing.T, service, storeXML string) {
	l, backend := newSeqLedger(t)
	g := testkit.Graph(t, storeXML+fmt.Sprintf(`
<api name="Q" context="/q"><resource methods="POST"><inSequence>
  <property name="FORCE_SC_ACCEPTED" value="true" scope="axis2"/><property name="OUT_ONLY" value="true"/><store messageStore="S"/>
</inSequence></resource></api>
<endpoint name="Backend"><address uri="%s/"><suspendOnFailure><initialDuration>0</initialDuration></suspendOnFailure></address></endpoint>
<messageProcessor name="Forward" class="org.apache.synapse.message.processor.impl.forwarder.ScheduledMessageForwardingProcessor" messageStore="S" targetEndpoint="Backend">
  <parameter name="interval">1</parameter><parameter name="client.retry.interval">100</parameter><parameter name="max.delivery.attempts">-1</parameter>
  <parameter name="max.store.connection.attempts">-1</parameter><parameter name="store.connection.retry.interval">200</parameter>
</messageProcessor>`, backend))
	srv := testkit.StartServer(t, g)
	g.Start()
	var acked []int
	var refused int
	send := func(from, to int) {
		for seq := from; seq < to; seq++ {
			r := testkit.Do(t, "POST", srv.URL+"/q", "application/json", fmt.Sprintf(`{"seq":%d}`, seq))
			if r.Status == 202 {
				acked = append(acked, seq)
			} else {
				refused++
			}
		}
	}
	send(0, 50)
	testkit.StopService(t, service)
	send(50, 60)
	testkit.StartService(t, service)
	deadline := time.Now().Add(30 * time.Second)
	for next := 60; time.Now().Before(deadline) && next < 100; next += 10 {
		send(next, next+10)
	}
	deadline = time.Now().Add(90 * time.Second)
	for l.undelivered(acked) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged messages never delivered after the %s outage", l.undelivered(acked), len(acked), service)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(acked) < 60 {
		t.Fatalf("only %d messages were accepted: the store did not recover", len(acked))
	}
	t.Logf("%s outage: %d accepted, %d refused while it was down, all accepted delivered, %d duplicates", service, len(acked), refused, l.duplicates())
}

// TestPostgresRestartDuringStoreAndForward: a JDBC store on PostgreSQL.
func TestPostgresRestartDuringStoreAndForward(t *testing.T) {
	testkit.ExclusiveService(t, "postgres")
	table := fmt.Sprintf("e2e_outage_%d", rand.IntN(1_000_000))
	t.Cleanup(func() {
		_ = exec.Command("psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-c", "DROP TABLE IF EXISTS "+table).Run()
	})
	brokerOutage(t, "postgres", fmt.Sprintf(`<messageStore name="S" class="org.apache.synapse.message.store.impl.jdbc.JDBCMessageStore">
  <parameter name="store.jdbc.connection.url">jdbc:postgresql://127.0.0.1:5432/test</parameter>
  <parameter name="store.jdbc.driver">org.postgresql.Driver</parameter>
  <parameter name="store.jdbc.username">postgres</parameter>
  <parameter name="store.jdbc.table">%s</parameter></messageStore>`, table))
}

// TestRabbitMQRestartDuringStoreAndForward: a RabbitMQ store with
// publisher confirms.
func TestRabbitMQRestartDuringStoreAndForward(t *testing.T) {
	testkit.ExclusiveService(t, "rabbitmq")
	queue := fmt.Sprintf("e2e_outage_%d", rand.IntN(1_000_000))
	t.Cleanup(func() { _ = exec.Command("rabbitmqctl", "delete_queue", queue).Run() })
	brokerOutage(t, "rabbitmq", fmt.Sprintf(`<messageStore name="S" class="org.apache.synapse.message.store.impl.rabbitmq.RabbitMQStore">
  <parameter name="store.rabbitmq.host.name">127.0.0.1</parameter>
  <parameter name="store.rabbitmq.queue.name">%s</parameter>
  <parameter name="store.producer.guaranteed.delivery.enable">true</parameter></messageStore>`, queue))
}

// TestBackendOutageLongerThanRetryWindow: the processor runs out of
// attempts, deactivates and keeps the message; the operator reactivates it
// once the backend is back, and the message is delivered.
func TestBackendOutageLongerThanRetryWindow(t *testing.T) {
	t.Parallel()
	be := newNode(t, "backend")
	be.broken.Store(true)
	g := testkit.Graph(t, fmt.Sprintf(`<messageStore name="S"/>
<api name="Q" context="/q"><resource methods="POST"><inSequence><property name="OUT_ONLY" value="true"/><store messageStore="S"/></inSequence></resource></api>
<endpoint name="Backend"><address uri="%s/"><suspendOnFailure><initialDuration>0</initialDuration></suspendOnFailure></address></endpoint>
<messageProcessor name="Forward" class="org.apache.synapse.message.processor.impl.forwarder.ScheduledMessageForwardingProcessor" messageStore="S" targetEndpoint="Backend">
  <parameter name="interval">10</parameter><parameter name="client.retry.interval">10</parameter><parameter name="max.delivery.attempts">3</parameter>
</messageProcessor>`, be.url()))
	srv := testkit.StartServer(t, g)
	g.Start()
	if r := testkit.Do(t, "POST", srv.URL+"/q", "application/json", `{"seq":1}`); r.Status != 202 {
		t.Fatalf("store: %d", r.Status)
	}
	type managed interface {
		Active() bool
		Activate()
	}
	p := g.Processors["Forward"].(managed)
	testkit.Eventually(t, 10*time.Second, func() bool { return !p.Active() }, "the processor to deactivate")
	if n, _ := g.Stores["S"].Size(t.Context()); n != 1 || be.hits.Load() != 3 {
		t.Fatalf("store holds %d, backend tried %d times", n, be.hits.Load())
	}
	be.broken.Store(false)
	p.Activate()
	testkit.Eventually(t, 10*time.Second, func() bool { n, _ := g.Stores["S"].Size(t.Context()); return n == 0 && be.hits.Load() == 4 }, "the kept message to be delivered")
	if string(be.lastBody()) != `{"seq":1}` {
		t.Fatalf("delivered %q", be.lastBody())
	}
}

// TestFailedMessageWorkflow: a delivery that exhausts its attempts lands
// in the failed-message store with its fault chain; an operator finds it
// through the management API, edits it and resubmits it; it is delivered
// from the processor's store, not through the whole flow again.
func TestFailedMessageWorkflow(t *testing.T) {
	t.Parallel()
	be := newNode(t, "backend")
	be.broken.Store(true)
	db, err := failed.Open(filepath.Join(t.TempDir(), "failed.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	opts := testkit.DefaultOptions
	opts.Runtime = engine.NewRuntime()
	failed.Use(opts.Runtime, db)
	g := testkit.GraphWith(t, fmt.Sprintf(`<messageStore name="S"/>
<api name="Q" context="/q"><resource methods="POST"><inSequence><property name="OUT_ONLY" value="true"/><property name="step" value="flow"/><store messageStore="S"/></inSequence></resource></api>
<endpoint name="Backend"><address uri="%s/"><suspendOnFailure><initialDuration>0</initialDuration></suspendOnFailure></address></endpoint>
<messageProcessor name="Forward" class="org.apache.synapse.message.processor.impl.forwarder.ScheduledMessageForwardingProcessor" messageStore="S" targetEndpoint="Backend">
  <parameter name="interval">10</parameter><parameter name="client.retry.interval">10</parameter><parameter name="max.delivery.attempts">2</parameter>
</messageProcessor>`, be.url()), opts)
	srv := testkit.StartServer(t, g)
	g.Start()
	mgmt := httptest.NewServer(admin.Handler(srv.In, admin.Options{Token: "t"}))
	t.Cleanup(mgmt.Close)
	api := func(method, path, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, mgmt.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer t")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	if r := testkit.Do(t, "POST", srv.URL+"/q", "application/json", `{"seq":1}`); r.Status != 202 {
		t.Fatalf("store: %d", r.Status)
	}
	var id string
	testkit.Eventually(t, 10*time.Second, func() bool {
		_, list := api("GET", "/management/failed-messages?endpoint=Backend&errorCode=101508", "")
		items, _ := list["list"].([]any)
		if len(items) != 1 {
			return false
		}
		id, _ = items[0].(map[string]any)["id"].(string)
		return true
	}, "the exhausted message to be recorded")
	code, rec := api("GET", "/management/failed-messages/"+url.PathEscape(id), "")
	if code != 200 || !strings.Contains(fmt.Sprint(rec["failInfo"]), "<failInfo>") || len(rec["attempts"].([]any)) != 2 {
		t.Fatalf("record %d %v", code, rec)
	}
	if n, _ := g.Stores["S"].Size(t.Context()); n != 0 {
		t.Fatalf("the recorded message is still in the store (%d)", n)
	}
	if code, _ := api("PATCH", "/management/failed-messages/"+url.PathEscape(id), `{"body":"{\"seq\":2}"}`); code != 200 {
		t.Fatalf("edit: %d", code)
	}
	be.broken.Store(false)
	if code, out := api("POST", "/management/failed-messages/"+url.PathEscape(id)+"/resubmit", ""); code != 200 {
		t.Fatalf("resubmit: %d %v", code, out)
	}
	testkit.Eventually(t, 10*time.Second, func() bool { return string(be.lastBody()) == `{"seq":2}` }, "the edited message to be delivered")
}
