package compile_test

import (
	"strings"
	"testing"

	"github.com/busbar/busbar/internal/compile"
	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/testkit"
)

// TestDiagnostics compiles each configuration in testdata/diagnostics and
// compares every error and warning, with its position and element path,
// against the golden text.
func TestDiagnostics(t *testing.T) {
	t.Parallel()
	testkit.Golden(t, "testdata/diagnostics", func(t *testing.T, a *testkit.Archive) string {
		input, ok := a.Get("input.xml")
		if !ok {
			t.Fatal("no input.xml section")
		}
		dep, diags := config.LoadBytes("input.xml", []byte(input))
		_, cd := compile.Compile(dep, registry.Default, testkit.DefaultOptions)
		diags.Add(cd.List...)
		diags.Sort()
		var b strings.Builder
		for _, d := range diags.List {
			b.WriteString(d.String())
			b.WriteString("\n")
		}
		return b.String()
	})
}
