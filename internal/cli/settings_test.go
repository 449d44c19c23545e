package cli

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// TestSettingsPrecedence: flags win over BUSBAR_* variables, which win
// over busbar.toml, which wins over the defaults.
func TestSettingsPrecedence(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "busbar.toml"), []byte("http-port = 9001\nlog_format = \"json\"\nglobal-timeout = \"30s\"\nmgmt-port = 9002\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BUSBAR_MGMT_PORT", "9003")
	t.Setenv("BUSBAR_LOG_LEVEL", "debug")
	var s Settings
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	s.register(fs)
	if err := fs.Parse([]string{"--log-level", "warn"}); err != nil {
		t.Fatal(err)
	}
	if err := applyDefaults(fs, dir); err != nil {
		t.Fatal(err)
	}
	if s.HTTPPort != 9001 || s.LogFormat != "json" || s.GlobalTimeout != 30*time.Second || s.MgmtPort != 9003 || s.LogLevel != "warn" || s.MaxBody != "10MiB" {
		t.Fatalf("settings %+v", s)
	}
	t.Setenv("BUSBAR_HTTP_PORT", "not-a-port")
	fs = pflag.NewFlagSet("run", pflag.ContinueOnError)
	s.register(fs)
	if err := applyDefaults(fs, dir); err == nil {
		t.Fatal("a bad environment value was accepted")
	}
}

func TestParseSize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{"10MiB": 10 << 20, "512KiB": 512 << 10, "1MB": 1e6, "123": 123, "2GiB": 2 << 30} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v", in, got, err)
		}
	}
	if _, err := parseSize("ten"); err == nil {
		t.Error("parseSize accepted nonsense")
	}
}
