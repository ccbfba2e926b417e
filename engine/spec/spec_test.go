package spec

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"go.podman.io/common/pkg/config"
)

// testRootfs is a rootfs with just /etc/passwd and /etc/group: users root, nobody and
// app (1000, member of wheel and audio), groups root, wheel (10), audio (63), app (1000).
func testRootfs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\napp:x:1000:1000:app:/home/app:/bin/sh\n",
		"etc/group":  "root:x:0:\nwheel:x:10:app\naudio:x:63:app\napp:x:1000:\nnobody:x:65534:\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fakeHost pins the host facts: NOFILE and NPROC hard limits of 20000, as on this
// machine, and a zoneinfo folder with Europe/Paris.
func fakeHost(t *testing.T) *Host {
	t.Helper()
	zones := t.TempDir()
	if err := os.MkdirAll(filepath.Join(zones, "Europe"), 0o755); err != nil {
		t.Fatal(err)
	}
	paris := filepath.Join(zones, "Europe", "Paris")
	if err := os.WriteFile(paris, []byte("TZif"), 0o644); err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(t.TempDir(), "localtime")
	if err := os.Symlink(paris, local); err != nil {
		t.Fatal(err)
	}
	return &Host{
		Rlimit:      func(int) (uint64, uint64, error) { return 1024, 20000, nil },
		ZoneinfoDir: zones,
		Localtime:   local,
	}
}

func opts(t *testing.T, args ...string) Options {
	return Options{Rootfs: testRootfs(t), Args: args, Host: fakeHost(t)}
}

func generate(t *testing.T, o Options) *specs.Spec {
	t.Helper()
	s, err := Generate(o)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return s
}

func mountAt(s *specs.Spec, dest string) *specs.Mount {
	for i := range s.Mounts {
		if s.Mounts[i].Destination == dest {
			return &s.Mounts[i]
		}
	}
	return nil
}

func nsTypes(s *specs.Spec) map[specs.LinuxNamespaceType]string {
	m := map[specs.LinuxNamespaceType]string{}
	for _, n := range s.Linux.Namespaces {
		m[n.Type] = n.Path
	}
	return m
}

func TestDefaults(t *testing.T) {
	o := opts(t, "sh", "-c", "true")
	s := generate(t, o)
	if s.Version != OCIVersion || s.Root.Path != o.Rootfs || s.Root.Readonly {
		t.Errorf("version %q root %+v", s.Version, s.Root)
	}
	p := s.Process
	if !reflect.DeepEqual(p.Args, []string{"sh", "-c", "true"}) || p.Cwd != "/" || p.Terminal {
		t.Errorf("args %q cwd %q terminal %v", p.Args, p.Cwd, p.Terminal)
	}
	if p.User.UID != 0 || p.User.GID != 0 || *p.User.Umask != 0o22 {
		t.Errorf("user %+v", p.User)
	}
	if want := []string{"PATH=" + DefaultPath, "HOME=/root"}; !reflect.DeepEqual(p.Env, want) {
		t.Errorf("env %q, want %q", p.Env, want)
	}
	want := slices.Sorted(slices.Values(config.DefaultCapabilities))
	c := p.Capabilities
	if !reflect.DeepEqual(c.Bounding, want) || !reflect.DeepEqual(c.Effective, want) || !reflect.DeepEqual(c.Permitted, want) || len(c.Ambient) != 0 || len(c.Inheritable) != 0 {
		t.Errorf("capabilities %+v, want %q", c, want)
	}
	if !reflect.DeepEqual(s.Linux.MaskedPaths, config.DefaultMaskedPaths()) || !reflect.DeepEqual(s.Linux.ReadonlyPaths, config.DefaultReadOnlyPaths) {
		t.Errorf("masked %q read-only %q", s.Linux.MaskedPaths, s.Linux.ReadonlyPaths)
	}
	if s.Linux.Seccomp == nil || s.Linux.Seccomp.DefaultAction != specs.ActErrno || len(s.Linux.Seccomp.Syscalls) == 0 {
		t.Errorf("seccomp: %+v", s.Linux.Seccomp)
	}
	if got := nsTypes(s); !reflect.DeepEqual(got, map[specs.LinuxNamespaceType]string{
		specs.MountNamespace: "", specs.PIDNamespace: "", specs.NetworkNamespace: "", specs.IPCNamespace: "", specs.UTSNamespace: "",
	}) {
		t.Errorf("namespaces %v (a v1 host keeps the host's cgroup namespace)", got)
	}
	var dests []string
	for _, m := range s.Mounts {
		dests = append(dests, m.Destination)
	}
	if want := []string{"/proc", "/dev", "/sys", "/dev/pts", "/dev/mqueue", "/dev/shm", "/sys/fs/cgroup"}; !reflect.DeepEqual(dests, want) {
		t.Errorf("mounts %q, want %q", dests, want)
	}
	if m := mountAt(s, "/dev/shm"); m.Type != "tmpfs" || !slices.Contains(m.Options, "size=67108864") {
		t.Errorf("/dev/shm %+v", m)
	}
	if r := s.Linux.Resources; r == nil || len(r.Devices) != 1 || r.Devices[0].Allow || r.Devices[0].Access != "rwm" || r.Memory != nil || r.Pids != nil {
		t.Errorf("resources %+v", r)
	}
	if len(s.Annotations) != 0 || s.Hostname != "" {
		t.Errorf("annotations %v hostname %q", s.Annotations, s.Hostname)
	}
}

// podman raises nofile and nproc; above the hard limit (20000 here, no
// CAP_SYS_RESOURCE) the runtime would fail, so both are clamped, with a debug note.
func TestRlimitsClamped(t *testing.T) {
	var log strings.Builder
	o := opts(t, "true")
	o.Log = slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	o.Ulimits = []Ulimit{{Name: "core", Soft: 0, Hard: 0}, {Name: "nofile", Soft: 1000, Hard: 1000000}}
	s := generate(t, o)
	want := []specs.POSIXRlimit{
		{Type: "RLIMIT_CORE", Soft: 0, Hard: 0},
		{Type: "RLIMIT_NOFILE", Soft: 1000, Hard: 20000},
		{Type: "RLIMIT_NPROC", Soft: 20000, Hard: 20000},
	}
	if !reflect.DeepEqual(s.Process.Rlimits, want) {
		t.Errorf("rlimits %+v, want %+v", s.Process.Rlimits, want)
	}
	if !strings.Contains(log.String(), "clamping rlimit") || !strings.Contains(log.String(), "rlimit=nofile asked=1000000 hard=20000") {
		t.Errorf("no debug note of the clamp:\n%s", log.String())
	}
	o.Ulimits = []Ulimit{{Name: "host"}}
	if s := generate(t, o); len(s.Process.Rlimits) != 0 {
		t.Errorf("--ulimit host: %+v", s.Process.Rlimits)
	}
	o.Ulimits = []Ulimit{{Name: "bogus"}}
	if _, err := Generate(o); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown ulimit: %v", err)
	}
}

// The real host: nothing above its hard limits.
func TestRlimitsRealHost(t *testing.T) {
	o := opts(t, "true")
	o.Host = nil
	s := generate(t, o)
	hard := map[string]uint64{}
	h := realHost()
	for name, res := range rlimitNames {
		_, max, err := h.Rlimit(res)
		if err != nil {
			t.Fatal(err)
		}
		hard["RLIMIT_"+strings.ToUpper(name)] = max
	}
	for _, r := range s.Process.Rlimits {
		if r.Hard > hard[r.Type] || r.Soft > r.Hard {
			t.Errorf("%s soft %d hard %d over the host's hard %d", r.Type, r.Soft, r.Hard, hard[r.Type])
		}
	}
}

func TestParseUlimit(t *testing.T) {
	for in, want := range map[string]Ulimit{
		"nofile=1024":     {Name: "nofile", Soft: 1024, Hard: 1024},
		"nofile=512:1024": {Name: "nofile", Soft: 512, Hard: 1024},
		"core=-1":         {Name: "core", Soft: -1, Hard: -1},
		"memlock=100:-1":  {Name: "memlock", Soft: 100, Hard: -1},
		"host":            {Name: "host"},
	} {
		got, err := ParseUlimit(in)
		if err != nil || got != want {
			t.Errorf("ParseUlimit(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"nofile", "nofile=x", "nofile=2048:1024", "bogus=1", "nofile=-5", "nofile=-1:10"} {
		if _, err := ParseUlimit(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseUlimit(%q): %v, want ErrInvalid", bad, err)
		}
	}
}
