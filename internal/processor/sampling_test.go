package processor_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/busbar/busbar/internal/failed"
)

func samplingArtifacts(url string) string {
	return `<messageStore name="A"/><messageStore name="B"/>
<sequence name="Work">
  <filter source="get-property('fail')" regex="yes"><then><throwError type="BOOM" errorMessage="bad order"/></then></filter>
  <call><endpoint><address uri="` + url + `/work"/></endpoint></call>
</sequence>
<sequence name="Handled" onError="H"><throwError type="BOOM" errorMessage="handled"/></sequence>
<sequence name="H"><call><endpoint><address uri="` + url + `/handler"/></endpoint></call></sequence>` +
		messageProcessor("S1", sampleClass, "A", "", "sequence", "Work", "interval", "20", "concurrency", "2") +
		messageProcessor("S2", sampleClass, "B", "", "sequence", "Handled", "interval", "20")
}

// TestSamplingInjectsAndRecordsUnhandledFaults: the sampler takes (and
// acknowledges) messages and injects them into its sequence; a fault no
// handler answers is recorded in the failed-message store (Step=sequence),
// a handled one is not. Resubmitting injects the record again: a second
// failure adds an attempt to the same record, an edited message goes
// through.
func TestSamplingInjectsAndRecordsUnhandledFaults(t *testing.T) {
	t.Parallel()
	be := newBackend(t, nil)
	opts, _ := options(t)
	db := withFailedStore(t, opts)
	g := build(t, opts, samplingArtifacts(be.URL))
	put(t, g, "A", "a1", `{"n":1}`)
	put(t, g, "A", "a2", `{"n":2}`, "fail", "yes")
	put(t, g, "A", "a3", `{"n":3}`)
	put(t, g, "B", "b1", `{"n":4}`)
	g.Start()
	s1 := proc(t, g, "S1")
	eventually(t, "injections", func() bool {
		n, _ := db.Count()
		return n == 1 && be.count("/work") == 2 && be.count("/handler") == 1
	})
	if size(t, g, "A") != 0 || size(t, g, "B") != 0 {
		t.Fatal("the sampler left messages in its store")
	}
	if got := be.bodies("/work"); !slices.Contains(got, `{"n":1}`) || !slices.Contains(got, `{"n":3}`) {
		t.Fatalf("sequence sent %v", got)
	}
	r := record(t, db, "a2")
	switch {
	case r.Step != failed.StepSequence || r.Sequence != "Work" || r.Processor != "S1" || r.Store != "A":
		t.Fatalf("record identifies %+v", r)
	case r.Code != "BOOM" || r.Error != "bad order" || len(r.Attempts) != 1 || !strings.Contains(r.FailInfo, "BOOM"):
		t.Fatalf("record error %q %q %v %s", r.Code, r.Error, r.Attempts, r.FailInfo)
	}
	eventually(t, "counters", func() bool {
		st := s1.Status()
		return st["injected"] == int64(2) && st["recordedAsFailed"] == int64(1)
	})

	if err := s1.Resubmit(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the second failure", func() bool { return len(record(t, db, "a2").Attempts) == 2 })

	r = record(t, db, "a2")
	r.Message.Props["fail"] = "no"
	if err := s1.Resubmit(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the edited message through", func() bool { return slices.Contains(be.bodies("/work"), `{"n":2}`) })
}

// TestSamplingWithoutFailedStore: with nowhere to record it an unhandled
// fault loses the message (at most once, as MI) and the status counts it.
func TestSamplingWithoutFailedStore(t *testing.T) {
	t.Parallel()
	be := newBackend(t, nil)
	opts, _ := options(t)
	g := build(t, opts, samplingArtifacts(be.URL))
	put(t, g, "A", "a1", `{"n":1}`, "fail", "yes")
	g.Start()
	s1 := proc(t, g, "S1")
	eventually(t, "the loss counted", func() bool { return s1.Status()["lost"] == int64(1) })
	if size(t, g, "A") != 0 {
		t.Fatal("message still stored")
	}
}
