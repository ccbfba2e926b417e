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
	"strconv"
	"strings"
	"time"
)

// Conmon runs containers under conmon, one conmon per container.
type Conmon struct {
	Path     string // the conmon binary; "conmon" in PATH when empty
	Runtime  *Runtime
	LogLevel string // conmon's --log-level (debug, info, warn, error); none when empty
	Syslog   bool   // conmon logs to syslog (--syslog)
	Log      *slog.Logger
}

// Log drivers conmon knows.
const (
	LogK8sFile     = "k8s-file"
	LogJournald    = "journald"
	LogPassthrough = "passthrough" // the container writes straight to conmon's stdio
	LogNone        = "none"
)

// CreateOptions describe one container for Conmon.Create.
type CreateOptions struct {
	ID     string // the container's ID, also its ID for the runtime
	Name   string // its name, for journald's CONTAINER_NAME
	Bundle string // folder with config.json; conmon keeps its attach socket and fifos here

	ExitDir    string // conmon writes the exit code to ExitDir/ID (required)
	PersistDir string // conmon also writes "exit" and "oom" files here; optional

	LogDriver  string // LogK8sFile (default), LogJournald, LogPassthrough, LogNone
	LogPath    string // the k8s-file path; Bundle/ctr.log when empty
	LogTag     string // journald's CONTAINER_TAG
	LogSizeMax int64  // k8s-file rotation size; 0 for none

	Terminal       bool // allocate a pty (the spec's process.terminal must match)
	Stdin          bool // keep a pipe to the container's stdin, fed through attach
	LeaveStdinOpen bool // do not close the container's stdin when an attach ends

	// ExitCommand runs when the container exits (berth's cleanup), with its args.
	ExitCommand     string
	ExitCommandArgs []string
	ExitDelay       int // seconds conmon waits before running ExitCommand

	// SdNotifySocket is the host's NOTIFY_SOCKET, for --sdnotify=container: conmon
	// binds NotifyHostDir(Bundle)/notify.sock and relays the container's READY=1 and
	// WATCHDOG=1 there. The spec must bind-mount that folder (see NotifyContainerDir).
	SdNotifySocket string

	NoPivot     bool     // the runtime uses chroot instead of pivot_root
	RuntimeArgs []string // more global runtime flags

	// ConmonCgroup is a cgroupfs path conmon is moved into before it starts anything
	// (podman's conmon cgroup); "" leaves conmon in the caller's cgroup, as
	// --cgroups=split and no-conmon want.
	ConmonCgroup string

	// Stdio is conmon's stdin, stdout and stderr for LogPassthrough, where the
	// container writes to them directly (a unit's journal stream); nil entries are
	// /dev/null.
	Stdio [3]*os.File

	Timeout time.Duration // how long creation may take; 30 s when zero
}

// Process is a created container: its init process and the conmon supervising it.
type Process struct {
	Pid       int // the container's init process, on the host
	ConmonPid int // conmon, for MAINPID= under systemd and for liveness checks
}

// File names conmon and the runtime use in the bundle.
const (
	pidFileName    = "pidfile"
	conmonPidName  = "conmon.pid"
	defaultLogName = "ctr.log"
	runtimeLogName = "oci-log"
)

// AttachSocket is the path of conmon's attach socket for a bundle (conmon runs with
// --full-attach, so the socket is in the bundle itself).
func AttachSocket(bundle string) string { return filepath.Join(bundle, "attach") }

// LogPath is where the k8s-file log goes when CreateOptions.LogPath is empty.
func LogPath(bundle string) string { return filepath.Join(bundle, defaultLogName) }

// Create starts conmon for the container of o.Bundle and waits until the runtime has
// created it (its process exists, stopped before the user's command). The container
// then runs on Runtime.Start. A command that does not exist or cannot be executed
// fails here, with ErrCommandNotFound or ErrCommandNotExecutable.
func (c *Conmon) Create(ctx context.Context, o CreateOptions) (*Process, error) {
	if o.ID == "" || o.Bundle == "" || o.ExitDir == "" {
		return nil, errors.New("conmon: ID, Bundle and ExitDir are required")
	}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if o.SdNotifySocket != "" {
		if err := os.MkdirAll(NotifyHostDir(o.Bundle), 0o755); err != nil {
			return nil, err
		}
	}
	for _, name := range []string{pidFileName, conmonPidName} {
		_ = os.Remove(filepath.Join(o.Bundle, name)) // left from an earlier run of the same bundle
	}
	s, err := c.start(o, c.createArgs(o), false)
	if err != nil {
		return nil, fmt.Errorf("creating container %s: %w", shortID(o.ID), err)
	}
	defer s.close()
	if err := s.release(o.ConmonCgroup); err != nil {
		return nil, fmt.Errorf("creating container %s: %w", shortID(o.ID), err)
	}
	pid, err := s.readSync(ctx)
	if err != nil {
		return nil, fmt.Errorf("creating container %s: %w", shortID(o.ID), c.createError(o, err))
	}
	conmonPid, err := readPidFile(filepath.Join(o.Bundle, conmonPidName))
	if err != nil {
		return nil, fmt.Errorf("creating container %s: reading conmon's pid: %w", shortID(o.ID), err)
	}
	c.log().Debug("container created", "id", o.ID, "pid", pid, "conmon", conmonPid)
	return &Process{Pid: pid, ConmonPid: conmonPid}, nil
}

func (c *Conmon) log() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c.Log
}

func (c *Conmon) path() string {
	if c.Path != "" {
		return c.Path
	}
	if p, err := exec.LookPath("conmon"); err == nil {
		return p
	}
	return "/usr/bin/conmon"
}

// commonArgs are the flags of both a create and an exec.
func (c *Conmon) commonArgs(id, uuid, bundle string, runtimeArgs []string) []string {
	args := []string{
		"--api-version", "1",
		"-c", id, "-u", uuid,
		"-r", c.Runtime.Path,
		"-b", bundle,
		"--full-attach",
	}
	// The runtime's global flags (--systemd-cgroup among them) go through
	// --runtime-arg, so that create and exec see the same ones; conmon's own -s
	// would only repeat --systemd-cgroup for create.
	for _, a := range append(c.Runtime.GlobalArgs(), runtimeArgs...) {
		args = append(args, "--runtime-arg", a)
	}
	if c.LogLevel != "" {
		args = append(args, "--log-level", c.LogLevel)
	}
	if c.Syslog {
		args = append(args, "--syslog")
	}
	return args
}

func (c *Conmon) createArgs(o CreateOptions) []string {
	// The runtime also logs to a file in the bundle, which outlives conmon's one read
	// of its stderr.
	rtArgs := append([]string{"--log", filepath.Join(o.Bundle, runtimeLogName), "--log-format", "json"}, o.RuntimeArgs...)
	args := c.commonArgs(o.ID, o.ID, o.Bundle, rtArgs)
	args = append(args,
		"-p", filepath.Join(o.Bundle, pidFileName),
		"--conmon-pidfile", filepath.Join(o.Bundle, conmonPidName),
		"--exit-dir", o.ExitDir,
		"--socket-dir-path", o.Bundle,
	)
	if o.Name != "" {
		args = append(args, "-n", o.Name)
	}
	if o.PersistDir != "" {
		args = append(args, "--persist-dir", o.PersistDir)
	}
	switch o.LogDriver {
	case LogK8sFile, "":
		p := o.LogPath
		if p == "" {
			p = LogPath(o.Bundle)
		}
		args = append(args, "-l", LogK8sFile+":"+p)
		if o.LogSizeMax > 0 {
			args = append(args, "--log-size-max", strconv.FormatInt(o.LogSizeMax, 10))
		}
	case LogJournald:
		args = append(args, "-l", "journald:")
	case LogPassthrough:
		args = append(args, "-l", "passthrough")
	case LogNone:
		args = append(args, "-l", "none:")
	default:
		args = append(args, "-l", o.LogDriver) // conmon names the driver it does not know
	}
	if o.LogTag != "" {
		args = append(args, "--log-tag", o.LogTag)
	}
	if o.Terminal {
		args = append(args, "-t")
	}
	if o.Stdin {
		args = append(args, "-i")
	}
	if o.LeaveStdinOpen {
		args = append(args, "--leave-stdin-open")
	}
	if o.NoPivot {
		args = append(args, "--no-pivot")
	}
	if o.SdNotifySocket != "" {
		args = append(args, "--sdnotify-socket", o.SdNotifySocket)
	}
	if o.ExitCommand != "" {
		args = append(args, "--exit-command", o.ExitCommand)
		for _, a := range o.ExitCommandArgs {
			args = append(args, "--exit-command-arg", a)
		}
		if o.ExitDelay > 0 {
			args = append(args, "--exit-delay", strconv.Itoa(o.ExitDelay))
		}
	}
	return args
}

// createError prefers the runtime's own message from its log file when conmon only
// reports that the runtime failed.
func (c *Conmon) createError(o CreateOptions, err error) error {
	var se *syncError
	if !errors.As(err, &se) {
		return err
	}
	if msg := lastRuntimeLogError(filepath.Join(o.Bundle, runtimeLogName)); msg != "" && se.msg == "" {
		return classify(msg)
	}
	return classify(se.Error())
}

// readPidFile reads a pid that conmon or the runtime wrote.
func readPidFile(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(bytes.TrimRight(data, "\x00"))))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s: bad pid %q", path, data)
	}
	return pid, nil
}

// lastRuntimeLogError is the last error the runtime logged in its JSON log file.
func lastRuntimeLogError(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var last string
	for _, line := range strings.Split(string(data), "\n") {
		var entry struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
		}
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Level == "error" && entry.Msg != "" {
			last = entry.Msg
		}
	}
	return last
}

// shortID is how podman shows container IDs in messages.
func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
