package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"

	securejoin "github.com/cyphar/filepath-securejoin"
	"go.podman.io/storage/pkg/archive"
	"go.podman.io/storage/pkg/idtools"

	"github.com/berth-containers/berth/engine/lock"
	"github.com/berth-containers/berth/engine/state"
)

// How containers use named volumes. -v NAME:/dest[:OPTIONS] and --mount
// type=volume,source=NAME,... are checked by Validate like any mount; CreateContainer
// then creates the volumes that are missing (as podman does) and rewrites the
// entries into bind mounts of the volumes' _data folders, which the record keeps: the
// spec built at each start needs no volume lookup, and a volume's users are the
// containers whose mounts have its folder as source.

// volumeUse is one named volume a new container mounts.
type volumeUse struct {
	name, dest string
	nocopy     bool // -v ...:nocopy, --mount ...,volume-nocopy
	anonymous  bool // -v /dest[:OPTIONS], --mount type=volume without source
}

// isAnonymousVolume tells -v /dest[:OPTIONS] (an anonymous volume) from -v
// HOST-PATH:/dest and NAME:/dest.
func isAnonymousVolume(parts []string) bool {
	return len(parts) == 1 || (len(parts) == 2 && !strings.HasPrefix(parts[1], "/"))
}

// isVolumeType tells the type=volume field of a --mount (keys in any case, as
// parseMount reads them).
func isVolumeType(field string) bool {
	k, v, _ := strings.Cut(field, "=")
	return strings.ToLower(k) == "type" && v == "volume"
}

// isVolumeName tells a -v source that names a volume from a host path.
func isVolumeName(src string) bool { return src != "" && !strings.HasPrefix(src, "/") }

// checkVolumeRef checks the source and options of a named volume's -v or --mount,
// before the volume is created.
func checkVolumeRef(flag, name string, opts []string) error {
	if err := CheckVolumeName(name); err != nil {
		return fmt.Errorf("%s: %w", flag, err)
	}
	return checkVolumeOptions(flag, opts)
}

// checkVolumeOptions refuses the -v options berth does not implement yet.
func checkVolumeOptions(flag string, opts []string) error {
	for _, o := range opts {
		switch o {
		case "U", "O", "idmap":
			return unsupported("%s: option %q", flag, o)
		}
	}
	return nil
}

// volumeSources returns the host folders a container's -v and --mount bind-mount.
func volumeSources(c *ContainerConfig) []string {
	var out []string
	for _, v := range c.Volumes {
		src, _, _ := strings.Cut(v, ":")
		out = append(out, src)
	}
	for _, m := range c.Mounts {
		for _, f := range strings.Split(m, ",") {
			if k, v, _ := strings.Cut(f, "="); k == "source" || k == "src" {
				out = append(out, v)
			}
		}
	}
	return out
}

// rewriteVolumes turns the named volumes of c into bind mounts of their folders and
// says which volumes they are.
func (r *Runtime) rewriteVolumes(c *ContainerConfig) []volumeUse {
	var uses []volumeUse
	vols := slices.Clone(c.Volumes)
	for i, v := range vols {
		parts := strings.Split(v, ":")
		if isAnonymousVolume(parts) {
			// As NAME:/dest, with a name drawn for it.
			parts = append([]string{newVolumeName()}, parts...)
			uses = append(uses, volumeUse{anonymous: true})
		} else if isVolumeName(parts[0]) {
			uses = append(uses, volumeUse{})
		} else {
			continue
		}
		use := &uses[len(uses)-1]
		use.name, use.dest = parts[0], parts[1]
		out := []string{r.VolumeMountpoint(use.name), use.dest}
		if len(parts) == 3 {
			var opts []string
			for _, o := range strings.Split(parts[2], ",") {
				if o == "nocopy" {
					use.nocopy = true
				} else if o != "copy" && o != "" {
					opts = append(opts, o)
				}
			}
			if len(opts) > 0 {
				out = append(out, strings.Join(opts, ","))
			}
		}
		vols[i] = strings.Join(out, ":")
	}
	mounts := slices.Clone(c.Mounts)
	for i, m := range mounts {
		fields := strings.Split(m, ",")
		if !slices.ContainsFunc(fields, isVolumeType) {
			continue
		}
		var use volumeUse
		var out []string
		for _, f := range fields {
			k, v, _ := strings.Cut(f, "=")
			switch strings.ToLower(k) {
			case "type":
				out = append(out, "type=bind")
			case "source", "src":
				use.name = v
			case "target", "destination", "dst":
				use.dest = v
				out = append(out, f)
			case "volume-nocopy":
				use.nocopy = v == "" || v == "true"
			default:
				out = append(out, f)
			}
		}
		if use.name == "" {
			use.name, use.anonymous = newVolumeName(), true
		}
		mounts[i] = strings.Join(append(out, "source="+r.VolumeMountpoint(use.name)), ",")
		uses = append(uses, use)
	}
	c.Volumes, c.Mounts = vols, mounts
	return uses
}

// attachedVolumes are the volumes of a container being created, locked.
type attachedVolumes struct {
	r     *Runtime
	uses  []volumeUse
	locks map[string]*lock.Lock
	made  map[string]bool // created for this container
}

// attachVolumes creates the missing volumes of a new container, rewrites its config
// (rewriteVolumes) and locks the volumes until release, so that no volume rm removes
// them before the container's record names them.
func (r *Runtime) attachVolumes(ctx context.Context, c *ContainerConfig) (*attachedVolumes, error) {
	a := &attachedVolumes{r: r, uses: r.rewriteVolumes(c), locks: map[string]*lock.Lock{}, made: map[string]bool{}}
	var names []string
	for _, u := range a.uses {
		names = append(names, u.name)
		// Created first: CreateVolume takes the volume's lock itself.
		_, made, err := r.createVolume(ctx, VolumeCreateOptions{Name: u.name, Ignore: true, anonymous: u.anonymous})
		if err != nil {
			a.release(ctx, false)
			return nil, err
		}
		a.made[u.name] = a.made[u.name] || made
	}
	slices.Sort(names)
	names = slices.Compact(names)
	for _, n := range names {
		l, err := r.lockVolume(ctx, n)
		if err != nil {
			a.release(ctx, false)
			return nil, err
		}
		a.locks[n] = l
		if _, err := r.LookupVolume(n); err != nil {
			a.release(ctx, false)
			return nil, fmt.Errorf("volume %s was removed while the container was created: %w", n, err)
		}
	}
	return a, nil
}

// release unlocks the volumes; when the container was not created, the volumes
// made for it are removed (unless another container uses one meanwhile).
func (a *attachedVolumes) release(ctx context.Context, created bool) {
	for name, l := range a.locks {
		if created || !a.made[name] {
			_ = l.Unlock()
			continue
		}
		if err := a.r.removeVolumeLocked(ctx, l, name, false, false); err != nil && !errors.Is(err, ErrVolumeInUse) {
			a.r.log.Warn("volume made for a container that failed is left", "volume", name, "error", err)
		}
	}
	a.locks = nil
}

// copyUpVolumes prepares the volumes of the held new container on their first use,
// as podman does: each volume that still needs it and is empty gets the content of
// the container's root file system at its mount point, with owners and modes
// (copy-up; none with nocopy); and a fresh volume's folder takes the owner of that
// mount point, or the container's root as its user namespace maps it. The first
// container that mounts a volume clears these needs. The volumes' locks are held by
// attachVolumes.
func (r *Runtime) copyUpVolumes(h *held, uses []volumeUse) error {
	coll, err := r.volumes()
	if err != nil {
		return err
	}
	var rootfs string
	defer func() {
		if rootfs != "" {
			_ = r.releaseRootfs(h.c)
		}
	}()
	for _, u := range uses {
		v, err := getVolume(coll, u.name)
		if err != nil {
			return err
		}
		if v.hasFileSystem() {
			// Its file system is there only while containers run: the first start
			// prepares it (volumeFirstMount), which must know this container's nocopy.
			if err := r.noteNoCopy(coll, h.c, v, u.nocopy); err != nil {
				return err
			}
			continue
		}
		copyUp := v.NeedsCopyUp && !u.nocopy
		if !copyUp && !v.NeedsChown {
			continue
		}
		if rootfs == "" {
			if rootfs, err = r.mountRootfs(h.c); err != nil {
				return err
			}
		}
		if err := r.firstUse(h.c, rootfs, u.dest, r.VolumeMountpoint(u.name), copyUp, v.NeedsChown, true); err != nil {
			return fmt.Errorf("volume %s at %s of container %s: %w", u.name, u.dest, shortID(h.c.ID), err)
		}
		err = coll.Update(v.Name, func(v *Volume) error {
			v.NeedsCopyUp = v.NeedsCopyUp && !copyUp
			v.NeedsChown = false
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// noteNoCopy records that the new container mounts a volume with a file system of its
// own with nocopy, while the volume still needs its copy-up; the records of
// containers that are gone are dropped meanwhile.
func (r *Runtime) noteNoCopy(coll *state.Collection[*Volume], c *Container, v *Volume, nocopy bool) error {
	if !nocopy || !v.NeedsCopyUp {
		return nil
	}
	users := slices.DeleteFunc(slices.Clone(v.NoCopyUsers), func(id string) bool {
		ok, err := r.ContainerExists(id)
		return err == nil && !ok
	})
	users = append(users, c.ID)
	// The volume's lock is held (attachVolumes): nobody else changes this list.
	return coll.Update(v.Name, func(v *Volume) error {
		v.NoCopyUsers = users
		return nil
	})
}

// firstUse copies up (into an empty data folder only) and sets the folder's owner;
// own false keeps the folder's mode and owner (a bind's host folder).
func (r *Runtime) firstUse(c *Container, rootfs, dest, data string, copyUp, chown, own bool) error {
	src, err := securejoin.SecureJoin(rootfs, dest)
	if err != nil {
		return err
	}
	fi, err := os.Stat(src)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	entries, errData := os.ReadDir(data)
	if errData != nil {
		return errData
	}
	if copyUp && len(entries) == 0 && err == nil && fi.IsDir() {
		if err := archive.NewDefaultArchiver().CopyWithTar(src, data); err != nil {
			return fmt.Errorf("copying up: %w", err)
		}
		if !own {
			return nil
		}
		if err := os.Chmod(data, fi.Mode()&(os.ModePerm|os.ModeSetuid|os.ModeSetgid|os.ModeSticky)); err != nil {
			return err
		}
		chown = true
	}
	if !chown || !own {
		return nil
	}
	uid, gid := 0, 0
	if sc, err := r.store.Container(c.ID); err == nil {
		uid, gid, _ = idtools.GetRootUIDGID(sc.UIDMap, sc.GIDMap)
	}
	if st, ok := statOf(fi, err); ok {
		uid, gid = int(st.Uid), int(st.Gid)
	}
	return os.Lchown(data, uid, gid)
}

// statOf is the stat of a file that exists.
func statOf(fi os.FileInfo, err error) (*syscall.Stat_t, bool) {
	if err != nil {
		return nil, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return st, ok
}
