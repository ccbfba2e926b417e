package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/berth-containers/berth/engine/lock"
)

// volumeUsers returns the IDs of the containers that mount the volume, in ID order.
func (r *Runtime) volumeUsers(name string) ([]string, error) {
	list, err := r.ListContainers()
	if err != nil {
		return nil, err
	}
	data := r.VolumeMountpoint(name)
	var ids []string
	for _, c := range list {
		if slices.Contains(volumeSources(&c.Config), data) {
			ids = append(ids, c.ID)
		}
	}
	return ids, nil
}

// RemoveVolume removes a volume and its data. A volume that containers use is
// refused with ErrVolumeInUse, unless force, which removes those containers first
// (stopping them), as podman volume rm -f does.
func (r *Runtime) RemoveVolume(ctx context.Context, name string, force bool) error {
	l, err := r.lockVolume(ctx, name)
	if err != nil {
		return err
	}
	return r.removeVolumeLocked(ctx, l, name, force, false)
}

// removeVolumeLocked removes the volume whose lock l is; it releases l. With
// onlyAnonymous, a named volume stays.
func (r *Runtime) removeVolumeLocked(ctx context.Context, l *lock.Lock, name string, force, onlyAnonymous bool) error {
	fail := func(err error) error {
		_ = l.Unlock()
		return err
	}
	coll, err := r.volumes()
	if err != nil {
		return fail(err)
	}
	v, err := getVolume(coll, name)
	if err != nil {
		return fail(err)
	}
	if onlyAnonymous && !v.Anonymous {
		return fail(nil)
	}
	users, err := r.volumeUsers(name)
	if err != nil {
		return fail(err)
	}
	if len(users) > 0 && !force {
		short := make([]string, len(users))
		for i, id := range users {
			short[i] = shortID(id)
		}
		return fail(fmt.Errorf("volume %s is being used by the following container(s): %s; remove them or use --force: %w",
			name, strings.Join(short, ", "), ErrVolumeInUse))
	}
	for _, id := range users {
		if err := r.RemoveContainer(ctx, id, RemoveContainerOptions{Force: true, Ignore: true}); err != nil {
			return fail(fmt.Errorf("removing volume %s: %w", name, err))
		}
	}
	// Nothing may stay mounted on the folder that is deleted below: that would delete
	// the mount's content (a bind's host folder). The mount's lock is held until the
	// folder is gone, so that no volume mount comes in between.
	ml, err := r.lockVolumeMount(ctx, name)
	if err != nil {
		return fail(err)
	}
	if err := r.unmountForRemoval(v); err != nil {
		_ = ml.Unlock()
		return fail(fmt.Errorf("removing volume %s: %w", name, err))
	}
	// The record goes first: a folder (or image storage) left by a failure below is
	// reused by the next create of the name, never a record without its folder.
	if err := coll.Remove(name); err != nil {
		_ = ml.Unlock()
		return fail(fmt.Errorf("removing volume %s: %w", name, err))
	}
	var errStorage error
	if v.StorageID != "" {
		errStorage = r.deleteVolumeStorage(v.StorageID)
	}
	errData := os.RemoveAll(filepath.Dir(r.VolumeMountpoint(name)))
	if errData != nil {
		errData = fmt.Errorf("removing the data of volume %s: %w", name, errData)
	}
	return errors.Join(errStorage, errData, ml.Remove(), l.Remove())
}

// removeAnonymousVolumes removes the anonymous volumes of a container that was just
// removed (rm -v, --rm), as podman does. The caller may hold the container's lock,
// so volume locks are only tried (never waited for, which could deadlock with a
// volume rm -f waiting for the container): a busy volume, or one another container
// uses, stays for volume prune. Failures are logged, not returned: the container is
// gone either way.
func (r *Runtime) removeAnonymousVolumes(c *Container) {
	dir, err := r.locks()
	if err != nil {
		return
	}
	for _, name := range r.volumeNamesOf(&c.Config) {
		if v, err := r.LookupVolume(name); err != nil || !v.Anonymous {
			continue
		}
		l, err := dir.TryLock("volume", name, lock.Exclusive)
		if err != nil {
			// Held by a volume rm (which removes it anyway) or a create that uses it.
			r.log.Debug("anonymous volume left: it is busy", "volume", name, "container", shortID(c.ID))
			continue
		}
		err = r.removeVolumeLocked(context.Background(), l, name, false, true)
		if err != nil && !errors.Is(err, ErrNoSuchVolume) && !errors.Is(err, ErrVolumeInUse) {
			r.log.Warn("anonymous volume left", "volume", name, "container", shortID(c.ID), "error", err)
		}
	}
}

// volumeNamesOf returns the names of the volumes a container's mounts use.
func (r *Runtime) volumeNamesOf(c *ContainerConfig) []string {
	var names []string
	for _, src := range volumeSources(c) {
		if filepath.Base(src) != "_data" || filepath.Dir(filepath.Dir(src)) != r.volumesDir() {
			continue
		}
		names = append(names, filepath.Base(filepath.Dir(src)))
	}
	return names
}

// VolumeFilter is one --filter KEY=VALUE of volume ls and prune.
type VolumeFilter struct{ Key, Value string }

// ParseVolumeFilters reads --filter values: name (a regular expression), label
// (KEY or KEY=VALUE), label! (the negation), driver, dangling (true: unused).
func ParseVolumeFilters(in []string) ([]VolumeFilter, error) {
	var out []VolumeFilter
	for _, f := range in {
		k, v, ok := strings.Cut(f, "=")
		switch {
		case !ok:
			return nil, fmt.Errorf("--filter %q: want KEY=VALUE", f)
		case k == "name":
			if _, err := regexp.Compile(v); err != nil {
				return nil, fmt.Errorf("--filter %q: %w", f, err)
			}
		case k == "label", k == "label!", k == "driver", k == "until":
		case k == "dangling":
			if v != "true" && v != "false" {
				return nil, fmt.Errorf("--filter %q: dangling takes true or false", f)
			}
		default:
			return nil, fmt.Errorf("--filter %q: unknown filter (use name, label, label!, driver, dangling)", f)
		}
		out = append(out, VolumeFilter{k, v})
	}
	return out, nil
}

// match applies the filters: different keys must all match, values of one key any.
func (r *Runtime) volumeMatches(v *Volume, filters []VolumeFilter) (bool, error) {
	byKey := map[string][]string{}
	for _, f := range filters {
		byKey[f.Key] = append(byKey[f.Key], f.Value)
	}
	for key, values := range byKey {
		ok := false
		for _, val := range values {
			m, err := r.volumeMatch(v, key, val)
			if err != nil {
				return false, err
			}
			ok = ok || m
		}
		if key == "label!" {
			// label! excludes a volume that has any of the labels.
			ok = true
			for _, val := range values {
				if m, _ := r.volumeMatch(v, "label", val); m {
					ok = false
				}
			}
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

func (r *Runtime) volumeMatch(v *Volume, key, val string) (bool, error) {
	switch key {
	case "name":
		return regexp.MatchString(val, v.Name)
	case "label", "label!":
		lk, lv, hasValue := strings.Cut(val, "=")
		have, ok := v.Labels[lk]
		return ok && (!hasValue || have == lv), nil
	case "driver":
		return v.Driver == val, nil
	case "until":
		t, err := time.Parse(time.RFC3339, val)
		if err != nil {
			return false, fmt.Errorf("--filter until=%s: want an RFC 3339 time", val)
		}
		return v.CreatedAt.Before(t), nil
	case "dangling":
		users, err := r.volumeUsers(v.Name)
		return (len(users) == 0) == (val == "true"), err
	}
	return false, nil
}

// ListVolumes returns the volumes that match every filter, in name order.
func (r *Runtime) ListVolumes(filters []VolumeFilter) ([]*Volume, error) {
	coll, err := r.volumes()
	if err != nil {
		return nil, err
	}
	all, err := coll.List(nil)
	if err != nil {
		return nil, err
	}
	var out []*Volume
	for _, v := range all {
		ok, err := r.volumeMatches(v, filters)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, v)
		}
	}
	return out, nil
}

// PruneVolumes removes the volumes that no container uses (and that match the
// filters); it returns their names. Errors are joined, each naming its volume.
func (r *Runtime) PruneVolumes(ctx context.Context, filters []VolumeFilter) ([]string, error) {
	list, err := r.ListVolumes(filters)
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, v := range list {
		// Without force, a volume that a container started using meanwhile stays.
		err := r.RemoveVolume(ctx, v.Name, false)
		switch {
		case err == nil:
			removed = append(removed, v.Name)
		case errors.Is(err, ErrVolumeInUse), errors.Is(err, ErrNoSuchVolume):
		default:
			errs = append(errs, err)
		}
	}
	return removed, errors.Join(errs...)
}

// VolumeInspect is podman's volume inspect output.
type VolumeInspect struct {
	Name        string            `json:"Name"`
	Driver      string            `json:"Driver"`
	Mountpoint  string            `json:"Mountpoint"`
	CreatedAt   time.Time         `json:"CreatedAt"`
	Labels      map[string]string `json:"Labels"`
	Scope       string            `json:"Scope"`
	Options     map[string]string `json:"Options"`
	UID         int               `json:"UID,omitempty"`
	GID         int               `json:"GID,omitempty"`
	Anonymous   bool              `json:"Anonymous,omitempty"`
	MountCount  uint              `json:"MountCount"`
	NeedsCopyUp bool              `json:"NeedsCopyUp,omitempty"`
	NeedsChown  bool              `json:"NeedsChown,omitempty"`
	StorageID   string            `json:"StorageID,omitempty"` // the image driver's storage container
}

// InspectVolume describes a volume as podman volume inspect does.
func (r *Runtime) InspectVolume(name string) (*VolumeInspect, error) {
	v, err := r.LookupVolume(name)
	if err != nil {
		return nil, err
	}
	return r.volumeInspect(v), nil
}

// volumeInspect describes a volume record. MountCount is the number of users of its
// file system (containers, volume mounts); always 0 for a plain folder, which is
// never mounted, only bind-mounted.
func (r *Runtime) volumeInspect(v *Volume) *VolumeInspect {
	vi := &VolumeInspect{
		Name: v.Name, Driver: v.Driver, Mountpoint: r.VolumeMountpoint(v.Name), CreatedAt: v.CreatedAt,
		Labels: v.Labels, Scope: "local", Options: v.Options, UID: v.UID, GID: v.GID,
		Anonymous: v.Anonymous, NeedsCopyUp: v.NeedsCopyUp, NeedsChown: v.NeedsChown,
		StorageID: v.StorageID,
	}
	if v.hasFileSystem() {
		vi.MountCount = uint(r.volumeHolders(v.Name))
	}
	if vi.Labels == nil {
		vi.Labels = map[string]string{}
	}
	if vi.Options == nil {
		vi.Options = map[string]string{}
	}
	return vi
}

// InspectVolumes describes several volumes (volume ls --format json uses it too).
func (r *Runtime) InspectVolumes(list []*Volume) []*VolumeInspect {
	out := make([]*VolumeInspect, len(list))
	for i, v := range list {
		out[i] = r.volumeInspect(v)
	}
	return out
}
