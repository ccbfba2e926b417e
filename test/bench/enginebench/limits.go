package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// podmanNofile is the NOFILE limit podman gives a rootful container by default.
const podmanNofile = 1048576

// podmanNproc is the NPROC limit in podman's containers.conf defaults; podman 4.3 sets
// more than that when no --ulimit=nproc is given.
const podmanNproc = 32768

// rlimitNproc is RLIMIT_NPROC, which package syscall does not name.
const rlimitNproc = 6

// limits are the nofile and nproc limits both engines' containers get, as
// "name=soft:hard", where the NOFILE hard limit is below podman's default (here
// 20000, without CAP_SYS_RESOURCE); none elsewhere. Without them podman fails here
// ("error setting rlimit type 7", then type 6); berth clamps its defaults to the hard
// limits, but gets the same limits so that both containers are alike.
func limits() []string {
	var nofile, nproc syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &nofile) != nil || nofile.Max >= podmanNofile {
		return nil
	}
	np := uint64(podmanNproc)
	if syscall.Getrlimit(rlimitNproc, &nproc) == nil {
		np = min(np, nproc.Max)
	}
	return []string{fmt.Sprintf("nofile=%d:%d", nofile.Max, nofile.Max), fmt.Sprintf("nproc=%d:%d", np, np)}
}

// ulimitFlags are limits() as --ulimit flags.
func ulimitFlags() []string {
	var out []string
	for _, l := range limits() {
		out = append(out, "--ulimit="+l)
	}
	return out
}

// runArgs is `run` with the flags both engines get, then args: no network, and the
// limits.
func (b *bencher) runArgs(args ...string) []string {
	return append(append([]string{"run", "--network=none"}, ulimitFlags()...), args...)
}

// bridgeArgs is `run` on the default network (no --network flag), with the limits.
func (b *bencher) bridgeArgs(args ...string) []string {
	return append(append([]string{"run"}, ulimitFlags()...), args...)
}

// systemContainersConf is the containers.conf Debian's podman reads when nothing
// overrides it.
const systemContainersConf = "/usr/share/containers/containers.conf"

// writeContainersConf writes, when limits are needed, a containers.conf that both
// engines read through CONTAINERS_CONF: the system's own with default_ulimits set to
// the limits. A pod's infra container takes no --ulimit, and podman's fails here
// without it. "" when no limits are needed.
func writeContainersConf(work string) (string, error) {
	l := limits()
	if len(l) == 0 {
		return "", nil
	}
	line := fmt.Sprintf("default_ulimits = [%q, %q]", l[0], l[1])
	base, err := os.ReadFile(systemContainersConf)
	if err != nil && !os.IsNotExist(err) {
		return "", err
	}
	text := string(base)
	// The key goes right under the [containers] table; the system file has it only as
	// a comment.
	if i := strings.Index(text, "\n[containers]\n"); i >= 0 || strings.HasPrefix(text, "[containers]\n") {
		cut := i + len("\n[containers]\n")
		if i < 0 {
			cut = len("[containers]\n")
		}
		text = text[:cut] + line + "\n" + text[cut:]
	} else {
		text += "\n[containers]\n" + line + "\n"
	}
	path := filepath.Join(work, "containers.conf")
	return path, os.WriteFile(path, []byte(text), 0o644)
}
