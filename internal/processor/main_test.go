package processor_test

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain fails the run if a processor goroutine outlives the tests:
// every graph is closed by its test, and Stop must end all of them.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leak := processorGoroutines(5 * time.Second); leak != "" {
			fmt.Fprintf(os.Stderr, "processor goroutines still running after the tests:\n%s\n", leak)
			code = 1
		}
	}
	os.Exit(code)
}

// processorGoroutines waits up to d for goroutines running processor code
// to end and returns the stacks of those left.
func processorGoroutines(d time.Duration) string {
	deadline := time.Now().Add(d)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var left []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "busbar/internal/processor.") && !strings.Contains(g, "processorGoroutines") {
				left = append(left, g)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return strings.Join(left, "\n\n")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
