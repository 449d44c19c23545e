package main

import (
	"strings"
	"testing"
	"time"
)

func TestRenderTable(t *testing.T) {
	got := renderTable([]string{"peer", "req/s"}, []bool{false, true}, [][]string{{"nginx", "12345"}, {"busbar", "9"}})
	want := "" +
		"| peer   | req/s |\n" +
		"| ------ | ----: |\n" +
		"| nginx  | 12345 |\n" +
		"| busbar |     9 |\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func fptr(v float64) *float64 { return &v }

func TestAggregateAndScenarioTable(t *testing.T) {
	mk := func(scen, peer string, round int, rps float64, p50, p99 int64, cpu *float64) runResult {
		return runResult{Round: round, Scenario: scen, Peer: peer, PayloadBytes: 1024, Conns: 50,
			Result: &wrkResult{P50US: p50, P99US: p99}, RPS: rps, ProxyCPUUSPerReq: cpu, BackendCPUUSPerReq: fptr(10)}
	}
	runs := []runResult{
		mk("direct-proxy", "direct", 0, 40000, 1000, 2000, nil),
		mk("direct-proxy", "direct", 1, 44000, 1000, 2000, nil),
		mk("direct-proxy", "direct", 2, 42000, 1000, 2000, nil),
		mk("direct-proxy", "nginx", 0, 20000, 2000, 4000, fptr(30)),
		mk("direct-proxy", "nginx", 1, 21000, 2000, 5000, fptr(31)),
		mk("direct-proxy", "nginx", 2, 19000, 2000, 6000, fptr(29)),
		mk("cbr-xpath", "direct", 0, 42000, 1000, 2000, nil),
		mk("cbr-xpath", "busbar", 0, 10000, 5000, 9000, fptr(80)),
		{Round: 1, Scenario: "cbr-xpath", Peer: "busbar", PayloadBytes: 1024, Conns: 50, Error: "probe: status 500: boom"},
	}
	runs[7].Result.ErrStatus = 4
	rows := aggregate(runs)
	n := rows[rowKey{"direct-proxy", "nginx", 1024, 50, 0}]
	if n.Rounds != 3 || n.RPS != 20000 || n.P99MS != 5 || *n.ProxyCPU != 30 {
		t.Fatalf("nginx row = %+v", n)
	}
	b := rows[rowKey{"cbr-xpath", "busbar", 1024, 50, 0}]
	if b.Rounds != 1 || len(b.Failures) != 1 || b.Errs.ErrStatus != 4 {
		t.Fatalf("busbar row = %+v", b)
	}

	s, _ := scenarioByName("direct-proxy")
	table, usedRef := scenarioTable(s, rows)
	if usedRef {
		t.Error("direct-proxy has its own nginx row; no dagger expected")
	}
	if !strings.Contains(table, "| 1k      |    50 | 0     | nginx  | 20000 |") || !strings.Contains(table, "0.48") {
		t.Errorf("direct-proxy table:\n%s", table)
	}

	s, _ = scenarioByName("cbr-xpath")
	table, usedRef = scenarioTable(s, rows)
	if !usedRef || !strings.Contains(table, "0.50†") || !strings.Contains(table, "0.24") {
		t.Errorf("cbr-xpath should compare with nginx's direct-proxy figure (10000/20000) and direct (10000/42000):\n%s", table)
	}
	if !strings.Contains(table, "non-2xx 4; round 2: probe: status 500: boom") {
		t.Errorf("errors column lacks the status errors and the probe failure:\n%s", table)
	}

	if _, ok := scenarioTable(scenario{Name: "nothing"}, rows); ok {
		t.Error("a scenario without rows should render nothing")
	}
}

func TestErrorCellEscapesPipes(t *testing.T) {
	r := &row{Failures: []string{"a | b\nc"}}
	if got := errorCell(r); got != `a \| b c` {
		t.Errorf("errorCell = %q", got)
	}
	if got := errorCell(&row{Delay: time.Second}); got != "0" {
		t.Errorf("errorCell of a clean row = %q", got)
	}
}

func TestAggregateSkipsSupersededAndShowsWarnings(t *testing.T) {
	runs := []runResult{
		{Scenario: "direct-proxy", Peer: "busbar", PayloadBytes: 1024, Conns: 50, Result: &wrkResult{}, RPS: 100, Warning: "stalled", Superseded: true},
		{Scenario: "direct-proxy", Peer: "busbar", PayloadBytes: 1024, Conns: 50, Result: &wrkResult{}, RPS: 9000},
		{Round: 1, Scenario: "direct-proxy", Peer: "busbar", PayloadBytes: 1024, Conns: 50, Result: &wrkResult{}, RPS: 500, Warning: "CPU 0 only 10% busy"},
	}
	r := aggregate(runs)[rowKey{"direct-proxy", "busbar", 1024, 50, 0}]
	if r.Rounds != 2 || r.RPS != (9000+500)/2.0 {
		t.Fatalf("row = %+v", r)
	}
	if got := errorCell(r); got != "round 2: warning: CPU 0 only 10% busy" {
		t.Errorf("errors = %q", got)
	}
}

func TestCPU0Summary(t *testing.T) {
	runs := []runResult{{CPU0Share: 0.9}, {CPU0Share: 0.5}, {CPU0Share: 1.0}, {CPU0Share: 0.1, Superseded: true}, {DelayMS: 30, CPU0Share: 0.05}}
	got := cpu0Summary(runs)
	if !strings.Contains(got, "median 90% of CPU 0 (lowest 50%)") {
		t.Errorf("summary = %q", got)
	}
	if cpu0Summary(nil) != "" {
		t.Error("no runs should give no summary")
	}
}
