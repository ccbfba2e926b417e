package oci_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-containers/berth/engine/oci"
	"github.com/berth-containers/berth/engine/spec"
)

func TestRunExitCodes(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"true", []string{"true"}, 0},
		{"exit 3", []string{"sh", "-c", "exit 3"}, 3},
		{"false", []string{"false"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _ := h.run(baseOptions("", tc.args...), oci.CreateOptions{})
			if code != tc.want {
				t.Errorf("exit code %d, want %d", code, tc.want)
			}
		})
	}
}

// A command that cannot run fails at create, with podman's exit codes.
func TestCreateCommandErrors(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		name string
		args []string
		want error
		code int
	}{
		{"not found", []string{"no-such-command"}, oci.ErrCommandNotFound, 127},
		{"not found by path", []string{"/no/such/file"}, oci.ErrCommandNotFound, 127},
		{"not executable", []string{"/etc/passwd"}, oci.ErrCommandNotExecutable, 126},
		{"a folder", []string{"/etc"}, oci.ErrCommandNotExecutable, 126},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := newID(t)
			_, err := h.create(id, baseOptions(id, tc.args...), oci.CreateOptions{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("create: %v, want %v", err, tc.want)
			}
			if c := oci.CommandExitCode(err); c != tc.code {
				t.Errorf("exit code %d, want %d (error %v)", c, tc.code, err)
			}
			if !strings.Contains(err.Error(), tc.args[0]) {
				t.Errorf("error %q does not name the command %q", err, tc.args[0])
			}
		})
	}
}

func TestKillSignals(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		sig  syscall.Signal
		want int
	}{
		{syscall.SIGTERM, 143},
		{syscall.SIGKILL, 137},
	} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			id := newID(t)
			// With --init (catatonit) as pid 1, sleep gets the signal and pid 1 exits
			// with sleep's status, as podman's --init does. Without it, a pid 1 that
			// set no handler would ignore SIGTERM.
			so := baseOptions(id, "sleep", "1000")
			so.Init = true
			if _, err := os.Stat("/usr/bin/catatonit"); err != nil {
				so.Init = false
				so.Args = []string{"sh", "-c", "trap 'kill -TERM $child; wait $child; exit 143' TERM; sleep 1000 & child=$!; wait $child"}
			}
			p, err := h.create(id, so, oci.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if err := h.rt.Start(ctx, id); err != nil {
				t.Fatal(err)
			}
			st, err := h.rt.State(ctx, id)
			if err != nil || st.Status != "running" {
				t.Fatalf("state %+v, %v; want running", st, err)
			}
			if err := h.rt.Kill(ctx, id, tc.sig, false); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			code, err := oci.WaitExit(ctx, h.exitDir, id, p)
			if err != nil {
				t.Fatal(err)
			}
			if code != tc.want {
				t.Errorf("exit code %d, want %d", code, tc.want)
			}
			if err := h.rt.Kill(context.Background(), id, syscall.SIGTERM, false); !errors.Is(err, oci.ErrNotRunning) {
				t.Errorf("kill of a stopped container: %v, want ErrNotRunning", err)
			}
		})
	}
}

func TestStdoutThroughK8sFileLog(t *testing.T) {
	h := newHarness(t)
	logPath := filepath.Join(h.dir, "ctr.log")
	code, _ := h.run(baseOptions("", "sh", "-c", "echo out; echo err >&2; printf partial"),
		oci.CreateOptions{LogDriver: oci.LogK8sFile, LogPath: logPath})
	if code != 0 {
		t.Fatalf("exit code %d", code)
	}
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	// k8s-file lines: TIMESTAMP STREAM F|P TEXT
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.SplitN(line, " ", 4)
		if len(f) != 4 {
			t.Fatalf("bad k8s-file line %q", line)
		}
		got[f[3]] = f[1] + " " + f[2]
	}
	for text, want := range map[string]string{"out": "stdout F", "err": "stderr F", "partial": "stdout P"} {
		if got[text] != want {
			t.Errorf("log line %q: %q, want %q (log:\n%s)", text, got[text], want, data)
		}
	}
}

func TestAttachStreams(t *testing.T) {
	h := newHarness(t)
	id := newID(t)
	so := baseOptions(id, "sh", "-c", "read line; echo got:$line; echo oops >&2; exit 5")
	p, err := h.create(id, so, oci.CreateOptions{Stdin: true, LogDriver: oci.LogNone})
	if err != nil {
		t.Fatal(err)
	}
	a, ctx := h.attachAndStart(id)
	var stdout, stderr strings.Builder
	if err := a.Copy(ctx, strings.NewReader("hello\n"), &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if stdout.String() != "got:hello\n" || stderr.String() != "oops\n" {
		t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
	}
	code, err := oci.WaitExit(ctx, h.exitDir, id, p)
	if err != nil || code != 5 {
		t.Errorf("exit %d, %v; want 5", code, err)
	}
}

// The process sees its user, groups, environment, working directory and a tmpfs.
func TestProcessSettingsInside(t *testing.T) {
	h := newHarness(t)
	logPath := filepath.Join(h.dir, "ctr.log")
	so := baseOptions("", "sh", "-c", `id -u; id -g; id -G; echo $GREETING; pwd; grep " /tmp/scratch " /proc/mounts | cut -d" " -f3,4; echo ok > /tmp/scratch/f && cat /tmp/scratch/f`)
	so.User = "nobody"
	so.GroupAdd = []string{"root"}
	so.Env = []string{"GREETING=hi there"}
	so.WorkDir = "/tmp"
	// Under the read-only rootfs's /tmp tmpfs, the mount point is new each time:
	// runc gives a tmpfs the mode of a folder that already exists (0755 here), so a
	// mode=1777 over an image folder would not stick.
	so.Mounts = []spec.Mount{{Type: "tmpfs", Destination: "/tmp/scratch", Options: []string{"size=1m", "mode=1777"}}}
	code, _ := h.run(so, oci.CreateOptions{LogPath: logPath})
	out := logText(t, logPath)
	if code != 0 {
		t.Fatalf("exit code %d, output:\n%s", code, out)
	}
	want := []string{"65534", "65534", "65534 0", "hi there", "/tmp", "tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k", "ok"}
	if got := strings.Split(strings.TrimSpace(out), "\n"); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("inside:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestReadOnlyRootfs(t *testing.T) {
	h := newHarness(t)
	logPath := filepath.Join(h.dir, "ctr.log")
	so := baseOptions("", "sh", "-c", "touch /etc/x 2>&1; echo status=$?; touch /tmp/x && echo tmp-ok")
	code, _ := h.run(so, oci.CreateOptions{LogPath: logPath})
	out := logText(t, logPath)
	if code != 0 || !strings.Contains(out, "Read-only file system") || !strings.Contains(out, "status=1") || !strings.Contains(out, "tmp-ok") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
}

// logText is the text of a k8s-file log, one line per entry.
func logText(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if f := strings.SplitN(line, " ", 4); len(f) == 4 {
			b.WriteString(f[3] + "\n")
		}
	}
	return b.String()
}
