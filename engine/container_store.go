package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/berth-containers/berth/engine/lock"
	"github.com/berth-containers/berth/engine/state"
)

// lockTimeout bounds the wait for a container's lock: a stop holds it for the
// container's stop timeout, so this must be longer than any sane one.
const lockTimeout = 10 * time.Minute

// containers is the container collection of berth's state store. The store holds no
// file open between operations, so opening it per call costs a stat.
func (r *Runtime) containers() (*state.Collection[*Container], error) {
	s, err := state.Open(filepath.Join(r.StateDir(), "state.db"), 0)
	if err != nil {
		return nil, err
	}
	return state.Of[*Container](s, containerSpec), nil
}

// locks is the folder of per-object locks, under the run root (gone at reboot, with
// every lock it held).
func (r *Runtime) locks() (*lock.Dir, error) {
	return lock.NewDir(filepath.Join(r.RunDir(), "locks"))
}

// containerError turns the state store's lookup errors into the engine's, with
// podman's wording.
func containerError(ref string, err error) error {
	switch {
	case errors.Is(err, state.ErrNotFound):
		return fmt.Errorf("no container with name or ID %q found: %w", ref, ErrNoSuchContainer)
	case errors.Is(err, state.ErrNameInUse):
		return kindError{err, ErrNameInUse}
	}
	return err
}

// LookupContainer finds a container by full ID, name, or unique ID prefix. The record
// is a snapshot: the state of a container that exited on its own is brought up to
// date only by the commands that act on it (or by Sync).
func (r *Runtime) LookupContainer(ref string) (*Container, error) {
	coll, err := r.containers()
	if err != nil {
		return nil, err
	}
	c, err := coll.Get(ref)
	if err != nil {
		return nil, containerError(ref, err)
	}
	return c, nil
}

// ContainerExists reports whether a container has this name, ID or ID prefix.
func (r *Runtime) ContainerExists(ref string) (bool, error) {
	_, err := r.LookupContainer(ref)
	if errors.Is(err, ErrNoSuchContainer) {
		return false, nil
	}
	return err == nil, err
}

// ListContainers returns every container's record, in ID order.
func (r *Runtime) ListContainers() ([]*Container, error) {
	coll, err := r.containers()
	if err != nil {
		return nil, err
	}
	return coll.List(nil)
}

// held is a container whose lock this process holds, with its current record.
type held struct {
	r    *Runtime
	coll *state.Collection[*Container]
	lock *lock.Lock
	c    *Container
}

// lockContainer resolves ref, takes the container's lock and reads its record again
// under it (another process may have changed or removed it while we waited). The
// caller must call release.
func (r *Runtime) lockContainer(ctx context.Context, ref string) (*held, error) {
	coll, err := r.containers()
	if err != nil {
		return nil, err
	}
	c, err := coll.Get(ref)
	if err != nil {
		return nil, containerError(ref, err)
	}
	h, err := r.lockID(ctx, coll, c.ID)
	if err != nil {
		return nil, err
	}
	if h.c == nil {
		h.release()
		return nil, containerError(ref, state.ErrNotFound)
	}
	return h, nil
}

// lockID takes the lock of the container with this full ID; h.c is nil when no
// record has it (any more).
func (r *Runtime) lockID(ctx context.Context, coll *state.Collection[*Container], id string) (*held, error) {
	dir, err := r.locks()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, lockTimeout)
	defer cancel()
	l, err := dir.Lock(ctx, "container", id, lock.Exclusive)
	if err != nil {
		return nil, fmt.Errorf("locking container %s: %w", shortID(id), err)
	}
	h := &held{r: r, coll: coll, lock: l}
	c, err := coll.Get(id)
	switch {
	case errors.Is(err, state.ErrNotFound):
	case err != nil:
		h.release()
		return nil, err
	case c.ID == id:
		h.c = c
	}
	return h, nil
}

// save writes the record back (the ID must not change).
func (h *held) save() error {
	c := h.c
	return h.coll.Update(c.ID, func(stored *Container) error {
		*stored = *c
		return nil
	})
}

// release unlocks; after the container was removed, the lock file goes too.
func (h *held) release() {
	if h.lock == nil {
		return
	}
	if h.c == nil {
		_ = h.lock.Remove()
	} else {
		_ = h.lock.Unlock()
	}
	h.lock = nil
}

// shortID is how podman shows container IDs in messages.
func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
