// Package cli implements the busbar command: run, validate, list,
// version, and ctl (the management API client). Commands are thin: they
// parse flags, load and compile through the same code path, and report
// every diagnostic with its position.
package cli

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/busbar/busbar/internal/registry"
)

// Version and Commit are set at build time with -ldflags; without them,
// Commit comes from the VCS stamp Go records in a build from a checkout.
var (
	Version = "dev"
	Commit  = "unknown"
)

func init() {
	if Commit != "unknown" {
		return
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		Commit = rev + dirty
	}
}

// Exit codes of validate and of usage errors.
const (
	exitOK      = 0
	exitInvalid = 1
	exitUsage   = 2
)

// Main runs the command line and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ec exitCode
	if asExit(err, &ec) {
		if ec.msg != "" {
			fmt.Fprintln(stderr, ec.msg)
		}
		return ec.code
	}
	fmt.Fprintln(stderr, "busbar:", err)
	return exitUsage
}

// exitCode carries a specific exit status out of a command.
type exitCode struct {
	code int
	msg  string
}

func (e exitCode) Error() string { return e.msg }

func asExit(err error, target *exitCode) bool {
	ec, ok := err.(exitCode)
	if ok {
		*target = ec
	}
	return ok
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "busbar",
		Short: "Busbar: an integration runtime for Synapse (WSO2 Micro Integrator) configurations",
		Long: "Busbar serves a WSO2 Micro Integrator deployment folder of Synapse XML artifacts (APIs, proxy services,\n" +
			"sequences, endpoints) over HTTP, with error handling that classifies every failure and never leaves a client waiting.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newRun(stdout, stderr), newValidate(stdout, stderr), newVersion(stdout), newList(stdout), newCtl(stdout))
	return root
}

func newVersion(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and Go version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(stdout, "busbar %s (commit %s, %s, %s/%s)\n", Version, Commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}

func newList(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the mediators and endpoint kinds this build supports",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			for _, k := range []registry.Kind{registry.KindMediator, registry.KindEndpoint} {
				fmt.Fprintf(stdout, "%ss:\n", k)
				for _, e := range registry.Default.Walk(k) {
					status := ""
					if e.Spec.Status == registry.StatusUnsupported {
						status = " (not supported yet)"
					}
					fmt.Fprintf(stdout, "  %-20s %s%s\n", e.Spec.Element, firstSentence(e.Spec.Summary), status)
				}
			}
			return nil
		},
	}
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}

func deploymentArg(args []string) string {
	if len(args) == 1 {
		return args[0]
	}
	return "./deployment"
}

func exists(path string) error {
	if _, err := os.Stat(path); err != nil {
		return exitCode{code: exitUsage, msg: fmt.Sprintf("busbar: cannot read deployment %s: %v", path, err)}
	}
	return nil
}
