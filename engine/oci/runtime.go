package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Runtime is one OCI runtime binary and the global flags berth gives it.
type Runtime struct {
	Name string // runc or crun (the binary's base name); crun-only flags depend on it
	Path string // absolute path of the binary
	// Root is the runtime's state folder (--root); "" keeps the runtime's default
	// (/run/runc, /run/crun). Every call for a container must use the same one.
	Root string
	// SystemdCgroup makes the runtime read cgroup paths as systemd slices
	// (--systemd-cgroup), for the systemd cgroup manager.
	SystemdCgroup bool
	// NoCgroups runs containers without a cgroup (--cgroups=disabled). Only crun can
	// (--cgroup-manager=disabled); runc always creates one.
	NoCgroups bool
	Log       *slog.Logger
}

func (r *Runtime) log() *slog.Logger {
	if r.Log == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return r.Log
}

// GlobalArgs are the flags that come before the runtime's command.
func (r *Runtime) GlobalArgs() []string {
	var args []string
	if r.Root != "" {
		args = append(args, "--root", r.Root)
	}
	if r.SystemdCgroup {
		args = append(args, "--systemd-cgroup")
	}
	if r.NoCgroups && r.IsCrun() {
		args = append(args, "--cgroup-manager", "disabled")
	}
	return args
}

// IsCrun reports whether the runtime is crun, which takes a few flags runc does not.
func (r *Runtime) IsCrun() bool { return strings.HasPrefix(r.Name, "crun") }

// run runs the runtime with a command and returns its stdout; a failure carries the
// runtime's own message, classified (see errors.go).
func (r *Runtime) run(ctx context.Context, args ...string) ([]byte, error) {
	full := append(r.GlobalArgs(), args...)
	cmd := exec.CommandContext(ctx, r.Path, full...)
	// Under systemd, a runtime that sees NOTIFY_SOCKET waits for the container's own
	// READY=1 at start; berth (or conmon) speaks to systemd instead.
	cmd.Env = withoutEnv(os.Environ(), "NOTIFY_SOCKET")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	r.log().Debug("running OCI runtime", "runtime", r.Path, "args", full)
	if err := cmd.Run(); err != nil {
		msg := runtimeMessage(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("%s %s: %w", r.Name, args[0], classify(msg))
	}
	return stdout.Bytes(), nil
}

// withoutEnv returns env without the named variables.
func withoutEnv(env []string, names ...string) []string {
	out := env[:0:0]
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(names, k) {
			out = append(out, kv)
		}
	}
	return out
}

// runtimeMessage extracts the error from a runtime's stderr: the last line, and only
// its msg="..." part when the runtime logged in logrus's text format.
func runtimeMessage(stderr string) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	if i := strings.Index(last, `msg="`); i >= 0 {
		rest := last[i+4:]
		// The quoted value ends at the first unescaped quote.
		for j := 1; j < len(rest); j++ {
			if rest[j] == '"' && rest[j-1] != '\\' {
				if s, err := strconv.Unquote(rest[:j+1]); err == nil {
					return s
				}
				break
			}
		}
	}
	return last
}

// Start starts the process of a created container.
func (r *Runtime) Start(ctx context.Context, id string) error {
	_, err := r.run(ctx, "start", id)
	return err
}

// Kill sends sig to the container's init process, or to all its processes.
func (r *Runtime) Kill(ctx context.Context, id string, sig syscall.Signal, all bool) error {
	args := []string{"kill"}
	if all {
		args = append(args, "--all")
	}
	_, err := r.run(ctx, append(args, id, strconv.Itoa(int(sig)))...)
	return err
}

// Delete removes the runtime's state of the container; force kills it first if it
// still runs. A container the runtime does not know is not an error.
func (r *Runtime) Delete(ctx context.Context, id string, force bool) error {
	args := []string{"delete"}
	if force {
		args = append(args, "--force")
	}
	_, err := r.run(ctx, append(args, id)...)
	if errors.Is(err, ErrNotExist) {
		return nil
	}
	return err
}

// State returns the runtime's view of the container (status created, running,
// stopped; its pid; the bundle).
func (r *Runtime) State(ctx context.Context, id string) (*specs.State, error) {
	out, err := r.run(ctx, "state", id)
	if err != nil {
		return nil, err
	}
	var st specs.State
	if err := json.Unmarshal(out, &st); err != nil {
		return nil, fmt.Errorf("%s state %s: %w", r.Name, id, err)
	}
	return &st, nil
}

// newRuntime describes the binary at path.
func newRuntime(path string, log *slog.Logger) *Runtime {
	return &Runtime{Name: filepath.Base(path), Path: path, Log: log}
}
