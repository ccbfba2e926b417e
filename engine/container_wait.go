package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/berth-containers/berth/engine/oci"
)

// waitPoll is how often Wait looks at a container that has not started yet.
const waitPoll = 100 * time.Millisecond

// WaitContainer waits until the container's process has ended and returns its exit
// code. A container that never started is waited for until it has run. The exit code
// of an --rm container stays readable for a few minutes after its removal.
func (r *Runtime) WaitContainer(ctx context.Context, ref string) (int, error) {
	c, err := r.LookupContainer(ref)
	if errors.Is(err, ErrNoSuchContainer) {
		// An --rm container removed already: its exit file stays a while.
		if !isFullID(ref) {
			return 0, err
		}
		if code, ferr := oci.ExitCode(r.exitDir(), ref); ferr == nil {
			return code, nil
		}
	}
	if err != nil {
		return 0, err
	}
	id := c.ID
	for {
		switch {
		case c.Running():
			code, err := oci.WaitExit(ctx, r.exitDir(), id, procOf(c))
			if errors.Is(err, oci.ErrConmonDied) {
				return exitUnknown, nil
			}
			return code, err
		case c.State.Status == StatusExited:
			return c.State.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(waitPoll):
		}
		if c, err = r.LookupContainer(id); err != nil {
			if errors.Is(err, ErrNoSuchContainer) {
				// Removed meanwhile: an --rm container that ran; its exit file stays.
				if code, ferr := oci.ExitCode(r.exitDir(), id); ferr == nil {
					return code, nil
				}
			}
			return 0, err
		}
	}
}

// Streams are a foreground container's stdio. Nil readers and writers discard.
type Streams struct {
	Stdin          *os.File // forwarded with -i
	Stdout, Stderr io.Writer
	// Started, if set, is called once the container runs (to size its terminal, or
	// to forward signals to it).
	Started func(*Container)
}

// RunAttached starts a created container with its stdio attached to s, waits for it
// to end, cleans it up (removing an --rm container) and returns its exit code. The
// container's lock is held only while it starts.
func (r *Runtime) RunAttached(ctx context.Context, ref string, s Streams, o StartOptions) (int, error) {
	h, err := r.lockContainer(ctx, ref)
	if err != nil {
		return 0, err
	}
	var att *oci.Attachment
	attach := func(c *Container) error {
		if c.Config.LogDriver == oci.LogPassthrough {
			return nil // conmon writes to o.Stdio itself
		}
		a, err := oci.DialAttach(oci.AttachSocket(c.Bundle))
		att = a
		return err
	}
	err = r.startLocked(ctx, h, o, attach)
	c := h.c
	h.release()
	if err != nil {
		if att != nil {
			att.Close()
		}
		if c != nil && c.Config.AutoRemove {
			err = errors.Join(err, r.RemoveContainer(context.WithoutCancel(ctx), c.ID, RemoveContainerOptions{Force: true, Ignore: true}))
		}
		return 0, err
	}
	if s.Started != nil {
		s.Started(c)
	}
	// --sdnotify=healthy: READY=1 once a check passes, while the container runs.
	hctx, stopHealthWait := context.WithCancel(ctx)
	defer stopHealthWait()
	go r.notifyWhenHealthyInBackground(hctx, c, o.NotifySocket) // health_notify.go
	type exit struct {
		code int
		err  error
	}
	exited := make(chan exit, 1)
	go func() {
		code, err := oci.WaitExit(ctx, r.exitDir(), c.ID, procOf(c))
		if att != nil {
			att.Finish() // the output is all sent: no need to wait for conmon to go
		}
		exited <- exit{code, err}
	}()
	if att != nil {
		var stdin *os.File
		if c.Config.Interactive {
			stdin = s.Stdin
		}
		err := copyAttached(ctx, att, stdin, s)
		att.Close()
		if err != nil && ctx.Err() == nil {
			r.log.Debug("attach ended with an error", "id", shortID(c.ID), "error", err)
		}
	}
	e := <-exited
	code, err := e.code, e.err
	if errors.Is(err, oci.ErrConmonDied) {
		code, err = exitUnknown, nil
	}
	if err != nil {
		return 0, fmt.Errorf("waiting for container %s: %w", shortID(c.ID), err)
	}
	// conmon's exit command does the same; whichever comes first does it, so that
	// when run returns an --rm container is gone.
	if cerr := r.CleanupContainer(context.WithoutCancel(ctx), c.ID, c.Config.AutoRemove); cerr != nil {
		r.log.Debug("cleanup after run", "id", shortID(c.ID), "error", cerr)
	}
	return code, nil
}

func copyAttached(ctx context.Context, a *oci.Attachment, stdin *os.File, s Streams) error {
	var in io.Reader
	if stdin != nil {
		in = stdin
	}
	return a.Copy(ctx, in, s.Stdout, s.Stderr)
}

// ResizeTerminal sets the size of a running container's terminal (-t).
func (r *Runtime) ResizeTerminal(c *Container, height, width uint16) error {
	return oci.Resize(c.Bundle, height, width)
}
