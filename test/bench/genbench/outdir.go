package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// tmpfsMagic is tmpfs's f_type in statfs(2).
const tmpfsMagic = 0x01021994

// outBase is where the write mode's output folders go. At boot systemd hands the
// generator folders under /run, a tmpfs, so that is what is measured when possible.
type outBase struct {
	dir     string
	desc    string // e.g. "tmpfs (/dev/shm)" or "NOT tmpfs (ext4)"
	cleanup func()
}

// newOutBase uses /dev/shm or /run when they are tmpfs, else mounts a tmpfs in work
// when root, else a plain folder in work (and says so).
func newOutBase(work string) (*outBase, error) {
	for _, cand := range []string{"/dev/shm", "/run"} {
		if !isTmpfs(cand) {
			continue
		}
		if d, err := os.MkdirTemp(cand, "genbench-out-"); err == nil {
			return &outBase{d, "tmpfs (" + cand + ")", func() { os.RemoveAll(d) }}, nil
		}
	}
	d := filepath.Join(work, "out")
	if err := os.MkdirAll(d, 0o755); err != nil {
		return nil, err
	}
	why := "not root"
	if os.Geteuid() == 0 {
		err := syscall.Mount("tmpfs", d, "tmpfs", 0, "size=512m,mode=0755")
		if err == nil {
			return &outBase{d, "tmpfs (mounted on " + d + ")", func() { syscall.Unmount(d, 0) }}, nil
		}
		why = "mount -t tmpfs failed: " + err.Error()
	}
	desc := fmt.Sprintf("NOT tmpfs (%s, %s; /dev/shm and /run are not tmpfs) — slower than at boot", fsType(d), why)
	return &outBase{d, desc, func() {}}, nil
}

func isTmpfs(dir string) bool {
	var st syscall.Statfs_t
	return syscall.Statfs(dir, &st) == nil && st.Type == tmpfsMagic
}

// fsType names a few common file systems for the report.
func fsType(dir string) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return "unknown file system"
	}
	switch st.Type {
	case 0xef53:
		return "ext4"
	case 0x58465342:
		return "xfs"
	case 0x9123683e:
		return "btrfs"
	case 0x794c7630:
		return "overlayfs"
	}
	return fmt.Sprintf("file system 0x%x", st.Type)
}
