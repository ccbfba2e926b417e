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
