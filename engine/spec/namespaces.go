package spec

import (
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// namespaces adds the container's namespaces: a new mount namespace always, the
// others as Options.Namespaces say, and a user namespace when mappings are given.
func (g *generator) namespaces() error {
	ns := g.o.Namespaces
	cgroupNS := ns.Cgroup
	if cgroupNS == NSPrivate && !g.host.CgroupV2 {
		// As podman: on cgroup v1 the container sees the host's cgroup namespace
		// (runc mounts its own cgroup's hierarchies read-only).
		cgroupNS = NSHost
	}
	list := []struct {
		typ  specs.LinuxNamespaceType
		mode string
		flag string
	}{
		{specs.PIDNamespace, ns.PID, "--pid"},
		{specs.NetworkNamespace, ns.Network, "--network"},
		{specs.IPCNamespace, ns.IPC, "--ipc"},
		{specs.UTSNamespace, ns.UTS, "--uts"},
		{specs.CgroupNamespace, cgroupNS, "--cgroupns"},
	}
	g.s.Linux.Namespaces = []specs.LinuxNamespace{{Type: specs.MountNamespace}}
	for _, n := range list {
		switch {
		case n.mode == NSHost:
		case n.mode == NSPrivate, n.mode == NSNone && n.typ == specs.NetworkNamespace:
			g.s.Linux.Namespaces = append(g.s.Linux.Namespaces, specs.LinuxNamespace{Type: n.typ})
		default:
			path := strings.TrimPrefix(n.mode, "ns:")
			if err := checkAbs(n.flag+" namespace", path); err != nil {
				return err
			}
			g.s.Linux.Namespaces = append(g.s.Linux.Namespaces, specs.LinuxNamespace{Type: n.typ, Path: path})
		}
	}
	if g.o.Hostname != "" && ns.UTS == NSHost {
		return fmt.Errorf("%w: cannot set the hostname with --uts=host", ErrInvalid)
	}
	user := strings.TrimPrefix(ns.User, "ns:")
	if user != "" {
		if err := checkAbs("--userns namespace", user); err != nil {
			return err
		}
	}
	if user != "" || len(g.o.UIDMappings) > 0 || len(g.o.GIDMappings) > 0 {
		if len(g.o.UIDMappings) == 0 || len(g.o.GIDMappings) == 0 {
			return fmt.Errorf("%w: a user namespace needs both uid and gid mappings", ErrInvalid)
		}
		g.s.Linux.Namespaces = append(g.s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace, Path: user})
		g.s.Linux.UIDMappings = g.o.UIDMappings
		g.s.Linux.GIDMappings = g.o.GIDMappings
	}
	return nil
}

// private reports whether the spec has a new namespace of type t.
func (g *generator) private(t specs.LinuxNamespaceType) bool {
	for _, n := range g.s.Linux.Namespaces {
		if n.Type == t {
			return n.Path == ""
		}
	}
	return false
}

// shared reports whether the container uses the host's namespace of type t.
func (g *generator) shared(t specs.LinuxNamespaceType) bool {
	for _, n := range g.s.Linux.Namespaces {
		if n.Type == t {
			return false
		}
	}
	return true
}

func (g *generator) userNS() bool { return !g.shared(specs.UserNamespace) }
