package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func allScenarioNames() []string {
	var names []string
	for _, s := range scenarios {
		names = append(names, s.Name)
	}
	return names
}

func defaultPlan(rounds int) planOptions {
	return planOptions{
		Scenarios: allScenarioNames(), Peers: defaultPeers,
		Payloads: []int{1024, 10240, 102400}, Conns: []int{50, 200}, Delays: []time.Duration{0, 30 * time.Millisecond},
		Rounds: rounds,
	}
}

func TestDefaultPlanCounts(t *testing.T) {
	blocks := expandPlan(defaultPlan(1))
	// direct-proxy: 12 configs x 5 peers; direct-api 3 x 5; header-routing
	// 3 x 4; cbr-xpath, cbr-jsonpath, transform 3 x 2; failover 3 x 4.
	if got, want := countRuns(blocks), 60+15+12+6+6+6+12; got != want {
		t.Fatalf("runs per round = %d, want %d", got, want)
	}
	if len(blocks) != 2 {
		t.Fatalf("blocks per round = %d, want one per delay", len(blocks))
	}
	three := expandPlan(defaultPlan(3))
	if countRuns(three) != 3*117 || len(three) != 6 {
		t.Fatalf("3 rounds: %d runs in %d blocks", countRuns(three), len(three))
	}
	if est := estimate(three, 5*time.Second, time.Second); est < 30*time.Minute || est > 45*time.Minute {
		t.Errorf("default estimate %v is outside the 30-45 minute budget", est)
	}
}

func TestReducedConfigs(t *testing.T) {
	o := defaultPlan(1)
	s, _ := scenarioByName("cbr-xpath")
	got := configsFor(s, o)
	want := []config{{1024, 50, 0}, {10240, 50, 0}, {1024, 50, 30 * time.Millisecond}}
	if !slices.Equal(got, want) {
		t.Fatalf("cbr-xpath configs = %v, want %v", got, want)
	}
	o.Full = true
	if n := len(configsFor(s, o)); n != 12 {
		t.Fatalf("-full gives %d configs, want 12", n)
	}
	p, _ := scenarioByName("direct-proxy")
	if n := len(configsFor(p, defaultPlan(1))); n != 12 {
		t.Fatalf("direct-proxy gets %d configs, want the full 12", n)
	}
}

func TestQuickPlan(t *testing.T) {
	o := planOptions{Scenarios: allScenarioNames(), Peers: defaultPeers, Payloads: []int{1024}, Conns: []int{50}, Delays: []time.Duration{0}, Rounds: 1}
	blocks := expandPlan(o)
	if len(blocks) != 1 || countRuns(blocks) != 5+5+4+2+2+2+4 {
		t.Fatalf("quick plan: %d blocks, %d runs", len(blocks), countRuns(blocks))
	}
	if est := estimate(blocks, 3*time.Second, time.Second); est > 4*time.Minute {
		t.Errorf("quick estimate %v is too long", est)
	}
}

func TestPeerOrderAlternates(t *testing.T) {
	o := defaultPlan(2)
	o.Scenarios = []string{"direct-proxy"}
	o.Payloads, o.Conns, o.Delays = []int{1024}, []int{50}, []time.Duration{0}
	blocks := expandPlan(o)
	var r0, r1 []string
	for _, r := range blocks[0].Runs {
		r0 = append(r0, r.Peer)
	}
	for _, r := range blocks[1].Runs {
		r1 = append(r1, r.Peer)
	}
	if !slices.Equal(r0, defaultPeers) {
		t.Errorf("round 1 order %v", r0)
	}
	slices.Reverse(r1)
	if !slices.Equal(r1, defaultPeers) {
		t.Errorf("round 2 is not the reverse order: %v", r1)
	}
}

func TestPeerFilter(t *testing.T) {
	o := defaultPlan(1)
	o.Peers = []string{peerBusbar, peerNginx}
	o.Scenarios = []string{"cbr-jsonpath", "header-routing"}
	for _, b := range expandPlan(o) {
		for _, r := range b.Runs {
			if r.Peer != peerBusbar && r.Peer != peerNginx {
				t.Fatalf("unexpected peer in %v", r)
			}
			if r.Scenario == "cbr-jsonpath" && r.Peer == peerNginx {
				t.Fatalf("nginx does not run cbr-jsonpath: %v", r)
			}
		}
		if !slices.Contains(b.Peers, peerBusbar) {
			t.Errorf("block peers %v", b.Peers)
		}
	}
}

func TestParseFlagsQuick(t *testing.T) {
	o, err := parseFlags([]string{"-quick", "-scenarios", "direct-proxy,transform"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.rounds != 1 || o.duration != 3*time.Second || !slices.Equal(o.payloads, []int{1024}) || !slices.Equal(o.conns, []int{50}) || !slices.Equal(o.delays, []time.Duration{0}) {
		t.Fatalf("quick options %+v", o)
	}
	if !slices.Equal(o.scenarios, []string{"direct-proxy", "transform"}) {
		t.Fatalf("scenarios %v", o.scenarios)
	}
	o, err = parseFlags([]string{"-quick", "-payloads", "10k", "-rounds", "2"}, nil)
	if err != nil || !slices.Equal(o.payloads, []int{10240}) || o.rounds != 2 {
		t.Fatalf("explicit flags should win over -quick: %+v %v", o, err)
	}
	for _, bad := range [][]string{{"-scenarios", "nope"}, {"-peers", "envoy"}, {"-payloads", "big"}, {"-delays", "-1s"}, {"-conns", "0"}, {"extra"}} {
		if _, err := parseFlags(bad, nil); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestSizesAndDelays(t *testing.T) {
	for s, want := range map[string]int{"1k": 1024, "10K": 10240, "100k": 102400, "1m": 1 << 20, "512": 512} {
		if got, err := parseSize(s); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v", s, got, err)
		}
	}
	for n, want := range map[int]string{1024: "1k", 102400: "100k", 1 << 20: "1m", 700: "700B"} {
		if got := sizeLabel(n); got != want {
			t.Errorf("sizeLabel(%d) = %q, want %q", n, got, want)
		}
	}
	if d, err := parseDelay("0"); err != nil || d != 0 || delayLabel(d) != "0" {
		t.Errorf("delay 0: %v %v", d, err)
	}
	if d, err := parseDelay("30ms"); err != nil || delayLabel(d) != "30ms" {
		t.Errorf("delay 30ms: %v %v", d, err)
	}
	if l, err := splitList("1k, 1k,10k", parseSize); err != nil || !slices.Equal(l, []int{1024, 10240}) {
		t.Errorf("splitList dedupe: %v %v", l, err)
	}
}

func TestUnrouted(t *testing.T) {
	h, _ := scenarioByName("header-routing")
	body := []byte("x")
	if b, hdrs := h.Unrouted(body, h.Headers); string(b) != "x" || len(hdrs) != 0 {
		t.Errorf("header-routing unrouted request keeps headers %v", hdrs)
	}
	for _, name := range []string{"cbr-xpath", "cbr-jsonpath"} {
		s, _ := scenarioByName(name)
		var in []byte
		if s.Kind == kindJSON {
			in = jsonPayload(1024)
		} else {
			in, _ = soapPayload(1024)
		}
		out, _ := s.Unrouted(in, nil)
		if len(out) != len(in) || !strings.Contains(string(out), "XYZ") || strings.Count(string(out), "IBM") != strings.Count(string(in), "IBM")-1 {
			t.Errorf("%s: routed symbol not replaced", name)
		}
	}
	for _, name := range []string{"direct-proxy", "direct-api", "transform", "failover-dead-primary"} {
		if s, _ := scenarioByName(name); s.Unrouted != nil {
			t.Errorf("%s does not route but has an unrouted probe", name)
		}
	}
}

func TestBaselinePeer(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "busbar-old")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	o, err := parseFlags([]string{"-quick", "-baseline", bin}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(o.peers, peerBaseline) || o.baseline != bin {
		t.Fatalf("-baseline should add the baseline peer: %v %q", o.peers, o.baseline)
	}
	busbar, baseline := 0, 0
	for _, b := range expandPlan(o.planOptions()) {
		for _, r := range b.Runs {
			switch r.Peer {
			case peerBusbar:
				busbar++
			case peerBaseline:
				baseline++
			}
		}
	}
	if busbar != len(scenarios) || baseline != busbar {
		t.Errorf("baseline runs %d, busbar runs %d: the baseline should run wherever busbar does", baseline, busbar)
	}
	if _, err := parseFlags([]string{"-peers", "busbar,baseline"}, nil); err == nil {
		t.Error("peer baseline accepted without -baseline")
	}
	if _, err := parseFlags([]string{"-baseline", filepath.Join(t.TempDir(), "missing")}, nil); err == nil {
		t.Error("a missing -baseline binary accepted")
	}
	if o, err := parseFlags([]string{"-peers", "nginx,busbar", "-baseline", bin}, nil); err != nil || !slices.Equal(o.peers, []string{peerNginx, peerBusbar, peerBaseline}) {
		t.Errorf("-baseline should join the peers given: %v %v", o.peers, err)
	}
}
