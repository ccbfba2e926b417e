package engine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-containers/berth/engine"
	"github.com/berth-containers/berth/engine/enginetest"
)

// inside is the script the user namespace tests run: the container's mappings, its
// user, who owns / and a file of the image, and whether root can write in /.
const inside = `cat /proc/self/uid_map /proc/self/gid_map | tr -s ' ' | sed 's/^ //'; id -u; id -g; ` +
	`stat -c '%u:%g' / /bin/busybox /etc/passwd; touch /new && echo writable`

// mapped is what inside prints for a container whose root is mapped and owns its files.
func mapped(uidMap, gidMap string) string {
	return uidMap + gidMap + "0\n0\n0:0\n0:0\n0:0\nwritable\n"
}

// runInside runs inside (or args) in a busybox container and checks its output.
func runInside(t *testing.T, rt *engine.Runtime, cfg engine.ContainerConfig, want string, args ...string) {
	t.Helper()
	if len(args) == 0 {
		args = []string{"sh", "-c", inside}
	}
	cfg.Network = engine.NetworkNone
	code, out, err := runOut(t, rt, engine.CreateOptions{ContainerConfig: cfg}, args...)
	if err != nil || code != 0 || out != want {
		t.Errorf("exit %d, %v:\n%s\nwant:\n%s", code, err, out, want)
	}
}

// subIDFiles points BERTH_SUBUID_FILE and BERTH_SUBGID_FILE at files with these lines,
// so that tests never touch /etc/subuid.
func subIDFiles(t *testing.T, uidLines, gidLines string) {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []struct{ env, name, content string }{
		{"BERTH_SUBUID_FILE", "subuid", uidLines}, {"BERTH_SUBGID_FILE", "subgid", gidLines},
	} {
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, []byte(f.content), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Setenv(f.env, p)
	}
}

// The storage driver maps the image for the container's root: overlay with idmapped
// lower layers (this kernel has them), vfs with a chowned copy.
func TestUserNSMappings(t *testing.T) {
	for _, driver := range []string{"overlay", "vfs"} {
		t.Run(driver, func(t *testing.T) {
			rt := enginetest.ContainerRuntime(t, enginetest.Config{Driver: driver})
			if driver == "vfs" {
				// One case shows the copy works; the rest of the logic is the driver's.
				runInside(t, rt, engine.ContainerConfig{UIDMap: []string{"0:100000:65536"}},
					mapped("0 100000 65536\n", "0 100000 65536\n"))
				return
			}
			// --uidmap alone serves for the gids too.
			runInside(t, rt, engine.ContainerConfig{UIDMap: []string{"0:100000:65536"}},
				mapped("0 100000 65536\n", "0 100000 65536\n"))
			// Several ranges, and different gids; private is the default for root.
			runInside(t, rt, engine.ContainerConfig{UserNS: "private",
				UIDMap: []string{"0:100000:1000", "1000:300000:64536"}, GIDMap: []string{"0:200000:65536"}},
				mapped("0 100000 1000\n1000 300000 64536\n", "0 200000 65536\n"))
			// The host's user namespace: the identity mapping.
			for _, mode := range []string{"", "host", "private"} {
				runInside(t, rt, engine.ContainerConfig{UserNS: mode}, mapped("0 0 4294967295\n", "0 0 4294967295\n"))
			}
		})
	}
}

func TestUserNSSubIDNames(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	subIDFiles(t, "# comment\nalice:400000:1000\nbob:600000:65536\nalice:500000:64536\n",
		"alice:700000:65536\nbob:800000:65536\n")
	// alice's two ranges follow each other in the container; --subgidname defaults to
	// --subuidname.
	runInside(t, rt, engine.ContainerConfig{SubUIDName: "alice"},
		mapped("0 400000 1000\n1000 500000 64536\n", "0 700000 65536\n"))
	runInside(t, rt, engine.ContainerConfig{SubUIDName: "alice", SubGIDName: "bob"},
		mapped("0 400000 1000\n1000 500000 64536\n", "0 800000 65536\n"))
	_, err := rt.CreateContainer(context.Background(), engine.CreateOptions{Image: enginetest.BusyboxRef(),
		ContainerConfig: engine.ContainerConfig{SubUIDName: "carol"}})
	if err == nil || !strings.Contains(err.Error(), `--subuidname carol: no ranges for "carol"`) {
		t.Errorf("unknown name: %v", err)
	}
}

// --userns=auto gives each container its own range of the "containers" ranges: two
// at once never overlap, and rm frees a range for the next.
func TestUserNSAuto(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	subIDFiles(t, "containers:1000000:3000\n", "containers:2000000:3000\n")
	ctx := context.Background()
	start := func(userns string) *engine.Container {
		c := create(t, rt, engine.CreateOptions{ContainerConfig: engine.ContainerConfig{UserNS: userns, Network: "none"}},
			"sh", "-c", inside+"; sleep 1000")
		if _, err := rt.StartContainer(ctx, c.ID, engine.StartOptions{}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	// busybox has only root and nobody: the minimum size, 1024.
	a := start("auto")
	b := start("auto:size=500,uidmapping=1000:5000:1,gidmapping=1000:6000:1")
	waitFor(t, rt, a, "writable")
	waitFor(t, rt, b, "writable")
	if want := mapped("0 1000000 1024\n", "0 2000000 1024\n"); logText(t, rt, a) != want {
		t.Errorf("auto: %q, want %q", logText(t, rt, a), want)
	}
	if want := mapped("0 1001024 500\n1000 5000 1\n", "0 2001024 500\n1000 6000 1\n"); logText(t, rt, b) != want {
		t.Errorf("auto with options: %q, want %q", logText(t, rt, b), want)
	}
	// 3000 - 1024 - 500 IDs are left.
	_, err := rt.CreateContainer(ctx, engine.CreateOptions{Image: enginetest.BusyboxRef(),
		ContainerConfig: engine.ContainerConfig{UserNS: "auto:size=1500"}})
	if err == nil || !strings.Contains(err.Error(), "1500 IDs wanted, only 1476") {
		t.Errorf("too large: %v", err)
	}
	if err := rt.RemoveContainer(ctx, a.ID, engine.RemoveContainerOptions{Force: true, Timeout: new(uint)}); err != nil {
		t.Fatal(err)
	}
	runInside(t, rt, engine.ContainerConfig{UserNS: "auto:size=1500"},
		mapped("0 1000000 1024\n1024 1001524 476\n", "0 2000000 1024\n1024 2001524 476\n"))
	t.Setenv("BERTH_SUBUID_FILE", filepath.Join(t.TempDir(), "none"))
	_, err = rt.CreateContainer(ctx, engine.CreateOptions{Image: enginetest.BusyboxRef(),
		ContainerConfig: engine.ContainerConfig{UserNS: "auto"}})
	if err == nil || !strings.Contains(err.Error(), `--userns=auto needs sub IDs for the user "containers"`) {
		t.Errorf("no sub IDs: %v", err)
	}
}

// waitFor waits until the container's log has s.
func waitFor(t *testing.T, rt *engine.Runtime, c *engine.Container, s string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(logText(t, rt, c), s) {
			return
		}
	}
	t.Fatalf("container %s never wrote %q: %q", c.ID[:12], s, logText(t, rt, c))
}

// logText is what the container wrote, from its k8s-file log.
func logText(t *testing.T, rt *engine.Runtime, c *engine.Container) string {
	t.Helper()
	data, _ := os.ReadFile(c.LogPath)
	var b strings.Builder
	for _, line := range strings.Split(string(data), "\n") {
		// TIMESTAMP STREAM F|P TEXT
		f := strings.SplitN(line, " ", 4)
		if len(f) == 4 {
			b.WriteString(f[3])
			if f[2] == "F" {
				b.WriteByte('\n')
			}
		}
	}
	return b.String()
}

// ns:PATH joins a user namespace that a process holds; the root file system is mapped
// with that namespace's own mappings, read from the process.
func TestUserNSJoinPath(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	cmd := exec.Command("sleep", "1000")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 900000, Size: 65536}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 900000, Size: 65536}},
	}
	if err := cmd.Start(); err != nil {
		enginetest.Missing(t, "cannot make a user namespace: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	nsPath := fmt.Sprintf("/proc/%d/ns/user", cmd.Process.Pid)
	ns, err := os.Readlink(nsPath)
	if err != nil {
		t.Fatal(err)
	}
	runInside(t, rt, engine.ContainerConfig{UserNS: "ns:" + nsPath}, mapped("0 900000 65536\n", "0 900000 65536\n"))
	runInside(t, rt, engine.ContainerConfig{UserNS: "ns:" + nsPath}, ns+"\n", "readlink", "/proc/self/ns/user")
	// A bind mount of the namespace file works the same.
	bound := filepath.Join(t.TempDir(), "userns")
	if err := os.WriteFile(bound, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount(nsPath, bound, "", syscall.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(bound, syscall.MNT_DETACH) })
	runInside(t, rt, engine.ContainerConfig{UserNS: "ns:" + bound}, ns+"\n", "readlink", "/proc/self/ns/user")
}

// Values podman refuses, or that berth does not do, fail before anything exists.
func TestUserNSRejects(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	for _, tc := range []struct {
		cfg  engine.ContainerConfig
		want string
	}{
		{engine.ContainerConfig{UserNS: "keep-id"}, "keep-id is only supported in rootless mode"},
		{engine.ContainerConfig{UserNS: "keep-id:uid=1000"}, "keep-id is only supported in rootless mode"},
		{engine.ContainerConfig{UserNS: "nomap"}, "nomap is only supported in rootless mode"},
		{engine.ContainerConfig{UserNS: "container:web"}, "--userns=container:web (joining another container's user namespace) is not supported yet"},
		{engine.ContainerConfig{UserNS: "bogus"}, `--userns "bogus": use host, private, auto`},
		{engine.ContainerConfig{UserNS: "host", UIDMap: []string{"0:1:1"}}, "--userns=host conflicts with --uidmap"},
		{engine.ContainerConfig{UserNS: "auto", SubUIDName: "x"}, "--userns=auto conflicts with --uidmap"},
		{engine.ContainerConfig{UserNS: "auto:size=0"}, `size="0" is not a positive number`},
		{engine.ContainerConfig{UserNS: "auto:max=3"}, `unknown option "max"`},
		{engine.ContainerConfig{UserNS: "ns:relative"}, "want ns:PATH with an absolute path"},
		{engine.ContainerConfig{UserNS: "ns:/nonexistent"}, "no such file or directory"},
		{engine.ContainerConfig{UIDMap: []string{"0:100000"}}, `--uidmap "0:100000": want CONTAINER_ID:HOST_ID:SIZE`},
		{engine.ContainerConfig{UIDMap: []string{"0:100000:0"}}, "SIZE > 0"},
		{engine.ContainerConfig{UIDMap: []string{"0:100000:10", "5:200000:10"}}, "--uidmap: ranges 0:100000:10 and 5:200000:10 overlap"},
		{engine.ContainerConfig{UIDMap: []string{"0:1:1"}, GIDMap: []string{"0:100:10", "20:105:1"}}, "--gidmap: ranges"},
		{engine.ContainerConfig{Rootfs: "relative"}, "--rootfs relative: the path must be absolute"},
		{engine.ContainerConfig{Rootfs: "/nonexistent:O"}, "no such file or directory"},
		{engine.ContainerConfig{Rootfs: "/etc/passwd"}, "--rootfs /etc/passwd: not a folder"},
		{engine.ContainerConfig{Rootfs: "/tmp:idmap"}, "--rootfs /tmp:idmap: the idmap option is not supported yet"},
	} {
		o := engine.CreateOptions{ContainerConfig: tc.cfg}
		if tc.cfg.Rootfs == "" {
			o.Image = enginetest.BusyboxRef()
		}
		_, err := rt.CreateContainer(context.Background(), o)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v: %v, want one line with %q", tc.cfg, err, tc.want)
		}
		if strings.Contains(tc.want, "not supported yet") && !errors.Is(err, engine.ErrUnsupported) {
			t.Errorf("%+v: %v is not ErrUnsupported", tc.cfg, err)
		}
	}
	if list, _ := rt.ListContainers(); len(list) != 0 {
		t.Errorf("%d containers created by rejected options", len(list))
	}
}

// --privileged: every capability berth holds, no seccomp filter, nothing masked or
// read-only in /proc and /sys, the host's devices (subfolders too).
func TestPrivilegedInside(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	bounding := ""
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "CapBnd:"); ok {
			bounding = strings.TrimSpace(v)
		}
	}
	script := `grep -E '^(CapEff|CapBnd|Seccomp):' /proc/self/status | tr -d '\t'; ` +
		`grep -E ' /sys | /proc/sys ' /proc/mounts | cut -d' ' -f2,4 | cut -d, -f1; ` +
		`awk '$3 ~ /^cgroup2?$/ {split($4, o, ","); print "cgroup", o[1]; exit}' /proc/mounts; ` +
		`grep -c -E ' /proc/(kcore|keys|timer_list|acpi|scsi) ' /proc/self/mountinfo; ls /dev/null /dev/net/tun 2>&1`
	want := fmt.Sprintf("CapEff:%s\nCapBnd:%s\nSeccomp:0\n/sys rw\ncgroup rw\n0\n/dev/net/tun\n/dev/null\n",
		bounding, bounding)
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		want = strings.Replace(want, "/dev/net/tun\n", "ls: /dev/net/tun: No such file or directory\n", 1)
	}
	runInside(t, rt, engine.ContainerConfig{Privileged: true}, want, "sh", "-c", script)
	// Without it: podman's defaults, for contrast.
	code, out, err := runOut(t, rt, engine.CreateOptions{ContainerConfig: engine.ContainerConfig{Network: "none"}}, "sh", "-c", script)
	if err != nil || !strings.Contains(out, "Seccomp:2\n/sys ro\n/proc/sys ro\ncgroup ro\n3\n") || strings.Contains(out, "/dev/net/tun\n") {
		t.Errorf("unprivileged: exit %d, %v: %s", code, err, out)
	}
	// With a user namespace the devices are bind-mounted (a namespace cannot mknod).
	runInside(t, rt, engine.ContainerConfig{Privileged: true, UIDMap: []string{"0:100000:65536"}},
		"Seccomp:0\n/sys rw\n1\n", "sh", "-c", `grep Seccomp: /proc/self/status | tr -d '\t'; `+
			`grep ' /sys ' /proc/mounts | cut -d' ' -f2,4 | cut -d, -f1; head -c 1 /dev/zero | wc -c`)
}

// copyRootfs copies the fixture's exploded busybox to a temporary folder.
func copyRootfs(t *testing.T) string {
	t.Helper()
	src := enginetest.RequireFile(t, "/var/tmp/berth-image/rootfs")
	dst := filepath.Join(t.TempDir(), "rootfs")
	if out, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("copying %s: %v: %s", src, err, out)
	}
	return dst
}

// createRootfs creates a --rootfs container running args.
func createRootfs(t *testing.T, rt *engine.Runtime, cfg engine.ContainerConfig, args ...string) *engine.Container {
	t.Helper()
	cfg.Command, cfg.ExitCommand, cfg.Network = args, []string{"/bin/true"}, engine.NetworkNone
	c, err := rt.CreateContainer(context.Background(), engine.CreateOptions{ContainerConfig: cfg})
	if err != nil {
		t.Fatalf("create --rootfs %s: %v", cfg.Rootfs, err)
	}
	t.Cleanup(func() {
		_ = rt.RemoveContainer(context.Background(), c.ID, engine.RemoveContainerOptions{Force: true, Ignore: true, Timeout: new(uint)})
	})
	return c
}

func attach(t *testing.T, rt *engine.Runtime, c *engine.Container) string {
	t.Helper()
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code, err := rt.RunAttached(ctx, c.ID, engine.Streams{Stdout: &out, Stderr: &out}, engine.StartOptions{})
	if err != nil || code != 0 {
		t.Fatalf("run: exit %d, %v: %s", code, err, out.String())
	}
	return out.String()
}

// --rootfs runs the folder itself: what the container writes is in it. With :O the
// container writes in an overlay whose changes go when it stops.
func TestRootfs(t *testing.T) {
	enginetest.RequireRoot(t)
	enginetest.RequireBinary(t, "conmon")
	rt := enginetest.NewTestRuntime(t)
	dir := copyRootfs(t)
	c := createRootfs(t, rt, engine.ContainerConfig{Rootfs: dir}, "sh", "-c", "echo in > /written; cat /etc/group | head -1")
	if c.ImageID != "" {
		t.Errorf("image %q for a --rootfs container", c.ImageID)
	}
	if out := attach(t, rt, c); out != "root:x:0:\n" {
		t.Errorf("--rootfs: %q", out)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "written")); err != nil || string(data) != "in\n" {
		t.Errorf("file written by the container: %q, %v", data, err)
	}

	ov := createRootfs(t, rt, engine.ContainerConfig{Rootfs: dir + ":O"}, "sh", "-c",
		"cat /mark 2>/dev/null || echo none; echo again > /mark; rm /written; ls /written 2>&1; true")
	for run := 0; run < 2; run++ {
		// The second run does not see the first run's changes.
		if out := attach(t, rt, ov); out != "none\nls: /written: No such file or directory\n" {
			t.Errorf("--rootfs :O, run %d: %q", run, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "written")); err != nil {
		t.Errorf("the overlay changed the folder: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "mark")); err == nil {
		t.Errorf("the overlay wrote /mark in the folder")
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mounts), ov.ID) {
		t.Errorf("the overlay of a stopped container is still mounted")
	}
	// A mapped user namespace: container root writes in the overlay; the folder's
	// files are the host's (nobody inside), as with podman without idmap.
	um := createRootfs(t, rt, engine.ContainerConfig{Rootfs: dir + ":O", UIDMap: []string{"0:100000:65536"}},
		"sh", "-c", "stat -c %u /bin; touch /new && echo writable")
	if out := attach(t, rt, um); out != "65534\nwritable\n" {
		t.Errorf("--rootfs :O with --uidmap: %q", out)
	}
	if err := rt.RemoveContainer(context.Background(), ov.ID, engine.RemoveContainerOptions{}); err != nil {
		t.Fatal(err)
	}
}
