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

type execFlags struct {
	env, envFile                                 []string
	user, workdir                                string
	interactive, tty, privileged, detach, latest bool
}

func execCommand(g *globals) *cobra.Command {
	var ef execFlags
	cmd := &cobra.Command{
		Use:   "exec [options] CONTAINER COMMAND [ARG...]",
		Short: "Run a process in a running container",
		RunE: func(cmd *cobra.Command, args []string) error {
			if ef.detach {
				return fmt.Errorf("exec --detach is not supported yet: berth runs exec sessions attached: %w", engine.ErrUnsupported)
			}
			ref := ""
			if !ef.latest {
				if len(args) == 0 {
					return errors.New("name a container and a command, or use --latest")
				}
				ref, args = args[0], args[1:]
			}
			if len(args) == 0 {
				return errors.New("a command to run in the container is required")
			}
			o, err := ef.options(args)
			if err != nil {
				return err
			}
			return g.withEngine(cmd.Context(), func(rt *engine.Runtime) error {
				if ef.latest {
					c, err := rt.LatestContainer()
					if err != nil {
						return err
					}
					ref = c.ID
				}
				return runExec(cmd.Context(), rt, ref, o)
			})
		},
	}
	cmd.Flags().SetInterspersed(false) // flags after CONTAINER belong to the command
	f := cmd.Flags()
	f.BoolVarP(&ef.interactive, "interactive", "i", false, "pass stdin to the process")
	f.BoolVarP(&ef.tty, "tty", "t", false, "allocate a terminal for the process")
	f.StringArrayVarP(&ef.env, "env", "e", nil, "set an environment variable (KEY=value, KEY from the host, KEY* for a prefix)")
	f.StringArrayVar(&ef.envFile, "env-file", nil, "read environment variables from a file")
	f.StringVarP(&ef.user, "user", "u", "", "user[:group] to run as (default: the container's)")
	f.StringVarP(&ef.workdir, "workdir", "w", "", "working directory (default: the container's)")
	f.BoolVar(&ef.privileged, "privileged", false, "give the process every capability")
	f.BoolVarP(&ef.detach, "detach", "d", false, "run in the background (not supported yet)")
	f.BoolVarP(&ef.latest, "latest", "l", false, "run in the latest created container")
	return cmd
}

func (ef *execFlags) options(args []string) (engine.ExecOptions, error) {
	o := engine.ExecOptions{Cmd: args, User: ef.user, WorkDir: ef.workdir, Tty: ef.tty, Privileged: ef.privileged,
		Stdout: os.Stdout, Stderr: os.Stderr}
	var env []string
	for _, f := range ef.envFile {
		e, err := engine.ReadEnvFile(f)
		if err != nil {
			return o, err
		}
		env = append(env, e...)
	}
	o.Env = engine.ExpandEnv(append(env, ef.env...), os.Environ())
	if ef.interactive {
		o.Stdin = os.Stdin
	}
	return o, nil
}

// runExec runs the process with berth's terminal in raw mode (with -t on a terminal),
// following its size, and exits with the process's code.
func runExec(ctx context.Context, rt *engine.Runtime, ref string, o engine.ExecOptions) error {
	tty := o.Tty && isTerminal(os.Stdin)
	if tty {
		if state, err := term.MakeRaw(int(os.Stdin.Fd())); err == nil {
			defer term.Restore(int(os.Stdin.Fd()), state)
		}
		winch := make(chan os.Signal, 1)
		signal.Notify(winch, syscall.SIGWINCH)
		done := make(chan struct{})
		defer func() { signal.Stop(winch); close(done) }()
		o.Started = func(resize func(h, w uint16) error) {
			size := func() {
				if w, h, err := term.GetSize(int(os.Stdin.Fd())); err == nil {
					_ = resize(uint16(h), uint16(w))
				}
			}
			size()
			go func() {
				for {
					select {
					case <-winch:
						size()
					case <-done:
						return
					}
				}
			}()
		}
	}
	code, err := rt.ExecContainer(ctx, ref, o)
	if err != nil {
		return err
	}
	if code != 0 {
		return &engine.ExitError{Code: code}
	}
	return nil
}
