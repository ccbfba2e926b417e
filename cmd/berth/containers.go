package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/berth-containers/berth/engine"
	"github.com/berth-containers/berth/engine/spec"
)

// Container commands: create, run, start, stop, kill, restart, rm, wait, and the same
// under "container", with container exists and the hidden container cleanup that
// conmon runs when a container exits.
func init() { families = append(families, addContainerCommands) }

func addContainerCommands(root *cobra.Command, g *globals) {
	container := &cobra.Command{Use: "container", Short: "Manage containers", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	for _, mk := range []func(*globals) *cobra.Command{
		createCommand, runCommand, startCommand, stopCommand, killCommand, restartCommand, rmCommand, waitCommand,
	} {
		root.AddCommand(mk(g))
		container.AddCommand(mk(g))
	}
	container.AddCommand(existsContainerCommand(g), cleanupCommand(g))
	root.AddCommand(container)
}

// exitCommand is what conmon runs when a container exits: this binary with the log
// level; the engine adds the storage flags and `container cleanup ID`.
func (g *globals) exitCommand() ([]string, error) {
	exe, err := berthExecutable()
	if err != nil {
		return nil, err
	}
	return []string{exe, "--log-level", g.logLevel}, nil
}

// withEngine opens the engine, runs fn and closes it.
func (g *globals) withEngine(ctx context.Context, fn func(*engine.Runtime) error) error {
	rt, err := g.openEngine(ctx)
	if err != nil {
		return err
	}
	defer closeEngine(rt)
	return fn(rt)
}

// forEach runs fn on each named container, printing the name of each that worked,
// and returns the errors joined (each names its container).
func forEach(cmd *cobra.Command, names []string, fn func(string) error) error {
	var errs []error
	for _, n := range names {
		if err := fn(n); err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintln(cmd.OutOrStdout(), n)
	}
	return errors.Join(errs...)
}

func startCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "start CONTAINER [CONTAINER...]",
		Short: "Start containers",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			so := startOptions()
			return g.withEngine(cmd.Context(), func(rt *engine.Runtime) error {
				return forEach(cmd, args, func(n string) error {
					_, err := rt.StartContainer(cmd.Context(), n, so)
					return err
				})
			})
		},
	}
}

// timeFlag is podman's --time/-t of stop, restart and rm: nil unless given.
func timeFlag(cmd *cobra.Command, t *uint) *uint {
	if cmd.Flags().Changed("time") {
		return t
	}
	return nil
}

func stopCommand(g *globals) *cobra.Command {
	var t uint
	var ignore, all bool
	var cidfiles []string
	cmd := &cobra.Command{
		Use:   "stop [options] CONTAINER [CONTAINER...]",
		Short: "Stop containers: the stop signal, then SIGKILL after the timeout",
		RunE: func(cmd *cobra.Command, args []string) error {
			args, none, err := withCIDFiles(args, cidfiles, ignore)
			if err != nil || none {
				return err
			}
			return g.withEngine(cmd.Context(), func(rt *engine.Runtime) error {
				args, err := allOrNames(rt, args, all)
				if err != nil {
					return err
				}
				return forEach(cmd, args, func(n string) error {
					err := rt.StopContainer(cmd.Context(), n, engine.StopOptions{Timeout: timeFlag(cmd, &t)})
					if ignore && errors.Is(err, engine.ErrNoSuchContainer) {
						return nil
					}
					return err
				})
			})
		},
	}
	cmd.Flags().UintVarP(&t, "time", "t", 10, "seconds to wait before killing the container (default: its --stop-timeout)")
	cmd.Flags().BoolVarP(&ignore, "ignore", "i", false, "ignore containers that do not exist")
	cmd.Flags().BoolVarP(&all, "all", "a", false, "stop every container")
	cidfileFlag(cmd, &cidfiles)
	return cmd
}

// cidfileFlag adds podman's --cidfile: read the container's ID from a file written by
// run/create --cidfile.
func cidfileFlag(cmd *cobra.Command, files *[]string) {
	cmd.Flags().StringArrayVar(files, "cidfile", nil, "read the container ID from this file (repeatable)")
}

// withCIDFiles adds the IDs read from --cidfile files to args. With --ignore a missing
// file is skipped; none reports that --cidfile was given and nothing is left to do.
func withCIDFiles(args, files []string, ignore bool) (out []string, none bool, err error) {
	for _, f := range files {
		data, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) && ignore {
			continue
		}
		if err != nil {
			return nil, false, fmt.Errorf("reading --cidfile: %w", err)
		}
		id := strings.TrimSpace(string(data))
		if id == "" {
			return nil, false, fmt.Errorf("--cidfile %s is empty", f)
		}
		args = append(args, id)
	}
	return args, len(files) > 0 && len(args) == 0, nil
}

// allOrNames is every container's ID with --all, else the names given (at least one).
func allOrNames(rt *engine.Runtime, names []string, all bool) ([]string, error) {
	if all {
		if len(names) > 0 {
			return nil, fmt.Errorf("--all and container names cannot be used together")
		}
		list, err := rt.ListContainers()
		if err != nil {
			return nil, err
		}
		for _, c := range list {
			names = append(names, c.ID)
		}
		return names, nil
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("give at least one container name or ID, or --all")
	}
	return names, nil
}

func killCommand(g *globals) *cobra.Command {
	var sig string
	var cidfiles []string
	cmd := &cobra.Command{
		Use:   "kill [options] CONTAINER [CONTAINER...]",
		Short: "Send a signal to running containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			args, _, err := withCIDFiles(args, cidfiles, false)
			if err != nil {
				return err
			}
			if len(args) == 0 {
				return fmt.Errorf("give at least one container name or ID, or --cidfile")
			}
			s, err := spec.ParseSignal(sig)
			if err != nil {
				return fmt.Errorf("--signal: %w", err)
			}
			return g.withEngine(cmd.Context(), func(rt *engine.Runtime) error {
				return forEach(cmd, args, func(n string) error { return rt.KillContainer(cmd.Context(), n, s) })
			})
		},
	}
	cmd.Flags().StringVarP(&sig, "signal", "s", "KILL", "signal to send (name or number)")
	cidfileFlag(cmd, &cidfiles)
	return cmd
}

func restartCommand(g *globals) *cobra.Command {
	var t uint
	cmd := &cobra.Command{
		Use:   "restart [options] CONTAINER [CONTAINER...]",
		Short: "Stop and start containers again",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			so := startOptions()
			return g.withEngine(cmd.Context(), func(rt *engine.Runtime) error {
				var errs []error
				for _, n := range args {
					c, err := rt.RestartContainer(cmd.Context(), n, engine.StopOptions{Timeout: timeFlag(cmd, &t)}, so)
					if err != nil {
						errs = append(errs, err)
						continue
					}
					fmt.Fprintln(cmd.OutOrStdout(), c.ID)
				}
				return errors.Join(errs...)
			})
		},
	}
	cmd.Flags().UintVarP(&t, "time", "t", 10, "seconds to wait before killing the container (default: its --stop-timeout)")
	return cmd
}

func rmCommand(g *globals) *cobra.Command {
	var t uint
	var o engine.RemoveContainerOptions
	var all bool
	var cidfiles []string
	cmd := &cobra.Command{
		Use:   "rm [options] CONTAINER [CONTAINER...]",
		Short: "Remove containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			args, none, err := withCIDFiles(args, cidfiles, o.Ignore)
			if err != nil || none {
				return rmExit(err)
			}
			o.Timeout = timeFlag(cmd, &t)
			err = g.withEngine(cmd.Context(), func(rt *engine.Runtime) error {
				if all {
					if len(args) > 0 {
						return fmt.Errorf("--all and container names cannot be used together")
					}
					ids, err := rt.RemoveAllContainers(cmd.Context(), o)
					for _, id := range ids {
						fmt.Fprintln(cmd.OutOrStdout(), id)
					}
					return err
				}
				if len(args) == 0 {
					return fmt.Errorf("give at least one container name or ID, or --all")
				}
				var errs []error
				for _, n := range args {
					one := o
					one.Ignore = false // to print only what was removed
					err := rt.RemoveContainer(cmd.Context(), n, one)
					switch {
					case err == nil:
						fmt.Fprintln(cmd.OutOrStdout(), n)
					case !(o.Ignore && errors.Is(err, engine.ErrNoSuchContainer)):
						errs = append(errs, err)
					}
				}
				return errors.Join(errs...)
			})
			return rmExit(err)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.Force, "force", "f", false, "stop a running container first")
	f.BoolVarP(&o.Volumes, "volumes", "v", false, "remove the container's anonymous volumes")
	f.BoolVarP(&o.Ignore, "ignore", "i", false, "ignore containers that do not exist")
	f.BoolVarP(&all, "all", "a", false, "remove every container")
	f.UintVarP(&t, "time", "t", 10, "seconds to wait before killing a running container with --force (default: its --stop-timeout)")
	cidfileFlag(cmd, &cidfiles)
	return cmd
}

// rmExit gives rm podman's exit codes: 1 when only missing containers failed, 2 when a
// running one was refused, else 125.
func rmExit(err error) error { return removeExit(err, engine.ErrNoSuchContainer) }

// removeExit gives the rm commands of containers and pods podman's exit codes: 1 when
// every failure is missing (the error that says so for the kind of object), 2 when
// a running one was refused, else 125.
func removeExit(err, missing error) error {
	if err == nil {
		return nil
	}
	code := engine.ExitEngine
	switch {
	case errors.Is(err, engine.ErrInvalidState):
		code = 2
	case onlyMissing(err, missing):
		code = 1
	}
	return &engine.ExitError{Code: code, Err: err}
}

// onlyMissing tells whether err (joined errors or one) is made only of missing.
func onlyMissing(err, missing error) bool {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if !errors.Is(e, missing) {
				return false
			}
		}
		return true
	}
	return errors.Is(err, missing)
}

func waitCommand(g *globals) *cobra.Command {
	var ignore bool
	cmd := &cobra.Command{
		Use:   "wait [options] CONTAINER [CONTAINER...]",
		Short: "Wait for containers to exit and print their exit codes",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := interruptible(cmd.Context())
			defer cancel()
			return g.withEngine(ctx, func(rt *engine.Runtime) error {
				var errs []error
				for _, n := range args {
					code, err := rt.WaitContainer(ctx, n)
					if err != nil {
						if ignore && errors.Is(err, engine.ErrNoSuchContainer) {
							fmt.Fprintln(cmd.OutOrStdout(), "-1")
							continue
						}
						errs = append(errs, err)
						continue
					}
					fmt.Fprintln(cmd.OutOrStdout(), strconv.Itoa(code))
				}
				return errors.Join(errs...)
			})
		},
	}
	cmd.Flags().BoolVarP(&ignore, "ignore", "i", false, "print -1 for containers that do not exist")
	return cmd
}

func existsContainerCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "exists CONTAINER",
		Short: "Exit 0 if the container exists, 1 if not",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withEngine(cmd.Context(), func(rt *engine.Runtime) error {
				ok, err := rt.ContainerExists(args[0])
				if err != nil {
					return err
				}
				if !ok {
					return &engine.ExitError{Code: 1}
				}
				return nil
			})
		},
	}
}

// cleanupCommand is conmon's exit command: it records the exit code, releases the
// container's runtime state and mount, and removes it with --rm. It prints nothing:
// its output goes nowhere useful.
func cleanupCommand(g *globals) *cobra.Command {
	var rm bool
	var pod string
	cmd := &cobra.Command{
		Use:    "cleanup [--rm] CONTAINER",
		Short:  "Clean up after a container exited (run by conmon)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// Not interruptible: systemd stopping the unit must not leave it half done.
			signal.Ignore(syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
			ctx := context.WithoutCancel(cmd.Context())
			return g.withEngine(ctx, func(rt *engine.Runtime) error {
				err := rt.CleanupContainer(ctx, args[0], rm)
				if pod == "" {
					return err
				}
				return errors.Join(err, rt.PodMemberExited(ctx, pod))
			})
		},
	}
	cmd.Flags().BoolVar(&rm, "rm", false, "remove the container")
	cmd.Flags().StringVar(&pod, "pod", "", "the container's pod, whose exit policy applies")
	return cmd
}
