package main

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Reference figures (DESIGN.md and issues 3 and 4: Debian's podman 4.3.1 on this kind
// of machine, runc, overlay) and berth's targets as fractions of podman's.
const (
	refRunRm      = 300 * time.Millisecond // "about 285-315 ms"
	refBridge     = 560 * time.Millisecond // run --rm on the default bridge
	targetBridge  = 0.6
	refReadyLow   = 210 * time.Millisecond // unit start to READY under systemd: 0.21-0.24 s
	refReadyHigh  = 240 * time.Millisecond
	targetRunRm   = 0.6
	targetReady   = 0.5
	refIdleConmon = "conmon only, ~2 MB"
)

func (b *bencher) printHeader() {
	o := b.opts
	fmt.Printf("enginebench: %d measured runs after %d warm-ups per measurement and engine, engines alternating\n", o.runs, o.warmups)
	fmt.Printf("machine:  %d CPUs, Linux %s, load average %s (shared: compare figures of one session)\n",
		runtime.NumCPU(), readTrim("/proc/sys/kernel/osrelease"), loadAvg())
	fmt.Printf("setup:    %s; overlay, runc, cgroupfs; temporary --root/--runroot in %s\n", o.image, b.work)
	fmt.Printf("run:      %s IMG ... (both engines)\n", strings.Join(b.runArgs(), " "))
	fmt.Printf("bridge:   %s IMG true, alone (%s comes and goes with it) and with an idle container keeping %s up\n",
		strings.Join(b.bridgeArgs("--rm"), " "), bridgeName, bridgeName)
	fmt.Printf("pod:      %s; pod start %s; then at once, as systemd starts the members' units:\n",
		strings.Join(b.podCreateArgs(), " "), podName)
	fmt.Printf("          %s (×%d, each with its own NOTIFY_SOCKET); timed to the last READY=1\n",
		strings.Join(b.memberArgs("NAME"), " "), len(podMembers))
	if b.conf != "" {
		fmt.Printf("config:   CONTAINERS_CONF=%s (%s with default_ulimits = the limits above: podman's pod infra container takes no --ulimit)\n",
			b.conf, systemContainersConf)
	}
	for _, e := range b.engines {
		fmt.Printf("%-9s %s (%s)\n", e.name+":", e.path, e.version)
	}
	if b.engine("podman") == nil {
		fmt.Printf("podman:   not run (-podman none, not at %s, or it failed): targets use DESIGN.md's reference figures\n", podmanDefault)
	}
	fmt.Println()
}

func (b *bencher) engine(name string) *engine {
	for _, e := range b.engines {
		if e.name == name {
			return e
		}
	}
	return nil
}

// report prints the times, the targets, peak RSS, idle memory and the notes.
func (b *bencher) report(w io.Writer) {
	b.printTimes(w)
	b.printTargets(w)
	b.printRSS(w)
	b.printIdle(w)
	if len(b.notes) > 0 {
		fmt.Fprintln(w, "\nproblems:")
		for _, n := range b.notes {
			fmt.Fprintln(w, "  "+n)
		}
	}
}

func (b *bencher) printTimes(w io.Writer) {
	fmt.Fprintln(w, "times (wall, from the command's start):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "  what\t")
	for _, e := range b.engines {
		fmt.Fprintf(tw, "%s median\tmin\tmax\t", e.name)
	}
	fmt.Fprintln(tw)
	rows := []struct{ label, key string }{
		{"run --rm --network=none IMG true", mRunRm},
		{"run -d --sdnotify=conmon: READY=1 received", mReady},
		{"run -d --sdnotify=conmon: command exited", mRunD},
		{"rm -f -t 0 (running container)", mRm},
		{"run --rm IMG true, default bridge, alone", mBridge},
		{"run --rm IMG true, bridge kept up by another", mBridgeKept},
		{"pod of 2: pod create to last READY=1", mPodReady},
		{"  pod create", mPodCreate},
		{"  pod start", mPodStart},
		{"  member run -d (2 at once, each)", mPodRun},
		{"  pod rm -f -t 0 (after)", mPodRm},
		{"pull (once, before)", mPull},
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "  %s\t", r.label)
		for _, e := range b.engines {
			d := b.durations(e.name, r.key)
			if len(d) == 0 {
				fmt.Fprint(tw, "-\t-\t-\t")
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t", ms(median(d)), ms(slices.Min(d)), ms(slices.Max(d)))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	for _, e := range b.engines {
		if r := b.ready[e.name]; r != nil {
			fmt.Fprintf(w, "  %s: MAINPID named conmon in %d of %d runs%s\n", e.name, r.mainConmon, len(r.after), other(r.mainOther))
		}
	}
}

func other(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return "; otherwise " + strings.Join(s[:min(3, len(s))], ", ")
}

// durations are the measured times of one engine and measurement.
func (b *bencher) durations(engine, key string) []time.Duration {
	if key == mReady {
		if r := b.ready[engine]; r != nil {
			return r.after
		}
		return nil
	}
	var d []time.Duration
	for _, s := range b.samples[engine][key] {
		d = append(d, s.wall)
	}
	return d
}

// printTargets compares berth's medians with podman's measured here when it ran, else
// with the reference figures.
func (b *bencher) printTargets(w io.Writer) {
	fmt.Fprintln(w, "\ntargets (issues 3 and 4; informative: the benchmark never fails on speed):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  what\ttarget\tpodman\tberth target\tberth\tverdict")
	b.targetRow(tw, "run --rm --network=none IMG true", mRunRm, targetRunRm, refRunRm, "~300 ms (285-315)")
	b.targetRow(tw, "run -d --sdnotify=conmon to READY=1", mReady, targetReady, refReadyLow,
		fmt.Sprintf("%.2f-%.2f s under systemd", refReadyLow.Seconds(), refReadyHigh.Seconds()))
	b.targetRow(tw, "run --rm IMG true (default bridge, alone)", mBridge, targetBridge, refBridge, "~560 ms")
	b.ratioRow(tw, "pod of 2 members to last READY=1", mPodReady)
	tw.Flush()
	if len(b.infra) > 0 {
		fmt.Fprintf(w, "  (pod infra: %s)\n", strings.Join(b.infra, "; "))
	}
	if b.engine("podman") == nil {
		fmt.Fprintf(w, "  (without podman here, the READY target is half the low end of its reference, %s)\n", ms(refReadyLow))
	}
	fmt.Fprintln(w, "  (READY here is from the command's start, without systemd; test/e2e/engine/run.sh prints systemctl start to active)")
}

func (b *bencher) targetRow(w io.Writer, label, key string, factor float64, ref time.Duration, refText string) {
	podman, versus := "reference "+refText, "podman's reference"
	base := ref
	if d := b.durations("podman", key); len(d) > 0 {
		base = median(d)
		podman, versus = ms(base)+" here", "podman"
	}
	target := time.Duration(float64(base) * factor)
	berth, verdict := "-", "-"
	if d := b.durations("berth", key); len(d) > 0 {
		m := median(d)
		berth = fmt.Sprintf("%s (%.2f× %s)", ms(m), float64(m)/float64(base), versus)
		verdict = "met"
		if m > target {
			verdict = fmt.Sprintf("missed (%.2f× target)", float64(m)/float64(target))
		}
	}
	fmt.Fprintf(w, "  %s\t<= %.1f× podman\t%s\t<= %s\t%s\t%s\n", label, factor, podman, ms(target), berth, verdict)
}

// ratioRow compares berth's median with podman's where there is no target.
func (b *bencher) ratioRow(w io.Writer, label, key string) {
	podman, berth := "-", "-"
	p, q := b.durations("podman", key), b.durations("berth", key)
	if len(p) > 0 {
		podman = ms(median(p)) + " here"
	}
	if len(q) > 0 {
		berth = ms(median(q))
		if len(p) > 0 {
			berth += fmt.Sprintf(" (%.2f× podman)", float64(median(q))/float64(median(p)))
		}
	}
	fmt.Fprintf(w, "  %s\tnone\t%s\t-\t%s\t-\n", label, podman, berth)
}

func (b *bencher) printRSS(w io.Writer) {
	fmt.Fprintf(w, "\npeak RSS per command, max over runs: own (VmHWM read every %s) / ru_maxrss (also counts the children it waited for, such as runc):\n", hwmEvery)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "  command\t")
	for _, e := range b.engines {
		fmt.Fprintf(tw, "%s own\tru_maxrss\t", e.name)
	}
	fmt.Fprintln(tw)
	for _, key := range []string{mPull, mRunRm, mRunD, mRm, mBridge, mPodCreate, mPodStart, mPodRun, mPodRm} {
		fmt.Fprintf(tw, "  %s\t", key)
		for _, e := range b.engines {
			s := b.samples[e.name][key]
			if len(s) == 0 {
				fmt.Fprint(tw, "-\t-\t")
				continue
			}
			var hwm, maxRSS int64
			for _, x := range s {
				hwm, maxRSS = max(hwm, x.hwm), max(maxRSS, x.maxRSS)
			}
			fmt.Fprintf(tw, "%s\t%s\t", mb(hwm), mb(maxRSS))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

func (b *bencher) printIdle(w io.Writer) {
	fmt.Fprintf(w, "\nresident per idle container (run -d ... sleep 1000, %d containers, read after %s; target: %s):\n", b.opts.idle, b.opts.settle, refIdleConmon)
	for _, e := range b.engines {
		s := b.idle[e.name]
		if s == nil {
			fmt.Fprintf(w, "  %s: not measured\n", e.name)
			continue
		}
		rss, pss := s.sums()
		verdict := "conmon only: yes"
		if !s.conmonOnly() {
			verdict = "conmon only: NO"
		}
		fmt.Fprintf(w, "  %s: %s; left running: %s; per container %s RSS, %s PSS\n", e.name, verdict, s.describe(),
			mb(rss/int64(s.containers)), mb(pss/int64(s.containers)))
		for _, p := range s.procs {
			fmt.Fprintf(w, "    pid %d %s: %s RSS, %s PSS\n", p.pid, p.comm, mb(p.rss), mb(p.pss))
		}
	}
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func mb(kb int64) string { return fmt.Sprintf("%.1f MB", float64(kb)/1024) }

// loadAvg is the 1, 5 and 15 minute load averages: on a shared machine they say how
// much to trust the times.
func loadAvg() string {
	f := strings.Fields(readTrim("/proc/loadavg"))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
