package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// machine describes where the figures come from; without it they cannot
// be compared with anything.
type machine struct {
	CPUModel string `json:"cpu_model"`
	CPUs     int    `json:"cpus"`
	Online   int    `json:"cpus_online"`
	LoadAvg  string `json:"loadavg_at_start"`
	Kernel   string `json:"kernel"`
	Go       string `json:"go"`
	Nginx    string `json:"nginx"`
	HAProxy  string `json:"haproxy"`
	Wrk      string `json:"wrk"`
	Busbar   string `json:"busbar"`
	Pinned   bool   `json:"pinned"`
	ClkTck   int    `json:"clk_tck"`
}

func cpuModel(cpuinfo string) string {
	for line := range strings.SplitSeq(cpuinfo, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func cpuCount(cpuinfo string) int {
	n := 0
	for line := range strings.SplitSeq(cpuinfo, "\n") {
		if k, _, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "processor" {
			n++
		}
	}
	return n
}

// commandLine runs a version command and keeps the first non-empty line of
// its output (nginx and wrk print to stderr, and wrk -v exits non-zero).
func commandLine(argv ...string) string {
	out, _ := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	for line := range strings.SplitSeq(string(out), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			return line
		}
	}
	return "unknown"
}

func describeMachine(busbarBin string, pinned bool, clk int) machine {
	m := machine{CPUs: runtime.NumCPU(), Pinned: pinned, ClkTck: clk, CPUModel: "unknown", Kernel: "unknown"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.CPUModel = cpuModel(string(b))
		m.Online = cpuCount(string(b))
	}
	m.LoadAvg = loadAvg()
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	m.Go = commandLine("go", "version")
	if m.Go == "unknown" {
		m.Go = runtime.Version() + " (harness build)"
	}
	m.Nginx = commandLine("nginx", "-v")
	m.HAProxy = commandLine("haproxy", "-v")
	m.Wrk = commandLine("wrk", "-v")
	m.Busbar = commandLine(busbarBin, "version")
	return m
}

// loadAvg is the first three fields of /proc/loadavg. Other work on the
// machine during a run skews every figure, so it is recorded next to them.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// busyWarning says whether the machine looks busy before the run starts:
// a one-minute load average above half a CPU means something else is
// running.
func busyWarning(load string) string {
	f := strings.Fields(load)
	if len(f) == 0 {
		return ""
	}
	var one float64
	if _, err := fmt.Sscan(f[0], &one); err != nil || one <= 0.5 {
		return ""
	}
	return fmt.Sprintf("the load average was %s when the run started: other work on the machine skews the figures", load)
}
