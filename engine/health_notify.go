package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// healthNotifyPoll is how often --sdnotify=healthy checks when the healthcheck has
// no interval (--health-interval=disable).
const healthNotifyPoll = time.Second

// notifyWhenHealthy is --sdnotify=healthy after a start (which sent MAINPID
// already): it runs the container's healthcheck (the startup check first, at its
// interval) every interval until the regular check passes, then sends READY=1. A
// container that exits first, or a check that cannot run, fails it. Without a
// socket (not under systemd) there is nothing to wait for.
func (r *Runtime) notifyWhenHealthy(ctx context.Context, c *Container, socket string) error {
	if socket == "" || c.Config.SdNotify != SdNotifyHealthy || c.Healthcheck == nil {
		return nil
	}
	for {
		rep, err := r.RunHealthcheckReport(ctx, c.ID)
		if errors.Is(err, ErrInvalidState) || errors.Is(err, ErrNoSuchContainer) {
			return fmt.Errorf("container %s exited before it became healthy (--sdnotify=healthy)", shortID(c.ID))
		}
		if err != nil {
			return fmt.Errorf("waiting for container %s to be healthy: %w", shortID(c.ID), err)
		}
		if rep.Status == HealthHealthy {
			break
		}
		every := c.Healthcheck.Interval
		if rep.Startup {
			every = c.Healthcheck.Startup.Interval
		}
		if every <= 0 {
			every = healthNotifyPoll
		}
		r.log.Debug("not healthy yet", "container", shortID(c.ID), "status", rep.Status)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(every):
		}
	}
	if err := sdNotify(socket, daemon.SdNotifyReady); err != nil {
		r.log.Warn("sd_notify failed", "container", shortID(c.ID), "socket", socket, "error", err)
	}
	return nil
}

// notifyWhenHealthyInBackground is notifyWhenHealthy beside a foreground run, whose
// end (the container's exit) is what a failure means there: it is only logged.
func (r *Runtime) notifyWhenHealthyInBackground(ctx context.Context, c *Container, socket string) {
	if err := r.notifyWhenHealthy(ctx, c, socket); err != nil && ctx.Err() == nil {
		r.log.Debug("no READY=1 sent", "container", shortID(c.ID), "error", err)
	}
}
