package oci

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ExecOptions describe a process to run in a running container (`berth exec`).
type ExecOptions struct {
	ID        string         // the container
	SessionID string         // names the exec session, for conmon (its -u)
	Dir       string         // a folder for the session's files: process.json, attach socket, exit file
	Process   *specs.Process // what to run; usually the container's process with other args, env, user, cwd
	Stdin     io.Reader      // fed to the process when not nil
	Stdout    io.Writer      // the process's output; discarded when nil
	Stderr    io.Writer      // with a terminal, all output goes to Stdout
	// Started, when set, is called with the exec'd process's host pid once it runs.
	Started func(pid int)
}

// Exec runs o.Process in container o.ID through `runtime exec` under its own conmon
// (conmon --exec), streams its stdio through conmon's attach socket, and returns its
// exit code. A command that does not exist or cannot be executed fails with
// ErrCommandNotFound or ErrCommandNotExecutable (podman exits 127 or 126).
func (c *Conmon) Exec(ctx context.Context, o ExecOptions) (int, error) {
	if o.ID == "" || o.SessionID == "" || o.Dir == "" || o.Process == nil {
		return -1, errors.New("conmon exec: ID, SessionID, Dir and Process are required")
	}
	specPath := filepath.Join(o.Dir, "process.json")
	if err := writeJSONAtomic(specPath, o.Process); err != nil {
		return -1, fmt.Errorf("exec in %s: %w", shortID(o.ID), err)
	}
	args := c.commonArgs(o.ID, o.SessionID, o.Dir, nil)
	args = append(args,
		"-e", "--exec-process-spec", specPath,
		"-p", filepath.Join(o.Dir, pidFileName),
		"--exit-dir", o.Dir,
		"-l", "none:",
		"--exec-attach",
	)
	if o.Process.Terminal {
		args = append(args, "-t")
	}
	if o.Stdin != nil {
		args = append(args, "-i")
	}
	l, err := c.start(CreateOptions{}, args, true)
	if err != nil {
		return -1, fmt.Errorf("exec in %s: %w", shortID(o.ID), err)
	}
	defer l.close()
	code, err := c.execAttached(ctx, l, o)
	if err != nil {
		return -1, fmt.Errorf("exec in %s: %w", shortID(o.ID), err)
	}
	return code, nil
}

// execAttached follows conmon's exec protocol: start it, wait until its attach socket
// listens (attach pipe), connect, let it run the process (second start-pipe write),
// then read the pid and, once the output has ended, the exit code (sync pipe).
func (c *Conmon) execAttached(ctx context.Context, l *launch, o ExecOptions) (int, error) {
	setup, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := l.signalStart(); err != nil {
		return -1, err
	}
	if err := waitAttachReady(setup, l); err != nil {
		return -1, err
	}
	a, err := DialAttach(AttachSocket(o.Dir))
	if err != nil {
		return -1, err
	}
	defer a.Close()
	if err := l.signalStart(); err != nil {
		return -1, err
	}
	pid, err := l.readSync(setup)
	if err != nil {
		var se *syncError
		if errors.As(err, &se) {
			return -1, classify(se.Error())
		}
		return -1, err
	}
	if o.Started != nil {
		o.Started(pid)
	}
	if err := a.Copy(ctx, o.Stdin, orDiscard(o.Stdout), orDiscard(o.Stderr)); err != nil {
		return -1, err
	}
	code, err := l.readSync(ctx)
	if err != nil {
		// The exit code is also in the exit file, named after the container.
		if c, ferr := ExitCode(o.Dir, o.ID); ferr == nil {
			return c, nil
		}
		return -1, err
	}
	return code, nil
}

// waitAttachReady reads conmon's message on the attach pipe.
func waitAttachReady(ctx context.Context, l *launch) error {
	if dl, ok := ctx.Deadline(); ok {
		_ = l.attachR.SetReadDeadline(dl)
	}
	var msg struct {
		Data int `json:"data"`
	}
	if err := json.NewDecoder(l.attachR).Decode(&msg); err != nil {
		if errors.Is(err, io.EOF) {
			return l.died()
		}
		return fmt.Errorf("waiting for conmon's attach socket: %w", err)
	}
	if msg.Data < 0 {
		return fmt.Errorf("conmon could not set up the attach socket")
	}
	return nil
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
