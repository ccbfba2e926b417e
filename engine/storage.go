package engine

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"go.podman.io/storage"
	graphdriver "go.podman.io/storage/drivers"
	"go.podman.io/storage/pkg/lockfile"
	"go.podman.io/storage/types"
	"golang.org/x/sys/unix"
)

// storeOptions merges storage.conf (and its STORAGE_DRIVER/STORAGE_OPTS environment)
// with the global flags, the way podman does: a driver named on the command line drops
// the driver options storage.conf had for its own driver.
func storeOptions(o Options) (types.StoreOptions, error) {
	so, err := storage.DefaultStoreOptions()
	if err != nil {
		return so, fmt.Errorf("reading storage.conf: %w", err)
	}
	if o.Root != "" {
		so.GraphRoot = o.Root
	}
	if o.RunRoot != "" {
		so.RunRoot = o.RunRoot
	}
	if o.StorageDriver != "" {
		so.GraphDriverName = o.StorageDriver
		so.GraphDriverOptions = nil
	}
	if o.StorageOpts != nil {
		so.GraphDriverOptions = o.StorageOpts
	}
	for _, p := range []*string{&so.GraphRoot, &so.RunRoot} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return so, err
		}
		*p = abs
	}
	return so, nil
}

// openStore opens the image and container storage. Unless the driver was named on the
// command line, it keeps the driver a graph root already holds, prefers overlay, and
// falls back to vfs where the kernel or the backing file system cannot do overlay
// (say, a graph root that is itself on overlayfs): slower and bigger, but it works.
func openStore(so types.StoreOptions, explicit bool, log *slog.Logger) (storage.Store, error) {
	fallback := false
	if !explicit {
		if prior := priorDriver(so.GraphRoot, so.GraphDriverName); prior != "" {
			log.Debug("storage: using the driver whose layers the graph root already holds",
				"driver", prior, "configured", so.GraphDriverName, "root", so.GraphRoot)
			so.GraphDriverName = prior
		}
		if so.GraphDriverName == "" {
			so.GraphDriverName = "overlay"
		}
		fallback = so.GraphDriverName == "overlay" || so.GraphDriverName == "overlay2"
	}
	store, err := storage.GetStore(so)
	if err == nil {
		if store.GraphDriverName() == "overlay" {
			sweepOverlayProbes(store.GraphRoot(), log)
		}
		log.Debug("storage: opened", "driver", store.GraphDriverName(), "root", so.GraphRoot,
			"runroot", so.RunRoot, "explicit", explicit)
		return store, nil
	}
	if !fallback || !driverUnusable(err) {
		return nil, fmt.Errorf("opening storage at %s with driver %s: %w", so.GraphRoot, so.GraphDriverName, err)
	}
	log.Debug("storage: overlay cannot work here, falling back to vfs (every layer is a full copy)",
		"root", so.GraphRoot, "reason", err)
	so.GraphDriverName = "vfs"
	so.GraphDriverOptions = driverOnly(so.GraphDriverOptions, "vfs")
	store, err2 := storage.GetStore(so)
	if err2 != nil {
		return nil, fmt.Errorf("opening storage at %s: overlay: %w; vfs: %w", so.GraphRoot, err, err2)
	}
	log.Debug("storage: opened", "driver", store.GraphDriverName(), "root", so.GraphRoot, "runroot", so.RunRoot)
	return store, nil
}

// driverUnusable tells a driver that cannot work on this kernel or file system from
// other failures (permissions, locks), which vfs would not fix either.
func driverUnusable(err error) bool {
	return errors.Is(err, graphdriver.ErrNotSupported) || errors.Is(err, graphdriver.ErrPrerequisites) ||
		errors.Is(err, graphdriver.ErrIncompatibleFS)
}

// priorDriver returns the driver whose layers the graph root already holds when it is
// not the configured one and no layers of the configured one exist: opening the other
// driver would hide every image stored so far.
func priorDriver(root, configured string) string {
	has := func(d string) bool {
		_, err := os.Stat(filepath.Join(root, d+"-layers"))
		return err == nil
	}
	if configured == "overlay2" {
		configured = "overlay"
	}
	if configured != "" && has(configured) {
		return ""
	}
	for _, d := range []string{"overlay", "vfs"} {
		if d != configured && has(d) {
			return d
		}
	}
	return ""
}

// driverOnly keeps the options meant for driver d ("vfs.xxx=..."): vfs rejects options
// of other drivers.
func driverOnly(opts []string, d string) []string {
	var out []string
	for _, o := range opts {
		if strings.HasPrefix(o, d+".") {
			out = append(out, o)
		}
	}
	return out
}

// sweepOverlayProbes removes what a killed process left of the overlay driver's
// feature probes: they mount test overlays in <root>/overlay/compat<random> (and
// metacopy-check, opaque-bug-check, volatile-check folders) and remove them when done, so a kill -9 during the probe leaves the folder (and maybe the mount)
// behind for good, and the storage's own check reports it. The driver probes while
// holding the graph lock, so holding it here means no probe is under way.
func sweepOverlayProbes(root string, log *slog.Logger) {
	var probes []string
	for _, prefix := range []string{"compat", "metacopy-check", "opaque-bug-check", "volatile-check"} {
		found, _ := filepath.Glob(filepath.Join(root, "overlay", prefix+"*"))
		probes = append(probes, found...)
	}
	if len(probes) == 0 {
		return
	}
	lock, err := lockfile.GetLockFile(filepath.Join(root, "storage.lock"))
	if err != nil {
		return
	}
	lock.Lock()
	defer lock.Unlock()
	for _, p := range probes {
		_ = unix.Unmount(filepath.Join(p, "merged"), unix.MNT_DETACH)
		if err := os.RemoveAll(p); err != nil {
			log.Debug("storage: removing a leftover overlay probe", "path", p, "error", err)
			continue
		}
		log.Debug("storage: removed an overlay probe left by a killed process", "path", p)
	}
}

// repairOrphanLayers removes layers that the storage driver holds but the layer store
// does not know: what a process killed while creating (or removing) a container's
// layer leaves behind. storage checks under its own locks, so a layer that another
// process is creating right now is never among them. Anything else the check finds
// (damaged images or containers) is left alone: repairing those is the user's call.
func (r *Runtime) repairOrphanLayers() {
	report, err := r.store.Check(&storage.CheckOptions{})
	if err != nil {
		r.log.Debug("storage: check after an interrupted operation failed", "error", err)
		return
	}
	if len(report.Layers) == 0 || len(report.Images) > 0 || len(report.Containers) > 0 || len(report.ROLayers) > 0 {
		return
	}
	for id, errs := range report.Layers {
		for _, e := range errs {
			if !errors.Is(e, storage.ErrLayerUnaccounted) {
				r.log.Debug("storage: not repairing automatically", "layer", id, "error", e)
				return
			}
		}
	}
	for _, err := range r.store.Repair(report, &storage.RepairOptions{}) {
		r.log.Debug("storage: removing an orphaned layer", "error", err)
	}
	r.log.Debug("storage: removed layers left by an interrupted operation", "count", len(report.Layers))
}
