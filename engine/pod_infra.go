package engine

import (
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// The infra container of a pod runs catatonit in pause mode (catatonit -P), as
// podman's does. podman builds a local "pause" image for it; berth needs no image: it
// runs the infra from a folder it makes once under its state folder, holding a copy of
// the host's statically linked catatonit and the mount points the runtime needs,
// through --rootfs DIR:O (container_rootfs.go). The overlay gives each infra a
// private upper layer owned by its root, so that the runtime can make mount points
// (volumes, a user namespace's root) without touching the shared folder, and nothing
// of the infra shows in `images` or can be removed by rmi or prune.

// infraCommand is the infra container's process: catatonit doing nothing but hold
// the namespaces and reap.
var infraCommand = []string{"/catatonit", "-P"}

// infraRootfs returns the infra root file system folder, making it first if missing.
func (r *Runtime) infraRootfs() (string, error) {
	dir := filepath.Join(r.StateDir(), "infra-rootfs")
	if _, err := os.Stat(filepath.Join(dir, "catatonit")); err == nil {
		return dir, nil
	}
	src, err := r.cfg.FindInitBinary()
	if err != nil {
		return "", fmt.Errorf("pod infra container: finding catatonit: %w", err)
	}
	if err := checkStatic(src); err != nil {
		return "", fmt.Errorf("pod infra container: %w", err)
	}
	// Built aside and renamed into place, so that the folder is always complete; a
	// concurrent builder that renamed first wins and ours goes. A builder killed
	// half-way left its folder: those older than a minute go.
	leftovers, _ := filepath.Glob(filepath.Join(r.StateDir(), "infra-rootfs-*"))
	for _, l := range leftovers {
		if fi, err := os.Stat(l); err == nil && time.Since(fi.ModTime()) > time.Minute {
			_ = os.RemoveAll(l)
		}
	}
	tmp, err := os.MkdirTemp(r.StateDir(), "infra-rootfs-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	for _, d := range []string{"dev", "proc", "sys", "etc", "run", "tmp"} {
		if err := os.Mkdir(filepath.Join(tmp, d), 0o755); err != nil {
			return "", err
		}
	}
	for _, f := range []string{"etc/hostname", "etc/hosts", "etc/resolv.conf"} {
		if err := os.WriteFile(filepath.Join(tmp, f), nil, 0o644); err != nil {
			return "", err
		}
	}
	if err := copyFile(src, filepath.Join(tmp, "catatonit"), 0o755); err != nil {
		return "", fmt.Errorf("pod infra container: copying %s: %w", src, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, "catatonit")); serr == nil {
			return dir, nil
		}
		return "", fmt.Errorf("pod infra container: %w", err)
	}
	return dir, nil
}

// checkStatic refuses a binary that needs a dynamic loader: the infra's root file
// system has no libraries.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked; the infra container needs a statically linked catatonit "+
				"(set init_path in containers.conf)", path)
		}
	}
	return nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// infraName is the infra container's name: --infra-name, else podman's
// <first 12 of the pod ID>-infra.
func infraName(p *Pod) string {
	if p.Config.InfraName != "" {
		return p.Config.InfraName
	}
	return shortID(p.ID) + "-infra"
}

// infraOptions are the create options of the pod's infra container.
func (r *Runtime) infraOptions(p *Pod) (CreateOptions, error) {
	dir, err := r.infraRootfs()
	if err != nil {
		return CreateOptions{}, err
	}
	c := p.Config.Infra
	c.Name = infraName(p)
	c.Rootfs = dir + ":O"
	c.Command = infraCommand
	c.Entrypoint = nil
	c.SdNotify = SdNotifyIgnore // a member's unit must never hear from the infra
	c.Pod, c.PodInfra = p.ID, true
	if c.Network != NetworkHost || p.Config.Hostname != "" {
		c.Hostname = p.hostname()
	}
	return CreateOptions{ContainerConfig: c, pod: podJoin{infra: true}}, nil
}

// startInfra starts the pod's infra container unless it runs, and writes its conmon's
// PID to --infra-conmon-pidfile. It returns the infra's record.
func (r *Runtime) startInfra(ctx context.Context, p *Pod) (*Container, error) {
	if p.InfraID == "" {
		if p.Config.NoInfra {
			return nil, nil
		}
		return nil, fmt.Errorf("pod %s was not completely created (it has no infra container); remove it: %w",
			p.Name, ErrInvalidState)
	}
	h, err := r.lockContainer(ctx, p.InfraID)
	if errors.Is(err, ErrNoSuchContainer) {
		return nil, fmt.Errorf("the infra container of pod %s is gone; remove the pod and create it again: %w", p.Name, err)
	}
	if err != nil {
		return nil, err
	}
	defer h.release()
	if err := r.syncLocked(ctx, h); err != nil {
		return nil, err
	}
	if !h.c.Running() {
		// No notify socket: the infra's start is never a unit's readiness.
		if err := r.startLocked(ctx, h, StartOptions{}, nil); err != nil {
			return nil, fmt.Errorf("starting the infra container of pod %s: %w", p.Name, err)
		}
	}
	if f := p.Config.InfraConmonPidFile; f != "" {
		if err := writeFileAtomic(f, []byte(strconv.Itoa(h.c.State.ConmonPid)), 0o644); err != nil {
			return nil, fmt.Errorf("writing --infra-conmon-pidfile %s: %w", f, err)
		}
	}
	return h.c, nil
}
