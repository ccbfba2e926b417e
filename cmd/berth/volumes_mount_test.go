package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-containers/berth/engine"
)

// mountedAt counts the mounts at exactly dir in the host's mount table.
func mountedAt(t *testing.T, dir string) int {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 4 && f[4] == dir {
			n++
		}
	}
	return n
}

func (e *imageEnv) volumeInspect(t *testing.T, name string) engine.VolumeInspect {
	t.Helper()
	var vi []engine.VolumeInspect
	if err := json.Unmarshal([]byte(e.ok(t, "volume", "inspect", name)), &vi); err != nil || len(vi) != 1 {
		t.Fatalf("volume inspect %s: %v", name, err)
	}
	return vi[0]
}

// TestVolumeCreateFlags checks volume create's driver options and --uid/--gid, with
// the exact command a Quadlet .volume with Type=tmpfs emits.
func TestVolumeCreateFlags(t *testing.T) {
	e := newImageEnv(t)
	quadletTmpfs := []string{"volume", "create", "--ignore", "--opt", "nocopy", "--opt", "device=tmpfs", "--opt", "type=tmpfs",
		"--opt", "o=uid=1000,gid=1000,size=10m", "systemd-tv"}
	for range 2 {
		if out := e.ok(t, quadletTmpfs...); out != "systemd-tv\n" {
			t.Errorf("quadlet's tmpfs volume create printed %q", out)
		}
	}
	vi := e.volumeInspect(t, "systemd-tv")
	if vi.Options["type"] != "tmpfs" || vi.Options["o"] != "uid=1000,gid=1000,size=10m" || vi.UID != 1000 || vi.NeedsCopyUp {
		t.Errorf("inspect: %+v", vi)
	}
	e.ok(t, "volume", "create", "--uid", "7", "--gid", "8", "owned")
	vi = e.volumeInspect(t, "owned")
	fi, err := os.Stat(vi.Mountpoint)
	if err != nil || vi.UID != 7 || vi.GID != 8 || fi.Sys().(*syscall.Stat_t).Uid != 7 || fi.Sys().(*syscall.Stat_t).Gid != 8 {
		t.Errorf("--uid 7 --gid 8: %v %+v", err, vi)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--driver", "image", "x"}, "the image driver needs --opt image=IMAGE"},
		{[]string{"--driver", "image", "-o", "image=no-such-image:1", "x"}, "no-such-image"},
		{[]string{"-o", "image=busybox", "x"}, "image= is the image driver's"},
		{[]string{"-o", "o=noexec", "x"}, "mount options need type= or device="},
		{[]string{"-o", "type=none", "-o", "o=bind", "-o", "device=rel", "x"}, "absolute path"},
		{[]string{"--driver", "nfs-plugin", "x"}, "not supported yet"},
	} {
		oneLineError(t, e.run(t, append([]string{"volume", "create"}, tc.args...)...), 125, tc.want)
	}
	if out := e.ok(t, "volume", "ls", "-q"); out != "owned\nsystemd-tv\n" {
		t.Errorf("volumes after failed creates: %q", out)
	}
}

// TestVolumeMountsCLI runs containers on a tmpfs volume and an image volume made by
// the exact command of a Quadlet .volume with Driver=image.
func TestVolumeMountsCLI(t *testing.T) {
	e := newCtrEnv(t)
	e.ok(t, "volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "tv")
	tv := e.volumeInspect(t, "tv").Mountpoint
	e.ok(t, "run", "-d", "--name", "a", "--stop-timeout", "0", "--network", "none", "-v", "tv:/d", e.ref, "sh", "-c", "echo x > /d/f; exec sleep 100")
	if out := e.ok(t, "run", "--rm", "--network", "none", "-v", "tv:/d", e.ref, "cat", "/d/f"); out != "x\n" {
		t.Errorf("second container read %q", out)
	}
	// --replace stops the old container while the new one holds the volume's lock.
	e.ok(t, "run", "-d", "--replace", "--name", "a", "--stop-timeout", "0", "--network", "none", "-v", "tv:/d", e.ref, "sleep", "100")
	if n := mountedAt(t, tv); n != 1 {
		t.Errorf("tmpfs mounted %d times while a runs", n)
	}
	// A container that ends by itself: conmon's exit command unmounts.
	e.ok(t, "run", "-d", "--name", "short", "--network", "none", "-v", "tv:/d", e.ref, "sleep", "1")
	if n := mountedAt(t, tv); n != 1 {
		t.Errorf("tmpfs mounted %d times while two containers run", n)
	}
	e.ok(t, "rm", "-f", "-t", "0", "a")
	e.ok(t, "wait", "short")
	for deadline := time.Now().Add(5 * time.Second); mountedAt(t, tv) != 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if n := mountedAt(t, tv); n != 0 {
		t.Errorf("tmpfs mounted %d times after its last container ended", n)
	}
	e.ok(t, "run", "-d", "--name", "a", "--stop-timeout", "0", "--network", "none", "-v", "tv:/d", e.ref, "sleep", "100")
	oneLineError(t, e.run(t, "volume", "rm", "tv"), 2, "is being used")
	e.ok(t, "volume", "rm", "-f", "tv")
	if n := mountedAt(t, tv); n != 0 {
		t.Errorf("tmpfs mounted %d times after volume rm -f", n)
	}
	if r := e.run(t, "container", "exists", "a"); r.code != 1 {
		t.Errorf("volume rm -f left its container: exists exit %d", r.code)
	}

	quadletImage := []string{"volume", "create", "--ignore", "--driver", "image", "--label", "a=b", "--opt", "image=" + e.ref, "systemd-iv"}
	if out := e.ok(t, quadletImage...); out != "systemd-iv\n" {
		t.Errorf("quadlet's image volume create printed %q", out)
	}
	e.ok(t, quadletImage...)
	iv := e.volumeInspect(t, "systemd-iv")
	if iv.Driver != "image" || iv.StorageID == "" || iv.Labels["a"] != "b" {
		t.Errorf("image volume: %+v", iv)
	}
	e.ok(t, "run", "--rm", "--network", "none", "-v", "systemd-iv:/mnt", e.ref, "sh", "-c", "test -x /mnt/bin/busybox && echo kept > /mnt/new")
	if out := e.ok(t, "run", "--rm", "--network", "none", "--mount", "type=volume,src=systemd-iv,dst=/m", e.ref, "cat", "/m/new"); out != "kept\n" {
		t.Errorf("image volume, second container: %q", out)
	}
	if n := mountedAt(t, iv.Mountpoint); n != 0 {
		t.Errorf("image volume mounted %d times with no container", n)
	}
	if out := e.ok(t, "volume", "mount", "systemd-iv"); out != iv.Mountpoint+"\n" {
		t.Errorf("volume mount printed %q", out)
	}
	if b, err := os.ReadFile(filepath.Join(iv.Mountpoint, "new")); err != nil || string(b) != "kept\n" {
		t.Errorf("volume mount: %q %v", b, err)
	}
	if out := e.ok(t, "volume", "inspect", "--format", "{{.MountCount}}", "systemd-iv"); out != "1\n" {
		t.Errorf("MountCount after volume mount: %q", out)
	}
	e.ok(t, "volume", "umount", "systemd-iv")
	if n := mountedAt(t, iv.Mountpoint); n != 0 {
		t.Errorf("image volume mounted %d times after volume unmount", n)
	}
	if out := e.ok(t, "volume", "rm", "systemd-iv"); out != "systemd-iv\n" {
		t.Errorf("volume rm printed %q", out)
	}
}

// TestVolumeMountKilled kills berth run -d and rm -f of containers on a tmpfs and an
// image volume with SIGKILL at random points: after each rm -f -i of what was left,
// nothing stays mounted on the volumes' folders.
func TestVolumeMountKilled(t *testing.T) {
	rng := killRand(t, 9)
	e := newCtrEnv(t)
	e.ok(t, "volume", "create", "-o", "type=tmpfs", "tv")
	e.ok(t, "volume", "create", "--driver", "image", "-o", "image="+e.ref, "iv")
	dirs := map[string]string{"tv": e.volumeInspect(t, "tv").Mountpoint, "iv": e.volumeInspect(t, "iv").Mountpoint}
	const kills = 12
	killed := 0
	for i := range kills {
		name, vol := fmt.Sprintf("k%02d", i), []string{"tv", "iv"}[i%2]
		if e.killAfter(t, time.Duration(rng.Int64N(int64(150*time.Millisecond))),
			"run", "-d", "--name", name, "--network=none", "-v", vol+":/v", e.ref, "sleep", "1000") {
			killed++
		}
		if i%3 == 0 && e.run(t, "container", "exists", name).code == 0 {
			if e.killAfter(t, time.Duration(rng.Int64N(int64(100*time.Millisecond))), "rm", "-f", "-t", "0", name) {
				killed++
			}
		}
		if r := e.run(t, "rm", "-f", "-i", "-t", "0", name); r.code != 0 {
			t.Fatalf("kill %d: rm -f -i %s: exit %d: %s", i, name, r.code, r.stderr)
		}
		if n := mountedAt(t, dirs[vol]); n != 0 {
			t.Fatalf("kill %d: volume %s mounted %d times after rm -f -i", i, vol, n)
		}
	}
	t.Logf("%d of %d runs and removals killed", killed, kills+kills/3)
	// Both still work.
	for vol := range dirs {
		if out := e.ok(t, "run", "--rm", "--network=none", "-v", vol+":/v", e.ref, "sh", "-c", "echo ok > /v/f && cat /v/f"); out != "ok\n" {
			t.Errorf("volume %s after the kills: %q", vol, out)
		}
		if n := mountedAt(t, dirs[vol]); n != 0 {
			t.Errorf("volume %s mounted %d times after the last run", vol, n)
		}
	}
}
