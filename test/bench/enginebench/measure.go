package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// Measurement names, also the report's rows.
const (
	mPull       = "pull"
	mRunRm      = "run --rm"
	mRunD       = "run -d"
	mReady      = "READY=1"
	mRm         = "rm -f"
	mBridge     = "run --rm bridge"
	mBridgeKept = "run --rm bridge, kept up"
	mPodReady   = "pod to READY=1"
	mPodCreate  = "pod create"
	mPodStart   = "pod start"
	mPodRun     = "pod member run -d"
	mPodRm      = "pod rm -f"
)

// bencher runs the measurements and keeps their results.
type bencher struct {
	ctx     context.Context // cancelled on SIGINT or SIGTERM: stop measuring, clean up, report
	opts    options
	work    string
	conf    string   // the containers.conf both engines read (CONTAINERS_CONF), or ""
	host    hostNet  // podman0 and its NAT rules before the benchmark
	infra   []string // what each engine's pod infra container runs, for the report
	engines []*engine
	samples map[string]map[string][]sample // engine → measurement → samples
	ready   map[string]*readyStats         // engine → READY=1 figures
	idle    map[string]*idleStats          // engine → resident memory
	broken  map[string]map[string]bool     // engine → measurement that failed
	notes   []string
}

// markerEnv tags every process the engines start, so that what they leave running
// can be found (conmon keeps its environment).
const markerEnv = "ENGINEBENCH_MARK"

// do runs an engine command through a runner and fails on a non-zero exit status.
func (b *bencher) do(e *engine, what string, env []string, args ...string) (sample, error) {
	// Not b.ctx: after a signal, the command under way ends on its own, so that the
	// cleanup does not race it.
	ctx, cancel := context.WithTimeout(context.Background(), b.opts.timeout)
	defer cancel()
	env = append(append(env, e.env...), markerEnv+"="+b.work)
	s, err := measureCmd(ctx, e.argv(args...), env)
	if err == nil && s.status != 0 {
		err = fmt.Errorf("exit status %d: %s", s.status, lastLines(s.output, 3))
	}
	if err != nil {
		return s, fmt.Errorf("%s %s (%s): %w", e.name, strings.Join(args, " "), what, err)
	}
	return s, nil
}

func (b *bencher) record(e *engine, what string, s sample) {
	if b.samples == nil {
		b.samples = map[string]map[string][]sample{}
	}
	if b.samples[e.name] == nil {
		b.samples[e.name] = map[string][]sample{}
	}
	b.samples[e.name][what] = append(b.samples[e.name][what], s)
}

// fail notes a failed measurement of an engine, which then stops for it.
func (b *bencher) fail(e *engine, what string, err error) {
	if b.broken == nil {
		b.broken = map[string]map[string]bool{}
	}
	if b.broken[e.name] == nil {
		b.broken[e.name] = map[string]bool{}
	}
	b.broken[e.name][what] = true
	b.notes = append(b.notes, fmt.Sprintf("%s, %s: FAILED: %v", e.name, what, err))
	fmt.Fprintf(os.Stderr, "enginebench: %v\n", err)
}

func (b *bencher) failed(e *engine, what string) bool { return b.broken[e.name][what] }

// measure runs everything; false when a berth command failed.
func (b *bencher) measure() bool {
	b.alternate(mRunRm, func(e *engine, i int, measured bool) error {
		s, err := b.do(e, mRunRm, nil, b.runArgs("--rm", b.opts.image, "true")...)
		settle()
		if err == nil && measured {
			b.record(e, mRunRm, s)
		}
		return err
	})
	b.alternate(mReady, b.readyOnce)
	b.measureBridge()
	for _, e := range b.engines {
		if b.stopped() {
			break
		}
		if err := b.idleMemory(e); err != nil {
			b.fail(e, "idle", err)
		}
	}
	return len(b.broken["berth"]) == 0
}

// alternate runs f for every engine, warm-ups then measured runs, swapping the
// engines' order every run so that neither always runs on a warmer machine.
func (b *bencher) alternate(what string, f func(e *engine, i int, measured bool) error) {
	fmt.Fprintf(os.Stderr, "enginebench: %s, %d+%d runs per engine\n", what, b.opts.warmups, b.opts.runs)
	for i := range b.opts.warmups + b.opts.runs {
		if b.stopped() {
			return
		}
		order := slices.Clone(b.engines)
		if i%2 == 1 {
			slices.Reverse(order)
		}
		for _, e := range order {
			if b.failed(e, what) {
				continue
			}
			if err := f(e, i, i >= b.opts.warmups); err != nil {
				b.fail(e, what, err)
			}
		}
	}
}

// stopped says whether a signal asked the benchmark to stop.
func (b *bencher) stopped() bool { return b.ctx != nil && b.ctx.Err() != nil }

// lastLines keeps the last n non-empty lines of s, joined with " | ".
func lastLines(s string, n int) string {
	var lines []string
	for l := range strings.Lines(s) {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// cleanup removes the engines' pods, containers and networks and the temporary
// folders (unless -keep), then checks that no bridge or NAT rule of theirs is left.
func (b *bencher) cleanup(all []*engine) {
	for _, e := range all {
		e.teardown(b.opts.timeout)
	}
	b.checkHostNet(os.Stdout)
	if b.opts.keep {
		fmt.Fprintf(os.Stderr, "enginebench: kept %s\n", b.work)
		return
	}
	if err := os.RemoveAll(b.work); err != nil {
		fmt.Fprintf(os.Stderr, "enginebench: removing %s: %v\n", b.work, err)
	}
}

// settle gives conmon's exit and cleanup commands of a removed container a moment,
// so that they do not overlap the next measured run. Not measured.
func settle() { time.Sleep(50 * time.Millisecond) }
