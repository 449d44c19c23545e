package cli_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/busbar/busbar/internal/cli"
	_ "github.com/busbar/busbar/internal/standard"
)

func TestVersion(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	if code := cli.Main([]string{"version"}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "busbar ") || !strings.Contains(out.String(), "go1.") {
		t.Fatalf("exit %d, out %q, err %q", code, out.String(), errb.String())
	}
}

// TestValidate: exit 0 for the bundled example, 1 with every error and its
// position for a broken deployment, 2 for a usage error.
func TestValidate(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	if code := cli.Main([]string{"validate", "../../examples/quickstart"}, &out, &errb); code != 0 {
		t.Fatalf("quickstart: exit %d\n%s%s", code, out.String(), errb.String())
	}
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "sequences", "s.xml"), "<sequence xmlns=\"http://ws.apache.org/ns/synapse\" name=\"s\">\n  <lgo/>\n  <filter xpath=\"//a[\"/>\n</sequence>\n")
	out.Reset()
	errb.Reset()
	code := cli.Main([]string{"validate", dir}, &out, &errb)
	if code != 1 {
		t.Fatalf("broken: exit %d", code)
	}
	for _, want := range []string{"s.xml:2:3: error: sequence[s]/lgo[1]: unknown mediator <lgo> (did you mean <log>?)", "s.xml:3:11: error: sequence[s]/filter[2]: invalid XPath"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("validate output lacks %q:\n%s", want, out.String())
		}
	}
	if code := cli.Main([]string{"validate", filepath.Join(dir, "nope")}, &out, &errb); code != 2 {
		t.Fatalf("missing path: exit %d", code)
	}
}

func mustWrite(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// buildBinary compiles cmd/busbar once per test binary.
var buildOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "busbar-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "busbar")
	out, err := exec.Command("go", "build", "-o", bin, "../../cmd/busbar").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// started runs the binary and waits for its "busbar started" JSON line,
// returning the HTTP and management addresses.
func started(t *testing.T, args ...string) (cmd *exec.Cmd, httpAddr, mgmtAddr string, logs *syncBuf) {
	t.Helper()
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	logs = &syncBuf{}
	found := make(chan map[string]any, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			logs.Write(line + "\n")
			var m map[string]any
			if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "busbar started" {
				found <- m
			}
		}
	}()
	select {
	case m := <-found:
		return cmd, fmt.Sprint(m["http"]), fmt.Sprint(m["management"]), logs
	case <-time.After(20 * time.Second):
		t.Fatalf("busbar did not start:\n%s", logs.String())
	}
	return nil, "", "", nil
}

// TestRunDrainsOnSIGTERM: the real binary serves a deployment, and SIGTERM
// during an in-flight request lets that request finish before exiting 0.
func TestRunDrainsOnSIGTERM(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"slow":true}`)
	}))
	defer backend.Close()
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "api", "slow.xml"), fmt.Sprintf(`<api xmlns="http://ws.apache.org/ns/synapse" name="slow" context="/slow">
  <resource methods="GET"><inSequence><log level="custom"><property name="step" value="calling"/></log><call><endpoint><address uri="%s/x"/></endpoint></call><respond/></inSequence></resource>
</api>`, backend.URL))
	cmd, httpAddr, mgmtAddr, logs := started(t, "run", "--http-port", "0", "--http-bind", "127.0.0.1", "--mgmt-port", "0", "--log-format", "json", "--data-dir", t.TempDir(), dir)

	resp, err := http.Get("http://" + mgmtAddr + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()

	type result struct {
		status int
		body   string
		err    error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + httpAddr + "/slow")
		if err != nil {
			res <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		res <- result{status: resp.StatusCode, body: string(b)}
	}()
	<-arrived
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Give the signal time to reach Busbar while the request is held.
	waitFor(t, func() bool { return strings.Contains(logs.String(), "shutting down") })
	close(release)
	r := <-res
	if r.err != nil || r.status != 200 || r.body != `{"slow":true}` {
		t.Fatalf("in-flight request: %+v\n%s", r, logs.String())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, logs.String())
	}
	// Every log line about a message names the message and the artifact.
	var line map[string]any
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "step = calling") {
			_ = json.Unmarshal([]byte(l), &line)
		}
	}
	if id, _ := line["msgId"].(string); !strings.HasPrefix(id, "urn:uuid:") || line["artifact"] != "api[slow]" {
		t.Fatalf("log line %v\n%s", line, logs.String())
	}
}

// TestDefinitionsFile: PATH may be one <definitions> file; list prints the
// registry.
func TestDefinitionsFile(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "synapse.xml")
	mustWrite(t, file, `<definitions xmlns="http://ws.apache.org/ns/synapse"><api name="a" context="/a"><resource><inSequence><drop/></inSequence></resource></api></definitions>`)
	var out, errb bytes.Buffer
	if code := cli.Main([]string{"validate", file}, &out, &errb); code != 0 || !strings.Contains(out.String(), "valid (1 APIs") {
		t.Fatalf("exit %d: %s%s", code, out.String(), errb.String())
	}
	out.Reset()
	if code := cli.Main([]string{"list"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "payloadFactory") || !strings.Contains(out.String(), "clone") {
		t.Fatalf("list: %d %s", code, out.String())
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// syncBuf collects log lines from the process's stderr reader goroutine.
type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.WriteString(line)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestTuneGC(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	cli.TuneGC(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != cli.DefaultGCPercent {
		t.Errorf("without GOGC the collector target is %d, want %d", got, cli.DefaultGCPercent)
	}
	cli.TuneGC(func(k string) string {
		if k == "GOGC" {
			return "50"
		}
		return ""
	})
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("a GOGC the user set was overridden: target %d", got)
	}
}
