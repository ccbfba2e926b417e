package engine

import (
	"time"
	"unicode/utf8"
)

// Health statuses, as podman names them.
const (
	HealthStarting  = "starting"
	HealthHealthy   = "healthy"
	HealthUnhealthy = "unhealthy"
)

// HealthState is a container's health in its record: podman's State.Health.
type HealthState struct {
	Status        string           `json:"status"`
	FailingStreak int              `json:"failingStreak"`
	Log           []HealthLogEntry `json:"log,omitempty"`
	// Timer is the transient systemd timer (and service) that runs the checks, while
	// the container runs under systemd; cleanup stops it.
	Timer string `json:"timer,omitempty"`
	// StartupPassed is set once the startup healthcheck has passed its successes in
	// a row, which it counts in StartupSuccesses (health_startup.go); until then
	// FailingStreak counts the startup check's failures.
	StartupPassed    bool `json:"startupPassed,omitempty"`
	StartupSuccesses int  `json:"startupSuccesses,omitempty"`
}

// HealthLogEntry is one check's result.
type HealthLogEntry struct {
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	ExitCode int       `json:"exitCode"`
	Output   string    `json:"output"`
}

// record adds a check's result to the state and returns what the check says, as
// podman's healthcheck run prints it: healthy when it passed, starting when it failed
// within the start period (not counted), unhealthy otherwise. A failure that makes
// the streak reach hc.Retries turns the container unhealthy; a pass resets it.
func (st *HealthState) record(hc *Healthcheck, e HealthLogEntry, inStartPeriod bool) string {
	st.appendLog(hc, e)
	switch {
	case e.ExitCode == 0:
		st.FailingStreak = 0
		st.Status = HealthHealthy
		return HealthHealthy
	case inStartPeriod:
		return HealthStarting
	}
	st.FailingStreak++
	if st.FailingStreak >= hc.Retries {
		st.Status = HealthUnhealthy
	}
	return HealthUnhealthy
}

// appendLog keeps the result in the log, within hc's limits.
func (st *HealthState) appendLog(hc *Healthcheck, e HealthLogEntry) {
	if hc.MaxLogSize > 0 && len(e.Output) > int(hc.MaxLogSize) {
		e.Output = truncateUTF8(e.Output, int(hc.MaxLogSize))
	}
	st.Log = append(st.Log, e)
	if n := int(hc.MaxLogCount); n > 0 && len(st.Log) > n {
		st.Log = append([]HealthLogEntry(nil), st.Log[len(st.Log)-n:]...)
	}
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
