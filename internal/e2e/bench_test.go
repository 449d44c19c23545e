package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/testkit"
)

// Mediation benchmarks run the engine exactly as the inbound transport does
// (one message per request, dispatch, mediation, answer) but with an
// in-process backend and a discarding client, so the figures are Busbar's
// own cost per message. BenchmarkHTTP* measure the whole stack over
// loopback for comparison with a direct call.

var (
	kb1JSON = `{"order":{"id":"A-1","customer":"Ada","items":[` + strings.Repeat(`{"sku":"BUS-1","qty":2,"price":10.5},`, 24) + `{"sku":"LAST","qty":1,"price":1}],"note":"` + strings.Repeat("x", 40) + `"}}`
	kb1XML  = `<order><id>A-1</id><customer>Ada</customer><symbol>IBM</symbol>` + strings.Repeat(`<item><sku>BUS-1</sku><qty>2</qty><price>10.5</price></item>`, 16) + `</order>`
	kb1Bin  = strings.Repeat("0123456789abcdef", 64)
)

// fakeBackend answers every send with a fixed body, consuming the request
// body as a real backend would.
type fakeBackend struct {
	body   []byte
	header http.Header
}

func (f *fakeBackend) Name() string { return "fake" }

func (f *fakeBackend) Send(c *engine.Context) error {
	w, err := c.Msg.WireBody()
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, w.Body)
	w.Body.Close()
	c.Msg.Status = 200
	c.Msg.Header = f.header
	c.Msg.Body.ResetStream(io.NopCloser(bytes.NewReader(f.body)), "application/octet-stream", int64(len(f.body)), 0)
	return nil
}

// discard is a client that reads the answer and throws it away.
type discard struct{ status int }

func (d *discard) Respond(m *message.Message, status int) error {
	d.status = status
	w, err := m.WireBody()
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, w.Body)
	return w.Body.Close()
}

func benchGraph(b *testing.B, artifacts string) *engine.Graph {
	g := testkit.Graph(b, artifacts)
	g.Endpoints["fake"] = &fakeBackend{body: []byte(kb1Bin), header: http.Header{"Content-Type": {"application/octet-stream"}}}
	return g
}

func benchServe(b *testing.B, g *engine.Graph, uri, ct, body string, wantStatus int) {
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	hdr := http.Header{"Content-Type": {ct}}
	d := &discard{}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		m := &message.Message{ID: message.NewID(), Method: "POST", RequestURI: uri, To: uri, Header: hdr, Created: time.Time{}}
		m.Body.ResetStream(io.NopCloser(strings.NewReader(body)), ct, int64(len(body)), 10<<20)
		g.Serve(context.Background(), m, d, log)
		if d.status != wantStatus {
			b.Fatalf("status %d", d.status)
		}
	}
}

// BenchmarkMediationPassThrough: a proxy with no content access forwarding
// a 1 KiB body to its endpoint and the answer back.
func BenchmarkMediationPassThrough(b *testing.B) {
	g := benchGraph(b, `<proxy name="P"><target endpoint="fake"/></proxy>`)
	benchServe(b, g, "/services/P", "application/octet-stream", kb1Bin, 200)
}

// BenchmarkMediationJSONPathFilter: one JSONPath filter on a 1 KiB JSON body.
func BenchmarkMediationJSONPathFilter(b *testing.B) {
	g := benchGraph(b, `<proxy name="P"><target><inSequence>
  <filter source="json-eval($.order.customer)" regex="Ada"><then><send><endpoint key="fake"/></send></then><else><drop/></else></filter>
</inSequence></target></proxy>`)
	benchServe(b, g, "/services/P", "application/json", kb1JSON, 200)
}

// BenchmarkMediationXPathSwitch: one XPath switch on a 1 KiB XML body.
func BenchmarkMediationXPathSwitch(b *testing.B) {
	g := benchGraph(b, `<proxy name="P"><target><inSequence>
  <switch source="//symbol"><case regex="IBM"><send><endpoint key="fake"/></send></case><default><drop/></default></switch>
</inSequence></target></proxy>`)
	benchServe(b, g, "/services/P", "application/xml", kb1XML, 200)
}

// BenchmarkHTTPPassThrough is the whole stack over loopback: client ->
// Busbar -> backend, with BenchmarkHTTPDirect (client -> backend) as the
// baseline measured in the same run.
func BenchmarkHTTPPassThrough(b *testing.B) {
	be := newBenchBackend(b)
	srv := testkit.Serve(b, fmt.Sprintf(`<proxy name="P"><target><endpoint><address uri="%s/echo"/></endpoint></target></proxy>`, be))
	benchHTTP(b, srv.URL+"/services/P")
}

// BenchmarkHTTPDirect is the baseline for BenchmarkHTTPPassThrough.
func BenchmarkHTTPDirect(b *testing.B) {
	benchHTTP(b, newBenchBackend(b)+"/echo")
}

func newBenchBackend(b *testing.B) string {
	srv := newBackendTB(b, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = io.Copy(w, r.Body)
	})
	return srv
}

func benchHTTP(b *testing.B, url string) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}
	b.SetBytes(int64(len(kb1Bin)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		resp, err := client.Post(url, "application/octet-stream", strings.NewReader(kb1Bin))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}
