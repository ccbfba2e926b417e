package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// healthcheck run exits 0 when the check passes, 1 when it fails, 125 on an error;
// ps and inspect show the status.
func TestHealthcheckRunCommand(t *testing.T) {
	e := newCtrEnv(t)
	e.ok(t, "run", "-d", "--name", "h1", "--network", "none", "--health-cmd", "test -f /tmp/ok",
		"--health-retries", "1", "--health-interval", "disable", e.ref, "sleep", "1000")
	status := func() string {
		return strings.TrimSpace(e.ok(t, "inspect", "--format", "{{.State.Health.Status}} {{.State.Healthcheck.FailingStreak}}", "h1"))
	}
	if got := status(); got != "starting 0" {
		t.Errorf("after run: %q", got)
	}
	if r := e.run(t, "healthcheck", "run", "h1"); r.code != 1 || r.stdout != "unhealthy\n" {
		t.Errorf("failing check: exit %d, %q, %s", r.code, r.stdout, r.stderr)
	}
	if got := status(); got != "unhealthy 1" {
		t.Errorf("after a failed check: %q", got)
	}
	if ps := e.ok(t, "ps", "--format", "{{.Status}}"); !strings.Contains(ps, "(unhealthy)") {
		t.Errorf("ps: %q", ps)
	}
	e.ok(t, "exec", "h1", "touch", "/tmp/ok")
	if r := e.run(t, "healthcheck", "run", "h1"); r.code != 0 || r.stdout != "healthy\n" {
		t.Errorf("passing check: exit %d, %q, %s", r.code, r.stdout, r.stderr)
	}
	if ps := e.ok(t, "ps", "--format", "{{.Status}}"); !strings.HasPrefix(ps, "Up ") || !strings.HasSuffix(ps, " (healthy)\n") {
		t.Errorf("ps: %q", ps)
	}
	e.ok(t, "run", "-d", "--name", "plain", "--network", "none", e.ref, "sleep", "1000")
	oneLineError(t, e.run(t, "healthcheck", "run", "plain"), 125, "no defined healthcheck")
	oneLineError(t, e.run(t, "healthcheck", "run", "nosuch"), 125, "no such container")
}

// Bad --health-* values fail before anything is created.
func TestHealthcheckFlagsRejected(t *testing.T) {
	e := newCtrEnv(t)
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--health-cmd", "true", "--health-on-failure", "explode"}, "--health-on-failure"},
		{[]string{"--health-cmd", "true", "--health-interval", "soon"}, "--health-interval"},
		{[]string{"--health-cmd", "true", "--health-timeout", "10ms"}, "--health-timeout"},
		{[]string{"--health-cmd", "true", "--health-retries", "-2"}, "--health-retries"},
		{[]string{"--health-cmd", "[\"CMD\""}, "--health-cmd"},
		{[]string{"--health-cmd", "true", "--health-log-destination", "events_logger"}, "not supported"},
		{[]string{"--health-cmd", "none", "--sdnotify=healthy"}, "needs a healthcheck"},
		{[]string{"--health-startup-cmd", "true"}, "--health-startup-cmd needs a regular healthcheck (--health-cmd, or the image's HEALTHCHECK)"},
		{[]string{"--health-cmd", "none", "--health-startup-cmd", "true"}, "--health-cmd is none"},
		{[]string{"--health-cmd", "true", "--health-startup-interval", "5s"}, "--health-startup-interval needs --health-startup-cmd"},
		{[]string{"--health-cmd", "true", "--health-startup-cmd", "true", "--health-startup-timeout", "1ms"}, "--health-startup-timeout"},
		{[]string{"--health-cmd", "true", "--health-startup-cmd", "true", "--health-startup-retries", "-1"}, "--health-startup-retries -1"},
		{[]string{"--health-cmd", "true", "--health-startup-cmd", "true", "--health-startup-success", "-3"}, "--health-startup-success -3"},
		{[]string{"--health-cmd", "true", "--health-startup-cmd", "[]"}, "--health-startup-cmd"},
	} {
		r := e.run(t, append(append([]string{"run", "-d"}, tc.args...), e.ref, "true")...)
		oneLineError(t, r, 125, tc.msg)
	}
	if n := len(e.containers(t)); n != 0 {
		t.Errorf("%d containers created by rejected runs", n)
	}
}

// run -d --sdnotify=healthy: MAINPID at once, READY=1 once the check passes, which
// the container makes happen after a second; then run exits 0.
func TestRunSdNotifyHealthy(t *testing.T) {
	e := newCtrEnv(t)
	l := listenNotify(t)
	start := time.Now()
	done := make(chan result, 1)
	go func() {
		done <- e.runNotify(t, l, "run", "-d", "--name", "hn", "--network", "none", "--sdnotify=healthy",
			"--health-cmd", "test -f /tmp/ok", "--health-interval", "300ms", e.ref, "sh", "-c", "sleep 1; touch /tmp/ok; sleep 100")
	}()
	first := l.next(10 * time.Second)
	firstAt := time.Since(start)
	second := l.next(10 * time.Second)
	secondAt := time.Since(start)
	r := <-done
	t.Logf("%q after %v, %q after %v; run exited %d after %v", first, firstAt, second, secondAt, r.code, time.Since(start))
	if r.code != 0 {
		t.Fatalf("run: exit %d: %s", r.code, r.stderr)
	}
	c, err := e.engine(t).LookupContainer("hn")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("MAINPID=%d", c.State.ConmonPid); first != want || second != "READY=1" {
		t.Errorf("messages %q, %q; want %q, READY=1", first, second, want)
	}
	if secondAt-firstAt < 700*time.Millisecond {
		t.Errorf("READY=1 %v after MAINPID: sent before the file appeared", secondAt-firstAt)
	}
	if got := strings.TrimSpace(e.ok(t, "inspect", "--format", "{{.State.Health.Status}}", "hn")); got != "healthy" {
		t.Errorf("after READY: %s", got)
	}

	// In the foreground too, READY=1 comes while the container runs.
	r = e.runNotify(t, l, "run", "--rm", "--network", "none", "--sdnotify=healthy", "--health-cmd", "test -f /tmp/ok",
		"--health-interval", "300ms", e.ref, "sh", "-c", "sleep 1; touch /tmp/ok; sleep 1")
	if r.code != 0 {
		t.Fatalf("foreground run: exit %d: %s", r.code, r.stderr)
	}
	var msgs []string
	for m := l.next(time.Second); m != ""; m = l.next(100 * time.Millisecond) {
		msgs = append(msgs, m)
	}
	if len(msgs) != 2 || !strings.HasPrefix(msgs[0], "MAINPID=") || msgs[1] != "READY=1" {
		t.Errorf("foreground messages %q, want MAINPID then READY=1", msgs)
	}
}

// The command the generator emits for HealthCmd= and HealthStartup*= runs; healthcheck
// run runs the startup check (exit 0 or 1, prints starting) until it has passed
// twice, then the regular one.
func TestHealthcheckStartupQuadlet(t *testing.T) {
	e := newCtrEnv(t)
	svcs := quadletServices(t, map[string]string{"hs.container": "[Container]\nImage=" + e.ref + "\nNetwork=none\nExec=sleep 1000\n" +
		"HealthCmd=test -f /tmp/ok\nHealthInterval=5s\nHealthStartupCmd=test -f /tmp/up\nHealthStartupInterval=2s\n" +
		"HealthStartupRetries=8\nHealthStartupSuccess=2\nHealthStartupTimeout=1m33s\n"})
	run := execArgs(t, svcs["hs.container"], "hs", "ExecStart")
	want := []string{"run", "--name", "systemd-hs", "--replace", "--rm", "--cgroups=split", "--sdnotify=conmon", "-d",
		"--network", "none", "--health-cmd", "test -f /tmp/ok", "--health-interval", "5s",
		"--health-startup-cmd", "test -f /tmp/up", "--health-startup-interval", "2s", "--health-startup-retries", "8",
		"--health-startup-success", "2", "--health-startup-timeout", "1m33s", e.ref, "sleep", "1000"}
	if len(run) != 1 || fmt.Sprintf("%q", run[0]) != fmt.Sprintf("%q", want) {
		t.Fatalf("ExecStart %q\nwant %q", run, want)
	}
	e.ok(t, without(run[0], "--sdnotify=conmon")...)
	t.Cleanup(func() { e.run(t, "rm", "-f", "-t", "0", "systemd-hs") })
	got := e.ok(t, "inspect", "--format", "{{.State.Health.Status}} {{.Config.StartupHealthCheck.Test}} {{.Config.StartupHealthCheck.Successes}}", "systemd-hs")
	if got != "starting [CMD-SHELL test -f /tmp/up] 2\n" {
		t.Errorf("after run: %q", got)
	}
	for i, s := range []struct {
		exec           string
		code           int
		stdout, status string
	}{
		{"", 1, "starting", "starting 1"},
		{"/tmp/up", 0, "starting", "starting 0"},
		{"", 0, "starting", "starting 0"}, // the second pass in a row ends startup
		{"", 1, "unhealthy", "starting 1"},
		{"/tmp/ok", 0, "healthy", "healthy 0"},
	} {
		if s.exec != "" {
			e.ok(t, "exec", "systemd-hs", "touch", s.exec)
		}
		r := e.run(t, "healthcheck", "run", "systemd-hs")
		st := strings.TrimSpace(e.ok(t, "inspect", "--format", "{{.State.Health.Status}} {{.State.Health.FailingStreak}}", "systemd-hs"))
		if r.code != s.code || r.stdout != s.stdout+"\n" || st != s.status {
			t.Errorf("check %d: exit %d, %q, state %q (%s); want %d, %q, %q", i+1, r.code, r.stdout, st, r.stderr, s.code, s.stdout, s.status)
		}
	}
}

// --sdnotify=healthy with a startup check: READY=1 waits for the startup check and
// then for the regular one, which pass a second apart.
func TestRunSdNotifyHealthyStartup(t *testing.T) {
	e := newCtrEnv(t)
	l := listenNotify(t)
	start := time.Now()
	r := e.runNotify(t, l, "run", "-d", "--name", "hns", "--network", "none", "--sdnotify=healthy",
		"--health-cmd", "test -f /tmp/ok", "--health-interval", "300ms",
		"--health-startup-cmd", "test -f /tmp/up", "--health-startup-interval", "200ms", "--health-startup-success", "2",
		e.ref, "sh", "-c", "sleep 1; touch /tmp/up; sleep 1; touch /tmp/ok; sleep 100")
	took := time.Since(start)
	if r.code != 0 {
		t.Fatalf("run: exit %d: %s", r.code, r.stderr)
	}
	first, second := l.next(time.Second), l.next(time.Second)
	t.Logf("run returned after %v: %q, %q", took, first, second)
	if !strings.HasPrefix(first, "MAINPID=") || second != "READY=1" {
		t.Errorf("messages %q, %q; want MAINPID, READY=1", first, second)
	}
	if took < 1800*time.Millisecond {
		t.Errorf("READY=1 after %v: before the regular check could pass", took)
	}
	got := strings.TrimSpace(e.ok(t, "inspect", "--format", "{{.State.Health.Status}} {{len .State.Health.Log}}", "hns"))
	if !strings.HasPrefix(got, "healthy ") {
		t.Errorf("after READY: %s", got)
	}
}
