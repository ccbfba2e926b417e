package engine

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"go.podman.io/image/v5/manifest"
)

func TestParseHealthCmd(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		argv []string
	}{
		{"test -f /tmp/ok", []string{"CMD-SHELL", "test -f /tmp/ok"}, []string{"/bin/sh", "-c", "test -f /tmp/ok"}},
		{`["CMD", "test", "-f", "/x"]`, []string{"CMD", "test", "-f", "/x"}, []string{"test", "-f", "/x"}},
		{`["CMD-SHELL", "exit 0"]`, []string{"CMD-SHELL", "exit 0"}, []string{"/bin/sh", "-c", "exit 0"}},
		{`["true"]`, []string{"CMD", "true"}, []string{"true"}},
		{"none", []string{"NONE"}, nil},
		{"NONE", []string{"NONE"}, nil},
	} {
		got, err := parseHealthCmd(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("parseHealthCmd(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			continue
		}
		if tc.argv != nil {
			if argv := (&Healthcheck{Test: got}).argv(); !slices.Equal(argv, tc.argv) {
				t.Errorf("argv of %q = %q, want %q", tc.in, argv, tc.argv)
			}
		}
	}
}

// The flags go over the image's HEALTHCHECK; none and the image's NONE disable it.
func TestResolveHealthcheck(t *testing.T) {
	img := &manifest.Schema2HealthConfig{Test: []string{"CMD", "check"}, Interval: time.Minute, Retries: 7, Timeout: 5 * time.Second}
	hc, err := resolveHealthcheck(nil, img)
	if err != nil || hc == nil {
		t.Fatalf("image only: %v, %v", hc, err)
	}
	if !slices.Equal(hc.Test, img.Test) || hc.Interval != time.Minute || hc.Retries != 7 || hc.Timeout != 5*time.Second ||
		hc.MaxLogCount != 5 || hc.MaxLogSize != 500 || hc.OnFailure != HealthOnFailureNone {
		t.Errorf("image only: %+v", hc)
	}
	retries := 0
	hc, _ = resolveHealthcheck(&HealthConfig{Interval: "disable", Retries: &retries, OnFailure: "kill"}, img)
	if hc.Interval != 0 || hc.Retries != 0 || hc.OnFailure != "kill" || !slices.Equal(hc.Test, img.Test) {
		t.Errorf("flags over the image: %+v", hc)
	}
	hc, _ = resolveHealthcheck(&HealthConfig{Cmd: "mine"}, img)
	if !slices.Equal(hc.Test, []string{"CMD-SHELL", "mine"}) || hc.Interval != 30*time.Second || hc.Retries != 3 {
		t.Errorf("--health-cmd replaces the image's check and values: %+v", hc)
	}
	if hc, _ := resolveHealthcheck(&HealthConfig{Cmd: "none"}, img); hc != nil {
		t.Errorf("--health-cmd none kept %+v", hc)
	}
	if hc, _ := resolveHealthcheck(nil, &manifest.Schema2HealthConfig{Test: []string{"NONE"}}); hc != nil {
		t.Errorf("the image's NONE gave %+v", hc)
	}
	if hc, _ := resolveHealthcheck(&HealthConfig{Interval: "5s"}, nil); hc != nil {
		t.Errorf("no command anywhere gave %+v", hc)
	}
}

func TestHealthConfigValidate(t *testing.T) {
	neg := -1
	for _, tc := range []struct {
		h   HealthConfig
		msg string
	}{
		{HealthConfig{Interval: "often"}, "--health-interval"},
		{HealthConfig{Interval: "0s"}, "--health-interval"},
		{HealthConfig{Timeout: "500ms"}, "at least 1s"},
		{HealthConfig{StartPeriod: "-1s"}, "--health-start-period"},
		{HealthConfig{Retries: &neg}, "--health-retries -1"},
		{HealthConfig{OnFailure: "explode"}, "use none, kill, restart or stop"},
		{HealthConfig{Cmd: "[]"}, "empty"},
		{HealthConfig{Cmd: `["CMD"]`}, "no command"},
		{HealthConfig{Cmd: `[1, 2]`}, "JSON array"},
		{HealthConfig{LogDestination: "relative/dir"}, "absolute"},
		{HealthConfig{LogDestination: "events_logger"}, "events_logger"},
	} {
		c := ContainerConfig{Health: &tc.h}
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.msg) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v: got %v, want one line with %q", tc.h, err, tc.msg)
		}
	}
	c := ContainerConfig{Health: &HealthConfig{LogDestination: "events_logger"}}
	if err := c.Validate(); !errors.Is(err, ErrUnsupported) {
		t.Errorf("events_logger: %v does not wrap ErrUnsupported", err)
	}
	ok := ContainerConfig{SdNotify: SdNotifyHealthy, Health: &HealthConfig{Cmd: "true", Interval: "disable", Timeout: "1s",
		StartPeriod: "0s", OnFailure: "restart", LogDestination: "/var/log/x"}}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid flags refused: %v", err)
	}
}

// Failures count only outside the start period; the streak reaching the retries
// makes the container unhealthy, a pass resets it; the log keeps the last entries,
// their output cut.
func TestHealthRecord(t *testing.T) {
	hc := &Healthcheck{Retries: 2, MaxLogCount: 3, MaxLogSize: 4}
	st := &HealthState{Status: HealthStarting}
	fail := HealthLogEntry{ExitCode: 1, Output: "héllo world"}
	pass := HealthLogEntry{ExitCode: 0, Output: "ok"}
	steps := []struct {
		e              HealthLogEntry
		inStart        bool
		result, status string
		streak         int
	}{
		{fail, true, HealthStarting, HealthStarting, 0},
		{fail, false, HealthUnhealthy, HealthStarting, 1},
		{fail, false, HealthUnhealthy, HealthUnhealthy, 2},
		{pass, false, HealthHealthy, HealthHealthy, 0},
		{fail, false, HealthUnhealthy, HealthHealthy, 1},
	}
	for i, s := range steps {
		got := st.record(hc, s.e, s.inStart)
		if got != s.result || st.Status != s.status || st.FailingStreak != s.streak {
			t.Errorf("step %d: result %s, status %s, streak %d; want %s, %s, %d", i, got, st.Status, st.FailingStreak, s.result, s.status, s.streak)
		}
	}
	if len(st.Log) != 3 || st.Log[1].ExitCode != 0 {
		t.Errorf("log: %+v, want the last 3 entries", st.Log)
	}
	if st.Log[0].Output != "hél" {
		t.Errorf("output cut to %q, want %q (4 bytes)", st.Log[0].Output, "hél")
	}
	if got := truncateUTF8("hé", 2); got != "h" {
		t.Errorf("truncateUTF8 split a character: %q", got)
	}
}

func TestHealthStartupValidate(t *testing.T) {
	neg := -1
	for _, tc := range []struct {
		h   HealthConfig
		msg string
	}{
		{HealthConfig{StartupInterval: "5s"}, "--health-startup-interval needs --health-startup-cmd"},
		{HealthConfig{StartupRetries: &neg}, "--health-startup-retries needs --health-startup-cmd"},
		{HealthConfig{StartupCmd: "[]"}, "--health-startup-cmd \"[]\": the array is empty"},
		{HealthConfig{StartupCmd: "none"}, "give a command"},
		{HealthConfig{Cmd: "none", StartupCmd: "true"}, "needs a regular healthcheck"},
		{HealthConfig{StartupCmd: "true", StartupInterval: "0s"}, "--health-startup-interval \"0s\""},
		{HealthConfig{StartupCmd: "true", StartupTimeout: "10ms"}, "--health-startup-timeout \"10ms\""},
		{HealthConfig{StartupCmd: "true", StartupRetries: &neg}, "--health-startup-retries -1"},
		{HealthConfig{StartupCmd: "true", StartupSuccess: &neg}, "--health-startup-success -1"},
	} {
		c := ContainerConfig{Health: &tc.h}
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.msg) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v: got %v, want one line with %q", tc.h, err, tc.msg)
		}
	}
	three := 3
	h := &HealthConfig{Cmd: "true", StartupCmd: `["CMD", "test", "-f", "/up"]`, StartupInterval: "disable",
		StartupTimeout: "2s", StartupRetries: &three}
	if err := (&ContainerConfig{Health: h}).Validate(); err != nil {
		t.Fatalf("valid startup flags refused: %v", err)
	}
	hc, _ := resolveHealthcheck(h, nil)
	if s := hc.Startup; s == nil || !slices.Equal(s.Test, []string{"CMD", "test", "-f", "/up"}) || s.Interval != 0 ||
		s.Timeout != 2*time.Second || s.Retries != 3 || s.Successes != 0 {
		t.Errorf("resolved startup check: %+v", hc.Startup)
	}
	hc, _ = resolveHealthcheck(&HealthConfig{Cmd: "true", StartupCmd: "x"}, nil)
	if s := hc.Startup; s.Interval != 30*time.Second || s.Timeout != 30*time.Second {
		t.Errorf("startup defaults: %+v", s)
	}
}

// Startup passes after its successes in a row; a failure resets them; its
// retries in a row ask for a restart.
func TestHealthRecordStartup(t *testing.T) {
	hc := &Healthcheck{Startup: &StartupHealthcheck{Retries: 3, Successes: 2}}
	st := &HealthState{Status: HealthStarting}
	pass, fail := HealthLogEntry{}, HealthLogEntry{ExitCode: 1}
	for i, s := range []struct {
		e      HealthLogEntry
		want   int
		streak int
	}{
		{pass, startupPassing, 0}, {fail, startupFailed, 1}, {pass, startupPassing, 0},
		{fail, startupFailed, 1}, {fail, startupFailed, 2}, {fail, startupRestart, 3},
	} {
		if got := st.recordStartup(hc, s.e); got != s.want || st.FailingStreak != s.streak || st.StartupPassed {
			t.Errorf("step %d: %d, streak %d, passed %v; want %d, %d", i, got, st.FailingStreak, st.StartupPassed, s.want, s.streak)
		}
	}
	st = &HealthState{Status: HealthStarting}
	st.recordStartup(hc, pass)
	if got := st.recordStartup(hc, pass); got != startupPassed || !st.StartupPassed || st.Status != HealthStarting {
		t.Errorf("two passes: %d, %+v", got, st)
	}
}
