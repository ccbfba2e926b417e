package quadlet

import (
	"path/filepath"
	"strings"

	"github.com/berth-containers/berth/units"
)

// Helpers of the unit types that make an object: the names of pods, volumes and
// networks, and the oneshot services of .volume, .network, .image, .build and .artifact.

// namedBy returns the resource function of a unit type whose object is named by key
// (VolumeName=), or else gets podman's default name: "systemd-" and the base name, with
// "-%i" for the instance part of templates, since names cannot hold "@".
func namedBy(section, key string) func(*Source) string {
	return func(s *Source) string {
		if v, ok := s.File.Get(section, key); ok && v != "" {
			return v
		}
		if prefix, inst, _, ok := units.SplitTemplate(s.Name); ok {
			if inst == "" {
				inst = "%i"
			}
			return "systemd-" + prefix + "-" + inst
		}
		return "systemd-" + strings.TrimSuffix(s.Name, filepath.Ext(s.Name))
	}
}

// oneshotService makes the engine command built so far the ExecStart of a oneshot
// service. With remainAfterExit the service stays active once it ran, so that it runs
// once per boot and its dependents start.
func oneshotService(c *Conv, remainAfterExit bool) {
	c.Exec("ExecStart", "", c.Args...)
	c.SetDefault("Service", "Type", "oneshot")
	if remainAfterExit {
		c.SetDefault("Service", "RemainAfterExit", "yes")
	}
	c.SetDefault("Service", "SyslogIdentifier", "%N")
}
