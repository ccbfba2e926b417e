package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"

	"github.com/berth-containers/berth/engine/lock"
	"github.com/berth-containers/berth/engine/oci"
)

// A volume with a file system of its own (type=/device=, or the image driver) has
// it mounted on its folder while containers use it, as podman does: mounted when the
// first of them starts, unmounted when the last one stops.
//
// Who uses the mount is not a count but a list of holders: the IDs of the
// containers that started with it, and one "@mount" per `volume mount`. The list is
// a file in the run root (gone at reboot, with the mounts), changed only under the
// volume's mount lock ("volmount", a lock no code holds while it waits for another),
// and each change also drops the holders that are dead: containers that are gone,
// or whose record says neither running with a live conmon nor is locked (being
// started, stopped or removed). So a start or rm that was killed, or a conmon
// killed with its container, leaves no stale holder past the next start, stop or rm
// of any container of the volume; and whether the file system is mounted is never
// recorded, always read from the mount table.

// manualHolder is a holder that is not a container: one `volume mount`.
const manualHolder = "@mount"

// holdersFile lists a volume's holders, one a line.
func (r *Runtime) holdersFile(name string) string {
	return filepath.Join(r.RunDir(), "volumes", name+".holders")
}

func (r *Runtime) readHolders(name string) ([]string, error) {
	data, err := os.ReadFile(r.holdersFile(name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the users of volume %s: %w", name, err)
	}
	return strings.Fields(string(data)), nil
}

func (r *Runtime) writeHolders(name string, holders []string) error {
	f := r.holdersFile(name)
	if len(holders) == 0 {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(f), 0o700); err != nil {
		return err
	}
	return writeFileAtomic(f, []byte(strings.Join(holders, "\n")+"\n"), 0o600)
}

// lockVolumeMount takes the lock of a volume's mount.
func (r *Runtime) lockVolumeMount(ctx context.Context, name string) (*lock.Lock, error) {
	dir, err := r.locks()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, lockTimeout)
	defer cancel()
	l, err := dir.Lock(ctx, "volmount", name, lock.Exclusive)
	if err != nil {
		return nil, fmt.Errorf("locking the mount of volume %s: %w", name, err)
	}
	return l, nil
}

// liveHolders drops the holders that are dead, and self (a container's own entry).
func (r *Runtime) liveHolders(holders []string, self string) []string {
	var out []string
	for _, h := range holders {
		if h == manualHolder || (h != self && r.holderAlive(h)) {
			out = append(out, h)
		}
	}
	return out
}

// holderAlive tells whether a container may still use a volume's mount. Its lock is
// only tried: a container busy in another process (or further up this one) counts.
func (r *Runtime) holderAlive(id string) bool {
	if _, err := r.LookupContainer(id); errors.Is(err, ErrNoSuchContainer) {
		return false
	}
	dir, err := r.locks()
	if err != nil {
		return true
	}
	l, err := dir.TryLock("container", id, lock.Exclusive)
	if err != nil {
		return true
	}
	defer l.Unlock()
	c, err := r.LookupContainer(id)
	if err != nil {
		return !errors.Is(err, ErrNoSuchContainer)
	}
	return c.Running() && oci.ConmonAlive(c.State.ConmonPid)
}

// holdVolume adds holder to the users of the volume's mount and mounts its file
// system unless it is mounted; then (when not nil) runs under the mount's lock once
// it is mounted. On failure the holder is dropped again.
func (r *Runtime) holdVolume(ctx context.Context, name, holder string, then func(*Volume) error) error {
	l, err := r.lockVolumeMount(ctx, name)
	if err != nil {
		return err
	}
	defer l.Unlock()
	v, err := r.LookupVolume(name)
	if err != nil {
		return err
	}
	holders, err := r.readHolders(name)
	if err != nil {
		return err
	}
	// Written before the mount: a kill right after it leaves a holder that the next
	// change finds dead, never a mount nobody is listed for.
	holders = append(r.liveHolders(holders, holder), holder)
	if err := r.writeHolders(name, holders); err != nil {
		return fmt.Errorf("volume %s: %w", name, err)
	}
	err = r.mountFileSystem(ctx, v)
	if err == nil && then != nil {
		err = then(v)
	}
	if err != nil {
		return errors.Join(err, r.dropHolderLocked(v, holder))
	}
	return nil
}

// dropHolder takes holder off the users of the volume's mount, and unmounts its file
// system when no user is left (dead ones are dropped too).
func (r *Runtime) dropHolder(ctx context.Context, name, holder string) error {
	l, err := r.lockVolumeMount(ctx, name)
	if err != nil {
		return err
	}
	defer l.Unlock()
	v, err := r.LookupVolume(name)
	if err != nil {
		return err
	}
	return r.dropHolderLocked(v, holder)
}

func (r *Runtime) dropHolderLocked(v *Volume, holder string) error {
	holders, err := r.readHolders(v.Name)
	if err != nil {
		return err
	}
	if holder == manualHolder {
		if i := slices.Index(holders, manualHolder); i >= 0 {
			holders = slices.Delete(holders, i, i+1)
		}
	}
	holders = r.liveHolders(holders, holder)
	var errUnmount error
	if len(holders) == 0 {
		errUnmount = r.unmountFileSystem(v)
	}
	return errors.Join(errUnmount, r.writeHolders(v.Name, holders))
}

// volumeHolders counts the users of a volume's mount (podman's MountCount).
func (r *Runtime) volumeHolders(name string) int {
	holders, _ := r.readHolders(name)
	return len(holders)
}

// mountFileSystem mounts the volume's file system on its folder unless something is
// mounted there already.
func (r *Runtime) mountFileSystem(ctx context.Context, v *Volume) error {
	data := r.VolumeMountpoint(v.Name)
	if mounted, err := mountinfo.Mounted(data); err != nil || mounted {
		return err
	}
	if v.Driver == "image" {
		return r.mountImageVolume(v, data)
	}
	lo, err := parseLocalOptions(v.Options)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "mount", lo.mount.mountArgs(data)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		msg := strings.TrimSpace(string(out))
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("mounting volume %s: %s", v.Name, oneLine(msg))
	}
	// The owner given at create is the mounted root's, at every mount (as mount(8)'s
	// uid= is); a bind's host folder keeps its own.
	if v.OwnerSet && !lo.mount.bind {
		if err := os.Lchown(data, v.UID, v.GID); err != nil {
			return errors.Join(fmt.Errorf("volume %s: setting the owner of its file system: %w", v.Name, err),
				r.unmountFileSystem(v))
		}
	}
	return nil
}

// unmountFileSystem unmounts whatever is mounted on the volume's folder (and the
// storage of an image volume); what is not mounted is no error. A mount still busy
// is detached: it goes when its last user does.
func (r *Runtime) unmountFileSystem(v *Volume) error {
	data := r.VolumeMountpoint(v.Name)
	for range 16 { // mounts may be stacked
		mounted, err := mountinfo.Mounted(data)
		if errors.Is(err, os.ErrNotExist) || (err == nil && !mounted) {
			break
		}
		if err != nil {
			return fmt.Errorf("volume %s: %w", v.Name, err)
		}
		err = unix.Unmount(data, 0)
		if errors.Is(err, unix.EBUSY) {
			err = unix.Unmount(data, unix.MNT_DETACH)
		}
		if err != nil && !errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("unmounting volume %s: %w", v.Name, err)
		}
	}
	if v.Driver == "image" {
		return r.unmountImageVolume(v)
	}
	return nil
}

// fileSystemVolumesOf returns the names of the container's volumes that have a file
// system of their own, each once.
func (r *Runtime) fileSystemVolumesOf(c *Container) []string {
	var out []string
	for _, name := range r.volumeNamesOf(&c.Config) {
		if slices.Contains(out, name) {
			continue
		}
		if v, err := r.LookupVolume(name); err == nil && v.hasFileSystem() {
			out = append(out, name)
		}
	}
	return out
}

// mountVolumes mounts the file systems of the starting container's volumes that
// have one, and prepares each on its first use (volumeFirstMount). It runs once the
// container's root file system is mounted; cleanupLocked undoes it (releaseVolumes).
func (r *Runtime) mountVolumes(ctx context.Context, c *Container) error {
	for _, name := range r.fileSystemVolumesOf(c) {
		err := r.holdVolume(ctx, name, c.ID, func(v *Volume) error { return r.volumeFirstMount(c, v) })
		if err != nil {
			return fmt.Errorf("container %s: %w", shortID(c.ID), err)
		}
	}
	return nil
}

// releaseVolumes takes the container off the users of its volumes' file systems,
// unmounting those it was the last one of. A failure is logged, not returned: the
// mount stays until the volume's next change or rm, which retry, and the container
// can still go.
func (r *Runtime) releaseVolumes(c *Container) {
	for _, name := range r.fileSystemVolumesOf(c) {
		if err := r.dropHolder(context.Background(), name, c.ID); err != nil {
			r.log.Warn("volume left mounted", "volume", name, "container", shortID(c.ID), "error", err)
		}
	}
}

// volumeFirstMount copies up and sets the owner of a volume's file system on the
// first start of a container that uses it, as podman does (copyUpVolumes does it at
// create for plain folders): the file system is only there now.
func (r *Runtime) volumeFirstMount(c *Container, v *Volume) error {
	copyUp := v.NeedsCopyUp && !slices.Contains(v.NoCopyUsers, c.ID)
	if !copyUp && !v.NeedsChown {
		return nil
	}
	data := r.VolumeMountpoint(v.Name)
	dest := volumeDest(&c.Config, data)
	rootfs, err := r.rootfsPathOf(c)
	if err != nil {
		return err
	}
	bind := false
	if lo, err := parseLocalOptions(v.Options); err == nil && lo.mount != nil {
		bind = lo.mount.bind
	}
	if err := r.firstUse(c, rootfs, dest, data, copyUp, v.NeedsChown, !bind); err != nil {
		return fmt.Errorf("volume %s at %s: %w", v.Name, dest, err)
	}
	coll, err := r.volumes()
	if err != nil {
		return err
	}
	return coll.Update(v.Name, func(v *Volume) error {
		v.NeedsCopyUp = v.NeedsCopyUp && !copyUp
		v.NeedsChown = false
		if !v.NeedsCopyUp {
			v.NoCopyUsers = nil
		}
		return nil
	})
}

// volumeDest is where the container mounts the folder data (its first mount of it).
func volumeDest(c *ContainerConfig, data string) string {
	for _, v := range c.Volumes {
		if parts := strings.Split(v, ":"); len(parts) >= 2 && parts[0] == data {
			return parts[1]
		}
	}
	for _, m := range c.Mounts {
		src, dst := "", ""
		for _, f := range strings.Split(m, ",") {
			k, val, _ := strings.Cut(f, "=")
			switch strings.ToLower(k) {
			case "source", "src":
				src = val
			case "target", "destination", "dst":
				dst = val
			}
		}
		if src == data {
			return dst
		}
	}
	return ""
}

// rootfsPathOf is the path of the container's root file system, which prepareBundle
// has mounted.
func (r *Runtime) rootfsPathOf(c *Container) (string, error) {
	st, err := c.Config.rootfsSettings()
	switch {
	case err != nil:
		return "", err
	case st == nil:
		return r.store.Mount(c.ID, "") // counted: cleanup's unmount is forced
	case st.overlay:
		dir, err := r.overlayDir(c)
		return filepath.Join(dir, "merged"), err
	}
	return st.path, nil
}

// MountVolume mounts a volume's file system until UnmountVolume, as podman volume
// mount does, and returns the folder that shows it. Each call counts as one user; a
// volume without a file system of its own is only a folder: nothing is mounted.
func (r *Runtime) MountVolume(ctx context.Context, name string) (string, error) {
	v, err := r.LookupVolume(name)
	if err != nil {
		return "", err
	}
	if v.hasFileSystem() {
		if err := r.holdVolume(ctx, name, manualHolder, nil); err != nil {
			return "", err
		}
	}
	return r.VolumeMountpoint(name), nil
}

// UnmountVolume undoes one MountVolume: the file system is unmounted once no
// container or other volume mount uses it.
func (r *Runtime) UnmountVolume(ctx context.Context, name string) error {
	v, err := r.LookupVolume(name)
	if err != nil || !v.hasFileSystem() {
		return err
	}
	return r.dropHolder(ctx, name, manualHolder)
}

// unmountForRemoval unmounts a volume that is being removed (its containers are
// gone), whatever its holders; it fails when something stays mounted on its folder,
// whose content the removal would otherwise delete. The mount's lock is held.
func (r *Runtime) unmountForRemoval(v *Volume) error {
	if err := r.unmountFileSystem(v); err != nil {
		return err
	}
	data := r.VolumeMountpoint(v.Name)
	if mounted, err := mountinfo.Mounted(data); err == nil && mounted {
		return fmt.Errorf("volume %s: %s is still mounted", v.Name, data)
	}
	return r.writeHolders(v.Name, nil)
}
