package admin_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/failed"
	"github.com/busbar/busbar/internal/store"
	"github.com/busbar/busbar/internal/testkit"
)

// fakeProc is a message processor as admin sees it: admin.ManagedProcessor
// and failed.Resubmitter. onResubmit, when set, runs inside Resubmit (to
// fail it, or to record a new failure before it returns, as a real
// processor delivering at once would).
type fakeProc struct {
	name, typ, store string
	params           map[string]string
	onResubmit       func(*failed.Record) error

	mu     sync.Mutex
	active bool
	got    []*failed.Record
}

func (p *fakeProc) Name() string                  { return p.name }
func (p *fakeProc) Start()                        {}
func (p *fakeProc) Stop()                         {}
func (p *fakeProc) Type() string                  { return p.typ }
func (p *fakeProc) StoreName() string             { return p.store }
func (p *fakeProc) Parameters() map[string]string { return p.params }
func (p *fakeProc) Configuration() string {
	return `<messageProcessor name="` + p.name + `" messageStore="` + p.store + `"/>`
}
func (p *fakeProc) Status() map[string]any {
	return map[string]any{"delivered": 7, "lastError": "none"}
}
func (p *fakeProc) Active() bool { p.mu.Lock(); defer p.mu.Unlock(); return p.active }
func (p *fakeProc) Activate()    { p.mu.Lock(); p.active = true; p.mu.Unlock() }
func (p *fakeProc) Deactivate()  { p.mu.Lock(); p.active = false; p.mu.Unlock() }

func (p *fakeProc) Resubmit(_ context.Context, r *failed.Record) error {
	if p.onResubmit != nil {
		if err := p.onResubmit(r); err != nil {
			return err
		}
	}
	p.mu.Lock()
	p.got = append(p.got, r)
	p.mu.Unlock()
	return nil
}

func (p *fakeProc) received() []*failed.Record {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*failed.Record(nil), p.got...)
}

// fileProc is a processor that also knows its file.
type fileProc struct{ *fakeProc }

func (fileProc) FileName() string { return "Forwarder.xml" }

// bareProc is an engine.Processor with nothing more.
type bareProc struct{ name string }

func (p bareProc) Name() string { return p.name }
func (bareProc) Start()         {}
func (bareProc) Stop()          {}

// managedOnly manages but cannot resubmit.
type managedOnly struct{ *fakeProc }

func (managedOnly) Resubmit() {} // a different method: not a failed.Resubmitter

// brokenStore is a store whose broker cannot be reached: Size fails at
// once, or, with hang, only when the caller's deadline passes.
type brokenStore struct {
	store.Store
	hang bool
	kind string
}

func (s brokenStore) Kind() string {
	if s.kind != "" {
		return s.kind
	}
	return s.Store.Kind()
}

func (s brokenStore) Size(ctx context.Context) (int64, error) {
	if s.hang {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	return 0, errors.New("dial tcp 127.0.0.1:5672: connection refused")
}

// withFailed compiles artifacts on a runtime that has a failed-message
// store in t.TempDir().
func withFailed(t *testing.T, artifacts string) (*engine.Graph, *failed.DB) {
	t.Helper()
	opts, _ := testkit.FakeRuntime()
	db, err := failed.Open(filepath.Join(t.TempDir(), "failed.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	failed.Use(opts.Runtime, db)
	return testkit.GraphWith(t, artifacts, opts), db
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// record adds a failed message to db, failed minutes after t0.
func record(t *testing.T, db *failed.DB, id, processor, endpoint, code, errMsg, body string, minutes int) {
	t.Helper()
	at := t0.Add(time.Duration(minutes) * time.Minute)
	r := &failed.Record{
		ID: id,
		Message: &store.Message{ID: id, Method: "POST", RequestURI: "/orders", ContentType: "application/json",
			Header: map[string][]string{"Content-Type": {"application/json"}, "X-Trace": {"t-" + id}},
			Props:  map[string]string{"ORDER": id}, Body: []byte(body)},
		Artifact: "api[orders]", Endpoint: endpoint, Step: failed.StepProcessor, Processor: processor, Store: "Orders",
		Code: code, Error: errMsg, FailInfo: "failureString=" + errMsg, LastFailed: at,
		Attempts: []failed.Attempt{{At: at, Code: code, Message: errMsg}},
	}
	if processor == "" {
		r.Step, r.Sequence = failed.StepSequence, "onFail"
	}
	if err := db.Record(context.Background(), r); err != nil {
		t.Fatal(err)
	}
}
