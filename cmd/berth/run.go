package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/berth-containers/berth/engine"
)

func createCommand(g *globals) *cobra.Command {
	var cf createFlags
	cmd := &cobra.Command{
		Use:   "create [options] IMAGE [COMMAND [ARG...]]",
		Short: "Create a container without starting it",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := g.createOptions(cmd, &cf, args)
			if err != nil {
				return err
			}
			ctx, cancel := interruptible(cmd.Context())
			defer cancel()
			return g.withEngine(ctx, func(rt *engine.Runtime) error {
				c, err := rt.CreateContainer(ctx, o)
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), c.ID)
				return nil
			})
		},
	}
	cmd.Flags().SetInterspersed(false) // flags after IMAGE belong to the command
	cf.register(cmd.Flags())
	return cmd
}

// createOptions reads create's and run's flags and IMAGE [COMMAND [ARG...]], with the
// exit command that cleans up after the container.
func (g *globals) createOptions(cmd *cobra.Command, cf *createFlags, args []string) (engine.CreateOptions, error) {
	o, err := cf.options(cmd, args[0], args[1:])
	if err != nil {
		return o, err
	}
	o.ExitCommand, err = g.exitCommand()
	return o, err
}

func runCommand(g *globals) *cobra.Command {
	var cf createFlags
	var detach, sigProxy bool
	cmd := &cobra.Command{
		Use:   "run [options] IMAGE [COMMAND [ARG...]]",
		Short: "Create and start a container; in the foreground, stream its output and exit with its code",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := g.createOptions(cmd, &cf, args)
			if err != nil {
				return err
			}
			so := startOptions()
			rt, err := g.openEngine(cmd.Context())
			if err != nil {
				return err
			}
			defer closeEngine(rt)
			c, err := createInterruptibly(cmd.Context(), rt, o)
			if err != nil {
				return err
			}
			if detach {
				return runDetached(cmd, rt, c, so)
			}
			return runForeground(cmd.Context(), rt, c, so, sigProxy)
		},
	}
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().BoolVarP(&detach, "detach", "d", false, "run in the background and print the container's ID")
	cmd.Flags().BoolVar(&sigProxy, "sig-proxy", true, "pass the signals berth receives on to the container (foreground only)")
	cf.register(cmd.Flags())
	return cmd
}

// createInterruptibly creates the container; SIGINT or SIGTERM during the pull stops
// it cleanly.
func createInterruptibly(ctx context.Context, rt *engine.Runtime, o engine.CreateOptions) (*engine.Container, error) {
	ictx, cancel := interruptible(ctx)
	defer cancel()
	return rt.CreateContainer(ictx, o)
}

// runDetached starts the container and prints its ID; one that cannot start is
// removed when --rm.
func runDetached(cmd *cobra.Command, rt *engine.Runtime, c *engine.Container, so engine.StartOptions) error {
	ctx := context.WithoutCancel(cmd.Context())
	if _, err := rt.StartContainer(ctx, c.ID, so); err != nil {
		if c.Config.AutoRemove {
			err = errors.Join(err, rt.RemoveContainer(ctx, c.ID, engine.RemoveContainerOptions{Force: true, Ignore: true}))
		}
		return err
	}
	fmt.Fprintln(cmd.OutOrStdout(), c.ID)
	return nil
}

// runForeground attaches to the container, passes signals on, and exits with the
// container's code.
func runForeground(ctx context.Context, rt *engine.Runtime, c *engine.Container, so engine.StartOptions, sigProxy bool) error {
	ctx = context.WithoutCancel(ctx)
	streams := engine.Streams{Stdout: os.Stdout, Stderr: os.Stderr}
	if c.Config.Interactive {
		streams.Stdin = os.Stdin
	}
	if c.Config.Terminal && isTerminal(os.Stdin) {
		if state, err := term.MakeRaw(int(os.Stdin.Fd())); err == nil {
			defer term.Restore(int(os.Stdin.Fd()), state)
		}
	}
	started := make(chan *engine.Container, 1)
	streams.Started = func(c *engine.Container) {
		if c.Config.Terminal && isTerminal(os.Stdin) {
			if w, h, err := term.GetSize(int(os.Stdin.Fd())); err == nil {
				_ = rt.ResizeTerminal(c, uint16(h), uint16(w))
			}
		}
		started <- c
	}
	if sigProxy {
		stop := proxySignals(ctx, rt, started)
		defer stop()
	}
	code, err := rt.RunAttached(ctx, c.ID, streams, so)
	if err != nil {
		return err
	}
	if code != 0 {
		return &engine.ExitError{Code: code}
	}
	return nil
}

// proxySignals sends the signals berth receives to the container once it runs (those
// that arrive before, when it does). The returned function stops it.
func proxySignals(ctx context.Context, rt *engine.Runtime, started <-chan *engine.Container) func() {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)
	done := make(chan struct{})
	go func() {
		var c *engine.Container
		select {
		case c = <-started:
		case <-done:
			return
		}
		for {
			select {
			case s := <-sigs:
				if err := rt.KillContainer(ctx, c.ID, s.(syscall.Signal)); err != nil {
					rt.Log().Debug("passing a signal on to the container", "signal", s, "error", err)
				}
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(done)
	}
}

// startOptions are what a start needs from this process: its stdio for
// --log-driver=passthrough, and systemd's notify socket, taken out of the environment
// so that the OCI runtime does not speak sd_notify on its own.
func startOptions() engine.StartOptions {
	return engine.StartOptions{Stdio: passthroughStdio(), NotifySocket: os.Getenv("NOTIFY_SOCKET")}
}

// passthroughStdio is berth's own stdio, which conmon hands to a container with
// --log-driver=passthrough (a unit's journal stream).
func passthroughStdio() [3]*os.File {
	return [3]*os.File{os.Stdin, os.Stdout, os.Stderr}
}
