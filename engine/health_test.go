package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-containers/berth/engine"
	"github.com/berth-containers/berth/engine/enginetest"
)

func healthCfg(h engine.HealthConfig) engine.ContainerConfig {
	return engine.ContainerConfig{Network: engine.NetworkNone, Health: &h}
}

func runCheck(t *testing.T, rt *engine.Runtime, id string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	status, err := rt.RunHealthcheck(ctx, id)
	if err != nil {
		t.Fatalf("healthcheck run: %v", err)
	}
	return status
}

func inspectHealth(t *testing.T, rt *engine.Runtime, id string) *engine.InspectContainerData {
	t.Helper()
	d, err := rt.InspectContainer(context.Background(), id, false)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A check that fails turns the container unhealthy after the retries; once the
// file exists it is healthy again; the record, inspect and ps show it.
func TestHealthcheckRun(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	retries, keep := 2, uint(2)
	c := obsContainer(t, rt, healthCfg(engine.HealthConfig{Cmd: "test -f /tmp/ok && echo checked", Retries: &retries,
		Interval: "1s", MaxLogCount: &keep}), true, "sleep", "1000")

	d := inspectHealth(t, rt, c.ID)
	if d.State.Health == nil || d.State.Health.Status != engine.HealthStarting {
		t.Fatalf("after start: State.Health = %+v, want starting", d.State.Health)
	}
	if got := d.Config.Healthcheck; got == nil || !slices.Equal(got.Test, []string{"CMD-SHELL", "test -f /tmp/ok && echo checked"}) ||
		got.Interval != time.Second || got.Retries != 2 || got.Timeout != 30*time.Second {
		t.Errorf("Config.Healthcheck = %+v", got)
	}
	for i, want := range []struct{ result, status string }{
		{engine.HealthUnhealthy, engine.HealthStarting},
		{engine.HealthUnhealthy, engine.HealthUnhealthy},
	} {
		if got := runCheck(t, rt, c.ID); got != want.result {
			t.Errorf("check %d says %s, want %s", i+1, got, want.result)
		}
		if h := inspectHealth(t, rt, c.ID).State.Health; h.Status != want.status || h.FailingStreak != i+1 {
			t.Errorf("after check %d: %s, streak %d; want %s, %d", i+1, h.Status, h.FailingStreak, want.status, i+1)
		}
	}
	if code, err := rt.ExecContainer(context.Background(), c.ID, engine.ExecOptions{Cmd: []string{"touch", "/tmp/ok"}}); err != nil || code != 0 {
		t.Fatalf("exec touch: %d, %v", code, err)
	}
	if got := runCheck(t, rt, c.ID); got != engine.HealthHealthy {
		t.Errorf("with /tmp/ok the check says %s", got)
	}
	h := inspectHealth(t, rt, c.ID).State.Health
	if h.Status != engine.HealthHealthy || h.FailingStreak != 0 || len(h.Log) != 2 {
		t.Fatalf("healthy: %+v, want streak 0 and the last 2 results", h)
	}
	last := h.Log[1]
	start, err1 := time.Parse(time.RFC3339Nano, last.Start)
	end, err2 := time.Parse(time.RFC3339Nano, last.End)
	if last.ExitCode != 0 || last.Output != "checked\n" || err1 != nil || err2 != nil || end.Before(start) || h.Log[0].ExitCode != 1 {
		t.Errorf("log: %+v", h.Log)
	}
	list, err := rt.ContainerList(context.Background(), engine.ContainerListOptions{Filters: []string{"id=" + c.ID}})
	if err != nil || len(list) != 1 || list[0].Health != engine.HealthHealthy {
		t.Errorf("ps: %+v, %v", list, err)
	}
	// The JSON keeps podman's shape.
	data, _ := json.Marshal(inspectHealth(t, rt, c.ID))
	var doc struct {
		State struct {
			Health struct {
				Status        string
				FailingStreak *int
				Log           []map[string]any
			}
		}
		Config struct {
			Healthcheck map[string]any
		}
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.State.Health.Status != "healthy" || doc.State.Health.FailingStreak == nil || len(doc.State.Health.Log) != 2 {
		t.Errorf("inspect JSON State.Health: %s", data)
	}
	for _, k := range []string{"Start", "End", "ExitCode", "Output"} {
		if _, ok := doc.State.Health.Log[0][k]; !ok {
			t.Errorf("State.Health.Log[0] has no %s", k)
		}
	}
	if doc.Config.Healthcheck["Test"] == nil || doc.Config.Healthcheck["Interval"] != float64(time.Second) {
		t.Errorf("inspect JSON Config.Healthcheck: %v", doc.Config.Healthcheck)
	}
}

// Failures in the start period do not count; a check past its timeout fails; a
// stopped container, or one without a healthcheck, is an error.
func TestHealthcheckStartPeriodAndTimeout(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	retries := 1
	c := obsContainer(t, rt, healthCfg(engine.HealthConfig{Cmd: "sleep 5", Timeout: "1s", StartPeriod: "1m", Retries: &retries}), true, "sleep", "1000")
	start := time.Now()
	if got := runCheck(t, rt, c.ID); got != engine.HealthStarting {
		t.Errorf("failure in the start period says %s, want starting", got)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("a check with --health-timeout 1s took %v", took)
	}
	h := inspectHealth(t, rt, c.ID).State.Health
	if h.Status != engine.HealthStarting || h.FailingStreak != 0 || len(h.Log) != 1 || h.Log[0].ExitCode != -1 ||
		!strings.Contains(h.Log[0].Output, "timeout") {
		t.Errorf("after a timed-out check in the start period: %+v", h)
	}
	// The check that ran over its timeout was killed: only the container's own sleep
	// is left in it.
	var ps bytes.Buffer
	if _, err := rt.ExecContainer(context.Background(), c.ID, engine.ExecOptions{Cmd: []string{"ps", "-o", "args"}, Stdout: &ps}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(ps.String(), "sleep 5") {
		t.Errorf("the timed-out check still runs in the container:\n%s", ps.String())
	}

	plain := obsContainer(t, rt, engine.ContainerConfig{Network: engine.NetworkNone}, true, "sleep", "1000")
	if _, err := rt.RunHealthcheck(context.Background(), plain.ID); !errors.Is(err, engine.ErrNoHealthcheck) {
		t.Errorf("no healthcheck: %v", err)
	}
	if inspectHealth(t, rt, plain.ID).State.Health != nil {
		t.Errorf("a container without healthcheck shows State.Health")
	}
	stopped := obsContainer(t, rt, healthCfg(engine.HealthConfig{Cmd: "true"}), false, "true")
	if _, err := rt.RunHealthcheck(context.Background(), stopped.ID); !errors.Is(err, engine.ErrInvalidState) {
		t.Errorf("created container: %v, want ErrInvalidState", err)
	}
	// --health-cmd none disables it; --sdnotify=healthy then has nothing to wait for.
	none := obsContainer(t, rt, healthCfg(engine.HealthConfig{Cmd: "none"}), false, "true")
	if none.Healthcheck != nil {
		t.Errorf("--health-cmd none: %+v", none.Healthcheck)
	}
	_, err := rt.CreateContainer(context.Background(), engine.CreateOptions{Image: enginetest.BusyboxRef(),
		ContainerConfig: engine.ContainerConfig{SdNotify: engine.SdNotifyHealthy, Command: []string{"true"}}})
	if err == nil || !strings.Contains(err.Error(), "needs a healthcheck") {
		t.Errorf("--sdnotify=healthy without a healthcheck: %v", err)
	}
}

// --health-on-failure=kill kills the container once it is unhealthy; stop stops it;
// restart runs it again with a fresh health state.
func TestHealthcheckOnFailure(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	retries := 1
	for _, action := range []string{"kill", "stop", "restart"} {
		cfg := healthCfg(engine.HealthConfig{Cmd: "false", Retries: &retries, OnFailure: action})
		cfg.StopTimeout = new(uint) // sleep as PID 1 ignores SIGTERM
		c := obsContainer(t, rt, cfg, true, "sleep", "1000")
		if got := runCheck(t, rt, c.ID); got != engine.HealthUnhealthy {
			t.Errorf("%s: the check says %s", action, got)
		}
		if action == "kill" {
			if code := waitExit(t, rt, c.ID); code != 137 {
				t.Errorf("kill: exit code %d, want 137", code)
			}
			continue
		}
		after, err := rt.ObservedContainer(c.ID)
		if err != nil {
			t.Fatal(err)
		}
		switch action {
		case "stop":
			if after.Running() {
				t.Errorf("stop: the container still runs")
			}
		case "restart":
			if !after.Running() || !after.State.StartedAt.After(c.State.StartedAt) || after.State.Health.Status != engine.HealthStarting {
				t.Errorf("restart: running %v, started %v (was %v), health %+v", after.Running(), after.State.StartedAt, c.State.StartedAt, after.State.Health)
			}
		}
	}
}

// --health-log-destination=DIR writes the results to DIR/ID-healthcheck.log.
func TestHealthcheckLogDestination(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	dir := t.TempDir()
	c := obsContainer(t, rt, healthCfg(engine.HealthConfig{Cmd: "echo hi", LogDestination: dir}), true, "sleep", "1000")
	runCheck(t, rt, c.ID)
	raw, err := os.ReadFile(filepath.Join(dir, c.ID+"-healthcheck.log"))
	data := string(raw)
	if err != nil || !strings.Contains(data, `"Status":"healthy"`) || !strings.Contains(data, `"Output":"hi\n"`) {
		t.Errorf("log file: %s, %v", data, err)
	}
	if got := inspectHealth(t, rt, c.ID).Config.HealthLogDestination; got != dir {
		t.Errorf("Config.HealthLogDestination = %q", got)
	}
}

// --sdnotify=healthy: MAINPID at the start, READY=1 only once the check passes (the
// container makes the file after a second).
func TestHealthcheckSdNotifyHealthy(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	cfg := healthCfg(engine.HealthConfig{Cmd: "test -f /tmp/ok", Interval: "300ms"})
	cfg.SdNotify = engine.SdNotifyHealthy
	c := obsContainer(t, rt, cfg, false, "sh", "-c", "sleep 1; touch /tmp/ok; sleep 100")
	sock := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var msgs []string
	var at []time.Duration
	got := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(got)
		buf := make([]byte, 4096)
		_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		for len(msgs) < 2 {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			msgs, at = append(msgs, string(buf[:n])), append(at, time.Since(start))
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	started, err := rt.StartContainer(ctx, c.ID, engine.StartOptions{NotifySocket: sock})
	returned := time.Since(start)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	<-got
	t.Logf("messages %q at %v; start returned after %v", msgs, at, returned)
	if len(msgs) != 2 || msgs[0] != fmt.Sprintf("MAINPID=%d", started.State.ConmonPid) || msgs[1] != "READY=1" {
		t.Fatalf("messages %q, want MAINPID then READY=1", msgs)
	}
	if at[1] < time.Second || at[0] > time.Second {
		t.Errorf("MAINPID at %v, READY at %v: want MAINPID at once and READY after the file appears (1 s)", at[0], at[1])
	}
	if h := inspectHealth(t, rt, c.ID).State.Health; h.Status != engine.HealthHealthy {
		t.Errorf("after READY the container is %s", h.Status)
	}

	// A container that exits before it is healthy fails the start.
	cfg.Health = &engine.HealthConfig{Cmd: "false", Interval: "300ms"}
	dies := obsContainer(t, rt, cfg, false, "sh", "-c", "sleep 1")
	if _, err := rt.StartContainer(ctx, dies.ID, engine.StartOptions{NotifySocket: sock}); err == nil ||
		!strings.Contains(err.Error(), "exited before it became healthy") {
		t.Errorf("container that exits first: %v", err)
	}
}

func runReport(t *testing.T, rt *engine.Runtime, id string) engine.HealthcheckReport {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := rt.RunHealthcheckReport(ctx, id)
	if err != nil {
		t.Fatalf("healthcheck run: %v", err)
	}
	return rep
}

// The startup check runs first: it fails until its file appears, must pass twice
// in a row (--health-startup-success 2), and the container stays starting until it
// has; then the regular check runs.
func TestHealthcheckStartup(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	two := 2
	c := obsContainer(t, rt, healthCfg(engine.HealthConfig{Cmd: "test -f /tmp/ok", Interval: "disable",
		StartupCmd: "test -f /tmp/up", StartupInterval: "disable", StartupSuccess: &two}), true, "sleep", "1000")
	exec := func(args ...string) {
		if code, err := rt.ExecContainer(context.Background(), c.ID, engine.ExecOptions{Cmd: args}); err != nil || code != 0 {
			t.Fatalf("exec %v: %d, %v", args, code, err)
		}
	}
	steps := []struct {
		before        func()
		startup, pass bool
		status        string // the record's
		streak        int
		result        string
	}{
		{nil, true, false, engine.HealthStarting, 1, engine.HealthStarting},
		{nil, true, false, engine.HealthStarting, 2, engine.HealthStarting},
		{func() { exec("touch", "/tmp/up") }, true, true, engine.HealthStarting, 0, engine.HealthStarting},
		{nil, true, true, engine.HealthStarting, 0, engine.HealthStarting}, // the second pass ends startup
		{nil, false, false, engine.HealthStarting, 1, engine.HealthUnhealthy},
		{func() { exec("touch", "/tmp/ok") }, false, true, engine.HealthHealthy, 0, engine.HealthHealthy},
	}
	for i, s := range steps {
		if s.before != nil {
			s.before()
		}
		rep := runReport(t, rt, c.ID)
		h := inspectHealth(t, rt, c.ID).State.Health
		if rep.Startup != s.startup || rep.Passed != s.pass || rep.Status != s.result || h.Status != s.status || h.FailingStreak != s.streak {
			t.Errorf("check %d: report %+v, state %s streak %d; want startup %v passed %v %s, state %s streak %d",
				i+1, rep, h.Status, h.FailingStreak, s.startup, s.pass, s.result, s.status, s.streak)
		}
	}
	if h := inspectHealth(t, rt, c.ID).State.Health; len(h.Log) != 5 || h.Log[0].ExitCode == 0 || h.Log[2].ExitCode != 0 {
		t.Errorf("log keeps startup and regular results (last 5): %+v", h.Log)
	}
}

// --health-startup-retries 2: the second failure in a row restarts the container,
// whose startup begins again.
func TestHealthcheckStartupRetriesRestart(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	two := 2
	c := obsContainer(t, rt, healthCfg(engine.HealthConfig{Cmd: "true", StartupCmd: "test -f /tmp/up",
		StartupInterval: "disable", StartupRetries: &two}), true, "sleep", "1000")
	started := c.State.StartedAt
	pid := c.State.Pid
	if rep := runReport(t, rt, c.ID); !rep.Startup || rep.Passed {
		t.Fatalf("first check: %+v", rep)
	}
	if d := inspectHealth(t, rt, c.ID); d.State.Health.FailingStreak != 1 || d.State.Pid != pid {
		t.Fatalf("after one failure: streak %d, pid %d (was %d)", d.State.Health.FailingStreak, d.State.Pid, pid)
	}
	if rep := runReport(t, rt, c.ID); !rep.Startup || rep.Passed {
		t.Fatalf("second check: %+v", rep)
	}
	after, err := rt.ObservedContainer(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !after.Running() || !after.State.StartedAt.After(started) || after.State.Pid == pid {
		t.Fatalf("not restarted: running %v, started %v (was %v), pid %d (was %d)",
			after.Running(), after.State.StartedAt, started, after.State.Pid, pid)
	}
	if h := after.State.Health; h == nil || h.Status != engine.HealthStarting || h.FailingStreak != 0 || h.StartupPassed {
		t.Errorf("after the restart: %+v, want startup from the beginning", h)
	}
	// Startup passes once (success 0 = one pass), then the regular check runs.
	if code, err := rt.ExecContainer(context.Background(), c.ID, engine.ExecOptions{Cmd: []string{"touch", "/tmp/up"}}); err != nil || code != 0 {
		t.Fatalf("exec touch: %d, %v", code, err)
	}
	if rep := runReport(t, rt, c.ID); !rep.Startup || !rep.Passed || rep.Status != engine.HealthStarting {
		t.Errorf("passing startup check: %+v", rep)
	}
	if rep := runReport(t, rt, c.ID); rep.Startup || rep.Status != engine.HealthHealthy {
		t.Errorf("then the regular check: %+v", rep)
	}
}
