package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/berth-containers/berth/engine"
	"github.com/berth-containers/berth/engine/enginetest"
)

// A graph root on overlayfs cannot hold an overlay store: the engine falls back to
// vfs, keeps vfs for that root afterwards, and refuses overlay when it is asked for.
func TestStorageFallsBackToVFS(t *testing.T) {
	enginetest.RequireRoot(t)
	o := enginetest.Options(t, enginetest.Config{})
	base := filepath.Dir(o.Root)
	for _, d := range []string{"lower", "upper", "work", "merged"} {
		if err := os.MkdirAll(filepath.Join(base, "ovl", d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	ovl := filepath.Join(base, "ovl")
	data := "lowerdir=" + ovl + "/lower,upperdir=" + ovl + "/upper,workdir=" + ovl + "/work"
	if err := unix.Mount("overlay", ovl+"/merged", "overlay", 0, data); err != nil {
		enginetest.Missing(t, "cannot mount overlayfs: %v", err)
	}
	t.Cleanup(func() { _ = unix.Unmount(ovl+"/merged", unix.MNT_DETACH) })
	o.Root = ovl + "/merged/root"
	o.StorageDriver = ""

	open := func(driver string) (*engine.Runtime, error) {
		o := o
		o.StorageDriver = driver
		return engine.New(context.Background(), o)
	}
	rt, err := open("")
	if err != nil {
		t.Fatal(err)
	}
	if d := rt.Store().GraphDriverName(); d != "vfs" {
		t.Errorf("driver on overlayfs = %s, want vfs", d)
	}
	if _, err := rt.Store().CreateLayer("", "", nil, "", true, nil); err != nil {
		t.Fatal(err)
	}
	if err := rt.Shutdown(true); err != nil {
		t.Fatal(err)
	}
	rt, err = open("")
	if err != nil {
		t.Fatal(err)
	}
	if d := rt.Store().GraphDriverName(); d != "vfs" {
		t.Errorf("reopened with driver %s, want vfs", d)
	}
	rt.Shutdown(true)
	if rt, err := open("overlay"); err == nil {
		rt.Shutdown(true)
		t.Error("--storage-driver=overlay on overlayfs worked")
	}
}

// A probe folder that a killed process left in the overlay home is swept on open.
func TestStorageSweepsOverlayProbes(t *testing.T) {
	enginetest.RequireRoot(t)
	o := enginetest.Options(t, enginetest.Config{Driver: "overlay"})
	rt, err := engine.New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	rt.Shutdown(true)
	probe := filepath.Join(o.Root, "overlay", "compat123456")
	if err := os.MkdirAll(filepath.Join(probe, "merged"), 0o700); err != nil {
		t.Fatal(err)
	}
	rt, err = engine.New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Shutdown(true)
	if _, err := os.Stat(probe); !os.IsNotExist(err) {
		t.Errorf("probe folder still there: %v", err)
	}
}
