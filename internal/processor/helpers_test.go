package processor_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/failed"
	"github.com/busbar/busbar/internal/processor"
	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/store"
	"github.com/busbar/busbar/internal/testkit"
)

// Class names of the stores the tests use.
const (
	memoryClass = "org.apache.synapse.message.store.impl.memory.InMemoryStore"
	flakyClass  = "busbar.test.FlakyStore"
	fwdClass    = "org.apache.synapse.message.processor.impl.forwarder.ScheduledMessageForwardingProcessor"
	failClass   = "org.apache.synapse.message.processor.impl.failover.FailoverScheduledMessageForwardingProcessor"
	sampleClass = "org.apache.synapse.message.processor.impl.sampler.SamplingProcessor"
)

// flaky is an in-memory store whose reads and writes can be made to
// fail, for store outages.
type flaky struct {
	*store.Memory
	failPut  atomic.Bool
	failNext atomic.Bool
}

func (f *flaky) Put(ctx context.Context, m *store.Message) error {
	if f.failPut.Load() {
		return errors.New("store is down")
	}
	return f.Memory.Put(ctx, m)
}

func (f *flaky) Next(ctx context.Context, wait time.Duration) (*store.Delivery, error) {
	if f.failNext.Load() {
		return nil, errors.New("store is down")
	}
	return f.Memory.Next(ctx, wait)
}

func init() {
	registry.RegisterStore(registry.Spec{Element: "test-flaky", Aliases: []string{flakyClass},
		Summary: "Test store that can be told to fail."},
		func(_ registry.Builder, def *config.MessageStore, _ store.Config) (store.Store, error) {
			return &flaky{Memory: store.NewMemory(def.Name)}, nil
		})
}

// hit is one request a backend received.
type hit struct {
	Path   string
	Body   string
	Header http.Header
	At     time.Time
}

// backend is a test backend on 127.0.0.1:0 that records what it gets and
// answers with respond (200 and {"ok":true} by default; a negative status
// drops the connection).
type backend struct {
	*httptest.Server
	mu      sync.Mutex
	hits    []hit
	respond func(h hit, n int) (int, string)
}

func newBackend(t *testing.T, respond func(h hit, n int) (int, string)) *backend {
	t.Helper()
	b := &backend{respond: respond}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		h := hit{Path: r.URL.Path, Body: string(data), Header: r.Header.Clone(), At: time.Now()}
		b.mu.Lock()
		b.hits = append(b.hits, h)
		n := len(b.hits)
		b.mu.Unlock()
		status, body := 200, `{"ok":true}`
		if b.respond != nil {
			status, body = b.respond(h, n)
		}
		if status < 0 {
			// A negative status drops the connection: a transport failure.
			panic(http.ErrAbortHandler)
		}
		ct := "application/json"
		if strings.HasPrefix(body, "<") {
			ct = "text/xml; charset=UTF-8"
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(b.Close)
	return b
}

func (b *backend) all() []hit {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]hit(nil), b.hits...)
}

func (b *backend) bodies(path string) []string {
	var out []string
	for _, h := range b.all() {
		if path == "" || h.Path == path {
			out = append(out, h.Body)
		}
	}
	return out
}

func (b *backend) count(path string) int { return len(b.bodies(path)) }

// options returns graph options on a fake clock whose processors log to
// the test log.
func options(t *testing.T) (engine.Options, *testkit.Clock) {
	t.Helper()
	opts, clk := testkit.FakeRuntime()
	processor.SetLogger(opts.Runtime, testkit.Logger(t))
	return opts, clk
}

// withFailedStore gives the runtime a failed-message store in a temporary
// directory. Open it before compiling, so that it closes after the graph.
func withFailedStore(t *testing.T, opts engine.Options) *failed.DB {
	t.Helper()
	db, err := failed.Open(filepath.Join(t.TempDir(), "failed.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	failed.Use(opts.Runtime, db)
	return db
}

// build compiles the artifacts; the graph is closed (its processors
// stopped) when the test ends. Tests put messages, then call g.Start.
func build(t *testing.T, opts engine.Options, artifacts string) *engine.Graph {
	t.Helper()
	return testkit.GraphWith(t, artifacts, opts)
}

// proc returns a processor through the interface the management API uses.
func proc(t *testing.T, g *engine.Graph, name string) processor.Managed {
	t.Helper()
	p, ok := g.Processors[name].(processor.Managed)
	if !ok {
		t.Fatalf("processor %q is %T, not processor.Managed", name, g.Processors[name])
	}
	return p
}

// endpoint is a named address endpoint with MI's default error handling
// (any failure suspends it for 30 s on the runtime's clock).
func endpoint(name, uri string) string {
	return fmt.Sprintf(`<endpoint name="%s"><address uri="%s"/></endpoint>`, name, uri)
}

// messageProcessor renders a processor; params are name, value pairs (in
// order, so the same call gives the same XML).
func messageProcessor(name, class, store, target string, params ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<messageProcessor name="%s" class="%s" messageStore="%s"`, name, class, store)
	if target != "" {
		fmt.Fprintf(&b, ` targetEndpoint="%s"`, target)
	}
	b.WriteString(">")
	for i := 0; i+1 < len(params); i += 2 {
		fmt.Fprintf(&b, `<parameter name="%s">%s</parameter>`, params[i], params[i+1])
	}
	b.WriteString("</messageProcessor>")
	return b.String()
}

// put stores a JSON message the way the store mediator would.
func put(t *testing.T, g *engine.Graph, storeName, id, body string, props ...string) {
	t.Helper()
	p := map[string]string{}
	for i := 0; i+1 < len(props); i += 2 {
		p[props[i]] = props[i+1]
	}
	sm := &store.Message{ID: id, Created: time.Now(), Method: "POST", RequestURI: "/in", ContentType: "application/json",
		Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body), Props: p}
	if err := g.Stores[storeName].Put(context.Background(), sm); err != nil {
		t.Fatal(err)
	}
}

// outOnly are the properties of a fire-and-forget message.
var outOnly = []string{"OUT_ONLY", "true"}

func size(t *testing.T, g *engine.Graph, storeName string) int64 {
	t.Helper()
	n, err := g.Stores[storeName].Size(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// eventually polls cond for up to five seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testkit.Eventually(t, 5*time.Second, cond, what)
}

// never polls cond for d and fails if it ever holds: the way to assert
// that something does not happen without a bare sleep.
func never(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			t.Fatalf("%s happened", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func records(t *testing.T, db *failed.DB) []*failed.Record {
	t.Helper()
	rs, err := db.List(failed.Filter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func record(t *testing.T, db *failed.DB, id string) *failed.Record {
	t.Helper()
	r, err := db.Get(id)
	if err != nil {
		t.Fatalf("record %s: %v", id, err)
	}
	return r
}

// diagnose compiles artifacts on a fresh runtime, starting nothing, and
// returns every diagnostic as "position: severity: message", one a line.
func diagnose(artifacts string) string {
	g, diags := testkit.Compile(artifacts)
	if g != nil {
		_ = g.Close()
	}
	var b strings.Builder
	for _, d := range diags.List {
		fmt.Fprintf(&b, "%s: %s: %s\n", d.Pos, d.Severity, d.Msg)
	}
	return b.String()
}

// waitStatus polls a processor's status until every key has its value
// (counters move just after the store operation they count).
func waitStatus(t *testing.T, p processor.Managed, want map[string]any) {
	t.Helper()
	var st map[string]any
	ok := func() bool {
		st = p.Status()
		for k, v := range want {
			if st[k] != v {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("status %v, want %v", st, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
