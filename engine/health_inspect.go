package engine

import (
	"time"

	"go.podman.io/image/v5/manifest"
)

// InspectHealth is State.Health of an inspect document, podman's HealthCheckResults.
type InspectHealth struct {
	Status        string             `json:"Status"`
	FailingStreak int                `json:"FailingStreak"`
	Log           []InspectHealthLog `json:"Log"`
}

// InspectHealthLog is one check in it; podman writes the times as RFC 3339 strings.
type InspectHealthLog struct {
	Start    string `json:"Start"`
	End      string `json:"End"`
	ExitCode int    `json:"ExitCode"`
	Output   string `json:"Output"`
}

// Healthcheck is podman's older name of State.Health, kept for templates
// ({{.State.Healthcheck.Status}}) as podman keeps it.
func (s *InspectContainerState) Healthcheck() *InspectHealth { return s.Health }

func inspectHealth(st *HealthState) *InspectHealth {
	if st == nil {
		return nil
	}
	ih := &InspectHealth{Status: st.Status, FailingStreak: st.FailingStreak, Log: []InspectHealthLog{}}
	for _, e := range st.Log {
		ih.Log = append(ih.Log, InspectHealthLog{
			Start: e.Start.Format(time.RFC3339Nano), End: e.End.Format(time.RFC3339Nano),
			ExitCode: e.ExitCode, Output: e.Output,
		})
	}
	return ih
}

// inspectHealthConfig fills Config's healthcheck fields, as podman shows them.
func inspectHealthConfig(ic *InspectContainerConfig, hc *Healthcheck) {
	if hc == nil {
		return
	}
	ic.Healthcheck = &manifest.Schema2HealthConfig{
		Test: hc.Test, Interval: hc.Interval, Timeout: hc.Timeout,
		StartPeriod: hc.StartPeriod, Retries: hc.Retries,
	}
	ic.HealthcheckOnFailureAction = hc.OnFailure
	ic.HealthLogDestination = healthLogLocal
	if hc.LogDir != "" {
		ic.HealthLogDestination = hc.LogDir
	}
	ic.HealthMaxLogCount, ic.HealthMaxLogSize = hc.MaxLogCount, hc.MaxLogSize
	if s := hc.Startup; s != nil {
		ic.StartupHealthCheck = &InspectStartupHealthcheck{
			Schema2HealthConfig: manifest.Schema2HealthConfig{Test: s.Test, Interval: s.Interval, Timeout: s.Timeout, Retries: s.Retries},
			Successes:           s.Successes,
		}
	}
}

// InspectStartupHealthcheck is Config.StartupHealthCheck, podman's: the startup
// check with the passes in a row it needs.
type InspectStartupHealthcheck struct {
	manifest.Schema2HealthConfig
	Successes int `json:",omitempty"`
}
