package spec

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// ParseDevice reads a --device value: host[:container][:permissions].
func ParseDevice(s string) (Device, error) {
	parts := strings.Split(s, ":")
	d := Device{HostPath: parts[0]}
	switch len(parts) {
	case 1:
	case 2:
		if isPerms(parts[1]) {
			d.Permissions = parts[1]
		} else {
			d.ContainerPath = parts[1]
		}
	case 3:
		d.ContainerPath, d.Permissions = parts[1], parts[2]
	default:
		return Device{}, fmt.Errorf("%w: device %q: want host[:container][:permissions]", ErrInvalid, s)
	}
	if d.Permissions != "" && !isPerms(d.Permissions) {
		return Device{}, fmt.Errorf("%w: device %q: permissions %q are not some of rwm", ErrInvalid, s, d.Permissions)
	}
	return d, nil
}

func isPerms(s string) bool {
	return s != "" && strings.Trim(s, "rwm") == ""
}

// devices adds --device nodes to the container and allows them in its device cgroup,
// which otherwise denies all but the runtime's standard devices (null, zero, tty...).
// A folder adds every device node under it.
func (g *generator) devices() error {
	if g.o.Privileged {
		return g.hostDevices()
	}
	for _, d := range g.o.Devices {
		if err := checkAbs("device", d.HostPath); err != nil {
			return err
		}
		dest := d.ContainerPath
		if dest == "" {
			dest = d.HostPath
		}
		if err := checkAbs("device destination", dest); err != nil {
			return err
		}
		perms := d.Permissions
		if perms == "" {
			perms = "rwm"
		}
		fi, err := os.Stat(d.HostPath)
		if err != nil {
			return fmt.Errorf("%w: device %s: %w", ErrInvalid, d.HostPath, err)
		}
		if !fi.IsDir() {
			if err := g.addDevice(d.HostPath, dest, perms); err != nil {
				return err
			}
			continue
		}
		err = filepath.WalkDir(d.HostPath, func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.Type()&(fs.ModeDevice|fs.ModeCharDevice) == 0 {
				return err
			}
			rel, _ := filepath.Rel(d.HostPath, p)
			return g.addDevice(p, filepath.Join(dest, rel), perms)
		})
		if err != nil {
			return fmt.Errorf("device %s: %w", d.HostPath, err)
		}
	}
	return nil
}

// hostDevices gives a --privileged container every device of the host, in /dev and
// its subfolders (/dev/net/tun, /dev/dri/..., as podman), but those that belong to the
// container's own file systems (pts, shm, mqueue) or its terminal (console, ptmx, tty).
func (g *generator) hostDevices() error {
	skipDirs := map[string]bool{"/dev/pts": true, "/dev/shm": true, "/dev/mqueue": true, "/dev/fd": true}
	skipNodes := map[string]bool{"/dev/console": true, "/dev/ptmx": true, "/dev/tty": true}
	return filepath.WalkDir("/dev", func(p string, e fs.DirEntry, err error) error {
		switch {
		case err != nil:
			if p == "/dev" {
				return err
			}
			return nil // a device that went away, or a folder we may not read
		case e.IsDir() && (skipDirs[p] || strings.HasPrefix(e.Name(), ".")):
			return fs.SkipDir
		case e.Type()&(fs.ModeDevice|fs.ModeCharDevice) == 0 || skipNodes[p]:
			return nil
		}
		return g.addDevice(p, p, "rwm")
	})
}

func (g *generator) addDevice(hostPath, dest, perms string) error {
	var st unix.Stat_t
	if err := unix.Stat(hostPath, &st); err != nil {
		return fmt.Errorf("%w: device %s: %w", ErrInvalid, hostPath, err)
	}
	var typ string
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFCHR:
		typ = "c"
	case unix.S_IFBLK:
		typ = "b"
	default:
		return fmt.Errorf("%w: %s is not a device node", ErrInvalid, hostPath)
	}
	major, minor := int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	mode := fs.FileMode(st.Mode & 0o777)
	uid, gid := st.Uid, st.Gid
	g.s.Linux.Devices = append(g.s.Linux.Devices, specs.LinuxDevice{
		Path: dest, Type: typ, Major: major, Minor: minor, FileMode: &mode, UID: &uid, GID: &gid,
	})
	g.deviceRules = append(g.deviceRules, specs.LinuxDeviceCgroup{
		Allow: true, Type: typ, Major: &major, Minor: &minor, Access: perms,
	})
	return nil
}
