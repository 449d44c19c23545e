package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// row is one line of a scenario table: the medians over the rounds of one
// (scenario, payload, conns, delay, peer).
type row struct {
	Scenario   string        `json:"scenario"`
	Peer       string        `json:"peer"`
	Payload    int           `json:"payload_bytes"`
	Conns      int           `json:"conns"`
	Delay      time.Duration `json:"delay_ns"`
	Rounds     int           `json:"rounds_ok"`
	RPS        float64       `json:"rps"`
	P50MS      float64       `json:"p50_ms"`
	P99MS      float64       `json:"p99_ms"`
	ProxyCPU   *float64      `json:"proxy_cpu_us_per_req,omitempty"`
	BackendCPU *float64      `json:"backend_cpu_us_per_req,omitempty"`
	Errs       wrkResult     `json:"wrk_errors"`
	Failures   []string      `json:"failures,omitempty"`
}

type rowKey struct {
	Scenario, Peer string
	Payload, Conns int
	Delay          time.Duration
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// aggregate takes the median of each figure independently across rounds;
// errors are summed, because one bad round matters even if the median
// hides it.
func aggregate(runs []runResult) map[rowKey]*row {
	type acc struct {
		rps, p50, p99, pcpu, bcpu []float64
	}
	rows := map[rowKey]*row{}
	accs := map[rowKey]*acc{}
	for _, r := range runs {
		if r.Superseded {
			continue
		}
		k := rowKey{r.Scenario, r.Peer, r.PayloadBytes, r.Conns, time.Duration(r.DelayMS * float64(time.Millisecond))}
		rw, ok := rows[k]
		if !ok {
			rw = &row{Scenario: k.Scenario, Peer: k.Peer, Payload: k.Payload, Conns: k.Conns, Delay: k.Delay}
			rows[k], accs[k] = rw, &acc{}
		}
		a := accs[k]
		if r.Result != nil {
			e := r.Result
			rw.Errs.ErrConnect += e.ErrConnect
			rw.Errs.ErrRead += e.ErrRead
			rw.Errs.ErrWrite += e.ErrWrite
			rw.Errs.ErrStatus += e.ErrStatus
			rw.Errs.ErrTimeout += e.ErrTimeout
		}
		if r.Error != "" {
			rw.Failures = append(rw.Failures, fmt.Sprintf("round %d: %s", r.Round+1, firstLine(r.Error)))
			continue
		}
		if r.Warning != "" {
			rw.Failures = append(rw.Failures, fmt.Sprintf("round %d: warning: %s", r.Round+1, r.Warning))
		}
		rw.Rounds++
		a.rps = append(a.rps, r.RPS)
		a.p50 = append(a.p50, float64(r.Result.P50US)/1000)
		a.p99 = append(a.p99, float64(r.Result.P99US)/1000)
		if r.ProxyCPUUSPerReq != nil {
			a.pcpu = append(a.pcpu, *r.ProxyCPUUSPerReq)
		}
		if r.BackendCPUUSPerReq != nil {
			a.bcpu = append(a.bcpu, *r.BackendCPUUSPerReq)
		}
	}
	for k, rw := range rows {
		a := accs[k]
		rw.RPS, rw.P50MS, rw.P99MS = median(a.rps), median(a.p50), median(a.p99)
		if len(a.pcpu) > 0 {
			v := median(a.pcpu)
			rw.ProxyCPU = &v
		}
		if len(a.bcpu) > 0 {
			v := median(a.bcpu)
			rw.BackendCPU = &v
		}
	}
	return rows
}

// renderTable draws a markdown table padded to column width, so that it is
// also readable as plain text on the terminal.
func renderTable(header []string, rightAlign []bool, rows [][]string) string {
	width := make([]int, len(header))
	for i, h := range header {
		width[i] = max(3, utf8.RuneCountInString(h))
	}
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	pad := func(s string, i int) string {
		n := width[i] - utf8.RuneCountInString(s)
		if rightAlign[i] {
			return strings.Repeat(" ", n) + s
		}
		return s + strings.Repeat(" ", n)
	}
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString("|")
		for i, c := range cells {
			b.WriteString(" " + pad(c, i) + " |")
		}
		b.WriteString("\n")
	}
	line(header)
	b.WriteString("|")
	for i := range header {
		if rightAlign[i] {
			b.WriteString(" " + strings.Repeat("-", width[i]-1) + ": |")
		} else {
			b.WriteString(" " + strings.Repeat("-", width[i]) + " |")
		}
	}
	b.WriteString("\n")
	for _, r := range rows {
		line(r)
	}
	return b.String()
}

var tableHeader = []string{"payload", "conns", "delay", "peer", "req/s", "p50 ms", "p99 ms", "proxy CPU µs/req", "backend CPU µs/req", "req/s ÷ nginx", "req/s ÷ direct", "errors"}
var tableRight = []bool{false, true, false, false, true, true, true, true, true, true, true, false}

func fmtOpt(v *float64, format string) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf(format, *v)
}

func errorCell(r *row) string {
	var parts []string
	for _, e := range []struct {
		name string
		n    int64
	}{{"non-2xx", r.Errs.ErrStatus}, {"timeout", r.Errs.ErrTimeout}, {"connect", r.Errs.ErrConnect}, {"read", r.Errs.ErrRead}, {"write", r.Errs.ErrWrite}} {
		if e.n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", e.name, e.n))
		}
	}
	for _, f := range r.Failures {
		parts = append(parts, tail(f, 160))
	}
	if len(parts) == 0 {
		return "0"
	}
	s := strings.Join(parts, "; ")
	return strings.NewReplacer("|", "\\|", "\n", " ").Replace(s)
}

// scenarioTable renders one scenario. Rows follow the plan's order of
// configurations and the base peer order; ratios compare medians of the
// same configuration. A scenario that nginx does not run is compared with
// nginx's direct-proxy figure for the same payload size, conns and delay,
// marked with a dagger.
func scenarioTable(s scenario, rows map[rowKey]*row) (string, bool) {
	var configs []config
	for k := range rows {
		if k.Scenario != s.Name {
			continue
		}
		c := config{k.Payload, k.Conns, k.Delay}
		if !slices.Contains(configs, c) {
			configs = append(configs, c)
		}
	}
	if len(configs) == 0 {
		return "", false
	}
	sort.Slice(configs, func(i, j int) bool {
		a, b := configs[i], configs[j]
		if a.Delay != b.Delay {
			return a.Delay < b.Delay
		}
		if a.Payload != b.Payload {
			return a.Payload < b.Payload
		}
		return a.Conns < b.Conns
	})
	usedRef := false
	var cells [][]string
	for _, c := range configs {
		get := func(scen, peer string) *row {
			r := rows[rowKey{scen, peer, c.Payload, c.Conns, c.Delay}]
			if r == nil || r.Rounds == 0 {
				return nil
			}
			return r
		}
		nginx, dagger := get(s.Name, peerNginx), ""
		if !slices.Contains(s.Peers, peerNginx) {
			nginx, dagger = get("direct-proxy", peerNginx), "†"
		}
		direct := get(s.Name, peerDirect)
		for _, peer := range allPeers {
			r := rows[rowKey{s.Name, peer, c.Payload, c.Conns, c.Delay}]
			if r == nil {
				continue
			}
			cell := []string{sizeLabel(c.Payload), fmt.Sprint(c.Conns), delayLabel(c.Delay), peer}
			if r.Rounds == 0 {
				cell = append(cell, "—", "—", "—", "—", "—", "—", "—")
			} else {
				ratio := func(ref *row, mark string) string {
					if ref == nil || ref.RPS == 0 {
						return "—"
					}
					if mark != "" {
						usedRef = true
					}
					return fmt.Sprintf("%.2f%s", r.RPS/ref.RPS, mark)
				}
				cell = append(cell, fmt.Sprintf("%.0f", r.RPS), fmt.Sprintf("%.2f", r.P50MS), fmt.Sprintf("%.2f", r.P99MS),
					fmtOpt(r.ProxyCPU, "%.1f"), fmtOpt(r.BackendCPU, "%.1f"), ratio(nginx, dagger), ratio(direct, ""))
			}
			cells = append(cells, append(cell, errorCell(r)))
		}
	}
	return renderTable(tableHeader, tableRight, cells), usedRef
}

// report is the JSON file: everything needed to recompute the tables.
type report struct {
	Date       string      `json:"date"`
	Started    time.Time   `json:"started"`
	Finished   time.Time   `json:"finished"`
	Incomplete string      `json:"incomplete,omitempty"`
	Command    []string    `json:"command"`
	Machine    machine     `json:"machine"`
	Options    optionsJSON `json:"options"`
	Footprint  *footprint  `json:"footprint,omitempty"`
	Rows       []*row      `json:"rows"`
	Runs       []runResult `json:"runs"`
}

type optionsJSON struct {
	Quick      bool     `json:"quick"`
	Full       bool     `json:"full"`
	Scenarios  []string `json:"scenarios"`
	Peers      []string `json:"peers"`
	Payloads   []string `json:"payloads"`
	Conns      []int    `json:"conns"`
	Delays     []string `json:"delays"`
	Duration   string   `json:"duration"`
	Warmup     string   `json:"warmup"`
	Rounds     int      `json:"rounds"`
	PlannedRun int      `json:"planned_runs"`
}

// cpu0Summary tells how undisturbed the run was: without backend delay the
// peer and backend saturate CPU 0 on a quiet machine, so a lower share
// means something else took CPU time from them.
func cpu0Summary(runs []runResult) string {
	var shares []float64
	for _, r := range runs {
		if r.DelayMS == 0 && r.CPU0Share > 0 && !r.Superseded {
			shares = append(shares, r.CPU0Share)
		}
	}
	if len(shares) == 0 {
		return ""
	}
	return fmt.Sprintf("Interference check: in the runs without backend delay, peer and backend used a median %.0f%% of CPU 0 (lowest %.0f%%); on a quiet machine this is 90-100%%, and lower figures mean other work took CPU time from the measurement.\n\n",
		median(shares)*100, slices.Min(shares)*100)
}

func mib(kb int64) string { return fmt.Sprintf("%.1f", float64(kb)/1024) }

func markdown(rep *report, rowsByKey map[rowKey]*row) string {
	var b strings.Builder
	m, o := rep.Machine, rep.Options
	fmt.Fprintf(&b, "# Busbar load benchmark, %s\n\n", rep.Date)
	if rep.Incomplete != "" {
		fmt.Fprintf(&b, "**Incomplete run: %s.** Tables hold what was measured before.\n\n", rep.Incomplete)
	}
	b.WriteString("## Machine\n\n")
	fmt.Fprintf(&b, "- CPU: %s, %d CPUs usable (%d online)\n", m.CPUModel, m.CPUs, m.Online)
	fmt.Fprintf(&b, "- Kernel: Linux %s\n", m.Kernel)
	fmt.Fprintf(&b, "- %s\n- %s\n- %s\n- %s\n- Busbar: %s\n", m.Go, m.Nginx, m.HAProxy, m.Wrk, m.Busbar)
	fmt.Fprintf(&b, "- Load average when the run started: %s\n", m.LoadAvg)
	if w := busyWarning(m.LoadAvg); w != "" {
		fmt.Fprintf(&b, "- **Warning: %s.**\n", w)
	}
	fmt.Fprintf(&b, "- Run: %s to %s (%s), `%s`\n\n", rep.Started.Format(time.RFC3339), rep.Finished.Format("15:04:05"),
		rep.Finished.Sub(rep.Started).Round(time.Second), strings.Join(rep.Command, " "))

	b.WriteString("## Method\n\n")
	if m.Pinned {
		b.WriteString("- The echo backend and the proxy under test share CPU 0 (`taskset -c 0`); wrk runs on CPU 1 (`taskset -c 1 wrk -t1`). ")
	} else {
		b.WriteString("- **Not pinned** (fewer than 2 CPUs): backend, proxy and wrk compete for the same CPU. ")
	}
	b.WriteString("Each proxy gets one CPU's worth of parallelism: GOMAXPROCS=1 for Busbar, goproxy and the backend, `worker_processes 1` for nginx, `nbthread 1` for haproxy.\n")
	fmt.Fprintf(&b, "- Load: `wrk -t1 -cN -d%s --timeout 10s` POSTing the payload (SOAP 1.1 `text/xml` or JSON) with a Lua script; each measured run follows a %s warm-up against the same peer and a probe request that must return 200 and the expected body. Peers run back to back per configuration, in reverse order every other round; every peer (and the backend) is started fresh for each round and delay.\n", o.Duration, o.Warmup)
	fmt.Fprintf(&b, "- Figures are medians over %d round(s). req/s counts only non-error answers. Latency percentiles are wrk's (no coordinated-omission correction).\n", o.Rounds)
	fmt.Fprintf(&b, "- CPU µs/req: user+system time of the process tree (nginx: master and worker) from `/proc/PID/stat` during the measured run (clock tick %d Hz), divided by the requests completed.\n", m.ClkTck)
	b.WriteString("- Backend: a Go echo server (`bench/echo`) answering with the request body; the delay column is its added latency. Payloads are exactly 1 KiB, 10 KiB and 100 KiB.\n")
	b.WriteString("- `req/s ÷ direct` compares with wrk talking to the backend itself, the ceiling for any proxy on this machine.\n\n")

	if line := cpu0Summary(rep.Runs); line != "" {
		b.WriteString(line)
	}
	b.WriteString("## Results\n\n")
	for _, s := range scenarios {
		t, usedRef := scenarioTable(s, rowsByKey)
		if t == "" {
			continue
		}
		fmt.Fprintf(&b, "### %s\n\n%s\n\n%s", s.Name, s.Note, t)
		if usedRef {
			b.WriteString("\n† nginx does not run this scenario; the ratio is to nginx's direct-proxy figure for the same payload size, conns and delay (plain proxying).\n")
		}
		b.WriteString("\n")
	}

	if fp := rep.Footprint; fp != nil {
		b.WriteString("## Footprint\n\n")
		if len(fp.StartupMS) > 0 {
			var each []string
			for _, v := range fp.StartupMS {
				each = append(each, fmt.Sprintf("%.0f", v))
			}
			fmt.Fprintf(&b, "- Busbar startup with %d APIs, each with its own endpoint: **%.0f ms** median from process start to the first 200 through one of them (starts: %s ms).\n",
				fp.StartupArtifacts, fp.StartupMedianMS, strings.Join(each, ", "))
		}
		if fp.StartupError != "" {
			fmt.Fprintf(&b, "- Busbar startup: error: %s\n", firstLine(fp.StartupError))
		}
		fmt.Fprintf(&b, "- RSS in MiB: idle is VmRSS %v after start with the bench deployment; loaded is the peak (VmHWM) after a %s direct-proxy load at %d connections with each payload, smallest first. nginx is master plus worker.\n\n",
			idleSettle, o.Duration, fp.LoadConns)
		var sizes []string
		for _, p := range fp.Peers {
			for _, l := range p.Loaded {
				if !slices.Contains(sizes, l.Payload) {
					sizes = append(sizes, l.Payload)
				}
			}
		}
		header := []string{"peer", "idle RSS"}
		right := []bool{false, true}
		for _, s := range sizes {
			header = append(header, "peak after "+s)
			right = append(right, true)
		}
		header = append(header, "errors")
		right = append(right, false)
		var cells [][]string
		for _, p := range fp.Peers {
			c := []string{p.Peer, "—"}
			if p.IdleRSSKB > 0 {
				c[1] = mib(p.IdleRSSKB)
			}
			for _, s := range sizes {
				v := "—"
				for _, l := range p.Loaded {
					if l.Payload == s {
						v = mib(l.HWMKB)
					}
				}
				c = append(c, v)
			}
			e := "0"
			if p.Error != "" {
				e = strings.ReplaceAll(tail(firstLine(p.Error), 160), "|", "\\|")
			}
			cells = append(cells, append(c, e))
		}
		b.WriteString(renderTable(header, right, cells))
	}
	return b.String()
}

// writeReport writes YYYY-MM-DD.md and .json into dir, each through a .tmp
// file so that an interrupted write never leaves half a result behind.
func writeReport(dir string, rep *report, md string) (string, string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return "", "", err
	}
	mdPath := filepath.Join(dir, rep.Date+".md")
	jsPath := filepath.Join(dir, rep.Date+".json")
	for path, data := range map[string][]byte{mdPath: []byte(md), jsPath: append(js, '\n')} {
		if err := os.WriteFile(path+".tmp", data, 0o644); err != nil {
			return "", "", err
		}
		if err := os.Rename(path+".tmp", path); err != nil {
			return "", "", err
		}
	}
	return mdPath, jsPath, nil
}
