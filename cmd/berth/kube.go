package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-containers/berth/engine"
)

// kube play, kube down (and podman's older play kube): refused as a whole. Running
// Kubernetes YAML means pods, a service container and a mapping of most of the pod
// spec; a partial one would run something other than what the YAML says, so berth
// says plainly that it has none, and .kube units stay a job for podman.
func init() { families = append(families, addKubeCommands) }

func addKubeCommands(root *cobra.Command, g *globals) {
	kube := &cobra.Command{Use: "kube", Short: "Play Kubernetes YAML (not supported by berth)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	for _, verb := range []string{"play", "down", "generate", "apply"} {
		kube.AddCommand(kubeRefusal(verb, "kube "+verb))
	}
	play := &cobra.Command{Use: "play", Short: "Play Kubernetes YAML (not supported by berth)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	play.AddCommand(kubeRefusal("kube", "play kube"))
	root.AddCommand(kube, play)
}

// kubeRefusal is a command that takes any arguments and fails with one clear line.
func kubeRefusal(use, name string) *cobra.Command {
	return &cobra.Command{
		Use:                use + " [options] ...",
		Short:              "Not supported by berth: Kubernetes YAML",
		DisableFlagParsing: true,
		RunE: func(_ *cobra.Command, args []string) error {
			what := "Kubernetes YAML"
			for _, a := range args {
				if !strings.HasPrefix(a, "-") && (strings.HasSuffix(a, ".yaml") || strings.HasSuffix(a, ".yml")) {
					what = a
					break
				}
			}
			return fmt.Errorf("%s %s: berth does not run Kubernetes YAML (.kube units), use podman for them or write .pod and .container units: %w",
				name, what, engine.ErrUnsupported)
		},
	}
}
