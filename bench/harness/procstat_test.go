package main

import (
	"os"
	"testing"
)

func TestParseProcStat(t *testing.T) {
	// A command name with spaces and a ')' must not shift the fields.
	line := "4242 (nginx: a) b) S 4241 4242 4242 0 -1 4194560 1000 0 0 0 1234 567 0 0 20 0 1 0 100 12345678 900 18446744073709551615\n"
	s, err := parseProcStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	want := procStat{PID: 4242, Comm: "nginx: a) b", PPID: 4241, UTime: 1234, STime: 567}
	if s != want {
		t.Fatalf("got %+v, want %+v", s, want)
	}
	for _, bad := range []string{"", "12 (x S 1 2", "12 (x) S 1 2 3", "x (y) S 1 1 1 0 -1 0 0 0 0 0 1 2 0 0"} {
		if _, err := parseProcStat([]byte(bad)); err == nil {
			t.Errorf("parsed %q without error", bad)
		}
	}
}

func TestReadOwnStat(t *testing.T) {
	s, err := readProcStat(os.Getpid())
	if err != nil {
		t.Skip("no /proc:", err)
	}
	if s.PID != os.Getpid() || s.PPID != os.Getppid() {
		t.Fatalf("got %+v for pid %d", s, os.Getpid())
	}
}

func TestProcessTree(t *testing.T) {
	stats := []procStat{
		{PID: 1, PPID: 0}, {PID: 10, PPID: 1}, {PID: 11, PPID: 10, UTime: 5}, {PID: 12, PPID: 11, STime: 7}, {PID: 20, PPID: 1},
	}
	tree := processTree(10, stats)
	var pids []int
	for _, s := range tree {
		pids = append(pids, s.PID)
	}
	if len(pids) != 3 || pids[0] != 10 || pids[1] != 11 || pids[2] != 12 {
		t.Fatalf("tree of 10 = %v, want [10 11 12]", pids)
	}
	if processTree(99, stats) != nil {
		t.Error("a missing root should give no tree")
	}
}

func TestParseStatusKB(t *testing.T) {
	status := []byte("Name:\tbusbar\nVmPeak:\t  800000 kB\nVmHWM:\t   25600 kB\nVmRSS:\t   20480 kB\nThreads:\t5\n")
	if v, ok := parseStatusKB(status, "VmRSS"); !ok || v != 20480 {
		t.Errorf("VmRSS = %d %v", v, ok)
	}
	if v, ok := parseStatusKB(status, "VmHWM"); !ok || v != 25600 {
		t.Errorf("VmHWM = %d %v", v, ok)
	}
	if _, ok := parseStatusKB(status, "VmSwap"); ok {
		t.Error("found a key that is not there")
	}
}
