package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"golang.org/x/sys/unix"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"go.podman.io/common/libimage"
	"go.podman.io/image/v5/manifest"
)

// ErrNoHealthcheck is returned for a container that has no healthcheck.
var ErrNoHealthcheck = errors.New("no defined healthcheck")

// planHealthcheck resolves the new container's healthcheck from its flags and its
// image (data may be nil, with --rootfs). --sdnotify=healthy needs one.
func planHealthcheck(c *Container, data *libimage.ImageData) error {
	var img *manifest.Schema2HealthConfig
	if data != nil {
		img = data.HealthCheck
	}
	hc, err := resolveHealthcheck(c.Config.Health, img)
	if err != nil {
		return err
	}
	c.Healthcheck = hc
	if hc == nil && c.Config.Health != nil && c.Config.Health.StartupCmd != "" {
		return fmt.Errorf("--health-startup-cmd needs a regular healthcheck (--health-cmd, or the image's HEALTHCHECK)")
	}
	if hc == nil && c.Config.SdNotify == SdNotifyHealthy {
		return fmt.Errorf("--sdnotify=healthy needs a healthcheck (--health-cmd, or the image's HEALTHCHECK)")
	}
	return nil
}

// healthStarting is what a start does for the healthcheck: the status starts over
// and, under systemd, a timer runs the checks.
func (r *Runtime) healthStarting(ctx context.Context, c *Container) {
	if c.Healthcheck == nil {
		return
	}
	c.State.Health = &HealthState{Status: HealthStarting}
	every := c.Healthcheck.Interval
	if c.Healthcheck.Startup != nil {
		every = c.Healthcheck.Startup.Interval
	}
	c.State.Health.Timer = r.startHealthTimer(ctx, c, every)
}

// HealthcheckReport is what one healthcheck run found.
type HealthcheckReport struct {
	// Status is what the check says: healthy, unhealthy, or starting (a failure
	// within the start period, or any startup check).
	Status string
	Passed bool // the command passed
	// Startup is set when it was the startup check (health_startup.go).
	Startup bool
}

// RunHealthcheck is RunHealthcheckReport's status.
func (r *Runtime) RunHealthcheck(ctx context.Context, ref string) (string, error) {
	rep, err := r.RunHealthcheckReport(ctx, ref)
	return rep.Status, err
}

// RunHealthcheckReport runs the container's healthcheck once (podman healthcheck
// run): the startup check while startup has not passed, else the regular one; the
// command inside the container, within its timeout. The result goes into the
// record's health state, and an on-failure action runs when the container has
// turned unhealthy. The command runs without the container's lock, which a check
// as long as its timeout must not hold.
func (r *Runtime) RunHealthcheckReport(ctx context.Context, ref string) (HealthcheckReport, error) {
	c, err := r.ObservedContainer(ref)
	if err != nil {
		return HealthcheckReport{}, err
	}
	hc := c.Healthcheck
	if hc == nil {
		return HealthcheckReport{}, fmt.Errorf("container %s: %w", shortID(c.ID), ErrNoHealthcheck)
	}
	if !c.Running() {
		return HealthcheckReport{}, fmt.Errorf("container %s is not running (%s): %w", shortID(c.ID), c.State.Status, ErrInvalidState)
	}
	if c.inStartup() {
		return r.runStartupHealthcheck(ctx, c)
	}
	entry, err := r.execHealthcheck(ctx, c, hc)
	if err != nil {
		return HealthcheckReport{}, err
	}
	status, health, err := r.recordHealth(ctx, c, entry)
	if err != nil {
		return HealthcheckReport{}, err
	}
	rep := HealthcheckReport{Status: status, Passed: entry.ExitCode == 0}
	r.writeHealthLogOf(c, health)
	if health.Status == HealthUnhealthy && status == HealthUnhealthy {
		if err := r.healthOnFailure(ctx, c, hc.OnFailure); err != nil {
			return rep, fmt.Errorf("container %s is unhealthy; its --health-on-failure=%s failed: %w", shortID(c.ID), hc.OnFailure, err)
		}
	}
	return rep, nil
}

// writeHealthLogOf writes the state to --health-log-destination, if it is a
// directory; a failure is only logged.
func (r *Runtime) writeHealthLogOf(c *Container, health HealthState) {
	if c.Healthcheck.LogDir == "" {
		return
	}
	if err := writeHealthLog(c.Healthcheck.LogDir, c.ID, health); err != nil {
		r.log.Warn("writing the healthcheck log", "container", shortID(c.ID), "error", err)
	}
}

// execHealthcheck runs the check's command and returns its log entry. The command's
// failure to run (not found, timed out) is a failed check; an exec that could not
// start because the container went away is an error.
func (r *Runtime) execHealthcheck(ctx context.Context, c *Container, hc *Healthcheck) (HealthLogEntry, error) {
	// A little more than is kept: record cuts it between characters.
	limit := int(hc.MaxLogSize) + utf8.UTFMax
	if hc.MaxLogSize == 0 {
		limit = 1 << 20
	}
	out := &cappedBuffer{max: limit}
	e := HealthLogEntry{Start: time.Now().UTC()}
	tctx, cancel := context.WithTimeout(ctx, hc.Timeout)
	defer cancel()
	// A check that runs over its timeout is killed, or every later one that hangs
	// too would pile up in the container. A pidfd names exactly that process.
	pidfd := -1
	var pidMu sync.Mutex
	defer func() {
		pidMu.Lock()
		defer pidMu.Unlock()
		if pidfd >= 0 {
			if tctx.Err() != nil {
				_ = unix.PidfdSendSignal(pidfd, unix.SIGKILL, nil, 0)
			}
			unix.Close(pidfd)
		}
	}()
	code, err := r.ExecContainer(tctx, c.ID, ExecOptions{Cmd: hc.argv(), Stdout: out, Stderr: out,
		Pid: func(pid int) {
			fd, err := unix.PidfdOpen(pid, 0)
			if err != nil {
				return
			}
			pidMu.Lock()
			pidfd = fd
			pidMu.Unlock()
		}})
	e.End = time.Now().UTC()
	e.ExitCode, e.Output = code, out.String()
	var ee *ExitError
	switch {
	case err == nil:
	case tctx.Err() != nil && ctx.Err() == nil:
		e.ExitCode, e.Output = -1, fmt.Sprintf("healthcheck command exceeded the timeout of %s", hc.Timeout)
	case errors.As(err, &ee):
		e.ExitCode, e.Output = ee.Code, err.Error()
	case errors.Is(err, ErrInvalidState) || ctx.Err() != nil:
		return e, err
	default:
		e.ExitCode, e.Output = 1, err.Error()
	}
	return e, nil
}

// recordHealth adds the result to the record under the container's lock, if the
// container still runs the start the check ran in.
func (r *Runtime) recordHealth(ctx context.Context, ran *Container, e HealthLogEntry) (string, HealthState, error) {
	h, err := r.lockContainer(ctx, ran.ID)
	if err != nil {
		return "", HealthState{}, err
	}
	defer h.release()
	if err := r.syncLocked(ctx, h); err != nil {
		return "", HealthState{}, err
	}
	c := h.c
	if !c.Running() || !c.State.StartedAt.Equal(ran.State.StartedAt) || c.Healthcheck == nil {
		return "", HealthState{}, fmt.Errorf("container %s stopped during its healthcheck: %w", shortID(c.ID), ErrInvalidState)
	}
	if c.State.Health == nil {
		c.State.Health = &HealthState{Status: HealthStarting}
	}
	inStart := e.Start.Sub(c.State.StartedAt) < c.Healthcheck.StartPeriod
	status := c.State.Health.record(c.Healthcheck, e, inStart)
	if err := h.save(); err != nil {
		return "", HealthState{}, err
	}
	return status, *c.State.Health, nil
}

// healthOnFailure is --health-on-failure for a container that turned unhealthy.
func (r *Runtime) healthOnFailure(ctx context.Context, c *Container, action string) error {
	r.log.Debug("container unhealthy", "container", shortID(c.ID), "on-failure", action)
	switch action {
	case HealthOnFailureKill:
		return r.KillContainer(ctx, c.ID, syscall.SIGKILL)
	case HealthOnFailureStop:
		return r.StopContainer(ctx, c.ID, StopOptions{})
	case HealthOnFailureRestart:
		_, err := r.RestartContainer(ctx, c.ID, StopOptions{}, StartOptions{})
		return err
	}
	return nil
}

// writeHealthLog writes the health state to DIR/ID-healthcheck.log (JSON, podman's
// file for --health-log-destination=DIR), atomically.
func writeHealthLog(dir, id string, st HealthState) error {
	st.Timer = ""
	data, err := json.Marshal(inspectHealth(&st))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, id+"-healthcheck.log"), data, 0o644)
}

// cappedBuffer keeps the first max bytes written to it, from stdout and stderr at
// once.
type cappedBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (b *cappedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
