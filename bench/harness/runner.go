package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// harness holds the state of one benchmark invocation.
type harness struct {
	opts        options
	sup         *supervisor
	tmp         string
	bin         string // directory of the built echo, goproxy and busbar
	deploy      string // the artifacts with the ports filled in
	backendPort int
	deadPort    int
	ports       map[int]bool
	clkTck      int
	pin         bool
	scripts     map[string]payloadFiles
	runs        []runResult
	done, total int
}

// runResult is one measured run as written to the JSON file.
type runResult struct {
	Round              int        `json:"round"`
	Scenario           string     `json:"scenario"`
	Peer               string     `json:"peer"`
	Payload            string     `json:"payload"`
	PayloadBytes       int        `json:"payload_bytes"`
	SentBytes          int        `json:"sent_bytes"`
	Conns              int        `json:"conns"`
	DelayMS            float64    `json:"delay_ms"`
	Start              time.Time  `json:"start"`
	Error              string     `json:"error,omitempty"`
	Warmup             *wrkResult `json:"warmup,omitempty"`
	Result             *wrkResult `json:"result,omitempty"`
	RPS                float64    `json:"rps"`
	ProxyCPUTicks      uint64     `json:"proxy_cpu_ticks"`
	BackendCPUTicks    uint64     `json:"backend_cpu_ticks"`
	ProxyCPUUSPerReq   *float64   `json:"proxy_cpu_us_per_req,omitempty"`
	BackendCPUUSPerReq *float64   `json:"backend_cpu_us_per_req,omitempty"`
	// CPU0Share is how much of CPU 0 the peer and the backend used during
	// the measured run (pinned runs only).
	CPU0Share float64 `json:"cpu0_share,omitempty"`
	Warning   string  `json:"warning,omitempty"`
	// Superseded runs were stalled and measured again; the tables skip them.
	Superseded bool `json:"superseded,omitempty"`
}

// stallShare is the CPU 0 use below which a run without backend delay
// cannot have been a fair measurement: peer and backend saturate CPU 0 in
// every such run (0.88 to 1.0 of it in practice), so a much lower figure
// means the machine stalled (a paused VM, a noisy neighbour) or wrk could
// not keep up.
const stallShare = 0.5

// payloadFiles is what one (scenario, size, peer kind) sends and expects.
type payloadFiles struct {
	body   []byte
	want   []byte
	asXML  bool
	script string
}

// payloadFor builds (once) the request body, the expected answer and the
// wrk script of a run.
func (h *harness) payloadFor(s scenario, size int, peer string) (payloadFiles, error) {
	directTransform := s.Transform && peer == peerDirect
	key := fmt.Sprintf("%s-%d-%t", s.Name, size, directTransform)
	if pf, ok := h.scripts[key]; ok {
		return pf, nil
	}
	var pf payloadFiles
	switch s.Kind {
	case kindJSON:
		pf.body = jsonPayload(size)
		pf.want = pf.body
	default:
		body, orders := soapPayload(size)
		pf.body, pf.want = body, body
		if s.Transform {
			pf.want, pf.asXML = transformedSOAP(orders), true
			if directTransform {
				// direct gets what Busbar would send the backend.
				pf.body, pf.asXML = pf.want, false
			}
		}
	}
	dir := filepath.Join(h.tmp, "load")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return pf, err
	}
	bodyPath := filepath.Join(dir, key+".body")
	if err := os.WriteFile(bodyPath, pf.body, 0o644); err != nil {
		return pf, err
	}
	pf.script = filepath.Join(dir, key+".lua")
	if err := os.WriteFile(pf.script, []byte(luaScript(bodyPath, s.Kind.contentType(), s.Headers)), 0o644); err != nil {
		return pf, err
	}
	h.scripts[key] = pf
	return pf, nil
}

// runBlock starts the backend and the block's peers fresh, measures every
// run of the block and stops them all again.
func (h *harness) runBlock(ctx context.Context, b block) {
	fail := func(runs []runSpec, msg string) {
		for _, r := range runs {
			h.record(r, runResult{Error: msg})
		}
	}
	backend, err := h.startBackend(ctx, b.Delay)
	if err != nil {
		fail(b.Runs, "backend did not start: "+err.Error())
		return
	}
	defer h.sup.stop(backend)
	peers := map[string]*peerInstance{}
	startErr := map[string]string{}
	for _, name := range b.Peers {
		p, err := h.startPeer(ctx, name)
		if err != nil {
			startErr[name] = fmt.Sprintf("%s did not start: %v", name, err)
			fmt.Fprintf(os.Stderr, "error: %s\n", startErr[name])
			continue
		}
		peers[name] = p
		if p.proc != nil {
			defer h.sup.stop(p.proc)
		}
	}
	for _, r := range b.Runs {
		if ctx.Err() != nil {
			return
		}
		if msg, bad := startErr[r.Peer]; bad {
			fail([]runSpec{r}, msg)
			continue
		}
		res := h.measure(ctx, r, peers[r.Peer], backend)
		if res.Warning != "" && ctx.Err() == nil {
			// One retry: a stall is usually a passing event, and a single
			// round (-quick) has no median to absorb it.
			fmt.Fprintf(os.Stderr, "        %s: %s; measuring again\n", r, res.Warning)
			res.Superseded = true
			h.runs = append(h.runs, h.fill(r, res))
			res = h.measure(ctx, r, peers[r.Peer], backend)
		}
		h.record(r, res)
	}
}

func (h *harness) fill(r runSpec, res runResult) runResult {
	res.Round, res.Scenario, res.Peer = r.Round, r.Scenario, r.Peer
	res.Payload, res.PayloadBytes, res.Conns = sizeLabel(r.Payload), r.Payload, r.Conns
	res.DelayMS = float64(r.Delay) / float64(time.Millisecond)
	return res
}

func (h *harness) record(r runSpec, res runResult) {
	res = h.fill(r, res)
	h.runs = append(h.runs, res)
	h.done++
	line := fmt.Sprintf("[%d/%d] round %d  %-44s", h.done, h.total, r.Round+1, r.String())
	if res.Error != "" {
		fmt.Fprintf(os.Stderr, "%s  ERROR %s\n", line, firstLine(res.Error))
		return
	}
	cpu := "-"
	if res.ProxyCPUUSPerReq != nil {
		cpu = fmt.Sprintf("%.1f", *res.ProxyCPUUSPerReq)
	}
	warn := ""
	if res.Warning != "" {
		warn = "  WARNING " + res.Warning
	}
	fmt.Fprintf(os.Stderr, "%s  %8.0f req/s  p50 %6.2f ms  p99 %7.2f ms  proxy CPU %s µs/req  errors %d%s\n",
		line, res.RPS, float64(res.Result.P50US)/1000, float64(res.Result.P99US)/1000, cpu, res.Result.errorCount(), warn)
}

// measure runs probe, warm-up and the measured load against one peer and
// charges the CPU time used during the measured load alone.
func (h *harness) measure(ctx context.Context, r runSpec, peer *peerInstance, backend *proc) runResult {
	res := runResult{Start: time.Now()}
	s, _ := scenarioByName(r.Scenario)
	pf, err := h.payloadFor(s, r.Payload, r.Peer)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	res.SentBytes = len(pf.body)
	url := fmt.Sprintf("http://127.0.0.1:%d%s", peer.port, s.Path)
	if err := probe(ctx, url, pf.body, s.Kind.contentType(), s.Headers, pf.want, pf.asXML); err != nil {
		res.Error = err.Error()
		return res
	}
	if s.Unrouted != nil && peer.proc != nil {
		body, headers := s.Unrouted(pf.body, s.Headers)
		if err := probeUnrouted(ctx, url, body, s.Kind.contentType(), headers); err != nil {
			res.Error = err.Error()
			return res
		}
	}
	if h.opts.warmup > 0 {
		w, err := h.runWrk(ctx, url, pf.script, r.Conns, h.opts.warmup)
		if err != nil {
			res.Error = "warm-up: " + err.Error()
			return res
		}
		res.Warmup = &w
	}
	ticks := func() (proxy, back uint64, err error) {
		if peer.proc != nil {
			if proxy, err = treeTicks(peer.proc.pid()); err != nil {
				return 0, 0, fmt.Errorf("%s: %v", peer.name, err)
			}
		}
		if back, err = treeTicks(backend.pid()); err != nil {
			return 0, 0, fmt.Errorf("backend: %v", err)
		}
		return proxy, back, nil
	}
	p0, b0, err := ticks()
	if err != nil {
		res.Error = err.Error()
		return res
	}
	w, err := h.runWrk(ctx, url, pf.script, r.Conns, h.opts.duration)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	p1, b1, err := ticks()
	if err != nil {
		res.Error = "after the load: " + err.Error()
		return res
	}
	res.Result = &w
	res.RPS = w.okRPS()
	res.ProxyCPUTicks, res.BackendCPUTicks = p1-p0, b1-b0
	if w.Requests == 0 {
		res.Error = "no request completed"
		return res
	}
	perReq := func(t uint64) *float64 {
		v := float64(t) / float64(h.clkTck) * 1e6 / float64(w.Requests)
		return &v
	}
	if peer.proc != nil {
		res.ProxyCPUUSPerReq = perReq(res.ProxyCPUTicks)
	}
	res.BackendCPUUSPerReq = perReq(res.BackendCPUTicks)
	if h.pin && w.DurationUS > 0 {
		res.CPU0Share = float64(res.ProxyCPUTicks+res.BackendCPUTicks) / float64(h.clkTck) / (float64(w.DurationUS) / 1e6)
		if r.Delay == 0 && res.CPU0Share < stallShare {
			res.Warning = fmt.Sprintf("CPU 0 only %.0f%% busy without backend delay: the machine stalled or wrk could not keep up", res.CPU0Share*100)
		}
	}
	return res
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
