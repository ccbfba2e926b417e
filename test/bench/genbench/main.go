// Command genbench measures the Quadlet generator: wall time and peak RSS of whole runs
// of the binary over generated input sets, in dry-run mode and writing into a folder on
// tmpfs, next to podman's generator when it is installed and the targets from DESIGN.md.
// It prints figures; it never fails on speed, only (exit status 1) when a generator
// run fails or does not produce one service per input file.
//
//	go run ./test/bench/genbench [-generator PATH] [-podman PATH] [-runs N]
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/berth-containers/berth/test/bench"
)

// podmanDefault is where Debian installs podman's generator.
const podmanDefault = "/usr/libexec/podman/quadlet"

// options are the command line.
type options struct {
	generator, podman string
	runs, warmups     int
	sets              string
	keep              bool
}

func main() {
	if os.Getenv(runnerEnv) != "" {
		os.Exit(runnerMain())
	}
	os.Exit(run())
}

func parseFlags() (options, bool) {
	var o options
	fl := flag.NewFlagSet("genbench", flag.ContinueOnError)
	fl.StringVar(&o.generator, "generator", "", "berth's generator binary (default: build ./cmd/quadlet into a temp folder)")
	fl.StringVar(&o.podman, "podman", "", "podman's generator binary (default: "+podmanDefault+" when it exists)")
	fl.IntVar(&o.runs, "runs", 20, "measured runs per set, mode and generator")
	fl.IntVar(&o.warmups, "warmups", 2, "unmeasured runs before measuring")
	fl.StringVar(&o.sets, "sets", "", "comma-separated input sets to run (default all: simple-1,simple-100,simple-1000,mixed-1000)")
	fl.BoolVar(&o.keep, "keep", false, "keep the temp folder with the inputs and the built generator")
	if err := fl.Parse(os.Args[1:]); err != nil {
		return o, false
	}
	if o.runs < 1 || o.warmups < 0 || fl.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "genbench: -runs must be at least 1, -warmups at least 0, and no arguments")
		return o, false
	}
	return o, true
}

func run() int {
	o, ok := parseFlags()
	if !ok {
		return 2
	}
	sets, err := pickSets(o.sets)
	if err != nil {
		return fail(err)
	}
	work, err := os.MkdirTemp("", "genbench-")
	if err != nil {
		return fail(err)
	}
	if o.keep {
		defer fmt.Fprintf(os.Stderr, "genbench: kept %s\n", work)
	} else {
		defer os.RemoveAll(work)
	}
	gens, err := generators(o, work)
	if err != nil {
		return fail(err)
	}
	out, err := newOutBase(work)
	if err != nil {
		return fail(err)
	}
	defer out.cleanup()
	b := &bencher{opts: o, gens: gens, out: out}
	if err := b.prepare(work, sets); err != nil {
		return fail(err)
	}
	return b.runAll()
}

func fail(err error) int {
	fmt.Fprintf(os.Stderr, "genbench: %v\n", err)
	return 2
}

// pickSets returns the input sets named in list ("" for all).
func pickSets(list string) ([]bench.Set, error) {
	all := bench.Sets()
	if list == "" {
		return all, nil
	}
	var out []bench.Set
	for _, name := range strings.Split(list, ",") {
		i := setIndex(all, strings.TrimSpace(name))
		if i < 0 {
			return nil, fmt.Errorf("unknown input set %q", name)
		}
		out = append(out, all[i])
	}
	return out, nil
}

func setIndex(sets []bench.Set, name string) int {
	for i, s := range sets {
		if s.Name == name {
			return i
		}
	}
	return -1
}

// prepare writes every input set into its own folder and measures the RSS floor.
func (b *bencher) prepare(work string, sets []bench.Set) error {
	for _, s := range sets {
		dir := filepath.Join(work, "in", s.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := bench.Write(dir, s.Files); err != nil {
			return err
		}
		in := inputSet{Set: s, dir: dir}
		in.expectServices()
		b.sets = append(b.sets, in)
	}
	return b.measureFloor()
}
