package processor_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/busbar/busbar/internal/failed"
	"github.com/busbar/busbar/internal/processor"
	"github.com/busbar/busbar/internal/testkit"
)

// TestStrictOrderHeadOfLineBlocking: with member.count=1 the head message
// is retried until delivered, and the ones behind it wait (§7.3 Ordering).
func TestStrictOrderHeadOfLineBlocking(t *testing.T) {
	t.Parallel()
	be := newBackend(t, func(h hit, n int) (int, string) {
		if h.Body == `{"n":1}` && n <= 2 {
			return 500, `{}`
		}
		return 200, `{}`
	})
	opts, _ := options(t)
	g := build(t, opts, `<messageStore name="S"/>`+endpoint("EP", be.URL)+
		messageProcessor("P", fwdClass, "S", "EP", "interval", "10", "client.retry.interval", "20", "max.delivery.attempts", "5"))
	for i := 1; i <= 3; i++ {
		put(t, g, "S", "m"+string(rune('0'+i)), `{"n":`+string(rune('0'+i))+`}`, outOnly...)
	}
	g.Start()
	eventually(t, "three messages delivered", func() bool { return size(t, g, "S") == 0 && be.count("") == 5 })
	want := []string{`{"n":1}`, `{"n":1}`, `{"n":1}`, `{"n":2}`, `{"n":3}`}
	if got := be.bodies(""); !slices.Equal(got, want) {
		t.Fatalf("backend got %v, want %v", got, want)
	}
	p := proc(t, g, "P")
	waitStatus(t, p, map[string]any{"delivered": int64(3), "failedAttempts": int64(2), "active": true})
}

// TestRetryIntervalAttemptsAndDrop: max.delivery.attempts counts every
// attempt, client.retry.interval separates them, and max.delivery.drop=
// Enabled drops the message and goes on with the next one.
func TestRetryIntervalAttemptsAndDrop(t *testing.T) {
	t.Parallel()
	be := newBackend(t, func(h hit, _ int) (int, string) {
		if h.Body == `{"bad":1}` {
			return 503, `{}`
		}
		return 200, `{}`
	})
	opts, _ := options(t)
	db := withFailedStore(t, opts)
	g := build(t, opts, `<messageStore name="S"/>`+endpoint("EP", be.URL)+
		messageProcessor("P", fwdClass, "S", "EP", "interval", "10", "client.retry.interval", "100",
			"max.delivery.attempts", "3", "max.delivery.drop", "Enabled"))
	put(t, g, "S", "bad", `{"bad":1}`, outOnly...)
	put(t, g, "S", "good", `{"good":1}`, outOnly...)
	g.Start()
	eventually(t, "both messages processed", func() bool { return size(t, g, "S") == 0 && be.count("") == 4 })
	hits := be.all()
	for i := 1; i < 3; i++ {
		if gap := hits[i].At.Sub(hits[i-1].At); gap < 100*time.Millisecond {
			t.Fatalf("attempt %d came %v after the previous one; client.retry.interval is 100 ms", i+1, gap)
		}
	}
	if hits[3].Body != `{"good":1}` {
		t.Fatalf("4th request %q, want the next message", hits[3].Body)
	}
	waitStatus(t, proc(t, g, "P"), map[string]any{"dropped": int64(1), "delivered": int64(1), "failedAttempts": int64(3), "active": true})
	if n, _ := db.Count(); n != 0 {
		t.Fatalf("a dropped message was recorded too (%d records)", n)
	}
}

// TestIntervalPacing: one message per run. Below 1000 ms (MI's throttle
// mode) the next run starts interval after the previous one ended; from
// 1000 ms up, interval after it began.
func TestIntervalPacing(t *testing.T) {
	t.Parallel()
	for _, interval := range []time.Duration{150 * time.Millisecond, time.Second} {
		t.Run(interval.String(), func(t *testing.T) {
			t.Parallel()
			be := newBackend(t, nil)
			opts, _ := options(t)
			g := build(t, opts, `<messageStore name="S"/>`+endpoint("EP", be.URL)+
				messageProcessor("P", fwdClass, "S", "EP", "interval", strconv.Itoa(int(interval.Milliseconds()))))
			put(t, g, "S", "m1", `{"n":1}`, outOnly...)
			put(t, g, "S", "m2", `{"n":2}`, outOnly...)
			g.Start()
			eventually(t, "both delivered", func() bool { return be.count("") == 2 })
			hits := be.all()
			// The server sees each request a little after its run began;
			// allow for that jitter, never for a run started early.
			if gap := hits[1].At.Sub(hits[0].At); gap < interval-50*time.Millisecond {
				t.Fatalf("runs %v apart, interval %v", gap, interval)
			}
		})
	}
}

// TestFailMessagesStore: an exhausted message moves to
// message.processor.failMessagesStore (same ID and body) and the
// processor goes on.
func TestFailMessagesStore(t *testing.T) {
	t.Parallel()
	be := newBackend(t, func(h hit, _ int) (int, string) {
		if h.Body == `{"bad":1}` {
			return 500, `{}`
		}
		return 200, `{}`
	})
	opts, _ := options(t)
	g := build(t, opts, `<messageStore name="S"/><messageStore name="F"/>`+endpoint("EP", be.URL)+
		messageProcessor("P", fwdClass, "S", "EP", "interval", "10", "client.retry.interval", "10",
			"max.delivery.attempts", "2", "message.processor.failMessagesStore", "F"))
	put(t, g, "S", "bad", `{"bad":1}`, outOnly...)
	put(t, g, "S", "good", `{"good":1}`, outOnly...)
	g.Start()
	eventually(t, "the next message delivered", func() bool { return size(t, g, "S") == 0 && be.count("") == 3 })
	d, err := g.Stores["F"].Next(context.Background(), 0)
	if err != nil || d == nil || d.Message.ID != "bad" || string(d.Message.Body) != `{"bad":1}` {
		t.Fatalf("fail store holds %+v (%v)", d, err)
	}
	waitStatus(t, proc(t, g, "P"), map[string]any{"movedToFailStore": int64(1), "active": true})
}

// TestFailMessagesStoreRefusing: when the fail-messages store cannot take
// the message, the processor deactivates, keeps the message first in line
// and runs the deactivate sequence; once the store works, activation
// moves it and delivers the next.
func TestFailMessagesStoreRefusing(t *testing.T) {
	t.Parallel()
	be := newBackend(t, func(h hit, _ int) (int, string) {
		if h.Body == `{"bad":1}` {
			return 500, `{}`
		}
		return 200, `{}`
	})
	opts, _ := options(t)
	g := build(t, opts, `<messageStore name="S"/><messageStore name="F" class="`+flakyClass+`"/>`+endpoint("EP", be.URL)+
		`<sequence name="Off"><call><endpoint><address uri="`+be.URL+`/deactivated"/></endpoint></call></sequence>`+
		messageProcessor("P", fwdClass, "S", "EP", "interval", "10", "client.retry.interval", "10",
			"max.delivery.attempts", "2", "message.processor.failMessagesStore", "F",
			"message.processor.deactivate.sequence", "Off"))
	fs := g.Stores["F"].(*flaky)
	fs.failPut.Store(true)
	put(t, g, "S", "bad", `{"bad":1}`, outOnly...)
	put(t, g, "S", "good", `{"good":1}`, outOnly...)
	g.Start()
	p := proc(t, g, "P")
	eventually(t, "deactivation", func() bool { return !p.Active() && be.count("/deactivated") == 1 })
	if n := size(t, g, "S"); n != 2 {
		t.Fatalf("store holds %d messages, want both", n)
	}
	if got := be.bodies("/deactivated")[0]; got != `{"bad":1}` {
		t.Fatalf("deactivate sequence got %q, want the message", got)
	}
	if st := p.Status(); !strings.Contains(st["lastStateChange"].(string), "could not be moved to the store F") {
		t.Fatalf("status %v", st)
	}
	fs.failPut.Store(false)
	p.Activate()
	eventually(t, "the message moved and the next delivered", func() bool {
		return size(t, g, "S") == 0 && size(t, g, "F") == 1 && slices.Contains(be.bodies(""), `{"good":1}`)
	})
}

// TestExhaustedToFailedMessageStore: with no drop and no fail store, an
// exhausted message is recorded in the failed-message store (every
// attempt, the last FAIL_INFO) and removed from the store; the processor
// goes on. Resubmitting puts it back into the store and it is delivered.
func TestExhaustedToFailedMessageStore(t *testing.T) {
	t.Parallel()
	var down atomic.Bool
	down.Store(true)
	be := newBackend(t, func(hit, int) (int, string) {
		if down.Load() {
			return 500, `{"error":"down"}`
		}
		return 200, `{}`
	})
	opts, _ := options(t)
	db := withFailedStore(t, opts)
	g := build(t, opts, `<messageStore name="S"/>`+endpoint("EP", be.URL)+
		messageProcessor("P", fwdClass, "S", "EP", "interval", "10", "client.retry.interval", "10", "max.delivery.attempts", "2"))
	put(t, g, "S", "m1", `{"order":1}`, outOnly...)
	g.Start()
	eventually(t, "a failed-message record", func() bool { n, _ := db.Count(); return n == 1 && size(t, g, "S") == 0 })
	r := record(t, db, "m1")
	switch {
	case r.Step != failed.StepProcessor || r.Processor != "P" || r.Store != "S" || r.Endpoint != "EP" || r.Artifact != "P":
		t.Fatalf("record identifies %+v", r)
	case r.Code != "401002" || !strings.Contains(r.Error, "500") || r.Status != failed.StatusFailed:
		t.Fatalf("record error %q %q %q", r.Code, r.Error, r.Status)
	case len(r.Attempts) != 2 || r.Message == nil || string(r.Message.Body) != `{"order":1}` || r.Message.Props["OUT_ONLY"] != "true":
		t.Fatalf("record attempts %+v message %+v", r.Attempts, r.Message)
	case !strings.Contains(r.FailInfo, "<errorCode>401002</errorCode>"):
		t.Fatalf("FAIL_INFO %s", r.FailInfo)
	}
	p := proc(t, g, "P")
	waitStatus(t, p, map[string]any{"recordedAsFailed": int64(1), "active": true})

	down.Store(false)
	if err := p.Resubmit(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the resubmitted message delivered", func() bool {
		return size(t, g, "S") == 0 && p.Status()["delivered"] == int64(1)
	})
	if got := be.bodies(""); len(got) != 3 || got[2] != `{"order":1}` {
		t.Fatalf("backend got %v", got)
	}
}

// TestRefailureAppendsAttempts: a resubmitted message that fails again
// comes back under the same record with its new attempts.
func TestRefailureAppendsAttempts(t *testing.T) {
	t.Parallel()
	be := newBackend(t, func(hit, int) (int, string) { return 500, `{}` })
	opts, _ := options(t)
	db := withFailedStore(t, opts)
	g := build(t, opts, `<messageStore name="S"/>`+endpoint("EP", be.URL)+
		messageProcessor("P", fwdClass, "S", "EP", "interval", "10", "client.retry.interval", "10", "max.delivery.attempts", "2"))
	put(t, g, "S", "m1", `{"order":1}`, outOnly...)
	g.Start()
	eventually(t, "a failed-message record", func() bool { n, _ := db.Count(); return n == 1 })
	// The management API marks the record before resubmitting it.
	r, err := db.Update("m1", func(r *failed.Record) error { r.Status = failed.StatusResubmitted; r.Resubmits++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if err := proc(t, g, "P").Resubmit(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the second failure recorded", func() bool { return len(record(t, db, "m1").Attempts) == 4 })
	r = record(t, db, "m1")
	if n, _ := db.Count(); n != 1 || r.Status != failed.StatusFailed || r.Resubmits != 1 || be.count("") != 4 {
		t.Fatalf("records %d, status %q, resubmits %d, backend hits %d", n, r.Status, r.Resubmits, be.count(""))
	}
}

// TestNonRetryStatusCodes: a listed status counts as delivered; as in MI
// the match is by substring, so "4040" covers 404 and "503x" covers 503.
func TestNonRetryStatusCodes(t *testing.T) {
	t.Parallel()
	statuses := map[string]int{`{"s":404}`: 404, `{"s":503}`: 503, `{"s":500}`: 500}
	be := newBackend(t, func(h hit, _ int) (int, string) { return statuses[h.Body], `{}` })
	opts, _ := options(t)
	db := withFailedStore(t, opts)
	g := build(t, opts, `<messageStore name="S"/>`+endpoint("EP", be.URL)+
		messageProcessor("P", fwdClass, "S", "EP", "interval", "10", "client.retry.interval", "10",
			"max.delivery.attempts", "2", "non.retry.status.codes", "4040, 503x"))
	for _, s := range []string{"404", "503", "500"} {
		put(t, g, "S", "m"+s, `{"s":`+s+`}`, outOnly...)
	}
	g.Start()
	eventually(t, "all processed", func() bool { return size(t, g, "S") == 0 && be.count("") == 4 })
	want := []string{`{"s":404}`, `{"s":503}`, `{"s":500}`, `{"s":500}`}
	if got := be.bodies(""); !slices.Equal(got, want) {
		t.Fatalf("backend got %v, want %v", got, want)
	}
	if rs := records(t, db); len(rs) != 1 || rs[0].ID != "m500" {
		t.Fatalf("records %v", rs)
	}
}

// TestReplyAndFaultSequences: an in-out message's response goes to the
// reply sequence; every failed attempt runs the fault sequence with the
// error properties set.
func TestReplyAndFaultSequences(t *testing.T) {
	t.Parallel()
	be := newBackend(t, func(h hit, n int) (int, string) {
		if h.Path == "/orders" && n == 1 {
			return 500, `{"error":1}`
		}
		return 200, `{"reply":1}`
	})
	opts, _ := options(t)
	g := build(t, opts, `<messageStore name="S"/>`+endpoint("EP", be.URL+"/orders")+
		`<sequence name="Reply"><call><endpoint><address uri="`+be.URL+`/reply"/></endpoint></call></sequence>
<sequence name="Fault"><header name="X-Code" scope="transport" expression="get-property('ERROR_CODE')"/>
  <call><endpoint><address uri="`+be.URL+`/fault"/></endpoint></call></sequence>`+
		messageProcessor("P", fwdClass, "S", "EP", "interval", "10", "client.retry.interval", "10",
			"message.processor.reply.sequence", "Reply", "message.processor.fault.sequence", "Fault"))
	put(t, g, "S", "m1", `{"order":1}`)
	g.Start()
	eventually(t, "delivery", func() bool { return size(t, g, "S") == 0 })
	if got := be.bodies("/orders"); len(got) != 2 {
		t.Fatalf("backend got %v", got)
	}
	faults := be.all()[1]
	if faults.Path != "/fault" || faults.Body != `{"error":1}` || faults.Header.Get("X-Code") != "401002" {
		t.Fatalf("fault sequence sent %+v", faults)
	}
	if got := be.bodies("/reply"); len(got) != 1 || got[0] != `{"reply":1}` {
		t.Fatalf("reply sequence sent %v", got)
	}
}

// TestInOutWithoutReplySequence (MI gotcha, Busbar's choice): an in-out
// message with no reply sequence deactivates the processor as in MI, but
// before it is sent, so the backend does not get it twice; the message
// stays and the deactivate sequence runs.
func TestInOutWithoutReplySequence(t *testing.T) {
	t.Parallel()
	be := newBackend(t, nil)
	opts, _ := options(t)
	g := build(t, opts, `<messageStore name="S"/>`+endpoint("EP", be.URL+"/orders")+
		`<sequence name="Off"><call><endpoint><address uri="`+be.URL+`/deactivated"/></endpoint></call></sequence>`+
		messageProcessor("P", fwdClass, "S", "EP", "interval", "10", "message.processor.deactivate.sequence", "Off"))
	put(t, g, "S", "m1", `{"order":1}`)
	g.Start()
	p := proc(t, g, "P")
	eventually(t, "deactivation", func() bool { return !p.Active() && be.count("/deactivated") == 1 })
	if be.count("/orders") != 0 || size(t, g, "S") != 1 {
		t.Fatalf("backend got %d, store holds %d", be.count("/orders"), size(t, g, "S"))
	}
	if st := p.Status(); st["status"] != "inactive" || !strings.Contains(st["lastStateChange"].(string), "reply.sequence is not set") {
		t.Fatalf("status %v", st)
	}
}

// TestReplySequenceReturningFalse (MI gotcha, reproduced): a reply
// sequence that stops the flow counts as not delivered, so the message is
// sent again; compile warns about it.
func TestReplySequenceReturningFalse(t *testing.T) {
	t.Parallel()
	be := newBackend(t, nil)
	opts, _ := options(t)
	db := withFailedStore(t, opts)
	arts := `<messageStore name="S"/>` + endpoint("EP", be.URL) + `<sequence name="Reply"><log/><drop/></sequence>` +
		messageProcessor("P", fwdClass, "S", "EP", "interval", "10", "client.retry.interval", "10",
			"max.delivery.attempts", "2", "message.processor.reply.sequence", "Reply")
	if d := diagnose(arts); !strings.Contains(d, "ends with <drop/>") {
		t.Fatalf("no warning in:\n%s", d)
	}
	g := build(t, opts, arts)
	put(t, g, "S", "m1", `{"order":1}`)
	g.Start()
	eventually(t, "a failed-message record", func() bool { n, _ := db.Count(); return n == 1 })
	r := record(t, db, "m1")
	if be.count("") != 2 || !strings.Contains(r.Error, "stopped the flow") {
		t.Fatalf("backend hits %d, record %q", be.count(""), r.Error)
	}
}

// TestIsActiveFalse: is.active=false starts the processor inactive;
// Activate starts delivering.
func TestIsActiveFalse(t *testing.T) {
	t.Parallel()
	be := newBackend(t, nil)
	opts, _ := options(t)
	g := build(t, opts, `<messageStore name="S"/>`+endpoint("EP", be.URL)+
		messageProcessor("P", fwdClass, "S", "EP", "interval", "10", "is.active", "false"))
	put(t, g, "S", "m1", `{"order":1}`, outOnly...)
	g.Start()
	p := proc(t, g, "P")
	never(t, 200*time.Millisecond, "delivery by an inactive processor", func() bool { return be.count("") > 0 })
	if p.Active() || p.Status()["status"] != "inactive" {
		t.Fatal("processor is active")
	}
	p.Activate()
	eventually(t, "delivery", func() bool { return size(t, g, "S") == 0 && be.count("") == 1 })
}

// TestActivationSurvivesReload: a recompile with the same runtime keeps a
// deactivated processor inactive while its definition is unchanged; a
// changed definition starts from is.active again.
func TestActivationSurvivesReload(t *testing.T) {
	t.Parallel()
	be := newBackend(t, nil)
	opts, _ := options(t)
	base := `<messageStore name="S"/>` + endpoint("EP", be.URL)
	def := messageProcessor("P", fwdClass, "S", "EP", "interval", "10")
	g1 := build(t, opts, base+def)
	g1.Start()
	proc(t, g1, "P").Deactivate()
	g1.StopProcessors()

	g2 := build(t, opts, base+def+`<sequence name="Unrelated"><log/></sequence>`)
	put(t, g2, "S", "m1", `{"order":1}`, outOnly...)
	g2.Start()
	p2 := proc(t, g2, "P")
	if p2.Active() {
		t.Fatal("an unchanged processor came back active after a reload")
	}
	never(t, 100*time.Millisecond, "delivery by an inactive processor", func() bool { return be.count("") > 0 })
	p2.Activate()
	eventually(t, "delivery", func() bool { return be.count("") == 1 })
	p2.Deactivate()
	g2.StopProcessors()

	// A changed version that never runs (say its compile failed on
	// another artifact) leaves the running definition's state alone.
	build(t, opts, base+messageProcessor("P", fwdClass, "S", "EP", "interval", "30"))
	if proc(t, build(t, opts, base+def), "P").Active() {
		t.Fatal("a version that never ran reset the processor's state")
	}

	g3 := build(t, opts, base+messageProcessor("P", fwdClass, "S", "EP", "interval", "20"))
	if !proc(t, g3, "P").Active() {
		t.Fatal("a changed definition did not start from is.active")
	}
}

// TestOutageDeactivatesAndReactivationDelivers: a backend down for longer
// than the attempts last, with no failed-message store, deactivates the
// processor (MI's behaviour); the message stays in the store, and once the
// backend is back (and its endpoint's suspension over) activation
// delivers it.
func TestOutageDeactivatesAndReactivationDelivers(t *testing.T) {
	t.Parallel()
	var down atomic.Bool
	down.Store(true)
	be := newBackend(t, func(hit, int) (int, string) {
		if down.Load() {
			return -1, ""
		}
		return 200, `{}`
	})
	opts, clk := options(t)
	g := build(t, opts, `<messageStore name="S"/>`+endpoint("EP", be.URL)+
		messageProcessor("P", fwdClass, "S", "EP", "interval", "10", "client.retry.interval", "10", "max.delivery.attempts", "3"))
	put(t, g, "S", "m1", `{"order":1}`, outOnly...)
	put(t, g, "S", "m2", `{"order":2}`, outOnly...)
	g.Start()
	p := proc(t, g, "P")
	eventually(t, "deactivation", func() bool { return !p.Active() })
	// The first failure suspended the endpoint, so the later attempts
	// did not reach the network (synapse-semantics §1.6).
	if n := be.count(""); n != 1 {
		t.Fatalf("backend reached %d times", n)
	}
	waitStatus(t, p, map[string]any{"deactivations": int64(1)})
	if st := p.Status(); size(t, g, "S") != 2 || !strings.Contains(st["lastError"].(string), "SUSPENDED") {
		t.Fatalf("store %d, status %v", size(t, g, "S"), st)
	}
	down.Store(false)
	clk.Advance(31 * time.Second)
	p.Activate()
	eventually(t, "delivery after reactivation", func() bool { return size(t, g, "S") == 0 })
	want := []string{`{"order":1}`, `{"order":1}`, `{"order":2}`}
	if got := be.bodies(""); !slices.Equal(got, want) {
		t.Fatalf("backend got %v, want %v (the same head message first)", got, want)
	}
}

// TestDeactivateDuringRetries: an operator's Deactivate ends the wait
// between attempts at once and releases the message; Activate retries it.
func TestDeactivateDuringRetries(t *testing.T) {
	t.Parallel()
	var down atomic.Bool
	down.Store(true)
	be := newBackend(t, func(hit, int) (int, string) {
		if down.Load() {
			return 500, `{}`
		}
		return 200, `{}`
	})
	opts, _ := options(t)
	g := build(t, opts, `<messageStore name="S"/>`+endpoint("EP", be.URL)+
		messageProcessor("P", fwdClass, "S", "EP", "interval", "10", "client.retry.interval", "60000", "max.delivery.attempts", "0"))
	put(t, g, "S", "m1", `{"order":1}`, outOnly...)
	g.Start()
	p := proc(t, g, "P")
	eventually(t, "a first attempt", func() bool { return p.Status()["failedAttempts"] == int64(1) })
	if st := p.Status(); st["currentMessage"] != "m1" || st["attempts"] != 1 {
		t.Fatalf("status %v", st)
	}
	p.Deactivate()
	eventually(t, "the message released", func() bool { return len(p.Status()["inFlight"].([]map[string]any)) == 0 })
	d, err := g.Stores["S"].Next(context.Background(), 0)
	if err != nil || d == nil || d.Message.ID != "m1" {
		t.Fatalf("store gives %+v (%v)", d, err)
	}
	_ = d.Release(context.Background(), d.Message.Attempts)
	down.Store(false)
	p.Activate()
	eventually(t, "delivery", func() bool { return size(t, g, "S") == 0 && be.count("") == 2 })
}

// TestStopReleasesAndWaits: Stop interrupts the wait between attempts and
// releases the message, first in line, with its attempts; an attempt in
// flight completes first, and its success is acknowledged.
func TestStopReleasesAndWaits(t *testing.T) {
	t.Parallel()
	be := newBackend(t, func(hit, int) (int, string) { return 500, `{}` })
	opts, _ := options(t)
	g := build(t, opts, `<messageStore name="S"/>`+endpoint("EP", be.URL)+
		messageProcessor("P", fwdClass, "S", "EP", "interval", "10", "client.retry.interval", "60000", "max.delivery.attempts", "-1"))
	put(t, g, "S", "m1", `{"order":1}`, outOnly...)
	g.Start()
	eventually(t, "a first attempt", func() bool { return proc(t, g, "P").Status()["failedAttempts"] == int64(1) })
	stopped := time.Now()
	g.StopProcessors()
	if d := time.Since(stopped); d > 5*time.Second {
		t.Fatalf("Stop took %v", d)
	}
	d, err := g.Stores["S"].Next(context.Background(), 0)
	if err != nil || d == nil || d.Message.ID != "m1" || d.Message.Attempts != 1 {
		t.Fatalf("store gives %+v (%v), want m1 released after 1 attempt", d, err)
	}
	_ = d.Release(context.Background(), 1)

	release := make(chan struct{})
	slow := newBackend(t, func(hit, int) (int, string) { <-release; return 200, `{}` })
	opts2, _ := options(t)
	g2 := build(t, opts2, `<messageStore name="S"/>`+endpoint("EP", slow.URL)+messageProcessor("P", fwdClass, "S", "EP", "interval", "10"))
	put(t, g2, "S", "m2", `{"order":2}`, outOnly...)
	g2.Start()
	eventually(t, "the attempt in flight", func() bool { return slow.count("") == 1 })
	done := make(chan struct{})
	go func() { g2.StopProcessors(); close(done) }()
	never(t, 50*time.Millisecond, "Stop returning during an attempt", func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	})
	close(release)
	<-done
	if n := size(t, g2, "S"); n != 0 {
		t.Fatalf("the message delivered during Stop is still stored (%d)", n)
	}
}

// TestStoreOutageDeactivates: max.store.connection.attempts consecutive
// failed reads of the store deactivate the processor.
func TestStoreOutageDeactivates(t *testing.T) {
	t.Parallel()
	be := newBackend(t, nil)
	opts, _ := options(t)
	g := build(t, opts, `<messageStore name="S" class="`+flakyClass+`"/>`+endpoint("EP", be.URL)+
		messageProcessor("P", fwdClass, "S", "EP", "interval", "10",
			"max.store.connection.attempts", "3", "store.connection.retry.interval", "10"))
	g.Stores["S"].(*flaky).failNext.Store(true)
	g.Start()
	p := proc(t, g, "P")
	eventually(t, "deactivation", func() bool { return !p.Active() })
	if st := p.Status(); !strings.Contains(st["lastStateChange"].(string), "failed 3 times in a row") {
		t.Fatalf("status %v", st)
	}
}

// TestLegacyTargetEndpointProperty: without targetEndpoint each message
// names its endpoint in target.endpoint; a message naming none, or a
// missing endpoint, deactivates the processor and stays in the store.
func TestLegacyTargetEndpointProperty(t *testing.T) {
	t.Parallel()
	be := newBackend(t, nil)
	opts, _ := options(t)
	arts := `<messageStore name="S"/>` + endpoint("EP", be.URL) + messageProcessor("P", fwdClass, "S", "", "interval", "10")
	if d := diagnose(arts); !strings.Contains(d, "no targetEndpoint") {
		t.Fatalf("no warning in:\n%s", d)
	}
	g := build(t, opts, arts)
	put(t, g, "S", "m1", `{"order":1}`, "OUT_ONLY", "true", "target.endpoint", "EP")
	put(t, g, "S", "m2", `{"order":2}`, "OUT_ONLY", "true", "target.endpoint", "Nope")
	g.Start()
	p := proc(t, g, "P")
	eventually(t, "deactivation", func() bool { return !p.Active() })
	if be.count("") != 1 || size(t, g, "S") != 1 || !strings.Contains(p.Status()["lastStateChange"].(string), `"Nope" does not exist`) {
		t.Fatalf("backend %d, store %d, status %v", be.count(""), size(t, g, "S"), p.Status())
	}
}

// TestForceErrorOnSOAPFault: with FORCE_ERROR_ON_SOAP_FAULT=true on the
// stored message a SOAP fault answered with 200 is a failed attempt
// (ERROR_CODE 500000 behind the blocking sender's 401002).
func TestForceErrorOnSOAPFault(t *testing.T) {
	t.Parallel()
	soapFault := `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault>` +
		`<faultcode>soapenv:Server</faultcode><faultstring>no</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`
	be := newBackend(t, func(hit, int) (int, string) { return 200, soapFault })
	opts, _ := options(t)
	db := withFailedStore(t, opts)
	g := build(t, opts, `<messageStore name="S"/>`+endpoint("EP", be.URL)+
		messageProcessor("P", fwdClass, "S", "EP", "interval", "10", "max.delivery.attempts", "1"))
	put(t, g, "S", "plain", `{"n":1}`, outOnly...)
	put(t, g, "S", "forced", `{"n":2}`, "OUT_ONLY", "true", "FORCE_ERROR_ON_SOAP_FAULT", "true")
	g.Start()
	eventually(t, "both processed", func() bool { return size(t, g, "S") == 0 })
	rs := records(t, db)
	if len(rs) != 1 || rs[0].ID != "forced" || rs[0].Code != "500000" {
		t.Fatalf("records %+v", rs)
	}
}

// TestMemberCountParallel: member.count=2 delivers two messages at once.
func TestMemberCountParallel(t *testing.T) {
	t.Parallel()
	var arrived atomic.Int32
	be := newBackend(t, func(hit, int) (int, string) {
		arrived.Add(1)
		deadline := time.Now().Add(5 * time.Second)
		for arrived.Load() < 2 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if arrived.Load() < 2 {
			return 500, `{}`
		}
		return 200, `{}`
	})
	opts, _ := options(t)
	g := build(t, opts, `<messageStore name="S"/>`+endpoint("EP", be.URL)+
		messageProcessor("P", fwdClass, "S", "EP", "interval", "10", "member.count", "2"))
	put(t, g, "S", "m1", `{"n":1}`, outOnly...)
	put(t, g, "S", "m2", `{"n":2}`, outOnly...)
	g.Start()
	eventually(t, "both delivered", func() bool { return size(t, g, "S") == 0 })
	waitStatus(t, proc(t, g, "P"), map[string]any{"delivered": int64(2), "failedAttempts": int64(0)})
}

// TestCronDrainsTheStore: under a cron expression each firing delivers
// every message there is (firings every 2 s; one message per firing
// would space them 2 s apart).
func TestCronDrainsTheStore(t *testing.T) {
	t.Parallel()
	be := newBackend(t, nil)
	opts, _ := options(t)
	g := build(t, opts, `<messageStore name="S"/>`+endpoint("EP", be.URL)+
		messageProcessor("P", fwdClass, "S", "EP", "interval", "5", "cronExpression", "0/2 * * * * ?"))
	for _, id := range []string{"a", "b", "c"} {
		put(t, g, "S", id, `{"id":"`+id+`"}`, outOnly...)
	}
	g.Start()
	eventually(t, "the store drained", func() bool { return size(t, g, "S") == 0 })
	hits := be.all()
	if len(hits) != 3 || hits[2].At.Sub(hits[0].At) > 1500*time.Millisecond {
		t.Fatalf("deliveries %v, want three in one firing", hits)
	}
	if _, ok := proc(t, g, "P").Status()["nextRun"].(time.Time); !ok {
		t.Fatal("status has no nextRun")
	}
}

// TestStoreAndForwardEndToEnd: a client's message stored by an API is
// answered 202 and delivered by the processor.
func TestStoreAndForwardEndToEnd(t *testing.T) {
	t.Parallel()
	be := newBackend(t, nil)
	opts, _ := options(t)
	g := build(t, opts, `<messageStore name="S"/>`+endpoint("EP", be.URL+"/orders")+
		`<api name="orders" context="/orders"><resource methods="POST"><inSequence>
  <property name="FORCE_SC_ACCEPTED" value="true" scope="axis2"/><property name="OUT_ONLY" value="true"/>
  <store messageStore="S"/></inSequence></resource></api>`+
		messageProcessor("P", fwdClass, "S", "EP", "interval", "10"))
	g.Start()
	srv := testkit.StartServer(t, g)
	if r := testkit.Do(t, "POST", srv.URL+"/orders", "application/json", `{"order":42}`); r.Status != 202 {
		t.Fatalf("client got %d %s", r.Status, r.Body)
	}
	eventually(t, "delivery", func() bool { return be.count("/orders") == 1 })
	if got := be.bodies("/orders")[0]; got != `{"order":42}` {
		t.Fatalf("backend got %s", got)
	}
}

// TestManagedView: what the management API reads.
func TestManagedView(t *testing.T) {
	t.Parallel()
	opts, _ := options(t)
	g := build(t, opts, `<messageStore name="S"/><messageStore name="T"/>`+endpoint("EP", "http://127.0.0.1:9/")+
		`<sequence name="Work"><log/></sequence>`+
		messageProcessor("F", fwdClass, "S", "EP", "interval", "2000", "max.delivery.attempts", "7")+
		messageProcessor("O", failClass, "T", "", "message.target.store.name", "S")+
		messageProcessor("M", sampleClass, "T", "", "sequence", "Work"))
	for name, typ := range map[string]string{"F": processor.TypeForwarding, "O": processor.TypeFailover, "M": processor.TypeSampling} {
		if p := proc(t, g, name); p.Type() != typ || p.Name() != name || !p.Active() {
			t.Fatalf("%s: type %q active %v", name, p.Type(), p.Active())
		}
	}
	f := proc(t, g, "F")
	if f.StoreName() != "S" || f.Parameters()["max.delivery.attempts"] != "7" || !strings.Contains(f.Configuration(), `name="F"`) {
		t.Fatalf("view: %s %v %s", f.StoreName(), f.Parameters(), f.Configuration())
	}
	st := f.Status()
	for _, k := range []string{"name", "type", "messageStore", "status", "delivered", "failedAttempts", "inFlight", "targetEndpoint", "interval"} {
		if _, ok := st[k]; !ok {
			t.Fatalf("status lacks %q: %v", k, st)
		}
	}
	f.Deactivate()
	if f.Active() || f.Status()["status"] != "inactive" {
		t.Fatal("Deactivate did not")
	}
}
