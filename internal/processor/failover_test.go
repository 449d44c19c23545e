package processor_test

import (
	"context"
	"strings"
	"testing"
)

// TestFailoverMovesMessages: the failover processor moves its store's
// messages, in order and with their IDs, into message.target.store.name,
// retrying (and running the fault sequence) while the target refuses them.
func TestFailoverMovesMessages(t *testing.T) {
	t.Parallel()
	be := newBackend(t, nil)
	opts, _ := options(t)
	g := build(t, opts, `<messageStore name="F"/><messageStore name="T" class="`+flakyClass+`"/>`+
		`<sequence name="Fault"><call><endpoint><address uri="`+be.URL+`/fault"/></endpoint></call></sequence>`+
		messageProcessor("R", failClass, "F", "", "interval", "10", "client.retry.interval", "10",
			"message.target.store.name", "T", "message.processor.fault.sequence", "Fault"))
	target := g.Stores["T"].(*flaky)
	target.failPut.Store(true)
	put(t, g, "F", "f1", `{"n":1}`)
	put(t, g, "F", "f2", `{"n":2}`)
	g.Start()
	p := proc(t, g, "R")
	eventually(t, "failed attempts", func() bool { return be.count("/fault") >= 2 })
	if size(t, g, "F") != 2 || size(t, g, "T") != 0 {
		t.Fatal("a message moved while the target refused it")
	}
	target.failPut.Store(false)
	eventually(t, "both moved", func() bool { return size(t, g, "F") == 0 && size(t, g, "T") == 2 })
	for _, want := range []string{"f1", "f2"} {
		d, err := g.Stores["T"].Next(context.Background(), 0)
		if err != nil || d == nil || d.Message.ID != want {
			t.Fatalf("target gives %+v (%v), want %s", d, err, want)
		}
	}
	waitStatus(t, p, map[string]any{"delivered": int64(2), "targetStore": "T", "maxDeliveryAttempts": -1, "active": true})
}

// TestFailoverExhaustion: with a finite max.delivery.attempts an
// exhausted message goes to the failed-message store, not lost.
func TestFailoverExhaustion(t *testing.T) {
	t.Parallel()
	opts, _ := options(t)
	db := withFailedStore(t, opts)
	g := build(t, opts, `<messageStore name="F"/><messageStore name="T" class="`+flakyClass+`"/>`+
		messageProcessor("R", failClass, "F", "", "interval", "10", "client.retry.interval", "10",
			"message.target.store.name", "T", "max.delivery.attempts", "2"))
	g.Stores["T"].(*flaky).failPut.Store(true)
	put(t, g, "F", "f1", `{"n":1}`)
	g.Start()
	eventually(t, "a failed-message record", func() bool { n, _ := db.Count(); return n == 1 && size(t, g, "F") == 0 })
	r := record(t, db, "f1")
	if r.Processor != "R" || r.Store != "F" || len(r.Attempts) != 2 || !strings.Contains(r.Error, "Failed to store message [f1] in store [T]") {
		t.Fatalf("record %+v", r)
	}
	// Resubmitting puts it back into the failover store, to be moved.
	g.Stores["T"].(*flaky).failPut.Store(false)
	if err := proc(t, g, "R").Resubmit(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	eventually(t, "moved after resubmission", func() bool { return size(t, g, "F") == 0 && size(t, g, "T") == 1 })
}
