package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// runnerEnv, when set, makes genbench act as the runner: a small process that starts
// one generator run and reports its wall time, peak RSS and exit status on fd 3.
//
// Why a runner: Go starts children with vfork semantics (CLONE_VM), and Linux then
// counts the parent's high-water RSS in the child's ru_maxrss. Started from this
// program, whose own RSS grows with the input sets and results, every child would
// report at least that. A fresh runner is only a few MB, and the floor it leaves is
// measured (floorKB) and printed.
const runnerEnv = "GENBENCH_RUNNER"

// reportFD is the runner's report pipe (the first of cmd.ExtraFiles).
const reportFD = 3

// sample is one measured generator run.
type sample struct {
	wall   time.Duration
	rssKB  int64 // ru_maxrss, in KiB on Linux
	status int   // exit status, -1 when killed by a signal
}

// runnerMain runs os.Args[1:] with the inherited stdout and stderr and writes
// "WALL_NS MAXRSS_KB STATUS" to fd 3, or "error MESSAGE" when the command cannot start.
func runnerMain() int {
	syscall.CloseOnExec(reportFD) // the generator must not inherit the report pipe
	report := os.NewFile(reportFD, "report")
	if len(os.Args) < 2 {
		fmt.Fprintln(report, "error runner: no command")
		return 1
	}
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		fmt.Fprintf(report, "error %v\n", err)
		return 1
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	var rss int64
	if ru != nil {
		rss = ru.Maxrss
	}
	fmt.Fprintf(report, "%d %d %d\n", wall.Nanoseconds(), rss, cmd.ProcessState.ExitCode())
	return 0
}

// runOnce runs argv through a runner with env, stdout and stderr, and returns what the
// runner measured.
func runOnce(argv, env []string, stdout, stderr *os.File) (sample, error) {
	self, err := os.Executable()
	if err != nil {
		return sample{}, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return sample{}, err
	}
	defer r.Close()
	cmd := exec.Command(self, argv...)
	cmd.Env = append(env, runnerEnv+"=1")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.ExtraFiles = []*os.File{w}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return sample{}, fmt.Errorf("starting the runner: %w", err)
	}
	line, _ := bufio.NewReader(r).ReadString('\n')
	if err := cmd.Wait(); err != nil && !strings.HasPrefix(line, "error ") {
		return sample{}, fmt.Errorf("runner: %v", err)
	}
	return parseReport(line)
}

func parseReport(line string) (sample, error) {
	line = strings.TrimSpace(line)
	if msg, ok := strings.CutPrefix(line, "error "); ok {
		return sample{}, errors.New(msg)
	}
	var ns int64
	var s sample
	if _, err := fmt.Sscan(line, &ns, &s.rssKB, &s.status); err != nil {
		return sample{}, fmt.Errorf("runner report %q: %v", line, err)
	}
	s.wall = time.Duration(ns)
	return s, nil
}
