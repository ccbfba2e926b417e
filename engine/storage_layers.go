package engine

import (
	"errors"
	"path/filepath"

	"go.podman.io/storage"
	"go.podman.io/storage/pkg/lockfile"
)

// guardLayers runs fn, an operation that adds layers (pull, load), so that when it
// fails it leaves none of its own behind. The image library commits layers one by one
// as they arrive and, when a later step fails, deletes only the image record.
//
// Every such operation of every berth process holds <StateDir>/layers.lock shared.
// After a failure, the layers that did not exist before, that no image or container
// uses, are deleted, but only if the lock can be taken exclusively at once: a layer
// that another berth pull is still building looks the same as a leftover, and must
// not be touched. Otherwise the leftovers stay; a later pull reuses them.
func (r *Runtime) guardLayers(fn func() error) error {
	lock, err := lockfile.GetLockFile(filepath.Join(r.StateDir(), "layers.lock"))
	if err != nil {
		return err
	}
	before, err := r.layerIDs()
	if err != nil {
		return err
	}
	lock.RLock()
	err = fn()
	lock.Unlock()
	if err == nil {
		return nil
	}
	if lerr := lock.TryLock(); lerr != nil {
		r.log.Debug("another pull is running: leaving layers of the failed one for later", "error", lerr)
		return err
	}
	defer lock.Unlock()
	if cerr := r.removeNewUnusedLayers(before); cerr != nil {
		r.log.Warn("removing layers of a failed pull", "error", cerr)
	}
	return err
}

func (r *Runtime) layerIDs() (map[string]bool, error) {
	layers, err := r.store.Layers()
	if err != nil {
		return nil, err
	}
	ids := make(map[string]bool, len(layers))
	for _, l := range layers {
		ids[l.ID] = true
	}
	return ids, nil
}

// removeNewUnusedLayers deletes the layers not in before that no image or container
// uses, directly or as a parent, children first.
func (r *Runtime) removeNewUnusedLayers(before map[string]bool) error {
	snap, err := r.store.MultiList(storage.MultiListOptions{Layers: true, Images: true, Containers: true})
	if err != nil {
		return err
	}
	parent := make(map[string]string, len(snap.Layers))
	for _, l := range snap.Layers {
		parent[l.ID] = l.Parent
	}
	used := make(map[string]bool)
	markUsed := func(id string) {
		for id != "" && !used[id] {
			used[id] = true
			id = parent[id]
		}
	}
	for _, img := range snap.Images {
		markUsed(img.TopLayer)
		for _, id := range img.MappedTopLayers {
			markUsed(id)
		}
	}
	for _, c := range snap.Containers {
		markUsed(c.LayerID)
	}
	left := make(map[string]bool)
	for _, l := range snap.Layers {
		if !before[l.ID] && !used[l.ID] {
			left[l.ID] = true
		}
	}
	// Delete leaves first: a layer with children cannot go.
	var errs []error
	for len(left) > 0 {
		hasChild := make(map[string]bool)
		for id := range left {
			hasChild[parent[id]] = true
		}
		progress := false
		for id := range left {
			if hasChild[id] {
				continue
			}
			delete(left, id)
			progress = true
			if err := r.store.DeleteLayer(id); err != nil && !errors.Is(err, storage.ErrLayerUnknown) {
				errs = append(errs, err)
				continue
			}
			r.log.Debug("removed a layer left by a failed pull", "layer", id)
		}
		if !progress {
			break
		}
	}
	return errors.Join(errs...)
}
