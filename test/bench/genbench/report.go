package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Reference figures and targets for 1000 simple .container files (DESIGN.md and the
// issue): podman's generator measured on this kind of machine, and berth's targets,
// at most half podman's times.
var targets = map[mode]struct {
	podman, berth time.Duration
	podmanRSS     string
}{
	dryRun: {74 * time.Millisecond, 37 * time.Millisecond, "10 MB"},
	write:  {114 * time.Millisecond, 57 * time.Millisecond, "-"},
}

const targetRSSKB = 10 * 1024
const targetSet = "simple-1000"

func (b *bencher) printHeader() {
	fmt.Printf("genbench: %d measured runs after %d warm-ups per set, mode and generator\n", b.opts.runs, b.opts.warmups)
	fmt.Printf("machine:  %d CPUs, Linux %s, load average %s\n", runtime.NumCPU(), readTrim("/proc/sys/kernel/osrelease"), loadAvg())
	for _, g := range b.gens {
		fmt.Printf("%-9s %s (%s)\n", g.name+":", g.path, g.engineEnv)
	}
	fmt.Printf("write:    into %s\n", b.out.desc)
	fmt.Printf("RSS:      ru_maxrss of the child; floor %s (/bin/true started the same way)\n\n", mb(b.floorKB))
}

// printTable prints one row per (set, mode, generator) and then the problems.
func (b *bencher) printTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "set\tfiles\tmode\tgenerator\tmedian\tmin\tpeak RSS\t status\t")
	var notes []string
	for _, r := range b.rows {
		status := "ok"
		if r.broken() {
			notes = append(notes, fmt.Sprintf("[%d] %s, %s, %s: %s", len(notes)+1, r.gen.name, r.set.Name, r.mode, r.problem))
			status = fmt.Sprintf(" FAILED [%d]", len(notes))
			if !r.skipped {
				status = fmt.Sprintf(" %d of %d runs failed [%d]", r.failed, b.opts.warmups+b.opts.runs, len(notes))
			}
		}
		med, low, rss := "-", "-", "-"
		if len(r.samples) > 0 {
			med, low, rss = ms(median(r.samples)), ms(minimum(r.samples)), mb(peakRSS(r.samples))
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t %s\t\n", r.set.Name, len(r.set.Files), r.mode, r.gen.name, med, low, rss, status)
	}
	tw.Flush()
	for _, n := range notes {
		fmt.Fprintln(w, n)
	}
}

// printTargets compares berth's 1000-file figures with the reference and targets.
func (b *bencher) printTargets(w io.Writer) {
	fmt.Fprintf(w, "\ntargets, %s (podman on this kind of machine; berth: at most half its time, <= 10 MB):\n", targetSet)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  mode\tpodman ref\tberth target\tberth here\tpodman here\tverdict")
	for _, m := range []mode{dryRun, write} {
		t := targets[m]
		berth, podman := b.find(targetSet, m, "berth"), b.find(targetSet, m, "podman")
		fmt.Fprintf(tw, "  %s\t%s, %s\t<= %s, <= 10 MB\t%s\t%s\t%s\n", m, ms(t.podman), t.podmanRSS, ms(t.berth),
			figures(berth), figures(podman), verdict(berth, t.berth))
	}
	tw.Flush()
	fmt.Fprintln(w, "(times are medians of wall time from start to exit; MB = 2^20 bytes; the machine is shared, so compare rows of one session)")
}

func (b *bencher) find(set string, m mode, gen string) *row {
	for _, r := range b.rows {
		if r.set.Name == set && r.mode == m && r.gen.name == gen {
			return r
		}
	}
	return nil
}

func figures(r *row) string {
	switch {
	case r == nil:
		return "not run"
	case len(r.samples) == 0 || r.broken():
		return "FAILED"
	}
	return ms(median(r.samples)) + ", " + mb(peakRSS(r.samples))
}

func verdict(r *row, target time.Duration) string {
	if r == nil || len(r.samples) == 0 || r.broken() {
		return "-"
	}
	var miss []string
	if t := median(r.samples); t > target {
		miss = append(miss, fmt.Sprintf("time %.2fx target", float64(t)/float64(target)))
	}
	if rss := peakRSS(r.samples); rss > targetRSSKB {
		miss = append(miss, fmt.Sprintf("RSS %.2fx target", float64(rss)/targetRSSKB))
	}
	if len(miss) == 0 {
		return "met"
	}
	return "missed: " + strings.Join(miss, ", ")
}

func median(s []sample) time.Duration {
	d := make([]time.Duration, len(s))
	for i := range s {
		d[i] = s[i].wall
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	if n := len(d); n%2 == 0 {
		return (d[n/2-1] + d[n/2]) / 2
	}
	return d[len(d)/2]
}

func minimum(s []sample) time.Duration {
	m := s[0].wall
	for _, x := range s[1:] {
		m = min(m, x.wall)
	}
	return m
}

func peakRSS(s []sample) int64 {
	var m int64
	for _, x := range s {
		m = max(m, x.rssKB)
	}
	return m
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func mb(kb int64) string { return fmt.Sprintf("%.1f MB", float64(kb)/1024) }

func readTrim(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(data))
}

// loadAvg is the 1, 5 and 15 minute load averages: on a shared machine they say how
// much to trust the times.
func loadAvg() string {
	f := strings.Fields(readTrim("/proc/loadavg"))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
