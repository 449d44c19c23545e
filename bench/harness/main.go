// Command harness is the orchestrator of Busbar's side-by-side load
// benchmark (bench/run.sh builds and starts it). It starts an echo backend
// and, in turn, nginx, haproxy, a Go ReverseProxy and Busbar in front of it,
// all on loopback and pinned to one CPU next to the backend; it drives each
// with wrk pinned to another CPU through the scenarios of WSO2 Micro
// Integrator's published performance set, checks every peer with a probe
// request before loading it, charges each peer the CPU time it used per
// request, and writes the medians over several rounds as markdown and raw
// JSON. Every process it starts is stopped by PID, every load is bounded in
// time, and the whole run has a hard deadline.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

type options struct {
	quick     bool
	full      bool
	scenarios []string
	peers     []string
	payloads  []int
	conns     []int
	delays    []time.Duration
	duration  time.Duration
	warmup    time.Duration
	rounds    int
	out       string
	deadline  time.Duration
	bin       string
	artifacts string
	footprint bool
	startups  int
	keepTmp   bool
	dryRun    bool
	baseline  string
}

const usageIntro = `Usage: bash bench/run.sh [flags]   (or bench/.build/harness [flags] from the repository root)

Runs the side-by-side load benchmark: wrk -> {direct, nginx, haproxy, goproxy, busbar} -> echo backend,
for the scenarios direct-proxy, direct-api, header-routing, cbr-xpath, cbr-jsonpath, transform and
failover-dead-primary, after measuring Busbar's startup time and every proxy's memory. Results go to
OUT/YYYY-MM-DD.md and .json and the markdown is printed.

Default plan (about 35-40 minutes): direct-proxy gets every payload x conns x delay; the other scenarios
the first two payloads at the first conns and first delay, plus the first payload at the first conns with
each further delay (1k and 10k at 50/0, 1k at 50/30ms). -full gives every scenario the whole matrix.
-quick: 1 round of 3 s runs, 1k, 50 connections, no delay, all scenarios (about 2 minutes).

Flags:
`

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("harness", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var scen, peers, payloads, conns, delays string
	fs.BoolVar(&o.quick, "quick", false, "short smoke run: 1 round, 3 s runs, 1k, 50 conns, delay 0, all scenarios")
	fs.BoolVar(&o.full, "full", false, "give every scenario the full payload x conns x delay matrix (long)")
	fs.StringVar(&scen, "scenarios", "all", "comma-separated scenarios to run")
	fs.StringVar(&peers, "peers", strings.Join(defaultPeers, ","), "comma-separated peers to run (baseline needs -baseline)")
	fs.StringVar(&o.baseline, "baseline", "", "a second busbar binary, run as peer \"baseline\" wherever busbar runs (A/B of two builds)")
	fs.StringVar(&payloads, "payloads", "1k,10k,100k", "comma-separated payload sizes (1k, 10k, 100k or bytes)")
	fs.StringVar(&conns, "conns", "50,200", "comma-separated wrk connection counts")
	fs.StringVar(&delays, "delays", "0,30ms", "comma-separated backend delays")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "length of each measured run (whole seconds)")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "length of the warm-up run before each measured run (0 skips it)")
	fs.IntVar(&o.rounds, "rounds", 3, "rounds; each figure is the median over the rounds")
	fs.StringVar(&o.out, "out", "bench/results", "directory for YYYY-MM-DD.md and .json")
	fs.DurationVar(&o.deadline, "deadline", 0, "hard limit on the whole run; 0 means 1.5x the estimate plus 5 minutes")
	fs.StringVar(&o.bin, "bin", "bench/.build", "directory holding the built busbar, echo and goproxy")
	fs.StringVar(&o.artifacts, "artifacts", "bench/artifacts", "the Busbar deployment of the scenarios (with port placeholders)")
	fs.BoolVar(&o.footprint, "footprint", true, "measure Busbar's startup time and the peers' memory")
	fs.IntVar(&o.startups, "startups", 5, "Busbar starts to time for the startup figure")
	fs.BoolVar(&o.keepTmp, "keep-tmp", false, "keep the temporary directory (configs, logs) for inspection")
	fs.BoolVar(&o.dryRun, "dry-run", false, "print the planned runs and the estimate, start nothing")
	fs.Usage = func() {
		fmt.Fprint(stderr, usageIntro)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q (flags only; see -help)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.quick {
		// Quick only changes what the user did not choose explicitly.
		for name, v := range map[string]string{"payloads": "1k", "conns": "50", "delays": "0"} {
			if !set[name] {
				_ = fs.Set(name, v)
			}
		}
		payloads, conns, delays = fs.Lookup("payloads").Value.String(), fs.Lookup("conns").Value.String(), fs.Lookup("delays").Value.String()
		if !set["duration"] {
			o.duration = 3 * time.Second
		}
		if !set["rounds"] {
			o.rounds = 1
		}
	}
	var err error
	if scen == "all" {
		for _, s := range scenarios {
			o.scenarios = append(o.scenarios, s.Name)
		}
	} else if o.scenarios, err = splitList(scen, func(s string) (string, error) {
		s = strings.TrimSpace(s)
		if _, ok := scenarioByName(s); !ok {
			var names []string
			for _, s := range scenarios {
				names = append(names, s.Name)
			}
			return "", fmt.Errorf("unknown scenario %q (have %s)", s, strings.Join(names, ", "))
		}
		return s, nil
	}); err != nil {
		return o, err
	}
	if o.peers, err = splitList(peers, func(s string) (string, error) {
		s = strings.TrimSpace(s)
		if !slices.Contains(allPeers, s) {
			return "", fmt.Errorf("unknown peer %q (have %s)", s, strings.Join(allPeers, ", "))
		}
		return s, nil
	}); err != nil {
		return o, err
	}
	switch has := slices.Contains(o.peers, peerBaseline); {
	case o.baseline != "" && !has:
		o.peers = append(o.peers, peerBaseline)
	case o.baseline == "" && has:
		return o, errors.New("peer baseline needs -baseline PATH (a busbar binary)")
	}
	if o.baseline != "" {
		if o.baseline, err = filepath.Abs(o.baseline); err != nil {
			return o, err
		}
		if _, err := os.Stat(o.baseline); err != nil {
			return o, fmt.Errorf("-baseline: %v", err)
		}
	}
	if o.payloads, err = splitList(payloads, parseSize); err != nil {
		return o, err
	}
	if o.conns, err = splitList(conns, func(s string) (int, error) {
		var n int
		if _, err := fmt.Sscan(strings.TrimSpace(s), &n); err != nil || n < 1 {
			return 0, fmt.Errorf("bad connection count %q", s)
		}
		return n, nil
	}); err != nil {
		return o, err
	}
	if o.delays, err = splitList(delays, parseDelay); err != nil {
		return o, err
	}
	if o.duration < time.Second || o.warmup < 0 || o.rounds < 1 || o.startups < 1 {
		return o, errors.New("-duration must be at least 1s, -warmup not negative, -rounds and -startups at least 1")
	}
	return o, nil
}

func main() {
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "harness:", err)
		os.Exit(2)
	}
	os.Exit(run(o))
}

func (o options) planOptions() planOptions {
	return planOptions{Scenarios: o.scenarios, Peers: o.peers, Payloads: o.payloads, Conns: o.conns, Delays: o.delays, Rounds: o.rounds, Full: o.full}
}

func run(o options) int {
	started := time.Now()
	blocks := expandPlan(o.planOptions())
	if len(blocks) == 0 {
		fmt.Fprintln(os.Stderr, "harness: the selected scenarios and peers leave nothing to run")
		return 2
	}
	total := countRuns(blocks)
	est := estimate(blocks, o.duration, o.warmup)
	if o.footprint {
		est += footprintEstimate(o)
	}
	deadline := o.deadline
	if deadline == 0 {
		deadline = est*3/2 + 5*time.Minute
	}
	fmt.Fprintf(os.Stderr, "plan: %d measured runs in %d blocks (%d round(s), %s runs + %s warm-up each); estimated %s; hard deadline %s\n",
		total, len(blocks), o.rounds, o.duration, o.warmup, est.Round(time.Second), deadline.Round(time.Second))
	if o.dryRun {
		for _, b := range blocks {
			fmt.Printf("round %d, backend delay %s, peers %s:\n", b.Round+1, delayLabel(b.Delay), strings.Join(b.Peers, ","))
			for _, r := range b.Runs {
				fmt.Printf("  %s\n", r)
			}
		}
		return 0
	}
	if w := busyWarning(loadAvg()); w != "" {
		fmt.Fprintln(os.Stderr, "WARNING:", w)
	}

	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	ctx, stopSignals := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stopSignals()

	tmp, err := os.MkdirTemp("", "busbar-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "harness:", err)
		return 1
	}
	if o.keepTmp {
		fmt.Fprintln(os.Stderr, "temporary files kept in", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	if err := os.MkdirAll(filepath.Join(tmp, "logs"), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "harness:", err)
		return 1
	}

	pin := runtime.NumCPU() >= 2
	if !pin {
		fmt.Fprintf(os.Stderr, "WARNING: %d CPU usable; running unpinned, so the proxy, the backend and wrk compete for it and the figures are not comparable with pinned runs\n", runtime.NumCPU())
	}
	h := &harness{
		opts: o, tmp: tmp, bin: o.bin, ports: map[int]bool{}, clkTck: clockTicks(), pin: pin,
		scripts: map[string]payloadFiles{}, total: total,
	}
	h.sup = newSupervisor(filepath.Join(tmp, "logs"), pin)
	defer h.sup.stopAll()

	if err := h.prepare(); err != nil {
		fmt.Fprintln(os.Stderr, "harness:", err)
		return 1
	}
	rep := &report{
		Date: started.Format("2006-01-02"), Started: started, Command: append([]string{"bench/run.sh"}, os.Args[1:]...),
		Machine: describeMachine(filepath.Join(o.bin, "busbar"), pin, h.clkTck),
		Options: optionsJSON{Quick: o.quick, Full: o.full, Scenarios: o.scenarios, Peers: o.peers, Conns: o.conns,
			Duration: o.duration.String(), Warmup: o.warmup.String(), Rounds: o.rounds, PlannedRun: total},
	}
	for _, p := range o.payloads {
		rep.Options.Payloads = append(rep.Options.Payloads, sizeLabel(p))
	}
	for _, d := range o.delays {
		rep.Options.Delays = append(rep.Options.Delays, delayLabel(d))
	}

	if o.footprint {
		fp := h.measureFootprint(ctx, o.peers, o.payloads)
		rep.Footprint = &fp
	}
	for _, b := range blocks {
		if ctx.Err() != nil {
			break
		}
		h.runBlock(ctx, b)
	}
	h.sup.stopAll()

	if errors.Is(ctx.Err(), context.Canceled) {
		fmt.Fprintln(os.Stderr, "interrupted: all started processes stopped; no results written")
		return 130
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		rep.Incomplete = fmt.Sprintf("the %s deadline was reached after %d of %d runs", deadline.Round(time.Second), h.done, total)
		fmt.Fprintln(os.Stderr, "WARNING:", rep.Incomplete)
	}
	rep.Finished = time.Now()
	rep.Runs = h.runs
	rows := aggregate(h.runs)
	for _, r := range rows {
		rep.Rows = append(rep.Rows, r)
	}
	slices.SortFunc(rep.Rows, func(a, b *row) int {
		return strings.Compare(fmt.Sprintf("%s/%09d/%05d/%012d/%d", a.Scenario, a.Payload, a.Conns, a.Delay, slices.Index(allPeers, a.Peer)),
			fmt.Sprintf("%s/%09d/%05d/%012d/%d", b.Scenario, b.Payload, b.Conns, b.Delay, slices.Index(allPeers, b.Peer)))
	})
	md := markdown(rep, rows)
	mdPath, jsPath, err := writeReport(o.out, rep, md)
	if err != nil {
		fmt.Fprintln(os.Stderr, "harness: writing results:", err)
		fmt.Print(md)
		return 1
	}
	fmt.Print(md)
	fmt.Fprintf(os.Stderr, "\nwrote %s and %s in %s\n", mdPath, jsPath, time.Since(started).Round(time.Second))
	failed := 0
	for _, r := range h.runs {
		if !r.Superseded && (r.Error != "" || r.Warning != "" || r.Result != nil && r.Result.errorCount() > 0) {
			failed++
		}
	}
	if fp := rep.Footprint; fp != nil {
		if fp.StartupError != "" {
			failed++
		}
		for _, p := range fp.Peers {
			if p.Error != "" {
				failed++
			}
		}
	}
	if failed > 0 || rep.Incomplete != "" {
		fmt.Fprintf(os.Stderr, "%d run(s) or footprint measurement(s) had errors or warnings (see the errors columns)\n", failed)
		return 1
	}
	return 0
}

func footprintEstimate(o options) time.Duration {
	peers := 0
	for _, p := range o.peers {
		if p != peerDirect {
			peers++
		}
	}
	return time.Duration(o.startups)*time.Second + time.Duration(peers)*(idleSettle+time.Duration(len(o.payloads))*(o.duration+perRunOverhead))
}

// prepare checks the tools, picks the backend and dead ports, fills the
// placeholders of the Busbar artifacts into a temporary copy and has
// Busbar validate it: a scenario that does not compile must stop the run
// before anything is measured.
func (h *harness) prepare() error {
	need := []string{"wrk", "nginx", "haproxy"}
	if h.pin {
		need = append(need, "taskset")
	}
	for _, tool := range need {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s not found in PATH (bench/run.sh installs it)", tool)
		}
	}
	for _, prog := range []string{"busbar", "echo", "goproxy"} {
		if _, err := os.Stat(filepath.Join(h.bin, prog)); err != nil {
			return fmt.Errorf("%s is not built in %s (run bench/run.sh)", prog, h.bin)
		}
	}
	var err error
	if h.backendPort, err = pickPort(h.ports); err != nil {
		return err
	}
	if h.deadPort, err = pickPort(h.ports); err != nil {
		return err
	}
	h.deploy = filepath.Join(h.tmp, "deploy")
	if err := copyArtifacts(h.opts.artifacts, h.deploy, map[string]string{
		"@BACKEND_PORT@": fmt.Sprint(h.backendPort),
		"@DEAD_PORT@":    fmt.Sprint(h.deadPort),
	}); err != nil {
		return fmt.Errorf("preparing the artifacts: %v", err)
	}
	out, err := exec.Command(filepath.Join(h.bin, "busbar"), "validate", h.deploy).CombinedOutput()
	if err != nil {
		return fmt.Errorf("the bench deployment (%s) does not validate: %v\n%s", h.opts.artifacts, err, out)
	}
	fmt.Fprintf(os.Stderr, "artifacts: %s", out)
	return nil
}

// copyArtifacts copies the deployment tree, replacing the placeholders in
// every XML file.
func copyArtifacts(src, dst string, repl map[string]string) error {
	var pairs []string
	for k, v := range repl {
		pairs = append(pairs, k, v)
	}
	r := strings.NewReplacer(pairs...)
	return filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.HasSuffix(path, ".xml") {
			data = []byte(r.Replace(string(data)))
		}
		return os.WriteFile(target, data, 0o644)
	})
}
