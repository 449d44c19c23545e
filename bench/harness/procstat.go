package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// procStat is the part of /proc/PID/stat the harness needs.
type procStat struct {
	PID   int
	Comm  string
	PPID  int
	UTime uint64 // clock ticks
	STime uint64
}

// parseProcStat parses one /proc/PID/stat line. The command name is in
// parentheses and may itself contain spaces and ')', so the fields are
// counted from the last ')'.
func parseProcStat(b []byte) (procStat, error) {
	open := bytes.IndexByte(b, '(')
	closing := bytes.LastIndexByte(b, ')')
	if open < 0 || closing < open {
		return procStat{}, fmt.Errorf("malformed stat line %q", b)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b[:open])))
	if err != nil {
		return procStat{}, fmt.Errorf("stat pid: %v", err)
	}
	f := strings.Fields(string(b[closing+1:]))
	// After the comm: state(0) ppid(1) pgrp session tty tpgid flags minflt
	// cminflt majflt cmajflt utime(11) stime(12).
	if len(f) < 13 {
		return procStat{}, fmt.Errorf("stat line has %d fields after comm, want at least 13", len(f))
	}
	ppid, err1 := strconv.Atoi(f[1])
	ut, err2 := strconv.ParseUint(f[11], 10, 64)
	st, err3 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return procStat{}, fmt.Errorf("stat fields not numeric: %q", b)
	}
	return procStat{PID: pid, Comm: string(b[open+1 : closing]), PPID: ppid, UTime: ut, STime: st}, nil
}

func readProcStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	return parseProcStat(b)
}

// allProcStats reads every process's stat; processes that exit while the
// directory is being read are skipped.
func allProcStats() []procStat {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	out := make([]procStat, 0, len(dirs))
	for _, d := range dirs {
		b, err := os.ReadFile(d + "/stat")
		if err != nil {
			continue
		}
		if s, err := parseProcStat(b); err == nil {
			out = append(out, s)
		}
	}
	return out
}

// processTree returns root and all its descendants (nginx's master and
// workers; a Go program is a single process).
func processTree(root int, stats []procStat) []procStat {
	children := map[int][]procStat{}
	var self *procStat
	for i, s := range stats {
		children[s.PPID] = append(children[s.PPID], s)
		if s.PID == root {
			self = &stats[i]
		}
	}
	if self == nil {
		return nil
	}
	out := []procStat{*self}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i].PID]...)
	}
	return out
}

// treeTicks is the user+system CPU time of root and its descendants, in
// clock ticks. It fails when root is gone, so a crashed peer cannot
// produce a CPU figure of zero.
func treeTicks(root int) (uint64, error) {
	tree := processTree(root, allProcStats())
	if len(tree) == 0 {
		return 0, fmt.Errorf("process %d is gone", root)
	}
	var sum uint64
	for _, s := range tree {
		sum += s.UTime + s.STime
	}
	return sum, nil
}

func treePIDs(root int) []int {
	var pids []int
	for _, s := range processTree(root, allProcStats()) {
		pids = append(pids, s.PID)
	}
	return pids
}

// parseStatusKB returns a "Key:   123 kB" value of /proc/PID/status in KiB.
func parseStatusKB(status []byte, key string) (int64, bool) {
	for line := range strings.SplitSeq(string(status), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		if !ok || name != key {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return 0, false
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		return n, err == nil
	}
	return 0, false
}

// treeStatusKB sums a status value over root's process tree (for nginx,
// master plus worker; shared pages are counted in each, as ps would).
func treeStatusKB(root int, key string) (int64, error) {
	pids := treePIDs(root)
	if len(pids) == 0 {
		return 0, fmt.Errorf("process %d is gone", root)
	}
	var sum int64
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			return 0, err
		}
		v, ok := parseStatusKB(b, key)
		if !ok {
			return 0, fmt.Errorf("no %s in /proc/%d/status", key, pid)
		}
		sum += v
	}
	return sum, nil
}

// clockTicks is USER_HZ, the unit of utime and stime. It is 100 on every
// mainstream Linux build; getconf is asked anyway so an unusual kernel does
// not silently skew every CPU figure.
func clockTicks() int {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(out))); err == nil && n > 0 {
			return n
		}
	}
	return 100
}
