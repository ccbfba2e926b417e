package engine

import (
	"testing"

	"go.podman.io/common/pkg/config"
)

// TestCgroupsModeDefault checks that a container without --cgroups takes
// containers.conf's cgroups setting, as podman's do: a pod's infra container has no
// flag of its own, and the systemd sandbox's site configuration disables cgroups.
func TestCgroupsModeDefault(t *testing.T) {
	cfg, err := config.New(&config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := &Runtime{cfg: cfg, opts: Options{CgroupManager: config.CgroupfsCgroupsManager}}
	for _, tc := range []struct {
		conf, flag   string
		wantDisabled bool
	}{
		{"", "", false},
		{"disabled", "", true},
		{"disabled", CgroupsEnabled, false},
		{"enabled", CgroupsDisabled, true},
	} {
		cfg.Containers.Cgroups = tc.conf
		c := &Container{ID: "0123456789ab", Config: ContainerConfig{CgroupsMode: tc.flag}}
		if err := r.planCgroups(c); err != nil {
			t.Fatal(err)
		}
		if c.Runtime.NoCgroups != tc.wantDisabled {
			t.Errorf("containers.conf cgroups=%q, --cgroups=%q: no cgroups = %v, want %v",
				tc.conf, tc.flag, c.Runtime.NoCgroups, tc.wantDisabled)
		}
	}
}
