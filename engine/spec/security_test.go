package spec

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"go.podman.io/common/pkg/config"
	"go.podman.io/common/pkg/seccomp"
)

func syscallAllowed(s *specs.LinuxSeccomp, name string) bool {
	for _, sc := range s.Syscalls {
		if sc.Action == specs.ActAllow && len(sc.Args) == 0 && slices.Contains(sc.Names, name) {
			return true
		}
	}
	return false
}

func TestSeccomp(t *testing.T) {
	s := generate(t, opts(t, "true")).Linux.Seccomp
	if runtime.GOARCH == "amd64" && !reflect.DeepEqual(s.Architectures, []specs.Arch{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}) {
		t.Errorf("architectures %q", s.Architectures)
	}
	if s.DefaultErrnoRet == nil || *s.DefaultErrnoRet != 38 { // ENOSYS
		t.Errorf("default errno %v", s.DefaultErrnoRet)
	}
	// Rules that depend on a capability follow the bounding set.
	if !syscallAllowed(s, "read") || syscallAllowed(s, "bpf") || syscallAllowed(s, "init_module") {
		t.Errorf("default profile: read %v bpf %v init_module %v", syscallAllowed(s, "read"), syscallAllowed(s, "bpf"), syscallAllowed(s, "init_module"))
	}
	o := opts(t, "true")
	o.CapAdd = []string{"sys_admin", "sys_module"}
	s = generate(t, o).Linux.Seccomp
	if !syscallAllowed(s, "bpf") || !syscallAllowed(s, "init_module") {
		t.Errorf("with CAP_SYS_ADMIN and CAP_SYS_MODULE: bpf %v init_module %v", syscallAllowed(s, "bpf"), syscallAllowed(s, "init_module"))
	}

	o = opts(t, "true")
	o.Seccomp = SeccompUnconfined
	if s := generate(t, o).Linux.Seccomp; s != nil {
		t.Errorf("unconfined: %+v", s)
	}
	o = opts(t, "true")
	o.Privileged = true
	if s := generate(t, o).Linux.Seccomp; s != nil {
		t.Errorf("privileged: %+v", s)
	}

	file := filepath.Join(t.TempDir(), "profile.json")
	profile := `{"defaultAction": "SCMP_ACT_ALLOW", "defaultErrno": "EPERM", "syscalls": [
		{"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errno": "EACCES"},
		{"name": "ptrace", "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]},
		{"names": ["arm_only"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["arm"]}}]}`
	if err := os.WriteFile(file, []byte(profile), 0o644); err != nil {
		t.Fatal(err)
	}
	o = opts(t, "true")
	o.Seccomp = file
	s = generate(t, o).Linux.Seccomp
	eacces, eperm := uint(13), uint(1)
	want := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow, DefaultErrnoRet: &eperm,
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"chmod"}, Action: specs.ActErrno, ErrnoRet: &eacces},
			{Names: []string{"ptrace"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 0, Value: 1, Op: specs.OpEqualTo}}},
		},
	}
	if runtime.GOARCH == "amd64" && !reflect.DeepEqual(s, want) {
		t.Errorf("profile file:\n%+v\nwant\n%+v", s, want)
	}
	for _, bad := range []string{"{nope", `{"defaultAction": "SCMP_ACT_ALLOW", "defaultErrno": "ENOPE"}`} {
		if err := os.WriteFile(file, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Generate(o); !errors.Is(err, ErrInvalid) {
			t.Errorf("profile %q: %v, want ErrInvalid", bad, err)
		}
	}
	o.Seccomp = "/no/such/profile.json"
	if _, err := Generate(o); !errors.Is(err, ErrInvalid) {
		t.Errorf("missing profile: %v", err)
	}
}

func TestConvertSeccompArchMap(t *testing.T) {
	p := &seccomp.Seccomp{DefaultAction: seccomp.ActErrno, ArchMap: []seccomp.Architecture{
		{Arch: seccomp.ArchX86_64, SubArches: []seccomp.Arch{seccomp.ArchX86}},
		{Arch: seccomp.ArchAARCH64, SubArches: []seccomp.Arch{seccomp.ArchARM}},
	}}
	s, err := convertSeccomp(p, "arm64", nil)
	if err != nil || !reflect.DeepEqual(s.Architectures, []specs.Arch{"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}) {
		t.Errorf("arm64: %+v, %v", s, err)
	}
	if s, err := convertSeccomp(&seccomp.Seccomp{}, "amd64", nil); s != nil || err != nil {
		t.Errorf("empty profile: %+v, %v", s, err)
	}
}

func TestMaskedPaths(t *testing.T) {
	o := opts(t, "true")
	o.Mask = []string{"/srv/secret"}
	o.Unmask = []string{"/proc/kcore", "/sys/firmware", "/proc/sys"}
	s := generate(t, o)
	if !slices.Contains(s.Linux.MaskedPaths, "/srv/secret") || slices.Contains(s.Linux.MaskedPaths, "/proc/kcore") ||
		slices.Contains(s.Linux.MaskedPaths, "/sys/firmware") || !slices.Contains(s.Linux.MaskedPaths, "/proc/keys") {
		t.Errorf("masked %q", s.Linux.MaskedPaths)
	}
	if slices.Contains(s.Linux.ReadonlyPaths, "/proc/sys") || len(s.Linux.ReadonlyPaths) != len(config.DefaultReadOnlyPaths)-1 {
		t.Errorf("read-only %q", s.Linux.ReadonlyPaths)
	}
	o.Unmask = []string{"/proc/*"}
	s = generate(t, o)
	for _, p := range append(s.Linux.MaskedPaths, s.Linux.ReadonlyPaths...) {
		if filepath.Dir(p) == "/proc" {
			t.Errorf("unmask=/proc/* left %s", p)
		}
	}
	o.Unmask = []string{"ALL"}
	s = generate(t, o)
	if !reflect.DeepEqual(s.Linux.MaskedPaths, []string{"/srv/secret"}) || len(s.Linux.ReadonlyPaths) != 0 {
		t.Errorf("unmask=ALL: masked %q read-only %q", s.Linux.MaskedPaths, s.Linux.ReadonlyPaths)
	}
	o.Mask = []string{"relative"}
	if _, err := Generate(o); !errors.Is(err, ErrInvalid) {
		t.Errorf("relative mask: %v", err)
	}
}

func TestSysctls(t *testing.T) {
	o := opts(t, "true")
	o.Sysctls = map[string]string{"net.ipv4.ip_forward": "1", "kernel.msgmax": "65536", "fs.mqueue.msg_max": "20"}
	if s := generate(t, o); !reflect.DeepEqual(s.Linux.Sysctl, o.Sysctls) {
		t.Errorf("sysctls %v", s.Linux.Sysctl)
	}
	for _, tc := range []struct {
		key string
		ns  Namespaces
	}{
		{"net.ipv4.ip_forward", Namespaces{Network: NSHost}},
		{"kernel.shmmax", Namespaces{IPC: NSHost}},
		{"kernel.hostname", Namespaces{UTS: NSHost}},
		{"vm.swappiness", Namespaces{}},
		{"kernel.panic", Namespaces{}},
	} {
		o := opts(t, "true")
		o.Sysctls, o.Namespaces = map[string]string{tc.key: "1"}, tc.ns
		if _, err := Generate(o); !errors.Is(err, ErrInvalid) {
			t.Errorf("sysctl %s with %+v: %v, want ErrInvalid", tc.key, tc.ns, err)
		}
	}
}

func TestDevices(t *testing.T) {
	o := opts(t, "true")
	o.Devices = []Device{{HostPath: "/dev/null", ContainerPath: "/dev/mynull", Permissions: "rw"}}
	s := generate(t, o)
	if len(s.Linux.Devices) != 1 {
		t.Fatalf("devices %+v", s.Linux.Devices)
	}
	d := s.Linux.Devices[0]
	if d.Path != "/dev/mynull" || d.Type != "c" || d.Major != 1 || d.Minor != 3 || *d.FileMode != 0o666 {
		t.Errorf("device %+v", d)
	}
	rules := s.Linux.Resources.Devices
	if len(rules) != 2 || rules[0].Allow || !rules[1].Allow || *rules[1].Major != 1 || *rules[1].Minor != 3 || rules[1].Access != "rw" {
		t.Errorf("device rules %+v", rules)
	}
	for _, bad := range []Device{{HostPath: "/no/such/dev"}, {HostPath: "/etc/passwd"}, {HostPath: "dev/null"}} {
		o := opts(t, "true")
		o.Devices = []Device{bad}
		if _, err := Generate(o); !errors.Is(err, ErrInvalid) {
			t.Errorf("device %+v: %v, want ErrInvalid", bad, err)
		}
	}
	for in, want := range map[string]Device{
		"/dev/fuse":              {HostPath: "/dev/fuse"},
		"/dev/fuse:r":            {HostPath: "/dev/fuse", Permissions: "r"},
		"/dev/sda:/dev/xvda":     {HostPath: "/dev/sda", ContainerPath: "/dev/xvda"},
		"/dev/sda:/dev/xvda:rwm": {HostPath: "/dev/sda", ContainerPath: "/dev/xvda", Permissions: "rwm"},
	} {
		if got, err := ParseDevice(in); err != nil || got != want {
			t.Errorf("ParseDevice(%q) = %+v, %v", in, got, err)
		}
	}
	if _, err := ParseDevice("/a:/b:xyz"); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad permissions: %v", err)
	}
}

func TestPrivileged(t *testing.T) {
	o := opts(t, "true")
	o.Privileged = true
	s := generate(t, o)
	if len(s.Linux.MaskedPaths)+len(s.Linux.ReadonlyPaths) != 0 || !slices.Contains(s.Process.Capabilities.Bounding, "CAP_SYS_ADMIN") {
		t.Errorf("privileged: masked %q caps %q", s.Linux.MaskedPaths, s.Process.Capabilities.Bounding)
	}
	if r := s.Linux.Resources.Devices; len(r) != 1 || !r[0].Allow {
		t.Errorf("privileged device rules %+v", r)
	}
	if m := mountAt(s, "/sys"); !slices.Contains(m.Options, "rw") {
		t.Errorf("privileged /sys %+v", m)
	}
}
