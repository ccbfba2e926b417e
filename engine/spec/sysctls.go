package spec

import (
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ipcSysctls are the namespaced kernel.* sysctls podman accepts (with fs.mqueue.*).
var ipcSysctls = map[string]bool{
	"kernel.msgmax": true, "kernel.msgmnb": true, "kernel.msgmni": true, "kernel.sem": true,
	"kernel.shmall": true, "kernel.shmmax": true, "kernel.shmmni": true, "kernel.shm_rmid_forced": true,
}

// sysctls checks each --sysctl against the namespace it belongs to, as podman does: a
// sysctl that is not namespaced, or whose namespace is the host's, is refused.
func (g *generator) sysctls() error {
	for k, v := range g.o.Sysctls {
		var ns specs.LinuxNamespaceType
		var flag string
		switch {
		case ipcSysctls[k] || strings.HasPrefix(k, "fs.mqueue."):
			ns, flag = specs.IPCNamespace, "--ipc=host"
		case strings.HasPrefix(k, "net."):
			ns, flag = specs.NetworkNamespace, "--network=host"
		case k == "kernel.hostname" || k == "kernel.domainname":
			ns, flag = specs.UTSNamespace, "--uts=host"
		default:
			return fmt.Errorf("%w: sysctl %q is not allowed (not namespaced)", ErrInvalid, k)
		}
		if g.shared(ns) {
			return fmt.Errorf("%w: sysctl %q cannot be set with %s", ErrInvalid, k, flag)
		}
		g.s.Linux.Sysctl[k] = v
	}
	return nil
}
