package network

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"go.podman.io/common/pkg/netns"
	"golang.org/x/sys/unix"
)

// NewNamespace creates a network namespace (with only a loopback interface) and keeps
// it by a bind mount at path, so that it outlives the processes in it: netavark sets
// it up before the container runs, and tears it down after the container is gone,
// even after a kill -9. The folder becomes a shared mount point, as podman's
// /run/netns, so that removing the file also detaches the copies of its mount that
// other mount namespaces made meanwhile.
func NewNamespace(path string) error {
	dir := filepath.Dir(path)
	if err := sharedDir(dir); err != nil {
		return err
	}
	ns, err := netns.NewNSAtPath(path)
	if err != nil {
		return fmt.Errorf("creating network namespace %s: %w", path, err)
	}
	return ns.Close()
}

// RemoveNamespace unmounts and removes a namespace file of NewNamespace; one that is
// gone already is no error.
func RemoveNamespace(path string) error {
	if err := netns.UnmountNS(path); err != nil {
		return fmt.Errorf("removing network namespace %s: %w", path, err)
	}
	return nil
}

// IsNamespace reports whether path holds a network namespace (a mounted namespace
// file, or /proc/PID/ns/net of a live process).
func IsNamespace(path string) bool { return netns.IsNSorErr(path) == nil }

// sharedDir makes dir a shared mount point (bind-mounting it on itself first if it is
// not a mount point), under a lock on the folder, as iproute2 does for /run/netns.
func sharedDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(fd) // closing unlocks
	if err := unix.Flock(fd, unix.LOCK_EX); err != nil {
		return fmt.Errorf("locking %s: %w", dir, err)
	}
	err = unix.Mount("", dir, "none", unix.MS_SHARED|unix.MS_REC, "")
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("making %s a shared mount: %w", dir, err)
	}
	if err := unix.Mount(dir, dir, "none", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind-mounting %s on itself: %w", dir, err)
	}
	if err := unix.Mount("", dir, "none", unix.MS_SHARED|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("making %s a shared mount: %w", dir, err)
	}
	return nil
}
