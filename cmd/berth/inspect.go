package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/berth-containers/berth/engine"
)

// errNoSuchObject: inspect without --type found neither a container nor an image.
var errNoSuchObject = errors.New("no such object")

type inspectFlags struct {
	format, kind string
	size, latest bool
}

// inspectCommand is `inspect` (typed with --type, containers first by default) or,
// with top false, `container inspect`.
func inspectCommand(g *globals, top bool) *cobra.Command {
	f := inspectFlags{kind: "container"}
	cmd := &cobra.Command{
		Use:   "inspect [options] NAME [NAME...]",
		Short: "Show containers (or images) in detail (JSON)",
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case f.kind != "all" && f.kind != "container" && f.kind != "image":
				return fmt.Errorf("--type %q: use container, image or all", f.kind)
			case f.latest && len(args) > 0:
				return errors.New("--latest and names cannot be used together")
			case !f.latest && len(args) == 0:
				return errors.New("name an object to inspect, or use --latest")
			}
			return g.withEngine(cmd.Context(), func(rt *engine.Runtime) error {
				if f.latest {
					c, err := rt.LatestContainer()
					if err != nil {
						return err
					}
					args, f.kind = []string{c.ID}, "container"
				}
				return f.run(cmd, rt, args)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.format, "format", "f", "json", "Go template or json")
	fl.BoolVarP(&f.size, "size", "s", false, "show the container's sizes (SizeRw, SizeRootFs)")
	fl.BoolVarP(&f.latest, "latest", "l", false, "inspect the latest created container")
	if top {
		f.kind = "all"
		fl.StringVarP(&f.kind, "type", "t", "all", "the kind of object: container, image or all")
	}
	return cmd
}

func (f *inspectFlags) run(cmd *cobra.Command, rt *engine.Runtime, names []string) error {
	ctx := cmd.Context()
	var out []any
	var errs []error
	for _, name := range names {
		var obj any
		var err error
		if f.kind != "image" {
			obj, err = rt.InspectContainer(ctx, name, f.size)
		}
		if f.kind == "image" || f.kind == "all" && errors.Is(err, engine.ErrNoSuchContainer) {
			obj, err = rt.InspectImage(ctx, name)
			if f.kind == "all" && errors.Is(err, engine.ErrNoSuchImage) {
				err = fmt.Errorf("%w: %q", errNoSuchObject, name)
			}
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, obj)
	}
	if err := writeInspect(cmd.OutOrStdout(), f.format, out); err != nil {
		return err
	}
	return lastError(errs, engine.ExitEngine)
}
