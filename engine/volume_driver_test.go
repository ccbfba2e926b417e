package engine_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/berth-containers/berth/engine"
	"github.com/berth-containers/berth/engine/enginetest"
	"github.com/berth-containers/berth/engine/oci"
)

// mountsAt returns the file system types mounted exactly at dir, as the host's
// /proc/self/mountinfo lists them (stacked mounts each once).
func mountsAt(t *testing.T, dir string) []string {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		sep := -1
		for i, f := range fields {
			if f == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || len(fields) < 5 || sep+1 >= len(fields) {
			continue
		}
		if strings.ReplaceAll(fields[4], `\040`, " ") == dir {
			types = append(types, fields[sep+1])
		}
	}
	return types
}

func wantMounts(t *testing.T, what, dir string, want ...string) {
	t.Helper()
	got := mountsAt(t, dir)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%s: mounted at %s: %q, want %q", what, dir, got, want)
	}
}

// waitFile waits until path has content.
func waitFile(t *testing.T, path string) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return string(b)
		}
	}
	t.Fatalf("%s never appeared", path)
	return ""
}

func stopNow(t *testing.T, rt *engine.Runtime, id string) {
	t.Helper()
	if err := rt.StopContainer(context.Background(), id, engine.StopOptions{Timeout: new(uint)}); err != nil {
		t.Fatal(err)
	}
}

func volumeOpts(name string, opts map[string]string) engine.VolumeCreateOptions {
	return engine.VolumeCreateOptions{Name: name, Options: opts}
}

// TestVolumeTmpfsLifetime proves podman's mount lifetime on the host's mount table:
// a tmpfs volume is mounted when its first container starts, shared by the next one
// started while the first runs, and unmounted when the last one stops; a conmon and
// container killed with SIGKILL leave the mount only until the container's next rm
// or start.
func TestVolumeTmpfsLifetime(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	ctx := context.Background()
	if _, err := rt.CreateVolume(ctx, volumeOpts("tmp", map[string]string{
		"type": "tmpfs", "device": "tmpfs", "o": "size=10m,uid=1000,gid=1000"})); err != nil {
		t.Fatal(err)
	}
	data := rt.VolumeMountpoint("tmp")
	host := engine.CreateOptions{ContainerConfig: engine.ContainerConfig{Network: engine.NetworkNone, Volumes: []string{"tmp:/data"}}}
	a := create(t, rt, host, "sh", "-c", "echo from-a > /data/f && exec sleep 1000")
	wantMounts(t, "after create", data)

	if _, err := rt.StartContainer(ctx, a.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := waitFile(t, filepath.Join(data, "f")); got != "from-a\n" {
		t.Errorf("the host sees %q in the volume", got)
	}
	wantMounts(t, "with one container running", data, "tmpfs")

	code, out, err := runOut(t, rt, host, "sh", "-c", "cat /data/f; stat -c %u:%g /data")
	if err != nil || code != 0 || out != "from-a\n1000:1000\n" {
		t.Errorf("second container: exit %d %v %q", code, err, out)
	}
	wantMounts(t, "after the second one ended", data, "tmpfs")
	if vi, err := rt.InspectVolume("tmp"); err != nil || vi.MountCount != 1 {
		t.Errorf("MountCount with one user: %v %+v", err, vi)
	}
	stopNow(t, rt, a.ID)
	wantMounts(t, "after the last one stopped", data)
	if vi, _ := rt.InspectVolume("tmp"); vi.MountCount != 0 {
		t.Errorf("MountCount with no user: %d", vi.MountCount)
	}

	// SIGKILL of conmon and the container: no cleanup runs.
	kill := func() {
		t.Helper()
		if _, err := rt.StartContainer(ctx, a.ID, engine.StartOptions{}); err != nil {
			t.Fatal(err)
		}
		c, err := rt.LookupContainer(a.ID)
		if err != nil {
			t.Fatal(err)
		}
		_ = syscall.Kill(c.State.ConmonPid, syscall.SIGKILL)
		_ = syscall.Kill(c.State.Pid, syscall.SIGKILL)
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if !oci.ConmonAlive(c.State.ConmonPid) {
				break
			}
		}
		wantMounts(t, "after kill -9", data, "tmpfs")
	}
	kill()
	if _, err := rt.StartContainer(ctx, a.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	wantMounts(t, "start after kill -9", data, "tmpfs") // once, not stacked
	stopNow(t, rt, a.ID)
	wantMounts(t, "stop after kill -9 and start", data)
	kill()
	if err := rt.RemoveContainer(ctx, a.ID, engine.RemoveContainerOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	wantMounts(t, "rm after kill -9", data)
	if _, err := os.Stat(filepath.Join(rt.Options().RunRoot, "berth", "volumes", "tmp.holders")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("holders left: %v", err)
	}
	if err := rt.RemoveVolume(ctx, "tmp", true); err != nil { // the second container still has it
		t.Fatal(err)
	}
}

// TestVolumeMountConcurrent starts and stops containers of one tmpfs volume at once:
// one mount while any runs, none after.
func TestVolumeMountConcurrent(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	ctx := context.Background()
	if _, err := rt.CreateVolume(ctx, volumeOpts("shared", map[string]string{"type": "tmpfs"})); err != nil {
		t.Fatal(err)
	}
	data := rt.VolumeMountpoint("shared")
	o := engine.CreateOptions{ContainerConfig: engine.ContainerConfig{Network: engine.NetworkNone, Volumes: []string{"shared:/s"}}}
	var ids []string
	for range 4 {
		ids = append(ids, create(t, rt, o, "sleep", "1000").ID)
	}
	each := func(fn func(id string) error) {
		var wg sync.WaitGroup
		for _, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := fn(id); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	for round := range 2 {
		each(func(id string) error { _, err := rt.StartContainer(ctx, id, engine.StartOptions{}); return err })
		wantMounts(t, "all running", data, "tmpfs")
		if vi, _ := rt.InspectVolume("shared"); vi.MountCount != 4 {
			t.Errorf("round %d: MountCount %d, want 4", round, vi.MountCount)
		}
		each(func(id string) error {
			return rt.StopContainer(ctx, id, engine.StopOptions{Timeout: new(uint)})
		})
		wantMounts(t, "all stopped", data)
	}
}

// TestVolumeBind shows a host folder through type=none o=bind, and leaves it (and
// its owner) as it was when the volume goes.
func TestVolumeBind(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hello"), []byte("from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 4321, 4321); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.CreateVolume(ctx, volumeOpts("b", map[string]string{"type": "none", "o": "bind", "device": dir})); err != nil {
		t.Fatal(err)
	}
	o := engine.CreateOptions{ContainerConfig: engine.ContainerConfig{Network: engine.NetworkNone, Volumes: []string{"b:/v"}}}
	code, out, err := runOut(t, rt, o, "sh", "-c", "cat /v/hello && echo back > /v/new")
	if err != nil || code != 0 || out != "from the host\n" {
		t.Errorf("bind volume: exit %d %v %q", code, err, out)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "new")); err != nil || string(b) != "back\n" {
		t.Errorf("written through the volume: %q %v", b, err)
	}
	wantMounts(t, "after the run", rt.VolumeMountpoint("b"))
	// Removed while mounted by hand: unmounted first, the host folder stays whole.
	if _, err := rt.MountVolume(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if err := rt.RemoveVolume(ctx, "b", true); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 2 {
		t.Errorf("host folder after volume rm: %v %v", entries, err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Sys().(*syscall.Stat_t).Uid != 4321 {
		t.Errorf("the host folder's owner changed: %v", err)
	}
}

// TestVolumeImageDriver: the volume's content is the image's root file system; what
// containers write stays in the volume's storage; rmi -f takes the volume along.
func TestVolumeImageDriver(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	ctx := context.Background()
	for _, bad := range []engine.VolumeCreateOptions{
		{Name: "x", Driver: "image"},
		{Name: "x", Driver: "image", Options: map[string]string{"image": enginetest.BusyboxRef(), "type": "tmpfs"}},
	} {
		if _, err := rt.CreateVolume(ctx, bad); err == nil || !strings.Contains(err.Error(), "image") {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if _, err := rt.CreateVolume(ctx, engine.VolumeCreateOptions{Name: "x", Driver: "image",
		Options: map[string]string{"image": "no-such-image:1"}}); !errors.Is(err, engine.ErrNoSuchImage) {
		t.Errorf("a missing image: %v", err)
	}

	v, err := rt.CreateVolume(ctx, engine.VolumeCreateOptions{Name: "img", Driver: "image",
		Options: map[string]string{"image": enginetest.BusyboxRef()}})
	if err != nil {
		t.Fatal(err)
	}
	if v.StorageID == "" {
		t.Fatalf("no storage: %+v", v)
	}
	data := rt.VolumeMountpoint("img")
	o := engine.CreateOptions{ContainerConfig: engine.ContainerConfig{Network: engine.NetworkNone, Volumes: []string{"img:/mnt"}}}
	code, out, err := runOut(t, rt, o, "sh", "-c", "ls /mnt/bin/busybox && echo kept > /mnt/new")
	if err != nil || code != 0 || out != "/mnt/bin/busybox\n" {
		t.Errorf("image volume: exit %d %v %q", code, err, out)
	}
	wantMounts(t, "after the first container", data)
	code, out, err = runOut(t, rt, o, "cat", "/mnt/new")
	if err != nil || code != 0 || out != "kept\n" {
		t.Errorf("second container: exit %d %v %q", code, err, out)
	}
	// volume mount shows it on the host until volume unmount.
	if dir, err := rt.MountVolume(ctx, "img"); err != nil || dir != data {
		t.Fatalf("volume mount: %q %v", dir, err)
	}
	if _, err := os.Stat(filepath.Join(data, "bin", "busybox")); err != nil {
		t.Errorf("volume mount: %v", err)
	}
	if err := rt.UnmountVolume(ctx, "img"); err != nil {
		t.Fatal(err)
	}
	wantMounts(t, "after volume unmount", data)

	create(t, rt, o, "true")
	if _, err := rt.RemoveImages(ctx, []string{enginetest.BusyboxRef()}, engine.RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := rt.VolumeExists("img"); ok {
		t.Error("rmi -f left the image's volume")
	}
	if _, err := rt.Store().Container(v.StorageID); err == nil {
		t.Error("the volume's storage is left")
	}
}

// TestVolumeExt4 mounts an ext4 loop device: o=uid= (which ext4 refuses) becomes the
// owner of the mounted root, and the data stays on the device between mounts.
func TestVolumeExt4(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	ctx := context.Background()
	mkfs := enginetest.RequireBinary(t, "mkfs.ext4")
	img := filepath.Join(t.TempDir(), "disk.img")
	if out, err := exec.Command("truncate", "-s", "16M", img).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if out, err := exec.Command(mkfs, "-q", "-F", img).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	out, err := exec.Command("losetup", "-f", "--show", img).Output()
	if err != nil {
		enginetest.HostLacks(t, "loop devices: %v", err)
	}
	loop := strings.TrimSpace(string(out))
	t.Cleanup(func() { _ = exec.Command("losetup", "-d", loop).Run() })
	if _, err := rt.CreateVolume(ctx, volumeOpts("disk", map[string]string{"type": "ext4", "device": loop, "o": "uid=1234,gid=5"})); err != nil {
		t.Fatal(err)
	}
	o := engine.CreateOptions{ContainerConfig: engine.ContainerConfig{Network: engine.NetworkNone, Volumes: []string{"disk:/d"}}}
	code, got, err := runOut(t, rt, o, "sh", "-c", "stat -c %u:%g /d && echo on-disk > /d/f")
	if err != nil || code != 0 || got != "1234:5\n" {
		t.Errorf("ext4 volume: exit %d %v %q", code, err, got)
	}
	wantMounts(t, "after the run", rt.VolumeMountpoint("disk"))
	code, got, err = runOut(t, rt, o, "cat", "/d/f")
	if err != nil || code != 0 || got != "on-disk\n" {
		t.Errorf("ext4 volume, second mount: exit %d %v %q", code, err, got)
	}
}

// TestVolumeOwnerFlags: --uid/--gid own the folder and turn off the first user's chown.
func TestVolumeOwnerFlags(t *testing.T) {
	enginetest.RequireRoot(t)
	rt := enginetest.NewTestRuntime(t)
	uid, gid := 7, 8
	v, err := rt.CreateVolume(context.Background(), engine.VolumeCreateOptions{Name: "own", UID: &uid, GID: &gid})
	if err != nil || v.NeedsChown || !v.OwnerSet {
		t.Fatalf("%v %+v", err, v)
	}
	fi, err := os.Stat(rt.VolumeMountpoint("own"))
	if err != nil || fi.Sys().(*syscall.Stat_t).Uid != 7 || fi.Sys().(*syscall.Stat_t).Gid != 8 {
		t.Errorf("owner of _data: %v", err)
	}
}

// TestVolumeFileSystemCopyUp: a volume with a file system gets the image's content
// at its first start (the file system is only there then), not from a container
// that mounts it with nocopy.
func TestVolumeFileSystemCopyUp(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	ctx := context.Background()
	if _, err := rt.CreateVolume(ctx, volumeOpts("etc", map[string]string{"type": "tmpfs"})); err != nil {
		t.Fatal(err)
	}
	o := engine.CreateOptions{ContainerConfig: engine.ContainerConfig{Network: engine.NetworkNone}}
	o.Volumes = []string{"etc:/etc:nocopy"}
	first := create(t, rt, o, "ls", "/etc")
	o.Volumes = []string{"etc:/etc"}
	second := create(t, rt, o, "sh", "-c", "grep -c ^root: /etc/passwd; exec sleep 1000")
	var out strings.Builder
	if code, err := rt.RunAttached(ctx, first.ID, engine.Streams{Stdout: &out, Stderr: &out}, engine.StartOptions{}); err != nil || code != 0 || strings.Contains(out.String(), "passwd") {
		t.Errorf("nocopy: exit %d %v, /etc has %q", code, err, out.String())
	}
	if v, _ := rt.LookupVolume("etc"); !v.NeedsCopyUp {
		t.Error("a nocopy start did the copy-up")
	}
	if _, err := rt.StartContainer(ctx, second.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	if b := waitFile(t, filepath.Join(rt.VolumeMountpoint("etc"), "passwd")); !strings.Contains(b, "root:") {
		t.Errorf("copied up: %q", b)
	}
	if v, _ := rt.LookupVolume("etc"); v.NeedsCopyUp || v.NeedsChown {
		t.Errorf("after the first start: %+v", v)
	}
	stopNow(t, rt, second.ID)
	wantMounts(t, "after stop", rt.VolumeMountpoint("etc"))
}
