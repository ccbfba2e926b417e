package engine

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/berth-containers/berth/engine/oci"
	"github.com/berth-containers/berth/engine/spec"
)

// StopOptions are podman stop's.
type StopOptions struct {
	// Timeout is how long the stop signal has before SIGKILL (--time); nil means the
	// container's --stop-timeout, else containers.conf's stop_timeout (10 s). 0 kills
	// at once.
	Timeout *uint
}

// killGrace is how long a container may take to go after SIGKILL.
const killGrace = 30 * time.Second

// StopContainer stops a running container: its stop signal, then SIGKILL after the
// timeout; the exit code is recorded and the runtime state and mount released. A
// container that does not run is left as it is. An --rm container is removed.
func (r *Runtime) StopContainer(ctx context.Context, ref string, o StopOptions) error {
	h, err := r.lockContainer(ctx, ref)
	if err != nil {
		return err
	}
	defer h.release()
	if err := r.stopLocked(ctx, h, o.Timeout); err != nil {
		return err
	}
	if h.c.Config.AutoRemove {
		return r.removeLocked(ctx, h)
	}
	return nil
}

// stopTimeout is the time the stop signal has: the given one, the container's, or
// containers.conf's.
func (r *Runtime) stopTimeout(c *Container, given *uint) time.Duration {
	switch {
	case given != nil:
		return time.Duration(*given) * time.Second
	case c.Config.StopTimeout != nil:
		return time.Duration(*c.Config.StopTimeout) * time.Second
	}
	return time.Duration(r.cfg.Engine.StopTimeout) * time.Second
}

func (r *Runtime) stopLocked(ctx context.Context, h *held, timeout *uint) error {
	c := h.c
	if err := r.syncLocked(ctx, h); err != nil {
		return err
	}
	if c.Running() {
		code, err := r.terminate(ctx, c, r.stopTimeout(c, timeout))
		if err != nil {
			return err
		}
		r.recordExit(c, code)
	}
	if err := r.cleanupLocked(ctx, c); err != nil {
		return err
	}
	return h.save()
}

// terminate sends the stop signal, waits up to timeout, then kills every process of
// the container, and returns the exit code conmon recorded.
func (r *Runtime) terminate(ctx context.Context, c *Container, timeout time.Duration) (int, error) {
	rt := r.ociRuntime(c)
	if timeout > 0 {
		sig, err := spec.ParseSignal(c.StopSignal)
		if err != nil {
			sig = syscall.SIGTERM
		}
		r.log.Debug("stopping container", "id", shortID(c.ID), "signal", spec.SignalName(sig), "timeout", timeout)
		if err := rt.Kill(ctx, c.ID, sig, false); err != nil && !isGone(err) {
			return 0, fmt.Errorf("stopping container %s: %w", shortID(c.ID), err)
		}
		wctx, cancel := context.WithTimeout(ctx, timeout)
		code, err := oci.WaitExit(wctx, r.exitDir(), c.ID, procOf(c))
		cancel()
		if err == nil || errors.Is(err, oci.ErrConmonDied) {
			return exitOrUnknown(code, err), nil
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			return 0, fmt.Errorf("stopping container %s: %w", shortID(c.ID), err)
		}
		r.log.Info("container did not stop in time, killing it", "id", shortID(c.ID), "signal", spec.SignalName(sig), "timeout", timeout)
	}
	// --all needs a cgroup: none with --cgroups=disabled, nor for a rootless one.
	if err := rt.Kill(ctx, c.ID, syscall.SIGKILL, c.CgroupsPath != ""); err != nil && !isGone(err) {
		return 0, fmt.Errorf("killing container %s: %w", shortID(c.ID), err)
	}
	wctx, cancel := context.WithTimeout(ctx, killGrace)
	defer cancel()
	code, err := oci.WaitExit(wctx, r.exitDir(), c.ID, procOf(c))
	if err != nil && !errors.Is(err, oci.ErrConmonDied) {
		return 0, fmt.Errorf("killing container %s: %w", shortID(c.ID), err)
	}
	return exitOrUnknown(code, err), nil
}

// exitUnknown is the exit code of a container whose conmon died without writing one.
const exitUnknown = -1

func exitOrUnknown(code int, err error) int {
	if err != nil {
		return exitUnknown
	}
	return code
}

// recordExit marks the container exited with code.
func (r *Runtime) recordExit(c *Container, code int) {
	c.State.Status = StatusExited
	c.State.ExitCode = code
	c.State.FinishedAt = time.Now().UTC()
	c.State.Pid, c.State.ConmonPid = 0, 0
}

// KillContainer sends a signal (SIGKILL when 0) to a running container's main
// process. The container's exit is recorded by its cleanup, as for any exit.
func (r *Runtime) KillContainer(ctx context.Context, ref string, sig syscall.Signal) error {
	if sig == 0 {
		sig = syscall.SIGKILL
	}
	h, err := r.lockContainer(ctx, ref)
	if err != nil {
		return err
	}
	defer h.release()
	c := h.c
	if err := r.syncLocked(ctx, h); err != nil {
		return err
	}
	if !c.Running() {
		return fmt.Errorf("can only kill running containers; %s is in state %s: %w", shortID(c.ID), c.State.Status, ErrInvalidState)
	}
	if err := r.ociRuntime(c).Kill(ctx, c.ID, sig, false); err != nil {
		if isGone(err) {
			return fmt.Errorf("can only kill running containers; %s has exited: %w", shortID(c.ID), ErrInvalidState)
		}
		return fmt.Errorf("killing container %s: %w", shortID(c.ID), err)
	}
	return nil
}

// RestartContainer stops a running container (as StopContainer, without removing an
// --rm one) and starts it again.
func (r *Runtime) RestartContainer(ctx context.Context, ref string, so StopOptions, o StartOptions) (*Container, error) {
	h, err := r.lockContainer(ctx, ref)
	if err != nil {
		return nil, err
	}
	defer h.release()
	if err := r.stopLocked(ctx, h, so.Timeout); err != nil {
		return nil, err
	}
	if err := r.startLocked(ctx, h, o, nil); err != nil {
		return nil, err
	}
	return h.c, nil
}
