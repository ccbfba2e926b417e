package engine

import (
	"os"
	"path/filepath"

	"go.podman.io/storage/pkg/unshare"
	"golang.org/x/sys/unix"

	"github.com/berth-containers/berth/engine/oci"
)

// Rootless reports whether the engine runs for a user other than root: inside the user
// namespace that berth (cmd/berth) makes for such a user, or without the privileges of
// the machine's root. It is the test the container libraries make (storage and
// containers.conf then take the user's own paths), so the engine agrees with them. In
// rootless mode the user cannot set up bridges, nor create cgroups except where systemd
// delegated a cgroup v2 subtree to it.
func Rootless() bool { return unshare.IsRootless() }

// planRootlessCgroups is planCgroups for a rootless container (mode is not disabled).
// --cgroups=split puts the container under this process's cgroup when the user may
// write there (a user service's delegated cgroup v2); otherwise the container gets no
// cgroup of berth's choosing and conmon stays where it is, as rootless podman on
// cgroup v1: the runtime sees that it runs in a user namespace and goes on without a
// cgroup it may not create (runc does; crun needs --cgroups=disabled).
func (r *Runtime) planRootlessCgroups(c *Container, mode string) error {
	if mode == CgroupsSplit {
		if cur, err := oci.CurrentCgroup(); err == nil && delegatedCgroup(cur) {
			p, err := oci.SplitCgroup(c.ID)
			if err == nil {
				c.CgroupsPath = p
				return nil
			}
		}
	}
	r.log.Debug("rootless: the container gets no cgroup of berth's choosing: this user may not create cgroups here",
		"container", shortID(c.ID), "cgroups", mode)
	return nil
}

// delegatedCgroup tells a cgroup v2 folder this user may create cgroups in.
func delegatedCgroup(path string) bool {
	const root = "/sys/fs/cgroup"
	if _, err := os.Stat(filepath.Join(root, "cgroup.procs")); err != nil {
		return false // v1 or hybrid: no delegation to users
	}
	return unix.Access(filepath.Join(root, path), unix.W_OK) == nil
}
