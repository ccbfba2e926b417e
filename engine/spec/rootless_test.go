package spec

import "testing"

// A rootless runtime runs in a user namespace that owns no host namespace: with the
// host's network it cannot mount sysfs, and shows the host's /sys instead; with a
// network namespace of its own (which it then owns) it mounts sysfs.
func TestRootlessSysfs(t *testing.T) {
	o := opts(t, "true")
	o.Rootless = true
	o.Namespaces.Network = NSHost
	if m := mountAt(generate(t, o), "/sys"); m.Type != "bind" {
		t.Errorf("/sys, rootless with the host's network: %+v", m)
	}
	o.Namespaces.Network = NSNone
	if m := mountAt(generate(t, o), "/sys"); m.Type != "sysfs" {
		t.Errorf("/sys, rootless with a network namespace of its own: %+v", m)
	}
}
