package spec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ErrUnsupported marks an option that berth does not implement (yet): it is refused,
// never ignored.
var ErrUnsupported = errors.New("not supported")

// defaultShmSize is podman's /dev/shm size.
const defaultShmSize = 64 << 20

// mounts builds the container's mount list: podman's default file systems, the
// generated /etc files, --init, --tz, the read-only tmpfs set, then the user's mounts,
// which replace any default at the same destination. Parents come before children.
func (g *generator) mounts() error {
	var list []specs.Mount
	add := func(m specs.Mount) {
		list = slices.DeleteFunc(list, func(old specs.Mount) bool { return old.Destination == m.Destination })
		list = append(list, m)
	}
	for _, m := range g.systemMounts() {
		add(m)
	}
	etcOpts := []string{"bind", "rprivate"}
	if g.o.ReadOnly {
		etcOpts = append(etcOpts, "ro")
	}
	for _, f := range [][2]string{
		{"/etc/hostname", g.o.HostnameFile}, {"/etc/hosts", g.o.HostsFile}, {"/etc/resolv.conf", g.o.ResolvConfFile},
	} {
		if f[1] != "" {
			add(specs.Mount{Destination: f[0], Type: "bind", Source: f[1], Options: etcOpts})
		}
	}
	if g.o.Init {
		add(specs.Mount{Destination: InitDestination, Type: "bind", Source: g.initPath(),
			Options: []string{"bind", "rprivate", "ro"}})
	}
	if g.o.Timezone != "" {
		src, err := g.zoneFile()
		if err != nil {
			return err
		}
		add(specs.Mount{Destination: "/etc/localtime", Type: "bind", Source: src,
			Options: []string{"bind", "rprivate", "ro"}})
	}
	if g.o.ReadOnly && (g.o.ReadOnlyTmpfs == nil || *g.o.ReadOnlyTmpfs) {
		for _, dest := range []string{"/run", "/tmp", "/var/tmp"} {
			add(specs.Mount{Destination: dest, Type: "tmpfs", Source: "tmpfs",
				Options: []string{"rw", "rprivate", "nosuid", "nodev", "tmpcopyup"}})
		}
	}
	for _, m := range g.o.Mounts {
		sm, err := userMount(m)
		if err != nil {
			return err
		}
		add(sm)
	}
	// Stable: among mounts of equal depth the given order stays.
	sort.SliceStable(list, func(i, j int) bool { return depth(list[i].Destination) < depth(list[j].Destination) })
	g.s.Mounts = list
	return nil
}

func depth(p string) int {
	p = filepath.Clean(p)
	if p == "/" {
		return 0
	}
	return strings.Count(p, "/")
}

// systemMounts are the file systems every container gets, as podman sets them up.
func (g *generator) systemMounts() []specs.Mount {
	ptsOpts := []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}
	if !g.userNS() {
		ptsOpts = append(ptsOpts, "gid=5") // tty; it may not be mapped in a user namespace
	}
	m := []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: ptsOpts},
	}
	if g.shared(specs.IPCNamespace) {
		m = append(m,
			specs.Mount{Destination: "/dev/mqueue", Type: "bind", Source: "/dev/mqueue", Options: []string{"rbind", "nosuid", "noexec", "nodev"}},
			specs.Mount{Destination: "/dev/shm", Type: "bind", Source: "/dev/shm", Options: []string{"rbind", "nosuid", "noexec", "nodev"}})
	} else {
		shm := []string{"nosuid", "noexec", "nodev", "mode=1777"}
		switch size := g.o.ShmSize; {
		case size == 0:
			shm = append(shm, "size="+strconv.Itoa(defaultShmSize))
		case size > 0:
			shm = append(shm, "size="+strconv.FormatInt(size, 10))
		}
		m = append(m,
			specs.Mount{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
			specs.Mount{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: shm})
	}
	sysRO := "ro"
	if g.o.Privileged {
		sysRO = "rw"
	}
	if (g.userNS() || g.o.Rootless) && !g.private(specs.NetworkNamespace) {
		// sysfs cannot be mounted from a user namespace that does not own the
		// network namespace (the container's own, or rootless berth's with the
		// host's network): show the host's, read-only.
		m = append(m, specs.Mount{Destination: "/sys", Type: "bind", Source: "/sys", Options: []string{"rbind", "nosuid", "noexec", "nodev", "ro"}})
	} else {
		m = append(m, specs.Mount{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", sysRO}})
	}
	if !g.o.NoCgroups {
		m = append(m, specs.Mount{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup",
			Options: []string{"rprivate", "nosuid", "noexec", "nodev", "relatime", sysRO}})
	}
	return m
}

// zoneFile is the host file --tz bind-mounts at /etc/localtime.
func (g *generator) zoneFile() (string, error) {
	tz := g.o.Timezone
	var p string
	if tz == "local" {
		var err error
		if p, err = filepath.EvalSymlinks(g.host.Localtime); err != nil {
			return "", fmt.Errorf("--tz=local: %w", err)
		}
	} else {
		if filepath.IsAbs(tz) || slices.Contains(strings.Split(tz, "/"), "..") {
			return "", fmt.Errorf("%w: --tz=%s: not a time zone name", ErrInvalid, tz)
		}
		p = filepath.Join(g.host.ZoneinfoDir, tz)
	}
	if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%w: --tz=%s: unknown time zone", ErrInvalid, tz)
	}
	return p, nil
}

// userMount checks one --volume/--mount/--tmpfs and gives it podman's default options.
func userMount(m Mount) (specs.Mount, error) {
	if err := checkAbs("mount destination", m.Destination); err != nil {
		return specs.Mount{}, err
	}
	sm := specs.Mount{Destination: filepath.Clean(m.Destination), Type: m.Type, Source: m.Source}
	var opts []string
	for _, o := range m.Options {
		switch o {
		case "z", "Z":
			// SELinux relabelling; there is no SELinux here to label for.
			continue
		case "U", "O", "idmap":
			return specs.Mount{}, fmt.Errorf("mount %s: option %q: %w", m.Destination, o, ErrUnsupported)
		}
		opts = append(opts, o)
	}
	has := func(names ...string) bool {
		return slices.ContainsFunc(opts, func(o string) bool { return slices.Contains(names, o) })
	}
	switch m.Type {
	case "bind", "volume", "":
		sm.Type = "bind"
		if err := checkAbs("bind mount source", m.Source); err != nil {
			return specs.Mount{}, err
		}
		if !has("bind", "rbind") {
			opts = append(opts, "rbind")
		}
		if !has("private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable") {
			opts = append(opts, "rprivate")
		}
	case "tmpfs":
		sm.Source = "tmpfs"
		for _, d := range [][2]string{{"rw", "ro"}, {"noexec", "exec"}, {"nosuid", "suid"}, {"nodev", "dev"}, {"tmpcopyup", "notmpcopyup"}} {
			if !has(d[0], d[1]) {
				opts = append(opts, d[0])
			}
		}
		opts = slices.DeleteFunc(opts, func(o string) bool { return o == "notmpcopyup" })
	case "devpts", "mqueue", "proc", "sysfs", "cgroup":
		if sm.Source == "" {
			sm.Source = m.Type
		}
	default:
		return specs.Mount{}, fmt.Errorf("mount %s: type %q: %w", m.Destination, m.Type, ErrUnsupported)
	}
	sm.Options = opts
	return sm, nil
}
