package engine_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/berth-containers/berth/engine"
	"github.com/berth-containers/berth/engine/enginetest"
)

func volumeNames(t *testing.T, rt *engine.Runtime, filters ...string) []string {
	t.Helper()
	fl, err := engine.ParseVolumeFilters(filters)
	if err != nil {
		t.Fatal(err)
	}
	list, err := rt.ListVolumes(fl)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range list {
		names = append(names, v.Name)
	}
	return names
}

func TestVolumeLifecycle(t *testing.T) {
	enginetest.RequireRoot(t)
	rt := enginetest.NewTestRuntime(t)
	ctx := context.Background()

	v, err := rt.CreateVolume(ctx, engine.VolumeCreateOptions{Name: "data", Labels: map[string]string{"app": "web"},
		Options: map[string]string{"o": "uid=1000,gid=100"}})
	if err != nil {
		t.Fatal(err)
	}
	mp := rt.VolumeMountpoint("data")
	if mp != filepath.Join(rt.Options().Root, "volumes", "data", "_data") {
		t.Errorf("mountpoint %s", mp)
	}
	fi, err := os.Stat(mp)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 1000 || st.Gid != 100 {
		t.Errorf("_data owned by %d:%d, want 1000:100", st.Uid, st.Gid)
	}

	_, err = rt.CreateVolume(ctx, engine.VolumeCreateOptions{Name: "data"})
	if !errors.Is(err, engine.ErrVolumeExists) || !strings.Contains(err.Error(), "data") {
		t.Errorf("creating it again: %v, want ErrVolumeExists naming it", err)
	}
	again, err := rt.CreateVolume(ctx, engine.VolumeCreateOptions{Name: "data", Ignore: true, Labels: map[string]string{"x": "y"}})
	if err != nil || again.Labels["app"] != "web" || again.Labels["x"] != "" || !again.CreatedAt.Equal(v.CreatedAt) {
		t.Errorf("--ignore: %v %+v, want the existing volume unchanged", err, again)
	}

	anon, err := rt.CreateVolume(ctx, engine.VolumeCreateOptions{Options: map[string]string{"nocopy": ""}})
	if err != nil || len(anon.Name) != 64 || anon.NeedsCopyUp {
		t.Errorf("unnamed volume: %v %+v", err, anon)
	}
	if _, err := rt.CreateVolume(ctx, engine.VolumeCreateOptions{Name: "other", Driver: "local"}); err != nil {
		t.Fatal(err)
	}

	if got := volumeNames(t, rt, "label=app=web"); !slices.Equal(got, []string{"data"}) {
		t.Errorf("label filter: %v", got)
	}
	if got := volumeNames(t, rt, "name=^oth"); !slices.Equal(got, []string{"other"}) {
		t.Errorf("name filter: %v", got)
	}
	if got := volumeNames(t, rt, "label!=app", "driver=local"); len(got) != 2 || slices.Contains(got, "data") {
		t.Errorf("label! filter: %v", got)
	}
	if _, err := engine.ParseVolumeFilters([]string{"colour=red"}); err == nil {
		t.Error("an unknown filter is accepted")
	}

	vi, err := rt.InspectVolume("data")
	if err != nil || vi.Scope != "local" || vi.Driver != "local" || vi.Mountpoint != mp || vi.UID != 1000 ||
		vi.Options["o"] != "uid=1000,gid=100" || !vi.NeedsCopyUp {
		t.Errorf("inspect: %v %+v", err, vi)
	}
	// Names are exact: no prefix matching as for container IDs.
	if ok, err := rt.VolumeExists("dat"); ok || err != nil {
		t.Errorf("exists(dat) = %v, %v", ok, err)
	}
	if _, err := rt.InspectVolume("nope"); !errors.Is(err, engine.ErrNoSuchVolume) {
		t.Errorf("inspect nope: %v", err)
	}

	if err := rt.RemoveVolume(ctx, "data", false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(mp)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("volume folder left: %v", err)
	}
	if err := rt.RemoveVolume(ctx, "data", false); !errors.Is(err, engine.ErrNoSuchVolume) {
		t.Errorf("removing it again: %v", err)
	}
	removed, err := rt.PruneVolumes(ctx, nil)
	if err != nil || len(removed) != 2 {
		t.Errorf("prune: %v %v", removed, err)
	}
}

// Units started at boot create their volumes at once: one wins, --ignore makes the
// others succeed too.
func TestVolumeConcurrentCreate(t *testing.T) {
	enginetest.RequireRoot(t)
	rt := enginetest.NewTestRuntime(t)
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = rt.CreateVolume(context.Background(), engine.VolumeCreateOptions{Name: "shared", Ignore: i%2 == 0})
		}()
	}
	wg.Wait()
	created := 0
	for i, err := range errs {
		switch {
		case err == nil:
			created++
		case i%2 == 1 && errors.Is(err, engine.ErrVolumeExists):
		default:
			t.Errorf("create %d: %v", i, err)
		}
	}
	if created < 8 || created > 9 {
		t.Errorf("%d creates succeeded, want the 8 with --ignore and at most one without", created)
	}
	if got := volumeNames(t, rt); !slices.Equal(got, []string{"shared"}) {
		t.Errorf("volumes: %v", got)
	}
}

func TestVolumeBadOptions(t *testing.T) {
	enginetest.RequireRoot(t)
	rt := enginetest.NewTestRuntime(t)
	ctx := context.Background()
	for _, o := range []engine.VolumeCreateOptions{
		{Name: "a", Options: map[string]string{"o": "size=10m"}},
		{Name: "a", Driver: "nfs-plugin"},
	} {
		if _, err := rt.CreateVolume(ctx, o); !errors.Is(err, engine.ErrUnsupported) {
			t.Errorf("%+v: %v, want ErrUnsupported", o, err)
		}
	}
	for _, o := range []engine.VolumeCreateOptions{
		{Name: "a/b"}, {Name: "-a"}, {Name: "a", Options: map[string]string{"colour": "red"}},
		{Name: "a", Options: map[string]string{"o": "uid=x"}},
		{Name: "a", Options: map[string]string{"o": "noexec"}},
		{Name: "a", Driver: "image"},
		{Name: "a", Driver: "image", Options: map[string]string{"image": "no-such-image"}},
	} {
		if _, err := rt.CreateVolume(ctx, o); err == nil || errors.Is(err, engine.ErrUnsupported) {
			t.Errorf("%+v: %v, want an error", o, err)
		}
	}
	// Nothing half-created.
	if got := volumeNames(t, rt); len(got) != 0 {
		t.Errorf("volumes left: %v", got)
	}
	if entries, _ := os.ReadDir(filepath.Join(rt.Options().Root, "volumes")); len(entries) != 0 {
		t.Errorf("volume folders left: %d", len(entries))
	}
}

// TestVolumeContainers runs real containers on named volumes: copy-up, nocopy, data
// that outlives its container, and removal of a volume in use.
func TestVolumeContainers(t *testing.T) {
	rt := enginetest.ContainerRuntime(t)
	ctx := context.Background()
	host := engine.CreateOptions{ContainerConfig: engine.ContainerConfig{Network: engine.NetworkNone}}

	o := host
	o.Volumes = []string{"etc:/etc"}
	code, out, err := runOut(t, rt, o, "sh", "-c", "cat /etc/passwd; echo kept > /etc/new")
	if err != nil || code != 0 || !strings.Contains(out, "root:") {
		t.Fatalf("copy-up: exit %d, %v, %q", code, err, out)
	}
	data := rt.VolumeMountpoint("etc")
	if b, err := os.ReadFile(filepath.Join(data, "new")); err != nil || string(b) != "kept\n" {
		t.Errorf("data written in the container: %q %v", b, err)
	}
	src, _ := os.Stat("/var/tmp/berth-image/rootfs/etc/passwd")
	if fi, err := os.Stat(filepath.Join(data, "passwd")); err != nil || (src != nil && fi.Mode() != src.Mode()) {
		t.Errorf("copied passwd: %v, mode %v want %v", err, fi, src)
	}
	if v, err := rt.LookupVolume("etc"); err != nil || v.NeedsCopyUp {
		t.Errorf("after copy-up: %v %+v", err, v)
	}

	o = host
	o.Mounts = []string{"type=volume,source=etc,destination=/data,ro"}
	c := create(t, rt, o, "cat", "/data/new")
	if err := rt.RemoveVolume(ctx, "etc", false); !errors.Is(err, engine.ErrVolumeInUse) || !strings.Contains(err.Error(), c.ID[:12]) {
		t.Errorf("removing a volume in use: %v", err)
	}
	var outb strings.Builder
	code, err = rt.RunAttached(ctx, c.ID, engine.Streams{Stdout: &outb, Stderr: &outb}, engine.StartOptions{})
	if err != nil || code != 0 || outb.String() != "kept\n" {
		t.Errorf("second container: exit %d %v %q", code, err, outb.String())
	}
	if err := rt.RemoveVolume(ctx, "etc", true); err != nil {
		t.Fatal(err)
	}
	if ok, _ := rt.ContainerExists(c.ID); ok {
		t.Error("rm -f of the volume left its container")
	}

	for _, o2 := range []engine.CreateOptions{host, host} {
		o2.Volumes = []string{"empty:/etc:nocopy"}
		_, out, err := runOut(t, rt, o2, "ls", "/etc")
		if err != nil || strings.Contains(out, "passwd") {
			t.Errorf("nocopy: %v, /etc has %q", err, out)
		}
	}
	if _, err := rt.CreateVolume(ctx, engine.VolumeCreateOptions{Name: "nc", Options: map[string]string{"copy": "false"}}); err != nil {
		t.Fatal(err)
	}
	o = host
	o.Mounts = []string{"Type=volume,Src=nc,dst=/etc"}
	if _, out, err := runOut(t, rt, o, "ls", "/etc"); err != nil || strings.Contains(out, "passwd") {
		t.Errorf("--opt copy=false: %v, /etc has %q", err, out)
	}

	// In a user namespace, a fresh volume belongs to the container's root.
	o = host
	o.UIDMap, o.GIDMap = []string{"0:100000:65536"}, []string{"0:100000:65536"}
	o.Volumes = []string{"mapped:/new"}
	if code, out, err := runOut(t, rt, o, "sh", "-c", "touch /new/x && stat -c %u /new/x"); code != 0 || err != nil || out != "0\n" {
		t.Errorf("writing a volume in a user namespace: exit %d %v %q", code, err, out)
	}
	if fi, err := os.Stat(rt.VolumeMountpoint("mapped")); err != nil || fi.Sys().(*syscall.Stat_t).Uid != 100000 {
		t.Errorf("owner of the volume of a mapped container: %v", err)
	}

	// Anonymous volumes: kept by rm, removed by rm -v; named ones stay either way.
	anonVolumes := func() []string {
		var out []string
		list, err := rt.ListVolumes(nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range list {
			if v.Anonymous {
				out = append(out, v.Name)
			}
		}
		return out
	}
	o = host
	o.Volumes = []string{"/anon", "kept:/kept"}
	o.Mounts = []string{"type=volume,destination=/anon2"}
	c = create(t, rt, o, "true")
	if got := anonVolumes(); len(got) != 2 {
		t.Fatalf("anonymous volumes after create: %v", got)
	}
	if err := rt.RemoveContainer(ctx, c.ID, engine.RemoveContainerOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := anonVolumes(); len(got) != 2 {
		t.Errorf("rm without -v removed anonymous volumes: %v left", got)
	}
	if _, err := rt.PruneVolumes(ctx, nil); err != nil {
		t.Fatal(err)
	}
	c = create(t, rt, o, "true")
	if err := rt.RemoveContainer(ctx, c.ID, engine.RemoveContainerOptions{Volumes: true}); err != nil {
		t.Fatal(err)
	}
	if got := anonVolumes(); len(got) != 0 {
		t.Errorf("rm -v left anonymous volumes %v", got)
	}
	if ok, _ := rt.VolumeExists("kept"); !ok {
		t.Error("rm -v removed a named volume")
	}
	o.AutoRemove = true
	if code, _, err := runOut(t, rt, o, "true"); code != 0 || err != nil {
		t.Fatalf("--rm: %d %v", code, err)
	}
	if got := anonVolumes(); len(got) != 0 {
		t.Errorf("--rm left anonymous volumes %v", got)
	}
}
