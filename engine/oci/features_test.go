package oci_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-containers/berth/engine/oci"
	"github.com/berth-containers/berth/engine/spec"
)

// The spec package's options, checked from inside a real container: the runtime
// accepts what spec generates, and the container sees it.
func TestSpecFeaturesInside(t *testing.T) {
	h := newHarness(t)
	logPath := filepath.Join(h.dir, "ctr.log")
	script := strings.Join([]string{
		"hostname",
		"ulimit -n",
		"ulimit -c",
		"grep CapEff /proc/self/status | cut -f2",
		"cat /proc/sys/net/ipv4/ping_group_range | tr '\t' ' '",
		"wc -c < /proc/interrupts",
		"df -k /dev/shm | tail -1 | awk '{print $2}'",
		"cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max",
		"cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max",
		"ls -l /dev/mynull | cut -c1",
		"tail -n1 /etc/localtime 2>/dev/null || echo no-tz",
		"touch /proc/sys/kernel/domainname 2>/dev/null && echo sys-writable || echo sys-ro",
	}, "; ")
	so := baseOptions("", "sh", "-c", script)
	so.Hostname = "inside"
	so.Ulimits = []spec.Ulimit{{Name: "nofile", Soft: 4096, Hard: 1 << 30}, {Name: "core", Soft: 0, Hard: 0}}
	so.CapDrop = []string{"all"}
	so.CapAdd = []string{"chown"}
	so.Sysctls = map[string]string{"net.ipv4.ping_group_range": "0 1000"}
	so.ShmSize = 2 << 20
	so.PidsLimit = 64
	so.Memory = 256 << 20
	so.Devices = []spec.Device{{HostPath: "/dev/null", ContainerPath: "/dev/mynull"}}
	tz := "no-tz"
	if _, err := os.Stat("/usr/share/zoneinfo/UTC"); err == nil {
		so.Timezone, tz = "UTC", "UTC0" // a TZif file ends with its POSIX TZ string
	}
	code, _ := h.run(so, oci.CreateOptions{LogPath: logPath})
	out := logText(t, logPath)
	if code != 0 {
		t.Fatalf("exit code %d, output:\n%s", code, out)
	}
	got := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{
		"inside",
		"4096",
		"0",
		"0000000000000001", // CAP_CHOWN only
		"0 1000",
		"0", // /proc/interrupts is masked (a bind of /dev/null)
		"2048",
		"64",
		"268435456",
		"c",
		tz,
		"sys-ro",
	}
	if len(got) != len(want) {
		t.Fatalf("inside:\n%s\nwant %d lines", out, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d (%s): %q, want %q", i, strings.Split(script, "; ")[i], got[i], want[i])
		}
	}
}
