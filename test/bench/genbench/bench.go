package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/berth-containers/berth/test/bench"
)

// mode is how the generator is run.
type mode int

const (
	dryRun mode = iota // -dryrun, services printed to stdout (/dev/null)
	write              // services written into a fresh folder on tmpfs
)

func (m mode) String() string {
	if m == dryRun {
		return "dry-run"
	}
	return "write"
}

// inputSet is a set written to disk, with the services it must produce.
type inputSet struct {
	bench.Set
	dir      string
	expected map[string]bool // service names
}

// bencher holds one session's generators, inputs and results.
type bencher struct {
	opts    options
	gens    []gen
	out     *outBase
	sets    []inputSet
	floorKB int64 // ru_maxrss of /bin/true started the same way
	rows    []*row
}

// row is the outcome for one (set, mode, generator).
type row struct {
	set     *inputSet
	mode    mode
	gen     gen
	samples []sample
	failed  int    // runs that failed (exit status, missing services, runner error)
	problem string // the first failure
	skipped bool   // the first, checked run failed, so nothing was timed
}

func (r *row) broken() bool { return r.skipped || r.failed > 0 }

func (b *bencher) runAll() int {
	b.printHeader()
	status := 0
	for i := range b.sets {
		for _, m := range []mode{dryRun, write} {
			fmt.Fprintf(os.Stderr, "genbench: %s %s ...\n", b.sets[i].Name, m)
			for _, r := range b.measure(&b.sets[i], m) {
				b.rows = append(b.rows, r)
				if r.broken() {
					status = 1
				}
			}
		}
	}
	b.printTable(os.Stdout)
	b.printTargets(os.Stdout)
	return status
}

// measure runs every generator on one set in one mode: a checked run first (a broken
// generator is not timed), then warm-ups and measured runs, taking turns so that all
// generators see the same load on a shared machine.
func (b *bencher) measure(s *inputSet, m mode) []*row {
	var rows []*row
	for _, g := range b.gens {
		r := &row{set: s, mode: m, gen: g}
		if _, problem := b.once(r, true); problem != "" {
			r.skipped, r.problem = true, problem
		}
		rows = append(rows, r)
	}
	for i := 0; i < b.opts.warmups+b.opts.runs; i++ {
		for _, r := range rows {
			if r.skipped {
				continue
			}
			smp, problem := b.once(r, false)
			if problem != "" {
				r.failed++
				if r.problem == "" {
					r.problem = problem
				}
				continue
			}
			if i >= b.opts.warmups {
				r.samples = append(r.samples, smp)
			}
		}
	}
	return rows
}

// once runs r's generator once and checks it: exit status 0 always; in write mode one
// service per input file; in dry-run mode, when check is set, one printed service per
// input file (stdout is captured for that run only).
func (b *bencher) once(r *row, check bool) (sample, string) {
	stdout, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if check && r.mode == dryRun {
		stdout, err = os.Create(filepath.Join(b.out.dir, "stdout"))
	}
	if err != nil {
		return sample{}, err.Error()
	}
	defer stdout.Close()
	stderrPath := filepath.Join(b.out.dir, "stderr")
	stderr, err := os.Create(stderrPath)
	if err != nil {
		return sample{}, err.Error()
	}
	defer stderr.Close()
	argv := []string{r.gen.path, "-no-kmsg-log", "-dryrun"}
	outDir := filepath.Join(b.out.dir, "services-"+r.gen.name)
	if r.mode == write {
		argv[2] = outDir
		if err := freshDir(outDir); err != nil {
			return sample{}, err.Error()
		}
		defer os.RemoveAll(outDir)
	}
	smp, err := runOnce(argv, r.gen.env(r.set.dir), stdout, stderr)
	switch {
	case err != nil:
		return smp, err.Error()
	case smp.status != 0:
		return smp, fmt.Sprintf("exit status %d:\n%s", smp.status, stderrTail(stderrPath))
	case r.mode == write:
		return smp, checkNames(r.set, writtenServices(outDir), stderrPath)
	case check:
		return smp, checkNames(r.set, printedServices(stdout.Name()), stderrPath)
	}
	return smp, ""
}

// freshDir makes dir exist and be empty, as systemd hands generators their folders.
func freshDir(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.Mkdir(dir, 0o755)
}

// measureFloor records the ru_maxrss of /bin/true started the same way as the
// generators: no generator can be reported below it.
func (b *bencher) measureFloor() error {
	t, err := exec.LookPath("true")
	if err != nil {
		return nil // no floor to report; the figures stay valid
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer null.Close()
	smp, err := runOnce([]string{t}, os.Environ(), null, null)
	if err != nil {
		return fmt.Errorf("the runner does not work: %w", err)
	}
	b.floorKB = smp.rssKB
	return nil
}

// stderrTail returns the last lines of a run's stderr, without the per-file
// "Loading source unit file" lines that dry-run logs.
func stderrTail(path string) string {
	data, _ := os.ReadFile(path)
	var keep []string
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "Loading source unit file") {
			keep = append(keep, l)
		}
	}
	if len(keep) == 0 {
		return "    (nothing on stderr)"
	}
	const tail = 6
	if len(keep) > tail {
		keep = append([]string{fmt.Sprintf("... %d more lines", len(keep)-tail)}, keep[len(keep)-tail:]...)
	}
	return "    " + strings.Join(keep, "\n    ")
}
