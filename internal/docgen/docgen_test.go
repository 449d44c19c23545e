package docgen_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/busbar/busbar/internal/docgen"
	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/testkit"
)

// TestReferenceUpToDate fails when docs/reference does not match the
// registry; run `go test ./internal/docgen -update` to regenerate.
func TestReferenceUpToDate(t *testing.T) {
	for rel, want := range docgen.Files(registry.Default) {
		path := filepath.Join("..", "..", "docs", rel)
		if *testkit.Update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != want {
			t.Errorf("%s is stale; run: go test ./internal/docgen -update", path)
		}
	}
}
