package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Footprint figures: Busbar's startup with many artifacts and every proxy
// peer's memory, idle and after load.
type footprint struct {
	StartupArtifacts int             `json:"startup_artifacts"`
	StartupMS        []float64       `json:"startup_ms"`
	StartupMedianMS  float64         `json:"startup_median_ms"`
	StartupError     string          `json:"startup_error,omitempty"`
	LoadConns        int             `json:"load_conns"`
	Peers            []peerFootprint `json:"peers"`
}

type peerFootprint struct {
	Peer      string       `json:"peer"`
	IdleRSSKB int64        `json:"idle_rss_kb"`
	Loaded    []loadedPeak `json:"loaded"`
	Error     string       `json:"error,omitempty"`
}

// loadedPeak is the peak RSS (VmHWM) after a direct-proxy load; loads run
// in increasing payload order, so each figure includes the ones before.
type loadedPeak struct {
	Payload string  `json:"payload"`
	HWMKB   int64   `json:"hwm_kb"`
	RPS     float64 `json:"rps"`
}

const (
	startupArtifacts = 100
	footprintConns   = 200
	idleSettle       = 2 * time.Second
)

// writeStartupDeployment generates n APIs, each sending to its own named
// endpoint (the backend), so that startup parses and compiles 2n artifacts.
func writeStartupDeployment(dir string, n, backendPort int) error {
	for _, sub := range []string{"api", "endpoints"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
	}
	for i := 1; i <= n; i++ {
		api := fmt.Sprintf(`<api xmlns="http://ws.apache.org/ns/synapse" name="StartupAPI%03[1]d" context="/startup%03[1]d">
    <resource methods="GET POST" url-mapping="/*">
        <inSequence><send><endpoint key="StartupEP%03[1]d"/></send></inSequence>
        <outSequence><send/></outSequence>
    </resource>
</api>
`, i)
		ep := fmt.Sprintf(`<endpoint xmlns="http://ws.apache.org/ns/synapse" name="StartupEP%03d">
    <address uri="http://127.0.0.1:%d/startup"/>
</endpoint>
`, i, backendPort)
		if err := os.WriteFile(filepath.Join(dir, "api", fmt.Sprintf("StartupAPI%03d.xml", i)), []byte(api), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "endpoints", fmt.Sprintf("StartupEP%03d.xml", i)), []byte(ep), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// measureFootprint runs against its own backend (no delay) before the
// matrix, while the machine is otherwise idle.
func (h *harness) measureFootprint(ctx context.Context, peers []string, payloads []int) footprint {
	fp := footprint{StartupArtifacts: startupArtifacts, LoadConns: footprintConns}
	backend, err := h.startBackend(ctx, 0)
	if err != nil {
		fp.StartupError = "backend did not start: " + err.Error()
		return fp
	}
	defer h.sup.stop(backend)

	if slices.Contains(peers, peerBusbar) {
		fp.StartupMS, err = h.busbarStartups(ctx, h.opts.startups)
		if err != nil {
			fp.StartupError = err.Error()
		}
		if len(fp.StartupMS) > 0 {
			fp.StartupMedianMS = median(fp.StartupMS)
			fmt.Fprintf(os.Stderr, "footprint: busbar startup with %d APIs: median %.0f ms %v\n", startupArtifacts, fp.StartupMedianMS, fp.StartupMS)
		}
	}
	s, _ := scenarioByName("direct-proxy")
	sizes := slices.Sorted(slices.Values(payloads))
	for _, name := range peers {
		if name == peerDirect || ctx.Err() != nil {
			continue
		}
		pf := h.peerFootprint(ctx, name, s, sizes, backend)
		if pf.Error != "" {
			fmt.Fprintf(os.Stderr, "footprint: %s: error %s\n", name, firstLine(pf.Error))
		} else {
			fmt.Fprintf(os.Stderr, "footprint: %s: idle %.1f MiB, after load %v\n", name, float64(pf.IdleRSSKB)/1024, pf.Loaded)
		}
		fp.Peers = append(fp.Peers, pf)
	}
	return fp
}

func (h *harness) peerFootprint(ctx context.Context, name string, s scenario, sizes []int, backend *proc) peerFootprint {
	pf := peerFootprint{Peer: name}
	p, err := h.startPeer(ctx, name)
	if err != nil {
		pf.Error = err.Error()
		return pf
	}
	defer h.sup.stop(p.proc)
	select {
	case <-time.After(idleSettle):
	case <-ctx.Done():
		pf.Error = ctx.Err().Error()
		return pf
	}
	if pf.IdleRSSKB, err = treeStatusKB(p.proc.pid(), "VmRSS"); err != nil {
		pf.Error = err.Error()
		return pf
	}
	url := fmt.Sprintf("http://127.0.0.1:%d%s", p.port, s.Path)
	for _, size := range sizes {
		files, err := h.payloadFor(s, size, name)
		if err != nil {
			pf.Error = err.Error()
			return pf
		}
		if err := probe(ctx, url, files.body, s.Kind.contentType(), s.Headers, files.want, files.asXML); err != nil {
			pf.Error = err.Error()
			return pf
		}
		var w wrkResult
		for attempt := 0; ; attempt++ {
			t0, err0 := treeTicks(p.proc.pid())
			b0, err1 := treeTicks(backend.pid())
			w, err = h.runWrk(ctx, url, files.script, footprintConns, h.opts.duration)
			if err != nil {
				pf.Error = err.Error()
				return pf
			}
			t1, err2 := treeTicks(p.proc.pid())
			b1, err3 := treeTicks(backend.pid())
			if err := errors.Join(err0, err1, err2, err3); err != nil {
				pf.Error = err.Error()
				return pf
			}
			// The same stall check as the matrix: a load that did not
			// keep CPU 0 busy did not load the peer, so its peak says
			// nothing.
			share := float64(t1-t0+b1-b0) / float64(h.clkTck) / (float64(max(w.DurationUS, 1)) / 1e6)
			if !h.pin || share >= stallShare {
				break
			}
			if attempt == 1 {
				pf.Error = fmt.Sprintf("warning: CPU 0 only %.0f%% busy during the %s load: the machine stalled", share*100, sizeLabel(size))
				break
			}
			fmt.Fprintf(os.Stderr, "footprint: %s %s: CPU 0 only %.0f%% busy; loading again\n", name, sizeLabel(size), share*100)
		}
		hwm, err := treeStatusKB(p.proc.pid(), "VmHWM")
		if err != nil {
			pf.Error = err.Error()
			return pf
		}
		pf.Loaded = append(pf.Loaded, loadedPeak{Payload: sizeLabel(size), HWMKB: hwm, RPS: w.okRPS()})
	}
	return pf
}

// busbarStartups times n cold starts of Busbar with the generated
// deployment: from starting the process to the first 200 from one of the
// APIs (which goes through to the backend), each instance stopped by PID.
func (h *harness) busbarStartups(ctx context.Context, n int) ([]float64, error) {
	dir := filepath.Join(h.tmp, "startup-deploy")
	if err := writeStartupDeployment(dir, startupArtifacts, h.backendPort); err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
	var out []float64
	for i := range n {
		port, err := pickPort(h.ports)
		if err != nil {
			return out, err
		}
		url := fmt.Sprintf("http://127.0.0.1:%d/startup%03d/ping", port, startupArtifacts/2)
		data, err := os.MkdirTemp(h.tmp, "startup-data-")
		if err != nil {
			return out, err
		}
		t0 := time.Now()
		p, err := h.startBusbar(port, dir, data)
		if err != nil {
			return out, err
		}
		ok := false
		for time.Since(t0) < 60*time.Second && ctx.Err() == nil && !p.exited() {
			if resp, err := client.Get(url); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					ok = true
					break
				}
			}
			time.Sleep(2 * time.Millisecond)
		}
		elapsed := time.Since(t0)
		tailLog := p.logTail()
		h.sup.stop(p)
		if !ok {
			return out, fmt.Errorf("start %d: no 200 from %s within %v: %s", i+1, url, elapsed.Round(time.Millisecond), tailLog)
		}
		out = append(out, float64(elapsed.Microseconds())/1000)
	}
	return out, nil
}
