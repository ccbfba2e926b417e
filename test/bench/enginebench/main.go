// Command enginebench measures berth's container engine next to podman's, on the
// same image, storage driver (overlay) and OCI runtime (runc), each with its own
// temporary --root and --runroot, in alternating runs:
//
//   - `run --rm --network=none IMG true`: median and min wall time;
//   - `run -d --sdnotify=conmon IMG sleep 100`: the time until READY=1 arrives on a
//     NOTIFY_SOCKET the benchmark listens on, as systemd would (and that MAINPID is
//     conmon);
//   - `run --rm IMG true` on the default bridge network, with no other container (so
//     that the bridge comes and goes with it, as for a user), and with an idle
//     container keeping the bridge up;
//   - a pod of two members to READY, with the commands of a Quadlet .pod and two
//     .container units: from `pod create` to the last member's READY=1;
//   - the peak RSS of each command;
//   - what stays resident per idle container (it must be conmon alone).
//
// Both engines use the same bridge (podman0, 10.88.0.0/16), so they never run
// containers at the same time; the bridge measurements are skipped when podman0 is
// up before they start (someone else's), and the benchmark warns when it leaves the
// bridge or NAT rules for 10.88.0.0/16 behind.
//
// Podman runs only when it is installed (/usr/bin/podman or -podman); the benchmark
// never installs it. It prints the issues' targets next to the figures. It never
// fails on speed, only (exit status 1) when a berth command fails or it was
// interrupted; it removes what the engines made even then. Needs root.
//
//	go run ./test/bench/enginebench [-berth PATH] [-podman PATH] [-runs N] [-image REF]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// options are the command line.
type options struct {
	berth, podman   string
	image           string
	runs, warmups   int
	idle            int
	settle, timeout time.Duration
	keep            bool
}

// podmanDefault is where Debian installs podman.
const podmanDefault = "/usr/bin/podman"

func main() {
	if os.Getenv(runnerEnv) != "" {
		os.Exit(runnerMain())
	}
	os.Exit(run())
}

func parseFlags() (options, bool) {
	var o options
	fl := flag.NewFlagSet("enginebench", flag.ContinueOnError)
	fl.StringVar(&o.berth, "berth", "", "berth binary (default: build/bin/berth, else build ./cmd/berth into a temp folder)")
	fl.StringVar(&o.podman, "podman", "", "podman binary (default: "+podmanDefault+" when it exists; none: berth alone; never installed by this program)")
	fl.StringVar(&o.image, "image", "127.0.0.1:5000/busybox:latest", "image to pull (with --tls-verify=false) and run")
	fl.IntVar(&o.runs, "runs", 20, "measured runs per measurement and engine")
	fl.IntVar(&o.warmups, "warmups", 2, "unmeasured runs before measuring")
	fl.IntVar(&o.idle, "idle", 3, "idle containers for the resident memory figure")
	fl.DurationVar(&o.settle, "settle", time.Second, "wait after starting the idle containers before reading their memory")
	fl.DurationVar(&o.timeout, "timeout", time.Minute, "limit for one command")
	fl.BoolVar(&o.keep, "keep", false, "keep the temporary roots (after removing the containers)")
	if err := fl.Parse(os.Args[1:]); err != nil {
		return o, false
	}
	if o.runs < 1 || o.warmups < 0 || o.idle < 1 || fl.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "enginebench: -runs and -idle must be at least 1, -warmups at least 0, and no arguments")
		return o, false
	}
	return o, true
}

func run() int {
	o, ok := parseFlags()
	if !ok {
		return 2
	}
	if os.Geteuid() != 0 {
		return fail(fmt.Errorf("must run as root (the engines run rootful containers)"))
	}
	work, err := os.MkdirTemp("/var/tmp", "enginebench-")
	if err != nil {
		return fail(err)
	}
	conf, err := writeContainersConf(work)
	if err != nil {
		os.RemoveAll(work)
		return fail(err)
	}
	engines, err := engines(o, work)
	if err != nil {
		os.RemoveAll(work)
		return fail(err)
	}
	// A signal stops the measurements; the deferred cleanup still runs.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	b := &bencher{ctx: ctx, opts: o, work: work, conf: conf, host: readHostNet()}
	defer b.cleanup(engines)
	for _, e := range engines {
		if conf != "" {
			e.env = append(e.env, "CONTAINERS_CONF="+conf)
		}
	}
	for _, e := range engines {
		if err := e.setup(b); err != nil {
			if e.name == "berth" {
				return fail(err)
			}
			fmt.Fprintf(os.Stderr, "enginebench: %v: going on with berth alone\n", err)
			continue
		}
		b.engines = append(b.engines, e)
	}
	b.printHeader()
	ok = b.measure()
	b.report(os.Stdout)
	if b.stopped() {
		fmt.Fprintln(os.Stderr, "enginebench: interrupted; cleaning up")
		return 1
	}
	if !ok {
		return 1
	}
	return 0
}

// engines finds (or builds) berth and finds podman.
func engines(o options, work string) ([]*engine, error) {
	berth := o.berth
	if berth == "" {
		berth = "build/bin/berth"
		if _, err := os.Stat(berth); err != nil {
			berth = filepath.Join(work, "berth")
			fmt.Fprintln(os.Stderr, "enginebench: building ./cmd/berth (about a minute when cold)")
			cmd := exec.Command("go", "build", "-tags", "containers_image_openpgp,exclude_graphdriver_btrfs", "-o", berth, "./cmd/berth")
			cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
			if err := cmd.Run(); err != nil {
				return nil, fmt.Errorf("building berth (run from the repository's top folder, or pass -berth): %w", err)
			}
		}
	}
	abs, err := filepath.Abs(berth)
	if err != nil {
		return nil, err
	}
	list := []*engine{newEngine("berth", abs, work)}
	podman := o.podman
	if podman == "" {
		if _, err := os.Stat(podmanDefault); err == nil {
			podman = podmanDefault
		}
	}
	if podman != "" && podman != "none" {
		list = append(list, newEngine("podman", podman, work))
	}
	return list, nil
}

func fail(err error) int {
	fmt.Fprintln(os.Stderr, "enginebench:", err)
	return 1
}
