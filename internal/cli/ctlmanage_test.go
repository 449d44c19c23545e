package cli_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/busbar/busbar/internal/admin"
	"github.com/busbar/busbar/internal/failed"
	"github.com/busbar/busbar/internal/store"
	"github.com/busbar/busbar/internal/testkit"
)

// proc is a message processor as the management API sees it.
type proc struct {
	name, typ, store string
	mu               sync.Mutex
	active           bool
	resubmitted      []string
}

func (p *proc) Name() string                  { return p.name }
func (p *proc) Start()                        {}
func (p *proc) Stop()                         {}
func (p *proc) Type() string                  { return p.typ }
func (p *proc) StoreName() string             { return p.store }
func (p *proc) Parameters() map[string]string { return map[string]string{"interval": "1000"} }
func (p *proc) Configuration() string         { return `<messageProcessor name="` + p.name + `"/>` }
func (p *proc) Status() map[string]any        { return map[string]any{"delivered": 7} }
func (p *proc) Active() bool                  { p.mu.Lock(); defer p.mu.Unlock(); return p.active }
func (p *proc) Activate()                     { p.mu.Lock(); p.active = true; p.mu.Unlock() }
func (p *proc) Deactivate()                   { p.mu.Lock(); p.active = false; p.mu.Unlock() }

func (p *proc) Resubmit(_ context.Context, r *failed.Record) error {
	p.mu.Lock()
	p.resubmitted = append(p.resubmitted, r.ID)
	p.mu.Unlock()
	return nil
}

// downStore cannot count its messages.
type downStore struct{ store.Store }

func (downStore) Size(context.Context) (int64, error) { return 0, errors.New("broker unreachable") }

const (
	mid1 = "urn:uuid:00000000-0000-0000-0000-000000000001"
	mid2 = "urn:uuid:00000000-0000-0000-0000-000000000002"
	mid3 = "urn:uuid:00000000-0000-0000-0000-000000000003"
)

// manageServer serves a graph with stores, a processor and a
// failed-message store holding three records (mid3 from a sequence).
func manageServer(t *testing.T) (string, *failed.DB, *proc) {
	t.Helper()
	opts, _ := testkit.FakeRuntime()
	db, err := failed.Open(filepath.Join(t.TempDir(), "failed.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	failed.Use(opts.Runtime, db)
	g := testkit.GraphWith(t, `<messageStore name="Orders"><parameter name="store.rabbitmq.password">pw</parameter></messageStore>`, opts)
	if err := g.Stores["Orders"].Put(context.Background(), &store.Message{ID: "m"}); err != nil {
		t.Fatal(err)
	}
	g.Stores["Remote"] = downStore{store.NewMemory("Remote")}
	p := &proc{name: "Forwarder", typ: "Scheduled-message-forwarding-processor", store: "Orders", active: true}
	g.Processors["Forwarder"] = p
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i, id := range []string{mid1, mid2, mid3} {
		r := &failed.Record{ID: id, Artifact: "api[orders]", Endpoint: "OrdersEP", Processor: "Forwarder", Step: failed.StepProcessor,
			Code: []string{"101503", "101504", "0"}[i], Error: []string{"Connection refused", "Read timeout", "XPath error"}[i],
			LastFailed: at.Add(time.Duration(i) * time.Minute), FailInfo: "failureString=boom",
			Message: &store.Message{ID: id, Method: "POST", RequestURI: "/orders", ContentType: "application/json",
				Header: map[string][]string{"X-Trace": {"abc"}}, Body: []byte(`{"n":` + string(rune('1'+i)) + `}`)},
			Attempts: []failed.Attempt{{At: at, Code: "101503", Message: "Connection refused"}}}
		if id == mid3 {
			r.Processor, r.Step, r.Endpoint = "", failed.StepSequence, ""
		}
		if err := db.Record(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	s := httptest.NewServer(admin.Handler(graphOf{g}, admin.Options{Token: ctlToken}))
	t.Cleanup(s.Close)
	return s.URL, db, p
}

type step struct {
	args []string
	code int
	want []string
}

func runSteps(t *testing.T, u string, steps []step) {
	t.Helper()
	for _, s := range steps {
		code, out, errs := ctl(append(s.args, "--url", u, "--token", ctlToken)...)
		if code != s.code {
			t.Errorf("%v: exit %d, want %d: %s%s", s.args, code, s.code, out, errs)
			continue
		}
		for _, w := range s.want {
			if !strings.Contains(out+errs, w) {
				t.Errorf("%v: output lacks %q:\n%s%s", s.args, w, out, errs)
			}
		}
	}
}

func TestCtlProcessorsAndStores(t *testing.T) {
	t.Parallel()
	u, _, p := manageServer(t)
	runSteps(t, u, []step{
		{[]string{"processors"}, 0, []string{"NAME", "TYPE", "STATUS", "Forwarder", "Scheduled-message-forwarding-processor", "active"}},
		{[]string{"processors", "deactivate", "Forwarder"}, 0, []string{"Forwarder : is deactivated\n"}},
		{[]string{"processors"}, 0, []string{"inactive"}},
		{[]string{"processors", "Forwarder"}, 0, []string{"Status:", "inactive", "Message store:", "Orders", "Parameters:", "interval", "1000",
			"Statistics:", "delivered", "7", "Configuration:", `<messageProcessor name="Forwarder"/>`}},
		{[]string{"processors", "activate", "Forwarder"}, 0, []string{"Forwarder : is activated\n"}},
		{[]string{"processors", "Nope"}, 1, []string{"busbar: message processor Nope does not exist"}},
		{[]string{"processors", "activate", "Nope"}, 1, []string{"busbar: message processor Nope does not exist"}},
		{[]string{"processors", "activate"}, 2, []string{"accepts 1 arg"}},
		{[]string{"stores"}, 0, []string{"NAME", "SIZE", "Orders", "in-memory-message-store", "1", "Remote", "?", "broker unreachable"}},
		{[]string{"stores", "Orders"}, 0, []string{"Size:", "1", "Processors:", "Forwarder", "store.rabbitmq.password", "*****"}},
		{[]string{"stores", "Nope"}, 1, []string{"busbar: message store Nope does not exist"}},
	})
	if !p.Active() {
		t.Error("processor left inactive")
	}
	code, out, _ := ctl("stores", "--json", "--url", u, "--token", ctlToken)
	var l admin.StoreList
	if code != 0 || json.Unmarshal([]byte(out), &l) != nil || l.Count != 2 || l.List[1].Size != -1 {
		t.Fatalf("--json: %d %s", code, out)
	}
}

func TestCtlFailed(t *testing.T) {
	t.Parallel()
	u, db, p := manageServer(t)
	bodyFile := filepath.Join(t.TempDir(), "body.json")
	if err := os.WriteFile(bodyFile, []byte(`{"n":1,"fixed":true}`), 0o600); err != nil {
		t.Fatal(err)
	}
	runSteps(t, u, []step{
		{[]string{"failed"}, 0, []string{"ID", "LAST FAILED", "STATUS", mid1, mid2, mid3, "2026-03-01T12:01:00Z", "101504", "Read timeout"}},
		{[]string{"failed", "--code", "101504", "--endpoint", "ordersep", "--status", "failed", "--text", "timeout"}, 0, []string{mid2}},
		{[]string{"failed", "--limit", "1"}, 0, []string{mid3, "(1 of 3; use --limit 0 for all)"}},
		{[]string{"failed", "--since", "1h"}, 0, []string{"no failed messages"}},
		{[]string{"failed", "--from", "2026-03-01T12:00:30Z", "--to", "2026-03-01T12:01:30Z"}, 0, []string{mid2}},
		{[]string{"failed", "--since", "1h", "--from", "2026-03-01T12:00:00Z"}, 2, []string{"give --since or --from, not both"}},
		{[]string{"failed", "--from", "noon"}, 1, []string{`from "noon" is not an RFC 3339 time`}},
		{[]string{"failed", mid1}, 2, []string{"unknown command"}},
		{[]string{"failed", "show", mid1}, 0, []string{"ID:", mid1, "Processor:", "Forwarder", "Error code:", "101503", "Fail info:",
			"failureString=boom", "Attempts:", "Connection refused", "Headers:", "X-Trace", "abc", "Body:\n{\"n\":1}"}},
		{[]string{"failed", "show", "urn:uuid:nope"}, 1, []string{"busbar: failed message urn:uuid:nope does not exist"}},
		{[]string{"failed", "edit", mid1, "--body-file", bodyFile, "--content-type", "application/vnd+json", "--header", "X-Fix=1",
			"--remove-header", "X-Trace", "--property", "WHY=typo"}, 0, []string{"Failed message " + mid1 + " edited"}},
		{[]string{"failed", "edit", mid1}, 2, []string{"nothing to change"}},
		{[]string{"failed", "edit", mid1, "--header", "novalue"}, 2, []string{`--header "novalue" is not K=V`}},
		{[]string{"failed", "resubmit"}, 2, []string{"give the IDs to resubmit, filters, or --all"}},
		{[]string{"failed", "resubmit", mid1, "--all"}, 2, []string{"not several"}},
		{[]string{"failed", "resubmit", mid1}, 0, []string{"Resubmitted 1 failed message\n"}},
		{[]string{"failed", "edit", mid1, "--body-file", bodyFile}, 1, []string{"only a message with status failed can be edited"}},
		{[]string{"failed", "resubmit", "--all"}, 1, []string{"Resubmitted 1 failed message\n", "busbar: 1 could not be resubmitted:",
			mid3 + ": failed message " + mid3 + " did not fail in a message processor"}},
		{[]string{"failed", "--status", "resubmitted"}, 0, []string{mid1, mid2}},
		{[]string{"failed", "resubmit", mid1}, 1, []string{"Resubmitted 0 failed messages", "force=true resubmits it anyway"}},
		{[]string{"failed", "resubmit", mid1, "--force"}, 0, []string{"Resubmitted 1 failed message\n"}},
		{[]string{"failed", "delete"}, 2, []string{"give the IDs to delete, filters, or --all"}},
		{[]string{"failed", "delete", mid3, "urn:uuid:nope"}, 1, []string{"Failed message " + mid3 + " deleted", "busbar: failed message urn:uuid:nope does not exist"}},
		{[]string{"failed", "delete", "--status", "resubmitted"}, 0, []string{"Deleted 2 failed messages\n"}},
		{[]string{"failed"}, 0, []string{"no failed messages"}},
	})
	if strings.Join(p.resubmitted, ",") != mid1+","+mid2+","+mid1 {
		t.Errorf("resubmitted %v", p.resubmitted)
	}
	if n, _ := db.Count(); n != 0 {
		t.Errorf("%d records left", n)
	}
}

// TestCtlFailedEditSends checks what an edit changed, and --json.
func TestCtlFailedEditSends(t *testing.T) {
	t.Parallel()
	u, db, _ := manageServer(t)
	bodyFile := filepath.Join(t.TempDir(), "body.txt")
	if err := os.WriteFile(bodyFile, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := ctl("failed", "edit", mid2, "--body-file", bodyFile, "--header", "X-Fix=1", "--remove-header", "X-Trace",
		"--property", "WHY=typo", "--content-type", "text/plain", "--json", "--url", u, "--token", ctlToken)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, errs)
	}
	var r failed.Record
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.ID != mid2 {
		t.Fatalf("--json prints the record: %v %s", err, out)
	}
	got, _ := db.Get(mid2)
	m := got.Message
	if got.Body != "hello" || m.ContentType != "text/plain" || m.Header.Get("X-Fix") != "1" || m.Header.Get("X-Trace") != "" || m.Props["WHY"] != "typo" {
		t.Fatalf("record %+v message %+v", got, m)
	}
}
