package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	units "github.com/docker/go-units"
	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// The containers of a pod that share its IPC namespace share its /dev/shm too (POSIX
// shared memory lives there). A container's /dev/shm is a tmpfs mounted inside its
// own mount namespace, which no other container can reach (a bind mount from another
// mount namespace is refused), so, as podman does, the pod's /dev/shm is a tmpfs
// mounted on the host, under the run root, and bind-mounted into the infra and every
// member. It is mounted when the infra starts and unmounted when the pod stops or goes.

// defaultPodShmSize is podman's /dev/shm size.
const defaultPodShmSize = 64 << 20

// podShmDir is where the pod's /dev/shm is mounted on the host.
func (r *Runtime) podShmDir(p *Pod) string {
	return filepath.Join(r.RunDir(), "pods", p.ID, "shm")
}

// mountPodShm mounts the pod's /dev/shm unless it is mounted, and returns its path.
func (r *Runtime) mountPodShm(p *Pod) (string, error) {
	dir := r.podShmDir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	mounted, err := mountinfo.Mounted(dir)
	if err != nil || mounted {
		return dir, err
	}
	size := int64(defaultPodShmSize)
	if s := p.Config.Infra.ShmSize; s != "" {
		if size, err = units.RAMInBytes(s); err != nil || size <= 0 {
			return "", fmt.Errorf("pod %s: --shm-size %q: not a size such as 64m", p.Name, s)
		}
	}
	opts := fmt.Sprintf("mode=1777,size=%d", size)
	if err := unix.Mount("shm", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, opts); err != nil {
		return "", fmt.Errorf("pod %s: mounting its /dev/shm: %w", p.Name, err)
	}
	return dir, nil
}

// unmountPodShm unmounts the pod's /dev/shm (its contents go) and removes its folder;
// what is not there is no error.
func (r *Runtime) unmountPodShm(p *Pod) error {
	dir := r.podShmDir(p)
	if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("pod %s: unmounting its /dev/shm: %w", p.Name, err)
	}
	if err := os.RemoveAll(filepath.Dir(dir)); err != nil {
		return fmt.Errorf("pod %s: %w", p.Name, err)
	}
	return nil
}
