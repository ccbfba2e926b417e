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

func init() { families = append(families, addVolumeCommands) }

func addVolumeCommands(root *cobra.Command, g *globals) {
	volume := &cobra.Command{Use: "volume", Short: "Manage volumes", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	volume.AddCommand(volumeCreateCommand(g), volumeRemoveCommand(g), volumeListCommand(g),
		volumeInspectCommand(g), volumeExistsCommand(g), volumePruneCommand(g),
		volumeMountCommand(g), volumeUnmountCommand(g))
	root.AddCommand(volume)
}

func volumeCreateCommand(g *globals) *cobra.Command {
	var o engine.VolumeCreateOptions
	var labels, opts []string
	var uid, gid int
	cmd := &cobra.Command{
		Use:   "create [options] [NAME]",
		Short: "Create a volume",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.Name = args[0]
			}
			var err error
			if o.Labels, err = keyValues("--label", labels); err != nil {
				return err
			}
			if o.Options, err = volumeOpts(opts); err != nil {
				return err
			}
			if cmd.Flags().Changed("uid") {
				o.UID = &uid
			}
			if cmd.Flags().Changed("gid") {
				o.GID = &gid
			}
			rt, err := g.openEngine(cmd.Context())
			if err != nil {
				return err
			}
			defer closeEngine(rt)
			v, err := rt.CreateVolume(cmd.Context(), o)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), v.Name)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Driver, "driver", "d", "local", "volume driver (local or image)")
	f.StringArrayVarP(&labels, "label", "l", nil, "set a label (key=value)")
	f.StringArrayVarP(&opts, "opt", "o", nil,
		"driver option: type=, device=, o= (as mount(8), and uid=, gid=, nocopy), [no]copy; image= for --driver image")
	f.IntVar(&uid, "uid", 0, "owner of the volume (not passed to mount)")
	f.IntVar(&gid, "gid", 0, "group of the volume (not passed to mount)")
	f.BoolVar(&o.Ignore, "ignore", false, "do not fail if the volume exists (its options stay)")
	return cmd
}

// volumeOpts reads --opt KEY[=VALUE]; several o= are joined, as mount(8) options.
func volumeOpts(list []string) (map[string]string, error) {
	if len(list) == 0 {
		return nil, nil
	}
	m := map[string]string{}
	for _, kv := range list {
		k, v, _ := strings.Cut(kv, "=")
		if k == "" {
			return nil, fmt.Errorf("--opt %q: no key", kv)
		}
		if old, ok := m[k]; ok && k == "o" {
			v = old + "," + v
		}
		m[k] = v
	}
	return m, nil
}

// Exit codes of volume rm, as podman's.
const (
	exitNoSuchVolume = 1
	exitVolumeInUse  = 2
)

func volumeRemoveCommand(g *globals) *cobra.Command {
	var force, all bool
	cmd := &cobra.Command{
		Use:     "rm [options] VOLUME [VOLUME...]",
		Aliases: []string{"remove"},
		Short:   "Remove volumes",
		Args:    namesOrAll("volume", &all),
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := g.openEngine(cmd.Context())
			if err != nil {
				return err
			}
			defer closeEngine(rt)
			if all {
				list, err := rt.ListVolumes(nil)
				if err != nil {
					return err
				}
				for _, v := range list {
					args = append(args, v.Name)
				}
			}
			var errs []error
			code := engine.ExitEngine
			for _, name := range args {
				err := rt.RemoveVolume(cmd.Context(), name, force)
				switch {
				case err == nil:
					fmt.Fprintln(cmd.OutOrStdout(), name)
					continue
				case errors.Is(err, engine.ErrNoSuchVolume):
					code = exitNoSuchVolume
				case errors.Is(err, engine.ErrVolumeInUse):
					code = exitVolumeInUse
				default:
					code = engine.ExitEngine
				}
				errs = append(errs, err)
			}
			return lastError(errs, code)
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "remove the containers that use the volume first")
	cmd.Flags().BoolVarP(&all, "all", "a", false, "remove every volume")
	return cmd
}

// volumeRow is what volume ls templates see.
type volumeRow struct {
	*engine.VolumeInspect
}

// Label is {{.Label "key"}}.
func (r volumeRow) Label(name string) string { return r.Labels[name] }

func volumeListCommand(g *globals) *cobra.Command {
	var filters []string
	var format string
	var quiet, noHeading bool
	cmd := &cobra.Command{
		Use:     "ls [options]",
		Aliases: []string{"list"},
		Short:   "List volumes",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fl, err := engine.ParseVolumeFilters(filters)
			if err != nil {
				return err
			}
			rt, err := g.openEngine(cmd.Context())
			if err != nil {
				return err
			}
			defer closeEngine(rt)
			list, err := rt.ListVolumes(fl)
			if err != nil {
				return err
			}
			data := rt.InspectVolumes(list)
			w := cmd.OutOrStdout()
			switch {
			case quiet:
				for _, v := range data {
					fmt.Fprintln(w, v.Name)
				}
				return nil
			case report.IsJSON(format):
				return writeJSON(w, data)
			}
			return writeVolumeTable(w, format, noHeading, data)
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&filters, "filter", "f", nil, "filter (name=, label=, label!=, driver=, dangling=, until=)")
	f.StringVar(&format, "format", "", "Go template or json")
	f.BoolVarP(&quiet, "quiet", "q", false, "print only the volume names")
	f.BoolVarP(&noHeading, "noheading", "n", false, "do not print the header")
	return cmd
}

func writeVolumeTable(w io.Writer, format string, noHeading bool, data []*engine.VolumeInspect) error {
	if format == "" {
		format = "table {{.Driver}}\t{{.Name}}"
	}
	rpt, err := report.New(w, "volumes").Parse(report.OriginUser, format)
	if err != nil {
		return fmt.Errorf("--format: %w", err)
	}
	if rpt.RenderHeaders && !noHeading {
		hdrs := report.Headers(engine.VolumeInspect{}, map[string]string{"Name": "VOLUME NAME"})
		if err := rpt.Execute(hdrs); err != nil {
			return err
		}
	}
	rows := make([]volumeRow, len(data))
	for i, v := range data {
		rows[i] = volumeRow{v}
	}
	if err := rpt.Execute(rows); err != nil {
		return fmt.Errorf("--format: %w", err)
	}
	return rpt.Flush()
}

func volumeInspectCommand(g *globals) *cobra.Command {
	var format string
	var all bool
	cmd := &cobra.Command{
		Use:   "inspect [options] VOLUME [VOLUME...]",
		Short: "Show volumes in detail (JSON)",
		Args:  namesOrAll("volume", &all),
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := g.openEngine(cmd.Context())
			if err != nil {
				return err
			}
			defer closeEngine(rt)
			out := []*engine.VolumeInspect{}
			var errs []error
			if all {
				list, err := rt.ListVolumes(nil)
				if err != nil {
					return err
				}
				out = rt.InspectVolumes(list)
			}
			for _, name := range args {
				v, err := rt.InspectVolume(name)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				out = append(out, v)
			}
			w := cmd.OutOrStdout()
			if report.IsJSON(format) || format == "" {
				if err := writeJSON(w, out); err != nil {
					return err
				}
			} else if err := executeTemplate(w, format, out); err != nil {
				return err
			}
			return lastError(errs, engine.ExitEngine)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "json", "Go template or json")
	cmd.Flags().BoolVarP(&all, "all", "a", false, "inspect every volume")
	return cmd
}

func volumeExistsCommand(g *globals) *cobra.Command {
	return existsCommand(g, "exists VOLUME", "Exit 0 if a volume exists, 1 if not",
		(*engine.Runtime).VolumeExists)
}

func volumePruneCommand(g *globals) *cobra.Command {
	var force bool
	var filters []string
	cmd := &cobra.Command{
		Use:   "prune [options]",
		Short: "Remove every volume that no container uses",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fl, err := engine.ParseVolumeFilters(filters)
			if err != nil {
				return err
			}
			if !force && !confirmPrune(cmd, "volumes") {
				return nil
			}
			rt, err := g.openEngine(cmd.Context())
			if err != nil {
				return err
			}
			defer closeEngine(rt)
			removed, err := rt.PruneVolumes(cmd.Context(), fl)
			for _, name := range removed {
				fmt.Fprintln(cmd.OutOrStdout(), name)
			}
			return err
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "do not ask for confirmation")
	cmd.Flags().StringArrayVar(&filters, "filter", nil, "filter (label=, label!=, name=, driver=, until=)")
	return cmd
}

func volumeMountCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "mount VOLUME [VOLUME...]",
		Short: "Mount a volume's file system and print where it is",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := g.openEngine(cmd.Context())
			if err != nil {
				return err
			}
			defer closeEngine(rt)
			var errs []error
			for _, name := range args {
				dir, err := rt.MountVolume(cmd.Context(), name)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintln(cmd.OutOrStdout(), dir)
			}
			return lastError(errs, engine.ExitEngine)
		},
	}
}

func volumeUnmountCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "unmount VOLUME [VOLUME...]",
		Aliases: []string{"umount"},
		Short:   "Unmount a volume's file system once nothing else uses it",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := g.openEngine(cmd.Context())
			if err != nil {
				return err
			}
			defer closeEngine(rt)
			var errs []error
			for _, name := range args {
				if err := rt.UnmountVolume(cmd.Context(), name); err != nil {
					errs = append(errs, err)
				}
			}
			return lastError(errs, engine.ExitEngine)
		},
	}
}
