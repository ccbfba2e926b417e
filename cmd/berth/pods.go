package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/berth-containers/berth/engine"
	"github.com/berth-containers/berth/engine/spec"
)

// Pod commands: pod create, start, stop, kill, restart, rm, ps (ls, list), inspect,
// exists and prune, as podman's.
func init() { families = append(families, addPodCommands) }

func addPodCommands(root *cobra.Command, g *globals) {
	pod := &cobra.Command{Use: "pod", Short: "Manage pods", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	pod.AddCommand(podCreateCommand(g), podStartCommand(g), podStopCommand(g), podKillCommand(g),
		podRestartCommand(g), podRmCommand(g), podPsCommand(g), podInspectCommand(g), podPruneCommand(g),
		existsCommand(g, "exists POD", "Exit 0 if the pod exists, 1 if not",
			func(rt *engine.Runtime, name string) (bool, error) { return rt.PodExists(name) }))
	root.AddCommand(pod)
}

// podCreateFlags are pod create's flags.
type podCreateFlags struct {
	c                                                  engine.PodConfig
	replace, infra                                     bool
	labels, uidmap, gidmap                             []string
	userns, subuidname, subgidname, podIDFile, pidFile string
	addHosts, dns, dnsOpts, dnsSearch, volumes         []string
	shmSize, hostname, share, exitPolicy, infraName    string
	net                                                netFlags
}

// podUnsupported are pod create flags the Quadlet generator can emit (or podman
// users give) that berth does not implement yet: refused, never ignored.
var podUnsupported = []struct{ name, short string }{
	{"infra-command", ""}, {"infra-image", ""}, {"cgroup-parent", ""}, {"sysctl", ""},
}

func (pf *podCreateFlags) register(f *pflag.FlagSet) {
	f.StringVarP(&pf.c.Name, "name", "n", "", "name of the pod")
	f.BoolVar(&pf.replace, "replace", false, "replace a pod that has the same name")
	f.StringVar(&pf.podIDFile, "pod-id-file", "", "write the pod ID to this file")
	f.StringVar(&pf.exitPolicy, "exit-policy", "", "when the last container exits: continue (the default) or stop the pod")
	f.BoolVar(&pf.infra, "infra", true, "create an infra container that holds the shared namespaces")
	f.StringVar(&pf.infraName, "infra-name", "", "name of the infra container (default: <pod ID>-infra)")
	f.StringVar(&pf.pidFile, "infra-conmon-pidfile", "", "write the infra container's conmon PID to this file")
	f.StringVar(&pf.share, "share", "", "namespaces the containers share: cgroup, ipc, net, pid, uts, none, +KIND (default ipc,net,uts)")
	f.StringArrayVarP(&pf.labels, "label", "l", nil, "set a label (key=value)")
	f.StringVar(&pf.hostname, "hostname", "", "the pod's hostname (default: its name)")
	f.StringArrayVar(&pf.dns, "dns", nil, "DNS server of the pod's containers, or none")
	f.StringArrayVar(&pf.dnsOpts, "dns-option", nil, "DNS option of the pod's containers")
	f.StringArrayVar(&pf.dnsOpts, "dns-opt", nil, "alias of --dns-option")
	_ = f.MarkHidden("dns-opt")
	f.StringArrayVar(&pf.dnsSearch, "dns-search", nil, "DNS search domain of the pod's containers")
	f.StringArrayVar(&pf.addHosts, "add-host", nil, "add a line to the pod's /etc/hosts: NAME:IP")
	pf.net.register(f) // the infra's network, which the pod's containers share
	f.StringVar(&pf.shmSize, "shm-size", "", "size of the pod's /dev/shm (default 64m)")
	f.StringArrayVarP(&pf.volumes, "volume", "v", nil, "mount for every container of the pod: HOST-PATH:DEST[:OPTIONS] or NAME:DEST[:OPTIONS]")
	f.StringVar(&pf.userns, "userns", "", "the pod's user namespace: host, private, auto[:OPTIONS], ns:PATH")
	f.StringArrayVar(&pf.uidmap, "uidmap", nil, "UID mapping of the pod's user namespace: CONTAINER:HOST:SIZE")
	f.StringArrayVar(&pf.gidmap, "gidmap", nil, "GID mapping of the pod's user namespace: CONTAINER:HOST:SIZE")
	f.StringVar(&pf.subuidname, "subuidname", "", "map the pod's UIDs from this name's range in /etc/subuid")
	f.StringVar(&pf.subgidname, "subgidname", "", "map the pod's GIDs from this name's range in /etc/subgid")
	for _, u := range podUnsupported {
		f.StringArrayP(u.name, u.short, nil, "not supported yet")
		_ = f.MarkHidden(u.name)
	}
}

// options turns the flags into the engine's pod options.
func (pf *podCreateFlags) options(cmd *cobra.Command, g *globals, args []string) (engine.PodOptions, error) {
	if err := checkUnsupported(cmd.Flags()); err != nil {
		return engine.PodOptions{}, err
	}
	c := pf.c
	if len(args) == 1 {
		if c.Name != "" && c.Name != args[0] {
			return engine.PodOptions{}, fmt.Errorf("the pod's name is given twice: --name %s and %s", c.Name, args[0])
		}
		c.Name = args[0]
	}
	if pf.replace && c.Name == "" {
		return engine.PodOptions{}, fmt.Errorf("--replace needs a pod name")
	}
	var err error
	if c.Labels, err = keyValues("--label", pf.labels); err != nil {
		return engine.PodOptions{}, err
	}
	c.ExitPolicy, c.NoInfra, c.InfraName, c.Hostname = pf.exitPolicy, !pf.infra, pf.infraName, pf.hostname
	c.Share, c.Volumes = pf.share, pf.volumes
	if !cmd.Flags().Changed("share") {
		c.Share = ""
	} else if pf.share == "" {
		c.Share = "none" // --share="" shares nothing, as in podman
	}
	for _, f := range []struct{ in, flag string }{{pf.podIDFile, "--pod-id-file"}, {pf.pidFile, "--infra-conmon-pidfile"}} {
		if f.in == "" {
			continue
		}
		abs, err := filepath.Abs(f.in)
		if err != nil {
			return engine.PodOptions{}, fmt.Errorf("%s: %w", f.flag, err)
		}
		if f.flag == "--pod-id-file" {
			c.PodIDFile = abs
		} else {
			c.InfraConmonPidFile = abs
		}
	}
	i := &c.Infra
	pf.net.apply(i)
	i.ShmSize = pf.shmSize
	i.AddHosts, i.DNS, i.DNSOptions, i.DNSSearch = pf.addHosts, pf.dns, pf.dnsOpts, pf.dnsSearch
	i.UserNS, i.UIDMap, i.GIDMap, i.SubUIDName, i.SubGIDName = pf.userns, pf.uidmap, pf.gidmap, pf.subuidname, pf.subgidname
	if !c.NoInfra {
		if i.ExitCommand, err = g.exitCommand(); err != nil {
			return engine.PodOptions{}, err
		}
	}
	return engine.PodOptions{PodConfig: c, Replace: pf.replace}, nil
}

func podCreateCommand(g *globals) *cobra.Command {
	var pf podCreateFlags
	cmd := &cobra.Command{
		Use:   "create [options] [NAME]",
		Short: "Create a pod (and its infra container) and print its ID",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := pf.options(cmd, g, args)
			if err != nil {
				return err
			}
			ctx, cancel := interruptible(cmd.Context())
			defer cancel()
			return g.withEngine(ctx, func(rt *engine.Runtime) error {
				p, err := rt.CreatePod(ctx, o)
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), p.ID)
				return nil
			})
		},
	}
	pf.register(cmd.Flags())
	return cmd
}

// podTargets are the pods a command acts on: the names given, the IDs in
// --pod-id-file files, or every pod with --all. With ignore, a missing ID file is
// skipped; none says that only ID files were given and none was there.
type podTargets struct {
	files       []string
	all, ignore bool
}

func (pt *podTargets) register(cmd *cobra.Command, withIgnore bool) {
	f := cmd.Flags()
	f.StringArrayVar(&pt.files, "pod-id-file", nil, "read the pod ID from this file (repeatable)")
	f.BoolVarP(&pt.all, "all", "a", false, "act on every pod")
	if withIgnore {
		f.BoolVarP(&pt.ignore, "ignore", "i", false, "ignore pods that do not exist")
	}
}

func (pt *podTargets) resolve(rt *engine.Runtime, args []string) (names []string, none bool, err error) {
	names = args
	for _, f := range pt.files {
		data, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) && pt.ignore {
			continue
		}
		if err != nil {
			return nil, false, fmt.Errorf("reading --pod-id-file: %w", err)
		}
		id := strings.TrimSpace(string(data))
		if id == "" {
			return nil, false, fmt.Errorf("--pod-id-file %s is empty", f)
		}
		names = append(names, id)
	}
	if pt.all {
		if len(names) > 0 {
			return nil, false, fmt.Errorf("--all and pod names cannot be used together")
		}
		pods, err := rt.ListPods()
		if err != nil {
			return nil, false, err
		}
		for _, p := range pods {
			names = append(names, p.ID)
		}
		return names, len(names) == 0, nil
	}
	if len(names) == 0 {
		if len(pt.files) > 0 {
			return nil, true, nil
		}
		return nil, false, fmt.Errorf("give at least one pod name or ID, --pod-id-file or --all")
	}
	return names, false, nil
}

// eachPod runs fn on each target pod, printing the ID of each that worked; missing
// pods are skipped with --ignore. Errors are joined, each naming its pod.
func (pt *podTargets) eachPod(cmd *cobra.Command, g *globals, args []string, fn func(*engine.Runtime, string) (*engine.Pod, error)) error {
	return g.withEngine(cmd.Context(), func(rt *engine.Runtime) error {
		names, none, err := pt.resolve(rt, args)
		if err != nil || none {
			return err
		}
		var errs []error
		for _, n := range names {
			p, err := fn(rt, n)
			if pt.ignore && errors.Is(err, engine.ErrNoSuchPod) {
				continue
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
			fmt.Fprintln(cmd.OutOrStdout(), p.ID)
		}
		return errors.Join(errs...)
	})
}

func podStartCommand(g *globals) *cobra.Command {
	var pt podTargets
	cmd := &cobra.Command{
		Use:   "start [options] POD [POD...]",
		Short: "Start pods: the infra container, then the others",
		RunE: func(cmd *cobra.Command, args []string) error {
			return pt.eachPod(cmd, g, args, func(rt *engine.Runtime, n string) (*engine.Pod, error) {
				return rt.StartPod(cmd.Context(), n)
			})
		},
	}
	pt.register(cmd, false)
	return cmd
}

func podStopCommand(g *globals) *cobra.Command {
	var pt podTargets
	var t uint
	cmd := &cobra.Command{
		Use:   "stop [options] POD [POD...]",
		Short: "Stop pods: their containers, then the infra",
		RunE: func(cmd *cobra.Command, args []string) error {
			o := engine.PodStopOptions{Timeout: timeFlag(cmd, &t)}
			return pt.eachPod(cmd, g, args, func(rt *engine.Runtime, n string) (*engine.Pod, error) {
				return rt.StopPod(cmd.Context(), n, o)
			})
		},
	}
	pt.register(cmd, true)
	cmd.Flags().UintVarP(&t, "time", "t", 10, "seconds to wait before killing the containers (default: each one's --stop-timeout)")
	return cmd
}

func podRestartCommand(g *globals) *cobra.Command {
	var pt podTargets
	cmd := &cobra.Command{
		Use:   "restart [options] POD [POD...]",
		Short: "Stop and start pods again",
		RunE: func(cmd *cobra.Command, args []string) error {
			return pt.eachPod(cmd, g, args, func(rt *engine.Runtime, n string) (*engine.Pod, error) {
				return rt.RestartPod(cmd.Context(), n, engine.PodStopOptions{})
			})
		},
	}
	pt.register(cmd, false)
	return cmd
}

func podKillCommand(g *globals) *cobra.Command {
	var pt podTargets
	var sig string
	cmd := &cobra.Command{
		Use:   "kill [options] POD [POD...]",
		Short: "Send a signal to the running containers of pods",
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := spec.ParseSignal(sig)
			if err != nil {
				return fmt.Errorf("--signal: %w", err)
			}
			return pt.eachPod(cmd, g, args, func(rt *engine.Runtime, n string) (*engine.Pod, error) {
				return rt.KillPod(cmd.Context(), n, s)
			})
		},
	}
	pt.register(cmd, false)
	cmd.Flags().StringVarP(&sig, "signal", "s", "KILL", "signal to send (name or number)")
	return cmd
}

func podRmCommand(g *globals) *cobra.Command {
	var pt podTargets
	var t uint
	var o engine.RemovePodOptions
	cmd := &cobra.Command{
		Use:   "rm [options] POD [POD...]",
		Short: "Remove pods and their containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Timeout, o.Ignore = timeFlag(cmd, &t), pt.ignore
			if o.Timeout != nil && !o.Force {
				return fmt.Errorf("--time needs --force")
			}
			err := pt.eachPod(cmd, g, args, func(rt *engine.Runtime, n string) (*engine.Pod, error) {
				p, err := rt.LookupPod(n)
				if err != nil {
					return nil, err
				}
				return p, rt.RemovePod(cmd.Context(), p.ID, o)
			})
			if err == nil {
				// As podman: the ID files go with the pods.
				for _, f := range pt.files {
					_ = os.Remove(f)
				}
			}
			return removeExit(err, engine.ErrNoSuchPod)
		},
	}
	pt.register(cmd, true)
	cmd.Flags().BoolVarP(&o.Force, "force", "f", false, "stop running containers first")
	cmd.Flags().UintVarP(&t, "time", "t", 10, "with --force, seconds to wait before killing the containers")
	return cmd
}

func podPruneCommand(g *globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "prune [options]",
		Short: "Remove every pod none of whose containers runs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !force {
				return fmt.Errorf("pod prune removes every stopped pod: confirm with --force")
			}
			return g.withEngine(cmd.Context(), func(rt *engine.Runtime) error {
				list, err := rt.PodList(engine.PodListOptions{})
				if err != nil {
					return err
				}
				var errs []error
				for _, s := range list {
					if st := s.State(); st == engine.PodStateRunning || st == engine.PodStateDegraded {
						continue
					}
					if err := rt.RemovePod(cmd.Context(), s.Pod.ID, engine.RemovePodOptions{Ignore: true}); err != nil {
						errs = append(errs, err)
						continue
					}
					fmt.Fprintln(cmd.OutOrStdout(), s.Pod.ID)
				}
				return errors.Join(errs...)
			})
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "do not ask for confirmation")
	return cmd
}

func podInspectCommand(g *globals) *cobra.Command {
	var format string
	var latest bool
	cmd := &cobra.Command{
		Use:   "inspect [options] POD [POD...]",
		Short: "Show pods in detail (JSON)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if latest == (len(args) > 0) {
				return errors.New("give one or more pod names or IDs, or --latest (not both)")
			}
			return g.withEngine(cmd.Context(), func(rt *engine.Runtime) error {
				if latest {
					list, err := rt.PodList(engine.PodListOptions{})
					if err != nil {
						return err
					}
					if len(list) == 0 {
						return fmt.Errorf("no pods to inspect: %w", engine.ErrNoSuchPod)
					}
					args = []string{list[0].Pod.ID}
				}
				var out []*engine.InspectPodData
				var errs []error
				for _, n := range args {
					d, err := rt.InspectPod(n)
					if err != nil {
						errs = append(errs, err)
						continue
					}
					out = append(out, d)
				}
				if err := writeInspect(cmd.OutOrStdout(), format, out); err != nil {
					return err
				}
				return errors.Join(errs...)
			})
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "json", "Go template or json")
	cmd.Flags().BoolVarP(&latest, "latest", "l", false, "inspect the latest created pod")
	return cmd
}

// podFlag is the pod of run and create: --pod, or the ID in --pod-id-file.
func podFlag(pod, idFile string) (string, error) {
	if idFile == "" {
		return pod, nil
	}
	if pod != "" {
		return "", fmt.Errorf("--pod and --pod-id-file cannot be used together")
	}
	data, err := os.ReadFile(idFile)
	if err != nil {
		return "", fmt.Errorf("reading --pod-id-file: %w", err)
	}
	id := strings.TrimSpace(string(data))
	if id == "" {
		return "", fmt.Errorf("--pod-id-file %s is empty", idFile)
	}
	return id, nil
}
