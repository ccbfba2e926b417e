package engine

import (
	"context"
	"fmt"
	"time"
)

// StartupHealthcheck is the startup healthcheck (podman's --health-startup-*): it
// runs instead of the regular check after each start until it has passed Successes
// times in a row; Retries failures in a row restart the container.
type StartupHealthcheck struct {
	Test      []string      `json:"test"` // CMD ARG... or CMD-SHELL COMMAND
	Interval  time.Duration `json:"interval,omitempty"`
	Timeout   time.Duration `json:"timeout"`
	Retries   int           `json:"retries,omitempty"`   // 0: never restart
	Successes int           `json:"successes,omitempty"` // 0: one pass is enough
}

// Startup healthcheck defaults, as podman's.
const (
	defaultStartupInterval = 30 * time.Second
	defaultStartupTimeout  = 30 * time.Second
)

// validateStartup checks the --health-startup-* flags; the other startup flags
// mean nothing without --health-startup-cmd.
func (h *HealthConfig) validateStartup() error {
	if h.StartupCmd == "" {
		switch {
		case h.StartupInterval != "":
			return fmt.Errorf("--health-startup-interval needs --health-startup-cmd")
		case h.StartupTimeout != "":
			return fmt.Errorf("--health-startup-timeout needs --health-startup-cmd")
		case h.StartupRetries != nil:
			return fmt.Errorf("--health-startup-retries needs --health-startup-cmd")
		case h.StartupSuccess != nil:
			return fmt.Errorf("--health-startup-success needs --health-startup-cmd")
		}
		return nil
	}
	test, err := parseHealthCmdFlag("--health-startup-cmd", h.StartupCmd)
	if err != nil {
		return err
	}
	if test[0] == "NONE" {
		return fmt.Errorf("--health-startup-cmd %q: give a command (leave the flag out for no startup healthcheck)", h.StartupCmd)
	}
	if h.Cmd != "" && isHealthNone(h.Cmd) {
		return fmt.Errorf("--health-startup-cmd needs a regular healthcheck, and --health-cmd is none")
	}
	if h.StartupInterval != "" && h.StartupInterval != healthIntervalDisable {
		if d, err := time.ParseDuration(h.StartupInterval); err != nil || d <= 0 {
			return fmt.Errorf("--health-startup-interval %q: use a positive duration (30s, 1m) or disable", h.StartupInterval)
		}
	}
	if h.StartupTimeout != "" {
		if d, err := time.ParseDuration(h.StartupTimeout); err != nil || d < time.Second {
			return fmt.Errorf("--health-startup-timeout %q: use a duration of at least 1s", h.StartupTimeout)
		}
	}
	if h.StartupRetries != nil && *h.StartupRetries < 0 {
		return fmt.Errorf("--health-startup-retries %d: must be 0 or more", *h.StartupRetries)
	}
	if h.StartupSuccess != nil && *h.StartupSuccess < 0 {
		return fmt.Errorf("--health-startup-success %d: must be 0 or more", *h.StartupSuccess)
	}
	return nil
}

func isHealthNone(cmd string) bool {
	test, err := parseHealthCmd(cmd)
	return err == nil && test[0] == "NONE"
}

// resolveStartup is the startup healthcheck the validated flags give, nil without
// --health-startup-cmd.
func resolveStartup(h *HealthConfig) *StartupHealthcheck {
	if h.StartupCmd == "" {
		return nil
	}
	test, _ := parseHealthCmdFlag("--health-startup-cmd", h.StartupCmd)
	s := &StartupHealthcheck{Test: test, Interval: defaultStartupInterval, Timeout: defaultStartupTimeout}
	if h.StartupInterval == healthIntervalDisable {
		s.Interval = 0
	} else if h.StartupInterval != "" {
		s.Interval, _ = time.ParseDuration(h.StartupInterval)
	}
	if h.StartupTimeout != "" {
		s.Timeout, _ = time.ParseDuration(h.StartupTimeout)
	}
	if h.StartupRetries != nil {
		s.Retries = *h.StartupRetries
	}
	if h.StartupSuccess != nil {
		s.Successes = *h.StartupSuccess
	}
	return s
}

// inStartup reports whether the container's next check is its startup check.
func (c *Container) inStartup() bool {
	return c.Healthcheck != nil && c.Healthcheck.Startup != nil &&
		(c.State.Health == nil || !c.State.Health.StartupPassed)
}

// startupCheck is the startup check as a Healthcheck, to run it as the regular one
// runs (its log limits are the regular check's).
func (hc *Healthcheck) startupCheck() *Healthcheck {
	s := hc.Startup
	return &Healthcheck{Test: s.Test, Interval: s.Interval, Timeout: s.Timeout,
		MaxLogCount: hc.MaxLogCount, MaxLogSize: hc.MaxLogSize}
}

// Results of a startup check, for RunHealthcheck.
const (
	startupFailed  = iota // failed, the container keeps starting
	startupPassing        // passed, not yet the successes in a row asked for
	startupPassed         // passed for good: the regular check takes over
	startupRestart        // failed its retries: the container is restarted
)

// recordStartup adds a startup check's result to the state. Status stays starting
// until the startup check has passed; FailingStreak counts its failures in a row,
// and starts over for the regular check.
func (st *HealthState) recordStartup(hc *Healthcheck, e HealthLogEntry) int {
	st.appendLog(hc, e)
	s := hc.Startup
	if e.ExitCode != 0 {
		st.StartupSuccesses = 0
		st.FailingStreak++
		if s.Retries > 0 && st.FailingStreak >= s.Retries {
			return startupRestart
		}
		return startupFailed
	}
	st.FailingStreak = 0
	st.StartupSuccesses++
	if st.StartupSuccesses < max(s.Successes, 1) {
		return startupPassing
	}
	st.StartupPassed = true
	return startupPassed
}

// runStartupHealthcheck runs the startup check of the container c (observed
// running, in startup). Its pass that ends startup moves the timer to the regular
// interval; its failure that reaches the retries restarts the container, as podman
// does.
func (r *Runtime) runStartupHealthcheck(ctx context.Context, c *Container) (HealthcheckReport, error) {
	entry, err := r.execHealthcheck(ctx, c, c.Healthcheck.startupCheck())
	if err != nil {
		return HealthcheckReport{}, err
	}
	result, health, err := r.recordStartupHealth(ctx, c, entry)
	if err != nil {
		return HealthcheckReport{}, err
	}
	rep := HealthcheckReport{Status: HealthStarting, Passed: entry.ExitCode == 0, Startup: true}
	r.writeHealthLogOf(c, health)
	if result == startupRestart {
		r.log.Debug("startup healthcheck failed its retries; restarting", "container", shortID(c.ID))
		if _, err := r.RestartContainer(ctx, c.ID, StopOptions{}, StartOptions{}); err != nil {
			return rep, fmt.Errorf("container %s failed its startup healthcheck %d times; restarting it failed: %w",
				shortID(c.ID), c.Healthcheck.Startup.Retries, err)
		}
	}
	return rep, nil
}

// recordStartupHealth adds the startup check's result to the record under the
// container's lock, if the container still runs the start the check ran in and is
// still in startup (another run may have ended it meanwhile: its result is then
// dropped). Ending startup swaps the startup timer for the regular one.
func (r *Runtime) recordStartupHealth(ctx context.Context, ran *Container, e HealthLogEntry) (int, HealthState, error) {
	h, err := r.lockContainer(ctx, ran.ID)
	if err != nil {
		return 0, HealthState{}, err
	}
	defer h.release()
	if err := r.syncLocked(ctx, h); err != nil {
		return 0, HealthState{}, err
	}
	c := h.c
	if !c.Running() || !c.State.StartedAt.Equal(ran.State.StartedAt) || c.Healthcheck == nil {
		return 0, HealthState{}, fmt.Errorf("container %s stopped during its startup healthcheck: %w", shortID(c.ID), ErrInvalidState)
	}
	if !c.inStartup() {
		return startupPassed, *c.State.Health, nil
	}
	if c.State.Health == nil {
		c.State.Health = &HealthState{Status: HealthStarting}
	}
	result := c.State.Health.recordStartup(c.Healthcheck, e)
	if result == startupPassed {
		r.log.Debug("startup healthcheck passed", "container", shortID(c.ID))
		r.stopHealthTimer(ctx, c)
		c.State.Health.Timer = r.startHealthTimer(ctx, c, c.Healthcheck.Interval)
	}
	if err := h.save(); err != nil {
		return 0, HealthState{}, err
	}
	return result, *c.State.Health, nil
}
