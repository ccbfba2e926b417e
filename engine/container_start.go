package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"

	"github.com/berth-containers/berth/engine/oci"
)

// StartOptions change how a container starts.
type StartOptions struct {
	// Stdio are conmon's stdin, stdout and stderr with --log-driver=passthrough,
	// where the container writes to them directly (a unit's journal stream). Nil
	// entries are /dev/null.
	Stdio [3]*os.File
	// NotifySocket is systemd's notify socket (the caller's NOTIFY_SOCKET), which
	// --sdnotify uses; empty when not under systemd. It is passed explicitly because
	// engine/oci keeps NOTIFY_SOCKET from the runtime and conmon: a runtime that sees
	// it speaks sd_notify on its own (runc start then waits for the container's READY=1).
	NotifySocket string
}

// StartContainer starts a created or exited container; one that runs already is left
// as it is. With --sdnotify=conmon it then tells systemd (NOTIFY_SOCKET) READY=1 and
// MAINPID=<conmon>; with container, MAINPID only (the container sends READY through
// conmon). A command that does not exist or cannot run fails with an *ExitError of
// code 127 or 126.
func (r *Runtime) StartContainer(ctx context.Context, ref string, o StartOptions) (*Container, error) {
	h, err := r.lockContainer(ctx, ref)
	if err != nil {
		return nil, err
	}
	defer h.release()
	if err := r.startLocked(ctx, h, o, nil); err != nil {
		return nil, err
	}
	h.release() // --sdnotify=healthy waits without the lock
	return h.c, r.notifyWhenHealthy(ctx, h.c, o.NotifySocket)
}

// startLocked starts the held container. attach, when not nil, runs after conmon
// created the container and before its process starts, to connect to its stdio.
func (r *Runtime) startLocked(ctx context.Context, h *held, o StartOptions, attach func(*Container) error) error {
	c := h.c
	if err := r.syncLocked(ctx, h); err != nil {
		return err
	}
	switch c.State.Status {
	case StatusRunning:
		return nil
	case StatusConfigured:
		return fmt.Errorf("container %s was not completely created (a create was interrupted); remove it: %w",
			shortID(c.ID), ErrInvalidState)
	}
	// What an earlier run left (when no cleanup ran) goes first.
	if err := r.cleanupLocked(ctx, c); err != nil {
		return err
	}
	fail := func(err error) error {
		// Undone even when ctx is cancelled: a half-started container must not stay.
		return errors.Join(err, r.cleanupLocked(context.WithoutCancel(ctx), c), h.save())
	}
	// A pod's container joins the namespaces of the pod's infra, which runs first.
	if err := r.startPodInfra(ctx, c); err != nil {
		return fail(err)
	}
	if err := r.prepareBundle(ctx, c, o.NotifySocket); err != nil {
		return fail(err)
	}
	// Volumes with a file system of their own: mounted for their first user.
	if err := r.mountVolumes(ctx, c); err != nil {
		return fail(err)
	}
	if err := os.MkdirAll(r.exitDir(), 0o700); err != nil {
		return fail(err)
	}
	if err := os.Remove(filepath.Join(r.exitDir(), c.ID)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fail(err)
	}
	p, err := r.conmonCreate(ctx, c, o)
	if err != nil && strings.Contains(err.Error(), "already exists") {
		// A start killed after the runtime created the container, before the record
		// said so, left the runtime's state behind.
		if derr := r.ociRuntime(c).Delete(ctx, c.ID, true); derr == nil {
			p, err = r.conmonCreate(ctx, c, o)
		}
	}
	if err != nil {
		return fail(commandError(err))
	}
	c.State.Pid, c.State.ConmonPid, c.State.OCICreated = p.Pid, p.ConmonPid, true
	if attach != nil {
		if err := attach(c); err != nil {
			return fail(err)
		}
	}
	if err := r.ociRuntime(c).Start(ctx, c.ID); err != nil {
		return fail(fmt.Errorf("starting container %s: %w", shortID(c.ID), commandError(err)))
	}
	c.State.Status = StatusRunning
	c.State.StartedAt = time.Now().UTC()
	c.State.FinishedAt = time.Time{}
	c.State.ExitCode = 0
	r.healthStarting(ctx, c) // health_run.go
	if err := h.save(); err != nil {
		return err
	}
	r.notifySystemd(c, o.NotifySocket)
	return nil
}

// conmonCreate starts conmon, which has the runtime create the container.
func (r *Runtime) conmonCreate(ctx context.Context, c *Container, o StartOptions) (*oci.Process, error) {
	cm, err := r.conmon(c)
	if err != nil {
		return nil, err
	}
	exe, args, err := r.exitCommand(c)
	if err != nil {
		return nil, err
	}
	st, err := c.Config.specSettings()
	if err != nil {
		return nil, err
	}
	co := oci.CreateOptions{
		ID: c.ID, Name: c.Name, Bundle: c.Bundle, ExitDir: r.exitDir(),
		LogDriver: c.Config.LogDriver, LogPath: c.LogPath,
		LogSizeMax:  r.cfg.Containers.LogSizeMax,
		LogTag:      st.logTag,
		Terminal:    c.Config.Terminal,
		Stdin:       c.Config.Interactive,
		ExitCommand: exe, ExitCommandArgs: args,
		ConmonCgroup: c.ConmonCgroup,
		NoPivot:      r.cfg.Engine.NoPivotRoot,
		Stdio:        o.Stdio,
	}
	if co.LogDriver == "" {
		co.LogDriver = oci.LogK8sFile
	}
	if st.logSizeMax != 0 {
		co.LogSizeMax = st.logSizeMax
	}
	if c.Config.SdNotify == SdNotifyContainer || c.Config.SdNotify == "" {
		co.SdNotifySocket = o.NotifySocket
	}
	return cm.Create(ctx, co)
}

// notifySystemd sends what --sdnotify asks for once the container runs: READY=1 and
// MAINPID=<conmon> for conmon, MAINPID alone for container (the container sends
// READY=1 through conmon). Without a socket (not under systemd) nothing is sent.
func (r *Runtime) notifySystemd(c *Container, socket string) {
	if socket == "" {
		return
	}
	var msg string
	switch c.Config.SdNotify {
	case SdNotifyConmon:
		msg = fmt.Sprintf("MAINPID=%d\n%s", c.State.ConmonPid, daemon.SdNotifyReady)
	case SdNotifyContainer, SdNotifyHealthy, "":
		// healthy: READY=1 follows from notifyWhenHealthy (health_notify.go).
		msg = fmt.Sprintf("MAINPID=%d", c.State.ConmonPid)
	default:
		return
	}
	if err := sdNotify(socket, msg); err != nil {
		r.log.Warn("sd_notify failed", "container", shortID(c.ID), "socket", socket, "error", err)
	}
}

// sdNotify sends one datagram of the sd_notify protocol to socket, as go-systemd's
// daemon.SdNotify does to $NOTIFY_SOCKET: berth has taken the variable out of its
// environment (see TakeNotifySocket), so it names the socket itself. A leading @ is
// an abstract socket, which Go's net package understands as such.
func sdNotify(socket, msg string) error {
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: socket, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.Write([]byte(msg))
	return err
}
