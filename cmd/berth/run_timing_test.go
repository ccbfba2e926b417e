package main

import (
	"fmt"
	"slices"
	"syscall"
	"testing"
	"time"
)

// TestTimingRun reports the figures the issue sets targets for, with this test binary
// as berth (the same code as the real binary): `run --rm --network=none IMG true`
// (podman 4.3.1 here: ~300 ms; target 0.6x), berth's peak RSS, and `run -d
// --sdnotify=conmon` until READY=1 (podman: 0.21-0.24 s; target 0.5x). Reported, not
// enforced; skipped with -short.
func TestTimingRun(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	e := newCtrEnv(t)
	const n = 10
	e.ok(t, "run", "--rm", "--network=none", e.ref, "true") // the runtime probe, once per run root
	var runs []time.Duration
	var peak int64
	for range n {
		cmd := berthCommand(t, append(e.args, "run", "--rm", "--network=none", e.ref, "true")...)
		start := time.Now()
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, time.Since(start))
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			peak = max(peak, ru.Maxrss)
		}
	}
	l := listenNotify(t)
	var ready []time.Duration
	for i := range n {
		cmd := berthCommand(t, append(e.args, "run", "-d", "--name", fmt.Sprintf("r%d", i), "--sdnotify=conmon",
			"--cgroups=split", "--network=none", e.ref, "sleep", "1000")...)
		cmd.Env = append(cmd.Env, "NOTIFY_SOCKET="+l.path)
		start := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		msg := l.next(10 * time.Second)
		ready = append(ready, time.Since(start))
		if err := cmd.Wait(); err != nil || msg == "" {
			t.Fatalf("run -d: %v, message %q", err, msg)
		}
	}
	med := func(d []time.Duration) time.Duration { slices.Sort(d); return d[len(d)/2] }
	t.Logf("run --rm --network=none true: median %v of %d (min %v, max %v); peak RSS %d KiB",
		med(runs), n, slices.Min(runs), slices.Max(runs), peak)
	t.Logf("run -d --sdnotify=conmon until READY=1: median %v of %d (min %v, max %v)",
		med(ready), n, slices.Min(ready), slices.Max(ready))
}
