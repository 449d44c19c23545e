package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// ledger records what a backend received, by sequence number.
type ledger struct {
	mu   sync.Mutex
	seen map[int]int
}

func (l *ledger) handler(w http.ResponseWriter, r *http.Request) {
	var m struct{ Seq int }
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &m); err != nil {
		w.WriteHeader(400)
		return
	}
	l.mu.Lock()
	l.seen[m.Seq]++
	l.mu.Unlock()
}

func (l *ledger) missing(acked []int) []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []int
	for _, s := range acked {
		if l.seen[s] == 0 {
			out = append(out, s)
		}
	}
	return out
}

func (l *ledger) duplicates() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, c := range l.seen {
		if c > 1 {
			n += c - 1
		}
	}
	return n
}

// storeForwardDeployment is an API that stores each message in the
// embedded durable store (202 once it is on disk) and a processor that
// forwards them to backend, retrying forever.
func storeForwardDeployment(t *testing.T, backend string) string {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "api", "Q.xml"), `<api xmlns="http://ws.apache.org/ns/synapse" name="Q" context="/q"><resource methods="POST"><inSequence>
  <property name="FORCE_SC_ACCEPTED" value="true" scope="axis2"/><property name="OUT_ONLY" value="true"/>
  <store messageStore="Orders"/></inSequence></resource></api>`)
	mustWrite(t, filepath.Join(dir, "message-stores", "Orders.xml"), `<messageStore xmlns="http://ws.apache.org/ns/synapse" name="Orders" class="busbar.EmbeddedStore"/>`)
	mustWrite(t, filepath.Join(dir, "endpoints", "Backend.xml"), fmt.Sprintf(`<endpoint xmlns="http://ws.apache.org/ns/synapse" name="Backend"><address uri="%s/orders">
  <suspendOnFailure><initialDuration>0</initialDuration></suspendOnFailure></address></endpoint>`, backend))
	mustWrite(t, filepath.Join(dir, "message-processors", "Forward.xml"), `<messageProcessor xmlns="http://ws.apache.org/ns/synapse" name="Forward"
  class="org.apache.synapse.message.processor.impl.forwarder.ScheduledMessageForwardingProcessor" messageStore="Orders" targetEndpoint="Backend">
  <parameter name="interval">1</parameter><parameter name="client.retry.interval">50</parameter><parameter name="max.delivery.attempts">-1</parameter>
</messageProcessor>`)
	return dir
}

// TestCrashDuringStoreAndForward kills Busbar with SIGKILL while clients
// are storing messages and the processor is delivering them, restarts it
// on the same data directory, and checks that every message acknowledged
// with 202 is delivered at least once; duplicates are counted and reported
// (at-least-once allows them).
func TestCrashDuringStoreAndForward(t *testing.T) {
	t.Parallel()
	l := &ledger{seen: map[int]int{}}
	backend := httptest.NewServer(http.HandlerFunc(l.handler))
	defer backend.Close()
	deploy := storeForwardDeployment(t, backend.URL)
	data := t.TempDir()
	args := []string{"run", "--http-port", "0", "--http-bind", "127.0.0.1", "--mgmt-port", "-1", "--log-format", "json", "--reload-interval", "0", "--data-dir", data, deploy}
	cmd, httpAddr, _, logs := started(t, args...)

	var mu sync.Mutex
	var acked []int
	var next atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second}
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				seq := int(next.Add(1))
				if seq > 5000 {
					return
				}
				resp, err := client.Post("http://"+httpAddr+"/q", "application/json", bytes.NewReader([]byte(fmt.Sprintf(`{"seq":%d,"pad":"%0512d"}`, seq, seq))))
				if err != nil {
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 202 {
					mu.Lock()
					acked = append(acked, seq)
					mu.Unlock()
				}
			}
		})
	}
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(acked) >= 400 })
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	close(stop)
	wg.Wait()
	mu.Lock()
	acknowledged := append([]int(nil), acked...)
	mu.Unlock()
	beforeRestart := len(acknowledged) - len(l.missing(acknowledged))

	started(t, args...)
	deadline := time.Now().Add(60 * time.Second)
	for len(l.missing(acknowledged)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged messages were never delivered after the crash\n%s", len(l.missing(acknowledged)), len(acknowledged), logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("SIGKILL during store-and-forward: %d messages acknowledged, %d delivered before the kill, all %d delivered after the restart, %d duplicates",
		len(acknowledged), beforeRestart, len(acknowledged), l.duplicates())
}
