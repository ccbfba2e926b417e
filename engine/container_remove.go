package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/berth-containers/berth/engine/lock"
	"github.com/berth-containers/berth/engine/oci"
)

// RemoveContainerOptions are podman rm's.
type RemoveContainerOptions struct {
	// Force stops a running container first.
	Force bool
	// Volumes removes the container's anonymous volumes (-v /dest), as --rm does;
	// named volumes and their data always stay.
	Volumes bool
	// Ignore makes a missing container no error.
	Ignore bool
	// Timeout is the stop timeout for Force (--time); nil means the container's.
	Timeout *uint
}

// RemoveContainer removes a container: its runtime state, mount, storage, record,
// bundle and --cidfile. A running one needs Force, which stops it first. A missing
// one is ErrNoSuchContainer, or nothing with Ignore. When two processes remove the
// same container at once, one removes it and the other finds it missing.
func (r *Runtime) RemoveContainer(ctx context.Context, ref string, o RemoveContainerOptions) error {
	h, err := r.lockContainer(ctx, ref)
	if err != nil {
		if o.Ignore && errors.Is(err, ErrNoSuchContainer) {
			return nil
		}
		return err
	}
	defer h.release()
	if err := r.checkInfraRemoval(h.c); err != nil {
		return err
	}
	if err := r.syncLocked(ctx, h); err != nil {
		return err
	}
	if h.c.Running() {
		if !o.Force {
			return fmt.Errorf("cannot remove container %s as it is running; stop it first or use --force: %w",
				shortID(h.c.ID), ErrInvalidState)
		}
		if err := r.stopLocked(ctx, h, o.Timeout); err != nil {
			return err
		}
	}
	c := h.c
	if err := r.removeLocked(ctx, h); err != nil {
		return err
	}
	if o.Volumes {
		r.removeAnonymousVolumes(c)
	}
	return nil
}

// RemoveAllContainers removes every container (rm -a); errors are joined, each
// naming its container.
func (r *Runtime) RemoveAllContainers(ctx context.Context, o RemoveContainerOptions) ([]string, error) {
	list, err := r.ListContainers()
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	o.Ignore = true // one removed by someone else meanwhile is fine
	for _, c := range list {
		if c.Config.PodInfra {
			continue // goes with its pod
		}
		if err := r.RemoveContainer(ctx, c.ID, o); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, c.ID)
	}
	return removed, errors.Join(errs...)
}

// removeLocked removes the held container, whatever its state says (a running one
// must have been stopped). Each step tolerates what an interrupted earlier removal
// already did, so that removing again after a kill -9 always completes.
func (r *Runtime) removeLocked(ctx context.Context, h *held) error {
	c := h.c
	if c.State.Status != StatusExited {
		// A create or start that was interrupted may have left the runtime's state
		// without the record knowing.
		c.State.OCICreated = true
	}
	deleteStorage := func() error {
		// Deleting the storage container unmounts its layer too.
		if err := r.store.DeleteContainer(c.ID); err != nil && !isUnknownContainer(err) {
			return fmt.Errorf("removing the storage of container %s: %w", shortID(c.ID), err)
		}
		return nil
	}
	if err := r.cleanupAlong(ctx, c, deleteStorage); err != nil {
		return err
	}
	// A berth killed while storage created or deleted a layer can leave the layer's
	// folder without its record; every removal sweeps such leftovers (a quick check).
	r.repairOrphanLayers()
	if err := h.coll.Remove(c.ID); err != nil {
		return fmt.Errorf("removing container %s: %w", shortID(c.ID), err)
	}
	h.c = nil // release removes the lock file too
	if c.Config.AutoRemove {
		r.removeAnonymousVolumes(c) // --rm takes them along, as podman's
	}
	if f := c.Config.CIDFile; f != "" {
		if data, err := os.ReadFile(f); err == nil && strings.TrimSpace(string(data)) == c.ID {
			_ = os.Remove(f)
		}
	}
	r.pruneLeftovers()
	return nil
}

// cleanupLocked releases what a container holds while it runs or after it ran: the
// runtime's state of it, its network (container_netns.go), and the mount of its root
// file system. It changes neither its status nor the stored record: the caller saves
// or removes it.
func (r *Runtime) cleanupLocked(ctx context.Context, c *Container) error {
	return r.cleanupAlong(ctx, c, nil)
}

// cleanupAlong is cleanupLocked followed by along (when not nil). When the container's
// process has ended, the OCI runtime's delete (a process of its own: ~10 ms with
// runc, on the path of every `run --rm`) runs while the rest is done: it only drops
// the runtime's state and cgroups, which nothing else here touches. A container that
// was created but never ran is deleted first, as its init still holds the root file
// system. A failed runtime delete fails the whole, so the caller keeps the record and
// a later cleanup or rm tries again; every step tolerates what was done already.
func (r *Runtime) cleanupAlong(ctx context.Context, c *Container, along func() error) error {
	rest := func() error {
		// netavark's teardown (a process of its own, slow when it deletes a bridge)
		// and the root file system's release are independent too.
		released := make(chan error, 1)
		go func() { released <- r.releaseNetwork(c) }()
		r.stopHealthTimer(ctx, c) // health_timer.go
		err := r.releaseRootfs(c)
		r.releaseVolumes(c) // unmounts the file systems it was the last user of
		if err == nil && along != nil {
			err = along()
		}
		return errors.Join(<-released, err)
	}
	if !c.State.OCICreated {
		return rest()
	}
	deleted := make(chan error, 1)
	deleteState := func() { deleted <- r.ociRuntime(c).Delete(ctx, c.ID, true) }
	var err error
	if c.State.Status == StatusExited {
		go deleteState()
		err = rest()
	} else {
		deleteState()
	}
	if derr := <-deleted; derr != nil {
		return errors.Join(fmt.Errorf("deleting container %s from the OCI runtime: %w", shortID(c.ID), derr), err)
	}
	c.State.OCICreated = false
	if c.State.Status == StatusExited {
		return err
	}
	return rest()
}

// syncLocked brings a running container's record up to date: if conmon recorded an
// exit code (or died without one), the container has exited. The cleanup that conmon
// runs normally does this; it may not have run yet, or may have been killed.
func (r *Runtime) syncLocked(ctx context.Context, h *held) error {
	c := h.c
	if !c.Running() {
		return nil
	}
	code, err := oci.ExitCode(r.exitDir(), c.ID)
	switch {
	case err == nil:
	case !errors.Is(err, os.ErrNotExist):
		return err
	case oci.ConmonAlive(c.State.ConmonPid):
		return nil
	default:
		// A last look: conmon writes the file just before it exits.
		if code, err = oci.ExitCode(r.exitDir(), c.ID); err != nil {
			code = exitUnknown
		}
	}
	r.recordExit(c, code)
	return h.save()
}

// CleanupContainer is what conmon's exit command (`container cleanup`) does when a
// container's process ends: record its exit code, release its runtime state and
// mount, and remove it if remove or --rm. A container already removed is no error;
// one that still runs is left alone (a stale exit command of an earlier run).
func (r *Runtime) CleanupContainer(ctx context.Context, ref string, remove bool) error {
	h, err := r.lockContainer(ctx, ref)
	if errors.Is(err, ErrNoSuchContainer) {
		return nil
	}
	if err != nil {
		return err
	}
	defer h.release()
	if err := r.syncLocked(ctx, h); err != nil {
		return err
	}
	if h.c.Running() {
		return nil
	}
	if remove || h.c.Config.AutoRemove {
		return r.removeLocked(ctx, h)
	}
	if err := r.cleanupLocked(ctx, h.c); err != nil {
		return err
	}
	return h.save()
}

// removeImageContainers removes every container of an image, running or not, and
// storage containers on it that have no record (left by an interrupted create):
// rmi --force does it.
func (r *Runtime) removeImageContainers(imageID string) error {
	ctx := context.Background()
	// Its image volumes first (with their containers): their storage is the image's.
	if err := r.removeImageVolumes(ctx, imageID); err != nil {
		return err
	}
	list, err := r.ListContainers()
	if err != nil {
		return err
	}
	var errs []error
	known := map[string]bool{}
	for _, c := range list {
		known[c.ID] = true
		if c.ImageID == imageID {
			errs = append(errs, r.RemoveContainer(ctx, c.ID, RemoveContainerOptions{Force: true, Ignore: true}))
		}
	}
	ctrs, err := r.store.Containers()
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, sc := range ctrs {
		if sc.ImageID == imageID && !known[sc.ID] {
			if _, err := r.LookupContainer(sc.ID); errors.Is(err, ErrNoSuchContainer) {
				_, _ = r.store.Unmount(sc.ID, true)
				if err := r.store.DeleteContainer(sc.ID); err != nil && !isUnknownContainer(err) {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// exitFileTTL is how long the exit code of a removed container stays readable.
const exitFileTTL = 5 * time.Minute

// leftoverAge is how old a lock file must be before a prune looks at it: a create
// takes the lock of its new ID before the record exists.
const leftoverAge = time.Minute

// pruneLeftovers removes what removed containers leave on purpose or by accident: exit
// files older than exitFileTTL, and lock files of IDs that have no record (a create
// killed before it stored one). A lock file is removed only if nobody holds it.
func (r *Runtime) pruneLeftovers() {
	now := time.Now()
	var exits, locks []string
	old := func(dir, pattern string, age time.Duration) []string {
		var out []string
		matches, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, m := range matches {
			if fi, err := os.Stat(m); err == nil && now.Sub(fi.ModTime()) > age {
				out = append(out, m)
			}
		}
		return out
	}
	exits = old(r.exitDir(), "*", exitFileTTL)
	ldir, err := r.locks()
	if err == nil {
		locks = old(ldir.Path(), "container-*.lock", leftoverAge)
	}
	if len(exits)+len(locks) == 0 {
		return
	}
	list, err := r.ListContainers()
	if err != nil {
		return
	}
	known := make(map[string]bool, len(list))
	for _, c := range list {
		known[c.ID] = true
	}
	for _, f := range exits {
		if !known[filepath.Base(f)] {
			_ = os.Remove(f)
		}
	}
	for _, f := range locks {
		id := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "container-"), ".lock")
		if known[id] {
			continue
		}
		if l, err := ldir.TryLock("container", id, lock.Exclusive); err == nil {
			if _, err := r.LookupContainer(id); errors.Is(err, ErrNoSuchContainer) {
				_ = l.Remove()
			} else {
				_ = l.Unlock()
			}
		}
	}
}
