// Package testkit helps tests build real Busbar pieces from XML: a graph
// from artifacts, one sequence from a mediator snippet run against an input
// message, or a whole server on 127.0.0.1:0 in front of test backends. It
// uses the default registry with every standard component, so tests
// exercise exactly what the binary runs.
package testkit

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/busbar/busbar/internal/compile"
	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/registry"
	_ "github.com/busbar/busbar/internal/standard"
)

// DefaultOptions are the graph options tests use.
var DefaultOptions = engine.Options{MaxBodyBytes: 10 << 20, GlobalTimeoutMS: 120000}

// Definitions wraps artifacts in a <definitions> element with the Synapse
// default namespace.
func Definitions(artifacts string) string {
	return `<definitions xmlns="http://ws.apache.org/ns/synapse">` + artifacts + `</definitions>`
}

// Compile loads and compiles artifacts (wrapped in <definitions>) and
// returns the graph and all diagnostics; the graph is nil on errors.
func Compile(artifacts string) (*engine.Graph, *config.Diagnostics) {
	dep, diags := config.LoadBytes("test.xml", []byte(Definitions(artifacts)))
	if diags.HasErrors() {
		return nil, diags
	}
	g, cd := compile.Compile(dep, registry.Default, DefaultOptions)
	diags.Add(cd.List...)
	return g, diags
}

// Graph compiles artifacts and fails the test on any error.
func Graph(t testing.TB, artifacts string) *engine.Graph {
	t.Helper()
	g, diags := Compile(artifacts)
	if g == nil || diags.HasErrors() {
		t.Fatalf("configuration does not compile:\n%v", diags.Err())
	}
	t.Cleanup(func() { _ = g.Close() })
	return g
}

// Input is a test message.
type Input struct {
	Method      string
	URI         string
	Body        string
	ContentType string
	Header      http.Header
	// Props are default-scope properties set before mediation.
	Props map[string]string
}

// Result is what running a snippet produced.
type Result struct {
	Msg *message.Message
	// Continue is the sequence's return value.
	Continue bool
	// Err is the error the sequence returned (nil if none).
	Err *fault.Error
	// Responses are the answers written to the client, in order.
	Responses []Response
}

// Response is one answer a Recorder captured.
type Response struct {
	Status      int
	Header      http.Header
	Body        string
	ContentType string
}

// Body serialises the message's body in its outgoing format.
func (r Result) Body(t testing.TB) string {
	t.Helper()
	f, _ := r.Msg.OutFormat()
	data, err := r.Msg.Body.Serialize(f)
	if err != nil {
		t.Fatalf("serialising the body: %v", err)
	}
	return string(data)
}

// Prop returns a default-scope property as a string.
func (r Result) Prop(name string) string { return r.Msg.GetString(message.ScopeDefault, name) }

// NewMessage builds a message from an input.
func NewMessage(in Input) *message.Message {
	m := message.New()
	m.Method = in.Method
	if m.Method == "" {
		m.Method = "POST"
	}
	m.RequestURI = in.URI
	if m.RequestURI == "" {
		m.RequestURI = "/test"
	}
	m.To = m.RequestURI
	for k, v := range in.Header {
		m.Header[http.CanonicalHeaderKey(k)] = v
	}
	if in.ContentType != "" {
		m.Header.Set("Content-Type", in.ContentType)
	}
	m.Body.ResetStream(io.NopCloser(strings.NewReader(in.Body)), in.ContentType, int64(len(in.Body)), DefaultOptions.MaxBodyBytes)
	for k, v := range in.Props {
		m.Set(message.ScopeDefault, k, v)
	}
	return m
}

// Run compiles snippet as the body of a sequence (with any extra
// artifacts) and runs it on in. It does not run fault handlers: an error is
// returned in Result.Err.
func Run(t testing.TB, snippet string, in Input, extra ...string) Result {
	t.Helper()
	g := Graph(t, `<sequence name="__test">`+snippet+`</sequence>`+strings.Join(extra, ""))
	return RunOn(t, g, "__test", in)
}

// RunOn runs a named sequence of g on in.
func RunOn(t testing.TB, g *engine.Graph, seq string, in Input) Result {
	t.Helper()
	m := NewMessage(in)
	rec := &Recorder{}
	x := &engine.Exchange{Responder: rec, Artifact: "sequence[" + seq + "]"}
	c := engine.NewContext(context.Background(), g, m, x, Logger(t))
	ok, err := c.Run(g.Sequence(seq))
	res := Result{Msg: m, Continue: ok, Responses: rec.Responses}
	if err != nil {
		res.Err = fault.Wrap(err)
	}
	return res
}

// Recorder is an engine.Responder that keeps the answers.
type Recorder struct{ Responses []Response }

// Respond records an answer.
func (r *Recorder) Respond(m *message.Message, status int) error {
	w, err := m.WireBody()
	if err != nil {
		return err
	}
	data, _ := io.ReadAll(w.Body)
	w.Body.Close()
	ct := w.ContentType
	if ct == "" {
		ct = m.Header.Get("Content-Type")
	}
	r.Responses = append(r.Responses, Response{Status: status, Header: m.Header.Clone(), Body: string(data), ContentType: ct})
	return nil
}

// Logger returns a logger that writes to the test log.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Eventually polls cond until it is true or the deadline passes; tests use
// it instead of sleeping.
func Eventually(t testing.TB, within time.Duration, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// GraphWith compiles artifacts with explicit options (for example a shared
// Runtime with a fake clock) and fails the test on any error.
func GraphWith(t testing.TB, artifacts string, opts engine.Options) *engine.Graph {
	t.Helper()
	dep, diags := config.LoadBytes("test.xml", []byte(Definitions(artifacts)))
	if diags.HasErrors() {
		t.Fatalf("configuration does not load:\n%v", diags.Err())
	}
	g, cd := compile.Compile(dep, registry.Default, opts)
	if g == nil {
		t.Fatalf("configuration does not compile:\n%v", cd.Err())
	}
	t.Cleanup(func() { _ = g.Close() })
	return g
}

// Clock is a settable clock for engine.Runtime.Now, so suspension windows
// and retry delays are tested without sleeping.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at a fixed instant.
func NewClock() *Clock { return &Clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// FakeRuntime returns options whose runtime runs on a fake clock.
func FakeRuntime() (engine.Options, *Clock) {
	clk := NewClock()
	rt := engine.NewRuntime()
	rt.Now = clk.Now
	opts := DefaultOptions
	opts.Runtime = rt
	return opts, clk
}
