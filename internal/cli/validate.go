package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/busbar/busbar/internal/compile"
	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/registry"
)

func newValidate(stdout, stderr io.Writer) *cobra.Command {
	var quiet bool
	cmd := &cobra.Command{
		Use:   "validate [PATH]",
		Short: "Load and compile a deployment without serving it; print every error and warning",
		Long: "validate reads PATH (an MI-layout deployment folder or a <definitions> file; default ./deployment),\n" +
			"compiles every artifact, mediator and expression, and prints each finding as file:line:col.\n" +
			"Exit status: 0 valid, 1 invalid, 2 usage error.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			path := deploymentArg(args)
			if err := exists(path); err != nil {
				return err
			}
			g, diags := compile.Load(path, registry.Default, engine.Options{GlobalTimeoutMS: 120000})
			report(stdout, diags, quiet)
			if g == nil {
				return exitCode{code: exitInvalid, msg: fmt.Sprintf("%s: invalid (%d errors, %d warnings)", path, len(diags.Errors()), len(diags.Warnings()))}
			}
			_ = g.Close()
			fmt.Fprintf(stdout, "%s: valid (%d APIs, %d proxy services, %d sequences, %d endpoints; %d warnings)\n",
				path, len(g.APIs), len(g.Proxies), len(g.Sequences), len(g.Endpoints), len(diags.Warnings()))
			return nil
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print errors only, not warnings")
	return cmd
}

func report(w io.Writer, diags *config.Diagnostics, errorsOnly bool) {
	for _, d := range diags.List {
		if errorsOnly && d.Severity == config.SevWarning {
			continue
		}
		fmt.Fprintln(w, d.String())
	}
}
