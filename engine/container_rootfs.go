package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.podman.io/storage/pkg/idtools"
	"golang.org/x/sys/unix"
)

// --rootfs runs a container from a folder that something else manages (an exploded
// image, a debootstrap) instead of an image. The container still gets a storage
// container, without an image: its folders hold the bundle, the log and, for ":O",
// the overlay's upper layer, and rm removes it like any other.

// rootfsSettings is a parsed --rootfs.
type rootfsSettings struct {
	path    string // the folder
	overlay bool   // ":O": an overlay on it, whose changes go when the container stops
}

// rootfsSettings parses and checks --rootfs PATH[:O]; nil when there is none.
func (c *ContainerConfig) rootfsSettings() (*rootfsSettings, error) {
	if c.Rootfs == "" {
		return nil, nil
	}
	st := &rootfsSettings{}
	var opt string
	st.path, opt = splitRootfs(c.Rootfs)
	switch opt {
	case "O":
		st.overlay = true
	case "":
	default: // idmap
		return nil, unsupported("--rootfs %s: the %s option", c.Rootfs, opt)
	}
	if !filepath.IsAbs(st.path) {
		return nil, fmt.Errorf("--rootfs %s: the path must be absolute", c.Rootfs)
	}
	fi, err := os.Stat(st.path)
	if err != nil {
		return nil, fmt.Errorf("--rootfs: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("--rootfs %s: not a folder", st.path)
	}
	st.path = filepath.Clean(st.path)
	return st, nil
}

// splitRootfs splits PATH[:OPTION], where the options are podman's: O, and idmap or
// idmap=...; any other colon belongs to the path.
func splitRootfs(s string) (path, option string) {
	i := strings.LastIndex(s, ":")
	if i < 0 {
		return s, ""
	}
	if opt := s[i+1:]; opt == "O" || opt == "idmap" || strings.HasPrefix(opt, "idmap=") {
		return s[:i], opt
	}
	return s, ""
}

// rootfsPath is the folder of a --rootfs value.
func rootfsPath(rootfs string) string {
	p, _ := splitRootfs(rootfs)
	return p
}

// AbsRootfs makes the folder of a --rootfs PATH[:OPTION] absolute (against the
// current folder), keeping the option.
func AbsRootfs(rootfs string) (string, error) {
	p, opt := splitRootfs(rootfs)
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("--rootfs %s: %w", rootfs, err)
	}
	if opt != "" {
		abs += ":" + opt
	}
	return abs, nil
}

// overlayDir holds a --rootfs ...:O container's overlay (upper, work, merged).
func (r *Runtime) overlayDir(c *Container) (string, error) {
	dir, err := r.store.ContainerDirectory(c.ID)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "rootfs-overlay"), nil
}

// mountRootfs makes the container's root file system ready and returns its path: the
// storage container's layer on the image, the --rootfs folder itself, or an overlay on
// it with a fresh upper layer owned by the container's root.
func (r *Runtime) mountRootfs(c *Container) (string, error) {
	st, err := c.Config.rootfsSettings()
	if err != nil {
		return "", err
	}
	if st == nil {
		p, err := r.store.Mount(c.ID, "")
		if err != nil {
			return "", fmt.Errorf("mounting the root file system of container %s: %w", shortID(c.ID), err)
		}
		c.State.Mounted = true
		return p, nil
	}
	if !st.overlay {
		return st.path, nil
	}
	dir, err := r.overlayDir(c)
	if err != nil {
		return "", err
	}
	upper, work, merged := filepath.Join(dir, "upper"), filepath.Join(dir, "work"), filepath.Join(dir, "merged")
	// A leftover of a start that was killed: its changes go, as they would have.
	if err := r.unmountOverlay(dir); err != nil {
		return "", err
	}
	uid, gid := 0, 0
	if sc, err := r.store.Container(c.ID); err == nil {
		uid, gid, _ = idtools.GetRootUIDGID(sc.UIDMap, sc.GIDMap)
	}
	for _, d := range []string{upper, work, merged} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return "", err
		}
	}
	// The upper layer's root takes the folder's mode and the container root as owner,
	// so that the container's root can write in /.
	fi, err := os.Stat(st.path)
	if err != nil {
		return "", fmt.Errorf("--rootfs: %w", err)
	}
	if err := os.Chmod(upper, fi.Mode().Perm()); err != nil {
		return "", err
	}
	if err := os.Chown(upper, uid, gid); err != nil {
		return "", err
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", st.path, upper, work)
	c.State.Mounted = true
	if err := unix.Mount("overlay", merged, "overlay", 0, opts); err != nil {
		return "", fmt.Errorf("mounting an overlay on --rootfs %s: %w", st.path, err)
	}
	return merged, nil
}

// releaseRootfs undoes mountRootfs; what is not mounted any more is no error, so that
// a cleanup after a kill -9 completes.
func (r *Runtime) releaseRootfs(c *Container) error {
	if c.Config.Rootfs == "" {
		if c.State.Mounted {
			if _, err := r.store.Unmount(c.ID, true); err != nil && !isUnknownContainer(err) && !isUnknownLayer(err) {
				return fmt.Errorf("unmounting container %s: %w", shortID(c.ID), err)
			}
		}
		c.State.Mounted = false
		return nil
	}
	if _, opt := splitRootfs(c.Config.Rootfs); opt == "O" {
		dir, err := r.overlayDir(c)
		if err != nil {
			if isUnknownContainer(err) {
				err = nil
			}
			return err
		}
		if err := r.unmountOverlay(dir); err != nil {
			return fmt.Errorf("container %s: %w", shortID(c.ID), err)
		}
	}
	c.State.Mounted = false
	return nil
}

// unmountOverlay unmounts a --rootfs overlay and drops its changes.
func (r *Runtime) unmountOverlay(dir string) error {
	merged := filepath.Join(dir, "merged")
	if err := unix.Unmount(merged, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unmounting the overlay %s: %w", merged, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("dropping the overlay's changes: %w", err)
	}
	return nil
}
