package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// runnerEnv, when set, makes enginebench act as the runner: a small process that
// starts one engine command and reports on fd 3 when it started, its wall time, its
// peak RSS and its exit status.
//
// Why a runner: Go starts children with vfork semantics (CLONE_VM), and Linux then
// counts the parent's high-water RSS in the child's ru_maxrss; started from this
// program, every child would report at least this program's RSS. A fresh runner is a
// few MB.
const runnerEnv = "ENGINEBENCH_RUNNER"

// reportFD is the runner's report pipe (the first of cmd.ExtraFiles).
const reportFD = 3

// hwmEvery is how often the runner reads the command's VmHWM. The last reading
// before the command exits is its own peak RSS, give or take what it allocated in
// its last hwmEvery.
const hwmEvery = 2 * time.Millisecond

// sample is one measured command.
type sample struct {
	start  time.Time     // just before the command was started (wall clock)
	wall   time.Duration // start to exit
	maxRSS int64         // ru_maxrss in KiB: the command's peak, or a waited-for child's if higher (runc)
	hwm    int64         // VmHWM in KiB, last reading: the command's own peak
	status int           // exit status, -1 when killed by a signal
	output string        // stdout and stderr, for error messages
}

// runnerMain runs os.Args[1:] with the inherited stdout and stderr and writes
// "START_UNIX_NS WALL_NS MAXRSS_KB HWM_KB STATUS" to fd 3, or "error MESSAGE".
func runnerMain() int {
	syscall.CloseOnExec(reportFD) // the engine must not inherit the report pipe
	report := os.NewFile(reportFD, "report")
	if len(os.Args) < 2 {
		fmt.Fprintln(report, "error runner: no command")
		return 1
	}
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, os.Stdout, os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(report, "error %v\n", err)
		return 1
	}
	done := make(chan struct{})
	hwm := make(chan int64, 1)
	go pollHWM(cmd.Process.Pid, done, hwm)
	err := cmd.Wait()
	wall := time.Since(start)
	close(done)
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		fmt.Fprintf(report, "error %v\n", err)
		return 1
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss
	}
	fmt.Fprintf(report, "%d %d %d %d %d\n", start.UnixNano(), wall.Nanoseconds(), rss, <-hwm, cmd.ProcessState.ExitCode())
	return 0
}

// pollHWM reads /proc/PID/status's VmHWM until done, and sends the last value read.
func pollHWM(pid int, done <-chan struct{}, out chan<- int64) {
	path := fmt.Sprintf("/proc/%d/status", pid)
	var last int64
	t := time.NewTicker(hwmEvery)
	defer t.Stop()
	for {
		if v := statusKB(path, "VmHWM:"); v > 0 {
			last = v
		}
		select {
		case <-done:
			out <- last
			return
		case <-t.C:
		}
	}
}

// statusKB reads a "Key:  N kB" line of a /proc status file; 0 when absent.
func statusKB(path, key string) int64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, key); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

// measureCmd runs argv through a runner, with extra environment, and returns what it
// measured. The context bounds the whole run.
func measureCmd(ctx context.Context, argv, env []string) (sample, error) {
	self, err := os.Executable()
	if err != nil {
		return sample{}, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return sample{}, err
	}
	defer r.Close()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, self, argv...)
	// Only the READY measurement gets a NOTIFY_SOCKET, even when this program runs
	// in a notify unit.
	base := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "NOTIFY_SOCKET=") })
	cmd.Env = append(append(base, env...), runnerEnv+"=1")
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.ExtraFiles = []*os.File{w}
	// The engine may leave conmon holding our output pipes: do not wait for them.
	cmd.WaitDelay = time.Second
	// A group of its own: a terminal's Ctrl-C reaches this program alone, which lets
	// the command under way finish before cleaning up; a timeout kills the runner and
	// the engine command with it (conmon has a session of its own).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	err = cmd.Start()
	w.Close()
	if err != nil {
		return sample{}, fmt.Errorf("starting the runner: %w", err)
	}
	line, _ := bufio.NewReader(r).ReadString('\n')
	werr := cmd.Wait()
	s, perr := parseReport(line)
	s.output = strings.TrimSpace(out.String())
	if perr != nil {
		if werr != nil && !errors.Is(werr, exec.ErrWaitDelay) {
			return s, fmt.Errorf("%s: %w (%v)", strings.Join(argv, " "), perr, werr)
		}
		return s, fmt.Errorf("%s: %w", strings.Join(argv, " "), perr)
	}
	return s, nil
}

func parseReport(line string) (sample, error) {
	line = strings.TrimSpace(line)
	if msg, ok := strings.CutPrefix(line, "error "); ok {
		return sample{}, errors.New(msg)
	}
	var start, wall int64
	var s sample
	if _, err := fmt.Sscan(line, &start, &wall, &s.maxRSS, &s.hwm, &s.status); err != nil {
		return sample{}, fmt.Errorf("runner report %q: %v", line, err)
	}
	s.start, s.wall = time.Unix(0, start), time.Duration(wall)
	return s, nil
}
