package engine_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-containers/berth/engine"
	"github.com/berth-containers/berth/engine/enginetest"
)

func TestMain(m *testing.M) { enginetest.Main(m) }

// storageCounts is what a failed operation must leave as it was.
func storageCounts(t *testing.T, rt *engine.Runtime) (layers, images int) {
	t.Helper()
	l, err := rt.Store().Layers()
	if err != nil {
		t.Fatal(err)
	}
	i, err := rt.Store().Images()
	if err != nil {
		t.Fatal(err)
	}
	return len(l), len(i)
}

func TestPullListInspectTagRemove(t *testing.T) {
	enginetest.RequireRoot(t)
	rt := enginetest.NewTestRuntime(t)
	ctx := context.Background()
	ref := enginetest.BusyboxRef()
	enginetest.RequireRegistry(t)

	imgs, err := rt.Pull(ctx, ref, engine.PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 1 {
		t.Fatalf("pull returned %d images", len(imgs))
	}
	id := imgs[0].ID()

	list, err := rt.ListImages(ctx, engine.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != id || !slices.Contains(list[0].RepoTags, ref) {
		t.Fatalf("images = %+v, want %s named %s", list, id, ref)
	}
	if list[0].Size <= 0 || list[0].Labels["org.opencontainers.image.title"] != "busybox" || len(list[0].RepoDigests) == 0 {
		t.Errorf("summary lacks size, label or digests: %+v", list[0])
	}

	data, err := rt.InspectImage(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if data.ID != id || data.Os != "linux" || data.Architecture == "" || data.Size <= 0 ||
		!slices.Equal(data.Config.Cmd, []string{"sh"}) || data.Digest == "" || data.Created == nil {
		t.Errorf("inspect: %+v", data)
	}

	if err := rt.Tag(id, "mybox", "127.0.0.1:5000/other:v1"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"mybox", "localhost/mybox:latest", "127.0.0.1:5000/other:v1", id[:12], ref} {
		if ok, err := rt.ImageExists(name); err != nil || !ok {
			t.Errorf("ImageExists(%s) = %v, %v after tag", name, ok, err)
		}
	}
	if ok, _ := rt.ImageExists("127.0.0.1:5000/nope:latest"); ok {
		t.Error("a missing image exists")
	}
	if err := rt.Tag("127.0.0.1:5000/nope:latest", "x"); !errors.Is(err, engine.ErrNoSuchImage) {
		t.Errorf("tagging a missing image: %v, want ErrNoSuchImage", err)
	}

	// Removing one of several names only untags.
	rep, err := rt.RemoveImages(ctx, []string{"mybox"}, engine.RemoveOptions{})
	if err != nil || len(rep.Deleted) != 0 || len(rep.Untagged) != 1 {
		t.Fatalf("rmi mybox: %+v, %v", rep, err)
	}
	_, err = rt.RemoveImages(ctx, []string{"127.0.0.1:5000/nope:latest"}, engine.RemoveOptions{})
	if !errors.Is(err, engine.ErrNoSuchImage) {
		t.Errorf("rmi of a missing image: %v, want ErrNoSuchImage", err)
	}
	rep, err = rt.RemoveImages(ctx, nil, engine.RemoveOptions{All: true, Force: true})
	if err != nil || !slices.Contains(rep.Deleted, id) {
		t.Fatalf("rmi -a -f: %+v, %v", rep, err)
	}
	if l, i := storageCounts(t, rt); l != 0 || i != 0 {
		t.Errorf("after rmi -a: %d layers, %d images left", l, i)
	}
}

func TestPullMissingLeavesNothing(t *testing.T) {
	enginetest.RequireRoot(t)
	rt := enginetest.NewTestRuntime(t)
	addr := enginetest.RequireRegistry(t)
	enginetest.Busybox(t, rt)
	l0, i0 := storageCounts(t, rt)

	name := addr + "/nope:latest"
	_, err := rt.Pull(context.Background(), name, engine.PullOptions{})
	if err == nil {
		t.Fatal("pulling a missing image worked")
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") || !strings.Contains(msg, name) {
		t.Errorf("error is not one line naming the image: %q", msg)
	}
	if l, i := storageCounts(t, rt); l != l0 || i != i0 {
		t.Errorf("storage changed: layers %d -> %d, images %d -> %d", l0, l, i0, i)
	}
}

func TestPullUnreachableRegistry(t *testing.T) {
	enginetest.RequireRoot(t)
	rt := enginetest.NewTestRuntime(t)
	zero := uint(0)
	no := false
	start := time.Now()
	_, err := rt.Pull(context.Background(), "127.0.0.1:1/busybox:latest", engine.PullOptions{Retry: &zero, TLSVerify: &no})
	if err == nil {
		t.Fatal("pulling from a closed port worked")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s with --retry=0", d)
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, "127.0.0.1:1/busybox") {
		t.Errorf("error is not one line naming the image: %q", msg)
	}
}

// TLSVerify=true must override the registries.conf that allows plain HTTP.
func TestPullTLSVerifyHonoured(t *testing.T) {
	enginetest.RequireRoot(t)
	rt := enginetest.NewTestRuntime(t)
	enginetest.RequireRegistry(t)
	yes := true
	zero := uint(0)
	_, err := rt.Pull(context.Background(), enginetest.BusyboxRef(), engine.PullOptions{TLSVerify: &yes, Retry: &zero})
	if err == nil {
		t.Fatal("pulling over plain HTTP with TLS verification on worked")
	}
}

func TestBadNamesRejectedBeforeNetwork(t *testing.T) {
	rt := enginetest.NewTestRuntime(t)
	for _, name := range []string{"", "UPPER/case", "a b", "busybox:bad tag", "-x", "busybox@sha256:123",
		"127.0.0.1:5000/Busybox", "docker://", "oci-archive:", "busybox::latest", strings.Repeat("a", 300)} {
		start := time.Now()
		_, err := rt.Pull(context.Background(), name, engine.PullOptions{})
		if !errors.Is(err, engine.ErrInvalidImageName) {
			t.Errorf("Pull(%q) = %v, want ErrInvalidImageName", name, err)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("Pull(%q): error of several lines: %q", name, err)
		}
		if d := time.Since(start); d > 100*time.Millisecond {
			t.Errorf("Pull(%q) took %s: did it go to the network?", name, d)
		}
	}
	for _, name := range []string{"busybox", "127.0.0.1:5000/busybox:latest", "docker://quay.io/a/b:c",
		"oci-archive:/tmp/x.tar", "sha256:" + strings.Repeat("a", 64), strings.Repeat("b", 64)} {
		if err := engine.CheckImageName(name); err != nil {
			t.Errorf("CheckImageName(%q) = %v", name, err)
		}
	}
	if _, err := rt.Pull(context.Background(), "busybox", engine.PullOptions{Policy: "sometimes"}); err == nil {
		t.Error("pull policy sometimes accepted")
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	enginetest.RequireRoot(t)
	rt := enginetest.NewTestRuntime(t)
	ctx := context.Background()
	id := enginetest.Busybox(t, rt)
	ref := enginetest.BusyboxRef()
	for _, format := range []string{engine.FormatOCIArchive, engine.FormatDockerArchive} {
		t.Run(format, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "img.tar")
			if err := rt.Save(ctx, []string{ref}, format, path); err != nil {
				t.Fatal(err)
			}
			if _, err := rt.RemoveImages(ctx, []string{ref}, engine.RemoveOptions{Force: true}); err != nil {
				t.Fatal(err)
			}
			names, err := rt.Load(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			if len(names) == 0 {
				t.Fatal("load returned no image")
			}
			img, err := rt.LookupImage(ref)
			if err != nil {
				t.Fatalf("after load of %v: %v", names, err)
			}
			if img.ID() != id {
				t.Errorf("loaded ID %s, saved %s", img.ID(), id)
			}
		})
	}
	if err := rt.Save(ctx, []string{ref}, "tarball", filepath.Join(t.TempDir(), "x")); err == nil {
		t.Error("save format tarball accepted")
	}
	if err := rt.Save(ctx, []string{"127.0.0.1:5000/nope:latest"}, "", filepath.Join(t.TempDir(), "x")); !errors.Is(err, engine.ErrNoSuchImage) {
		t.Errorf("save of a missing image: %v", err)
	}
}

func TestLoadFixtureAndGarbage(t *testing.T) {
	enginetest.RequireRoot(t)
	rt := enginetest.NewTestRuntime(t)
	ctx := context.Background()
	archive := enginetest.RequireFile(t, "/var/tmp/berth-image/busybox.oci.tar")
	names, err := rt.Load(ctx, archive)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 1 {
		t.Fatalf("loaded %v", names)
	}
	if ok, _ := rt.ImageExists(names[0]); !ok {
		t.Errorf("loaded image %s does not exist", names[0])
	}
	l0, i0 := storageCounts(t, rt)
	junk := filepath.Join(t.TempDir(), "junk.tar")
	if err := os.WriteFile(junk, []byte("not an archive"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = rt.Load(ctx, junk)
	if err == nil || strings.Contains(err.Error(), "\n") {
		t.Errorf("loading junk: %q", err)
	}
	if l, i := storageCounts(t, rt); l != l0 || i != i0 {
		t.Errorf("storage changed after a failed load")
	}
}
