package spec

import (
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestUserMounts(t *testing.T) {
	o := opts(t, "true")
	o.Mounts = []Mount{
		{Type: "bind", Source: "/srv/data", Destination: "/data/", Options: []string{"ro", "z"}},
		{Type: "volume", Source: "/var/lib/vol", Destination: "/vol", Options: []string{"bind", "rshared"}},
		{Type: "tmpfs", Destination: "/scratch", Options: []string{"size=1m", "exec"}},
		{Type: "tmpfs", Destination: "/dev/shm", Options: []string{"size=2m"}}, // replaces the default
		{Type: "bind", Source: "/srv/data/sub", Destination: "/data/sub"},
	}
	s := generate(t, o)
	for dest, want := range map[string]specs.Mount{
		"/data":     {Destination: "/data", Type: "bind", Source: "/srv/data", Options: []string{"ro", "rbind", "rprivate"}},
		"/vol":      {Destination: "/vol", Type: "bind", Source: "/var/lib/vol", Options: []string{"bind", "rshared"}},
		"/scratch":  {Destination: "/scratch", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=1m", "exec", "rw", "nosuid", "nodev", "tmpcopyup"}},
		"/dev/shm":  {Destination: "/dev/shm", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=2m", "rw", "noexec", "nosuid", "nodev", "tmpcopyup"}},
		"/data/sub": {Destination: "/data/sub", Type: "bind", Source: "/srv/data/sub", Options: []string{"rbind", "rprivate"}},
	} {
		if got := mountAt(s, dest); got == nil || !reflect.DeepEqual(*got, want) {
			t.Errorf("mount %s: %+v, want %+v", dest, got, want)
		}
	}
	// Parents come before children, whatever the order given.
	seen := map[string]bool{}
	for _, m := range s.Mounts {
		for p := filepath.Dir(m.Destination); p != "/"; p = filepath.Dir(p) {
			if mountAt(s, p) != nil && !seen[p] {
				t.Errorf("%s is mounted before its parent %s", m.Destination, p)
			}
		}
		seen[m.Destination] = true
	}
	for _, bad := range []Mount{
		{Type: "bind", Source: "relative", Destination: "/x"},
		{Type: "bind", Source: "/x", Destination: "x"},
	} {
		o := opts(t, "true")
		o.Mounts = []Mount{bad}
		if _, err := Generate(o); !errors.Is(err, ErrInvalid) {
			t.Errorf("mount %+v: %v, want ErrInvalid", bad, err)
		}
	}
	for _, bad := range []Mount{
		{Type: "bind", Source: "/x", Destination: "/x", Options: []string{"U"}},
		{Type: "image", Source: "img", Destination: "/x"},
	} {
		o := opts(t, "true")
		o.Mounts = []Mount{bad}
		if _, err := Generate(o); !errors.Is(err, ErrUnsupported) {
			t.Errorf("mount %+v: %v, want ErrUnsupported", bad, err)
		}
	}
}

func TestGeneratedFilesAndReadOnly(t *testing.T) {
	o := opts(t, "true")
	o.HostsFile, o.ResolvConfFile, o.HostnameFile = "/run/c/hosts", "/run/c/resolv.conf", "/run/c/hostname"
	s := generate(t, o)
	for dest, src := range map[string]string{"/etc/hosts": "/run/c/hosts", "/etc/resolv.conf": "/run/c/resolv.conf", "/etc/hostname": "/run/c/hostname"} {
		m := mountAt(s, dest)
		if m == nil || m.Source != src || m.Type != "bind" || slices.Contains(m.Options, "ro") {
			t.Errorf("%s: %+v", dest, m)
		}
	}
	if mountAt(s, "/tmp") != nil {
		t.Error("a tmpfs on /tmp without --read-only")
	}
	o.ReadOnly = true
	s = generate(t, o)
	if !s.Root.Readonly || !slices.Contains(mountAt(s, "/etc/hosts").Options, "ro") {
		t.Errorf("read-only: root %+v, /etc/hosts %+v", s.Root, mountAt(s, "/etc/hosts"))
	}
	for _, dest := range []string{"/run", "/tmp", "/var/tmp"} {
		if m := mountAt(s, dest); m == nil || m.Type != "tmpfs" || !slices.Contains(m.Options, "rw") {
			t.Errorf("--read-only: %s %+v", dest, m)
		}
	}
	off := false
	o.ReadOnlyTmpfs = &off
	s = generate(t, o)
	if mountAt(s, "/tmp") != nil || mountAt(s, "/run") != nil {
		t.Error("--read-only-tmpfs=false still mounts tmpfs")
	}
}

func TestTimezone(t *testing.T) {
	o := opts(t, "date")
	o.Timezone = "Europe/Paris"
	s := generate(t, o)
	want := filepath.Join(o.Host.ZoneinfoDir, "Europe", "Paris")
	if m := mountAt(s, "/etc/localtime"); m == nil || m.Source != want || !slices.Contains(m.Options, "ro") {
		t.Errorf("--tz: %+v", m)
	}
	o.Timezone = "local"
	if m := mountAt(generate(t, o), "/etc/localtime"); m == nil || m.Source != want {
		t.Errorf("--tz=local (a link to Paris): %+v", m)
	}
	for _, bad := range []string{"Mars/Olympus", "../../etc/passwd", "/etc/passwd"} {
		o.Timezone = bad
		if _, err := Generate(o); !errors.Is(err, ErrInvalid) {
			t.Errorf("--tz=%s: %v, want ErrInvalid", bad, err)
		}
	}
}

func TestNamespaces(t *testing.T) {
	o := opts(t, "true")
	o.Namespaces = Namespaces{Network: NSHost, PID: "/proc/42/ns/pid", IPC: "ns:/run/ipcns", UTS: NSHost}
	s := generate(t, o)
	want := map[specs.LinuxNamespaceType]string{specs.MountNamespace: "", specs.PIDNamespace: "/proc/42/ns/pid", specs.IPCNamespace: "/run/ipcns"}
	if got := nsTypes(s); !reflect.DeepEqual(got, want) {
		t.Errorf("namespaces %v, want %v", got, want)
	}
	o.Namespaces = Namespaces{IPC: NSHost}
	s = generate(t, o)
	if m := mountAt(s, "/dev/shm"); m.Type != "bind" || m.Source != "/dev/shm" {
		t.Errorf("--ipc=host /dev/shm %+v", m)
	}
	o.Namespaces = Namespaces{Network: NSNone, Cgroup: NSPrivate}
	o.Host.CgroupV2 = true
	if got := nsTypes(generate(t, o)); got[specs.NetworkNamespace] != "" || len(got) != 6 {
		t.Errorf("--network=none on cgroup v2: %v", got)
	}
	o = opts(t, "true")
	o.Namespaces, o.Hostname = Namespaces{UTS: NSHost}, "box"
	if _, err := Generate(o); !errors.Is(err, ErrInvalid) {
		t.Errorf("hostname with --uts=host: %v", err)
	}
	o = opts(t, "true")
	o.Namespaces = Namespaces{Network: "relative/path"}
	if _, err := Generate(o); !errors.Is(err, ErrInvalid) {
		t.Errorf("relative namespace path: %v", err)
	}
}

func TestUserNamespace(t *testing.T) {
	o := opts(t, "true")
	o.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	o.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	s := generate(t, o)
	if _, ok := nsTypes(s)[specs.UserNamespace]; !ok || !reflect.DeepEqual(s.Linux.UIDMappings, o.UIDMappings) || !reflect.DeepEqual(s.Linux.GIDMappings, o.GIDMappings) {
		t.Errorf("user namespace: %v %v", s.Linux.Namespaces, s.Linux.UIDMappings)
	}
	if slices.Contains(mountAt(s, "/dev/pts").Options, "gid=5") {
		t.Error("devpts gid=5 in a user namespace")
	}
	o.Namespaces.Network = NSHost
	if m := mountAt(generate(t, o), "/sys"); m.Type != "bind" {
		t.Errorf("/sys in a user namespace with the host's network: %+v", m)
	}
	o.GIDMappings = nil
	if _, err := Generate(o); !errors.Is(err, ErrInvalid) {
		t.Errorf("uid mappings without gid mappings: %v", err)
	}
}

func TestResources(t *testing.T) {
	o := opts(t, "true")
	o.CgroupsPath = "/machine/abc"
	o.Memory, o.PidsLimit, o.ShmSize = 64<<20, 100, 1<<20
	s := generate(t, o)
	r := s.Linux.Resources
	if s.Linux.CgroupsPath != "/machine/abc" || *r.Memory.Limit != 64<<20 || *r.Memory.Swap != 128<<20 || *r.Pids.Limit != 100 {
		t.Errorf("cgroup %q resources %+v %+v", s.Linux.CgroupsPath, r.Memory, r.Pids)
	}
	if !slices.Contains(mountAt(s, "/dev/shm").Options, "size=1048576") {
		t.Errorf("--shm-size: %+v", mountAt(s, "/dev/shm"))
	}
	o.MemorySwap, o.PidsLimit, o.ShmSize = -1, -1, -1
	s = generate(t, o)
	if r := s.Linux.Resources; *r.Memory.Swap != -1 || *r.Pids.Limit != -1 {
		t.Errorf("unlimited swap and pids: %+v %+v", r.Memory, r.Pids)
	}
	for _, opt := range mountAt(s, "/dev/shm").Options {
		if len(opt) > 5 && opt[:5] == "size=" {
			t.Errorf("--shm-size below 0 still sets %s", opt)
		}
	}
	o = opts(t, "true")
	o.NoCgroups = true
	s = generate(t, o)
	if s.Linux.Resources != nil || s.Linux.CgroupsPath != "" || mountAt(s, "/sys/fs/cgroup") != nil {
		t.Errorf("--cgroups=disabled: %+v %q", s.Linux.Resources, s.Linux.CgroupsPath)
	}
	o.Memory = 1 << 20
	if _, err := Generate(o); !errors.Is(err, ErrInvalid) {
		t.Errorf("a memory limit without a cgroup: %v", err)
	}
	o = opts(t, "true")
	o.Memory, o.MemorySwap = 64<<20, 32<<20
	if _, err := Generate(o); !errors.Is(err, ErrInvalid) {
		t.Errorf("swap below memory: %v", err)
	}
}
