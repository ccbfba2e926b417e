package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"go.podman.io/storage/pkg/reexec"
	"go.podman.io/storage/pkg/unshare"
	"golang.org/x/sys/unix"

	"github.com/berth-containers/berth/engine"
	"github.com/berth-containers/berth/internal/atomicfile"
)

// Rootless mode, as podman's: berth run by a user other than root works in a user
// namespace where the user is root and its /etc/subuid and /etc/subgid ranges are the
// other IDs, and in a mount namespace of its own, where it may mount overlay layers.
// The engine there uses the user's own storage (~/.local/share/containers/storage,
// $XDG_RUNTIME_DIR/containers) and configuration (~/.config/containers), which the
// container libraries choose by themselves once they see the namespace
// (unshare.IsRootless).
//
// Every berth command of the user must share one namespace: a container's layers are
// mounted in it, and `exec` must enter a container made by an earlier `run -d`. As
// podman, berth keeps the namespace alive with a pause process
// ($XDG_RUNTIME_DIR/berth/pause.pid) and each command re-executes itself into it
// (rootless_join.go). When the pause process is gone (say, killed with the unit that
// started it), a running container's conmon holds the namespace, and is joined
// instead; only when neither is there does berth make a new namespace.

const (
	pauseName = "berth-rootless-pause" // argv[0] of the pause process (a reexec entry)
	joinEnv   = "_BERTH_JOIN_PID"      // read by rootless_join.go's constructor
)

func init() { reexec.Register(pauseName, pause) }

// pause holds the namespace: it waits for ever, deaf to a terminal's signals.
func pause() {
	signal.Ignore(unix.SIGHUP, unix.SIGINT, unix.SIGQUIT, unix.SIGPIPE)
	for {
		time.Sleep(time.Hour)
	}
}

// enterRootless returns at once for root and inside the namespace. For any other user
// it finds or makes the namespace and re-executes this same command line in it (the
// process stays the same, with the same PID): it returns only an error that kept the
// command from running.
func enterRootless(log *slog.Logger) error {
	if os.Geteuid() == 0 {
		return nil
	}
	if os.Getenv(unshare.UsernsEnvName) != "" {
		// The namespace was entered but this process is not root in it: going on
		// would make another one inside, for ever.
		return fmt.Errorf("rootless mode: running as uid %d inside berth's user namespace (expected root there)", os.Geteuid())
	}
	if !canJoin {
		return fmt.Errorf("running as uid %d: rootless mode is not supported by this berth, built without cgo; run berth as root: %w",
			os.Geteuid(), engine.ErrUnsupported)
	}
	me, err := user.Current()
	if err != nil {
		return fmt.Errorf("rootless mode: who is uid %d: %w", os.Geteuid(), err)
	}
	uid, gid := os.Getuid(), os.Getgid()
	if os.Getenv("HOME") == "" {
		// Inside the namespace the user is root, whose passwd entry names /root.
		os.Setenv("HOME", me.HomeDir)
	}
	dir, err := rootlessRuntimeDir(uid)
	if err != nil {
		return err
	}
	// Storage, containers.conf, conmon and the OCI runtime all read it.
	os.Setenv("XDG_RUNTIME_DIR", dir)
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("rootless mode: finding berth's own binary: %w", err)
	}

	state := filepath.Join(dir, "berth")
	if err := os.MkdirAll(state, 0o700); err != nil {
		return fmt.Errorf("rootless mode: %w", err)
	}
	// One lock for finding and making the namespace: units starting together at boot
	// must not make one each.
	lock, err := os.OpenFile(filepath.Join(state, "pause.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("rootless mode: %w", err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("rootless mode: locking %s: %w", lock.Name(), err)
	}
	pidFile := filepath.Join(state, "pause.pid")
	pid, how := livePause(pidFile, uid), "the pause process"
	if pid == 0 {
		pid, how = runningConmon(filepath.Join(dir, "containers"), uid), "a running container's conmon (the pause process is gone)"
	}
	if pid == 0 {
		if pid, err = startPause(me, uid, gid, pidFile, log); err != nil {
			return err
		}
		how = "a new pause process"
	}
	log.Debug("rootless mode: entering the user and mount namespace of "+how, "pid", pid, "user", me.Username, "XDG_RUNTIME_DIR", dir)
	env := append(os.Environ(), joinEnv+"="+strconv.Itoa(pid), unshare.UsernsEnvName+"=done",
		"_CONTAINERS_ROOTLESS_UID="+strconv.Itoa(uid), "_CONTAINERS_ROOTLESS_GID="+strconv.Itoa(gid), exeEnv+"="+exe)
	err = unix.Exec(exe, os.Args, env)
	return fmt.Errorf("rootless mode: re-executing %s in the user namespace: %w", exe, err)
}

// startPause makes the namespace: a pause process in a new user namespace mapped from
// the user's ranges, and a new mount namespace. It records its PID in pidFile.
func startPause(me *user.User, uid, gid int, pidFile string, log *slog.Logger) (int, error) {
	uidmap, gidmap, err := unshare.GetSubIDMappings(me.Username, me.Username)
	if err != nil || len(uidmap) == 0 || len(gidmap) == 0 {
		// podman goes on with the user's own ID alone, where hardly an image works
		// (devpts wants gid 5, layers hold files of other users): say what to do.
		return 0, fmt.Errorf("rootless mode: user %s has no range in /etc/subuid and /etc/subgid (add one as root: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 %s): %w",
			me.Username, me.Username, engine.ErrUnsupported)
	}
	for _, tool := range []string{"newuidmap", "newgidmap"} {
		if _, err := exec.LookPath(tool); err != nil {
			return 0, fmt.Errorf("rootless mode: %s not found (package uidmap): it maps the /etc/subuid and /etc/subgid ranges of %s into berth's user namespace: %w",
				tool, me.Username, engine.ErrUnsupported)
		}
	}
	cmd := unshare.Command(pauseName)
	cmd.UnshareFlags = syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS
	cmd.UidMappings = namespaceMap(uid, uidmap)
	cmd.GidMappings = namespaceMap(gid, gidmap)
	// Only the setuid newuidmap and newgidmap may map the ranges.
	cmd.UseNewuidmap, cmd.UseNewgidmap = true, true
	cmd.GidMappingsEnableSetgroups = true
	// It outlives this command, in a session of its own.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Env = envWithout(os.Environ(), "NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID")
	log.Debug("rootless mode: starting the pause process in a new user and mount namespace",
		"uidmap", cmd.UidMappings, "gidmap", cmd.GidMappings)
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("rootless mode: starting berth's pause process in a user namespace for %s: %w", me.Username, err)
	}
	pid := cmd.Process.Pid
	movePauseToScope(pid, log)
	if err := atomicfile.Write(pidFile, []byte(strconv.Itoa(pid)), 0o600); err != nil {
		_ = cmd.Process.Kill()
		return 0, fmt.Errorf("rootless mode: %w", err)
	}
	_ = cmd.Process.Release()
	return pid, nil
}

// livePause is the PID in pidFile when it is still berth's pause process of uid.
func livePause(pidFile string, uid int) int {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || !processOf(pid, uid) {
		return 0
	}
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if name, _, _ := strings.Cut(string(cmdline), "\x00"); name != pauseName {
		return 0
	}
	return pid
}

// runningConmon is the conmon of one of the user's running containers (their pidfiles
// under the default run root), whose namespace is berth's.
func runningConmon(runRoot string, uid int) int {
	files, _ := filepath.Glob(filepath.Join(runRoot, "overlay-containers", "*", "userdata", "conmon.pid"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || !processOf(pid, uid) {
			continue
		}
		if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); strings.TrimSpace(string(comm)) != "conmon" {
			continue
		}
		own, err1 := os.Readlink("/proc/self/ns/user")
		its, err2 := os.Readlink(fmt.Sprintf("/proc/%d/ns/user", pid))
		if err1 == nil && err2 == nil && own != its {
			return pid
		}
	}
	return 0
}

// processOf tells whether pid is a live process of uid.
func processOf(pid, uid int) bool {
	if pid <= 0 {
		return false
	}
	fi, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return err == nil && int(fi.Sys().(*syscall.Stat_t).Uid) == uid
}

// envWithout is env without the named variables (systemd's, meant for berth only).
func envWithout(env []string, names ...string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(names, k) {
			out = append(out, kv)
		}
	}
	return out
}

// namespaceMap maps the user's own ID to 0 and its sub-ID ranges after it, one after
// another from 1, as podman does: the namespace's IDs are the same at every run, so
// files stored in one command belong to the same IDs in the next.
func namespaceMap(own int, ranges []specs.LinuxIDMapping) []specs.LinuxIDMapping {
	m := []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(own), Size: 1}}
	next := uint32(1)
	for _, r := range ranges {
		m = append(m, specs.LinuxIDMapping{ContainerID: next, HostID: r.HostID, Size: r.Size})
		next += r.Size
	}
	return m
}

// rootlessRuntimeDir is the folder for the user's state that must not survive a reboot:
// $XDG_RUNTIME_DIR when set (it must be the user's own), else /run/user/UID when it
// is the user's, else $TMPDIR/berth-run-UID, made private here, as podman falls back
// to /tmp/podman-run-UID.
func rootlessRuntimeDir(uid int) (string, error) {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		if err := ownedFolder(d, uid); err != nil {
			return "", fmt.Errorf("rootless mode: XDG_RUNTIME_DIR=%s: %w", d, err)
		}
		return d, nil
	}
	if d := filepath.Join("/run/user", strconv.Itoa(uid)); ownedFolder(d, uid) == nil {
		return d, nil
	}
	d := filepath.Join(os.TempDir(), "berth-run-"+strconv.Itoa(uid))
	if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("rootless mode: XDG_RUNTIME_DIR is not set and /run/user/%d is missing: making %s: %w", uid, d, err)
	}
	if err := ownedFolder(d, uid); err != nil {
		return "", fmt.Errorf("rootless mode: XDG_RUNTIME_DIR is not set and /run/user/%d is missing: %s: %w", uid, d, err)
	}
	return d, nil
}

// ownedFolder checks that d is a folder (not a link to one) of uid that no one else
// may write: another user's folder would let them swap the user's state.
func ownedFolder(d string, uid int) error {
	fi, err := os.Lstat(d)
	if errors.Is(err, os.ErrNotExist) {
		return errors.New("no such folder")
	}
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.IsDir():
		return errors.New("not a folder")
	case !ok || int(st.Uid) != uid:
		return fmt.Errorf("not owned by uid %d", uid)
	case fi.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("others may write to it (mode %v)", fi.Mode().Perm())
	}
	return nil
}

// exeEnv carries berth's own path into the namespace: there /proc/self/exe names a
// sealed copy that the namespace's setup re-executed (against a container overwriting
// the binary), which conmon cannot run as the exit command.
const exeEnv = "_BERTH_EXECUTABLE"

// berthExecutable is the path of the berth binary, for the commands berth leaves to
// conmon and systemd.
func berthExecutable() (string, error) {
	if p := os.Getenv(exeEnv); p != "" && unshare.IsRootless() {
		return p, nil
	}
	return os.Executable()
}
