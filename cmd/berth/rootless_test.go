package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-containers/berth/engine/enginetest"
)

// rootlessUser is a user made for one test, with /etc/subuid and /etc/subgid ranges,
// and a copy of this test binary it may run (go test keeps its own in a folder only
// root may enter).
type rootlessUser struct {
	name, home, runDir, exe string
	uid, gid                int
}

func newRootlessUser(t *testing.T) *rootlessUser {
	t.Helper()
	enginetest.RequireRoot(t)
	enginetest.RequireRegistry(t)
	for _, b := range []string{"useradd", "userdel", "usermod", "newuidmap", "newgidmap"} {
		enginetest.RequireBinary(t, b)
	}
	name := fmt.Sprintf("berthrl%d", os.Getpid()%100000)
	if out, err := exec.Command("useradd", "-m", "-s", "/bin/sh", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd %s: %v: %s", name, err, out)
	}
	u := &rootlessUser{name: name}
	t.Cleanup(func() { u.remove(t) })
	pw, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	u.uid, _ = strconv.Atoi(pw.Uid)
	u.gid, _ = strconv.Atoi(pw.Gid)
	u.home = pw.HomeDir
	// useradd gives a range where login.defs says so; otherwise take one far above the
	// usual ones.
	if !hasSubIDs(t, "/etc/subuid", name) || !hasSubIDs(t, "/etc/subgid", name) {
		lo := 2000000 + (u.uid%1000)*65536
		r := fmt.Sprintf("%d-%d", lo, lo+65535)
		if out, err := exec.Command("usermod", "--add-subuids", r, "--add-subgids", r, name).CombinedOutput(); err != nil {
			t.Fatalf("usermod --add-subuids %s %s: %v: %s", r, name, err, out)
		}
	}
	// A folder the user may enter, with the binary and its runtime folder.
	top, err := os.MkdirTemp("", "berth-rootless-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(top) })
	if err := os.Chmod(top, 0o755); err != nil {
		t.Fatal(err)
	}
	u.exe = filepath.Join(top, "berth")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	copyFile(t, self, u.exe, 0o755)
	u.runDir = filepath.Join(top, "run")
	if err := os.Mkdir(u.runDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(u.runDir, u.uid, u.gid); err != nil {
		t.Fatal(err)
	}
	return u
}

func hasSubIDs(t *testing.T, file, name string) bool {
	b, err := os.ReadFile(file)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, name+":") {
			return true
		}
	}
	return false
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// berth runs the copied binary as the user, with the environment a login gives it
// (nothing of root's, such as its CONTAINERS_* files) plus env.
func (u *rootlessUser) berth(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(u.exe, args...)
	cmd.Env = append([]string{"BERTH_TEST_AS_BERTH=1", "PATH=" + os.Getenv("PATH"), "HOME=" + u.home,
		"USER=" + u.name, "LOGNAME=" + u.name, "XDG_RUNTIME_DIR=" + u.runDir}, env...)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(u.uid), Gid: uint32(u.gid)}}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running berth %v as %s: %v", args, u.name, err)
	}
	return r
}

func (u *rootlessUser) ok(t *testing.T, args ...string) string {
	t.Helper()
	r := u.berth(t, nil, args...)
	if r.code != 0 {
		t.Fatalf("berth %s (as %s): exit %d: %s", strings.Join(args, " "), u.name, r.code, r.stderr)
	}
	return strings.TrimSpace(r.stdout)
}

// processes lists the user's live processes (zombies wait for the machine's init),
// by PID and name.
func (u *rootlessUser) processes() map[int]string {
	procs := map[int]string{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		fi, err := os.Stat(filepath.Join("/proc", e.Name()))
		if err != nil || int(fi.Sys().(*syscall.Stat_t).Uid) != u.uid {
			continue
		}
		stat, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if _, after, ok := strings.Cut(string(stat), ") "); ok && strings.HasPrefix(after, "Z") {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		name, _, _ := strings.Cut(string(cmdline), "\x00")
		procs[pid] = name
	}
	return procs
}

// containerProcesses is processes without berth's pause process, which holds the
// user's namespace for good, as podman's does.
func (u *rootlessUser) containerProcesses() map[int]string {
	procs := u.processes()
	for pid, name := range procs {
		if name == pauseName {
			delete(procs, pid)
		}
	}
	return procs
}

// remove ends what the test left running as the user (each by its PID), then
// removes the user, its home and its ranges.
func (u *rootlessUser) remove(t *testing.T) {
	for pid := range u.processes() {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	time.Sleep(100 * time.Millisecond)
	if out, err := exec.Command("userdel", "-r", "-f", u.name).CombinedOutput(); err != nil {
		t.Logf("userdel -r %s: %v: %s", u.name, err, out)
	}
}

// TestRootless runs berth as a user other than root, as rootless podman: a
// container runs as root in the user namespace berth makes from /etc/subuid, as the
// user on the host; the storage is in the user's home; nothing is left after rm.
func TestRootless(t *testing.T) {
	u := newRootlessUser(t)
	ref := enginetest.BusyboxRef()
	u.ok(t, "pull", "-q", "--tls-verify=false", ref)
	if out := u.ok(t, "images", "--format", "{{.Repository}}:{{.Tag}}"); out != ref {
		t.Errorf("images: %q, want %q", out, ref)
	}
	graph := filepath.Join(u.home, ".local/share/containers/storage")
	if fi, err := os.Stat(filepath.Join(graph, "overlay-images")); err != nil || int(fi.Sys().(*syscall.Stat_t).Uid) != u.uid {
		t.Fatalf("the image is not stored in the user's home (%s): %v", graph, err)
	}
	if out := u.ok(t, "run", "--rm", "--network=none", ref, "id", "-u"); out != "0" {
		t.Errorf("id -u in the container: %q, want 0", out)
	}
	if out := u.ok(t, "run", "--rm", "--network=host", ref, "sh", "-c", "test -d /sys/class/net && echo host"); out != "host" {
		t.Errorf("--network=host: %q", out)
	}

	id := u.ok(t, "run", "-d", "--name", "rl", "--network=none", "--read-only", "--cap-drop=all",
		"-v", "rlvol:/data", ref, "sh", "-c", "echo hi >/data/f; exec sleep 1000")
	pid, _ := strconv.Atoi(u.ok(t, "inspect", "--format", "{{.State.Pid}}", "rl"))
	fi, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	if err != nil || int(fi.Sys().(*syscall.Stat_t).Uid) != u.uid {
		t.Errorf("the container's process %d does not run as uid %d on the host: %v", pid, u.uid, err)
	}
	conmon, _ := strconv.Atoi(u.ok(t, "inspect", "--format", "{{.State.ConmonPid}}", "rl"))
	if !processOf(conmon, u.uid) {
		t.Errorf("conmon (pid %d) does not run as uid %d on the host", conmon, u.uid)
	}
	if _, err := os.Stat(filepath.Join(graph, "overlay-containers", id)); err != nil {
		t.Errorf("the container is not stored in the user's home: %v", err)
	}
	if out := u.ok(t, "ps", "--format", "{{.Names}}"); out != "rl" {
		t.Errorf("ps: %q", out)
	}
	if out := u.ok(t, "exec", "rl", "cat", "/data/f"); out != "hi" {
		t.Errorf("exec cat /data/f: %q", out)
	}
	data := filepath.Join(graph, "volumes/rlvol/_data/f")
	if fi, err := os.Stat(data); err != nil || int(fi.Sys().(*syscall.Stat_t).Uid) != u.uid {
		t.Errorf("the volume's file %s is not the user's: %v", data, err)
	}
	u.ok(t, "stop", "-t", "1", "rl")
	u.ok(t, "rm", "rl")
	u.ok(t, "volume", "rm", "rlvol")
	if out := u.ok(t, "ps", "-a", "--format", "{{.Names}}"); out != "" {
		t.Errorf("ps -a after rm: %q", out)
	}
	if _, err := os.Stat(filepath.Join(graph, "overlay-containers", id)); !os.IsNotExist(err) {
		t.Errorf("the container's storage is left after rm: %v", err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for len(u.containerProcesses()) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if left := u.containerProcesses(); len(left) > 0 {
		t.Errorf("processes of uid %d left after rm: %v", u.uid, left)
	}

	// A runtime folder that is not the user's is refused, by name.
	r := u.berth(t, []string{"XDG_RUNTIME_DIR=/root"}, "images")
	oneLineError(t, r, 125, "XDG_RUNTIME_DIR=/root: not owned by uid "+strconv.Itoa(u.uid))
}
