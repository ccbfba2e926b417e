package engine

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"go.podman.io/image/v5/manifest"
)

// HealthConfig is what podman's --health-* flags say, as given; Validate checks it
// and newRecord resolves it with the image's HEALTHCHECK into the record's
// Healthcheck. Nil pointers and empty strings take the image's values, else podman's
// defaults.
type HealthConfig struct {
	// Cmd is --health-cmd: a command for /bin/sh -c, a JSON array (["CMD", ARG...],
	// ["CMD-SHELL", "COMMAND"]), or none, which disables the image's healthcheck.
	Cmd         string `json:"cmd,omitempty"`
	Interval    string `json:"interval,omitempty"`    // a duration, or disable (no timer)
	Timeout     string `json:"timeout,omitempty"`     // a duration, at least 1s
	StartPeriod string `json:"startPeriod,omitempty"` // failures in it do not count
	Retries     *int   `json:"retries,omitempty"`     // failures in a row that make it unhealthy
	OnFailure   string `json:"onFailure,omitempty"`   // none, kill, restart, stop
	// LogDestination is local (the record) or a directory that also gets the
	// results as a JSON file; events_logger is not supported.
	LogDestination string `json:"logDestination,omitempty"`
	MaxLogCount    *uint  `json:"maxLogCount,omitempty"` // results kept, 0 for all
	MaxLogSize     *uint  `json:"maxLogSize,omitempty"`  // characters of output kept, 0 for all
	// The startup healthcheck (--health-startup-*, health_startup.go): it runs
	// instead of the regular one until it has passed.
	StartupCmd      string `json:"startupCmd,omitempty"`
	StartupInterval string `json:"startupInterval,omitempty"` // a duration, or disable (no timer)
	StartupTimeout  string `json:"startupTimeout,omitempty"`  // a duration, at least 1s
	StartupRetries  *int   `json:"startupRetries,omitempty"`  // failures in a row that restart the container, 0 for never
	StartupSuccess  *int   `json:"startupSuccess,omitempty"`  // passes in a row that end startup, 0 for one
}

// Healthcheck is a container's healthcheck as it runs: the flags over the image's.
type Healthcheck struct {
	Test        []string      `json:"test"` // CMD ARG... or CMD-SHELL COMMAND
	Interval    time.Duration `json:"interval,omitempty"`
	Timeout     time.Duration `json:"timeout"`
	StartPeriod time.Duration `json:"startPeriod,omitempty"`
	Retries     int           `json:"retries"`
	OnFailure   string        `json:"onFailure,omitempty"`
	LogDir      string        `json:"logDir,omitempty"` // "" keeps the log in the record only
	MaxLogCount uint          `json:"maxLogCount"`
	MaxLogSize  uint          `json:"maxLogSize"`
	// Startup is the startup healthcheck, nil without one (health_startup.go).
	Startup *StartupHealthcheck `json:"startup,omitempty"`
}

// Healthcheck defaults, as podman's.
const (
	defaultHealthInterval    = 30 * time.Second
	defaultHealthTimeout     = 30 * time.Second
	defaultHealthRetries     = 3
	defaultHealthMaxLogCount = 5
	defaultHealthMaxLogSize  = 500

	HealthOnFailureNone    = "none"
	HealthOnFailureKill    = "kill"
	HealthOnFailureRestart = "restart"
	HealthOnFailureStop    = "stop"

	healthIntervalDisable = "disable"
	healthLogLocal        = "local"
)

// Given reports whether any --health-* flag was set.
func (h *HealthConfig) Given() bool {
	return h != nil && *h != HealthConfig{}
}

// validate checks the flags' values, so that a bad one fails before anything is
// created.
func (h *HealthConfig) validate() error {
	if h == nil {
		return nil
	}
	if h.Cmd != "" {
		if _, err := parseHealthCmd(h.Cmd); err != nil {
			return err
		}
	}
	if h.Interval != "" && h.Interval != healthIntervalDisable {
		if d, err := time.ParseDuration(h.Interval); err != nil || d <= 0 {
			return fmt.Errorf("--health-interval %q: use a positive duration (30s, 1m) or disable", h.Interval)
		}
	}
	if h.Timeout != "" {
		if d, err := time.ParseDuration(h.Timeout); err != nil || d < time.Second {
			return fmt.Errorf("--health-timeout %q: use a duration of at least 1s", h.Timeout)
		}
	}
	if h.StartPeriod != "" {
		if d, err := time.ParseDuration(h.StartPeriod); err != nil || d < 0 {
			return fmt.Errorf("--health-start-period %q: use a duration of 0s or more", h.StartPeriod)
		}
	}
	if h.Retries != nil && *h.Retries < 0 {
		return fmt.Errorf("--health-retries %d: must be 0 or more", *h.Retries)
	}
	switch h.OnFailure {
	case "", HealthOnFailureNone, HealthOnFailureKill, HealthOnFailureRestart, HealthOnFailureStop:
	default:
		return fmt.Errorf("--health-on-failure %q: use none, kill, restart or stop", h.OnFailure)
	}
	switch d := h.LogDestination; {
	case d == "", d == healthLogLocal:
	case d == "events_logger":
		return fmt.Errorf("--health-log-destination=events_logger: berth has no events log: %w", ErrUnsupported)
	case !filepath.IsAbs(d):
		return fmt.Errorf("--health-log-destination %q: use local or an absolute directory path", d)
	}
	return h.validateStartup()
}

// parseHealthCmd reads --health-cmd as podman does: none (["NONE"]), a JSON array
// (CMD is put first when it names neither CMD nor CMD-SHELL), or a shell command.
func parseHealthCmd(s string) ([]string, error) { return parseHealthCmdFlag("--health-cmd", s) }

// parseHealthCmdFlag is parseHealthCmd with the flag's name in its errors.
func parseHealthCmdFlag(flag, s string) ([]string, error) {
	if strings.EqualFold(strings.TrimSpace(s), "none") {
		return []string{"NONE"}, nil
	}
	var arr []string
	if strings.HasPrefix(strings.TrimSpace(s), "[") {
		if err := json.Unmarshal([]byte(s), &arr); err != nil {
			return nil, fmt.Errorf("%s %q: not a JSON array of strings: %w", flag, s, err)
		}
		if len(arr) == 0 {
			return nil, fmt.Errorf("%s %q: the array is empty", flag, s)
		}
		switch strings.ToUpper(arr[0]) {
		case "CMD", "CMD-SHELL", "NONE":
			arr[0] = strings.ToUpper(arr[0])
		default:
			arr = append([]string{"CMD"}, arr...)
		}
		if len(arr) < 2 && arr[0] != "NONE" {
			return nil, fmt.Errorf("%s %q: no command after %s", flag, s, arr[0])
		}
		return arr, nil
	}
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("%s: empty command", flag)
	}
	return []string{"CMD-SHELL", s}, nil
}

// resolveHealthcheck is the container's healthcheck: --health-cmd, else the image's
// HEALTHCHECK (img may be nil), with the other flags over the image's values; nil
// when there is none or it was disabled (none, or the image's NONE).
func resolveHealthcheck(h *HealthConfig, img *manifest.Schema2HealthConfig) (*Healthcheck, error) {
	if h == nil {
		h = &HealthConfig{}
	}
	hc := &Healthcheck{Interval: defaultHealthInterval, Timeout: defaultHealthTimeout, Retries: defaultHealthRetries,
		MaxLogCount: defaultHealthMaxLogCount, MaxLogSize: defaultHealthMaxLogSize, OnFailure: HealthOnFailureNone}
	switch {
	case h.Cmd != "":
		test, err := parseHealthCmd(h.Cmd)
		if err != nil {
			return nil, err
		}
		hc.Test = test
	case img != nil && len(img.Test) > 0:
		hc.Test = append([]string(nil), img.Test...)
		if img.Interval > 0 {
			hc.Interval = img.Interval
		}
		if img.Timeout > 0 {
			hc.Timeout = img.Timeout
		}
		if img.StartPeriod > 0 {
			hc.StartPeriod = img.StartPeriod
		}
		if img.Retries > 0 {
			hc.Retries = img.Retries
		}
	}
	if len(hc.Test) == 0 || strings.EqualFold(hc.Test[0], "NONE") {
		return nil, nil
	}
	// Validated already: the errors cannot happen here.
	if h.Interval == healthIntervalDisable {
		hc.Interval = 0
	} else if h.Interval != "" {
		hc.Interval, _ = time.ParseDuration(h.Interval)
	}
	if h.Timeout != "" {
		hc.Timeout, _ = time.ParseDuration(h.Timeout)
	}
	if h.StartPeriod != "" {
		hc.StartPeriod, _ = time.ParseDuration(h.StartPeriod)
	}
	if h.Retries != nil {
		hc.Retries = *h.Retries
	}
	if h.OnFailure != "" {
		hc.OnFailure = h.OnFailure
	}
	if d := h.LogDestination; d != "" && d != healthLogLocal {
		hc.LogDir = d
	}
	if h.MaxLogCount != nil {
		hc.MaxLogCount = *h.MaxLogCount
	}
	if h.MaxLogSize != nil {
		hc.MaxLogSize = *h.MaxLogSize
	}
	hc.Startup = resolveStartup(h)
	return hc, nil
}

// argv is the command the check runs in the container.
func (hc *Healthcheck) argv() []string {
	if hc.Test[0] == "CMD-SHELL" {
		return []string{"/bin/sh", "-c", strings.Join(hc.Test[1:], " ")}
	}
	return hc.Test[1:]
}
