package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/docker/go-units"
	"github.com/spf13/cobra"
	"go.podman.io/common/pkg/report"

	"github.com/berth-containers/berth/engine"
)

// imageRow is one line of `images`: one per repository and tag. Its fields are what
// podman's --format templates use.
type imageRow struct {
	Repository, Tag, ID, Digest      string
	Created, CreatedSince, CreatedAt string
	CreatedTime                      string
	Size                             string
	ReadOnly, Dangling               bool
	Containers                       int
	Labels                           map[string]string
	History                          string
	Names                            []string
	image                            engine.ImageSummary
}

type listFlags struct {
	format                                  string
	filters                                 []string
	quiet, all, noTrunc, noHeading, digests bool
}

func listCommand(g *globals, use string, aliases ...string) *cobra.Command {
	var lf listFlags
	cmd := &cobra.Command{
		Use:     use + " [options] [IMAGE]",
		Aliases: aliases,
		Short:   "List local images",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				lf.filters = append(lf.filters, "reference="+args[0])
			}
			rt, err := g.openEngine(cmd.Context())
			if err != nil {
				return err
			}
			defer closeEngine(rt)
			imgs, err := rt.ListImages(cmd.Context(), engine.ListOptions{All: lf.all, Filters: lf.filters})
			if err != nil {
				return err
			}
			return lf.write(cmd.OutOrStdout(), imgs)
		},
	}
	f := cmd.Flags()
	f.StringVar(&lf.format, "format", "", "Go template or json")
	f.StringArrayVarP(&lf.filters, "filter", "f", nil, "filter (reference=, dangling=, label=, before=, since=, id=)")
	f.BoolVarP(&lf.quiet, "quiet", "q", false, "print only the image IDs")
	f.BoolVarP(&lf.all, "all", "a", false, "show intermediate images too")
	f.BoolVar(&lf.noTrunc, "no-trunc", false, "do not truncate IDs")
	f.BoolVarP(&lf.noHeading, "noheading", "n", false, "do not print the header")
	f.BoolVar(&lf.digests, "digests", false, "show digests")
	return cmd
}

func (lf *listFlags) write(w io.Writer, imgs []engine.ImageSummary) error {
	switch {
	case lf.quiet:
		seen := map[string]bool{}
		for _, img := range imgs {
			if !seen[img.ID] {
				seen[img.ID] = true
				fmt.Fprintln(w, lf.id(img.ID))
			}
		}
		return nil
	case report.IsJSON(lf.format):
		return writeJSON(w, imgs)
	}
	format := lf.format
	if format == "" {
		format = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Created}}\t{{.Size}}"
		if lf.digests {
			format = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.Created}}\t{{.Size}}"
		}
	}
	rpt, err := report.New(w, "images").Parse(report.OriginUser, format)
	if err != nil {
		return fmt.Errorf("--format: %w", err)
	}
	if rpt.RenderHeaders && !lf.noHeading {
		hdrs := report.Headers(imageRow{}, map[string]string{"ID": "IMAGE ID"})
		if err := rpt.Execute(hdrs); err != nil {
			return err
		}
	}
	if err := rpt.Execute(lf.rows(imgs)); err != nil {
		return fmt.Errorf("--format: %w", err)
	}
	return rpt.Flush()
}

func (lf *listFlags) id(id string) string {
	if lf.noTrunc {
		return "sha256:" + id
	}
	return id[:min(12, len(id))]
}

// rows gives each image one row per repository:tag, or one <none> row.
func (lf *listFlags) rows(imgs []engine.ImageSummary) []imageRow {
	var rows []imageRow
	now := time.Now()
	for _, img := range imgs {
		base := imageRow{
			ID: lf.id(img.ID), Digest: img.Digest, ReadOnly: img.ReadOnly, Dangling: img.Dangling,
			Containers: img.Containers, Labels: img.Labels, Names: img.Names,
			History:   strings.Join(img.History, ", "),
			Created:   units.HumanDuration(now.Sub(img.CreatedAt)) + " ago",
			CreatedAt: img.CreatedAt.String(), CreatedTime: img.CreatedAt.String(),
			Size: humanSize(img.Size), image: img,
		}
		base.CreatedSince = base.Created
		if len(img.RepoTags) == 0 {
			base.Repository, base.Tag = "<none>", "<none>"
			rows = append(rows, base)
			continue
		}
		for _, rt := range img.RepoTags {
			r := base
			r.Repository, r.Tag = splitRepoTag(rt)
			rows = append(rows, r)
		}
	}
	return rows
}

// splitRepoTag splits "host:port/name:tag" at the tag's colon, not the port's.
func splitRepoTag(s string) (repo, tag string) {
	i := strings.LastIndex(s, ":")
	if i < 0 || strings.Contains(s[i:], "/") {
		return s, "<none>"
	}
	return s[:i], s[i+1:]
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "    ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

func inspectImageCommand(g *globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "inspect [options] IMAGE [IMAGE...]",
		Short: "Show local images in detail (JSON)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := g.openEngine(cmd.Context())
			if err != nil {
				return err
			}
			defer closeEngine(rt)
			var out []*engine.ImageData
			var errs []error
			for _, name := range args {
				d, err := rt.InspectImage(cmd.Context(), name)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				out = append(out, d)
			}
			if err := writeInspect(cmd.OutOrStdout(), format, out); err != nil {
				return err
			}
			return lastError(errs, engine.ExitEngine)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "json", "Go template or json")
	return cmd
}

var idField = regexp.MustCompile(`\.Id\b`)

// lastError prints all errors but the last as podman does, one "Error:" line each,
// and returns the last with the given exit code.
func lastError(errs []error, code int) error {
	if len(errs) == 0 {
		return nil
	}
	for _, err := range errs[:len(errs)-1] {
		fmt.Fprintln(os.Stderr, "Error:", err)
	}
	return &engine.ExitError{Code: code, Err: errs[len(errs)-1]}
}

func existsImageCommand(g *globals) *cobra.Command {
	return existsCommand(g, "exists IMAGE", "Exit 0 if a local image exists, 1 if not",
		(*engine.Runtime).ImageExists)
}

func removeCommand(g *globals, use string, aliases ...string) *cobra.Command {
	var o engine.RemoveOptions
	cmd := &cobra.Command{
		Use:     use + " [options] IMAGE [IMAGE...]",
		Aliases: aliases,
		Short:   "Remove local images",
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.All == (len(args) > 0) {
				if o.All {
					return fmt.Errorf("when using the --all switch, you may not pass any images names or IDs")
				}
				return fmt.Errorf("image name or ID must be specified")
			}
			rt, err := g.openEngine(cmd.Context())
			if err != nil {
				return err
			}
			defer closeEngine(rt)
			rep, err := rt.RemoveImages(cmd.Context(), args, o)
			w := cmd.OutOrStdout()
			for _, u := range rep.Untagged {
				fmt.Fprintln(w, "Untagged:", u)
			}
			for _, d := range rep.Deleted {
				fmt.Fprintln(w, "Deleted:", d)
			}
			return removeError(err)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.Force, "force", "f", false, "remove the containers that use the images too")
	f.BoolVarP(&o.All, "all", "a", false, "remove every image")
	f.BoolVarP(&o.Ignore, "ignore", "i", false, "ignore images that do not exist")
	return cmd
}

// removeError gives podman rmi's exit status: 1 when only missing images failed, 2
// when an image is in use, 125 otherwise.
func removeError(err error) error {
	if err == nil {
		return nil
	}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	code := 1
	for _, e := range errs {
		switch {
		case errors.Is(e, engine.ErrImageInUse):
			code = max(code, 2)
		case !errors.Is(e, engine.ErrNoSuchImage):
			code = engine.ExitEngine
		}
	}
	return lastError(errs, code)
}

// humanSize is podman's: "2.13 MB", a space between number and unit.
func humanSize(n int64) string {
	s := units.HumanSizeWithPrecision(float64(n), 3)
	i := strings.LastIndexFunc(s, unicode.IsDigit)
	return s[:i+1] + " " + s[i+1:]
}
