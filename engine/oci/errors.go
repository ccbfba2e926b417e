package oci

import (
	"errors"
	"strings"
)

// Errors callers tell apart with errors.Is.
var (
	// ErrCommandNotFound: the container's command does not exist (podman exits 127).
	ErrCommandNotFound = errors.New("command not found")
	// ErrCommandNotExecutable: the command exists but cannot be run (podman exits 126).
	ErrCommandNotExecutable = errors.New("command not executable")
	// ErrNoRuntime: no OCI runtime works on this machine.
	ErrNoRuntime = errors.New("no working OCI runtime")
	// ErrNotExist: the runtime does not know the container.
	ErrNotExist = errors.New("container unknown to the OCI runtime")
	// ErrNotRunning: the container is not running (a signal cannot be sent).
	ErrNotRunning = errors.New("container is not running")
	// ErrConmonDied: conmon ended without writing the container's exit file.
	ErrConmonDied = errors.New("conmon exited without recording an exit code")
)

// Exit codes for the two command failures, as podman uses them.
const (
	ExitNotExecutable = 126
	ExitNotFound      = 127
)

// CommandExitCode is the status a run must exit with when creating or starting the
// container failed with err: 127 or 126 for a command that is missing or cannot be
// executed, else 0 (not a command failure: the caller's own code applies).
func CommandExitCode(err error) int {
	switch {
	case errors.Is(err, ErrCommandNotFound):
		return ExitNotFound
	case errors.Is(err, ErrCommandNotExecutable):
		return ExitNotExecutable
	}
	return 0
}

// classify wraps a runtime's error message with the sentinel its wording means. runc
// and crun both report a failed exec at create time ("exec: \"x\": executable file not
// found in $PATH", crun "executable file `x` not found in $PATH: No such file or
// directory"; "permission denied" for a folder or a file without x bits).
func classify(msg string) error {
	l := strings.ToLower(msg)
	switch {
	case strings.Contains(l, "executable file not found"), strings.Contains(l, "not found in $path"),
		strings.Contains(l, "no such file or directory") && strings.Contains(l, "exec"):
		return &runtimeError{msg: msg, kind: ErrCommandNotFound}
	case strings.Contains(l, "permission denied") && strings.Contains(l, "exec"),
		strings.Contains(l, "exec format error"), strings.Contains(l, "is a directory"):
		return &runtimeError{msg: msg, kind: ErrCommandNotExecutable}
	case strings.Contains(l, "does not exist"), strings.Contains(l, "no such file or directory") && strings.Contains(l, "status"):
		return &runtimeError{msg: msg, kind: ErrNotExist}
	case strings.Contains(l, "not running"), strings.Contains(l, "process already finished"):
		return &runtimeError{msg: msg, kind: ErrNotRunning}
	}
	return &runtimeError{msg: msg}
}

// runtimeError is a runtime's or conmon's own message, with the sentinel it means.
type runtimeError struct {
	msg  string
	kind error
}

func (e *runtimeError) Error() string { return e.msg }
func (e *runtimeError) Unwrap() error { return e.kind }
