package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// idleStats is what stays resident for the idle containers of one engine.
type idleStats struct {
	containers int
	procs      []proc
}

// proc is one process left running by an engine, in this pid namespace (the
// containers' own processes live in theirs and are not counted).
type proc struct {
	pid      int
	comm     string
	rss, pss int64 // KiB
}

// idleMemory starts -idle containers running sleep, waits -settle, and finds the
// processes they left here: those carrying the benchmark's marker in their
// environment or naming the engine's folder in their command line.
func (b *bencher) idleMemory(e *engine) error {
	var names []string
	defer func() {
		if len(names) > 0 {
			e.quiet(b.opts.timeout, append([]string{"rm", "-f", "-t", "0"}, names...)...)
		}
	}()
	for i := range b.opts.idle {
		name := fmt.Sprintf("enginebench-idle-%d", i)
		if _, err := b.do(e, "idle", nil, b.runArgs("-d", "--name", name, b.opts.image, "sleep", "1000")...); err != nil {
			return err
		}
		names = append(names, name)
	}
	time.Sleep(b.opts.settle)
	procs, err := leftProcs(b.work, e.dir)
	if err != nil {
		return err
	}
	if b.idle == nil {
		b.idle = map[string]*idleStats{}
	}
	b.idle[e.name] = &idleStats{containers: len(names), procs: procs}
	return nil
}

// leftProcs lists the processes of this pid namespace that carry marker in their
// environment or mention dir in their command line, but for this program.
func leftProcs(marker, dir string) ([]proc, error) {
	self := os.Getpid()
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	mark := []byte(markerEnv + "=" + marker + "\x00")
	var out []proc
	for _, d := range entries {
		pid, err := strconv.Atoi(d.Name())
		if err != nil || pid == self {
			continue
		}
		base := filepath.Join("/proc", d.Name())
		if n, err := os.Readlink(base + "/ns/pid"); err != nil || n != ns {
			continue
		}
		env, _ := os.ReadFile(base + "/environ")
		cmdline, _ := os.ReadFile(base + "/cmdline")
		if !bytes.Contains(append(env, 0), mark) && !bytes.Contains(cmdline, []byte(dir)) {
			continue
		}
		p := proc{pid: pid, comm: readTrim(base + "/comm"), rss: statusKB(base+"/status", "VmRSS:"),
			pss: statusKB(base+"/smaps_rollup", "Pss:")}
		if p.rss == 0 { // exited meanwhile, or a zombie
			continue
		}
		out = append(out, p)
	}
	return out, nil
}

// conmonOnly says whether every process left is a conmon, one per container.
func (s *idleStats) conmonOnly() bool {
	for _, p := range s.procs {
		if p.comm != "conmon" {
			return false
		}
	}
	return len(s.procs) == s.containers
}

// sums are the total RSS and PSS of the processes left, in KiB.
func (s *idleStats) sums() (rss, pss int64) {
	for _, p := range s.procs {
		rss += p.rss
		pss += p.pss
	}
	return rss, pss
}

// describe lists the processes as "conmon ×3" or "conmon ×3, berth ×1".
func (s *idleStats) describe() string {
	count := map[string]int{}
	var order []string
	for _, p := range s.procs {
		if count[p.comm] == 0 {
			order = append(order, p.comm)
		}
		count[p.comm]++
	}
	var parts []string
	for _, c := range order {
		parts = append(parts, fmt.Sprintf("%s ×%d", c, count[c]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
