package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"go.podman.io/common/pkg/report"

	"github.com/berth-containers/berth/engine"
)

// Output and argument helpers that the image, volume and container families share,
// so that their --format, exists and --all behaviour cannot drift apart.

// writeInspect prints inspect documents as a JSON array ("[]" for none), or each
// through a Go template.
func writeInspect[T any](w io.Writer, format string, data []T) error {
	if report.IsJSON(format) || format == "" {
		if data == nil {
			data = []T{}
		}
		return writeJSON(w, data)
	}
	// The JSON key is "Id", the Go field ID: podman accepts both in templates.
	format = idField.ReplaceAllString(format, ".ID")
	return executeTemplate(w, format, data)
}

// executeTemplate runs a user's --format template over data; its errors name the flag.
func executeTemplate(w io.Writer, format string, data any) error {
	rpt, err := report.New(w, "inspect").Parse(report.OriginUser, format)
	if err != nil {
		return fmt.Errorf("--format: %w", err)
	}
	if err := rpt.Execute(data); err != nil {
		return fmt.Errorf("--format: %w", err)
	}
	return rpt.Flush()
}

// existsCommand is "exists NAME": exit 0 if the object exists, 1 if not, as podman's.
func existsCommand(g *globals, use, short string, exists func(rt *engine.Runtime, name string) (bool, error)) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := g.openEngine(cmd.Context())
			if err != nil {
				return err
			}
			defer closeEngine(rt)
			ok, err := exists(rt, args[0])
			if err != nil {
				return err
			}
			if !ok {
				return &engine.ExitError{Code: 1}
			}
			return nil
		},
	}
}

// namesOrAll accepts one or more names, or --all alone (read when the command runs).
func namesOrAll(what string, all *bool) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if *all == (len(args) > 0) {
			return fmt.Errorf("give one or more %s names, or --all (not both)", what)
		}
		return nil
	}
}

// confirmPrune asks, as podman's prune commands do without --force, whether to remove
// every unused object of a kind; only "y" or "yes" on standard input says so.
func confirmPrune(cmd *cobra.Command, kind string) bool {
	fmt.Fprintf(cmd.OutOrStdout(), "WARNING! This will remove all %s not used by at least one container.\n"+
		"Are you sure you want to continue? [y/N] ", kind)
	answer, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	a := strings.ToLower(strings.TrimSpace(answer))
	return a == "y" || a == "yes"
}
