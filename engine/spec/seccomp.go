package spec

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"go.podman.io/common/pkg/seccomp"
	"golang.org/x/sys/unix"
)

// SeccompUnconfined is the --security-opt seccomp= value that turns filtering off.
const SeccompUnconfined = "unconfined"

// seccomp sets the syscall filter: podman's default profile, a profile file in the
// Docker/podman JSON format, or none. go.podman.io/common only converts profiles to
// the OCI form when built with libseccomp (cgo); berth builds without C libraries, so
// the conversion, which needs no libseccomp, is done here.
func (g *generator) seccomp() error {
	if g.o.Seccomp == SeccompUnconfined || (g.o.Privileged && g.o.Seccomp == "") {
		return nil
	}
	profile := seccomp.DefaultProfile()
	if g.o.Seccomp != "" {
		data, err := os.ReadFile(g.o.Seccomp)
		if err != nil {
			return fmt.Errorf("%w: seccomp profile: %w", ErrInvalid, err)
		}
		profile = &seccomp.Seccomp{}
		if err := json.Unmarshal(data, profile); err != nil {
			return fmt.Errorf("%w: seccomp profile %s: %w", ErrInvalid, g.o.Seccomp, err)
		}
	}
	var bounding []string
	if c := g.s.Process.Capabilities; c != nil {
		bounding = c.Bounding
	}
	ls, err := convertSeccomp(profile, runtime.GOARCH, bounding)
	if err != nil {
		return fmt.Errorf("%w: seccomp profile %s: %w", ErrInvalid, g.o.Seccomp, err)
	}
	g.s.Linux.Seccomp = ls
	return nil
}

// goArchSeccomp names the native architecture as profiles' archMap entries do.
var goArchSeccomp = map[string]seccomp.Arch{
	"amd64": seccomp.ArchX86_64, "386": seccomp.ArchX86, "arm64": seccomp.ArchAARCH64,
	"arm": seccomp.ArchARM, "s390x": seccomp.ArchS390X, "ppc64le": seccomp.ArchPPC64LE,
	"riscv64": seccomp.ArchRISCV64, "mips64": seccomp.ArchMIPS64, "mips64le": seccomp.ArchMIPSEL64,
}

// convertSeccomp turns a profile into the OCI form for the architecture goarch and a
// container whose bounding set is caps: rules whose includes/excludes (architectures,
// capabilities) do not match are left out, errno names become numbers.
func convertSeccomp(p *seccomp.Seccomp, goarch string, caps []string) (*specs.LinuxSeccomp, error) {
	if p.DefaultAction == "" && len(p.Syscalls) == 0 {
		return nil, nil // an empty profile means no filter
	}
	if len(p.Architectures) > 0 && len(p.ArchMap) > 0 {
		return nil, fmt.Errorf("both architectures and archMap are set")
	}
	out := &specs.LinuxSeccomp{
		DefaultAction:    specs.LinuxSeccompAction(p.DefaultAction),
		ListenerPath:     p.ListenerPath,
		ListenerMetadata: p.ListenerMetadata,
	}
	for _, a := range p.Architectures {
		out.Architectures = append(out.Architectures, specs.Arch(a))
	}
	for _, m := range p.ArchMap {
		if m.Arch == goArchSeccomp[goarch] {
			out.Architectures = append(out.Architectures, specs.Arch(m.Arch))
			for _, sub := range m.SubArches {
				out.Architectures = append(out.Architectures, specs.Arch(sub))
			}
		}
	}
	for _, f := range p.Flags {
		out.Flags = append(out.Flags, specs.LinuxSeccompFlag(f))
	}
	var err error
	if out.DefaultErrnoRet, err = errnoValue(p.DefaultErrno, p.DefaultErrnoRet); err != nil {
		return nil, err
	}
	for _, call := range p.Syscalls {
		if !applies(call, goarch, caps) {
			continue
		}
		if call.Name != "" && len(call.Names) > 0 {
			return nil, fmt.Errorf("a rule has both name and names")
		}
		names := call.Names
		if call.Name != "" {
			names = []string{call.Name}
		}
		errno, err := errnoValue(call.Errno, call.ErrnoRet)
		if err != nil {
			return nil, err
		}
		sc := specs.LinuxSyscall{Names: names, Action: specs.LinuxSeccompAction(call.Action), ErrnoRet: errno}
		for _, a := range call.Args {
			sc.Args = append(sc.Args, specs.LinuxSeccompArg{
				Index: a.Index, Value: a.Value, ValueTwo: a.ValueTwo, Op: specs.LinuxSeccompOperator(a.Op),
			})
		}
		out.Syscalls = append(out.Syscalls, sc)
	}
	return out, nil
}

// applies reports whether a rule's includes and excludes select this container.
func applies(call *seccomp.Syscall, goarch string, caps []string) bool {
	if slices.Contains(call.Excludes.Arches, goarch) {
		return false
	}
	if len(call.Includes.Arches) > 0 && !slices.Contains(call.Includes.Arches, goarch) {
		return false
	}
	for _, c := range call.Excludes.Caps {
		if slices.Contains(caps, c) {
			return false
		}
	}
	for _, c := range call.Includes.Caps {
		if !slices.Contains(caps, c) {
			return false
		}
	}
	return true
}

// errnoNames maps names such as EPERM to their numbers on this architecture.
var errnoNames = sync.OnceValue(func() map[string]uint {
	m := map[string]uint{}
	for i := 1; i < 4096; i++ {
		if n := unix.ErrnoName(syscall.Errno(i)); n != "" {
			m[n] = uint(i)
		}
	}
	return m
})

func errnoValue(name string, def *uint) (*uint, error) {
	if name == "" {
		return def, nil
	}
	if v, err := strconv.ParseUint(name, 10, 32); err == nil {
		u := uint(v)
		return &u, nil
	}
	v, ok := errnoNames()[name]
	if !ok {
		return nil, fmt.Errorf("unknown errno %q", name)
	}
	return &v, nil
}
