package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	godbus "github.com/godbus/dbus/v5"
)

// healthTimers starts and stops the transient systemd units that run a container's
// healthchecks: UNIT.timer, which fires the interval after UNIT.service last ended,
// and UNIT.service, which runs `berth healthcheck run ID` (as podman's systemd-run
// --on-unit-inactive does).
type healthTimers interface {
	start(ctx context.Context, unit string, interval time.Duration, argv []string) error
	stop(ctx context.Context, unit string) error
	close()
}

// healthTimerAccuracy is the timer's AccuracySec: transient timers default to a
// minute, far coarser than the usual intervals.
const healthTimerAccuracy = time.Second

// dialHealthTimers connects to systemd, or returns nil and why not: without systemd
// (no /run/systemd/system, as sd_booted checks) or without its bus, checks are not
// scheduled.
func dialHealthTimers(ctx context.Context) (healthTimers, error) {
	if _, err := os.Stat("/run/systemd/system"); err != nil {
		return nil, fmt.Errorf("not running under systemd")
	}
	// The connection lives as long as its context: not one that ends when this
	// function returns (close ends it).
	ctx = context.WithoutCancel(ctx)
	var conn *sddbus.Conn
	var err error
	if !Rootless() { // inside the rootless user namespace the uid is 0 too
		conn, err = sddbus.NewSystemConnectionContext(ctx)
	} else {
		conn, err = sddbus.NewUserConnectionContext(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("connecting to systemd: %w", err)
	}
	return &dbusHealthTimers{conn: conn}, nil
}

// startHealthTimer schedules the container's checks every interval (the startup
// check's or the regular one's) and returns the units' name, or "" when they are
// not scheduled (no interval, no systemd, or a failure, which is logged: the
// container runs anyway, and healthcheck run still works).
func (r *Runtime) startHealthTimer(ctx context.Context, c *Container, interval time.Duration) string {
	if interval <= 0 {
		return ""
	}
	t, err := dialHealthTimers(ctx)
	if err != nil {
		r.log.Debug("healthchecks not scheduled", "container", shortID(c.ID), "reason", err)
		return ""
	}
	defer t.close()
	argv, err := r.healthcheckCommand(c)
	if err != nil {
		r.log.Warn("healthchecks not scheduled", "container", shortID(c.ID), "error", err)
		return ""
	}
	// A name of its own per start: a restart from a check (--health-on-failure)
	// starts the next timer while the previous service still runs.
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	unit := c.ID + "-" + hex.EncodeToString(suffix[:])
	if err := t.start(ctx, unit, interval, argv); err != nil {
		r.log.Warn("healthchecks not scheduled", "container", shortID(c.ID), "error", err)
		return ""
	}
	return unit
}

// stopHealthTimer removes the timer of the container's last start, if any; its
// service, which may be the check that stops the container, finishes on its own.
func (r *Runtime) stopHealthTimer(ctx context.Context, c *Container) {
	st := c.State.Health
	if st == nil || st.Timer == "" {
		return
	}
	// Forgotten whatever happens: a timer that is not loaded (gone with a reboot)
	// cannot be stopped again later either.
	unit := st.Timer
	st.Timer = ""
	t, err := dialHealthTimers(ctx)
	if err != nil {
		r.log.Debug("healthcheck timer not stopped", "container", shortID(c.ID), "unit", unit, "reason", err)
		return
	}
	defer t.close()
	if err := t.stop(ctx, unit); err != nil {
		r.log.Debug("stopping the healthcheck timer", "container", shortID(c.ID), "unit", unit, "error", err)
	}
}

// healthcheckCommand is `berth [GLOBAL FLAGS] healthcheck run ID`, the program as
// for the exit command.
func (r *Runtime) healthcheckCommand(c *Container) ([]string, error) {
	prog := c.Config.ExitCommand
	if len(prog) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("finding berth's own binary: %w", err)
		}
		prog = []string{exe}
	}
	argv := append(append([]string(nil), prog...), r.GlobalArgs()...)
	return append(argv, "healthcheck", "run", c.ID), nil
}

// dbusHealthTimers is healthTimers over systemd's D-Bus API.
type dbusHealthTimers struct{ conn *sddbus.Conn }

func (d *dbusHealthTimers) start(ctx context.Context, unit string, interval time.Duration, argv []string) error {
	timer := []sddbus.Property{
		sddbus.PropDescription("berth healthcheck timer of " + unit),
		{Name: "OnUnitInactiveUSec", Value: godbus.MakeVariant(uint64(interval.Microseconds()))},
		{Name: "AccuracyUSec", Value: godbus.MakeVariant(uint64(healthTimerAccuracy.Microseconds()))},
		{Name: "RemainAfterElapse", Value: godbus.MakeVariant(false)},
	}
	service := sddbus.PropertyCollection{Name: unit + ".service", Properties: []sddbus.Property{
		sddbus.PropDescription("berth healthcheck of " + unit),
		sddbus.PropExecStart(argv, false),
		// An unhealthy check fails the service; it must not stay loaded.
		{Name: "CollectMode", Value: godbus.MakeVariant("inactive-or-failed")},
	}}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := d.conn.StartTransientUnitAux(ctx, unit+".timer", "fail", timer, []sddbus.PropertyCollection{service}, nil)
	if err != nil {
		return fmt.Errorf("starting %s.timer: %w", unit, err)
	}
	return nil
}

func (d *dbusHealthTimers) stop(ctx context.Context, unit string) error {
	if _, err := d.conn.StopUnitContext(ctx, unit+".timer", "replace", nil); err != nil {
		return fmt.Errorf("stopping %s.timer: %w", unit, err)
	}
	return nil
}

func (d *dbusHealthTimers) close() { d.conn.Close() }
