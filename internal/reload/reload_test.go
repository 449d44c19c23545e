package reload_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/busbar/busbar/internal/compile"
	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/reload"
	"github.com/busbar/busbar/internal/testkit"
)

type holder struct {
	mu sync.Mutex
	g  *engine.Graph
}

func (h *holder) Swap(g *engine.Graph) *engine.Graph {
	h.mu.Lock()
	defer h.mu.Unlock()
	old := h.g
	h.g = g
	return old
}

func (h *holder) Graph() *engine.Graph {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.g
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestHotReload: a change that compiles is swapped in; a broken change is
// reported and the previous version keeps serving; an unchanged folder
// never recompiles.
func TestHotReload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	api := filepath.Join(dir, "api", "A.xml")
	write(t, api, `<api xmlns="http://ws.apache.org/ns/synapse" name="A" context="/a"><resource><inSequence><drop/></inSequence></resource></api>`)
	h := &holder{}
	var mu sync.Mutex
	var results []bool
	w := &reload.Watcher{Path: dir, Interval: 10 * time.Millisecond, Registry: registry.Default, Options: testkit.DefaultOptions, Target: h, Log: testkit.Logger(t),
		OnReload: func(ok bool, _ *config.Diagnostics) { mu.Lock(); results = append(results, ok); mu.Unlock() }}
	w.Prime()
	g, diags := compile.Load(dir, registry.Default, testkit.DefaultOptions)
	if g == nil {
		t.Fatal(diags.Err())
	}
	h.Swap(g)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; _ = h.Graph().Close() })
	attempts := func() int { mu.Lock(); defer mu.Unlock(); return len(results) }

	write(t, filepath.Join(dir, "api", "B.xml"), `<api xmlns="http://ws.apache.org/ns/synapse" name="B" context="/b"><resource><inSequence><drop/></inSequence></resource></api>`)
	testkit.Eventually(t, 5*time.Second, func() bool { return len(h.Graph().APIs) == 2 }, "the new API to be served")

	good := h.Graph()
	write(t, api, `<api xmlns="http://ws.apache.org/ns/synapse" name="A" context="/a"><resource><inSequence><nonsense/></inSequence></resource></api>`)
	testkit.Eventually(t, 5*time.Second, func() bool { return attempts() >= 2 }, "the broken version to be tried")
	if h.Graph() != good {
		t.Fatal("a version that does not compile replaced the good one")
	}
	mu.Lock()
	if results[len(results)-1] {
		t.Fatal("the broken version was reported as loaded")
	}
	mu.Unlock()
}
