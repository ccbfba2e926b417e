package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"go.podman.io/common/pkg/report"

	"github.com/berth-containers/berth/engine"
)

func init() { families = append(families, addNetworkCommands) }

func addNetworkCommands(root *cobra.Command, g *globals) {
	network := &cobra.Command{Use: "network", Short: "Manage networks", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	network.AddCommand(networkCreateCommand(g), networkRemoveCommand(g), networkListCommand(g),
		networkInspectCommand(g), networkExistsCommand(g), networkPruneCommand(g))
	root.AddCommand(network)
}

func networkCreateCommand(g *globals) *cobra.Command {
	var o engine.NetworkCreateOptions
	var labels, opts []string
	cmd := &cobra.Command{
		Use:   "create [options] [NAME]",
		Short: "Create a network",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.Name = args[0]
			}
			var err error
			if o.Labels, err = keyValues("--label", labels); err != nil {
				return err
			}
			if o.Options, err = keyValues("--opt", opts); err != nil {
				return err
			}
			rt, err := g.openEngine(cmd.Context())
			if err != nil {
				return err
			}
			defer closeEngine(rt)
			n, err := rt.CreateNetwork(o)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), n.Name)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Driver, "driver", "d", "bridge", "network driver: bridge, macvlan or ipvlan")
	f.StringArrayVar(&o.Subnets, "subnet", nil, "subnet in CIDR notation (repeatable)")
	f.StringArrayVar(&o.Gateways, "gateway", nil, "gateway of the subnet of the same rank")
	f.StringArrayVar(&o.IPRanges, "ip-range", nil, "addresses to give out in the subnet of the same rank: CIDR or FIRST-LAST")
	f.BoolVar(&o.Internal, "internal", false, "no route out of the network")
	f.BoolVar(&o.IPv6, "ipv6", false, "dual stack: an IPv6 subnet too")
	f.BoolVar(&o.DisableDNS, "disable-dns", false, "no name resolution (aardvark-dns) on the network")
	f.StringSliceVar(&o.DNS, "dns", nil, "DNS servers that aardvark-dns forwards to")
	f.StringArrayVarP(&opts, "opt", "o", nil, "driver option: mtu=, isolate=, metric=, mode=, parent=")
	f.StringArrayVar(&labels, "label", nil, "set a label (key=value)")
	f.StringVar(&o.Interface, "interface-name", "", "the bridge's name, or the parent interface of macvlan and ipvlan")
	f.StringVar(&o.IPAMDriver, "ipam-driver", "", "address management: host-local (default) or none")
	f.BoolVar(&o.Ignore, "ignore", false, "do not fail if the network exists (it stays as it is)")
	return cmd
}

// Exit codes of network rm, as podman's.
const (
	exitNoSuchNetwork = 1
	exitNetworkInUse  = 2
)

func networkRemoveCommand(g *globals) *cobra.Command {
	var o engine.RemoveNetworkOptions
	var timeout uint
	cmd := &cobra.Command{
		Use:     "rm [options] NETWORK [NETWORK...]",
		Aliases: []string{"remove"},
		Short:   "Remove networks",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("time") {
				if !o.Force {
					return fmt.Errorf("--time needs --force")
				}
				o.Timeout = &timeout
			}
			rt, err := g.openEngine(cmd.Context())
			if err != nil {
				return err
			}
			defer closeEngine(rt)
			var errs []error
			code := engine.ExitEngine
			for _, name := range args {
				err := rt.RemoveNetwork(cmd.Context(), name, o)
				switch {
				case err == nil:
					fmt.Fprintln(cmd.OutOrStdout(), name)
					continue
				case errors.Is(err, engine.ErrNoSuchNetwork):
					code = exitNoSuchNetwork
				case errors.Is(err, engine.ErrNetworkInUse):
					code = exitNetworkInUse
				default:
					code = engine.ExitEngine
				}
				errs = append(errs, err)
			}
			return lastError(errs, code)
		},
	}
	cmd.Flags().BoolVarP(&o.Force, "force", "f", false, "remove the containers that use the network first")
	cmd.Flags().UintVarP(&timeout, "time", "t", 10, "seconds to wait for those containers to stop (with --force)")
	return cmd
}

// networkRow is what network ls templates see.
type networkRow struct {
	engine.Network
	noTrunc bool
}

// ID is the network's ID, 12 digits unless --no-trunc.
func (r networkRow) ID() string {
	if r.noTrunc {
		return r.Network.ID
	}
	return r.Network.ID[:12]
}

// Label is {{.Label "key"}}.
func (r networkRow) Label(name string) string { return r.Labels[name] }

func networkListCommand(g *globals) *cobra.Command {
	var filters []string
	var format string
	var quiet, noHeading, noTrunc bool
	cmd := &cobra.Command{
		Use:     "ls [options]",
		Aliases: []string{"list"},
		Short:   "List networks",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rt, err := g.openEngine(cmd.Context())
			if err != nil {
				return err
			}
			defer closeEngine(rt)
			list, err := rt.ListNetworks(filters)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			switch {
			case quiet:
				for _, n := range list {
					fmt.Fprintln(w, n.Name)
				}
				return nil
			case report.IsJSON(format):
				if list == nil {
					list = []engine.Network{}
				}
				return writeJSON(w, list)
			}
			return writeNetworkTable(w, format, noHeading, noTrunc, list)
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&filters, "filter", "f", nil, "filter (name=, id=, driver=, label=, label!=, until=, dangling=)")
	f.StringVar(&format, "format", "", "Go template or json")
	f.BoolVarP(&quiet, "quiet", "q", false, "print only the network names")
	f.BoolVarP(&noHeading, "noheading", "n", false, "do not print the header")
	f.BoolVar(&noTrunc, "no-trunc", false, "print full network IDs")
	return cmd
}

func writeNetworkTable(w io.Writer, format string, noHeading, noTrunc bool, list []engine.Network) error {
	if format == "" {
		format = "table {{.ID}}\t{{.Name}}\t{{.Driver}}"
	}
	rpt, err := report.New(w, "networks").Parse(report.OriginUser, format)
	if err != nil {
		return fmt.Errorf("--format: %w", err)
	}
	if rpt.RenderHeaders && !noHeading {
		hdrs := report.Headers(struct{ ID, Name, Driver string }{}, map[string]string{"ID": "NETWORK ID"})
		if err := rpt.Execute(hdrs); err != nil {
			return err
		}
	}
	rows := make([]networkRow, len(list))
	for i, n := range list {
		rows[i] = networkRow{n, noTrunc}
	}
	if err := rpt.Execute(rows); err != nil {
		return fmt.Errorf("--format: %w", err)
	}
	return rpt.Flush()
}

func networkInspectCommand(g *globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "inspect [options] NETWORK [NETWORK...]",
		Short: "Show networks in detail (JSON)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := g.openEngine(cmd.Context())
			if err != nil {
				return err
			}
			defer closeEngine(rt)
			out := []engine.Network{}
			var errs []error
			for _, name := range args {
				n, err := rt.InspectNetwork(name)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				out = append(out, *n)
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

func networkExistsCommand(g *globals) *cobra.Command {
	return existsCommand(g, "exists NETWORK", "Exit 0 if a network exists, 1 if not",
		(*engine.Runtime).NetworkExists)
}

func networkPruneCommand(g *globals) *cobra.Command {
	var force bool
	var filters []string
	cmd := &cobra.Command{
		Use:   "prune [options]",
		Short: "Remove every network that no container uses",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !force && !confirmPrune(cmd, "networks") {
				return nil
			}
			rt, err := g.openEngine(cmd.Context())
			if err != nil {
				return err
			}
			defer closeEngine(rt)
			removed, err := rt.PruneNetworks(cmd.Context(), filters)
			for _, name := range removed {
				fmt.Fprintln(cmd.OutOrStdout(), name)
			}
			return err
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "do not ask for confirmation")
	cmd.Flags().StringArrayVar(&filters, "filter", nil, "filter (label=, label!=, until=)")
	return cmd
}
