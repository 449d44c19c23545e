package main

import "testing"

func TestCPUInfo(t *testing.T) {
	info := "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n"
	if got := cpuModel(info); got != "AMD EPYC 7B13" {
		t.Errorf("cpuModel = %q", got)
	}
	if got := cpuCount(info); got != 2 {
		t.Errorf("cpuCount = %d", got)
	}
	if cpuModel("") != "unknown" {
		t.Error("empty cpuinfo should give unknown")
	}
}

func TestBusyWarning(t *testing.T) {
	if busyWarning("0.10 0.30 0.20") != "" {
		t.Error("an idle machine got a warning")
	}
	if busyWarning("1.84 0.95 0.47") == "" {
		t.Error("a busy machine got no warning")
	}
	if busyWarning("unknown") != "" {
		t.Error("an unreadable load average got a warning")
	}
}
