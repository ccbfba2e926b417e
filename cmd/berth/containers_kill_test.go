package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// killAfter runs berth with args and kills it with SIGKILL after delay, unless it
// ends first; it reports whether it was killed.
func (e *ctrEnv) killAfter(t *testing.T, delay time.Duration, args ...string) bool {
	t.Helper()
	killed, err := startKilled(t, delay, append(append([]string{}, e.args...), args...)...)
	if err != nil {
		t.Fatalf("berth %v failed before the kill: %v", args, err)
	}
	return killed
}

// TestRunAndRemoveKilled kills berth run -d and berth rm -f with SIGKILL at random
// points. After each kill, rm -f -i must remove whatever was left, and at the end the
// state store and storage must check clean, with no conmon left.
func TestRunAndRemoveKilled(t *testing.T) {
	rng := killRand(t, 2)
	e := newCtrEnv(t)
	const kills = 20
	killed := 0
	for i := range kills {
		name := fmt.Sprintf("k%02d", i)
		// A run -d takes ~100 ms here, an rm -f -t 0 of a running container ~80 ms.
		if e.killAfter(t, time.Duration(rng.Int64N(int64(130*time.Millisecond))),
			"run", "-d", "--name", name, "--network=none", e.ref, "sleep", "1000") {
			killed++
		}
		if i%2 == 0 && e.run(t, "container", "exists", name).code == 0 {
			if e.killAfter(t, time.Duration(rng.Int64N(int64(100*time.Millisecond))), "rm", "-f", "-t", "0", name) {
				killed++
			}
		}
		if r := e.run(t, "rm", "-f", "-i", "-t", "0", name); r.code != 0 {
			t.Fatalf("kill %d: rm -f -i %s after the kill: exit %d: %s", i, name, r.code, r.stderr)
		}
		if r := e.run(t, "container", "exists", name); r.code != 1 {
			t.Fatalf("kill %d: %s still exists after rm -f", i, name)
		}
	}
	t.Logf("%d of %d runs and removals killed", killed, kills+kills/2)
	// A create killed before it stored its record leaves its lock file; removals prune
	// those older than a minute.
	locks, _ := filepath.Glob(filepath.Join(e.opts.RunRoot, "berth", "locks", "container-*"))
	for _, l := range locks {
		old := time.Now().Add(-2 * time.Minute)
		_ = os.Chtimes(l, old, old)
	}
	// A run after all this works.
	if r := e.run(t, "run", "--rm", "--network=none", e.ref, "true"); r.code != 0 {
		t.Fatalf("run after the kills: exit %d: %s", r.code, r.stderr)
	}
	e.waitExitCommands(t)
	e.checkState(t)
	rt := e.engine(t)
	checkStorageClean(t, rt.Store())
	if ctrs, _ := rt.Store().Containers(); len(ctrs) != 0 {
		t.Errorf("%d storage containers left", len(ctrs))
	}
	if locks, _ := filepath.Glob(filepath.Join(e.opts.RunRoot, "berth", "locks", "container-*")); len(locks) != 0 {
		t.Errorf("lock files left: %v", locks)
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if data, err := os.ReadFile(p); err == nil && strings.HasPrefix(string(data), "conmon") &&
			strings.Contains(string(data), e.opts.RunRoot) {
			t.Errorf("conmon left: %s", strings.ReplaceAll(string(data), "\x00", " "))
		}
	}
}
