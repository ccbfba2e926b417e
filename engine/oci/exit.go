package oci

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// ExitCode reads the exit code conmon wrote for container id in exitDir: the process's
// status, or 128+N when signal N ended it. A missing file (the container has not
// exited) is an error that satisfies errors.Is(err, fs.ErrNotExist).
func ExitCode(exitDir, id string) (int, error) {
	data, err := os.ReadFile(filepath.Join(exitDir, id))
	if err != nil {
		return 0, err
	}
	code, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return 0, fmt.Errorf("exit file of %s: %q is not a number", id, data)
	}
	return code, nil
}

// WaitExit waits until conmon writes the exit file of container id in exitDir and
// returns the code. p, when not nil, is the container's processes: WaitExit then
// watches the container's pid (a pidfd) and fails with ErrConmonDied if conmon is gone
// without having written the file. Without a pid it watches the folder with inotify
// (conmon writes the file by rename).
func WaitExit(ctx context.Context, exitDir, id string, p *Process) (int, error) {
	// Most waits start after the exit (a short command): nothing to watch then.
	if code, err := ExitCode(exitDir, id); err == nil || !errors.Is(err, os.ErrNotExist) {
		return code, err
	}
	var conmonPid int
	if p != nil {
		conmonPid = p.ConmonPid
		if p.Pid > 0 {
			if fd, err := unix.PidfdOpen(p.Pid, 0); err == nil {
				defer unix.Close(fd)
				return waitPidfd(ctx, fd, exitDir, id, conmonPid)
			}
		}
	}
	return waitInotify(ctx, exitDir, id, conmonPid)
}

// checkExit is one look at the exit file and at conmon: done is true with the code or
// an error, false while the container may still run.
func checkExit(ctx context.Context, exitDir, id string, conmonPid int) (code int, done bool, err error) {
	code, err = ExitCode(exitDir, id)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return code, true, err
	}
	if conmonPid != 0 && !ConmonAlive(conmonPid) {
		if code, err := ExitCode(exitDir, id); err == nil {
			return code, true, nil
		}
		return 0, true, fmt.Errorf("container %s: %w", shortID(id), ErrConmonDied)
	}
	if err := ctx.Err(); err != nil {
		return 0, true, err
	}
	return 0, false, nil
}

// waitPidfd sleeps until the container's process ends, then polls briefly for the
// exit file, which conmon writes once it has drained the output.
func waitPidfd(ctx context.Context, fd int, exitDir, id string, conmonPid int) (int, error) {
	exited := false
	for {
		if code, done, err := checkExit(ctx, exitDir, id, conmonPid); done {
			return code, err
		}
		if exited {
			time.Sleep(500 * time.Microsecond)
			continue
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, 100); err != nil && !errors.Is(err, unix.EINTR) {
			return 0, err
		}
		exited = fds[0].Revents&(unix.POLLIN|unix.POLLHUP) != 0
	}
}

// waitInotify waits for the exit file to appear in exitDir.
func waitInotify(ctx context.Context, exitDir, id string, conmonPid int) (int, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return 0, fmt.Errorf("watching %s: %w", exitDir, err)
	}
	// Closing an inotify fd waits for an RCU grace period (8-15 ms here): do not make
	// the caller wait for it.
	defer func() { go unix.Close(fd) }()
	if _, err := unix.InotifyAddWatch(fd, exitDir, unix.IN_MOVED_TO|unix.IN_CLOSE_WRITE); err != nil {
		return 0, fmt.Errorf("watching %s: %w", exitDir, err)
	}
	buf := make([]byte, 16*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
	for {
		// Checked after the watch is set and after each wake-up: an exit between
		// the two is seen either way.
		if code, done, err := checkExit(ctx, exitDir, id, conmonPid); done {
			return code, err
		}
		// Poll rather than block, to notice a dead conmon and a cancelled ctx.
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, 100); err != nil && !errors.Is(err, unix.EINTR) {
			return 0, err
		}
		if fds[0].Revents&unix.POLLIN != 0 {
			drainEvents(fd, buf)
		}
	}
}

// drainEvents empties the inotify queue; which file changed is checked by reading it.
func drainEvents(fd int, buf []byte) {
	for {
		n, err := unix.Read(fd, buf)
		if n <= 0 || err != nil {
			return
		}
	}
}

// ConmonAlive reports whether pid is a live conmon. A zombie does not count: the
// reaper of orphans may take seconds (this machine's pid 1 reaps every ~2 s), and a pid
// reused by another program is not conmon.
func ConmonAlive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(data)
	open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || close < open || close+2 >= len(s) {
		return false
	}
	if s[open+1:close] != "conmon" {
		return false
	}
	state := s[close+2]
	return state != 'Z' && state != 'X'
}
