package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"go.podman.io/common/pkg/report"

	"github.com/berth-containers/berth/engine"
)

// artifact pull, push, add, ls, inspect, rm, extract: podman's OCI artifact commands.
func init() { families = append(families, addArtifactCommands) }

func addArtifactCommands(root *cobra.Command, g *globals) {
	art := &cobra.Command{Use: "artifact", Short: "Manage OCI artifacts", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	art.AddCommand(artifactPullCommand(g), artifactPushCommand(g), artifactAddCommand(g), artifactListCommand(g),
		artifactInspectCommand(g), artifactRemoveCommand(g), artifactExtractCommand(g))
	root.AddCommand(art)
}

// interruptibleEngine runs fn on an engine opened for one command; SIGINT and SIGTERM
// cancel the command's context.
func (g *globals) interruptibleEngine(cmd *cobra.Command, fn func(rt *engine.Runtime) error) error {
	ctx, cancel := interruptible(cmd.Context())
	defer cancel()
	cmd.SetContext(ctx)
	rt, err := g.openEngine(ctx)
	if err != nil {
		return err
	}
	defer closeEngine(rt)
	return fn(rt)
}

func artifactPullCommand(g *globals) *cobra.Command {
	var pf pullFlags
	cmd := &cobra.Command{
		Use:   "pull [options] ARTIFACT",
		Short: "Pull an artifact from a registry into the local store",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var o engine.PullOptions
			if err := pf.registryOptions(cmd, &o); err != nil {
				return err
			}
			o.DecryptionKeys = pf.decryptionKeys
			return g.interruptibleEngine(cmd, func(rt *engine.Runtime) error {
				d, err := rt.PullArtifact(cmd.Context(), args[0], o)
				if err == nil && !o.Quiet {
					fmt.Fprintln(cmd.OutOrStdout(), d.Encoded())
				}
				return err
			})
		},
	}
	f := cmd.Flags()
	pf.registryFlags(f)
	f.StringArrayVar(&pf.decryptionKeys, "decryption-key", nil, "KEY[:PASSPHRASE] that decrypts encrypted layers")
	f.BoolVarP(&pf.quiet, "quiet", "q", false, "print nothing")
	return cmd
}

func artifactPushCommand(g *globals) *cobra.Command {
	var pf pullFlags
	cmd := &cobra.Command{
		Use:   "push [options] ARTIFACT [DESTINATION]",
		Short: "Push a local artifact to a registry",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var o engine.PullOptions
			if err := pf.registryOptions(cmd, &o); err != nil {
				return err
			}
			dest := ""
			if len(args) == 2 {
				dest = args[1]
			}
			return g.interruptibleEngine(cmd, func(rt *engine.Runtime) error {
				_, err := rt.PushArtifact(cmd.Context(), args[0], dest, o)
				return err
			})
		},
	}
	pf.registryFlags(cmd.Flags())
	cmd.Flags().BoolVarP(&pf.quiet, "quiet", "q", false, "print no progress")
	return cmd
}

func artifactAddCommand(g *globals) *cobra.Command {
	var (
		o           engine.ArtifactAddOptions
		annotations []string
	)
	cmd := &cobra.Command{
		Use:   "add [options] ARTIFACT FILE [FILE...]",
		Short: "Make an artifact of local files",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Append && o.Type != "" {
				return fmt.Errorf("--append cannot be used with --type")
			}
			if o.Append && o.Replace {
				return fmt.Errorf("--append cannot be used with --replace")
			}
			o.Annotations = map[string]string{}
			for _, a := range annotations {
				k, v, ok := strings.Cut(a, "=")
				if !ok || k == "" {
					return fmt.Errorf("--annotation %q: use KEY=VALUE", a)
				}
				o.Annotations[k] = v
			}
			return g.interruptibleEngine(cmd, func(rt *engine.Runtime) error {
				d, err := rt.AddArtifact(cmd.Context(), args[0], args[1:], o)
				if err == nil {
					fmt.Fprintln(cmd.OutOrStdout(), d.Encoded())
				}
				return err
			})
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&annotations, "annotation", nil, "KEY=VALUE annotation of each file")
	f.StringVar(&o.Type, "type", "", "the artifact's type")
	f.StringVar(&o.FileType, "file-type", "", "the files' media type (detected by default)")
	f.BoolVarP(&o.Append, "append", "a", false, "add the files to an existing artifact")
	f.BoolVar(&o.Replace, "replace", false, "replace an artifact of the same name")
	return cmd
}

// artifactRow is one line of `artifact ls`.
type artifactRow struct {
	Repository, Tag, Digest, Size string
	VirtualSize                   int64
}

func artifactListCommand(g *globals) *cobra.Command {
	var (
		format             string
		noTrunc, noHeading bool
	)
	cmd := &cobra.Command{
		Use:     "ls [options]",
		Aliases: []string{"list"},
		Short:   "List local artifacts",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.interruptibleEngine(cmd, func(rt *engine.Runtime) error {
				list, err := rt.ListArtifacts(cmd.Context())
				if err != nil {
					return err
				}
				if report.IsJSON(format) {
					return writeJSON(cmd.OutOrStdout(), list)
				}
				rows := make([]artifactRow, 0, len(list))
				for _, a := range list {
					d := a.Digest.Encoded()
					if !noTrunc {
						d = d[:12]
					}
					rows = append(rows, artifactRow{Repository: a.Repository(), Tag: a.Tag(), Digest: d,
						Size: humanSize(a.TotalSizeBytes), VirtualSize: a.TotalSizeBytes})
				}
				return writeRows(cmd.OutOrStdout(), format, "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.Size}}", !noHeading, rows)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "", "Go template or json")
	f.BoolVar(&noTrunc, "no-trunc", false, "do not truncate digests")
	f.BoolVarP(&noHeading, "noheading", "n", false, "do not print the header")
	return cmd
}

// writeRows prints rows through a table template (def when format is empty).
func writeRows[T any](w io.Writer, format, def string, headers bool, rows []T) error {
	if format == "" {
		format = def
	}
	rpt, err := report.New(w, "list").Parse(report.OriginUser, format)
	if err != nil {
		return fmt.Errorf("--format: %w", err)
	}
	if rpt.RenderHeaders && headers {
		var zero T
		if err := rpt.Execute(report.Headers(zero, nil)); err != nil {
			return err
		}
	}
	if err := rpt.Execute(rows); err != nil {
		return fmt.Errorf("--format: %w", err)
	}
	return rpt.Flush()
}

func artifactInspectCommand(g *globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "inspect [options] ARTIFACT",
		Short: "Show a local artifact (JSON)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.interruptibleEngine(cmd, func(rt *engine.Runtime) error {
				a, err := rt.InspectArtifact(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if report.IsJSON(format) || format == "" {
					return writeJSON(cmd.OutOrStdout(), a)
				}
				return executeTemplate(cmd.OutOrStdout(), format, []*engine.Artifact{a})
			})
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "json", "Go template or json")
	return cmd
}

func artifactRemoveCommand(g *globals) *cobra.Command {
	var all, ignore bool
	cmd := &cobra.Command{
		Use:     "rm [options] ARTIFACT [ARTIFACT...]",
		Aliases: []string{"remove"},
		Short:   "Remove local artifacts",
		Args:    namesOrAll("artifact", &all),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.interruptibleEngine(cmd, func(rt *engine.Runtime) error {
				if all {
					list, err := rt.ListArtifacts(cmd.Context())
					if err != nil {
						return err
					}
					for _, a := range list {
						args = append(args, a.Digest.Encoded())
					}
				}
				var errs []error
				for _, name := range args {
					d, err := rt.RemoveArtifact(cmd.Context(), name)
					if errors.Is(err, engine.ErrNoSuchArtifact) && ignore {
						continue
					}
					if err != nil {
						errs = append(errs, err)
						continue
					}
					fmt.Fprintln(cmd.OutOrStdout(), "Deleted:", d.Encoded())
				}
				return lastError(errs, engine.ExitEngine)
			})
		},
	}
	cmd.Flags().BoolVarP(&all, "all", "a", false, "remove every artifact")
	cmd.Flags().BoolVarP(&ignore, "ignore", "i", false, "ignore artifacts that do not exist")
	return cmd
}

func artifactExtractCommand(g *globals) *cobra.Command {
	var title, digest string
	cmd := &cobra.Command{
		Use:   "extract [options] ARTIFACT TARGET",
		Short: "Copy an artifact's files to a file or folder",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if title != "" && digest != "" {
				return fmt.Errorf("--title and --digest cannot be used together")
			}
			return g.interruptibleEngine(cmd, func(rt *engine.Runtime) error {
				return rt.ExtractArtifact(cmd.Context(), args[0], args[1], title, digest)
			})
		},
	}
	cmd.Flags().StringVar(&title, "title", "", "extract only the file with this title")
	cmd.Flags().StringVar(&digest, "digest", "", "extract only the file with this digest")
	return cmd
}
